/**
 * `tessera privacy epsilon | calibrate | sample`: the privacy accountant and the noise samplers on their
 * own, for researchers planning a study and auditors re-checking one. Every result also comes as JSON
 * (`--json`) with at least `epsilon`, `delta`, `order` and `conversion`.
 * @module
 */
import { Command, type Option } from 'commander';
import { seededRandom, systemRandom } from '@tessera/crypto';
import {
  DiscreteGaussian, Skellam, calibrateNoise, roundRdp, epsilonFromRdp, DEFAULT_DISCRETE_ORDERS, DEFAULT_GAUSSIAN_ORDERS, toRational,
  type Conversion, type NoiseTemplate, type Rational, type Round,
} from '@tessera/dp';
import { action, configure, subcommand, type Context } from '../command.js';
import { ExitCode, UsageError } from '../errors.js';
import { choice, decimal, integer, nonEmpty, option } from '../options.js';
import { keyValues, printJson, type Io } from '../output.js';

const MECHANISMS = ['gaussian', 'ddgauss', 'skellam'] as const;
type Mechanism = (typeof MECHANISMS)[number];
const CONVERSIONS = ['improved', 'classic'] as const;

/** The flags `epsilon` and `calibrate` share; which apply depends on --mechanism. */
export interface AccountingOptions {
  readonly mechanism: Mechanism;
  readonly noiseMultiplier?: number;
  readonly nMin?: number;
  readonly granularity?: number;
  readonly localStddev?: number;
  readonly clients?: number;
  readonly scale?: number;
  readonly centralStddev?: number;
  readonly l2Clip?: number;
  readonly beta?: number;
  readonly dim?: number;
  readonly samplingRate: number;
  readonly steps: number;
  readonly delta: number;
  readonly epsilon?: number;
  readonly conversion: Conversion;
  readonly json?: boolean;
}

/** Flags by mechanism: what each needs (the noise flag is replaced by --epsilon in calibrate). */
const NEEDS: Record<Mechanism, { noise: keyof AccountingOptions; others: readonly (keyof AccountingOptions)[] }> = {
  gaussian: { noise: 'noiseMultiplier', others: [] },
  ddgauss: { noise: 'localStddev', others: ['granularity', 'clients', 'l2Clip', 'beta', 'dim'] },
  skellam: { noise: 'centralStddev', others: ['scale', 'l2Clip', 'beta', 'dim'] },
};
const ALL_SPECIFIC: readonly (keyof AccountingOptions)[] = ['noiseMultiplier', 'nMin', 'granularity', 'localStddev', 'clients', 'scale', 'centralStddev', 'l2Clip', 'beta', 'dim'];
const flagOf = (k: string): string => '--' + k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase());

/** Checks that exactly the flags of the mechanism are given (naming the missing and the foreign ones). */
function checkFlags(o: AccountingOptions, mode: 'epsilon' | 'calibrate'): void {
  const need = NEEDS[o.mechanism];
  const required = mode === 'epsilon' ? [need.noise, ...need.others] : need.others;
  // --n-min: gaussian's split of the noise; skellam's fewest contributors when calibrating.
  const nMinApplies = o.mechanism === 'gaussian' || (o.mechanism === 'skellam' && mode === 'calibrate');
  const allowed = new Set<keyof AccountingOptions>([...required, ...(nMinApplies ? ['nMin' as const] : [])]);
  const missing = required.filter((k) => o[k] === undefined);
  if (missing.length) throw new UsageError(`--mechanism ${o.mechanism} needs ${missing.map(flagOf).join(', ')}`);
  const foreign = ALL_SPECIFIC.filter((k) => o[k] !== undefined && !allowed.has(k));
  if (foreign.length) throw new UsageError(`${foreign.map(flagOf).join(', ')} ${foreign.length > 1 ? 'do' : 'does'} not apply to ${mode === 'calibrate' ? 'privacy calibrate' : 'privacy epsilon'} --mechanism ${o.mechanism}`);
  if (mode === 'calibrate' && o.epsilon === undefined) throw new UsageError('privacy calibrate needs --epsilon (the target)');
  if (mode === 'epsilon' && o.epsilon !== undefined) throw new UsageError("--epsilon is the target of 'privacy calibrate'; 'privacy epsilon' computes it");
}

