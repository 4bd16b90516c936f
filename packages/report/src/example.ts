/**
 * Realistic example inputs (a 5-site, 10-round PneumoniaMNIST run with dropouts and one aborted round;
 * a sweep over target ε), for documentation, demos and tests.
 * @module
 */
import type { RoundLine, SimulationReport, SweepReport } from './types.js';

/**
 * An example {@link SimulationReport}. `dp: false` gives the same run without differential privacy.
 * @example
 * ```ts
 * renderSimulationHtml(exampleSimulationReport({ dp: false }));
 * ```
 */
export function exampleSimulationReport(options: { dp?: boolean } = {}): SimulationReport {
  const dp = options.dp ?? true;
  const auc = [0.742, 0.815, 0.853, 0.874, 0.889, null, 0.898, 0.907, 0.912, 0.918];
  const val = [0.751, 0.824, 0.861, 0.879, 0.894, null, 0.901, 0.911, 0.914, 0.921];
  const acc = [0.66, 0.731, 0.772, 0.793, 0.806, null, 0.815, 0.824, 0.829, 0.836];
  const bal = [0.598, 0.684, 0.731, 0.756, 0.772, null, 0.783, 0.795, 0.8, 0.809];
  const loss = [0.612, 0.498, 0.441, 0.405, 0.381, null, 0.362, 0.349, 0.338, 0.329];
  const dropouts: Record<number, { site: number; stage: string }[]> = {
    3: [{ site: 4, stage: 'masked-input' }],
    6: [
      { site: 2, stage: 'key-share' },
      { site: 3, stage: 'key-share' },
      { site: 5, stage: 'masked-input' },
    ],
    9: [{ site: 1, stage: 'unmasking' }],
  };
  let eps = 0;
  let worst = 0;
  const rounds: RoundLine[] = auc.map((a, i) => {
    const round = i + 1;
    const drop = dropouts[round] ?? [];
    const aborted = round === 6 ? 'only 2 of 5 sites reached the masked-input stage; the threshold is 3' : null;
    if (aborted === null) {
      eps += 0.38 + (drop.length ? 0.03 : 0);
      worst += 0.47;
    }
    const survivors = aborted !== null ? [1, 4] : [1, 2, 3, 4, 5].filter((s) => !drop.some((d) => d.site === s));
    return {
      round,
      loss: loss[i]!,
      valAuc: val[i]!,
      testAuc: a,
      testAccuracy: acc[i]!,
      balancedAccuracy: bal[i]!,
      epsilon: dp ? Number(eps.toFixed(4)) : null,
      epsilonWorstCase: dp ? Number(worst.toFixed(4)) : null,
      survivors,
      dropouts: drop,
      aborted,
      seconds: aborted !== null ? 4.1 : 11.8 + (i % 3) * 0.7,
      bytesPerSite: aborted !== null ? 61_200 : 1_184_000 + i * 1_300,
    };
  });
  return {
    title: `PneumoniaMNIST, 5 hospitals${dp ? ', distributed DP' : ', no DP'}`,
    generatedAt: '2026-11-26T09:40:00.000Z',
    classNames: ['normal', 'pneumonia'],
    summary: {
      testAuc: 0.918,
      testAccuracy: 0.836,
      balancedAccuracy: 0.809,
      epsilon: dp ? Number(eps.toFixed(4)) : null,
      delta: dp ? 1e-5 : null,
      rounds: 10,
      sites: 5,
      wallSeconds: 131.4,
      config: {
        dataset: 'pneumoniamnist',
        model: { arch: 'cnn-small', width: 16 },
        rounds: 10,
        sites: 5,
        split: { kind: 'dirichlet', alpha: 0.5, seed: 7 },
        local: { epochs: 1, batchSize: 32, learningRate: 0.05 },
        secagg: { threshold: 3, bits: 20 },
        dp: dp ? { mechanism: 'ddgauss', epsilon: 4, delta: 1e-5, l2Clip: 1, accountant: 'rdp' } : null,
        dropout: { rate: 0.1 },
      },
    },
    baseline: { name: 'MedMNIST v2 ResNet-18 (28)', auc: 0.944, accuracy: 0.854 },
    rounds,
    sites: [
      { site: 1, name: 'North General', examples: 1046, labelCounts: [412, 634] },
      { site: 2, name: 'St. Anne’s Children’s', examples: 988, labelCounts: [129, 859] },
      { site: 3, name: 'Riverside Clinic', examples: 731, labelCounts: [356, 375] },
      { site: 4, name: 'University Hospital', examples: 1207, labelCounts: [147, 1060] },
      { site: 5, name: 'Lakeside Regional', examples: 736, labelCounts: [170, 566] },
    ],
    parties: [
      {
        party: 'Each hospital',
        saw: 'Its own images and labels, and the global model after each round.',
        neverSaw: 'Any other hospital’s images, labels or model update.',
      },
      {
        party: 'Aggregation server',
        saw: dp ? 'Only the sum of the surviving hospitals’ updates, each already noised and masked.' : 'Only the sum of the surviving hospitals’ masked updates.',
        neverSaw: 'Any single hospital’s update, images or labels.',
      },
      { party: 'Anyone given the final model', saw: 'The trained weights.', neverSaw: dp ? 'More about any single patient than ε allows.' : 'Training images directly (but no formal bound without DP).' },
    ],
    notes: dp
      ? [
          'Privacy was accounted with Rényi DP for the distributed discrete Gaussian and converted to (ε, δ) at δ = 1e-5.',
          'Round 6 aborted: too few sites reached the masked-input stage, so nothing was aggregated and no privacy was spent.',
        ]
      : ['No noise was added; the reported metrics are an upper reference for the DP runs.'],
  };
}

/**
 * An example {@link SweepReport} over target ε, with one run without DP (ε = ∞).
 * @example
 * ```ts
 * renderSweepHtml(exampleSweepReport());
 * ```
 */
export function exampleSweepReport(): SweepReport {
  const targets: (number | null)[] = [0.5, 1, 2, 4, 8, null];
  const aucs = [0.781, 0.842, 0.881, 0.906, 0.918, 0.931];
  const accs = [0.694, 0.752, 0.79, 0.815, 0.829, 0.846];
  return {
    title: 'PneumoniaMNIST, 5 hospitals: privacy–utility sweep',
    generatedAt: '2026-11-26T09:45:00.000Z',
    parameter: 'target ε',
    points: targets.map((t, i) => ({
      label: t === null ? 'no DP' : `ε = ${t}`,
      value: t === null ? 'none' : t,
      epsilon: t === null ? null : Number((t * 0.985).toFixed(3)),
      testAuc: aucs[i]!,
      testAccuracy: accs[i]!,
      wallSeconds: 128 + i * 3.5,
      report: `runs/${t === null ? 'no-dp' : `eps-${t}`}/report.html`,
    })),
    baseline: { name: 'MedMNIST v2 ResNet-18 (28)', auc: 0.944, accuracy: 0.854 },
    config: { dataset: 'pneumoniamnist', rounds: 10, sites: 5, sweep: { parameter: 'dp.epsilon', values: [0.5, 1, 2, 4, 8, 'none'] } },
  };
}
