/**
 * The configuration of a simulated run: one plain JSON-able object, the same whether it comes from
 * `tessera simulate` flags, a `--config` file or a script calling `simulate(config)`. Every field has
 * a default (the README's main job); {@link resolveConfig} fills them in and validates everything,
 * naming the field that is wrong (`config.privacy.epsilon must be …`). Unknown fields are refused, so
 * a typo never silently falls back to a default.
 * @module
 */
import { STAGES, type Stage } from '@tessera/secagg';

export const SPLITS = ['iid', 'label-skew', 'quantity-skew'] as const;
export type SplitKind = (typeof SPLITS)[number];
export const MODELS = ['dp-cnn', 'small-cnn', 'logistic', 'mlp'] as const;
export type ModelName = (typeof MODELS)[number];
export const UNITS = ['patient', 'none'] as const;
export type PrivacyUnit = (typeof UNITS)[number];
export const TRANSPORTS = ['memory', 'ws'] as const;
export type TransportKind = (typeof TRANSPORTS)[number];
export const OPTIMIZERS = ['sgd', 'adam'] as const;

/** A dropout at an explicit round (1-based), site (1-based) and SecAgg stage. */
export interface ScheduledDropout {
  readonly round: number;
  readonly site: number;
  readonly stage: Stage;
}

export interface SimulationConfig {
  /** The data set: 'pneumoniamnist'. */
  readonly dataset: 'pneumoniamnist';
  /** Its file or a folder holding it (default: the usual resolution: $TESSERA_DATA_DIR, ./data, ../shared, the cache). */
  readonly data: string | null;
  /** Check the file against the known checksums (false for a file of your own). */
  readonly verify: boolean;
  /** Number of sites (hospitals). */
  readonly sites: number;
  /** How the training split is divided among the sites. */
  readonly split: SplitKind;
  /** Dirichlet concentration α of the skewed splits (small: more skew). */
  readonly alpha: number;
  /** Fewest training examples any site gets. */
  readonly minPerSite: number;
  readonly model: ModelName;
  readonly rounds: number;
  /** Evaluate on val/test every this many rounds (and at the last). */
  readonly evaluateEvery: number;
  /** Distributed differential privacy. unit 'patient': DP-SGD, one patient (one image here) is the unit; 'none': FedAvg, no noise. */
  readonly privacy: {
    readonly unit: PrivacyUnit;
    /** Target ε over the whole run ('inf': clipped, no noise); ignored when noiseMultiplier is set. */
    readonly epsilon: number | 'inf';
    readonly delta: number;
    /** Use this central noise multiplier z instead of calibrating to ε. */
    readonly noiseMultiplier: number | null;
  };
  /** DP-SGD (privacy.unit 'patient'): Poisson sampling rate q, per-example clip C, and the server optimiser. */
  readonly dpsgd: {
    readonly samplingRate: number;
    readonly clip: number;
    readonly optimizer: (typeof OPTIMIZERS)[number];
    readonly learningRate: number;
    readonly momentum: number;
    readonly weightDecay: number;
  };
  /** FedAvg (privacy.unit 'none'): local training per round and the server step. */
  readonly fedavg: {
    readonly localEpochs: number;
    readonly batchSize: number;
    readonly learningRate: number;
    readonly momentum: number;
    readonly weightDecay: number;
    readonly serverLr: number;
    readonly serverMomentum: number;
  };
  /** Augmentation: each training image (FedAvg: each local epoch; DP-SGD: each time it is sampled) is shifted by up to this many pixels (0: none). */
  readonly maxShift: number;
  /** Report the exponential moving average of the global model with this decay (0: the model itself); post-processing, no privacy cost. */
  readonly ema: number;
  /** Secure aggregation: the neighbour graph ('auto': the sparsest SecAgg+ graph meeting the targets; 'complete'; or a degree k), threshold t (null: derived), ring width b. */
  readonly secagg: {
    readonly graph: 'auto' | 'complete' | number;
    readonly threshold: number | null;
    readonly bits: number;
  };
  /** Dropouts: a per-round probability per site (at a uniformly random stage), per-stage probabilities, or an explicit schedule. */
  readonly dropout: {
    readonly rate: number;
    readonly stages: Readonly<Partial<Record<Stage, number>>> | null;
    readonly schedule: readonly ScheduledDropout[] | null;
  };
  /** 'memory': all parties in one process (the same state machines and signed messages); 'ws': a coordinator and one process per site over loopback WebSockets. */
  readonly transport: TransportKind;
  /** Every random choice (split, initialisation, sampling, noise, masks, keys, dropouts) derives from it. */
  readonly seed: string;
  /** Each party's transcript in <out>/transcripts/ (docs/transcript.md): 'full', 'digests' (large envelopes by digest only), or 'none'. */
  readonly transcripts: 'full' | 'digests' | 'none';
}

