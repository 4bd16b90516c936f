/**
 * Real training transcripts for the protocol checks: a coordinator (recorder 0) runs several real
 * SecAgg rounds (runRound) of DP-SGD-encoded updates and records them as the recording profile says
 * (docs/transcript.md, "Tessera's recording profile"): params.privacy / params.extra from the plan,
 * publish (with the decoded update of the last completed round) and round-start before each round,
 * every SecAgg envelope, a round-result (the real sum's SHA-256, ε from the ledger) or round-aborted
 * note, round-end; a final publication and session-end. Plus forging helpers for semantic mutations.
 * @module
 */
import {
  concat, decodeCanonical, encodeCanonical, generateIdentity, seededRandom, sha256, u32be, type Canonical, type Identity,
} from '@tessera/crypto';
import { PrivacyLedger, createNoiseSampler, encodeUpdate } from '@tessera/dp';
import { decodeRoundSum, dpSgdRound, float64Bytes, planDpSgd, planToCanonical, privacyToCanonical, type DpSgdPlan } from '@tessera/federated';
import { createSession, runRound, sealMessage, type Message, type Session, type Stage } from '@tessera/secagg';
import {
  CONTROL_LABEL, ENTRY_LABEL, MAGIC, TranscriptWriter, entryToMap, inspectEnvelope, scanTranscript, sumSha256,
  type BlobLoader, type Entry, type MessageEntry, type TranscriptRecord, type WriterOptions,
} from '../src/index.js';
import { cleanup, loadAll, tempDir } from './helpers.js';

export interface Parties {
  readonly session: Session;
  readonly serverIdentity: Identity;
  readonly memberIdentities: readonly Identity[];
}

/** What happens in one round: who drops out at which stage. A round where too many drop aborts. */
export interface RoundSpec {
  readonly dropouts?: ReadonlyMap<number, Stage>;
}

export interface Recording {
  readonly parties: Parties;
  readonly plan: DpSgdPlan;
  /** Per round: the survivors (empty when aborted), the sum, ε reported. */
  readonly rounds: readonly { readonly round: number; readonly survivors: readonly number[]; readonly sum?: Uint32Array; readonly epsilon?: number }[];
}

/** The DP-SGD plan of the test sessions: dim 20 (paddedDim 32), t = 2. */
export function testPlan(sites: number, t: number): DpSgdPlan {
  return planDpSgd({ dim: 20, sites, clip: 1, samplingRate: 0.1, noiseMultiplier: 1.2, nMin: t, population: 200, bits: 32 });
}

/** Deterministic parties for a session fitting `plan`. */
export function makeParties(seed: string, n: number, t: number, plan: DpSgdPlan): Parties {
  const rng = seededRandom(`audit-checks/${seed}`);
  const serverIdentity = generateIdentity(rng);
  const memberIdentities = Array.from({ length: n }, () => generateIdentity(rng));
  const session = createSession({
    sessionId: rng(16), serverKey: serverIdentity.publicKey, memberKeys: memberIdentities.map((m) => m.publicKey),
    threshold: t, graph: { kind: 'complete' }, bits: plan.encoding.bits, vectorLength: plan.vectorLength,
  });
  return { session, serverIdentity, memberIdentities };
}

/** A control frame (tag 2 ‖ envelope) signed by the coordinator. */
export function controlFrame(message: { [k: string]: Canonical }, identity: Identity): Uint8Array {
  const m = encodeCanonical(message);
  return concat(Uint8Array.of(2), encodeCanonical({ m, s: identity.sign(concat(CONTROL_LABEL, m)) }));
}

/**
 * Runs `rounds` real rounds and records the coordinator's transcript in `dir`.
 */