/** The round the flags describe (epsilon mode). */
function roundOf(o: AccountingOptions): Round {
  const common = { samplingRate: o.samplingRate, steps: o.steps };
  switch (o.mechanism) {
    case 'gaussian':
      return { mechanism: 'gaussian', noiseMultiplier: o.noiseMultiplier!, ...(o.nMin ? { nMin: o.nMin } : {}), ...common };
    case 'ddgauss':
      return { mechanism: 'ddgauss', granularity: o.granularity!, localStddev: o.localStddev!, clients: o.clients!, l2Clip: o.l2Clip!, beta: o.beta!, dim: o.dim!, ...common };
    case 'skellam':
      return { mechanism: 'skellam', scale: o.scale!, centralStddev: o.centralStddev!, l2Clip: o.l2Clip!, beta: o.beta!, dim: o.dim!, ...common };
  }
}

/** The mechanism without its noise (calibrate mode). */
function templateOf(o: AccountingOptions): NoiseTemplate {
  switch (o.mechanism) {
    case 'gaussian':
      return { mechanism: 'gaussian' };
    case 'ddgauss':
      return { mechanism: 'ddgauss', granularity: o.granularity!, l2Clip: o.l2Clip!, beta: o.beta!, dim: o.dim! };
    case 'skellam':
      return { mechanism: 'skellam', scale: o.scale!, l2Clip: o.l2Clip!, beta: o.beta!, dim: o.dim! };
  }
}

const CONVERSION_TEXT: Record<Conversion, string> = {
  improved: 'improved RDP→(ε, δ) rule of Canonne, Kamath, Steinke 2020 (as in dp_accounting)',
  classic: 'classic RDP→(ε, δ) rule of Mironov 2017: ε = RDP(α) + log(1/δ)/(α − 1)',
};

function accountingFlags(cmd: Command, mode: 'epsilon' | 'calibrate'): Command {
  const pos = decimal(0, Number.MAX_VALUE);
  const nonNegative = decimal(0, Number.MAX_VALUE, true);
  const count = integer(1, 1_000_000);
  // [modes it belongs to, the option]: the noise flags are epsilon's; calibrate finds the noise for --epsilon.
  const flags: [readonly ('epsilon' | 'calibrate')[], Option][] = [
    [['epsilon', 'calibrate'], choice('--mechanism <m>', 'gaussian (central or distributed Gaussian, DP-SGD), ddgauss (distributed discrete Gaussian), skellam', MECHANISMS).makeOptionMandatory()],
    [['epsilon'], option('--noise-multiplier <z>', 'gaussian: noise stddev / L2 sensitivity of the whole (summed) noise', nonNegative)],
    [['epsilon', 'calibrate'], option('--n-min <n>', 'gaussian, skellam: contributors the noise is split over and guaranteed present (the SecAgg threshold t)', count)],
    [['epsilon', 'calibrate'], option('--granularity <g>', 'ddgauss: grid step γ (unscaled units per integer)', pos)],
    [['epsilon'], option('--local-stddev <s>', "ddgauss: each client's noise stddev, unscaled units (S/G on the grid)", nonNegative)],
    [['epsilon', 'calibrate'], option('--clients <n>', 'ddgauss: clients whose noise is present', count)],
    [['epsilon', 'calibrate'], option('--scale <s>', 'skellam: scale s (integers per unscaled unit)', pos)],
    [['epsilon'], option('--central-stddev <s>', 'skellam: stddev of the noise in the sum, unscaled units', nonNegative)],
    [['epsilon', 'calibrate'], option('--l2-clip <c>', 'ddgauss, skellam: L2 clip norm C', pos)],
    [['epsilon', 'calibrate'], option('--beta <b>', 'ddgauss, skellam: conditional randomized rounding bias β', decimal(0, 1, true))],
    [['epsilon', 'calibrate'], option('--dim <d>', 'ddgauss, skellam: dimension of the (padded) update', integer(1, 2 ** 30))],
    [['calibrate'], option('--epsilon <e>', 'the target ε', pos).makeOptionMandatory()],
    [['epsilon', 'calibrate'], option('--sampling-rate <q>', 'Poisson sampling rate per step', decimal(0, 1, true), 1)],
    [['epsilon', 'calibrate'], option('--steps <t>', 'number of steps (rounds)', integer(1, 1e9)).makeOptionMandatory()],
    [['epsilon', 'calibrate'], option('--delta <d>', 'target δ', decimal(0, 1)).makeOptionMandatory()],
    [['epsilon', 'calibrate'], choice('--conversion <rule>', 'RDP to (ε, δ) rule', CONVERSIONS, 'improved')],
  ];
  for (const [modes, o] of flags) if (modes.includes(mode)) cmd.addOption(o);
  return cmd.option('--json', 'print one JSON document instead of the report');
}

