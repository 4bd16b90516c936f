/**
 * `tessera simulate`: a simulated multi-site training run (the README's main job), or a sweep of runs.
 * Flags override a `--config` JSON file, which overrides the defaults (`DEFAULT_CONFIG` of
 * @tessera/simulate); the resolved config is written into summary.json so a run can be repeated
 * exactly with `--config <out>/config.json`.
 * @module
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import cliProgress from 'cli-progress';
import { InvalidArgumentError, type Command } from 'commander';
import { DataError } from '@tessera/data';
import { STAGES, type Stage } from '@tessera/secagg';
import {
  ConfigError, DEFAULT_CONFIG, MODELS, OPTIMIZERS, SPLITS, TRANSPORTS, UNITS, configJson, parseSweep, resolveConfig, simulate, sweep,
  type SimulationEvent, type SimulationSummary, type SweepEvent,
} from '@tessera/simulate';
import { action, subcommand, type Context } from '../command.js';
import { ExitCode, UsageError } from '../errors.js';
import { choice, decimal, fraction, integer, nonEmpty, option } from '../options.js';
import { printJson, table, type Io } from '../output.js';

export interface SimulateFlags {
  readonly config?: string;
  readonly data?: string;
  readonly verify?: boolean;
  readonly sites?: number;
  readonly split?: string;
  readonly alpha?: number;
  readonly minPerSite?: number;
  readonly model?: string;
  readonly rounds?: number;
  readonly evaluateEvery?: number;
  readonly privacy?: string;
  readonly epsilon?: number | 'inf';
  readonly delta?: number;
  readonly noiseMultiplier?: number;
  readonly samplingRate?: number;
  readonly clip?: number;
  readonly serverOptimizer?: string;
  readonly lr?: number;
  readonly momentum?: number;
  readonly weightDecay?: number;
  readonly localEpochs?: number;
  readonly batchSize?: number;
  readonly serverLr?: number;
  readonly serverMomentum?: number;
  readonly maxShift?: number;
  readonly ema?: number;
  readonly graph?: 'auto' | 'complete' | number;
  readonly threshold?: number;
  readonly bits?: number;
  readonly dropout?: number;
  readonly dropoutStages?: Partial<Record<Stage, number>>;
  readonly drop?: { round: number; site: number; stage: Stage }[];
  readonly transport?: string;
  readonly transcripts?: string;
  readonly seed?: string;
  readonly out?: string;
  readonly sweep?: string;
  readonly json?: boolean;
  readonly progress?: boolean;
}

const epsilonArg = (v: string): number | 'inf' => {
  if (v.trim() === 'inf') return 'inf';
  return decimal(0, 1e6)(v);
};
const graphArg = (v: string): 'auto' | 'complete' | number => {
  const s = v.trim();
  if (s === 'auto' || s === 'complete') return s;
  const m = /^(?:k=)?(\d+)$/.exec(s);
  if (!m) throw new InvalidArgumentError("expected 'auto', 'complete' or a neighbour degree k (e.g. 4 or k=4)");
  return Number(m[1]);
};
const stagesArg = (v: string): Partial<Record<Stage, number>> => {
  const out: Partial<Record<Stage, number>> = {};
  for (const part of v.split(',')) {
    const [k, p] = part.split('=').map((x) => x.trim());
    if (!k || p === undefined || !(STAGES as readonly string[]).includes(k)) throw new InvalidArgumentError(`expected STAGE=PROBABILITY,… with stages ${STAGES.join(', ')}; got '${part}'`);
    out[k as Stage] = fraction(true)(p);
  }
  return out;
};
const dropArg = (v: string): { round: number; site: number; stage: Stage }[] =>
  v.split(',').map((part) => {
    const m = /^\s*(\d+):(\d+):([a-z]+)\s*$/.exec(part);
    if (!m || !(STAGES as readonly string[]).includes(m[3]!)) throw new InvalidArgumentError(`expected ROUND:SITE:STAGE,… (1-based round and site; stages ${STAGES.join(', ')}); got '${part}'`);
    return { round: Number(m[1]), site: Number(m[2]), stage: m[3] as Stage };
  });

export function simulateCommand(ctx: Context): Command {
  const d = DEFAULT_CONFIG;
  const cmd = subcommand(ctx, 'simulate', {
    summary: 'simulate a multi-site training run (secure aggregation + distributed DP) and write metrics and a report',
    description:
      'Simulates a consortium training one model: the data set is split among the sites, every round each site trains on its ' +
      'own part, clips, adds its share of discrete Gaussian noise (patient-level DP-SGD) and masks its update (SecAgg+); the ' +
      'coordinator recovers only the noisy sum over the sites that did not drop out, and steps the global model.\n\n' +
      `Without flags this is the main job: PneumoniaMNIST, ${d.sites} hospitals with label skew (Dirichlet α = ${d.alpha}), ` +
      `SecAgg+ with a ${d.dropout.rate * 100} % per-round dropout, patient-level distributed DP at ε = ${d.privacy.epsilon}, δ = ${d.privacy.delta}, ` +
      `${d.rounds} rounds, memory transport, seed ${d.seed}.\n\n` +
      'Writes to --out: metrics.jsonl (a line per round), summary.json, report.html (self-contained: plots and what each party ' +
      'saw), report.md and config.json (the resolved config: repeat the run with --config <out>/config.json). With --sweep, one ' +
      'sub-folder per value plus sweep.json, sweep.html (the privacy–utility curve against the published baseline) and sweep.md.\n\n' +
      'Flags override --config (a JSON object with the fields of config.json, any subset), which overrides the defaults. ' +
      'The same --seed with --transport memory gives identical metrics. --transport ws runs a coordinator here and one process ' +
      'per site over loopback WebSockets (the @tessera/node runtimes); with no dropouts it gives the same model as memory.\n\n' +
      'Exit status: 0 done, 1 the data set could not be found or a run failed, 2 usage or config error.',
    examples: [
      'tessera simulate',
      'tessera simulate --sites 10 --split iid --epsilon 4 --rounds 40 --out runs/iid-eps4',
      'tessera simulate --sweep epsilon=0.5,1,2,4,8,inf --out runs/privacy-utility',
      'tessera simulate --privacy none --model small-cnn --rounds 20      # FedAvg, no DP',
      'tessera simulate --dropout-stages share=0.05,masked=0.1 --transport ws',
      'tessera simulate --drop 3:2:masked,5:4:advertise --seed 7 --json > summary.json',
      'tessera simulate --config runs/a/config.json --seed 2',
    ],
  });
  cmd
    .addOption(option('--config <file>', 'JSON config file (any subset of the fields of config.json)', nonEmpty('path')))
    .addOption(option('--data <path>', 'the data set file or a folder holding it', nonEmpty('path')))
    .option('--no-verify', 'accept a data file matching none of the known checksums')
    .addOption(option('--sites <n>', `number of sites (default ${d.sites})`, integer(2, 1000)))
    .addOption(choice('--split <kind>', `how the training split is divided (default ${d.split})`, SPLITS))
    .addOption(option('--alpha <a>', `Dirichlet α of the skewed splits; small = more skew (default ${d.alpha})`, decimal(0, 1e6)))
    .addOption(option('--min-per-site <n>', `fewest training examples per site (default ${d.minPerSite})`, integer(1, 1e9)))
    .addOption(choice('--model <m>', `model (default ${d.model})`, MODELS))
    .addOption(option('--rounds <n>', `rounds (default ${d.rounds})`, integer(1, 100_000)))
    .addOption(option('--evaluate-every <n>', 'evaluate every n rounds and at the last (default 1)', integer(1, 100_000)))
    .addOption(choice('--privacy <unit>', `'patient': DP-SGD, each patient protected; 'none': FedAvg without noise (default ${d.privacy.unit})`, UNITS))
    .addOption(option('--epsilon <e>', `target ε over the whole run, or 'inf' (clipped, no noise) (default ${d.privacy.epsilon})`, epsilonArg))
    .addOption(option('--delta <d>', `δ (default ${d.privacy.delta})`, decimal(0, 0.5)))
    .addOption(option('--noise-multiplier <z>', 'use this central noise multiplier instead of calibrating to ε', decimal(0, 1e4, true)))
    .addOption(option('--sampling-rate <q>', `DP-SGD Poisson sampling rate per round (default ${d.dpsgd.samplingRate})`, fraction(true)))
    .addOption(option('--clip <c>', `DP-SGD per-patient L2 clip (default ${d.dpsgd.clip})`, decimal(0, 1e6)))
    .addOption(choice('--server-optimizer <o>', `DP-SGD server optimiser (default ${d.dpsgd.optimizer})`, OPTIMIZERS))
    .addOption(option('--lr <rate>', `learning rate: the DP-SGD server optimiser's (default ${d.dpsgd.learningRate}) or FedAvg's local SGD (default ${d.fedavg.learningRate})`, decimal(0, 10)))
    .addOption(option('--momentum <m>', 'momentum of the same optimiser (sgd)', decimal(0, 0.999999, true)))
    .addOption(option('--weight-decay <w>', `weight decay of the same optimiser (default ${d.dpsgd.weightDecay} for DP-SGD, ${d.fedavg.weightDecay} for FedAvg)`, decimal(0, 1, true)))
    .addOption(option('--local-epochs <n>', `FedAvg local epochs per round (default ${d.fedavg.localEpochs})`, integer(1, 1000)))
    .addOption(option('--batch-size <n>', `FedAvg local batch size (default ${d.fedavg.batchSize})`, integer(1, 65_536)))
    .addOption(option('--server-lr <r>', 'FedAvg server learning rate (default 1)', decimal(0, 100)))
    .addOption(option('--server-momentum <b>', 'FedAvg server momentum (default 0)', decimal(0, 0.999999, true)))
    .addOption(option('--max-shift <px>', `augmentation: random shift of each training image in pixels, 0 for none (default ${d.maxShift})`, integer(0, 8)))
    .addOption(option('--ema <decay>', `report the moving average of the global model with this decay, 0 for none (default ${d.ema})`, decimal(0, 0.9999, true)))
    .addOption(option('--graph <g>', "SecAgg graph: 'auto' (sparsest SecAgg+ graph meeting the targets), 'complete' or a degree k (default auto)", graphArg))
    .addOption(option('--threshold <t>', 'Shamir threshold t (default: derived from the sites and the dropout rate)', integer(1, 999)))
    .addOption(option('--bits <b>', `ring width b of Z_2^b (default ${d.secagg.bits})`, integer(8, 32)))
    .addOption(option('--dropout <rate>', `per-site dropout probability per round, at a random stage (default ${d.dropout.rate})`, fraction(true)))
    .addOption(option('--dropout-stages <s=p,...>', `per-stage dropout probabilities (stages: ${STAGES.join(', ')})`, stagesArg))
    .addOption(option('--drop <round:site:stage,...>', 'explicit dropouts (1-based round and site)', dropArg))
    .addOption(choice('--transport <t>', "'memory': one process; 'ws': coordinator + one process per site over loopback WebSockets (default memory)", TRANSPORTS))
    .addOption(choice('--transcripts <mode>', "each party's signed transcript in <out>/transcripts/: full, digests (large envelopes by digest) or none (default full)", ['full', 'digests', 'none'] as const))
    .addOption(option('--seed <s>', `seed of every random choice (default ${d.seed})`, nonEmpty('seed')))
    .addOption(option('--out <dir>', 'output folder (default runs/simulate-<UTC time>)', nonEmpty('path')))
    .addOption(option('--sweep <param=v,...>', 'run once per value: epsilon=0.5,1,2,4,8,inf, sites=…, dropout=…, alpha=…, rounds=…', nonEmpty('sweep')))
    .option('--no-progress', 'no progress bar (one line per round instead)')
    .option('--json', 'print summary.json (or sweep.json) on stdout instead of the report');
  return action<SimulateFlags>(cmd, ctx, (o) => runSimulate(o, ctx.io));
}

/** The partial config of the flags given (flags never given leave the config file's or the default). */
export function flagsToConfig(o: SimulateFlags, unit: string = DEFAULT_CONFIG.privacy.unit): Record<string, unknown> {
  const c: Record<string, Record<string, unknown> | unknown> = {};
  const sub = (k: string): Record<string, unknown> => ((c[k] ??= {}) as Record<string, unknown>);
  const set = (k: string, v: unknown): void => {
    if (v !== undefined) c[k] = v;
  };
  set('data', o.data);
  if (o.verify === false) c['verify'] = false;
  set('sites', o.sites);
  set('split', o.split);
  set('alpha', o.alpha);
  set('minPerSite', o.minPerSite);
  set('model', o.model);
  set('rounds', o.rounds);
  set('evaluateEvery', o.evaluateEvery);
  set('transport', o.transport);
  set('transcripts', o.transcripts);
  set('seed', o.seed);
  if (o.privacy !== undefined) sub('privacy')['unit'] = o.privacy;
  if (o.epsilon !== undefined) sub('privacy')['epsilon'] = o.epsilon;
  if (o.delta !== undefined) sub('privacy')['delta'] = o.delta;
  if (o.noiseMultiplier !== undefined) sub('privacy')['noiseMultiplier'] = o.noiseMultiplier;
  if (o.samplingRate !== undefined) sub('dpsgd')['samplingRate'] = o.samplingRate;
  if (o.clip !== undefined) sub('dpsgd')['clip'] = o.clip;
  if (o.serverOptimizer !== undefined) sub('dpsgd')['optimizer'] = o.serverOptimizer;
  // --lr and --momentum belong to the optimiser that takes the steps: the server's (DP-SGD) or the sites' (FedAvg).
  const opt = (o.privacy ?? unit) === 'patient' ? 'dpsgd' : 'fedavg';
  if (o.lr !== undefined) sub(opt)['learningRate'] = o.lr;
  if (o.momentum !== undefined) sub(opt)['momentum'] = o.momentum;
  if (o.weightDecay !== undefined) sub(opt)['weightDecay'] = o.weightDecay;
  if (o.localEpochs !== undefined) sub('fedavg')['localEpochs'] = o.localEpochs;
  if (o.batchSize !== undefined) sub('fedavg')['batchSize'] = o.batchSize;
  if (o.serverLr !== undefined) sub('fedavg')['serverLr'] = o.serverLr;
  if (o.serverMomentum !== undefined) sub('fedavg')['serverMomentum'] = o.serverMomentum;
  set('maxShift', o.maxShift);
  set('ema', o.ema);
  if (o.graph !== undefined) sub('secagg')['graph'] = o.graph;
  if (o.threshold !== undefined) sub('secagg')['threshold'] = o.threshold;
  if (o.bits !== undefined) sub('secagg')['bits'] = o.bits;
  const drops = [o.dropout !== undefined, o.dropoutStages !== undefined, o.drop !== undefined].filter(Boolean).length;
  if (drops > 1) throw new UsageError('give one of --dropout, --dropout-stages and --drop');
  if (o.dropout !== undefined) c['dropout'] = { rate: o.dropout, stages: null, schedule: null };
  if (o.dropoutStages !== undefined) c['dropout'] = { rate: 0, stages: o.dropoutStages, schedule: null };
  if (o.drop !== undefined) c['dropout'] = { rate: 0, stages: null, schedule: o.drop };
  return c;
}

