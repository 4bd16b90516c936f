import test from 'ava';
import fc from 'fast-check';
import { concat, encodeCanonical, fromHex, seededRandom, toHex, utf8, verifySignature, type Identity } from '@tessera/crypto';
import {
  CloseCodes, CoordinatorHandshake, PeerHandshake, TransportError, COORDINATOR_CONTEXT, PEER_CONTEXT, MAX_HANDSHAKE_FRAME,
  decodeHandshake, transcript, type CoordinatorHandshakeOptions, type PeerHandshakeOptions,
} from '../src/index.js';
import { identity } from './helpers.js';

const coordinator = identity('coordinator');
const site = identity('site 1');
const stranger = identity('stranger');
const session = utf8('session');

const cOpts = (o: Partial<CoordinatorHandshakeOptions> = {}): CoordinatorHandshakeOptions => ({
  identity: coordinator, sessionId: session, isAllowed: (k) => toHex(k) === toHex(site.publicKey), random: seededRandom('nonce C'), ...o,
});
const pOpts = (o: Partial<PeerHandshakeOptions> = {}): PeerHandshakeOptions => ({
  identity: site, sessionId: session, coordinatorKey: coordinator.publicKey, random: seededRandom('nonce P'), ...o,
});

/** Runs a whole handshake; returns the three frames and both results. */
function run(c = new CoordinatorHandshake(cOpts()), p = new PeerHandshake(pOpts())) {
  const hello = c.start();
  const auth = p.receive(hello).reply!;
  const cStep = c.receive(auth);
  const pStep = p.receive(cStep.reply!);
  return { hello, auth, welcome: cStep.reply!, cStep, pStep };
}

function throwsRefusal(t: import('ava').ExecutionContext, fn: () => unknown, closeCode: number): void {
  const err = t.throws(fn, { instanceOf: TransportError });
  t.is(err?.closeCode, closeCode, err?.message);
}

test('a handshake authenticates both sides', (t) => {
  const { cStep, pStep } = run();
  t.deepEqual(cStep.remoteKey, site.publicKey);
  t.deepEqual(pStep.remoteKey, coordinator.publicKey);
  t.is(pStep.reply, undefined);
});

test('frames follow the documented byte layout (hand-assembled)', (t) => {
  const { hello, auth, welcome } = run();
  const nonceC = seededRandom('nonce C')(32);
  const nonceP = seededRandom('nonce P')(32);
  const b32 = (b: Uint8Array) => concat(fromHex('5820'), b);
  const b64 = (b: Uint8Array) => concat(fromHex('5840'), b);
  // hello: a5 | "v" 1 | "key" bstr32 | "type" "hello" | "nonce" bstr32 | "session" bstr
  t.is(
    toHex(hello),
    toHex(concat(
      fromHex('a5'), fromHex('617601'), fromHex('636b6579'), b32(coordinator.publicKey), fromHex('6474797065'), fromHex('6568656c6c6f'),
      fromHex('656e6f6e6365'), b32(nonceC), fromHex('6773657373696f6e'), fromHex('47'), session,
    )),
  );
  const T = concat(fromHex('85'), fromHex('47'), session, b32(coordinator.publicKey), b32(site.publicKey), b32(nonceC), b32(nonceP));
  t.is(toHex(transcript(session, coordinator.publicKey, site.publicKey, nonceC, nonceP)), toHex(T));
  t.is(toHex(PEER_CONTEXT), toHex(utf8('tessera/v1/handshake/peer')) + '00');
  const peerSig = site.sign(concat(PEER_CONTEXT, T));
  // auth: a5 | "v" 1 | "key" bstr32 | "sig" bstr64 | "type" "auth" | "nonce" bstr32
  t.is(
    toHex(auth),
    toHex(concat(
      fromHex('a5'), fromHex('617601'), fromHex('636b6579'), b32(site.publicKey), fromHex('63736967'), b64(peerSig),
      fromHex('6474797065'), fromHex('6461757468'), fromHex('656e6f6e6365'), b32(nonceP),
    )),
  );
  const coordSig = coordinator.sign(concat(COORDINATOR_CONTEXT, T));
  // welcome: a3 | "v" 1 | "sig" bstr64 | "type" "welcome"
  t.is(toHex(welcome), toHex(concat(fromHex('a3'), fromHex('617601'), fromHex('63736967'), b64(coordSig), fromHex('6474797065'), fromHex('6777656c636f6d65'))));
  t.true(verifySignature(coordinator.publicKey, concat(COORDINATOR_CONTEXT, T), coordSig));
  // The two contexts separate the roles: the peer's signature is not a welcome.
  t.false(verifySignature(site.publicKey, concat(COORDINATOR_CONTEXT, T), peerSig));
});