export function privacyCommand(ctx: Context): Command {
  const privacy = configure(new Command('privacy'), ctx, 'tessera privacy')
    .summary('the privacy accountant and the noise samplers on their own')
    .description(
      'Rényi-DP accounting of the mechanisms Tessera uses (Gaussian / DP-SGD, distributed discrete Gaussian, Skellam), ' +
      'composition over steps and conversion to (ε, δ), calibration of the noise to a target ε, and samples from the exact ' +
      'discrete samplers so that anyone can test their distribution with their own tools.',
    )
    .addHelpText('after', '\nExamples:\n  $ tessera privacy epsilon --mechanism gaussian --noise-multiplier 1.1 --sampling-rate 0.004267 --steps 14063 --delta 1e-5 --conversion classic\n  $ tessera privacy calibrate --mechanism gaussian --epsilon 8 --sampling-rate 0.01 --steps 500 --delta 1e-5 --n-min 4\n  $ tessera privacy sample --noise discrete-gaussian --stddev 2.5 --count 10 --seed 1\n');
  privacy.addCommand(epsilonCommand(ctx));
  privacy.addCommand(calibrateCommand(ctx));
  privacy.addCommand(sampleCommand(ctx));
  return privacy;
}

function epsilonCommand(ctx: Context): Command {
  const cmd = subcommand(ctx, 'epsilon', {
    summary: 'ε spent by a mechanism over a number of steps',
    description:
      'Computes the Rényi DP of one step of the mechanism on the standard order grid (dp_accounting\'s default orders for ' +
      'gaussian; integer orders 2–128 and 256 for ddgauss and skellam), composes it over --steps, and converts to (ε, δ), ' +
      'saying which conversion rule and which order gave the bound. For Poisson subsampling (--sampling-rate < 1): exact ' +
      'binomial sums and numerical integration for the Gaussian; Zhu–Wang\'s generic bound for the discrete mechanisms.',
    examples: [
      'tessera privacy epsilon --mechanism gaussian --noise-multiplier 1.3 --sampling-rate 0.0025 --steps 6000 --delta 1e-5',
      'tessera privacy epsilon --mechanism ddgauss --granularity 1e-4 --local-stddev 0.5 --clients 10 --l2-clip 1 --beta 0.6065 --dim 65536 --steps 100 --delta 1e-5 --json',
      'tessera privacy epsilon --mechanism skellam --scale 1000 --central-stddev 1.5 --l2-clip 1 --beta 0.6065 --dim 65536 --steps 100 --delta 1e-5',
    ],
  }, 'tessera privacy');
  return action<AccountingOptions>(accountingFlags(cmd, 'epsilon'), ctx, (o) => runEpsilon(o, ctx.io));
}

