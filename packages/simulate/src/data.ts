/**
 * The data of a simulated consortium: the data set's splits, the training split divided among the
 * sites as the config says (IID, label skew, quantity skew; a pure function of the seed), and what
 * the report shows of each site (its size and label counts — in a real deployment only the site
 * itself would know these; the simulator knows them because it holds everything).
 * @module
 */
import {
  MEDMNIST_BASELINES, PNEUMONIAMNIST, classCounts, loadSplits, splitDataset, splitIid, splitLabelSkew, splitQuantitySkew,
  type ImageDataset, type LoadedSplits, type SitePartition,
} from '@tessera/data';
import type { SimulationConfig } from './config.js';

/** Public standardisation constants of PneumoniaMNIST's training split (mean, std on a 0–1 scale). */
export const PNEUMONIAMNIST_NORMALIZE = Object.freeze({ mean: 0.5719, std: 0.1684 });

export interface SiteData {
  /** 1-based. */
  readonly site: number;
  readonly name: string;
  readonly data: ImageDataset;
  readonly labelCounts: readonly number[];
}

export interface ConsortiumData {
  readonly loaded: LoadedSplits;
  readonly sites: readonly SiteData[];
  readonly val: ImageDataset;
  readonly test: ImageDataset;
  readonly classes: readonly string[];
  readonly normalize: { readonly mean: number; readonly std: number };
  readonly baseline: { readonly name: string; readonly auc: number; readonly accuracy: number };
}

/** The sites' example indices in the training split (seeded by `split/<seed>`). */
export function partition(labels: Int32Array, c: Pick<SimulationConfig, 'sites' | 'split' | 'alpha' | 'minPerSite' | 'seed'>): SitePartition {
  const o = { sites: c.sites, seed: `split/${c.seed}`, minPerSite: c.minPerSite };
  switch (c.split) {
    case 'iid':
      return splitIid(labels.length, o);
    case 'label-skew':
      return splitLabelSkew(labels, { ...o, alpha: c.alpha });
    case 'quantity-skew':
      return splitQuantitySkew(labels.length, { ...o, alpha: c.alpha });
  }
}

/**
 * Loads the data set and divides its training split among the sites.
 *
 * @example
 * const data = await loadConsortium(resolveConfig({ sites: 3, split: 'iid' }));
 * data.sites.map((s) => s.labelCounts);
 */
export async function loadConsortium(c: SimulationConfig, o: { cwd?: string } = {}): Promise<ConsortiumData> {
  const loaded = await loadSplits({
    dataset: PNEUMONIAMNIST, ...(c.data !== null ? { data: c.data } : {}), verify: c.verify, download: true, ...(o.cwd ? { cwd: o.cwd } : {}),
  });
  const { train, val, test } = loaded.splits;
  const parts = partition(train.labels, c);
  const sites = splitDataset(train, parts).map((data, i) => ({ site: i + 1, name: `hospital-${i + 1}`, data, labelCounts: classCounts(data) }));
  return { loaded, sites, val, test, classes: train.classes, normalize: PNEUMONIAMNIST_NORMALIZE, baseline: MEDMNIST_BASELINES.pneumoniamnist };
}