export async function recordTraining(dir: string, o: {
  seed: string; n?: number; t?: number; rounds: readonly RoundSpec[]; parties?: Parties; plan?: DpSgdPlan; writer?: Partial<WriterOptions>;
}): Promise<Recording> {
  const n = o.n ?? 4, t = o.t ?? 2;
  const plan = o.plan ?? testPlan(n, t);
  const parties = o.parties ?? makeParties(o.seed, n, t, plan);
  const { session, serverIdentity, memberIdentities } = parties;
  const delta = 1e-5;
  let clock = 1_764_000_000_000;
  const w = await TranscriptWriter.open(dir, { recorder: 0, identity: serverIdentity, clock: () => clock++, inlineLimit: 200, ...o.writer });
  const pending: Promise<unknown>[] = [];
  const rec = <T>(p: Promise<T>): void => void pending.push(p);
  rec(w.appendSession({ session, privacy: privacyToCanonical(plan, { delta, epsilonTarget: 8, rounds: o.rounds.length }), extra: planToCanonical(plan) }));
  const members = Array.from({ length: n }, (_, i) => i + 1);
  const ledger = new PrivacyLedger({ unit: 'patient' });
  const worst = new PrivacyLedger({ unit: 'patient' });
  const parameters = new Uint8Array(new Float32Array(plan.encoding.dim).fill(0.25).buffer);
  let pendingUpdate: { update: Uint8Array; updateRound: number } | null = null;
  const out: { round: number; survivors: readonly number[]; sum?: Uint32Array; epsilon?: number }[] = [];
  const publish = (r: number, roundSeed: Uint8Array): void => {
    const data = encodeCanonical({
      v: 1, kind: 'tessera/global-model', round: r, roundSeed, parameters,
      update: pendingUpdate?.update ?? null, updateRound: pendingUpdate?.updateRound ?? null,
    });
    pendingUpdate = null;
    for (const u of members) rec(w.appendMessage({ dir: 'sent', to: u, frameOrEnvelope: controlFrame({ v: 1, type: 'publish', session: session.digest, round: r, data }, serverIdentity) }));
  };
  for (let r = 0; r < o.rounds.length; r++) {
    const spec = o.rounds[r]!;
    const roundSeed = seededRandom(`audit-checks/${o.seed}/round-seed/${r}`)(32);
    publish(r, roundSeed);
    for (const u of members) rec(w.appendMessage({ dir: 'sent', to: u, frameOrEnvelope: controlFrame({ v: 1, type: 'round-start', session: session.digest, round: r, participants: members }, serverIdentity) }));
    const inputs = members.map((u) => {
      const rng = seededRandom(`audit-checks/${o.seed}/site/${u}/round/${r}`);
      const update = Float64Array.from({ length: plan.encoding.dim }, (_, j) => Math.sin(u * 31 + j * 7 + r) * 0.3);
      return encodeUpdate(update, plan.encoding, { roundSeed, rng, sampler: createNoiseSampler(plan.encoding, rng) }).words;
    });
    const outcome = runRound({
      session, round: r, serverIdentity, memberIdentities, inputs,
      ...(spec.dropouts ? { dropouts: spec.dropouts } : {}),
      rngFor: (u) => seededRandom(`audit-checks/${o.seed}/member/${u}/round/${r}`),
      observe: (d) => rec(w.appendMessage({ dir: d.from === 0 ? 'sent' : 'received', to: d.to, frameOrEnvelope: d.bytes, tag: 1 })),
    });
    const live = members.filter((u) => !spec.dropouts?.has(u));
    if (outcome.result) {
      const { survivors, sum } = outcome.result;
      ledger.addRound(dpSgdRound(plan, survivors.length));
      worst.addRound(dpSgdRound(plan, t));
      const epsilon = ledger.epsilon(delta).epsilon;
      rec(w.appendNote({
        round: r, event: 'round-result',
        data: { survivors: [...survivors], sumSha256: sumSha256(sum), epsilon: String(epsilon), epsilonWorstCase: String(worst.epsilon(delta).epsilon) },
      }));
      pendingUpdate = { update: float64Bytes(decodeRoundSum(plan, sum, roundSeed).mean), updateRound: r };
      for (const u of live) rec(w.appendMessage({ dir: 'sent', to: u, frameOrEnvelope: controlFrame({ v: 1, type: 'round-end', session: session.digest, round: r, survivors: [...survivors], ok: true }, serverIdentity) }));
      out.push({ round: r, survivors: [...survivors], sum, epsilon });
    } else {
      const code = outcome.error?.code ?? 'ERR_ABORTED';
      rec(w.appendNote({ round: r, event: 'round-aborted', data: { code, reason: outcome.error?.message ?? 'aborted' } }));
      for (const u of live) rec(w.appendMessage({ dir: 'sent', to: u, frameOrEnvelope: controlFrame({ v: 1, type: 'round-end', session: session.digest, round: r, survivors: [], ok: false, code }, serverIdentity) }));
      out.push({ round: r, survivors: [] });
    }
  }
  // The final model (and the last round's update) is published for the round that would come next.
  const R = o.rounds.length;
  publish(R, seededRandom(`audit-checks/${o.seed}/round-seed/${R}`)(32));
  for (const u of members) rec(w.appendMessage({ dir: 'sent', to: u, frameOrEnvelope: controlFrame({ v: 1, type: 'session-end', session: session.digest, round: R }, serverIdentity) }));
  await Promise.all(pending);
  await w.close();
  return { parties, plan, rounds: out };
}

