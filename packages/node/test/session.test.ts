/**
 * Whole sessions over the in-memory transport: the coordinator and peer runtimes with real
 * handshakes, signed control messages and SecAgg rounds; dropouts at every stage; a rogue member cut
 * off for each kind of protocol violation while the round completes without it.
 */
import test from 'ava';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateIdentity, seededRandom } from '@tessera/crypto';
import { STAGES, SecAggClient, createSession, decodeEnvelope, parseMessage, sealMessage, type Stage } from '@tessera/secagg';
import { CloseCodes, MemoryTransport, type CloseInfo, type Connection } from '@tessera/transport';
import {
  FrameTag, NodeError, NodeErrorCodes, Peer, frame, openControl, sealControl, unframe, type CoordinatorEvent, type RoundRecord, type UpdateProvider,
} from '../src/index.js';
import { BITS, D, coordinator, inputOf, world as seededWorld, type World } from './world.js';

const world = (seed: string, n: number, threshold: number): World => seededWorld(`node-session/${seed}`, n, threshold);

const provider = (u: number): UpdateProvider => ({ input: async (r) => inputOf(u, r) });
function plainSum(survivors: readonly number[], r: number): number[] {
  const out = new Array<number>(D).fill(0);
  for (const u of survivors) inputOf(u, r).forEach((x, i) => (out[i] = (out[i]! + x) % 2 ** BITS));
  return out;
}

