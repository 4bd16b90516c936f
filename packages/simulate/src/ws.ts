/**
 * The WebSocket transport of `simulate`: this process is the coordinator (the @tessera/node
 * `Coordinator` listening on 127.0.0.1, plus the federation's `Server` that decodes each round's sum
 * and steps the model), and every site is its own OS process (`site-process.ts`, forked) running a
 * @tessera/node `Peer` whose UpdateProvider is the federation's `Site`. Before each round the
 * coordinator publishes the global model and the round's public seed (a signed `publish` control
 * message); the sites train on their own data and answer with masked vectors; the coordinator learns
 * the sum of the survivors only.
 *
 * The site processes rebuild the run from the same config (data split, model, plan, keys), so with
 * the same seed and no dropouts the final model equals the memory transport's. Scheduled dropouts
 * become real ones: the site closes its connection instead of sending that stage's message, then
 * redials for the next round.
 * @module
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunTracker, createFederation, encodePublication, publicationBytes, type RoundReport } from '@tessera/federated';
import { Coordinator } from '@tessera/node';
import type { Stage } from '@tessera/secagg';
import { WebSocketTransport } from '@tessera/transport';
import type { SimulationConfig } from './config.js';
import { CountingTransport } from './counting.js';
import type { ConsortiumData } from './data.js';
import type { RunSetup } from './setup.js';
import type { EngineResult } from './simulate.js';
import type { SiteInit, SiteMessage } from './site-process.js';
import { openTranscript, sessionParams, writeRunRoster } from './transcripts.js';

/** How long a round may take to start its secure part (local training happens before advertise). */
const TRAINING_DEADLINE_MS = 30 * 60_000;
const STAGE_DEADLINE_MS = 5 * 60_000;

export interface WsRunOptions {
  readonly onRound: (r: RoundReport) => void;
  /** Folder for the site processes' logs (sites/hospital-<i>.log). */
  readonly out?: string;
}

/**
 * Runs the federation of `setup` with a WebSocket coordinator here and one process per site.
 * Rejects (and kills the site processes) when a site process fails or the session cannot finish.
 */
