/**
 * A malicious or confused server, and malicious bytes sent to the server. Clients are driven by hand
 * (Harness) with a real SecAggServer for the honest stages; the test then forges server messages with
 * the server's own key and checks every refusal: its exact code, and that the client either aborts
 * (fatal: a server-signed message that breaks the protocol) or changes nothing (non-fatal: bytes the
 * server did not sign, or that belong to another round, session or stage).
 */
import test, { type ExecutionContext } from 'ava';
import { encodeCanonical, generateIdentity, seededRandom, type Identity } from '@tessera/crypto';
import {
  ErrorCodes, SecAggClient, decodeEnvelope, maxMessageBytes, roundGraph, sealMessage, type AdvertiseRelay, type ErrorCode, type Message,
  type Share, type ShareRelay, type Unmask, type UnmaskRequest,
} from '../src/index.js';
import { Harness } from './harness.js';
import { allMembers, catchSecAgg, fixture, flip, messageOf, plainSum, type Fixture } from './helpers.js';

const identityOf = (f: Fixture, u: number): Identity => f.memberIdentities[u - 1]!;

/** The envelope with one bit of its signature flipped (the message bytes untouched). */
function flipSignature(bytes: Uint8Array, session: Fixture['session']): Uint8Array {
  const env = decodeEnvelope(bytes, maxMessageBytes(session));
  return encodeCanonical({ m: env.m, s: flip(env.s, 7) });
}

/** Member u refuses `bytes` fatally with `code`: it aborts, returns nothing, reveals nothing, and refuses all later input. */
function expectAbort(t: ExecutionContext, h: Harness, u: number, bytes: Uint8Array, code: ErrorCode, what: string): void {
  const revealedBefore = h.client(u).revealed;
  const e = catchSecAgg(() => h.toClient(u, bytes));
  t.is(e.code, code, `${what}: ${e.message}`);
  t.true(e.fatal, `${what}: fatal`);
  t.is(h.client(u).stage, 'aborted', what);
  t.is(h.client(u).abortReason, e, what);
  t.is(h.client(u).revealed, revealedBefore, `${what}: nothing more revealed`);
  t.is(catchSecAgg(() => h.toClient(u, bytes)).code, ErrorCodes.ABORTED, `${what}: later input refused`);
}

/** Member u refuses `bytes` non-fatally with `code` and its stage does not change. */
function expectRefusal(t: ExecutionContext, h: Harness, u: number, bytes: Uint8Array, code: ErrorCode, what: string): void {
  const stage = h.client(u).stage;
  const e = catchSecAgg(() => h.toClient(u, bytes));
  t.is(e.code, code, `${what}: ${e.message}`);
  t.false(e.fatal, `${what}: not fatal`);
  t.is(h.client(u).stage, stage, `${what}: stage unchanged`);
  t.is(h.client(u).abortReason, undefined, what);
}

/** Drives the round honestly to its end and checks the sum over the survivors. */
function finish(t: ExecutionContext, h: Harness, members?: readonly number[]): void {
  while (h.server.stage !== 'done') h.step(members);
  const r = h.server.result!;
  t.deepEqual(r.sum, plainSum(h.f.inputs, r.survivors, h.session.bits, h.session.vectorLength), `sum of ${h.f.seed}`);
}

/** A harness whose members have all signed the survivor set (server in stage 'consistency', unmask requests not yet sent). */
function signedHarness(seed: string, n = 5, threshold = 3): Harness {
  const h = new Harness(fixture(seed, { n, threshold }));
  h.advertise();
  h.step(); // advertise-relay → shares
  h.step(); // share-relay → masked inputs
  h.step(); // consistency-request → consistency signatures
  return h;
}

// ---------------------------------------------------------------------------------------------------
// (a) both shares of one member requested

test('(a) an unmask request listing a member both as survivor and dropped aborts with ERR_BOTH_SHARES_REQUESTED (seed mal/a)', (t) => {
  const h = signedHarness('mal/a');
  const all = allMembers(5);
  const sigs = [2, 3, 4, 5].map((v) => h.lastSent(v, 'consistency'));
  expectAbort(t, h, 1, h.unmaskRequest(1, all, [2], sigs), ErrorCodes.BOTH_SHARES_REQUESTED, 'member 2 in survivors and dropped');
  t.is(h.allSent(1, 'unmask').length, 0, 'no unmask sent');
  t.is(h.client(1).revealed, undefined);
  // A request whose dropped list holds a survivor that is not even the requester's neighbour set issue is caught the same way.
  expectAbort(t, h, 2, h.unmaskRequest(2, all, all.filter((v) => v !== 2), [1, 3, 4, 5].map((v) => h.lastSent(v, 'consistency'))),
    ErrorCodes.BOTH_SHARES_REQUESTED, 'everyone else in both lists');
});