test('the peer refuses a hello naming another key, another session or another version', (t) => {
  const other = new CoordinatorHandshake(cOpts({ identity: stranger })).start();
  throwsRefusal(t, () => new PeerHandshake(pOpts()).receive(other), CloseCodes.COORDINATOR_KEY_MISMATCH);
  const otherSession = new CoordinatorHandshake(cOpts({ sessionId: utf8('session 2') })).start();
  throwsRefusal(t, () => new PeerHandshake(pOpts()).receive(otherSession), CloseCodes.WRONG_SESSION);
  const v2 = encodeCanonical({ v: 2, type: 'hello' });
  throwsRefusal(t, () => new PeerHandshake(pOpts()).receive(v2), CloseCodes.WRONG_VERSION);
  throwsRefusal(t, () => new PeerHandshake(pOpts()).receive(encodeCanonical({ v: 2n ** 64n - 1n })), CloseCodes.WRONG_VERSION);
});

test('the coordinator refuses an unknown key only after its signature verifies', (t) => {
  const c = new CoordinatorHandshake(cOpts());
  const auth = new PeerHandshake(pOpts({ identity: stranger })).receive(c.start()).reply!;
  throwsRefusal(t, () => c.receive(auth), CloseCodes.UNKNOWN_KEY);
  // A stranger claiming a roster key it cannot sign for learns BAD_SIGNATURE, not whether the key is listed.
  const c2 = new CoordinatorHandshake(cOpts());
  const forged: Identity = { ...stranger, publicKey: site.publicKey };
  const auth2 = new PeerHandshake(pOpts({ identity: forged })).receive(c2.start()).reply!;
  throwsRefusal(t, () => c2.receive(auth2), CloseCodes.BAD_SIGNATURE);
  const c3 = new CoordinatorHandshake(cOpts({ isAllowed: () => { throw new Error('down'); } }));
  throwsRefusal(t, () => c3.receive(new PeerHandshake(pOpts()).receive(c3.start()).reply!), CloseCodes.UNKNOWN_KEY);
  const c4 = new CoordinatorHandshake(cOpts({ isAllowed: () => 1 as unknown as boolean })); // only true admits
  throwsRefusal(t, () => c4.receive(new PeerHandshake(pOpts()).receive(c4.start()).reply!), CloseCodes.UNKNOWN_KEY);
});

test('replays are refused: an auth or welcome from another run does not verify', (t) => {
  const first = run();
  const c = new CoordinatorHandshake(cOpts({ random: seededRandom('nonce C, run 2') }));
  c.start();
  throwsRefusal(t, () => c.receive(first.auth), CloseCodes.BAD_SIGNATURE);
  const p = new PeerHandshake(pOpts({ random: seededRandom('nonce P, run 2') }));
  p.receive(first.hello);
  throwsRefusal(t, () => p.receive(first.welcome), CloseCodes.BAD_SIGNATURE);
});

test('a welcome signed by any key but the pinned one is refused', (t) => {
  const forger: Identity = { ...stranger, publicKey: coordinator.publicKey };
  const c = new CoordinatorHandshake(cOpts({ identity: forger }));
  const p = new PeerHandshake(pOpts());
  const auth = p.receive(c.start()).reply!;
  throwsRefusal(t, () => p.receive(c.receive(auth).reply!), CloseCodes.BAD_SIGNATURE);
});

