/**
 * The transcripts of a simulated run (issue 7; docs/transcript.md): the coordinator and every site each
 * write their own, in `<out>/transcripts/coordinator/` and `<out>/transcripts/<site name>/`, following
 * Tessera's recording profile. The session entry binds the SecAgg session, the DP accounting round and
 * the decoding plan; the coordinator notes each round's result (sum digest, ε reported).
 *
 * Durability: a simulation syncs each transcript to disk at the end of every round (`syncEvery: 0` and a
 * flush per round), not after every record: the log is still a valid prefix after a crash (the writer's
 * framing and recovery), a power cut may lose the last round. Deployments keep the default (every record).
 * @module
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { TranscriptWriter, type TranscriptParams } from '@tessera/audit';
import { equalBytes, toHex, type Identity } from '@tessera/crypto';
import { planToCanonical, privacyToCanonical, type Federation } from '@tessera/federated';
import { realText, sessionFromRoster, sumDigest, writeRoster, type Roster } from '@tessera/node';
import type { Delivery } from '@tessera/secagg';
import { dropoutRateOf, epsilonOf, type SimulationConfig } from './config.js';

export const TRANSCRIPT_MODES = ['full', 'digests', 'none'] as const;
export type TranscriptMode = (typeof TRANSCRIPT_MODES)[number];

/** The session entry of every party's transcript. */
export function sessionParams(c: SimulationConfig, f: Federation): TranscriptParams {
  const target = epsilonOf(c);
  return {
    session: f.channel.session,
    privacy: privacyToCanonical(f.plan, { delta: c.privacy.delta, epsilonTarget: Number.isFinite(target) ? target : null, rounds: c.rounds }),
    extra: { ...planToCanonical(f.plan), run: 'tessera simulate', model: c.model, seed: c.seed, transport: c.transport },
  };
}

/** Where party `recorder`'s transcript goes (0: the coordinator; i: site i). */
export const transcriptDir = (out: string, recorder: number): string => join(out, 'transcripts', recorder === 0 ? 'coordinator' : `hospital-${recorder}`);

/** Opens party `recorder`'s writer and writes its session entry. */
export async function openTranscript(out: string, recorder: number, identity: Identity, mode: Exclude<TranscriptMode, 'none'>, params: TranscriptParams): Promise<TranscriptWriter> {
  const dir = transcriptDir(out, recorder);
  await mkdir(dir, { recursive: true });
  const w = await TranscriptWriter.open(dir, { recorder, identity, digestsOnly: mode === 'digests', syncEvery: 0 });
  await w.appendSession(params);
  return w;
}

/** The memory transport's recorders: every party's writer, fed from the driver's deliveries. */
export class MemoryTranscripts {
  readonly writers: readonly TranscriptWriter[];
  #failure: Error | undefined;
  constructor(writers: readonly TranscriptWriter[]) {
    this.writers = writers;
  }

  /** Keeps the first failed append; flush() throws it (a run whose record is incomplete stops). */
  #track(p: Promise<unknown>): void {
    p.catch((e: unknown) => {
      this.#failure ??= e instanceof Error ? e : new Error(String(e));
    });
  }

  static async open(out: string, c: SimulationConfig, f: Federation, mode: Exclude<TranscriptMode, 'none'>): Promise<MemoryTranscripts> {
    const params = sessionParams(c, f);
    const ids: Identity[] = [f.channel.serverIdentity, ...f.channel.memberIdentities];
    return new MemoryTranscripts(await Promise.all(ids.map((id, i) => openTranscript(out, i, id, mode, params))));
  }

  /** Records one delivery in the sender's and the receiver's transcripts (bare SecAgg envelopes, tag 1). */
  observe = (d: Delivery): void => {
    this.#track(this.writers[d.from]!.appendMessage({ dir: 'sent', from: d.from, to: d.to, frameOrEnvelope: d.bytes, tag: 1 }));
    this.#track(this.writers[d.to]!.appendMessage({ dir: 'received', from: d.from, to: d.to, frameOrEnvelope: d.bytes, tag: 1 }));
  };

  /** The coordinator's note of a completed round. */
  result(round: number, survivors: readonly number[], sum: Uint32Array, epsilon: number | undefined, epsilonWorstCase: number | undefined): void {
    this.#track(this.writers[0]!.appendNote({
      round, event: 'round-result',
      data: { survivors: [...survivors], sumSha256: sumDigest(sum), epsilon: realText(epsilon), epsilonWorstCase: realText(epsilonWorstCase) },
    }));
  }

  aborted(round: number, reason: string): void {
    const code = /^(ERR_[A-Z0-9_]+)/.exec(reason)?.[1] ?? 'ERR_ABORTED';
    this.#track(this.writers[0]!.appendNote({ round, event: 'round-aborted', data: { code, reason } }));
  }

  /** Writes everything queued to disk (the end of a round). */
  async flush(): Promise<void> {
    await Promise.all(this.writers.map((w) => w.flush()));
    if (this.#failure) throw this.#failure;
  }

  async close(): Promise<void> {
    await Promise.all(this.writers.map((w) => w.close()));
  }
}

/**
 * The run's roster, in the format the nodes load (`tessera roster`), written to
 * `<out>/transcripts/roster.json` so that `tessera audit verify … --roster` can pin every key. Only when
 * the roster reproduces the run's session exactly (same digest): an explicit neighbour degree cannot be
 * written in a roster (rosters derive the graph), and then no roster is written.
 */
export async function writeRunRoster(out: string, c: SimulationConfig, f: Federation): Promise<string | undefined> {
  if (typeof c.secagg.graph === 'number') return undefined;
  const s = f.channel.session;
  const roster: Roster = {
    version: 1, kind: 'tessera-roster', name: `simulate-${c.seed}`.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64), sessionId: toHex(s.sessionId),
    coordinator: { name: 'coordinator', publicKey: toHex(s.serverKey) },
    members: s.memberKeys.map((k, i) => ({ name: `hospital-${i + 1}`, publicKey: toHex(k) })),
    session: {
      bits: s.bits, vectorLength: s.vectorLength, rounds: c.rounds, graph: c.secagg.graph, dropoutRate: Math.min(0.9, dropoutRateOf(c.dropout, c.sites, c.rounds)),
      threat: 'malicious', threshold: s.threshold,
    },
  };
  if (!equalBytes(sessionFromRoster(roster).session.digest, s.digest)) return undefined;
  const file = join(out, 'transcripts', 'roster.json');
  await mkdir(join(out, 'transcripts'), { recursive: true });
  await writeRoster(file, roster, { overwrite: true });
  return file;
}