export async function runOverWebSockets(c: SimulationConfig, data: ConsortiumData, setup: RunSetup, o: WsRunOptions): Promise<EngineResult> {
  const f = createFederation(setup.options);
  const tracker = new RunTracker(f, { ...setup.options, val: data.val, test: data.test });
  const dim = f.server.trainer.parameterCount;
  const transport = new CountingTransport(new WebSocketTransport());
  const writer = o.out && c.transcripts !== 'none'
    ? await openTranscript(o.out, 0, f.channel.serverIdentity, c.transcripts, sessionParams(c, f))
    : undefined;
  if (writer) await writeRunRoster(o.out!, c, f);
  const dropouts = new Map<number, Map<number, Stage>>();
  const local = new Map<number, { loss: number; n: number; clipped: number; seconds: number }>();
  const started = new Map<number, number>();
  // Bytes of each round's frames, counted where every frame passes: the coordinator (sites only talk to it).
  const bytesAtStart = new Map<number, number>();
  const counted = (): number => transport.counter.sent + transport.counter.received;
  /** The decoded aggregate of the last completed round, published with the next round's model. */
  let lastUpdate: { round: number; mean: Float64Array } | undefined;
  const reports: RoundReport[] = [];
  /** The tracker's report of round `round` (accounting, evaluation), with what the coordinator saw of it. */
  const finish = (round: number, outcome: { survivors: readonly number[]; total: number; aborted?: string }): RoundReport => {
    const l = local.get(round);
    const seconds = (performance.now() - (started.get(round) ?? performance.now())) / 1000;
    const report = tracker.finish({
      round, survivors: [...outcome.survivors],
      dropouts: [...(dropouts.get(round) ?? new Map<number, Stage>())].sort(([x], [y]) => x - y).map(([site, stage]) => ({ site, stage })),
      ...(outcome.aborted ? { aborted: outcome.aborted } : {}),
      total: outcome.total, clipped: l?.clipped ?? 0, loss: l && l.n > 0 ? l.loss / l.n : NaN, bytes: counted() - (bytesAtStart.get(round) ?? counted()),
      seconds: { local: l?.seconds ?? 0, secagg: Math.max(0, seconds - (l?.seconds ?? 0)), server: 0 },
    });
    reports.push(report);
    o.onRound(report);
    return report;
  };
  const coordinator = new Coordinator({
    transport, session: f.channel.session, identity: f.channel.serverIdentity, rounds: c.rounds,
    listen: { host: '127.0.0.1', port: 0, insecure: true, warn: () => undefined },
    deadlines: { advertiseMs: TRAINING_DEADLINE_MS, shareMs: STAGE_DEADLINE_MS, maskedMs: STAGE_DEADLINE_MS, consistencyMs: STAGE_DEADLINE_MS, unmaskMs: STAGE_DEADLINE_MS },
    // Every site takes part when connected: wait for all of them (a dropped site redials within seconds).
    gatherMs: 30_000,
    maxPublicationBytes: publicationBytes(dim),
    ...(writer ? { transcript: writer } : {}),
    publish: (r) => {
      const p = encodePublication({ round: r, roundSeed: f.roundSeed(r), parameters: f.server.parameters, ...(lastUpdate ? { update: lastUpdate.mean, updateRound: lastUpdate.round } : {}) });
      lastUpdate = undefined;
      return p;
    },
    // A completed round: decode, step, account and evaluate here, so the round-result note carries ε.
    onResult: (r, result) => {
      const decoded = f.server.decode(result.sum, f.roundSeed(r));
      f.server.step(decoded);
      lastUpdate = { round: r, mean: decoded.mean };
      const report = finish(r, { survivors: result.survivors, total: decoded.total });
      return { epsilon: report.epsilon ?? null, epsilonWorstCase: report.epsilonWorstCase ?? null };
    },
  });
  coordinator.on('round-start', (e) => {
    started.set(e.round, performance.now());
    bytesAtStart.set(e.round, counted());
  });
  coordinator.on('dropout', (e) => {
    const m = dropouts.get(e.round) ?? new Map<number, Stage>();
    for (const u of e.members) if (!m.has(u)) m.set(u, e.stage);
    dropouts.set(e.round, m);
  });
  let failure: Error | undefined;
  coordinator.on('round-end', (e) => {
    if (failure || e.ok) return; // completed rounds were reported by onResult
    try {
      finish(e.round, { survivors: [], total: 0, aborted: `${e.code ?? 'ERR_ABORTED'}: ${e.reason ?? 'aborted'}` });
    } catch (err) {
      failure = err as Error;
      coordinator.stop();
    }
  });

  const address = await coordinator.start();
  const logs: WriteStream[] = [];
  const children: ChildProcess[] = [];
  const entry = fileURLToPath(new URL('./site-process.js', import.meta.url));
  if (o.out) mkdirSync(join(o.out, 'sites'), { recursive: true });
  const childFailed = new Promise<never>((_, reject) => {
    for (const s of data.sites) {
      const child = fork(entry, [], { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], execArgv: ['--enable-source-maps'] });
      children.push(child);
      if (o.out) {
        const log = createWriteStream(join(o.out, 'sites', `${s.name}.log`));
        logs.push(log);
        child.stdout!.pipe(log, { end: false });
        child.stderr!.pipe(log, { end: false });
      } else {
        child.stdout!.resume();
        child.stderr!.resume();
      }
      child.on('message', (m: SiteMessage) => {
        if (m.type === 'local') {
          const l = local.get(m.round) ?? { loss: 0, n: 0, clipped: 0, seconds: 0 };
          if (Number.isFinite(m.loss)) {
            l.loss += m.loss;
            l.n++;
          }
          l.clipped += m.clipped;
          l.seconds = Math.max(l.seconds, m.seconds);
          local.set(m.round, l);
        }
      });
      child.on('exit', (code, signal) => {
        if (code !== 0) {
          const err = new Error(`site process ${s.name} exited with ${signal ?? `code ${code}`} before the session ended${o.out ? ` (log: ${join(o.out, 'sites', `${s.name}.log`)})` : ''}`);
          failure ??= err;
          coordinator.stop();
          reject(err);
        }
      });
      const init: SiteInit = { type: 'init', config: c, site: s.site, address, cwd: process.cwd(), ...(o.out ? { out: o.out } : {}) };
      child.send(init);
    }
  });
  childFailed.catch(() => undefined);
  try {
    await Promise.race([coordinator.run(), childFailed]);
    await Promise.race([Promise.all(children.map((ch) => (ch.exitCode !== null ? undefined : new Promise((r) => ch.once('exit', r))))), new Promise((r) => setTimeout(r, 10_000))]);
  } finally {
    for (const ch of children) if (ch.exitCode === null && ch.signalCode === null) ch.kill('SIGKILL');
    for (const l of logs) l.end();
    await coordinator.close();
    await writer?.close();
  }
  if (failure) throw failure;
  const best = tracker.best;
  return { reports, parameters: tracker.parameters, ...(best ? { best: { round: best.round, ...(best.test ? { test: best.test } : {}) } } : {}) };
}
