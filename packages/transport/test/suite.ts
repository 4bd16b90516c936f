/**
 * The conformance suite every transport passes: the same observable behaviour over real sockets and
 * in memory. A harness supplies the transport and raw (handshake-less) parties to misbehave with.
 */
import test, { type ExecutionContext } from 'ava';
import fc from 'fast-check';
import { encodeCanonical, equalBytes, toHex, utf8, type Identity } from '@tessera/crypto';
import {
  CloseCodes, CoordinatorHandshake, PeerHandshake, TransportError, HANDSHAKE_VERSION,
  type Connection, type DialOptions, type Limits, type ListenOptions, type Transport,
} from '../src/index.js';
import { bytes, closeOf, connections, frames, identity, sleep, within, type RawListener, type RawParty } from './helpers.js';

export interface Harness {
  /** A transport; all of them reach each other (one network). */
  transport(): Transport;
  /** What every listen() needs on this transport (e.g. insecure: true for plain ws://). */
  readonly listenExtras: Record<string, unknown>;
  /** A raw party connected to `address`, below the handshake. */
  rawDial(address: string): Promise<RawParty>;
  /** A raw coordinator. */
  rawListen(): Promise<RawListener>;
}

// Heartbeats stay on in every test, slow enough that a loaded 2-core machine never misses two pongs in a row
// by accident; the heartbeat tests set their own, faster interval.
export const LIMITS: Limits = { maxPayload: 256 * 1024, maxBufferedBytes: 1024 * 1024, handshakeTimeoutMs: 3000, heartbeatMs: 1000 };
export const COORDINATOR = identity('coordinator');
export const SITES = [identity('site 1'), identity('site 2'), identity('site 3')] as const;
export const STRANGER = identity('stranger');
export const SESSION = utf8('tessera test session');

/** A listener with SITES on its roster, and a dialer for a site. */
export async function start(t: ExecutionContext, h: Harness, over: Partial<ListenOptions> = {}) {
  const roster = new Set(SITES.map((s) => toHex(s.publicKey)));
  const listener = await h.transport().listen({
    identity: COORDINATOR, sessionId: SESSION, isAllowed: (k) => roster.has(toHex(k)), ...LIMITS, ...h.listenExtras, ...over,
  } as ListenOptions);
  t.teardown(() => listener.close());
  const incoming = connections(listener);
  const dial = (site: Identity = SITES[0], over2: Partial<DialOptions> = {}): Promise<Connection> =>
    h.transport().dial(listener.address, { identity: site, sessionId: SESSION, coordinatorKey: COORDINATOR.publicKey, ...LIMITS, ...over2 });
  return { listener, incoming, dial };
}

/** Runs the peer's side of the handshake on a raw party. */
export async function rawHandshake(raw: RawParty, site: Identity = SITES[0]): Promise<void> {
  const p = new PeerHandshake({ identity: site, sessionId: SESSION, coordinatorKey: COORDINATOR.publicKey });
  raw.send(p.receive(await raw.next()).reply!);
  p.receive(await raw.next());
}