// ---------------------------------------------------------------------------------------------------
// (b), (c) survivor sets that differ

test('(b) different U3 to different clients: a signature on another survivor set aborts with ERR_SURVIVOR_SET_MISMATCH (seed mal/b)', (t) => {
  const h = new Harness(fixture('mal/b', { n: 5, threshold: 3 }));
  h.advertise();
  h.step();
  h.step();
  h.close(); // the honest consistency requests are withheld
  const s1 = [1, 2, 3, 4, 5];
  const s2 = [1, 2, 3, 4];
  const signed = new Map<number, Uint8Array>();
  for (const u of [1, 3, 4]) signed.set(u, h.toClient(u, h.consistencyRequest(u, s1))[0]!);
  signed.set(2, h.toClient(2, h.consistencyRequest(2, s2))[0]!);
  t.is(h.client(2).stage, 'signed');
  // A receives B's signature on S2 among signatures on S1.
  const req = h.unmaskRequest(1, s1, [], [signed.get(2)!, signed.get(3)!, signed.get(4)!]);
  expectAbort(t, h, 1, req, ErrorCodes.SURVIVOR_SET_MISMATCH, 'signature of member 2 on S2');
  t.is(h.allSent(1, 'unmask').length, 0);
  // B, asked with S2 (and 5 dropped) but shown A's signature on S1, refuses too.
  const reqB = h.unmaskRequest(2, s2, [5], [signed.get(3)!, signed.get(4)!]);
  expectAbort(t, h, 2, reqB, ErrorCodes.SURVIVOR_SET_MISMATCH, 'signatures of 3 and 4 on S1');
  t.is(h.client(2).revealed, undefined, 'B revealed nothing: in particular not its share of s_sk_5');
});

test('(c) an unmask request whose survivors differ from the consistency request aborts with ERR_SURVIVOR_SET_MISMATCH (seed mal/c)', (t) => {
  const h = signedHarness('mal/c');
  const sigs = [2, 3, 4].map((v) => h.lastSent(v, 'consistency'));
  expectAbort(t, h, 1, h.unmaskRequest(1, [1, 2, 3, 4], [5], sigs), ErrorCodes.SURVIVOR_SET_MISMATCH, 'member 5 moved to dropped');
  // Adding a member is as bad as removing one; listing the requester as dropped too.
  const h2 = signedHarness('mal/c2', 6, 3);
  h2.server.closeStage(); // honest requests withheld
  const sigs2 = [2, 3, 4].map((v) => h2.lastSent(v, 'consistency'));
  expectAbort(t, h2, 1, h2.unmaskRequest(1, [1, 2, 3, 4, 5], [6], sigs2), ErrorCodes.SURVIVOR_SET_MISMATCH, 'survivor 6 removed');
  // Listing the requester itself as dropped (and so omitting it from the survivors) is refused the same way.
  const sigs3 = [3, 4, 5].map((v) => h2.lastSent(v, 'consistency'));
  expectAbort(t, h2, 2, h2.unmaskRequest(2, [1, 3, 4, 5, 6], [2], sigs3), ErrorCodes.SURVIVOR_SET_MISMATCH, 'the requester listed as dropped');
  t.is(h2.client(2).revealed, undefined);
});

// ---------------------------------------------------------------------------------------------------
// (d) forged signatures

