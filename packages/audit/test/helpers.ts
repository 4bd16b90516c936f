/**
 * Shared fixtures: deterministic sessions and identities, a real SecAgg round recorded by the
 * coordinator, control frames, and in-memory mutation helpers.
 * @module
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  concat, encodeCanonical, generateIdentity, seededRandom, toHex, type Canonical, type Identity,
} from '@tessera/crypto';
import { createSession, runRound, type Delivery, type RoundOutcome, type Session, type Stage } from '@tessera/secagg';
import { CONTROL_LABEL, TranscriptWriter, type WriterOptions } from '../src/index.js';

export interface Fixture {
  readonly session: Session;
  readonly serverIdentity: Identity;
  readonly memberIdentities: readonly Identity[];
  readonly inputs: readonly Uint32Array[];
}

export function fixture(seed: string, n: number, o: { threshold?: number; vectorLength?: number; bits?: number } = {}): Fixture {
  const rng = seededRandom(`audit-test/${seed}`);
  const serverIdentity = generateIdentity(rng);
  const memberIdentities = Array.from({ length: n }, () => generateIdentity(rng));
  const d = o.vectorLength ?? 4;
  const bits = o.bits ?? 16;
  const session = createSession({
    sessionId: rng(16), serverKey: serverIdentity.publicKey, memberKeys: memberIdentities.map((m) => m.publicKey),
    threshold: o.threshold ?? 2, graph: { kind: 'complete' }, bits, vectorLength: d,
  });
  const inputs = memberIdentities.map((_, i) => Uint32Array.from({ length: d }, (_, j) => (i * 7 + j) % (1 << Math.min(bits, 16))));
  return { session, serverIdentity, memberIdentities, inputs };
}

/** A control frame (tag 2 ‖ envelope) as packages/node seals it. */
export function controlFrame(message: { [k: string]: Canonical }, identity: Identity): Uint8Array {
  const m = encodeCanonical(message);
  return concat(Uint8Array.of(2), encodeCanonical({ m, s: identity.sign(concat(CONTROL_LABEL, m)) }));
}

export async function tempDir(prefix = 'tessera-audit-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function cleanup(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

export interface Recorded {
  readonly outcome: RoundOutcome;
  readonly deliveries: readonly Delivery[];
  readonly fixture: Fixture;
}

/**
 * Runs a real round and records the coordinator's transcript in `dir`: session entry, a publish and a
 * round-start to each member, every envelope the server sent or received, a result note, round-end.
 */
export async function recordRound(dir: string, o: {
  seed: string; n: number; controlTo?: readonly number[]; dropouts?: ReadonlyMap<number, Stage>; writer?: Partial<WriterOptions>; vectorLength?: number; bits?: number; clock?: () => number;
}): Promise<Recorded> {
  const fx = fixture(o.seed, o.n, { ...(o.vectorLength ? { vectorLength: o.vectorLength } : {}), ...(o.bits ? { bits: o.bits } : {}) });
  const { session, serverIdentity } = fx;
  let t = 1_764_000_000_000;
  const w = await TranscriptWriter.open(dir, { recorder: 0, identity: serverIdentity, clock: o.clock ?? (() => t++), ...o.writer });
  const pending: Promise<unknown>[] = [];
  pending.push(w.appendSession({ session, privacy: { mechanism: 'ddgauss', localStddev: '4', l2Clip: '100', delta: '1e-5', epsilonTarget: '8' }, extra: { purpose: 'test' } }));
  const participants = Array.from({ length: o.n }, (_, i) => i + 1);
  const controlTo = o.controlTo ?? participants;
  for (const u of controlTo) {
    pending.push(w.appendMessage({ dir: 'sent', to: u, frameOrEnvelope: controlFrame({ v: 1, type: 'publish', session: session.digest, round: 0, data: Uint8Array.of(1, 2, 3) }, serverIdentity) }));
    pending.push(w.appendMessage({ dir: 'sent', to: u, frameOrEnvelope: controlFrame({ v: 1, type: 'round-start', session: session.digest, round: 0, participants }, serverIdentity) }));
  }
  const deliveries: Delivery[] = [];
  const outcome = runRound({
    session, round: 0, serverIdentity, memberIdentities: fx.memberIdentities, inputs: fx.inputs,
    ...(o.dropouts ? { dropouts: o.dropouts } : {}),
    rngFor: (u) => seededRandom(`audit-test/${o.seed}/member/${u}`),
    observe: (d) => {
      deliveries.push(d);
      pending.push(w.appendMessage({ dir: d.from === 0 ? 'sent' : 'received', to: d.to, frameOrEnvelope: d.bytes, tag: 1 }));
    },
  });
  const survivors = outcome.result ? [...outcome.result.survivors] : [];
  pending.push(w.appendNote({ round: 0, event: 'result', data: { survivors, ok: outcome.result !== undefined } }));
  for (const u of controlTo) {
    if (o.dropouts?.has(u)) continue;
    pending.push(w.appendMessage({ dir: 'sent', to: u, frameOrEnvelope: controlFrame({ v: 1, type: 'round-end', session: session.digest, round: 0, survivors, ok: true }, serverIdentity) }));
  }
  await Promise.all(pending);
  await w.close();
  return { outcome, deliveries, fixture: fx };
}

/** The transcript's log and blobs, in memory. */
export async function loadAll(dir: string): Promise<{ tlog: Uint8Array; blobs: Map<string, Uint8Array> }> {
  const tlog = new Uint8Array(await readFile(join(dir, 'transcript.tlog')));
  const blobs = new Map<string, Uint8Array>();
  for (const name of await readdir(join(dir, 'blobs'))) if (!name.startsWith('.')) blobs.set(name, new Uint8Array(await readFile(join(dir, 'blobs', name))));
  return { tlog, blobs };
}

export const hex = toHex;