function calibrateCommand(ctx: Context): Command {
  const cmd = subcommand(ctx, 'calibrate', {
    summary: 'the least noise that meets a target ε',
    description:
      'Finds, by bisection on the logarithm of the noise, the least noise (within a relative 1e-6) whose ε over --steps is at ' +
      'most --epsilon, in the worst case that only --n-min contributors\' noise is present (gaussian: the SecAgg threshold ' +
      't; ddgauss: --clients). Prints the noise in total and per contributor, and the ε it achieves.',
    examples: [
      'tessera privacy calibrate --mechanism gaussian --epsilon 8 --sampling-rate 0.01 --steps 500 --delta 1e-5 --n-min 4',
      'tessera privacy calibrate --mechanism ddgauss --epsilon 4 --granularity 1e-4 --clients 10 --l2-clip 1 --beta 0.6065 --dim 65536 --steps 100 --delta 1e-5 --json',
    ],
  }, 'tessera privacy');
  return action<AccountingOptions>(accountingFlags(cmd, 'calibrate'), ctx, (o) => runCalibrate(o, ctx.io));
}

/** Computes ε for the flags; exit 0. */
export function runEpsilon(o: AccountingOptions, io: Io): number {
  checkFlags(o, 'epsilon');
  const round = roundOf(o);
  const orders = o.mechanism === 'gaussian' ? DEFAULT_GAUSSIAN_ORDERS : DEFAULT_DISCRETE_ORDERS;
  let e;
  try {
    e = epsilonFromRdp(orders, roundRdp(round, orders), o.delta, o.conversion);
  } catch (err) {
    if (err instanceof RangeError || err instanceof TypeError) throw new UsageError(err.message);
    throw err;
  }
  const json = { command: 'privacy epsilon' as const, epsilon: finite(e.epsilon), delta: e.delta, order: e.order, conversion: e.conversion, round };
  if (o.json) printJson(io, json);
  else
    io.out(keyValues([
      ['mechanism', describeRound(round)],
      ['epsilon', `${fmt(e.epsilon)} at delta = ${o.delta} after ${o.steps} step${o.steps === 1 ? '' : 's'}${o.samplingRate < 1 ? ` with sampling rate ${o.samplingRate}` : ''}`],
      ['order', `RDP order α = ${e.order} gave the tightest bound`],
      ['conversion', CONVERSION_TEXT[e.conversion]],
    ]));
  return ExitCode.OK;
}

/** Calibrates the noise for the flags; exit 0, or 1 when no noise can meet the target. */
export function runCalibrate(o: AccountingOptions, io: Io): number {
  checkFlags(o, 'calibrate');
  const nMin = o.mechanism === 'ddgauss' ? o.clients! : o.nMin ?? 1;
  let r;
  try {
    r = calibrateNoise({ epsilon: o.epsilon!, delta: o.delta, steps: o.steps, samplingRate: o.samplingRate, nMin, mechanism: templateOf(o), conversion: o.conversion });
  } catch (err) {
    if (err instanceof RangeError || err instanceof TypeError) throw new UsageError(err.message);
    throw err;
  }
  const noiseName = { gaussian: 'noiseMultiplier', ddgauss: 'localStddev', skellam: 'centralStddev' }[o.mechanism];
  const json = {
    command: 'privacy calibrate' as const, target: o.epsilon, epsilon: r.epsilon, delta: r.delta, order: r.order, conversion: r.conversion,
    mechanism: r.mechanism, noise: r.noise, noiseName, perContributor: r.perContributor, nMin, round: r.round,
  };
  if (o.json) printJson(io, json);
  else {
    const each = {
      gaussian: `each of the ${nMin} contributor${nMin === 1 ? '' : 's'} adds Gaussian noise of stddev ${fmt(r.perContributor)} × the L2 clip`,
      ddgauss: `each client adds discrete Gaussian noise of stddev ${fmt(r.noise)} (unscaled units; ${fmt(r.noise / o.granularity!)} on the grid)`,
      skellam: `each of the ${nMin} contributor${nMin === 1 ? '' : 's'} adds Skellam noise of stddev ${fmt(r.perContributor)} (unscaled units)`,
    }[o.mechanism];
    io.out(keyValues([
      ['noise', `${noiseName} = ${fmt(r.noise)}`],
      ['per contributor', each],
      ['epsilon', `${fmt(r.epsilon)} ≤ target ${o.epsilon} at delta = ${o.delta} after ${o.steps} steps`],
      ['order', `RDP order α = ${r.order}`],
      ['conversion', CONVERSION_TEXT[r.conversion]],
    ]));
  }
  return ExitCode.OK;
}