test('(d) server messages signed by any other key are refused without a state change at every stage, and the round still completes (seed mal/d1)', (t) => {
  const f = fixture('mal/d1', { n: 5, threshold: 3 });
  const h = new Harness(f);
  const impostor = generateIdentity(seededRandom('mal/d1/impostor'));
  h.advertise();
  let stages = 0;
  while (h.server.stage !== 'unmask') {
    const out = h.close();
    for (const [u, bytes] of out) {
      const m = messageOf(bytes, f.session);
      expectRefusal(t, h, u, sealMessage(m, impostor), ErrorCodes.BAD_SIGNATURE, `${m.type} signed by an outsider`);
      expectRefusal(t, h, u, sealMessage(m, identityOf(f, u)), ErrorCodes.BAD_SIGNATURE, `${m.type} signed by its recipient`);
      expectRefusal(t, h, u, sealMessage(m, identityOf(f, (u % 5) + 1)), ErrorCodes.BAD_SIGNATURE, `${m.type} signed by another member`);
      expectRefusal(t, h, u, flipSignature(bytes, f.session), ErrorCodes.BAD_SIGNATURE, `${m.type} with a flipped signature bit`);
      // The same message claiming to come from a member is not a server message at all.
      expectRefusal(t, h, u, sealMessage({ ...m, from: (u % 5) + 1 } as Message, identityOf(f, (u % 5) + 1)), ErrorCodes.NOT_MEMBER, `${m.type} from a member`);
    }
    h.deliver(out);
    stages++;
  }
  t.is(stages, 4);
  finish(t, h);
  t.deepEqual(h.server.result!.survivors, allMembers(5));
});

test('(d) a relayed advertise or share whose own signature is bad aborts the client (seed mal/d2)', (t) => {
  const f = fixture('mal/d2', { n: 5, threshold: 3 });
  const h = new Harness(f);
  h.advertise();
  const adv = h.close();
  const relay1 = messageOf(adv.get(1)!, f.session) as AdvertiseRelay;
  // Member 2's advertise with a flipped signature bit, in a relay the server did sign.
  const items = relay1.items.map((it) => ((messageOf(it, f.session).from === 2) ? flipSignature(it, f.session) : it));
  expectAbort(t, h, 1, h.forge({ ...relay1, items }), ErrorCodes.BAD_SIGNATURE, 'advertise of 2 with a bad signature');
  // Member 3 signs keys in member 2's name.
  const m2 = messageOf(relay1.items.find((it) => messageOf(it, f.session).from === 2)!, f.session);
  const items3 = relay1.items.map((it) => (messageOf(it, f.session).from === 2 ? sealMessage(m2, identityOf(f, 3)) : it));
  const relay2 = messageOf(adv.get(2)!, f.session) as AdvertiseRelay;
  t.is(relay2.to, 2);
  expectAbort(t, h, 4, h.forge({ ...(messageOf(adv.get(4)!, f.session) as AdvertiseRelay), items: items3.filter((it) => messageOf(it, f.session).from !== 4) }),
    ErrorCodes.BAD_SIGNATURE, 'advertise of 2 signed by 3');
  // Shares: members 2, 3, 5 proceed; 5's share relay carries 2's share with a bad signature.
  h.deliver(adv, [2, 3, 5]);
  const shares = h.close();
  const relay5 = messageOf(shares.get(5)!, f.session) as ShareRelay;
  const bad = relay5.items.map((it) => (messageOf(it, f.session).from === 2 ? flipSignature(it, f.session) : it));
  expectAbort(t, h, 5, h.forge({ ...relay5, items: bad }), ErrorCodes.BAD_SIGNATURE, 'share of 2 with a bad signature');
});

test('(d) a consistency signature with a flipped byte aborts with ERR_BAD_SIGNATURE; fewer than t with ERR_BELOW_THRESHOLD (seed mal/d3)', (t) => {
  const h = signedHarness('mal/d3');
  const all = allMembers(5);
  const sigs = [2, 3, 4, 5].map((v) => h.lastSent(v, 'consistency'));
  expectAbort(t, h, 1, h.unmaskRequest(1, all, [], [flipSignature(sigs[0]!, h.session), ...sigs.slice(1)]), ErrorCodes.BAD_SIGNATURE, 'flipped signature byte');
  // Member 3's signature re-signed by member 4 (same content, wrong key).
  const c3 = messageOf(h.lastSent(3, 'consistency'), h.session);
  expectAbort(t, h, 2, h.unmaskRequest(2, all, [], [sealMessage(c3, identityOf(h.f, 4)), h.lastSent(4, 'consistency')]), ErrorCodes.BAD_SIGNATURE, 'signature by the wrong key');
  // t = 3: the requester and one neighbour are not enough.
  expectAbort(t, h, 3, h.unmaskRequest(3, all, [], [h.lastSent(4, 'consistency')]), ErrorCodes.BELOW_THRESHOLD, 'two signatures counting its own');
  expectAbort(t, h, 4, h.unmaskRequest(4, all, [], []), ErrorCodes.BELOW_THRESHOLD, 'no signatures');
  // The same signature twice does not count twice.
  const s5 = h.lastSent(2, 'consistency');
  expectAbort(t, h, 5, h.unmaskRequest(5, all, [], [s5, s5]), ErrorCodes.DUPLICATE, 'one signature repeated');
});

