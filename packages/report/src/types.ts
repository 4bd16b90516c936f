/**
 * The input shapes of the renderers: plain JSON, the same objects a simulation writes to
 * `metrics.jsonl` and `summary.json`.
 * @module
 */

/**
 * A published result to compare against, drawn as a dashed reference line.
 * @example
 * ```ts
 * const b: Baseline = { name: 'MedMNIST v2 ResNet-18 (28)', auc: 0.944, accuracy: 0.854 };
 * ```
 */
export interface Baseline {
  readonly name: string;
  /** Test AUC in [0, 1]. */
  readonly auc: number;
  /** Test accuracy in [0, 1]. */
  readonly accuracy: number;
}

/**
 * One line of `metrics.jsonl`: what happened in one federated round.
 * @example
 * ```ts
 * const line: RoundLine = {
 *   round: 1, loss: 0.61, valAuc: 0.81, testAuc: 0.8, testAccuracy: 0.74, balancedAccuracy: 0.7,
 *   epsilon: 0.9, epsilonWorstCase: 1.1, survivors: [1, 2, 3, 5], dropouts: [{ site: 4, stage: 'masked-input' }],
 *   aborted: null, seconds: 3.2, bytesPerSite: 180_000,
 * };
 * ```
 */
export interface RoundLine {
  /** 1-based round number. */
  readonly round: number;
  /** Mean local training loss (null when no site computed). */
  readonly loss: number | null;
  readonly valAuc: number | null;
  readonly testAuc: number | null;
  readonly testAccuracy: number | null;
  readonly balancedAccuracy: number | null;
  /** ε spent so far (null: no DP). */
  readonly epsilon: number | null;
  /** ε spent so far if every dropout had still been counted (null: no DP). */
  readonly epsilonWorstCase: number | null;
  /** 1-based site ids whose input is in the sum. */
  readonly survivors: readonly number[];
  /** Sites that dropped out, and the protocol stage at which they did. */
  readonly dropouts: readonly { readonly site: number; readonly stage: string }[];
  /** Why the secure round aborted, if it did. */
  readonly aborted: string | null;
  /** Round wall time in seconds. */
  readonly seconds: number;
  /** Mean bytes sent + received per site. */
  readonly bytesPerSite: number;
}

/**
 * One participating site (hospital) and its local data.
 * @example
 * ```ts
 * const s: SiteInfo = { site: 1, name: 'North General', examples: 820, labelCounts: [212, 608] };
 * ```
 */
export interface SiteInfo {
  /** 1-based site id, as in {@link RoundLine.survivors}. */
  readonly site: number;
  readonly name: string;
  /** Number of local training examples. */
  readonly examples: number;
  /** Examples per class, in the order of {@link SimulationReport.classNames}. */
  readonly labelCounts: readonly number[];
}

/**
 * One row of the "what each party saw" table, in plain language.
 * @example
 * ```ts
 * const p: PartyView = { party: 'Server', saw: 'The noisy sum of the surviving sites’ updates', neverSaw: 'Any single site’s update' };
 * ```
 */
export interface PartyView {
  readonly party: string;
  readonly saw: string;
  readonly neverSaw: string;
}

/**
 * Everything the simulation report shows.
 * @example
 * ```ts
 * import { exampleSimulationReport, renderSimulationHtml } from '@tessera/report';
 * const r: SimulationReport = exampleSimulationReport();
 * const html = renderSimulationHtml(r);
 * ```
 */
export interface SimulationReport {
  readonly title: string;
  /** ISO 8601 time. */
  readonly generatedAt: string;
  /** Class names, e.g. `['normal', 'pneumonia']`. */
  readonly classNames: readonly string[];
  /** The contents of `summary.json` (at least these fields). */
  readonly summary: {
    readonly testAuc: number;
    readonly testAccuracy: number;
    readonly balancedAccuracy: number;
    /** Total ε spent (null: no DP). */
    readonly epsilon: number | null;
    readonly delta: number | null;
    readonly rounds: number;
    readonly sites: number;
    readonly wallSeconds: number;
    /** The full configuration, shown as a table and a JSON block. */
    readonly config: unknown;
  };
  readonly baseline?: Baseline;
  readonly rounds: readonly RoundLine[];
  readonly sites: readonly SiteInfo[];
  readonly parties: readonly PartyView[];
  /** Plain-language paragraphs (e.g. how ε was accounted). */
  readonly notes?: readonly string[];
}

/**
 * One run of a sweep.
 * @example
 * ```ts
 * const p: SweepPoint = { label: 'ε = 4', value: 4, epsilon: 3.98, testAuc: 0.91, testAccuracy: 0.83, wallSeconds: 412, report: 'eps-4/report.html' };
 * ```
 */
export interface SweepPoint {
  readonly label: string;
  /** The value of the swept parameter. */
  readonly value: number | string;
  /** ε actually spent (null: no DP, drawn as ∞). */
  readonly epsilon: number | null;
  readonly testAuc: number;
  readonly testAccuracy: number;
  readonly wallSeconds: number;
  /** Relative link to that run's report.html. */
  readonly report?: string;
}

/**
 * A sweep over one parameter: the privacy–utility trade-off.
 * @example
 * ```ts
 * import { exampleSweepReport, renderSweepHtml } from '@tessera/report';
 * const s: SweepReport = exampleSweepReport();
 * const html = renderSweepHtml(s);
 * ```
 */
export interface SweepReport {
  readonly title: string;
  /** ISO 8601 time. */
  readonly generatedAt: string;
  /** The name of the swept parameter, e.g. `'target ε'`. */
  readonly parameter: string;
  readonly points: readonly SweepPoint[];
  readonly baseline?: Baseline;
  readonly config: unknown;
}
