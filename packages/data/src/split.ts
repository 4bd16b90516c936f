/**
 * Splitting one data set among simulated sites: IID, label skew (per-class Dirichlet proportions, Hsu et
 * al. 2019) and quantity skew (Dirichlet site sizes). Every split assigns every example to exactly one
 * site, is a pure function of its seed, and guarantees a minimum number of examples per site or refuses
 * with a {@link DataError} of code `ERR_DATA_SPLIT`.
 * @module
 */
import { aint } from '@tessera/crypto';
import { subset, type ImageDataset } from './dataset.js';
import { DataError, DataErrorCodes } from './errors.js';
import { apportion, dirichlet, shuffle, sourceOf, type Seed } from './sampling.js';

/** Each site's example indices (ascending). Every index in [0, n) is in exactly one site. */
export type SitePartition = number[][];

/** Options every split takes. */
export interface SplitOptions {
  /** Number of sites, ≥ 1. */
  readonly sites: number;
  /** Seed of the split (string or bytes) or a random source. */
  readonly seed: Seed;
  /** Each site gets at least this many examples (default 1). */
  readonly minPerSite?: number;
}

/** Options of the Dirichlet splits. */
export interface DirichletSplitOptions extends SplitOptions {
  /** Dirichlet concentration α > 0: small → skewed, large → near-IID. */
  readonly alpha: number;
  /** Label skew only: draws tried before giving up on the minimum (default 1000). */
  readonly maxAttempts?: number;
}

function check(n: number, o: SplitOptions): { sites: number; min: number } {
  aint(n, 'n', 0, 2 ** 31 - 1);
  if (typeof o !== 'object' || o === null) throw new TypeError('options must be an object');
  const sites = aint(o.sites, 'sites', 1, 1 << 20);
  const min = aint(o.minPerSite ?? 1, 'minPerSite', 0, 2 ** 31 - 1);
  if (n < sites * min)
    throw new DataError(DataErrorCodes.SPLIT, `cannot give ${sites} sites at least ${min} examples each from ${n} examples; use fewer sites or a lower minPerSite`);
  return { sites, min };
}

function checkAlpha(alpha: unknown): number {
  if (typeof alpha !== 'number') throw new TypeError(`alpha must be a number, got ${typeof alpha}`);
  if (!(alpha > 0) || !Number.isFinite(alpha)) throw new RangeError(`alpha must be a finite number > 0, got ${alpha}`);
  return alpha;
}

function deal(order: number[], sizes: number[]): SitePartition {
  const out: SitePartition = [];
  let o = 0;
  for (const s of sizes) {
    out.push(order.slice(o, o + s).sort((a, b) => a - b));
    o += s;
  }
  return out;
}

/**
 * IID: a seeded shuffle dealt into sites whose sizes differ by at most one.
 *
 * @example
 * const parts = splitIid(train.n, { sites: 8, seed: 'run 1' });
 */
export function splitIid(n: number, options: SplitOptions): SitePartition {
  const { sites } = check(n, options);
  const rng = sourceOf(options.seed);
  const order = shuffle(rng, Array.from({ length: n }, (_, i) => i));
  const sizes = Array.from({ length: sites }, (_, s) => Math.floor(n / sites) + (s < n % sites ? 1 : 0));
  return deal(order, sizes);
}

/**
 * Quantity skew: site sizes are `minPerSite` plus a Dirichlet(α)-proportional share of the rest; the
 * examples themselves are a seeded shuffle, so label proportions stay near-IID.
 *
 * @example
 * const parts = splitQuantitySkew(train.n, { sites: 8, alpha: 0.5, seed: 'run 1', minPerSite: 20 });
 */
export function splitQuantitySkew(n: number, options: DirichletSplitOptions): SitePartition {
  const { sites, min } = check(n, options);
  const alpha = checkAlpha(options.alpha);
  const rng = sourceOf(options.seed);
  const p = dirichlet(rng, new Array<number>(sites).fill(alpha));
  const sizes = apportion(n - sites * min, p).map((c) => c + min);
  const order = shuffle(rng, Array.from({ length: n }, (_, i) => i));
  return deal(order, sizes);
}

/**
 * Label skew: for each class, a Dirichlet(α) draw over the sites says which share of that class's
 * (shuffled) examples each site gets. Draws that leave a site below `minPerSite` are redrawn from the
 * same seeded stream, up to `maxAttempts` times; then the split is refused.
 *
 * @example
 * const parts = splitLabelSkew(train.labels, { sites: 8, alpha: 0.3, seed: 'run 1', minPerSite: 10 });
 */
export function splitLabelSkew(labels: ArrayLike<number>, options: DirichletSplitOptions): SitePartition {
  const n = labels.length;
  const { sites, min } = check(n, options);
  const alpha = checkAlpha(options.alpha);
  const attempts = aint(options.maxAttempts ?? 1000, 'maxAttempts', 1, 1e7);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const l = labels[i]!;
    if (!Number.isSafeInteger(l) || l < 0) throw new RangeError(`labels[${i}] must be a non-negative integer, got ${l}`);
    let list = byClass.get(l);
    if (!list) byClass.set(l, (list = []));
    list.push(i);
  }
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const rng = sourceOf(options.seed);
  for (let attempt = 0; attempt < attempts; attempt++) {
    const parts: number[][] = Array.from({ length: sites }, () => []);
    for (const k of classes) {
      const idx = shuffle(rng, [...byClass.get(k)!]);
      const counts = apportion(idx.length, dirichlet(rng, new Array<number>(sites).fill(alpha)));
      let o = 0;
      for (let s = 0; s < sites; s++) {
        for (let j = 0; j < counts[s]!; j++) parts[s]!.push(idx[o + j]!);
        o += counts[s]!;
      }
    }
    if (parts.every((p) => p.length >= min)) return parts.map((p) => p.sort((a, b) => a - b));
  }
  throw new DataError(
    DataErrorCodes.SPLIT,
    `label skew with alpha ${alpha} left some of ${sites} sites below ${min} examples in ${attempts} draws; raise alpha, lower minPerSite or use fewer sites`,
  );
}

/**
 * Each site's own data set from a partition: what a site sees, and nothing more.
 *
 * @example
 * const sites = splitDataset(train, splitIid(train.n, { sites: 4, seed: 's' }));
 */
export function splitDataset(ds: ImageDataset, partition: SitePartition): ImageDataset[] {
  return partition.map((p) => subset(ds, p));
}