export interface SampleOptions {
  readonly noise: 'discrete-gaussian' | 'skellam';
  readonly stddev: string;
  readonly count: number;
  readonly seed?: string;
}

function sampleCommand(ctx: Context): Command {
  const cmd = subcommand(ctx, 'sample', {
    summary: 'samples from the exact discrete noise samplers, as a JSON array',
    description:
      'Draws --count independent samples of the discrete Gaussian N_Z(0, σ²) or the symmetric Skellam distribution of ' +
      'variance σ², σ = --stddev read exactly as a decimal (σ² is then an exact rational), and prints them as one JSON ' +
      'array. With --seed the samples are reproducible (AES-CTR from the seed); without it they come from the system CSPRNG.',
    examples: ['tessera privacy sample --noise discrete-gaussian --stddev 2.5 --count 100000 > dg.json', 'tessera privacy sample --noise skellam --stddev 10 --count 5 --seed 1'],
  }, 'tessera privacy');
  cmd
    .addOption(choice('--noise <kind>', 'which distribution', ['discrete-gaussian', 'skellam'] as const).makeOptionMandatory())
    .addOption(option('--stddev <s>', 'standard deviation σ (a decimal, read exactly)', nonEmpty('decimal')).makeOptionMandatory())
    .addOption(option('--count <n>', 'number of samples', integer(0, 10_000_000)).makeOptionMandatory())
    .addOption(option('--seed <s>', 'make the samples reproducible from this string', nonEmpty('seed')));
  return action<SampleOptions>(cmd, ctx, (o) => runSample(o, ctx.io));
}

/** Prints the samples as one JSON array; exit 0. */
export function runSample(o: SampleOptions, io: Io): number {
  let sigma: Rational;
  try {
    sigma = toRational(o.stddev, '--stddev');
  } catch (err) {
    throw new UsageError(`invalid value '${o.stddev}' for --stddev: ${(err as Error).message.replace(/^--stddev /, '')}`);
  }
  const variance = { num: sigma.num * sigma.num, den: sigma.den * sigma.den };
  const rng = o.seed === undefined ? systemRandom : seededRandom(`tessera privacy sample/${o.seed}`);
  let sampler;
  try {
    sampler = o.noise === 'skellam' ? new Skellam(variance, rng) : new DiscreteGaussian(variance, rng);
  } catch (err) {
    if (err instanceof RangeError || err instanceof TypeError) throw new UsageError(`--stddev ${o.stddev}: ${err.message}`);
    throw err;
  }
  const out = new Float64Array(o.count);
  sampler.fill(out);
  // One JSON array, written in pieces so that ten million samples do not build one huge string.
  io.out('[');
  for (let i = 0; i < out.length; i += 65536) io.out((i ? ',' : '') + Array.from(out.subarray(i, i + 65536)).join(','));
  io.out(']\n');
  return ExitCode.OK;
}

const fmt = (x: number): string => (Number.isFinite(x) ? (Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(6) : String(+x.toPrecision(7))) : 'infinity');
const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

function describeRound(r: Round): string {
  switch (r.mechanism) {
    case 'gaussian':
      return `Gaussian, noise multiplier ${r.noiseMultiplier}${r.nMin ? ` split over ${r.nMin} sites` : ''}`;
    case 'ddgauss':
      return `distributed discrete Gaussian: ${r.clients} clients, local stddev ${r.localStddev}, granularity ${r.granularity}, L2 clip ${r.l2Clip}, β ${r.beta}, d ${r.dim}`;
    case 'skellam':
      return `Skellam: central stddev ${r.centralStddev}, scale ${r.scale}, L2 clip ${r.l2Clip}, β ${r.beta}, d ${r.dim}`;
  }
}