/** Deep-merges the flags' partial config over the file's. */
function merge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = typeof v === 'object' && v !== null && !Array.isArray(v) && typeof b === 'object' && b !== null && !Array.isArray(b) && k !== 'dropout' ? { ...b, ...v } : v;
  }
  return out;
}

const f4 = (x: number | null | undefined): string => (x === null || x === undefined || !Number.isFinite(x) ? 'n/a' : x.toFixed(4));
const duration = (s: number): string => (s < 60 ? `${Math.round(s)} s` : `${Math.floor(s / 60)} min ${String(Math.round(s % 60)).padStart(2, '0')} s`);
const epsText = (e: number | 'inf' | null): string => (e === null ? '— (no DP)' : e === 'inf' ? '∞ (no noise)' : e.toFixed(3));

/** Progress on stderr: a bar with ETA on a terminal, a line per round otherwise. */
function progress(io: Io, enabled: boolean, totalRounds: number, label: () => string) {
  const tty = enabled && process.stderr.isTTY === true;
  let bar: cliProgress.SingleBar | undefined;
  let done = 0;
  const t0 = performance.now();
  return {
    round(e: Extract<SimulationEvent, { type: 'round' }>): void {
      done++;
      const l = e.line;
      const metrics = l.valAuc !== null || l.testAuc !== null ? `val AUC ${f4(l.valAuc)}  test AUC ${f4(l.testAuc)}  ` : '';
      const info = `${metrics}${l.epsilon !== null ? `ε ${l.epsilon.toFixed(2)}  ` : ''}survivors ${l.survivors.length}${l.aborted ? ' (aborted)' : ''}`;
      if (tty) {
        bar ??= new cliProgress.SingleBar({ stream: process.stderr, format: `${label()} [{bar}] {value}/{total} rounds | ETA {eta_formatted} | {info}`, hideCursor: true, etaBuffer: 20 }, cliProgress.Presets.shades_classic);
        if (done === 1) bar.start(totalRounds, 0, { info });
        bar.update(done, { info });
        if (done === totalRounds) bar.stop();
      } else {
        const elapsed = (performance.now() - t0) / 1000;
        const eta = done < totalRounds ? `, ETA ${duration((elapsed / done) * (totalRounds - done))}` : '';
        io.err(`${label()}round ${l.round}/${e.rounds}  ${info}  ${l.seconds.toFixed(1)} s${eta}\n`);
      }
    },
    stop(): void {
      bar?.stop();
    },
  };
}