async function outDir(t: { teardown(f: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-session-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}


function peer(w: World, u: number, address: string, faults?: ConstructorParameters<typeof Peer>[0]['faults']): Peer {
  return new Peer({
    transport: new MemoryTransport(w.network), address, session: w.session, identity: w.members[u - 1]!, provider: provider(u),
    reconnect: { initialMs: 20, maxMs: 100 }, limits: { heartbeatMs: 0 }, ...(faults ? { faults } : {}),
  });
}

test('6 peers, 4 rounds: every round sums exactly the survivors\' inputs, and round files hold exactly that', async (t) => {
  const w = world('plain', 6, 3);
  const out = await outDir(t);
  const { c } = coordinator(w, 4, { out });
  const address = await c.start();
  const peers = Array.from({ length: 6 }, (_, i) => peer(w, i + 1, address));
  const [summary, ...peerSummaries] = await Promise.all([c.run(), ...peers.map((p) => p.run())]);
  t.is(summary.completed, 4);
  for (const r of summary.rounds) {
    t.true(r.ok);
    t.deepEqual(r.survivors, [1, 2, 3, 4, 5, 6]);
    const text = await readFile(join(out, `round-${r.round}.json`), 'utf8');
    const json = JSON.parse(text);
    t.deepEqual(Object.keys(json), ['round', 'survivors', 'bits', 'sum']);
    t.deepEqual(json, { round: r.round, survivors: [1, 2, 3, 4, 5, 6], bits: BITS, sum: plainSum([1, 2, 3, 4, 5, 6], r.round) });
  }
  for (const s of peerSummaries) t.deepEqual(s.rounds.map((r) => [r.round, r.ok, r.included]), [[0, true, true], [1, true, true], [2, true, true], [3, true, true]]);
});

test('a peer leaving after each stage: dropped before masking is left out, after masking is counted; a restarted peer rejoins', async (t) => {
  const w = world('dropouts', 8, 3);
  const out = await outDir(t);
  const { c, events } = coordinator(w, 6, { out, minQuorum: 3, gatherMs: 300 });
  const address = await c.start();
  // Member r + 1 leaves after sending its messages of STAGES[r] in round r; member 1 then comes back.
  const peers = new Map<number, Peer>();
  const runs: Promise<unknown>[] = [];
  for (let u = 1; u <= 8; u++) {
    const r = u - 1;
    const p: Peer = peer(w, u, address, r < STAGES.length ? { killAfter: { round: r, stage: STAGES[r]! }, kill: () => p.stop() } : undefined);
    peers.set(u, p);
    runs.push(p.run());
  }
  let restarted: Peer | undefined;
  c.on('round-end', (e) => {
    if (e.round === 0 && !restarted) {
      restarted = peer(w, 1, address);
      runs.push(restarted.run());
    }
  });
  const summary = await c.run();
  await Promise.all(runs);
  const byRound = new Map<number, RoundRecord>(summary.rounds.map((r) => [r.round, r]));
  for (let r = 0; r < STAGES.length; r++) {
    const rec = byRound.get(r)!;
    t.true(rec.ok, `round ${r}: ${rec.code} ${rec.reason}`);
    const leaver = r + 1;
    t.true(rec.participants.includes(leaver), `member ${leaver} took part in round ${r}`);
    const counted = (['masked', 'consistency', 'unmask'] as Stage[]).includes(STAGES[r]!);
    t.is(rec.survivors.includes(leaver), counted, `round ${r}: member ${leaver} left after ${STAGES[r]}`);
    const json = JSON.parse(await readFile(join(out, `round-${r}.json`), 'utf8'));
    t.deepEqual(json.sum, plainSum(rec.survivors, r));
    if (!counted) t.true(events.some((e) => e.type === 'dropout' && e.round === r && e.members.includes(leaver)));
  }
  // The restarted member 1 takes part again (from round 1 on), and its input is in the sum.
  t.true(summary.rounds.slice(1).some((r) => r.survivors.includes(1)));
  t.deepEqual(byRound.get(5)!.survivors, [1, 6, 7, 8]);
});

/** A member that speaks the framing itself, to misbehave. */
class Rogue {
  connection: Connection | undefined;
  readonly closes: CloseInfo[] = [];
  onStart: (round: number, conn: Connection) => void = () => {};
  client: SecAggClient | undefined;
  constructor(readonly w: World, readonly index: number, readonly address: string) {}
  async connect(): Promise<void> {
    const conn = await new MemoryTransport(this.w.network).dial(this.address, {
      identity: this.w.members[this.index - 1]!, sessionId: this.w.session.digest, coordinatorKey: this.w.session.serverKey, heartbeatMs: 0,
    });
    this.connection = conn;
    conn.onClose((info) => this.closes.push(info));
    conn.onMessage((bytes) => {
      const { tag, payload } = unframe(bytes);
      if (tag === FrameTag.CONTROL) {
        const m = openControl(payload, this.w.session);
        if (m.type === 'round-start') this.onStart(m.round, conn);
      } else if (this.client) {
        for (const reply of this.client.receive(payload)) void conn.send(frame(FrameTag.SECAGG, reply));
      }
    });
  }
}

test('a rogue member is cut off with PROTOCOL_VIOLATION for each violation, and every round still completes without it', async (t) => {
  const n = 6;
  const rogueIndex = 6;
  const w = world('rogue', n, 3);
  const { c, events } = coordinator(w, 6, { startTimeoutMs: 10_000 });
  const address = await c.start();
  const honest = Array.from({ length: n - 1 }, (_, i) => peer(w, i + 1, address));
  const runs = honest.map((p) => p.run());
  const rogue = new Rogue(w, rogueIndex, address);
  let advert0: Uint8Array | undefined;
  let othersAdvert0: Uint8Array | undefined;
  const envelopeFrom = (env: Uint8Array): number => parseMessage(decodeEnvelope(env, 1 << 20).m, w.session).from;
  rogue.onStart = (round, conn) => {
    const send = (bytes: Uint8Array): void => void conn.send(bytes).catch(() => undefined);
    const client = new SecAggClient({ session: w.session, round, index: rogueIndex, identity: w.members[rogueIndex - 1]!, input: inputOf(rogueIndex, round) });
    switch (round) {
      case 0: { // honest, recording its own advertise and a neighbour's relayed one
        rogue.client = client;
        const [a] = client.start();
        advert0 = a;
        const original = client.receive.bind(client);
        client.receive = (bytes) => {
          const m = parseMessage(decodeEnvelope(bytes, 1 << 20).m, w.session);
          if (m.type === 'advertise-relay') othersAdvert0 = m.items.find((item) => envelopeFrom(item) !== rogueIndex);
          return original(bytes);
        };
        send(frame(FrameTag.SECAGG, a!));
        break;
      }
      case 1: // garbage
        rogue.client = undefined;
        send(Uint8Array.of(FrameTag.SECAGG, 0xff, 0x00, 0x13));
        break;
      case 2: { // a valid advertise whose signature is broken
        const [a] = client.start();
        const bad = a!.slice();
        bad[bad.length - 1]! ^= 1;
        send(frame(FrameTag.SECAGG, bad));
        break;
      }
      case 3: { // its own advertise of this round, then a replay of its round-0 advertise
        send(frame(FrameTag.SECAGG, client.start()[0]!));
        send(frame(FrameTag.SECAGG, advert0!));
        break;
      }
      case 4: // another member's signed message (relayed to it in round 0)
        send(frame(FrameTag.SECAGG, othersAdvert0!));
        break;
      case 5: // a control frame: only the coordinator sends those
        send(Uint8Array.of(FrameTag.CONTROL, 0xa0));
        break;
    }
  };
  await rogue.connect();
  // After each cut, the rogue comes back for the next round.
  c.on('refused', (e) => {
    if (e.member === rogueIndex && e.closeCode === CloseCodes.PROTOCOL_VIOLATION) setTimeout(() => void rogue.connect(), 10);
  });
  const summary = await c.run();
  await Promise.all(runs);
  const refusals = events.filter((e): e is Extract<CoordinatorEvent, { type: 'refused' }> => e.type === 'refused' && e.member === rogueIndex);
  t.deepEqual(refusals.map((e) => [e.round, e.code, e.closeCode]), [
    [1, 'ERR_MALFORMED', CloseCodes.PROTOCOL_VIOLATION],
    [2, 'ERR_BAD_SIGNATURE', CloseCodes.PROTOCOL_VIOLATION],
    [3, 'ERR_WRONG_ROUND', CloseCodes.PROTOCOL_VIOLATION],
    [4, NodeErrorCodes.PROTOCOL_VIOLATION, CloseCodes.PROTOCOL_VIOLATION],
    [5, NodeErrorCodes.PROTOCOL_VIOLATION, CloseCodes.PROTOCOL_VIOLATION],
  ]);
  t.regex(refusals[2]!.reason, /replay/);
  t.regex(refusals[3]!.reason, /sent a message of member \d/);
  t.regex(refusals[4]!.reason, /control frame/);
  // What the rogue itself was told: five cuts (then the session's end closed its last connection).
  t.deepEqual(rogue.closes.slice(0, 5).map((i) => i.code), Array(5).fill(CloseCodes.PROTOCOL_VIOLATION));
  t.true(rogue.closes.slice(5).every((i) => i.code !== CloseCodes.PROTOCOL_VIOLATION));
  t.is(summary.completed, 6);
  t.deepEqual(summary.rounds[0]!.survivors, [1, 2, 3, 4, 5, 6]);
  for (const r of summary.rounds.slice(1)) {
    t.true(r.ok, `round ${r.round}`);
    t.true(r.participants.includes(rogueIndex));
    t.deepEqual(r.survivors, [1, 2, 3, 4, 5]);
  }
});

test('a key not on the roster, and a roster pinning another coordinator key, are refused for good', async (t) => {
  const w = world('refused', 4, 2);
  const { c } = coordinator(w, 1, { startTimeoutMs: 60_000 });
  const address = await c.start();
  t.teardown(() => c.close());
  // A stranger with a roster of its own that lists it (so its session differs too).
  const stranger = generateIdentity(seededRandom('stranger'));
  const theirs = createSession({ ...w.session, memberKeys: [...w.session.memberKeys.slice(0, 3), stranger.publicKey] });
  const p1 = new Peer({ transport: new MemoryTransport(w.network), address, session: theirs, identity: stranger, provider: provider(4), limits: { heartbeatMs: 0 } });
  const e1 = await t.throwsAsync(p1.run(), { instanceOf: NodeError });
  t.is(e1.code, NodeErrorCodes.REFUSED);
  // A member whose roster pins another coordinator key.
  const other = generateIdentity(seededRandom('other coordinator'));
  const pinned = createSession({ ...w.session, serverKey: other.publicKey });
  const p2 = new Peer({ transport: new MemoryTransport(w.network), address, session: pinned, identity: w.members[0]!, provider: provider(1), limits: { heartbeatMs: 0 } });
  const e2 = await t.throwsAsync(p2.run(), { instanceOf: NodeError });
  t.is(e2.code, NodeErrorCodes.REFUSED);
  t.regex(e2.message, /close code 400[35]/);
  t.deepEqual(c.connected, []);
  // A peer whose identity is not on its own roster does not even dial.
  t.throws(() => new Peer({ transport: new MemoryTransport(w.network), address, session: w.session, identity: stranger, provider: provider(1) }), { instanceOf: NodeError, message: /not on the roster/ });
});

test('a peer facing a misbehaving coordinator: aborts the round on a forged relay and reveals nothing more; cuts off forged or replayed control messages', async (t) => {
  const w = world('bad-coordinator', 3, 2);
  const listener = await new MemoryTransport(w.network).listen({ identity: w.coordinatorId, sessionId: w.session.digest, isAllowed: () => true, heartbeatMs: 0 });
  t.teardown(() => listener.close());
  const connections: { conn: Connection; frames: Uint8Array[]; closed: Promise<CloseInfo> }[] = [];
  let arrived: (() => void) | undefined;
  listener.onConnection((conn) => {
    const entry = { conn, frames: [] as Uint8Array[], closed: new Promise<CloseInfo>((resolve) => conn.onClose(resolve)) };
    conn.onMessage((f) => {
      entry.frames.push(f);
      arrived?.();
    });
    connections.push(entry);
    arrived?.();
  });
  const until = async (cond: () => boolean): Promise<void> => {
    while (!cond()) await new Promise<void>((resolve) => ((arrived = resolve), setTimeout(resolve, 50)));
  };
  const p = peer(w, 1, listener.address);
  const errors: string[] = [];
  p.on('event', (e) => void (e.type === 'error' && errors.push(`${e.code}:${e.fatal}`)));
  const running = p.run();
  await until(() => connections.length === 1);
  const first = connections[0]!;
  await first.conn.send(sealControl({ v: 1, type: 'round-start', session: w.session.digest, round: 0, participants: [1, 2, 3] }, w.coordinatorId));
  await until(() => first.frames.length === 1);
  const advert = unframe(first.frames[0]!).payload;
  // A relay signed by the coordinator that hands the member its own keys as a neighbour's: the server misbehaves.
  await first.conn.send(frame(FrameTag.SECAGG, sealMessage({ v: 1, type: 'advertise-relay', session: w.session.digest, round: 0, from: 0, to: 1, items: [advert] }, w.coordinatorId)));
  await until(() => errors.length === 1);
  t.deepEqual(errors, ['ERR_NOT_NEIGHBOUR:true']);
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.is(first.frames.length, 1, 'nothing more is sent in the aborted round');
  // A control message signed by someone else: the peer hangs up with PROTOCOL_VIOLATION.
  await first.conn.send(sealControl({ v: 1, type: 'session-end', session: w.session.digest, round: 1 }, w.members[1]!));
  t.is((await first.closed).code, CloseCodes.PROTOCOL_VIOLATION);
  // It redials; a replayed round-start (round 0 again) is refused the same way.
  await until(() => connections.length === 2);
  const second = connections[1]!;
  await second.conn.send(sealControl({ v: 1, type: 'round-start', session: w.session.digest, round: 0, participants: [1, 2, 3] }, w.coordinatorId));
  t.is((await second.closed).code, CloseCodes.PROTOCOL_VIOLATION);
  t.is(second.frames.length, 0);
  t.true(errors.slice(1).every((e) => e === `${NodeErrorCodes.PROTOCOL_VIOLATION}:true`));
  p.stop();
  const summary = await running;
  t.deepEqual(summary.rounds, [{ round: 0, ok: false, included: false, code: 'ERR_NOT_NEIGHBOUR' }]);
});

test('stop() while a dial is in flight: the new connection is closed and run() resolves', async (t) => {
  const w = world('stop-during-dial', 3, 2);
  const listener = await new MemoryTransport(w.network).listen({ identity: w.coordinatorId, sessionId: w.session.digest, isAllowed: () => true, heartbeatMs: 0 });
  t.teardown(() => listener.close());
  const closed = new Promise<CloseInfo>((resolve) => listener.onConnection((conn) => conn.onClose(resolve)));
  const real = new MemoryTransport(w.network);
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let dialing!: () => void;
  const dialed = new Promise<void>((resolve) => (dialing = resolve));
  const slow = Object.assign(Object.create(real) as MemoryTransport, {
    dial: async (...args: Parameters<MemoryTransport['dial']>) => {
      dialing();
      await gate;
      return real.dial(...args);
    },
  });
  const p = new Peer({
    transport: slow, address: listener.address, session: w.session, identity: w.members[0]!, provider: provider(1),
    reconnect: { initialMs: 20, maxMs: 100 }, limits: { heartbeatMs: 0 },
  });
  const running = p.run();
  await dialed;
  p.stop();
  release();
  t.deepEqual(await running, { rounds: [] });
  t.is((await closed).code, CloseCodes.NORMAL);
});

test('harmless refusals are strikes; more than maxStrikes in a round cut the member off', async (t) => {
  const w = world('strikes', 4, 2);
  const { c, events } = coordinator(w, 1, { maxStrikes: 2 });
  const address = await c.start();
  const runs = [1, 2, 3].map((u) => peer(w, u, address).run());
  const rogue = new Rogue(w, 4, address);
  rogue.onStart = (round, conn) => {
    const client = new SecAggClient({ session: w.session, round, index: 4, identity: w.members[3]!, input: inputOf(4, round) });
    const advert = frame(FrameTag.SECAGG, client.start()[0]!);
    for (let i = 0; i < 4; i++) void conn.send(advert).catch(() => undefined);
  };
  await rogue.connect();
  const summary = await c.run();
  await Promise.all(runs);
  const refusals = events.filter((e): e is Extract<CoordinatorEvent, { type: 'refused' }> => e.type === 'refused');
  t.deepEqual(refusals.map((e) => [e.member, e.code, e.closeCode]), [
    [4, 'ERR_DUPLICATE', undefined],
    [4, 'ERR_DUPLICATE', undefined],
    [4, 'ERR_DUPLICATE', undefined],
    [4, 'ERR_DUPLICATE', CloseCodes.PROTOCOL_VIOLATION],
  ]);
  t.is(rogue.closes[0]?.code, CloseCodes.PROTOCOL_VIOLATION);
  // It advertised, then was cut off: it drops out at share, and the others' sum completes.
  t.true(summary.rounds[0]!.ok);
  t.deepEqual(summary.rounds[0]!.survivors, [1, 2, 3]);
});

test('a round without quorum is skipped, a round below the threshold aborts, and the session goes on', async (t) => {
  const w = world('aborts', 4, 3);
  const out = await outDir(t);
  const { c, events } = coordinator(w, 3, { out, minQuorum: 3, startTimeoutMs: 400, gatherMs: 3000 });
  const address = await c.start();
  const runs: Promise<unknown>[] = [];
  // Round 0: only two members are up (below minQuorum 3): skipped after startTimeoutMs.
  const p1 = peer(w, 1, address);
  const p2 = peer(w, 2, address);
  runs.push(p1.run(), p2.run());
  c.once('round-end', () => {
    // Round 1: four members, but two leave right after advertising: 2 < t = 3 shares holders, the round aborts.
    const p3: Peer = peer(w, 3, address, { killAfter: { round: 1, stage: 'advertise' }, kill: () => p3.stop() });
    const p4: Peer = peer(w, 4, address, { killAfter: { round: 1, stage: 'advertise' }, kill: () => p4.stop() });
    runs.push(p3.run(), p4.run());
    c.on('round-end', (e) => {
      // Round 2: they come back, and the round completes.
      if (e.round === 1) runs.push(peer(w, 3, address).run(), peer(w, 4, address).run());
    });
  });
  const summary = await c.run();
  await Promise.all(runs);
  t.deepEqual(summary.rounds.map((r) => [r.round, r.ok, r.code]), [[0, false, 'ERR_NO_QUORUM'], [1, false, 'ERR_BELOW_THRESHOLD'], [2, true, undefined]]);
  t.deepEqual(summary.rounds[1]!.participants, [1, 2, 3, 4]);
  t.deepEqual(summary.rounds[2]!.survivors, [1, 2, 3, 4]);
  t.deepEqual({ completed: summary.completed, aborted: summary.aborted }, { completed: 1, aborted: 2 });
  t.true(events.some((e) => e.type === 'waiting' && e.round === 0));
  // Only the finished round has a file.
  await t.throwsAsync(readFile(join(out, 'round-0.json')));
  await t.throwsAsync(readFile(join(out, 'round-1.json')));
  t.deepEqual(JSON.parse(await readFile(join(out, 'round-2.json'), 'utf8')).sum, plainSum([1, 2, 3, 4], 2));
});

test('a restarted coordinator resumes after the last round it started, never reruns or overwrites one, and refuses another session\'s out folder', async (t) => {
  const w = world('resume', 4, 3);
  const out = await outDir(t);
  const listen = { name: 'coordinator-resume' };
  // First run: stopped as soon as round 1 has ended.
  const first = coordinator(w, 4, { out, listen });
  first.c.on('round-end', (e) => e.round === 1 && first.c.stop());
  const address = await first.c.start();
  const peers = Array.from({ length: 4 }, (_, i) => peer(w, i + 1, address));
  const peerRuns = peers.map((p) => p.run());
  const s1 = await first.c.run();
  t.deepEqual(s1.rounds.filter((r) => r.ok).map((r) => r.round), [0, 1]);
  const before = await Promise.all([0, 1].map((r) => readFile(join(out, `round-${r}.json`), 'utf8')));
  // Round 2 may have been started (written ahead) before the stop took effect: the state says which.
  const next = JSON.parse(await readFile(join(out, 'coordinator-state.json'), 'utf8')).nextRound as number;
  t.true(next === 2 || next === 3, `nextRound ${next}`);
  // Second run on the same address: the peers (still running, retrying) reconnect and finish the session.
  const second = coordinator(w, 4, { out, listen });
  await second.c.start();
  const s2 = await second.c.run();
  t.like(second.events.find((e) => e.type === 'resume'), { type: 'resume', round: next, rounds: 4 });
  t.deepEqual(s2.rounds.map((r) => r.round), Array.from({ length: 4 - next }, (_, i) => next + i));
  t.true(s2.rounds.every((r) => r.ok));
  t.false(second.events.some((e) => e.type === 'round-start' && e.round < next), 'no round number runs twice');
  t.deepEqual(await Promise.all([0, 1].map((r) => readFile(join(out, `round-${r}.json`), 'utf8'))), before, 'earlier results untouched');
  for (let r = next; r < 4; r++) t.deepEqual(JSON.parse(await readFile(join(out, `round-${r}.json`), 'utf8')).sum, plainSum([1, 2, 3, 4], r));
  await Promise.all(peerRuns);
  // A finished session: nothing to run.
  const third = coordinator(w, 4, { out, listen });
  t.deepEqual((await third.c.run()).rounds, []);
  // Another session's coordinator pointed at this out folder is refused, naming the file.
  const other = world('resume-other', 4, 3);
  const intruder = coordinator(other, 2, { out, listen: { name: 'coordinator-other' } });
  const e = await t.throwsAsync(intruder.c.run(), { instanceOf: Error });
  t.is((e as NodeError).code, NodeErrorCodes.OUT_IN_USE);
  t.regex(e!.message, /coordinator-state\.json: session belongs to another session/);
});