test('(d) with exactly t signatures counting its own, a client does unmask (control, seed mal/d4)', (t) => {
  const h = signedHarness('mal/d4');
  const out = h.toClient(1, h.unmaskRequest(1, allMembers(5), [], [h.lastSent(2, 'consistency'), h.lastSent(3, 'consistency')]));
  t.is(out.length, 1);
  t.is(h.client(1).stage, 'done');
  t.deepEqual(h.client(1).revealed, { selfMaskOf: [2, 3, 4, 5], maskKeyOf: [] });
});

// ---------------------------------------------------------------------------------------------------
// (e) replays

/** Two harnesses advanced in lockstep; before each genuine server message of `b`, `a`'s message for the same member is replayed to it. */
function replayLockstep(t: ExecutionContext, a: Harness, b: Harness, code: ErrorCode): void {
  a.advertise();
  b.advertise();
  // Server side: a's member envelopes are refused by b's server too.
  for (const u of allMembers(b.n)) {
    const e = catchSecAgg(() => b.server.receive(a.lastSent(u, 'advertise')));
    t.is(e.code, code === ErrorCodes.WRONG_ROUND ? ErrorCodes.WRONG_ROUND : ErrorCodes.WRONG_SESSION, e.message);
  }
  while (b.server.stage !== 'unmask') {
    const outA = a.close();
    const outB = b.close();
    for (const [u, bytes] of outA) expectRefusal(t, b, u, bytes, code, `${messageOf(bytes, a.session).type} replayed to member ${u}`);
    a.deliver(outA);
    b.deliver(outB);
  }
  finish(t, a);
  finish(t, b);
}

test('(e) a genuine server message of round r delivered in round r + 1 is refused with ERR_WRONG_ROUND (seed mal/e1)', (t) => {
  const f = fixture('mal/e1', { n: 5, threshold: 3 });
  replayLockstep(t, new Harness(f, 41), new Harness(f, 42), ErrorCodes.WRONG_ROUND);
});

test('(e) a genuine server message of another session with the same keys is refused with ERR_WRONG_SESSION (seed mal/e2)', (t) => {
  const f = fixture('mal/e2', { n: 5, threshold: 3 });
  const g = fixture('mal/e2/other', { n: 5, threshold: 3, identities: { server: f.serverIdentity, members: f.memberIdentities } });
  t.notDeepEqual(g.session.digest, f.session.digest);
  replayLockstep(t, new Harness(g, 0), new Harness(f, 0), ErrorCodes.WRONG_SESSION);
});

test('(e) messages out of stage order: a second unmask request after done, and any message ahead of its stage (seed mal/e3)', (t) => {
  const f = fixture('mal/e3', { n: 5, threshold: 3 });
  const h = new Harness(f);
  h.advertise();
  const adv = h.close();
  h.deliver(adv);
  const shares = h.close();
  // A consistency request before the masked input was sent.
  expectRefusal(t, h, 1, h.consistencyRequest(1, allMembers(5)), ErrorCodes.STAGE_ORDER, 'consistency request in stage shared');
  // The advertise relay again.
  expectRefusal(t, h, 1, adv.get(1)!, ErrorCodes.STAGE_ORDER, 'advertise relay twice');
  h.deliver(shares);
  const cons = h.close();
  h.deliver(cons);
  const unmask = h.close();
  h.deliver(unmask);
  h.close();
  t.is(h.server.stage, 'done');
  for (const u of allMembers(5)) {
    t.is(h.client(u).stage, 'done');
    expectRefusal(t, h, u, unmask.get(u)!, ErrorCodes.STAGE_ORDER, `second unmask request to ${u}`);
  }
  // Addressed to someone else: refused without a state change.
  const fresh = new Harness(fixture('mal/e3', { n: 5, threshold: 3 }));
  fresh.advertise();
  const adv2 = fresh.close();
  expectRefusal(t, fresh, 1, adv2.get(2)!, ErrorCodes.WRONG_RECIPIENT, 'member 2\'s relay given to member 1');
  fresh.deliver(adv2);
  finish(t, fresh);
});