function startLine(io: Io, e: Extract<SimulationEvent, { type: 'start' }>): void {
  io.err(
    `tessera simulate: ${e.parameters.toLocaleString('en-US')} parameters, ${e.rounds} rounds, SecAgg ${e.graph} t = ${e.threshold}, transport ${e.transport}` +
    `${e.noiseMultiplier !== null ? `, noise multiplier z = ${e.noiseMultiplier.toFixed(4)}${e.plannedEpsilon !== null && Number.isFinite(e.plannedEpsilon) ? ` (ε ≤ ${e.plannedEpsilon.toFixed(3)} worst case)` : ''}` : ''}\n`,
  );
}

function printSummary(io: Io, s: SimulationSummary, out: string): void {
  const t = table(['', 'test AUC', 'test accuracy', 'ε', 'δ']);
  t.push(['this run (model picked on val, round ' + s.selectedRound + ')', f4(s.testAuc), f4(s.testAccuracy), epsText(s.epsilon), s.delta === null ? '—' : String(s.delta)]);
  t.push([`${s.baseline.name}, central, no DP (published)`, s.baseline.auc.toFixed(3), s.baseline.accuracy.toFixed(3), '—', '—']);
  io.out(`${t.toString()}\n`);
  io.out(
    `${s.sites} sites, ${s.completedRounds}/${s.rounds} rounds completed, SecAgg ${s.graph} t = ${s.threshold}, balanced accuracy ${f4(s.balancedAccuracy)}, ` +
    `${s.epsilonWorstCase !== null && typeof s.epsilonWorstCase === 'number' ? `worst-case ε ${s.epsilonWorstCase.toFixed(3)}, ` : ''}${duration(s.wallSeconds)}\n`,
  );
  io.out(`report: ${join(out, 'report.html')}  (metrics.jsonl, summary.json, report.md beside it)\n`);
}

