/**
 * The learning seam over the in-memory transport: the coordinator's signed per-round publication (the
 * state a round starts from), its size limits on both sides, onResult, and the dropAt fault.
 */
import test from 'ava';
import { concat, encodeCanonical } from '@tessera/crypto';
import type { RoundResult, Stage } from '@tessera/secagg';
import { CloseCodes, MemoryTransport, type CloseInfo, type Connection } from '@tessera/transport';
import {
  CONTROL_LABEL, Coordinator, MAX_CONTROL_BYTES, NodeError, NodeErrorCodes, Peer, openControl, sealControl, unframe,
  type CoordinatorEvent, type InputContext, type PeerEvent, type PeerFaults, type UpdateProvider,
} from '../src/index.js';
import { BITS, D, coordinator, inputOf, world as seededWorld, type World } from './world.js';

const world = (seed: string, n: number, threshold: number): World => seededWorld(`node-publish/${seed}`, n, threshold);

function plainSum(members: readonly number[], r: number): number[] {
  const out = new Array<number>(D).fill(0);
  for (const u of members) inputOf(u, r).forEach((x, i) => (out[i] = (out[i]! + x) % 2 ** BITS));
  return out;
}

/** A provider that records the context of every round it is asked for. */
function recording(u: number): { provider: UpdateProvider; seen: [number, Uint8Array | undefined][] } {
  const seen: [number, Uint8Array | undefined][] = [];
  return { seen, provider: { input: async (r: number, context?: InputContext) => (seen.push([r, context?.publication]), inputOf(u, r)) } };
}


function peer(w: World, u: number, address: string, extra: { provider?: UpdateProvider; faults?: PeerFaults; maxPublicationBytes?: number } = {}): { p: Peer; events: PeerEvent[] } {
  const p = new Peer({
    transport: new MemoryTransport(w.network), address, session: w.session, identity: w.members[u - 1]!, provider: extra.provider ?? { input: async (r) => inputOf(u, r) },
    reconnect: { initialMs: 20, maxMs: 100 }, limits: { heartbeatMs: 0 },
    ...(extra.faults ? { faults: extra.faults } : {}), ...(extra.maxPublicationBytes !== undefined ? { maxPublicationBytes: extra.maxPublicationBytes } : {}),
  });
  const events: PeerEvent[] = [];
  p.on('event', (e) => events.push(e));
  return { p, events };
}

const publicationOf = (r: number): Uint8Array | undefined => (r === 1 ? undefined : Uint8Array.from({ length: 40 + r }, (_, i) => (i * 13 + r) & 0xff));

test('4 members, 3 rounds: every provider sees exactly each round\'s publication; onResult gets the plaintext sums before round-end reaches peers', async (t) => {
  const w = world('seam', 4, 3);
  const log: string[] = [];
  const results: [number, RoundResult][] = [];
  const { c, events } = coordinator(w, 3, {
    maxPublicationBytes: 64,
    publish: async (r) => publicationOf(r),
    onResult: async (r, result) => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      log.push(`result ${r}`);
      results.push([r, result]);
    },
  });
  const address = await c.start();
  const members = [1, 2, 3, 4].map((u) => {
    const rec = recording(u);
    const { p, events: pe } = peer(w, u, address, { provider: rec.provider, maxPublicationBytes: 64 });
    p.on('round-end', (e) => void log.push(`peer ${u} end ${e.round}`));
    return { p, rec, pe };
  });
  const [summary] = await Promise.all([c.run(), ...members.map((m) => m.p.run())]);
  t.is(summary.completed, 3);
  for (const { rec, pe } of members) {
    t.deepEqual(rec.seen, [[0, publicationOf(0)], [1, undefined], [2, publicationOf(2)]]);
    t.deepEqual(pe.filter((e) => e.type === 'publication'), [{ type: 'publication', round: 0, bytes: 40 }, { type: 'publication', round: 2, bytes: 42 }]);
  }
  t.deepEqual(results.map(([r, res]) => [r, [...res.survivors], res.bits, Array.from(res.sum)]), [0, 1, 2].map((r) => [r, [1, 2, 3, 4], BITS, plainSum([1, 2, 3, 4], r)]));
  for (let r = 0; r < 3; r++) {
    const at = log.indexOf(`result ${r}`);
    t.true(at >= 0);
    for (let u = 1; u <= 4; u++) t.true(log.indexOf(`peer ${u} end ${r}`) > at, `round ${r}: onResult ran before round-end reached member ${u}`);
  }
  // Events carry the size only, and the publication goes out before the round-start.
  const pubs = events.filter((e) => e.type === 'publish');
  t.deepEqual(pubs, [{ type: 'publish', round: 0, bytes: 40 }, { type: 'publish', round: 2, bytes: 42 }]);
  for (const r of [0, 2]) t.true(events.findIndex((e) => e.type === 'publish' && e.round === r) < events.findIndex((e) => e.type === 'round-start' && e.round === r));
});