test('(e) a relayed item of another round aborts the client with ERR_WRONG_ROUND (seed mal/e4)', (t) => {
  const f = fixture('mal/e4', { n: 5, threshold: 3 });
  const old = new Harness(f, 3);
  const cur = new Harness(f, 4);
  old.advertise();
  cur.advertise();
  const relay = messageOf(cur.close().get(1)!, f.session) as AdvertiseRelay;
  const items = relay.items.map((it) => (messageOf(it, f.session).from === 2 ? old.lastSent(2, 'advertise') : it));
  expectAbort(t, cur, 1, cur.forge({ ...relay, items }), ErrorCodes.WRONG_ROUND, 'member 2\'s advertise of round 3');
});

// ---------------------------------------------------------------------------------------------------
// (f) tampered or misdirected shares

/** A harness whose shares are at the server; returns it with the genuine share relays (not delivered). */
function sharedHarness(seed: string): { h: Harness; relays: Map<number, Uint8Array> } {
  const h = new Harness(fixture(seed, { n: 5, threshold: 3 }));
  h.advertise();
  h.step();
  return { h, relays: h.close() };
}
const shareFromTo = (h: Harness, from: number, to: number): Uint8Array =>
  h.allSent(from, 'share').find((e) => (messageOf(e, h.session) as Share).to === to)!;

test('(f) a share whose ciphertext was altered and re-signed by its sender aborts with ERR_DECRYPT (seed mal/f1)', (t) => {
  const { h, relays } = sharedHarness('mal/f1');
  const genuine = messageOf(relays.get(1)!, h.session) as ShareRelay;
  t.deepEqual(genuine.items, [2, 3, 4, 5].map((v) => shareFromTo(h, v, 1)), 'the relay carries exactly the neighbours\' shares');
  const s2 = messageOf(shareFromTo(h, 2, 1), h.session) as Share;
  const tampered = sealMessage({ ...s2, ct: flip(s2.ct, 17) }, identityOf(h.f, 2));
  const items = genuine.items.map((it) => (messageOf(it, h.session).from === 2 ? tampered : it));
  expectAbort(t, h, 1, h.forge({ ...genuine, items }), ErrorCodes.DECRYPT, 'flipped ciphertext byte');
  // The tag itself, and the nonce.
  const g3 = messageOf(relays.get(3)!, h.session) as ShareRelay;
  const s4 = messageOf(shareFromTo(h, 4, 3), h.session) as Share;
  const tagFlip = sealMessage({ ...s4, ct: flip(s4.ct, s4.ct.length - 1) }, identityOf(h.f, 4));
  expectAbort(t, h, 3, h.forge({ ...g3, items: g3.items.map((it) => (messageOf(it, h.session).from === 4 ? tagFlip : it)) }), ErrorCodes.DECRYPT, 'flipped tag byte');
  const g5 = messageOf(relays.get(5)!, h.session) as ShareRelay;
  const s2to5 = messageOf(shareFromTo(h, 2, 5), h.session) as Share;
  const nonceFlip = sealMessage({ ...s2to5, nonce: flip(s2to5.nonce, 0) }, identityOf(h.f, 2));
  expectAbort(t, h, 5, h.forge({ ...g5, items: g5.items.map((it) => (messageOf(it, h.session).from === 2 ? nonceFlip : it)) }), ErrorCodes.DECRYPT, 'flipped nonce byte');
});

