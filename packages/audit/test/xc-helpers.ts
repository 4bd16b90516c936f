/**
 * Cross-check fixtures: a whole session of real SecAgg rounds (runRound) recorded by the coordinator AND
 * by every member, as docs/transcript.md's recording profile says (a member records what it sends and
 * what is delivered to it; control frames; round-result / round-aborted notes), with an equivocating
 * coordinator test double: `tamper` rewrites what one member really receives (re-signed with the
 * coordinator's key), and the coordinator's transcript records either the honest envelope (it lies in its
 * own transcript) or the forged one (its transcript is consistent with itself).
 *
 * Also used by test/audit-cross-check.test.ts (imported from dist at run time).
 * @module
 */
import { join } from 'node:path';
import { concat, decodeCanonical, encodeCanonical, seededRandom, sha256, type Canonical, type Identity } from '@tessera/crypto';
import { runRound, type Delivery, type RoundOutcome, type Stage } from '@tessera/secagg';
import { SECAGG_LABEL, TranscriptWriter, type CanonicalMap } from '../src/index.js';
import { controlFrame, fixture, type Fixture } from './helpers.js';

/** One round of a recorded session. */
export interface XcRound {
  /** Member → the stage at which it drops out (it sends nothing from then on and gets no round-end). */
  readonly dropouts?: ReadonlyMap<number, Stage>;
  /**
   * The equivocating coordinator: returns the envelope member `d.to` really receives instead of
   * `d.bytes` (same length: it is written over the driver's bytes so the member's state machine reacts
   * to it), or undefined to leave the delivery alone.
   */
  readonly tamper?: (d: Delivery, server: Identity) => Uint8Array | undefined;
  /** What the coordinator's transcript records for a tampered delivery: the honest envelope, or the forged one (default). */
  readonly coordinatorRecords?: 'honest' | 'forged';
  /** Member → coordinator deliveries the coordinator's transcript lacks (lost in transit, as far as the record goes). */
  readonly lost?: (d: Delivery) => boolean;
  /** ε the coordinator reports after this round (decimal text), default null. */
  readonly epsilon?: string | null;
  readonly epsilonWorstCase?: string | null;
}

export interface XcPlan {
  readonly seed: string;
  readonly n: number;
  readonly threshold?: number;
  readonly rounds: readonly XcRound[];
  /** Record DP parameters in the session entry (the recording profile's params.privacy). */
  readonly privacy?: boolean;
}

export interface XcSession {
  readonly coordinatorDir: string;
  /** peerDirs[i − 1] is member i's transcript folder. */
  readonly peerDirs: readonly string[];
  readonly fixture: Fixture;
  readonly outcomes: readonly RoundOutcome[];
}

/** Decodes a SecAgg envelope, lets `edit` change its message map, and re-signs it with `identity`. */
export function reseal(bytes: Uint8Array, identity: Identity, edit: (m: { [k: string]: Canonical }) => void): Uint8Array {
  const env = decodeCanonical(bytes) as { m: Uint8Array; s: Uint8Array };
  const m = decodeCanonical(env.m) as { [k: string]: Canonical };
  edit(m);
  const mb = encodeCanonical(m);
  return encodeCanonical({ m: mb, s: identity.sign(concat(SECAGG_LABEL, mb)) });
}

/** The message map of a SecAgg envelope. */
export function messageOf(bytes: Uint8Array): { [k: string]: Canonical } {
  return decodeCanonical((decodeCanonical(bytes) as { m: Uint8Array }).m) as { [k: string]: Canonical };
}

function sumSha256(sum: Uint32Array): Uint8Array {
  const b = new Uint8Array(sum.length * 4);
  const v = new DataView(b.buffer);
  for (let i = 0; i < sum.length; i++) v.setUint32(4 * i, sum[i]!, true);
  return sha256(b);
}

/**
 * Runs `plan.rounds` real rounds among `plan.n` members and writes the coordinator's transcript to
 * `root`/coordinator and member i's to `root`/member-i. Every transcript is closed.
 */
