/**
 * Who drops out, when: the config's dropout rule as a {@link DropoutSchedule} (round → site → stage),
 * a pure function of the seed, so the memory and WebSocket transports drop the same sites at the same
 * stages.
 * @module
 */
import { seededRandom } from '@tessera/crypto';
import { randomDropouts, type DropoutSchedule } from '@tessera/federated';
import { STAGES, type Stage } from '@tessera/secagg';
import type { SimulationConfig } from './config.js';

/**
 * The schedule of `c.dropout` (0-based rounds, 1-based sites):
 * - `rate`: each site drops with that probability per round, at a uniformly random stage;
 * - `stages`: at each stage in protocol order, a site still present drops with that stage's probability;
 * - `schedule`: exactly the listed (round, site, stage) triples (rounds 1-based in the config).
 *
 * @example
 * const drops = dropoutSchedule(resolveConfig({ dropout: { stages: { masked: 0.2 } } }));
 * drops(0); // Map { 3 => 'masked' } for some seeds
 */
export function dropoutSchedule(c: Pick<SimulationConfig, 'dropout' | 'sites' | 'seed'>): DropoutSchedule {
  const d = c.dropout;
  const rng = (purpose: string) => seededRandom(`tessera/simulate/dropouts/${c.seed}/${purpose}`);
  if (d.schedule) {
    const byRound = new Map<number, Map<number, Stage>>();
    for (const e of d.schedule) {
      const m = byRound.get(e.round - 1) ?? new Map<number, Stage>();
      if (!m.has(e.site)) m.set(e.site, e.stage);
      byRound.set(e.round - 1, m);
    }
    return (round) => byRound.get(round) ?? new Map();
  }
  const stages = d.stages;
  if (stages) {
    return (round) => {
      const out = new Map<number, Stage>();
      const bytes = rng(`round-${round}`)(4 * c.sites * STAGES.length);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let u = 1; u <= c.sites; u++) {
        for (let s = 0; s < STAGES.length; s++) {
          const stage = STAGES[s]!;
          const p = stages[stage] ?? 0;
          if (view.getUint32(4 * ((u - 1) * STAGES.length + s), true) / 2 ** 32 < p) {
            out.set(u, stage);
            break;
          }
        }
      }
      return out;
    };
  }
  return randomDropouts(d.rate, c.sites, rng);
}
