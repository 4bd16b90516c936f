/**
 * Check `both-shares`: in no round does anyone reveal both the self-mask share and the mask-key share
 * of one member (which would let the coordinator unmask that member's input): no `unmask` message
 * carries both for one member, no two `unmask` messages of a round reveal the two kinds for one member,
 * and no `unmask-request` lists a member both as a survivor and as dropped (the coordinator's fault).
 * @module
 */
import type { AuditModel } from './model.js';
import { sortedRounds } from './model.js';
import { CheckCodes, CheckCollector, type CheckResult } from './types.js';

/**
 * Runs the check.
 *
 * @example
 * const result = checkBothShares(model);
 */
export function checkBothShares(model: AuditModel): CheckResult {
  const c = new CheckCollector('both-shares');
  for (const view of sortedRounds(model)) {
    const round = view.round;
    // Whose self-mask / mask-key shares were revealed this round, and where first.
    const self = new Map<number, number>();
    const key = new Map<number, number>();
    for (const m of view.messages) {
      const t = m.entry.type;
      if (t !== 'unmask' && t !== 'unmask-request') continue;
      if (!m.secagg) {
        c.skip(`entry ${m.seq} ('${t}'): ${m.undecoded ?? 'not decoded'}`, { round, seq: m.seq });
        continue;
      }
      c.checked++;
      const msg = m.secagg;
      if (msg.type === 'unmask-request') {
        const survivors = new Set(msg.survivors);
        const both = msg.dropped.filter((v) => survivors.has(v));
        if (both.length > 0)
          c.fail(m, CheckCodes.BOTH_SHARES_REQUESTED,
            `round ${round}: the coordinator's unmask-request to member ${msg.to} lists member${both.length === 1 ? '' : 's'} ${both.join(', ')} both as survivor and as dropped, asking for both shares (the coordinator's fault)`,
            { round, party: 0 });
      } else if (msg.type === 'unmask') {
        const u = msg.from;
        const selfOf = new Set(msg.selfMaskShares.map(([v]) => v));
        const both = msg.maskKeyShares.map(([v]) => v).filter((v) => selfOf.has(v));
        if (both.length > 0) {
          c.fail(m, CheckCodes.BOTH_SHARES_REVEALED,
            `round ${round}: member ${u}'s unmask reveals both the self-mask share and the mask-key share of member${both.length === 1 ? '' : 's'} ${both.join(', ')}`,
            { round, party: u });
          continue;
        }
        const across = [
          ...msg.selfMaskShares.filter(([v]) => key.has(v)).map(([v]) => [v, key.get(v)!, 'mask-key'] as const),
          ...msg.maskKeyShares.filter(([v]) => self.has(v)).map(([v]) => [v, self.get(v)!, 'self-mask'] as const),
        ];
        if (across.length > 0) {
          const [v, seq, kind] = across[0]!;
          c.fail(m, CheckCodes.BOTH_SHARES_REVEALED,
            `round ${round}: member ${u}'s unmask reveals a ${kind === 'mask-key' ? 'self-mask' : 'mask-key'} share of member ${v}, whose ${kind} share was revealed in entry ${seq}: together they unmask member ${v}'s input`,
            { round, party: u });
          continue;
        }
        for (const [v] of msg.selfMaskShares) if (!self.has(v)) self.set(v, m.seq);
        for (const [v] of msg.maskKeyShares) if (!key.has(v)) key.set(v, m.seq);
      }
    }
  }
  const n = c.failures.length;
  return c.result(n === 0 ? `${c.checked} unmask requests and responses reveal at most one share kind per member` : `${n} message${n === 1 ? '' : 's'} reveal or request both shares of a member`);
}
