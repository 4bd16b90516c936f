/**
 * The node framing and the coordinator's control messages: what verifies and what does not.
 */
import test from 'ava';
import { encodeCanonical, generateIdentity, seededRandom, utf8, concat } from '@tessera/crypto';
import { createSession, sealMessage } from '@tessera/secagg';
import { CONTROL_LABEL, FrameTag, NodeError, frame, openControl, sealControl, unframe } from '../src/index.js';

const rng = seededRandom('control');
const coordinator = generateIdentity(rng);
const members = Array.from({ length: 4 }, () => generateIdentity(rng));
const session = createSession({ sessionId: rng(16), serverKey: coordinator.publicKey, memberKeys: members.map((m) => m.publicKey), threshold: 2, graph: { kind: 'complete' }, bits: 16, vectorLength: 4 });

test('control messages round-trip under the coordinator key', (t) => {
  const f = sealControl({ v: 1, type: 'round-start', session: session.digest, round: 3, participants: [1, 2, 4] }, coordinator);
  const { tag, payload } = unframe(f);
  t.is(tag, FrameTag.CONTROL);
  t.like(openControl(payload, session), { type: 'round-start', round: 3, participants: [1, 2, 4] });
  const end = unframe(sealControl({ v: 1, type: 'round-end', session: session.digest, round: 3, survivors: [1, 2], ok: false, code: 'ERR_BELOW_THRESHOLD' }, coordinator)).payload;
  t.like(openControl(end, session), { type: 'round-end', ok: false, code: 'ERR_BELOW_THRESHOLD', survivors: [1, 2] });
});

test('control messages signed by anyone else, or under the SecAgg label, are refused', (t) => {
  const forged = unframe(sealControl({ v: 1, type: 'session-end', session: session.digest, round: 1 }, members[0]!)).payload;
  t.throws(() => openControl(forged, session), { instanceOf: NodeError, message: /signature does not verify/ });
  // A SecAgg envelope signed by the coordinator is not a control message (distinct labels).
  const m = encodeCanonical({ v: 1, type: 'session-end', session: session.digest, round: 1 });
  const wrongLabel = encodeCanonical({ m, s: coordinator.sign(concat(utf8('tessera/v1/signed-message\0'), m)) });
  t.throws(() => openControl(wrongLabel, session), { message: /signature does not verify/ });
  const rightLabel = encodeCanonical({ m, s: coordinator.sign(concat(CONTROL_LABEL, m)) });
  t.like(openControl(rightLabel, session), { type: 'session-end', round: 1 });
  void sealMessage;
});

test('malformed control messages name what is wrong', (t) => {
  const seal = (msg: Record<string, unknown>): Uint8Array => {
    const m = encodeCanonical(msg as never);
    return encodeCanonical({ m, s: coordinator.sign(concat(CONTROL_LABEL, m)) });
  };
  t.throws(() => openControl(seal({ v: 1, type: 'round-start', session: session.digest, round: 0, participants: [2, 1] }), session), { message: /strictly ascending/ });
  t.throws(() => openControl(seal({ v: 1, type: 'round-start', session: session.digest, round: 0, participants: [5] }), session), { message: /not a member index/ });
  t.throws(() => openControl(seal({ v: 1, type: 'round-start', session: new Uint8Array(32), round: 0, participants: [] }), session), { message: /another session/ });
  t.throws(() => openControl(seal({ v: 2, type: 'session-end', session: session.digest, round: 0 }), session), { message: /version 2/ });
  t.throws(() => openControl(seal({ v: 1, type: 'reboot', session: session.digest, round: 0 }), session), { message: /unknown type 'reboot'/ });
  t.throws(() => openControl(seal({ v: 1, type: 'session-end', session: session.digest, round: 0, x: 1 }), session), { message: /unknown field 'x'/ });
  t.throws(() => openControl(Uint8Array.of(1, 2, 3), session), { instanceOf: NodeError });
});

test('frames: tag byte plus payload; unknown tags and empty frames are violations', (t) => {
  t.deepEqual(frame(FrameTag.SECAGG, Uint8Array.of(9, 9)), Uint8Array.of(1, 9, 9));
  t.throws(() => unframe(Uint8Array.of(3, 1)), { message: 'unknown frame tag 0x03' });
  t.throws(() => unframe(Uint8Array.of(1)), { message: 'frame of 1 bytes is too short' });
});