/** A fake coordinator: a raw listener that hands the test each connection. */
async function fakeCoordinator(t: { teardown(f: () => Promise<void>): void }, w: World): Promise<{ address: string; next: () => Promise<{ conn: Connection; frames: Uint8Array[]; closed: Promise<CloseInfo> }> }> {
  const listener = await new MemoryTransport(w.network).listen({ identity: w.coordinatorId, sessionId: w.session.digest, isAllowed: () => true, heartbeatMs: 0 });
  t.teardown(() => listener.close());
  const waiting: ((c: { conn: Connection; frames: Uint8Array[]; closed: Promise<CloseInfo> }) => void)[] = [];
  const ready: { conn: Connection; frames: Uint8Array[]; closed: Promise<CloseInfo> }[] = [];
  listener.onConnection((conn) => {
    const entry = { conn, frames: [] as Uint8Array[], closed: new Promise<CloseInfo>((resolve) => conn.onClose(resolve)) };
    conn.onMessage((f) => void entry.frames.push(f));
    const w = waiting.shift();
    if (w) w(entry);
    else ready.push(entry);
  });
  return { address: listener.address, next: () => new Promise((resolve) => (ready.length > 0 ? resolve(ready.shift()!) : waiting.push(resolve))) };
}

test('a peer cuts off a publication above its maxPublicationBytes, any publication when it accepts none, and one for a round already started', async (t) => {
  const w = world('peer-limits', 3, 2);
  const fake = await fakeCoordinator(t, w);
  const publish = (round: number, bytes: number): Uint8Array => sealControl({ v: 1, type: 'publish', session: w.session.digest, round, data: new Uint8Array(bytes).fill(7) }, w.coordinatorId);
  const start = (round: number): Uint8Array => sealControl({ v: 1, type: 'round-start', session: w.session.digest, round, participants: [1, 2, 3] }, w.coordinatorId);

  const rec = recording(1);
  const { p, events } = peer(w, 1, fake.address, { provider: rec.provider, maxPublicationBytes: 10 });
  const errors = (): string[] => events.flatMap((e) => (e.type === 'error' ? [e.message] : []));
  const running = p.run();
  // 11 bytes > 10: cut off, naming both sizes.
  const first = await fake.next();
  await first.conn.send(publish(0, 11));
  t.is((await first.closed).code, CloseCodes.PROTOCOL_VIOLATION);
  t.regex(errors()[0]!, /publication of 11 bytes exceeds maxPublicationBytes = 10/);
  // It redials; 10 bytes is accepted and given to the provider when round 0 starts.
  const second = await fake.next();
  await second.conn.send(publish(0, 10));
  await second.conn.send(start(0));
  while (second.frames.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
  t.deepEqual(rec.seen, [[0, new Uint8Array(10).fill(7)]]);
  t.like(events.find((e) => e.type === 'publication'), { round: 0, bytes: 10 });
  // A publication for round 0, which has already started: cut off.
  await second.conn.send(publish(0, 3));
  t.is((await second.closed).code, CloseCodes.PROTOCOL_VIOLATION);
  t.regex(errors().at(-1)!, /publication for round 0, which has already started/);
  p.stop();
  await running;

  // A peer that accepts no publications (the default): any publish, even an empty one, is a violation.
  const q = peer(w, 2, fake.address);
  const runningQ = q.p.run();
  const third = await fake.next();
  await third.conn.send(publish(0, 0));
  t.is((await third.closed).code, CloseCodes.PROTOCOL_VIOLATION);
  t.true(q.events.some((e) => e.type === 'error' && e.code === NodeErrorCodes.PROTOCOL_VIOLATION && /accepts none \(maxPublicationBytes is 0\)/.test(e.message)));
  q.p.stop();
  await runningQ;
});

test('a peer whose maxPublicationBytes needs a larger frame raises its transport limit, and refuses an explicit one too small', (t) => {
  const w = world('peer-payload', 3, 2);
  const make = (maxPublicationBytes: number, maxPayload?: number): Peer =>
    new Peer({ transport: new MemoryTransport(w.network), address: 'x', session: w.session, identity: w.members[0]!, provider: { input: async () => inputOf(1, 0) }, maxPublicationBytes, ...(maxPayload ? { limits: { maxPayload } } : {}) });
  t.notThrows(() => make(32 << 20));
  t.throws(() => make(1 << 20, 1 << 20), { instanceOf: RangeError, message: /maxPayload is 1048576 bytes/ });
  t.throws(() => make(-1), { instanceOf: RangeError, message: /maxPublicationBytes must be in \[0, 1073741824\], got -1/ });
  t.throws(() => make(1.5), { instanceOf: TypeError, message: /maxPublicationBytes must be an integer/ });
});

async function failingSession(w: World, extra: Partial<ConstructorParameters<typeof Coordinator>[0]>): Promise<{ error: unknown; coordinatorEvents: CoordinatorEvent[]; peerEvents: PeerEvent[][] }> {
  const { c, events } = coordinator(w, 2, extra);
  const address = await c.start();
  const peers = [1, 2, 3].map((u) => peer(w, u, address, { maxPublicationBytes: 1024 }));
  const runs = peers.map(({ p }) => p.run().catch(() => undefined));
  let error: unknown;
  try {
    await c.run();
  } catch (e) {
    error = e;
  }
  for (const { p } of peers) p.stop();
  await Promise.all(runs);
  return { error, coordinatorEvents: events, peerEvents: peers.map((x) => x.events) };
}

test('a publish callback returning more than maxPublicationBytes (or any bytes when it is 0) stops the session with a RangeError', async (t) => {
  const over = await failingSession(world('coord-over', 3, 2), { maxPublicationBytes: 16, publish: () => new Uint8Array(17) });
  t.true(over.error instanceof RangeError);
  t.is((over.error as Error).message, 'publish(0) returned 17 bytes, but maxPublicationBytes is 16; stopping the session');
  t.false(over.coordinatorEvents.some((e) => e.type === 'round-start' || e.type === 'publish'), 'nothing of the round went out');
  t.false(over.peerEvents.flat().some((e) => e.type === 'publication' || e.type === 'round-start'));
  const none = await failingSession(world('coord-zero', 3, 2), { publish: () => new Uint8Array(1) });
  t.true(none.error instanceof RangeError);
  t.regex((none.error as Error).message, /returned 1 bytes, but maxPublicationBytes is 0 \(no publications\)/);
  const wrongType = await failingSession(world('coord-type', 3, 2), { maxPublicationBytes: 16, publish: () => 'model' as unknown as Uint8Array });
  t.true(wrongType.error instanceof TypeError);
  t.throws(() => coordinator(world('coord-opt', 3, 2), 1, { maxPublicationBytes: 2 ** 31 }), { instanceOf: RangeError, message: /maxPublicationBytes must be in/ });
});

test('onResult throwing stops the session: run() rejects with its error, and round-end is never sent', async (t) => {
  const boom = new Error('model update failed');
  const s = await failingSession(world('on-result', 3, 2), { onResult: () => Promise.reject(boom) });
  t.is(s.error, boom);
  t.false(s.coordinatorEvents.some((e) => e.type === 'round-end'));
  t.false(s.peerEvents.flat().some((e) => e.type === 'round-end'));
  t.true(s.peerEvents.every((events) => events.some((e) => e.type === 'stage' && e.stage === 'unmask')), 'the round itself completed');
});

test('openControl: publish round-trips within the limit; oversize, wrong field types and unknown fields are violations', (t) => {
  const w = world('open', 4, 2);
  const data = Uint8Array.from({ length: 100 }, (_, i) => i);
  const sealed = unframe(sealControl({ v: 1, type: 'publish', session: w.session.digest, round: 5, data }, w.coordinatorId)).payload;
  t.deepEqual(openControl(sealed, w.session, 100), { v: 1, type: 'publish', session: w.session.digest, round: 5, data });
  t.throws(() => openControl(sealed, w.session, 99), { instanceOf: NodeError, message: 'control message: a publication of 100 bytes exceeds maxPublicationBytes = 99' });
  t.throws(() => openControl(sealed, w.session), { instanceOf: NodeError, message: /publication of 100 bytes, but this side accepts none/ });
  t.throws(() => openControl(sealed, w.session, -1), { instanceOf: RangeError });
  const seal = (msg: Record<string, unknown>): Uint8Array => {
    const m = encodeCanonical(msg as never);
    return encodeCanonical({ m, s: w.coordinatorId.sign(concat(CONTROL_LABEL, m)) });
  };
  const base = { v: 1, type: 'publish', session: w.session.digest, round: 1 };
  t.throws(() => openControl(seal({ ...base, data: 'model' }), w.session, 100), { message: /field 'data' must be a byte string/ });
  t.throws(() => openControl(seal({ ...base, data: [1, 2] }), w.session, 100), { message: /field 'data' must be a byte string/ });
  t.throws(() => openControl(seal({ ...base }), w.session, 100), { message: /lacks field 'data'/ });
  t.throws(() => openControl(seal({ ...base, data: data, extra: 1 }), w.session, 100), { message: /unknown field 'extra'/ });
  t.throws(() => openControl(seal({ ...base, round: -1, data }), w.session, 100), { message: /field 'round' must be an integer/ });
  // An envelope above MAX_CONTROL_BYTES + maxPublicationBytes is refused before its signature is checked.
  const huge = seal({ ...base, data: new Uint8Array(MAX_CONTROL_BYTES + 200) });
  t.throws(() => openControl(huge, w.session, 100), { instanceOf: NodeError, message: /envelope: .*limit/ });
  t.is((openControl(huge, w.session, MAX_CONTROL_BYTES + 200) as { data: Uint8Array }).data.length, MAX_CONTROL_BYTES + 200);
});

const dropMacro = test.macro(async (t, stage: Stage) => {
  const w = world(`drop-${stage}`, 4, 2);
  const sums = new Map<number, number[]>();
  const { c } = coordinator(w, 3, { onResult: (r, res) => void sums.set(r, Array.from(res.sum)) });
  const address = await c.start();
  const peers = [1, 2, 3, 4].map((u) => peer(w, u, address, u === 2 ? { faults: { dropAt: [{ round: 1, stage }] } } : {}));
  const [summary, ...peerSummaries] = await Promise.all([c.run(), ...peers.map(({ p }) => p.run())]);
  t.is(summary.completed, 3);
  const [r0, r1, r2] = summary.rounds;
  t.true(r0!.survivors.includes(2));
  t.true(r1!.participants.includes(2));
  t.deepEqual(r1!.survivors, [1, 3, 4]);
  t.true(r2!.survivors.includes(2));
  t.deepEqual(sums.get(1), plainSum([1, 3, 4], 1));
  t.deepEqual(sums.get(0), plainSum([1, 2, 3, 4], 0));
  t.deepEqual(sums.get(2), plainSum([1, 2, 3, 4], 2));
  t.deepEqual(peerSummaries[1]!.rounds.map((r) => [r.round, r.included, r.code]), [[0, true, undefined], [1, false, 'ERR_FAULT_DROPOUT'], [2, true, undefined]]);
  const dropper = peers[1]!.events;
  t.like(dropper.find((e) => e.type === 'disconnected'), { closeCode: CloseCodes.GOING_AWAY, reason: `fault: dropout at ${stage}` });
  t.false(dropper.some((e) => e.type === 'stage' && e.round === 1 && e.stage === stage), `nothing of ${stage} was sent in round 1`);
});
test('dropAt masked: the peer drops round 1 (not a survivor) and takes part in rounds 0 and 2', dropMacro, 'masked');
test('dropAt advertise: the peer drops round 1 (not a survivor) and takes part in rounds 0 and 2', dropMacro, 'advertise');

test('faults.dropAt is validated like killAfter', (t) => {
  const w = world('drop-validate', 3, 2);
  const make = (dropAt: unknown): Peer =>
    new Peer({ transport: new MemoryTransport(w.network), address: 'x', session: w.session, identity: w.members[0]!, provider: { input: async () => inputOf(1, 0) }, faults: { dropAt: dropAt as PeerFaults['dropAt'] } });
  t.notThrows(() => make([]));
  t.notThrows(() => make([{ round: 0, stage: 'share' }, { round: 3, stage: 'unmask' }]));
  for (const bad of [{ round: 1, stage: 'masked' }, [{ round: -1, stage: 'masked' }], [{ round: 1, stage: 'sum' }], [null], [{ round: 1.5, stage: 'share' }]])
    t.throws(() => make(bad), { instanceOf: RangeError, message: /faults\.dropAt must be an array of \{ round: integer ≥ 0, stage: a SecAgg stage \}/ });
});
