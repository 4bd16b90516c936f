/**
 * `simulate(config)`: one simulated multi-site training run, end to end — load and split the data,
 * calibrate the noise, run the rounds over the chosen transport, and write the output folder:
 *
 *     metrics.jsonl   one line per round (loss, AUC, accuracy, ε, survivors, dropouts, time, bytes per site)
 *     summary.json    the outcome (testAuc, testAccuracy, balancedAccuracy, epsilon, delta, rounds, sites,
 *                     wallSeconds, config, …)
 *     report.html     one self-contained page: plots and the table of what each party saw
 *     report.md       the same for a terminal
 *
 * The same seed and the memory transport give identical metrics (every random choice derives from the
 * seed); the WebSocket transport gives the same model when no site drops out.
 * @module
 */
import { appendFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { sha256, toHex } from '@tessera/crypto';
import { RunTracker, createFederation, runFederatedRound, type RoundReport } from '@tessera/federated';
import { renderSimulationHtml, renderSimulationMarkdown, type RoundLine, type SimulationReport } from '@tessera/report';
import { configJson, resolveConfig, type SimulationConfig } from './config.js';
import { loadConsortium, type ConsortiumData } from './data.js';
import { partiesOf, notesOf } from './parties.js';
import { runSetup, type RunSetup } from './setup.js';
import { MemoryTranscripts, writeRunRoster } from './transcripts.js';
import { runOverWebSockets } from './ws.js';

/** Progress of a run (for a progress bar; no event carries data, an update or a secret). */
export type SimulationEvent =
  | { readonly type: 'loaded'; readonly path: string; readonly sites: readonly { readonly site: number; readonly examples: number }[] }
  | { readonly type: 'start'; readonly rounds: number; readonly threshold: number; readonly graph: string; readonly noiseMultiplier: number | null; readonly plannedEpsilon: number | null; readonly parameters: number; readonly transport: string }
  | { readonly type: 'round'; readonly rounds: number; readonly line: RoundLine }
  | { readonly type: 'done'; readonly summary: SimulationSummary };

export interface SimulateOptions {
  /** Output folder (created); no files are written without it. */
  readonly out?: string;
  readonly onEvent?: (e: SimulationEvent) => void;
  /** Where to look for the data set from (default process.cwd()). */
  readonly cwd?: string;
}

/** summary.json. */
export interface SimulationSummary {
  readonly kind: 'tessera-simulation';
  readonly version: 1;
  /** Test metrics of the model picked on validation AUC (the server's own split; the test split chooses nothing). */
  readonly testAuc: number;
  readonly testAccuracy: number;
  readonly balancedAccuracy: number;
  readonly selectedRound: number;
  /** Test metrics of the last round's model. */
  readonly final: { readonly testAuc: number | null; readonly testAccuracy: number | null; readonly balancedAccuracy: number | null };
  /** ε spent over the run with the noise really present (null: no DP; "inf": clipped but no noise). */
  readonly epsilon: number | 'inf' | null;
  /** ε if only t sites' noise had been present in every round (what the calibration guarantees). */
  readonly epsilonWorstCase: number | 'inf' | null;
  readonly delta: number | null;
  readonly noiseMultiplier: number | null;
  readonly rounds: number;
  readonly completedRounds: number;
  readonly sites: number;
  readonly threshold: number;
  readonly graph: string;
  readonly parameters: number;
  /** SHA-256 (hex) of the final model's parameters as float32 little-endian: equal digests, equal models. */
  readonly modelSha256: string;
  readonly transport: string;
  readonly baseline: { readonly name: string; readonly auc: number; readonly accuracy: number };
  readonly dataset: { readonly name: string; readonly path: string; readonly sha256: string; readonly layout: string; readonly train: number; readonly val: number; readonly test: number };
  readonly wallSeconds: number;
  readonly config: Record<string, unknown>;
}

export interface SimulationResult {
  readonly summary: SimulationSummary;
  readonly rounds: readonly RoundLine[];
  readonly parameters: Float32Array;
  readonly report: SimulationReport;
  /** Files written, when `out` was given. */
  readonly files?: { readonly metrics: string; readonly summary: string; readonly html: string; readonly markdown: string };
}

const r6 = (x: number | undefined | null): number | null => (x === undefined || x === null || !Number.isFinite(x) ? null : Math.round(x * 1e6) / 1e6);
const graphName = (g: RunSetup['graph']): string => (g.kind === 'complete' ? 'complete' : `k=${g.degree}`);

/** A round report as a metrics.jsonl line (rounds 1-based). */
export function roundLine(r: RoundReport, sites: number): RoundLine {
  return {
    round: r.round + 1,
    loss: r6(r.loss),
    valAuc: r6(r.val?.auc), testAuc: r6(r.test?.auc), testAccuracy: r6(r.test?.accuracy), balancedAccuracy: r6(r.test?.balancedAccuracy),
    epsilon: r6(r.epsilon), epsilonWorstCase: r6(r.epsilonWorstCase),
    survivors: [...r.survivors], dropouts: r.dropouts.map((d) => ({ site: d.site, stage: d.stage })), aborted: r.aborted ?? null,
    seconds: Math.round(r.seconds.total * 1000) / 1000,
    bytesPerSite: Math.round(r.bytes / sites),
  };
}

/** What both transports return to the runner. */
export interface EngineResult {
  readonly reports: readonly RoundReport[];
  readonly parameters: Float32Array;
  readonly best?: { readonly round: number; readonly test?: RoundReport['test'] };
}

/**
 * Runs one simulation.
 *
 * @example
 * const { summary } = await simulate({ sites: 3, rounds: 5, privacy: { epsilon: 4 } }, { out: 'runs/a' });
 * summary.testAuc; summary.epsilon;
 */
export async function simulate(input: unknown = {}, options: SimulateOptions = {}): Promise<SimulationResult> {
  const config = resolveConfig(input);
  const started = performance.now();
  const emit = options.onEvent ?? (() => undefined);
  const data = await loadConsortium(config, options.cwd ? { cwd: options.cwd } : {});
  emit({ type: 'loaded', path: data.loaded.resolved.path, sites: data.sites.map((s) => ({ site: s.site, examples: s.data.n })) });
  const setup = runSetup(config, data);
  emit({
    type: 'start', rounds: config.rounds, threshold: setup.threshold, graph: graphName(setup.graph), noiseMultiplier: setup.noiseMultiplier,
    plannedEpsilon: setup.plannedEpsilon, parameters: setup.parameters, transport: config.transport,
  });
  const out = options.out === undefined ? undefined : resolve(options.out);
  const metricsFile = out && join(out, 'metrics.jsonl');
  if (out) {
    await mkdir(out, { recursive: true });
    await writeFile(metricsFile!, '');
  }
  const lines: RoundLine[] = [];
  // Synchronous on purpose: the memory transport runs its rounds without yielding, and each line is on
  // disk (and the progress bar moved) before the next round starts.
  const onRound = (r: RoundReport): void => {
    const line = roundLine(r, config.sites);
    lines.push(line);
    if (metricsFile) appendFileSync(metricsFile, JSON.stringify(line) + '\n');
    emit({ type: 'round', rounds: config.rounds, line });
  };
  let engine: EngineResult;
  if (config.transport === 'memory') engine = await runInMemory(config, data, setup, { onRound, ...(out ? { out } : {}) });
  else engine = await runOverWebSockets(config, data, setup, { onRound, ...(out ? { out } : {}) });
  const wallSeconds = (performance.now() - started) / 1000;
  const summary = summarize(config, data, setup, engine, wallSeconds);
  const report: SimulationReport = {
    title: `Tessera simulation: ${config.sites} sites, ${config.privacy.unit === 'patient' ? `patient-level DP ε = ${config.privacy.epsilon === 'inf' ? '∞' : config.privacy.epsilon}` : 'no DP (FedAvg)'}, seed ${config.seed}`,
    generatedAt: new Date().toISOString(),
    classNames: data.classes,
    summary: {
      testAuc: summary.testAuc, testAccuracy: summary.testAccuracy, balancedAccuracy: summary.balancedAccuracy,
      epsilon: typeof summary.epsilon === 'number' ? summary.epsilon : null, delta: summary.delta, rounds: summary.rounds, sites: summary.sites,
      wallSeconds: summary.wallSeconds, config: summary.config,
    },
    baseline: data.baseline,
    rounds: lines,
    sites: data.sites.map((s) => ({ site: s.site, name: s.name, examples: s.data.n, labelCounts: s.labelCounts })),
    parties: partiesOf(config, setup),
    notes: notesOf(config, setup, summary),
  };
  let files: SimulationResult['files'];
  if (out) {
    files = { metrics: metricsFile!, summary: join(out, 'summary.json'), html: join(out, 'report.html'), markdown: join(out, 'report.md') };
    await writeFile(files.summary, JSON.stringify(summary, null, 2) + '\n');
    await writeFile(files.html, renderSimulationHtml(report));
    await writeFile(files.markdown, renderSimulationMarkdown(report));
  }
  emit({ type: 'done', summary });
  return { summary, rounds: lines, parameters: engine.parameters, report, ...(files ? { files } : {}) };
}

function summarize(c: SimulationConfig, data: ConsortiumData, setup: RunSetup, e: EngineResult, wallSeconds: number): SimulationSummary {
  const last = e.reports[e.reports.length - 1];
  const pick = e.best?.test ?? last?.test;
  const dp = c.privacy.unit === 'patient';
  const inf = dp && setup.noiseMultiplier === 0;
  const lastEps = [...e.reports].reverse().find((r) => r.epsilon !== undefined);
  const { splits, resolved, layout, sha256 } = data.loaded;
  return {
    kind: 'tessera-simulation', version: 1,
    testAuc: r6(pick?.auc) ?? NaN, testAccuracy: r6(pick?.accuracy) ?? NaN, balancedAccuracy: r6(pick?.balancedAccuracy) ?? NaN,
    selectedRound: (e.best?.round ?? e.reports.length - 1) + 1,
    final: { testAuc: r6(last?.test?.auc), testAccuracy: r6(last?.test?.accuracy), balancedAccuracy: r6(last?.test?.balancedAccuracy) },
    epsilon: !dp ? null : inf ? 'inf' : r6(lastEps?.epsilon ?? 0),
    epsilonWorstCase: !dp ? null : inf ? 'inf' : r6(lastEps?.epsilonWorstCase ?? 0),
    delta: dp ? c.privacy.delta : null,
    noiseMultiplier: setup.noiseMultiplier,
    rounds: c.rounds, completedRounds: e.reports.filter((r) => !r.aborted).length, sites: c.sites,
    threshold: setup.threshold, graph: graphName(setup.graph), parameters: setup.parameters, modelSha256: modelDigest(e.parameters), transport: c.transport,
    baseline: data.baseline,
    dataset: { name: c.dataset, path: resolved.path, sha256, layout, train: splits.train.n, val: splits.val.n, test: splits.test.n },
    wallSeconds: Math.round(wallSeconds * 10) / 10,
    config: configJson(c),
  };
}

/** SHA-256 (hex) of parameters as float32 little-endian. */
export function modelDigest(p: Float32Array): string {
  const bytes = new Uint8Array(p.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < p.length; i++) view.setFloat32(4 * i, p[i]!, true);
  return toHex(sha256(bytes));
}

/**
 * The memory transport: every party in this process, each round through runRound (the real SecAgg
 * state machines exchanging real signed envelopes), the same RunTracker as the WebSocket transport, and
 * each party's transcript fed from the envelopes it sent and received.
 */
async function runInMemory(c: SimulationConfig, data: ConsortiumData, setup: RunSetup, o: { onRound: (r: RoundReport) => void; out?: string }): Promise<EngineResult> {
  const f = createFederation(setup.options);
  const tracker = new RunTracker(f, { ...setup.options, val: data.val, test: data.test });
  const tx = o.out && c.transcripts !== 'none' ? await MemoryTranscripts.open(o.out, c, f, c.transcripts) : undefined;
  if (tx) await writeRunRoster(o.out!, c, f);
  try {
    for (let r = 0; r < c.rounds; r++) {
      let sum: Uint32Array | undefined;
      const base = runFederatedRound(f, r, f.schedule(r), { ...(tx ? { observe: tx.observe } : {}), onSum: (s) => (sum = s) });
      const report = tracker.finish(base);
      if (tx) {
        if (sum && !base.aborted) tx.result(r, base.survivors, sum, report.epsilon, report.epsilonWorstCase);
        else tx.aborted(r, base.aborted ?? 'ERR_ABORTED: no sum');
        await tx.flush();
      }
      o.onRound(report);
    }
  } finally {
    await tx?.close();
  }
  const best = tracker.best;
  return { reports: tracker.reports, parameters: tracker.parameters, ...(best ? { best: { round: best.round, ...(best.test ? { test: best.test } : {}) } } : {}) };
}