/** Runs the command; exit 0 done, 1 data or run failure, 2 usage/config error. */
export async function runSimulate(o: SimulateFlags, io: Io): Promise<number> {
  let base: Record<string, unknown> = {};
  if (o.config !== undefined) {
    let text: string;
    try {
      text = await readFile(o.config, 'utf8');
    } catch (e) {
      throw new UsageError(`--config ${o.config}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    try {
      base = JSON.parse(text) as Record<string, unknown>;
    } catch (e) {
      throw new UsageError(`--config ${o.config}: is not valid JSON (${(e as Error).message})`);
    }
    if (typeof base !== 'object' || base === null || Array.isArray(base)) throw new UsageError(`--config ${o.config}: must hold a JSON object`);
  }
  const fileUnit = (base['privacy'] as { unit?: unknown } | undefined)?.unit;
  const given = merge(base, flagsToConfig(o, typeof fileUnit === 'string' ? fileUnit : undefined));
  const out = resolve(o.out ?? join('runs', `simulate-${new Date().toISOString().replace(/[:.]/g, '-').replace(/Z$/, 'Z')}`));
  const show = (p: string): string => {
    const r = relative(process.cwd(), p);
    return r === '' ? '.' : r.startsWith('..') ? p : r;
  };
  try {
    if (o.sweep !== undefined) {
      const spec = parseSweep(o.sweep);
      let point = '';
      let bar: ReturnType<typeof progress> | undefined;
      const result = await sweep(given, spec, {
        out,
        onEvent: (e: SweepEvent) => {
          if (e.type === 'point') {
            point = `[${e.index + 1}/${e.points} ${spec.parameter}=${e.value}] `;
            io.err(`tessera simulate: sweep point ${e.index + 1}/${e.points}: ${spec.parameter} = ${e.value}\n`);
          } else if (e.type === 'start') {
            startLine(io, e);
            bar = progress(io, o.progress !== false, e.rounds, () => point);
          } else if (e.type === 'round') bar?.round(e);
        },
      });
      bar?.stop();
      if (o.json) printJson(io, JSON.parse(await readFile(result.files!.json, 'utf8')));
      else {
        const t = table([spec.parameter, 'ε spent', 'test AUC', 'test accuracy', 'wall']);
        for (const p of result.points) t.push([String(p.value), epsText(p.summary.epsilon), f4(p.testAuc), f4(p.testAccuracy), duration(p.wallSeconds)]);
        io.out(`${t.toString()}\nbaseline: ${result.report.baseline!.name} AUC ${result.report.baseline!.auc} / ACC ${result.report.baseline!.accuracy}\n`);
        io.out(`curve: ${show(result.files!.html)}  (sweep.json, sweep.md beside it; each run's report in its sub-folder)\n`);
      }
      return ExitCode.OK;
    }
    const config = resolveConfig(given);
    await mkdir(out, { recursive: true });
    await writeFile(join(out, 'config.json'), JSON.stringify(configJson(config), null, 2) + '\n');
    let bar: ReturnType<typeof progress> | undefined;
    const result = await simulate(config, {
      out,
      onEvent: (e) => {
        if (e.type === 'loaded') io.err(`tessera simulate: ${e.path}: ${e.sites.map((s) => `site ${s.site} ${s.examples}`).join(', ')} training images\n`);
        else if (e.type === 'start') {
          startLine(io, e);
          bar = progress(io, o.progress !== false, e.rounds, () => '');
        } else if (e.type === 'round') bar?.round(e);
      },
    });
    bar?.stop();
    if (o.json) printJson(io, result.summary);
    else printSummary(io, result.summary, show(out));
    return ExitCode.OK;
  } catch (e) {
    if (e instanceof ConfigError) throw new UsageError(o.config !== undefined && !e.field.startsWith('--') ? `${e.message} (flags and --config ${o.config})` : e.message);
    if (e instanceof DataError) {
      io.err(`tessera simulate: ${e.message}\n`);
      return ExitCode.FAILURE;
    }
    if (e instanceof Error && /site process/.test(e.message)) {
      io.err(`tessera simulate: ${e.message}\n`);
      return ExitCode.FAILURE;
    }
    throw e;
  }
}