/** The standard scenario: a full round, a round with a dropout after ShareKeys, an aborted round, a round with a dropout in Unmasking. */
export const STANDARD_ROUNDS: readonly RoundSpec[] = [
  {},
  { dropouts: new Map([[4, 'masked']]) },
  { dropouts: new Map([[2, 'advertise'], [3, 'advertise'], [4, 'advertise']]) },
  { dropouts: new Map([[3, 'unmask']]) },
];

export interface Loaded {
  readonly tlog: Uint8Array;
  readonly blobs: Map<string, Uint8Array>;
  readonly records: readonly TranscriptRecord[];
  readonly recording: Recording;
}

const cache = new Map<string, Promise<Loaded>>();
/** The standard recording in memory (built once per test file and seed). */
export function getRecording(seed = 'standard', writer: Partial<WriterOptions> = {}): Promise<Loaded> {
  const key = `${seed}/${JSON.stringify(writer)}`;
  let p = cache.get(key);
  if (!p) {
    p = (async () => {
      const dir = await tempDir('tessera-audit-checks-');
      try {
        const recording = await recordTraining(dir, { seed, rounds: STANDARD_ROUNDS, writer });
        const { tlog, blobs } = await loadAll(dir);
        return { tlog, blobs, records: scanTranscript(tlog).records, recording };
      } finally {
        await cleanup(dir);
      }
    })();
    cache.set(key, p);
  }
  return p;
}

export const memoryLoader = (blobs: ReadonlyMap<string, Uint8Array>): BlobLoader => async (name) => blobs.get(name);

/** Re-chains entries (fresh seq, prev links and recorder signatures), as someone holding the recorder's key could. */
export function rechain(entries: readonly Entry[], recorder: Identity): Uint8Array {
  let prev = sha256(MAGIC);
  const records = entries.map((e, seq) => {
    const unsigned = { ...e, seq, prev };
    const rsig = recorder.sign(concat(ENTRY_LABEL, encodeCanonical(entryToMap(unsigned as Entry, false))));
    const bytes = encodeCanonical(entryToMap({ ...unsigned, rsig } as Entry, true));
    prev = sha256(bytes);
    return bytes;
  });
  return concat(MAGIC, ...records.flatMap((b) => [u32be(b.length), b]));
}

/** The envelope of a message entry (inline or from its blob). */
export function envelopeOf(l: Loaded, e: MessageEntry): Uint8Array {
  if (e.env) return e.env;
  const name = Array.from(e.blob!, (b) => b.toString(16).padStart(2, '0')).join('');
  return l.blobs.get(name)!;
}

/** The SecAgg message a message entry carries, as a plain (re-sealable) object. */
export function secaggOf(l: Loaded, e: MessageEntry): Message & Record<string, unknown> {
  const { m } = inspectEnvelope(1, envelopeOf(l, e));
  return decodeCanonicalMap(m) as unknown as Message & Record<string, unknown>;
}

/** The control message a message entry carries. */
export function controlOf(l: Loaded, e: MessageEntry): { [k: string]: Canonical } {
  const { m } = inspectEnvelope(2, envelopeOf(l, e));
  return decodeCanonicalMap(m);
}

function decodeCanonicalMap(b: Uint8Array): { [k: string]: Canonical } {
  return decodeCanonical(b) as { [k: string]: Canonical };
}

/** The entry with its envelope replaced (stored inline) by `envelope`. */
export function withEnvelope(e: MessageEntry, envelope: Uint8Array): MessageEntry {
  const tag = e.tag === 2 ? 2 : 1;
  const { s } = inspectEnvelope(tag, envelope);
  return { ...e, env: envelope, sig: s, blob: undefined, size: undefined, digestOnly: undefined } as unknown as MessageEntry;
}

/** A SecAgg message re-sealed by `identity`. */
export function reseal(message: Record<string, unknown>, identity: Identity): Uint8Array {
  return sealMessage(message as unknown as Message, identity);
}

/** A control message re-sealed by the coordinator (the envelope, without the frame tag). */
export function resealControl(message: { [k: string]: Canonical }, identity: Identity): Uint8Array {
  return controlFrame(message, identity).subarray(1);
}