test('malformed frames are refused with MALFORMED, oversize ones with OVERSIZE', (t) => {
  const k = new Uint8Array(32);
  const cases: [string, Uint8Array, number][] = [
    ['empty', new Uint8Array(0), CloseCodes.MALFORMED],
    ['not CBOR', utf8('hello'), CloseCodes.MALFORMED],
    ['non-canonical', fromHex('a1617618_01'.replace('_', '')), CloseCodes.MALFORMED],
    ['array', encodeCanonical([1]), CloseCodes.MALFORMED],
    ['no v', encodeCanonical({ type: 'hello' }), CloseCodes.MALFORMED],
    ['v as string', encodeCanonical({ v: '1', type: 'hello' }), CloseCodes.MALFORMED],
    ['wrong type', encodeCanonical({ v: 1, type: 'auth', key: k, nonce: k, sig: new Uint8Array(64) }), CloseCodes.MALFORMED],
    ['extra field', encodeCanonical({ v: 1, type: 'hello', session, key: k, nonce: k, x: 1 }), CloseCodes.MALFORMED],
    ['missing field', encodeCanonical({ v: 1, type: 'hello', session, key: k }), CloseCodes.MALFORMED],
    ['short key', encodeCanonical({ v: 1, type: 'hello', session, key: new Uint8Array(31), nonce: k }), CloseCodes.MALFORMED],
    ['empty session', encodeCanonical({ v: 1, type: 'hello', session: new Uint8Array(0), key: k, nonce: k }), CloseCodes.MALFORMED],
    ['long session', encodeCanonical({ v: 1, type: 'hello', session: new Uint8Array(65), key: k, nonce: k }), CloseCodes.MALFORMED],
    ['nonce as text', encodeCanonical({ v: 1, type: 'hello', session, key: k, nonce: 'x' }), CloseCodes.MALFORMED],
    ['oversize', new Uint8Array(MAX_HANDSHAKE_FRAME + 1), CloseCodes.OVERSIZE],
  ];
  for (const [what, frame, code] of cases) {
    const err = t.throws(() => new PeerHandshake(pOpts()).receive(frame), { instanceOf: TransportError }, what);
    t.is(err?.closeCode, code, what);
  }
  t.throws(() => decodeHandshake(new Uint8Array(MAX_HANDSHAKE_FRAME + 1), 'auth'), { instanceOf: TransportError, code: 'ERR_OVERSIZE' });
});

test('state misuse is an Error, and a refused handshake stays refused', (t) => {
  const c = new CoordinatorHandshake(cOpts());
  t.throws(() => c.receive(new Uint8Array(1)), { instanceOf: Error, message: /state 'new'/ });
  const hello = c.start();
  t.throws(() => c.start(), { message: /already started/ });
  const p = new PeerHandshake(pOpts());
  t.throws(() => p.receive(utf8('junk')), { instanceOf: TransportError });
  t.throws(() => p.receive(hello), { message: /state 'failed'/ });
  const done = run();
  t.throws(() => new PeerHandshake(pOpts()).receive(done.auth), { instanceOf: TransportError });
});

test('property: any single changed byte of auth or welcome is refused', (t) => {
  const { hello, auth, welcome } = run();
  fc.assert(
    fc.property(fc.boolean(), fc.nat(), fc.integer({ min: 1, max: 255 }), (inAuth, at, flip) => {
      const frame = (inAuth ? auth : welcome).slice();
      frame[at % frame.length]! ^= flip;
      const c = new CoordinatorHandshake(cOpts());
      const p = new PeerHandshake(pOpts());
      c.start();
      p.receive(hello);
      try {
        if (inAuth) c.receive(frame);
        else p.receive(frame);
        return false;
      } catch (e) {
        return e instanceof TransportError;
      }
    }),
    { numRuns: 300 },
  );
  t.pass();
});