export async function writeSession(root: string, plan: XcPlan): Promise<XcSession> {
  const fx = fixture(plan.seed, plan.n, { threshold: plan.threshold ?? 2 });
  const { session, serverIdentity, memberIdentities } = fx;
  let time = 1_764_000_000_000;
  const clock = (): number => time++;
  const coordinatorDir = join(root, 'coordinator');
  const peerDirs = memberIdentities.map((_, i) => join(root, `member-${i + 1}`));
  const coord = await TranscriptWriter.open(coordinatorDir, { recorder: 0, identity: serverIdentity, clock });
  const peers = await Promise.all(memberIdentities.map((identity, i) => TranscriptWriter.open(peerDirs[i]!, { recorder: i + 1, identity, clock })));
  const pending: Promise<unknown>[] = [];
  const privacy: CanonicalMap | null = plan.privacy
    ? {
        unit: 'patient', mechanism: 'ddgauss', delta: '1e-5', epsilonTarget: '8', rounds: plan.rounds.length,
        round: { granularity: '1', localStddev: '40', l2Clip: '100', beta: '0', dim: '4', samplingRate: '1', rounding: false },
      }
    : null;
  for (const w of [coord, ...peers]) pending.push(w.appendSession({ session, privacy, extra: null }));
  const participants = memberIdentities.map((_, i) => i + 1);
  /** The coordinator sends a control frame to member u; u records receiving it. */
  const control = (u: number, message: { [k: string]: Canonical }): void => {
    const frame = controlFrame(message, serverIdentity);
    pending.push(coord.appendMessage({ dir: 'sent', to: u, frameOrEnvelope: frame }));
    pending.push(peers[u - 1]!.appendMessage({ dir: 'received', to: u, frameOrEnvelope: frame }));
  };
  const outcomes: RoundOutcome[] = [];
  for (const [r, spec] of plan.rounds.entries()) {
    for (const u of participants) control(u, { v: 1, type: 'publish', session: session.digest, round: r, data: sha256(Uint8Array.of(r)) });
    for (const u of participants) control(u, { v: 1, type: 'round-start', session: session.digest, round: r, participants });
    const outcome = runRound({
      session, round: r, serverIdentity, memberIdentities, inputs: fx.inputs,
      ...(spec.dropouts ? { dropouts: spec.dropouts } : {}),
      rngFor: (u) => seededRandom(`xc/${plan.seed}/${r}/${u}`),
      observe: (d) => {
        if (d.from !== 0) {
          pending.push(peers[d.from - 1]!.appendMessage({ dir: 'sent', to: 0, frameOrEnvelope: d.bytes, tag: 1 }));
          if (!spec.lost?.(d)) pending.push(coord.appendMessage({ dir: 'received', to: 0, frameOrEnvelope: d.bytes, tag: 1 }));
          return;
        }
        const honest = new Uint8Array(d.bytes); // a copy (d.bytes may be a Buffer, whose slice() is a view)
        const forged = spec.tamper?.(d, serverIdentity);
        if (forged) {
          if (forged.length !== d.bytes.length) throw new RangeError(`a forged envelope must have the honest one's length (${d.bytes.length}), got ${forged.length}`);
          d.bytes.set(forged); // what the member's state machine really receives
        }
        pending.push(coord.appendMessage({ dir: 'sent', to: d.to, frameOrEnvelope: forged && spec.coordinatorRecords === 'honest' ? honest : new Uint8Array(d.bytes), tag: 1 }));
        pending.push(peers[d.to - 1]!.appendMessage({ dir: 'received', to: d.to, frameOrEnvelope: new Uint8Array(d.bytes), tag: 1 }));
      },
    });
    outcomes.push(outcome);
    for (const [u, e] of outcome.clientErrors) if (e.fatal) pending.push(peers[u - 1]!.appendNote({ round: r, event: 'round-aborted', data: { code: e.code, message: e.message } }));
    const result = outcome.result;
    if (result) {
      pending.push(coord.appendNote({
        round: r, event: 'round-result',
        data: { survivors: [...result.survivors], sumSha256: sumSha256(result.sum), epsilon: spec.epsilon ?? null, epsilonWorstCase: spec.epsilonWorstCase ?? null },
      }));
    } else {
      const code = outcome.error?.code ?? 'ERR_ABORTED';
      pending.push(coord.appendNote({ round: r, event: 'round-aborted', data: { code, reason: outcome.error?.message ?? 'the round ended without a result' } }));
    }
    const end: { [k: string]: Canonical } = result
      ? { v: 1, type: 'round-end', session: session.digest, round: r, survivors: [...result.survivors], ok: true }
      : { v: 1, type: 'round-end', session: session.digest, round: r, survivors: [], ok: false, code: outcome.error?.code ?? 'ERR_ABORTED' };
    for (const u of participants) if (!spec.dropouts?.has(u)) control(u, end);
  }
  for (const u of participants) control(u, { v: 1, type: 'session-end', session: session.digest, round: plan.rounds.length });
  await Promise.all(pending);
  await coord.close();
  await Promise.all(peers.map((p) => p.close()));
  return { coordinatorDir, peerDirs, fixture: fx, outcomes };
}

/**
 * The standard equivocation: member `victim` gets a consistency-request whose survivor set swaps the
 * largest survivor for `replacement` (same encoding length), signed with the coordinator's key.
 */
export function forgeSurvivors(victim: number, from: number, replacement: number): (d: Delivery, server: Identity) => Uint8Array | undefined {
  return (d, server) => {
    if (d.to !== victim || messageOf(d.bytes).type !== 'consistency-request') return undefined;
    return reseal(d.bytes, server, (m) => {
      m.survivors = (m.survivors as number[]).map((v) => (v === from ? replacement : v)).sort((a, b) => a - b);
    });
  };
}

/**
 * The "both shares" attack: member `victim` gets an unmask-request whose dropped set is `dropped`
 * (overlapping the survivors), signed with the coordinator's key.
 */
export function forgeDropped(victim: number, dropped: readonly number[]): (d: Delivery, server: Identity) => Uint8Array | undefined {
  return (d, server) => {
    if (d.to !== victim || messageOf(d.bytes).type !== 'unmask-request') return undefined;
    return reseal(d.bytes, server, (m) => {
      m.dropped = [...dropped];
    });
  };
}