/** Something that may be given: any field may be left out (and nested ones too). */
export type SimulationInput = { readonly [K in keyof SimulationConfig]?: SimulationConfig[K] extends readonly unknown[] | string | number | boolean | null ? SimulationConfig[K] : Partial<SimulationConfig[K]> };

/**
 * The main job: PneumoniaMNIST, 5 hospitals with label skew, SecAgg+ with 10 % per-round dropout,
 * patient-level distributed DP at ε = 8, δ = 1e-5, memory transport. The DP-SGD recipe
 * (model, q, C, optimiser, rounds) was chosen on the validation split and measured on test: see
 * packages/simulate/README.md.
 */
export const DEFAULT_CONFIG: SimulationConfig = Object.freeze({
  dataset: 'pneumoniamnist',
  data: null,
  verify: true,
  sites: 5,
  split: 'label-skew',
  alpha: 0.5,
  minPerSite: 50,
  model: 'dp-cnn',
  rounds: 100,
  evaluateEvery: 5,
  privacy: Object.freeze({ unit: 'patient', epsilon: 8, delta: 1e-5, noiseMultiplier: null }),
  dpsgd: Object.freeze({ samplingRate: 0.1, clip: 0.1, optimizer: 'sgd', learningRate: 1, momentum: 0.9, weightDecay: 1e-3 }),
  fedavg: Object.freeze({ localEpochs: 1, batchSize: 32, learningRate: 0.01, momentum: 0.9, weightDecay: 5e-4, serverLr: 1, serverMomentum: 0 }),
  maxShift: 2,
  ema: 0,
  secagg: Object.freeze({ graph: 'auto', threshold: null, bits: 32 }),
  dropout: Object.freeze({ rate: 0.1, stages: null, schedule: null }),
  transport: 'memory',
  seed: '1',
  transcripts: 'full',
} as const);