test('(f) a share re-addressed to another recipient is caught: ERR_DECRYPT if re-signed, ERR_WRONG_RECIPIENT if not (seed mal/f2)', (t) => {
  const { h, relays } = sharedHarness('mal/f2');
  const g1 = messageOf(relays.get(1)!, h.session) as ShareRelay;
  // Member 2's shares for member 3, re-addressed to member 1 and re-signed by member 2.
  const s2to3 = messageOf(shareFromTo(h, 2, 3), h.session) as Share;
  const readdressed = sealMessage({ ...s2to3, to: 1 }, identityOf(h.f, 2));
  expectAbort(t, h, 1, h.forge({ ...g1, items: g1.items.map((it) => (messageOf(it, h.session).from === 2 ? readdressed : it)) }), ErrorCodes.DECRYPT, 're-addressed share');
  // The same shares, untouched, relayed to member 4.
  const g4 = messageOf(relays.get(4)!, h.session) as ShareRelay;
  const misdirected = g4.items.map((it) => (messageOf(it, h.session).from === 2 ? shareFromTo(h, 2, 3) : it));
  expectAbort(t, h, 4, h.forge({ ...g4, items: misdirected }), ErrorCodes.WRONG_RECIPIENT, 'share for 3 relayed to 4');
  // A relay that carries one member's shares twice, or an advertise where a share belongs.
  const g5 = messageOf(relays.get(5)!, h.session) as ShareRelay;
  expectAbort(t, h, 5, h.forge({ ...g5, items: [...g5.items.slice(0, 3), g5.items[0]!] }), ErrorCodes.DUPLICATE, 'same share twice');
  const g3 = messageOf(relays.get(3)!, h.session) as ShareRelay;
  expectAbort(t, h, 3, h.forge({ ...g3, items: [...g3.items.slice(1), h.lastSent(1, 'advertise')] }), ErrorCodes.MALFORMED, 'an advertise in a share relay');
});

// ---------------------------------------------------------------------------------------------------
// (g) consistency requests that contradict what the client saw

test('(g) a consistency request omitting the client, or listing a neighbour that never completed ShareKeys, aborts with ERR_SURVIVOR_SET_MISMATCH (seed mal/g)', (t) => {
  const h = new Harness(fixture('mal/g', { n: 6, threshold: 3 }));
  h.advertise();
  h.step([1, 2, 3, 4, 5]); // member 6 drops before ShareKeys
  t.deepEqual(h.server.sets.u1, allMembers(6));
  h.step();
  t.deepEqual(h.server.sets.u2, [1, 2, 3, 4, 5]);
  h.close(); // honest consistency requests withheld
  expectAbort(t, h, 1, h.consistencyRequest(1, [2, 3, 4, 5]), ErrorCodes.SURVIVOR_SET_MISMATCH, 'survivors omit the client');
  expectAbort(t, h, 2, h.consistencyRequest(2, allMembers(6)), ErrorCodes.SURVIVOR_SET_MISMATCH, 'survivors list member 6');
  t.is(h.allSent(2, 'consistency').length, 0);
  expectAbort(t, h, 3, h.consistencyRequest(3, [3, 4]), ErrorCodes.BELOW_THRESHOLD, 'two survivors, t = 3');
  // Control: the genuine survivor set is signed.
  t.is(h.toClient(4, h.consistencyRequest(4, [1, 2, 3, 4, 5])).length, 1);
  t.is(h.client(4).stage, 'signed');
});

// ---------------------------------------------------------------------------------------------------
// The server's own refusals

/** The server refuses `bytes` with `code`, non-fatally, and nothing observable changes. */
function expectServerRefusal(t: ExecutionContext, h: Harness, bytes: Uint8Array, code: ErrorCode, what: string): void {
  const before = JSON.stringify({ stage: h.server.stage, awaiting: h.server.awaiting(), sets: h.server.sets });
  const e = catchSecAgg(() => h.server.receive(bytes));
  t.is(e.code, code, `${what}: ${e.message}`);
  t.false(e.fatal, what);
  t.is(JSON.stringify({ stage: h.server.stage, awaiting: h.server.awaiting(), sets: h.server.sets }), before, `${what}: state unchanged`);
  t.is(h.server.abortReason, undefined);
}