export function conformance(name: string, make: () => Harness): void {
  const it = (title: string, fn: (t: ExecutionContext, h: Harness) => Promise<void>) => test(`${name}: ${title}`, (t) => fn(t, make()));

  it('mutual authentication: each side sees the other key', async (t, h) => {
    const { incoming, dial } = await start(t, h);
    const peer = await dial(SITES[1]);
    const conn = await incoming.next();
    t.true(equalBytes(peer.remoteKey, COORDINATOR.publicKey));
    t.true(equalBytes(conn.remoteKey, SITES[1].publicKey));
    t.false(peer.closed);
    t.false(conn.closed);
    t.is(typeof conn.label, 'string');
    t.true(conn.label.length > 0);
  });

  it('frames of 0, 1, 64 KiB and maxPayload bytes arrive in order, byte-exact, both ways', async (t, h) => {
    const { incoming, dial } = await start(t, h);
    const peer = await dial();
    const conn = await incoming.next();
    const atCoordinator = frames(conn);
    const atPeer = frames(peer);
    const sizes = [0, 1, 65536, LIMITS.maxPayload, 3, 0];
    const sent = sizes.map((n, i) => bytes(n, i));
    await Promise.all(sent.map((f) => peer.send(f)));
    for (const f of sent) t.deepEqual(await atCoordinator.next(), f);
    const back = sizes.map((n, i) => bytes(n, 100 + i));
    await Promise.all(back.map((f) => conn.send(f)));
    for (const f of back) t.deepEqual(await atPeer.next(), f);
  });

  it('frames sent before the handler is registered are kept, in order', async (t, h) => {
    const { listener, dial } = await start(t, h);
    listener.onConnection((c) => {
      for (let i = 0; i < 3; i++) void c.send(bytes(10, i));
    });
    const peer = await dial();
    await sleep(50);
    const got = frames(peer);
    for (let i = 0; i < 3; i++) t.deepEqual(await got.next(), bytes(10, i));
  });

  it('a sent frame is a copy: changing the buffer afterwards changes nothing', async (t, h) => {
    const { incoming, dial } = await start(t, h);
    const peer = await dial();
    const got = frames(await incoming.next());
    const f = bytes(1000);
    const copy = f.slice();
    const sent = peer.send(f);
    f.fill(0);
    await sent;
    t.deepEqual(await got.next(), copy);
  });

  it('an unknown peer key is refused with UNKNOWN_KEY', async (t, h) => {
    const { incoming, dial } = await start(t, h);
    const err = await t.throwsAsync(dial(STRANGER), { instanceOf: TransportError, code: 'ERR_UNKNOWN_KEY' });
    t.is(err?.closeCode, CloseCodes.UNKNOWN_KEY);
    t.is(incoming.size, 0);
  });

  it('a roster check that throws refuses (fail closed)', async (t, h) => {
    const { dial } = await start(t, h, {
      isAllowed: () => {
        throw new Error('roster unavailable');
      },
    });
    await t.throwsAsync(dial(), { instanceOf: TransportError, code: 'ERR_UNKNOWN_KEY' });
  });

  it('another session is refused with WRONG_SESSION', async (t, h) => {
    const { incoming, dial } = await start(t, h);
    const err = await t.throwsAsync(dial(SITES[0], { sessionId: utf8('another session') }), { instanceOf: TransportError, code: 'ERR_WRONG_SESSION' });
    t.is(err?.closeCode, CloseCodes.WRONG_SESSION);
    t.is(incoming.size, 0);
  });

  it('another handshake version is refused with WRONG_VERSION, on both sides', async (t, h) => {
    const { listener } = await start(t, h);
    const raw = await h.rawDial(listener.address);
    await raw.next(); // hello
    raw.send(encodeCanonical({ v: HANDSHAKE_VERSION + 1, type: 'auth' }));
    t.is((await within(raw.closed, 5000, 'close')).code, CloseCodes.WRONG_VERSION);

    const fake = await h.rawListen();
    t.teardown(() => fake.close());
    const dialing = h.transport().dial(fake.address, { identity: SITES[0], sessionId: SESSION, coordinatorKey: COORDINATOR.publicKey, ...LIMITS });
    const coord = await fake.accepted.next();
    coord.send(encodeCanonical({ v: 2, type: 'hello', session: SESSION, key: COORDINATOR.publicKey, nonce: new Uint8Array(32), extra: 1 }));
    const err = await t.throwsAsync(dialing, { instanceOf: TransportError, code: 'ERR_WRONG_VERSION' });
    t.is(err?.closeCode, CloseCodes.WRONG_VERSION);
    t.is((await within(coord.closed, 5000, 'close')).code, CloseCodes.WRONG_VERSION);
  });

  it('a peer pinning another coordinator key refuses (COORDINATOR_KEY_MISMATCH)', async (t, h) => {
    const { incoming, dial } = await start(t, h);
    const err = await t.throwsAsync(dial(SITES[0], { coordinatorKey: STRANGER.publicKey }), { instanceOf: TransportError, code: 'ERR_COORDINATOR_KEY_MISMATCH' });
    t.is(err?.closeCode, CloseCodes.COORDINATOR_KEY_MISMATCH);
    t.is(incoming.size, 0);
  });

  it('after a hello with an unpinned key the peer sends nothing', async (t, h) => {
    const fake = await h.rawListen();
    t.teardown(() => fake.close());
    const dialing = h.transport().dial(fake.address, { identity: SITES[0], sessionId: SESSION, coordinatorKey: COORDINATOR.publicKey, ...LIMITS });
    const coord = await fake.accepted.next();
    coord.send(new CoordinatorHandshake({ identity: STRANGER, sessionId: SESSION, isAllowed: () => true }).start());
    await t.throwsAsync(dialing, { code: 'ERR_COORDINATOR_KEY_MISMATCH' });
    t.is((await within(coord.closed, 5000, 'close')).code, CloseCodes.COORDINATOR_KEY_MISMATCH);
    t.is(coord.log.length, 0);
  });

  it('an impersonator with a valid hello but no pinned secret is refused (BAD_SIGNATURE)', async (t, h) => {
    const fake = await h.rawListen();
    t.teardown(() => fake.close());
    const dialing = h.transport().dial(fake.address, { identity: SITES[0], sessionId: SESSION, coordinatorKey: COORDINATOR.publicKey, ...LIMITS });
    const coord = await fake.accepted.next();
    // Claims the pinned key in hello (public, so anyone can), but can only sign welcome with its own key.
    const forger: Identity = { publicKey: COORDINATOR.publicKey, sign: (m) => STRANGER.sign(m), seed: () => STRANGER.seed() };
    const impostor = new CoordinatorHandshake({ identity: forger, sessionId: SESSION, isAllowed: () => true });
    coord.send(impostor.start());
    coord.send(impostor.receive(await coord.next()).reply!);
    const err = await t.throwsAsync(dialing, { instanceOf: TransportError, code: 'ERR_BAD_SIGNATURE' });
    t.is(err?.closeCode, CloseCodes.BAD_SIGNATURE);
    t.is((await within(coord.closed, 5000, 'close')).code, CloseCodes.BAD_SIGNATURE);
    t.is(coord.log.length, 1); // auth only
  });

  it('a forged peer signature is refused (BAD_SIGNATURE)', async (t, h) => {
    const { listener, incoming } = await start(t, h);
    const raw = await h.rawDial(listener.address);
    const p = new PeerHandshake({ identity: { ...SITES[0], sign: (m) => STRANGER.sign(m) }, sessionId: SESSION, coordinatorKey: COORDINATOR.publicKey });
    raw.send(p.receive(await raw.next()).reply!);
    t.is((await within(raw.closed, 5000, 'close')).code, CloseCodes.BAD_SIGNATURE);
    t.is(raw.log.length, 1); // hello only, no welcome
    t.is(incoming.size, 0);
  });

  it('an oversize frame after the handshake closes that connection only (OVERSIZE)', async (t, h) => {
    const { incoming, dial } = await start(t, h);
    const big = await dial(SITES[0], { maxPayload: 4 * LIMITS.maxPayload, maxBufferedBytes: 8 * LIMITS.maxPayload });
    const bigConn = await incoming.next();
    const other = await dial(SITES[1]);
    const otherConn = await incoming.next();
    const closing = closeOf(big);
    await big.send(new Uint8Array(LIMITS.maxPayload + 1));
    const info = await within(closing, 5000, 'close');
    t.is(info.code, CloseCodes.OVERSIZE);
    t.false(info.local);
    const local = await within(closeOf(bigConn), 5000, 'coordinator close');
    t.is(local.code, CloseCodes.OVERSIZE);
    t.true(local.local);
    const got = frames(otherConn);
    await other.send(bytes(100));
    t.deepEqual(await got.next(), bytes(100));
    t.false(otherConn.closed);
  });

  it('a frame over the local maxPayload is not sent (RangeError), the connection stays', async (t, h) => {
    const { dial } = await start(t, h);
    const peer = await dial();
    await t.throwsAsync(peer.send(new Uint8Array(LIMITS.maxPayload + 1)), { instanceOf: RangeError });
    t.false(peer.closed);
  });

  it('garbage handshake frames are refused and the listener keeps serving', async (t, h) => {
    const { listener, incoming, dial } = await start(t, h);
    const cases: [Uint8Array, number][] = [
      [utf8('GET / HTTP/1.1'), CloseCodes.MALFORMED], // not CBOR
      [new Uint8Array(0), CloseCodes.MALFORMED],
      [new Uint8Array([0x18, 0x05]), CloseCodes.MALFORMED], // non-canonical integer 5
      [encodeCanonical([1, 2, 3]), CloseCodes.MALFORMED], // not a map
      [encodeCanonical({ v: 1, type: 'welcome', sig: new Uint8Array(64) }), CloseCodes.MALFORMED], // wrong type
      [encodeCanonical({ v: 1, type: 'auth', key: new Uint8Array(32), nonce: new Uint8Array(32), sig: new Uint8Array(64), x: 0 }), CloseCodes.MALFORMED],
      [encodeCanonical({ v: 1, type: 'auth', key: new Uint8Array(31), nonce: new Uint8Array(32), sig: new Uint8Array(64) }), CloseCodes.MALFORMED],
      [new Uint8Array(2048), CloseCodes.OVERSIZE],
    ];
    for (const [frame, code] of cases) {
      const raw = await h.rawDial(listener.address);
      await raw.next();
      raw.send(frame);
      t.is((await within(raw.closed, 5000, 'close')).code, code, `frame of ${frame.length} bytes`);
    }
    const peer = await dial();
    t.true(equalBytes((await incoming.next()).remoteKey, SITES[0].publicKey));
    t.false(peer.closed);
  });

  it('a silent client is closed with HANDSHAKE_TIMEOUT; a silent coordinator fails dial', async (t, h) => {
    const { listener } = await start(t, h, { handshakeTimeoutMs: 150 });
    const began = Date.now(); // before the dial: the coordinator's timer cannot start earlier
    const raw = await h.rawDial(listener.address);
    const info = await within(raw.closed, 3000, 'handshake timeout');
    t.is(info.code, CloseCodes.HANDSHAKE_TIMEOUT);
    t.true(Date.now() - began >= 100);

    const fake = await h.rawListen();
    t.teardown(() => fake.close());
    const err = await t.throwsAsync(
      h.transport().dial(fake.address, { identity: SITES[0], sessionId: SESSION, coordinatorKey: COORDINATOR.publicKey, ...LIMITS, handshakeTimeoutMs: 150 }),
      { instanceOf: TransportError, code: 'ERR_HANDSHAKE_TIMEOUT' },
    );
    t.is(err?.closeCode, CloseCodes.HANDSHAKE_TIMEOUT);
  });

  it('a second connection with the same key replaces the first (REPLACED)', async (t, h) => {
    const { incoming, dial } = await start(t, h);
    const first = await dial();
    const firstConn = await incoming.next();
    const firstClosed = closeOf(first);
    const second = await dial();
    const secondConn = await incoming.next();
    const info = await within(firstClosed, 5000, 'replaced');
    t.is(info.code, CloseCodes.REPLACED);
    t.false(info.local);
    t.true(firstConn.closed);
    t.is(firstConn.closed && (await closeOf(firstConn)).code, CloseCodes.REPLACED);
    const got = frames(secondConn);
    await second.send(bytes(5));
    t.deepEqual(await got.next(), bytes(5));
  });

  it('listener.close() closes every connection with GOING_AWAY and stops accepting', async (t, h) => {
    const { listener, incoming, dial } = await start(t, h);
    const peers = [await dial(SITES[0]), await dial(SITES[1])];
    await incoming.next();
    await incoming.next();
    const raw = await h.rawDial(listener.address); // one still in the handshake
    const closes = peers.map(closeOf);
    await within(listener.close(), 5000, 'listener.close');
    for (const info of await Promise.all(closes)) {
      t.is(info.code, CloseCodes.GOING_AWAY);
      t.false(info.local);
    }
    t.true(peers.every((p) => p.closed));
    t.is((await within(raw.closed, 5000, 'raw close')).code, CloseCodes.GOING_AWAY);
    await t.throwsAsync(dial(SITES[2]), { instanceOf: TransportError, code: 'ERR_CONNECT' });
    await listener.close(); // idempotent
  });

  it('send on a closed connection rejects; close codes and reasons travel', async (t, h) => {
    const { incoming, dial } = await start(t, h);
    const peer = await dial();
    const conn = await incoming.next();
    const peerClosed = closeOf(peer);
    const reason = 'é'.repeat(100); // 200 bytes: cut to 123
    conn.close(CloseCodes.PROTOCOL_VIOLATION, reason);
    t.true(conn.closed);
    const local = await closeOf(conn);
    t.is(local.code, CloseCodes.PROTOCOL_VIOLATION);
    t.true(local.local);
    t.is(local.reason, 'é'.repeat(61));
    const info = await within(peerClosed, 5000, 'close');
    t.is(info.code, CloseCodes.PROTOCOL_VIOLATION);
    t.is(info.reason, 'é'.repeat(61));
    t.false(info.local);
    await t.throwsAsync(peer.send(bytes(1)), { instanceOf: TransportError, code: 'ERR_CLOSED' });
    await t.throwsAsync(conn.send(bytes(1)), { instanceOf: TransportError, code: 'ERR_CLOSED' });
    t.throws(() => conn.close(1006), { instanceOf: RangeError });
    let late = 0;
    conn.onClose(() => late++); // already closed: called at once
    t.is(late, 1);
  });

  it('a reader that stops reading is closed as a SLOW_CONSUMER; memory stays bounded', async (t, h) => {
    const { listener, incoming } = await start(t, h);
    const raw = await h.rawDial(listener.address);
    await rawHandshake(raw);
    const conn = await incoming.next();
    raw.pause();
    await sleep(20);
    const frame = new Uint8Array(64 * 1024);
    let accepted = 0;
    let refused: unknown;
    const attempts: Promise<void>[] = [];
    for (let i = 0; i < 512 && !conn.closed; i++) {
      attempts.push(conn.send(frame).catch((e) => void (refused ??= e)));
      if (!conn.closed) accepted += frame.length;
    }
    await Promise.all(attempts);
    t.true(refused instanceof TransportError && refused.code === 'ERR_SLOW_CONSUMER', String(refused));
    // What this process queues is bounded by maxBufferedBytes; the OS's socket buffers (a few MiB on
    // loopback) take the rest. Without the check all 32 MiB would be accepted.
    t.true(accepted <= LIMITS.maxBufferedBytes + 16 * 1024 * 1024, `accepted ${accepted} bytes before refusing`);
    const info = await closeOf(conn);
    t.is(info.code, CloseCodes.SLOW_CONSUMER);
    t.true(info.local);
    raw.terminate();
  });

  it('a peer that stops answering pings is closed with TIMEOUT; a live one is not', async (t, h) => {
    const { listener, incoming, dial } = await start(t, h, { heartbeatMs: 250 });
    const live = await dial(SITES[1], { heartbeatMs: 250 });
    const liveConn = await incoming.next();
    const raw = await h.rawDial(listener.address);
    await rawHandshake(raw);
    const conn = await incoming.next();
    raw.pause();
    const info = await within(closeOf(conn), 3000, 'heartbeat timeout');
    t.is(info.code, CloseCodes.TIMEOUT);
    t.true(info.local);
    await sleep(750);
    t.false(live.closed);
    t.false(liveConn.closed);
    raw.terminate();
  });

  it('capacity: maxPendingHandshakes and maxConnections refuse with TRY_AGAIN_LATER', async (t, h) => {
    const { listener, incoming, dial } = await start(t, h, { maxPendingHandshakes: 2, maxConnections: 1 });
    const silent = [await h.rawDial(listener.address), await h.rawDial(listener.address)];
    for (const r of silent) await r.next(); // both got hello: pending
    const third = await h.rawDial(listener.address);
    t.is((await within(third.closed, 5000, 'refused')).code, CloseCodes.TRY_AGAIN_LATER);
    t.is(third.log.length, 0);
    for (const r of silent) r.terminate();
    // The listener frees the two slots once it sees those sockets gone (a moment on a real network).
    for (let attempt = 0; ; attempt++) {
      try {
        await dial(SITES[0]);
        break;
      } catch (e) {
        if (!(e instanceof TransportError && e.code === 'ERR_TRY_AGAIN_LATER') || attempt >= 40) throw e;
        await sleep(25);
      }
    }
    await incoming.next();
    const err = await t.throwsAsync(dial(SITES[1]), { instanceOf: TransportError, code: 'ERR_TRY_AGAIN_LATER' });
    t.is(err?.closeCode, CloseCodes.TRY_AGAIN_LATER);
    // The same key may still come back (a restarted peer replaces its old connection).
    await dial(SITES[0]);
    t.true(equalBytes((await incoming.next()).remoteKey, SITES[0].publicKey));
  });

  it('a message handler that throws closes the connection with INTERNAL_ERROR', async (t, h) => {
    const { incoming, dial } = await start(t, h);
    const peer = await dial();
    const conn = await incoming.next();
    const boom = new Error('handler bug');
    conn.onMessage(() => {
      throw boom;
    });
    const closing = closeOf(conn);
    await peer.send(bytes(1));
    const info = await within(closing, 5000, 'close');
    t.is(info.code, CloseCodes.INTERNAL_ERROR);
    t.is(info.error, boom);
  });

  it('property: random frame sequences round-trip exactly, both ways', async (t, h) => {
    const { incoming, dial } = await start(t, h);
    const peer = await dial();
    const conn = await incoming.next();
    const atCoordinator = frames(conn);
    const atPeer = frames(peer);
    const frameArb = fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ minLength: 1000, maxLength: 20_000 }));
    await fc.assert(
      fc.asyncProperty(fc.array(frameArb, { maxLength: 12 }), fc.array(frameArb, { maxLength: 12 }), async (up, down) => {
        await Promise.all([...up.map((f) => peer.send(f)), ...down.map((f) => conn.send(f))]);
        for (const f of up) if (!equalBytes(await atCoordinator.next(), f)) return false;
        for (const f of down) if (!equalBytes(await atPeer.next(), f)) return false;
        return true;
      }),
      { numRuns: 50 },
    );
    t.is(atCoordinator.size + atPeer.size, 0);
  });
}