/** A configuration error: the message names the field (`config.x.y`) and what it must be. */
export class ConfigError extends Error {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field} ${message}`);
    this.name = 'ConfigError';
    this.field = field;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function num(v: unknown, f: string, lo: number, hi: number, opts: { integer?: boolean; open?: boolean } = {}): number {
  if (typeof v !== 'number' || Number.isNaN(v)) throw new ConfigError(f, `must be a number, got ${describe(v)}`);
  if (opts.integer && !Number.isSafeInteger(v)) throw new ConfigError(f, `must be an integer, got ${v}`);
  if (v < lo || v > hi || (opts.open && v === lo)) throw new ConfigError(f, `must be in ${opts.open ? '(' : '['}${lo}, ${hi}], got ${v}`);
  return v;
}
function oneOf<T extends string>(v: unknown, f: string, values: readonly T[]): T {
  if (typeof v !== 'string' || !values.includes(v as T)) throw new ConfigError(f, `must be one of ${values.map((x) => `'${x}'`).join(', ')}, got ${describe(v)}`);
  return v as T;
}
function describe(v: unknown): string {
  if (typeof v === 'string') return `'${v.length > 40 ? `${v.slice(0, 40)}…` : v}'`;
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}
function known(o: Record<string, unknown>, f: string, keys: readonly string[]): void {
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw new ConfigError(`${f}.${k}`, `is not a known field (known: ${keys.join(', ')})`);
}
function section(given: unknown, dflt: object, f: string): Record<string, unknown> {
  if (given === undefined) return { ...dflt };
  if (!isObject(given)) throw new ConfigError(f, `must be an object, got ${describe(given)}`);
  known(given, f, Object.keys(dflt));
  return { ...dflt, ...given };
}

/**
 * The full, validated configuration: `input` over {@link DEFAULT_CONFIG}. Throws ConfigError naming the
 * first bad field.
 *
 * @example
 * const config = resolveConfig({ sites: 10, privacy: { epsilon: 1 } });
 * config.privacy.delta; // 1e-5, the default
 */
export function resolveConfig(input: unknown = {}, root = 'config'): SimulationConfig {
  if (!isObject(input)) throw new ConfigError(root, `must be an object, got ${describe(input)}`);
  known(input, root, Object.keys(DEFAULT_CONFIG));
  const d = DEFAULT_CONFIG;
  const g = input as Record<string, unknown>;
  const pick = <K extends keyof SimulationConfig>(k: K): unknown => (g[k] === undefined ? d[k] : g[k]);

  const data = pick('data');
  if (data !== null && (typeof data !== 'string' || data.length === 0)) throw new ConfigError(`${root}.data`, `must be a path or null, got ${describe(data)}`);
  const verify = pick('verify');
  if (typeof verify !== 'boolean') throw new ConfigError(`${root}.verify`, `must be true or false, got ${describe(verify)}`);
  const seed = pick('seed');
  if (typeof seed !== 'string' || seed.length === 0 || seed.length > 200) throw new ConfigError(`${root}.seed`, `must be a non-empty string of at most 200 characters, got ${describe(seed)}`);
  const sites = num(pick('sites'), `${root}.sites`, 2, 1000, { integer: true });
  const rounds = num(pick('rounds'), `${root}.rounds`, 1, 100_000, { integer: true });

  const p = section(g['privacy'], d.privacy, `${root}.privacy`);
  const unit = oneOf(p['unit'], `${root}.privacy.unit`, UNITS);
  const epsilon = p['epsilon'] === 'inf' || p['epsilon'] === Infinity ? 'inf' : num(p['epsilon'], `${root}.privacy.epsilon`, 0, 1e6, { open: true });
  const delta = num(p['delta'], `${root}.privacy.delta`, 0, 0.5, { open: true });
  const z = p['noiseMultiplier'] === null ? null : num(p['noiseMultiplier'], `${root}.privacy.noiseMultiplier`, 0, 1e4);

  const s = section(g['dpsgd'], d.dpsgd, `${root}.dpsgd`);
  const a = section(g['fedavg'], d.fedavg, `${root}.fedavg`);
  const sa = section(g['secagg'], d.secagg, `${root}.secagg`);
  const graph = sa['graph'];
  if (!(graph === 'auto' || graph === 'complete' || (typeof graph === 'number' && Number.isSafeInteger(graph) && graph >= 2 && graph < sites)))
    throw new ConfigError(`${root}.secagg.graph`, `must be 'auto', 'complete' or a neighbour degree k in [2, ${sites - 1}], got ${describe(graph)}`);
  const threshold = sa['threshold'] === null ? null : num(sa['threshold'], `${root}.secagg.threshold`, 1, sites - 1, { integer: true });

  const dr = section(g['dropout'], d.dropout, `${root}.dropout`);
  const rate = num(dr['rate'], `${root}.dropout.rate`, 0, 0.95);
  let stages: Partial<Record<Stage, number>> | null = null;
  if (dr['stages'] !== null) {
    if (!isObject(dr['stages'])) throw new ConfigError(`${root}.dropout.stages`, `must be an object of stage → probability or null, got ${describe(dr['stages'])}`);
    known(dr['stages'], `${root}.dropout.stages`, STAGES);
    stages = {};
    for (const [k, v] of Object.entries(dr['stages'])) stages[k as Stage] = num(v, `${root}.dropout.stages.${k}`, 0, 0.95);
  }
  let schedule: ScheduledDropout[] | null = null;
  if (dr['schedule'] !== null) {
    if (!Array.isArray(dr['schedule'])) throw new ConfigError(`${root}.dropout.schedule`, `must be an array of { round, site, stage } or null, got ${describe(dr['schedule'])}`);
    schedule = dr['schedule'].map((e: unknown, i: number) => {
      const f = `${root}.dropout.schedule[${i}]`;
      if (!isObject(e)) throw new ConfigError(f, `must be { round, site, stage }, got ${describe(e)}`);
      known(e, f, ['round', 'site', 'stage']);
      return { round: num(e['round'], `${f}.round`, 1, rounds, { integer: true }), site: num(e['site'], `${f}.site`, 1, sites, { integer: true }), stage: oneOf(e['stage'], `${f}.stage`, STAGES) };
    });
  }
  const gd = isObject(g['dropout']) ? g['dropout'] : {};
  const given = (['rate', 'stages', 'schedule'] as const).filter((k) => gd[k] !== undefined && gd[k] !== null && gd[k] !== 0).length;
  if (given > 1) throw new ConfigError(`${root}.dropout`, 'takes one of rate, stages or schedule, not several');

  const config: SimulationConfig = {
    dataset: oneOf(pick('dataset'), `${root}.dataset`, ['pneumoniamnist'] as const),
    data: data as string | null,
    verify,
    sites,
    split: oneOf(pick('split'), `${root}.split`, SPLITS),
    alpha: num(pick('alpha'), `${root}.alpha`, 0, 1e6, { open: true }),
    minPerSite: num(pick('minPerSite'), `${root}.minPerSite`, 1, 1e9, { integer: true }),
    model: oneOf(pick('model'), `${root}.model`, MODELS),
    rounds,
    evaluateEvery: num(pick('evaluateEvery'), `${root}.evaluateEvery`, 1, 100_000, { integer: true }),
    privacy: { unit, epsilon, delta, noiseMultiplier: z },
    dpsgd: {
      samplingRate: num(s['samplingRate'], `${root}.dpsgd.samplingRate`, 0, 1, { open: true }),
      clip: num(s['clip'], `${root}.dpsgd.clip`, 0, 1e6, { open: true }),
      optimizer: oneOf(s['optimizer'], `${root}.dpsgd.optimizer`, OPTIMIZERS),
      learningRate: num(s['learningRate'], `${root}.dpsgd.learningRate`, 0, 10, { open: true }),
      momentum: num(s['momentum'], `${root}.dpsgd.momentum`, 0, 0.999999),
      weightDecay: num(s['weightDecay'], `${root}.dpsgd.weightDecay`, 0, 1),
    },
    fedavg: {
      localEpochs: num(a['localEpochs'], `${root}.fedavg.localEpochs`, 1, 1000, { integer: true }),
      batchSize: num(a['batchSize'], `${root}.fedavg.batchSize`, 1, 65_536, { integer: true }),
      learningRate: num(a['learningRate'], `${root}.fedavg.learningRate`, 0, 10, { open: true }),
      momentum: num(a['momentum'], `${root}.fedavg.momentum`, 0, 0.999999),
      weightDecay: num(a['weightDecay'], `${root}.fedavg.weightDecay`, 0, 1),
      serverLr: num(a['serverLr'], `${root}.fedavg.serverLr`, 0, 100, { open: true }),
      serverMomentum: num(a['serverMomentum'], `${root}.fedavg.serverMomentum`, 0, 0.999999),
    },
    maxShift: num(pick('maxShift'), `${root}.maxShift`, 0, 8, { integer: true }),
    ema: num(pick('ema'), `${root}.ema`, 0, 0.9999),
    secagg: { graph: graph as 'auto' | 'complete' | number, threshold, bits: num(sa['bits'], `${root}.secagg.bits`, 8, 32, { integer: true }) },
    dropout: { rate: stages || schedule ? 0 : rate, stages, schedule },
    transport: oneOf(pick('transport'), `${root}.transport`, TRANSPORTS),
    seed,
    transcripts: oneOf(pick('transcripts'), `${root}.transcripts`, ['full', 'digests', 'none'] as const),
  };
  return deepFreeze(config);
}

function deepFreeze<T>(o: T): T {
  if (typeof o === 'object' && o !== null) {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** The probability that a site drops in a given round under `d` (for deriving t and the graph). */
export function dropoutRateOf(d: SimulationConfig['dropout'], sites: number, rounds: number): number {
  if (d.schedule) {
    // The worst round of the schedule, as a fraction of the sites.
    const per = new Map<number, number>();
    for (const e of d.schedule) per.set(e.round, (per.get(e.round) ?? 0) + 1);
    return Math.min(0.95, Math.max(0, ...per.values()) / sites) * (rounds > 0 ? 1 : 0);
  }
  if (d.stages) return 1 - Object.values(d.stages).reduce((keep, p) => keep * (1 - (p ?? 0)), 1);
  return d.rate;
}

/** ε as a number (Infinity for 'inf'). */
export const epsilonOf = (c: SimulationConfig): number => (c.privacy.epsilon === 'inf' ? Infinity : c.privacy.epsilon);

/** The config as JSON (ε = ∞ written as "inf"). */
export function configJson(c: SimulationConfig): Record<string, unknown> {
  return JSON.parse(JSON.stringify(c)) as Record<string, unknown>;
}