test('the server refuses garbage, forgeries, replays, duplicates, wrong stages and out-of-graph shares, and the round still completes (seed mal/server)', (t) => {
  const f = fixture('mal/server', { n: 7, threshold: 2, graph: { kind: 'sparse', degree: 4 }, bits: 11, vectorLength: 9 });
  const h = new Harness(f, 5);
  const graph = roundGraph(f.session, 5);
  const nonNeighbour = (u: number): number => allMembers(7).find((v) => v !== u && !graph.isNeighbour(u, v))!;
  const s = f.session;

  // Stage advertise.
  expectServerRefusal(t, h, new Uint8Array([0xde, 0xad, 0xbe, 0xef]), ErrorCodes.MALFORMED, 'garbage bytes');
  expectServerRefusal(t, h, new Uint8Array(0), ErrorCodes.MALFORMED, 'no bytes');
  const adv1 = h.client(1).start();
  expectServerRefusal(t, h, flipSignature(adv1[0]!, s), ErrorCodes.BAD_SIGNATURE, 'advertise with a flipped signature bit');
  expectServerRefusal(t, h, sealMessage(messageOf(adv1[0]!, s), identityOf(f, 2)), ErrorCodes.BAD_SIGNATURE, 'member 1\'s advertise signed by member 2');
  const otherRound = new SecAggClient({ session: s, round: 6, index: 1, identity: identityOf(f, 1), input: f.inputs[0]!, rng: f.rngFor(1) });
  expectServerRefusal(t, h, otherRound.start()[0]!, ErrorCodes.WRONG_ROUND, 'member 1\'s advertise of round 6');
  const masked: Message = { v: 1, type: 'masked', session: s.digest, round: 5, from: 1, data: new Uint8Array(Math.ceil((9 * 11) / 8)) };
  expectServerRefusal(t, h, sealMessage(masked, identityOf(f, 1)), ErrorCodes.STAGE_ORDER, 'a masked input in stage advertise');
  expectServerRefusal(t, h, h.forge({ ...h.header('consistency-request'), to: 1, survivors: [1] }), ErrorCodes.NOT_MEMBER, 'a server message sent to the server');
  h.server.receive(adv1[0]!);
  expectServerRefusal(t, h, adv1[0]!, ErrorCodes.DUPLICATE, 'advertise twice');
  h.advertise(allMembers(7).slice(1));
  // The harness did not record member 1's start(): keep its state machine in step by hand.
  const advOut = h.close();

  // Stage share.
  expectServerRefusal(t, h, h.lastSent(2, 'advertise'), ErrorCodes.STAGE_ORDER, 'an advertise in stage share');
  const shares1 = h.toClient(1, advOut.get(1)!);
  const first = messageOf(shares1[0]!, s) as Share;
  const w = nonNeighbour(1);
  expectServerRefusal(t, h, sealMessage({ ...first, to: w }, identityOf(f, 1)), ErrorCodes.NOT_NEIGHBOUR, `a share addressed to non-neighbour ${w}`);
  h.toServer(shares1);
  expectServerRefusal(t, h, shares1[0]!, ErrorCodes.DUPLICATE, 'a share twice');
  expectServerRefusal(t, h, sealMessage({ ...first, to: graph.neighbours(1)[1]!, commit: flip(first.commit, 0) }, identityOf(f, 1)), ErrorCodes.DUPLICATE, 'a second share to a holder');
  h.deliver(advOut, allMembers(7).slice(1));

  // Stage masked.
  const shareOut = h.close();
  expectServerRefusal(t, h, shares1[1]!, ErrorCodes.STAGE_ORDER, 'a share in stage masked');
  h.deliver(shareOut);
  const m1 = h.lastSent(1, 'masked');
  expectServerRefusal(t, h, m1, ErrorCodes.DUPLICATE, 'a masked input twice');

  // Stage consistency.
  const consOut = h.close();
  h.deliver(consOut);
  expectServerRefusal(t, h, h.lastSent(3, 'consistency'), ErrorCodes.DUPLICATE, 'a consistency signature twice');

  // Stage unmask: member 1 first tries to reveal a share of a non-neighbour.
  const unmaskOut = h.close();
  const reply = h.client(1).receive(unmaskOut.get(1)!);
  const u1 = messageOf(reply[0]!, s) as Unmask;
  const share33 = new Uint8Array(33).fill(1);
  const bogus: Unmask = { ...u1, selfMaskShares: [...u1.selfMaskShares, [w, share33] as const].sort((a, b) => a[0] - b[0]) };
  expectServerRefusal(t, h, sealMessage(bogus, identityOf(f, 1)), ErrorCodes.MALFORMED, `a self-mask share of non-neighbour ${w}`);
  const nb = graph.neighbours(1)[0]!;
  const wrongKind: Unmask = { ...u1, selfMaskShares: u1.selfMaskShares.filter(([v]) => v !== nb), maskKeyShares: [[nb, share33]] };
  expectServerRefusal(t, h, sealMessage(wrongKind, identityOf(f, 1)), ErrorCodes.MALFORMED, `a mask-key share of survivor ${nb}`);
  h.toServer(reply);
  expectServerRefusal(t, h, reply[0]!, ErrorCodes.DUPLICATE, 'an unmask twice');
  h.deliver(unmaskOut, allMembers(7).slice(1));
  h.close();
  t.is(h.server.stage, 'done');
  t.deepEqual(h.server.result!.survivors, allMembers(7));
  t.deepEqual(h.server.result!.sum, plainSum(f.inputs, allMembers(7), 11, 9));
  expectServerRefusal(t, h, reply[0]!, ErrorCodes.STAGE_ORDER, 'anything after done');
});

test('the server refuses an envelope whose type names an Object.prototype property with ERR_MALFORMED (seed mal/proto)', (t) => {
  // Unauthenticated bytes: decodeEnvelope → parseMessage runs before any signature check.
  const f = fixture('mal/proto', { n: 3, threshold: 2 });
  const h = new Harness(f);
  for (const type of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
    const m = encodeCanonical({ v: 1, type, session: f.session.digest, round: 0, from: 1 });
    const bytes = encodeCanonical({ m, s: new Uint8Array(64) });
    let error: unknown;
    try {
      h.server.receive(bytes);
    } catch (e) {
      error = e;
    }
    t.is((error as { code?: unknown }).code, ErrorCodes.MALFORMED, `type '${type}': got ${String(error)}`);
  }
  finishAfterAdvertise(t, h);
});

function finishAfterAdvertise(t: ExecutionContext, h: Harness): void {
  h.advertise();
  finish(t, h);
}

test('the server refuses a masked input with non-zero padding bits on receipt, so one member cannot wedge Unmasking (seed mal/padding)', (t) => {
  // bits = 3, d = 5: 15 bits in 2 bytes, so the top bit of the last byte is padding and must be zero (ring.ts).
  const f = fixture('mal/padding', { n: 3, threshold: 2, bits: 3, vectorLength: 5 });
  const h = new Harness(f);
  h.advertise();
  h.step();
  const out = h.close();
  const reply = h.toClient(1, out.get(1)!);
  const m = messageOf(reply[0]!, f.session);
  if (m.type !== 'masked') throw new Error('expected a masked input');
  const data = m.data.slice();
  data[data.length - 1]! |= 0x80;
  const padded = sealMessage({ ...m, data }, identityOf(f, 1));
  let refused: unknown;
  try {
    h.server.receive(padded);
  } catch (e) {
    refused = e;
  }
  if (refused === undefined) {
    // Show the consequence before failing: the honest members complete Unmasking (revealing their
    // shares), and then the server can neither produce a result nor abort.
    h.deliver(out, [2, 3]);
    h.step();
    h.step();
    const e = catchSecAgg(() => h.close());
    t.fail(`SecAggServer.receive accepted member 1's masked input with non-zero padding; closeStage() in Unmasking then throws ` +
      `${e.code} (fatal=${e.fatal}), leaving the server in stage '${h.server.stage}' with result=${String(h.server.result)} and abortReason=${String(h.server.abortReason)}`);
    return;
  }
  t.is((refused as { code?: unknown }).code, ErrorCodes.MALFORMED);
  t.is(h.server.stage, 'masked');
  h.toServer(reply);
  h.deliver(out, [2, 3]);
  finish(t, h);
});

test('unmask requests: only the kind of share matching the survivor set is revealed (seed mal/kinds)', (t) => {
  // Honest flow with member 5 dropping after ShareKeys: clients reveal b of survivors, s_sk of 5.
  const h = new Harness(fixture('mal/kinds', { n: 5, threshold: 3 }));
  h.advertise();
  h.step();
  h.step([1, 2, 3, 4]);
  h.step();
  const req = messageOf(h.close().get(1)!, h.session) as UnmaskRequest;
  t.deepEqual(req.survivors, [1, 2, 3, 4]);
  t.deepEqual(req.dropped, [5]);
  h.toServer(h.toClient(1, h.forge(req)));
  t.deepEqual(h.client(1).revealed, { selfMaskOf: [2, 3, 4], maskKeyOf: [5] });
});
