/**
 * Check `survivor-set`: in each round, the survivor set U3 the coordinator announces (consistency-request,
 * unmask-request) is the same everywhere and has at least t members; every member's `consistency`
 * message signs exactly that set (its digest, survivorsDigest of @tessera/secagg); the round-result note
 * and an ok round-end name the same set.
 * @module
 */
import { equalBytes } from '@tessera/crypto';
import { survivorsDigest } from '@tessera/secagg';
import type { AuditModel, RecordedMessage, RecordedNote } from './model.js';
import { memberList, sameList, sortedRounds } from './model.js';
import { CheckCodes, CheckCollector, type CheckResult } from './types.js';

/**
 * The survivor set U3 the coordinator announced in a round (the first consistency-request or
 * unmask-request), or undefined.
 *
 * @example
 * const u3 = announcedSurvivors(model.rounds.get(0)!.messages);
 */
export function announcedSurvivors(messages: readonly RecordedMessage[]): { readonly survivors: readonly number[]; readonly at: RecordedMessage } | undefined {
  for (const m of messages) {
    const s = m.secagg;
    if (s && (s.type === 'consistency-request' || s.type === 'unmask-request')) return { survivors: s.survivors, at: m };
  }
  return undefined;
}

/**
 * Runs the check.
 *
 * @example
 * const result = checkSurvivorSet(model);
 */
export function checkSurvivorSet(model: AuditModel): CheckResult {
  const c = new CheckCollector('survivor-set');
  const { session } = model;
  const t = session.threshold;
  let rounds = 0;
  for (const view of sortedRounds(model)) {
    const round = view.round;
    const announced = announcedSurvivors(view.messages);
    let signed: { digest: Uint8Array; at: RecordedMessage } | undefined;
    let digest = announced ? survivorsDigest(session, round, announced.survivors) : undefined;
    let checkedRound = false;
    if (announced && announced.survivors.length < t)
      c.fail(announced.at, CheckCodes.BELOW_THRESHOLD, `round ${round}: the coordinator announced the survivor set {${announced.survivors.join(', ')}} of ${announced.survivors.length} member${announced.survivors.length === 1 ? '' : 's'}, fewer than the threshold ${t}`, { round, party: 0 });
    for (const m of view.messages) {
      const type = m.entry.type;
      if (type !== 'consistency-request' && type !== 'unmask-request' && type !== 'consistency') continue;
      if (!m.secagg) {
        c.skip(`entry ${m.seq} ('${type}'): ${m.undecoded ?? 'not decoded'}`, { round, seq: m.seq });
        continue;
      }
      c.checked++;
      checkedRound = true;
      const msg = m.secagg;
      if (msg.type === 'consistency-request' || msg.type === 'unmask-request') {
        if (announced && m !== announced.at && !sameList(msg.survivors, announced.survivors))
          c.fail(m, CheckCodes.SURVIVOR_SET_MISMATCH, `round ${round}: the coordinator's ${type} to member ${msg.to} names the survivor set {${msg.survivors.join(', ')}}, but it announced {${announced.survivors.join(', ')}} in entry ${announced.at.seq}`, { round, party: 0 });
      } else if (msg.type === 'consistency') {
        if (digest === undefined) {
          // A transcript without the coordinator's announcement: members must at least agree.
          signed ??= { digest: msg.survivors, at: m };
          digest = signed.digest;
        }
        if (!equalBytes(msg.survivors, digest))
          c.fail(m, CheckCodes.SURVIVOR_SET_MISMATCH,
            announced
              ? `round ${round}: member ${msg.from}'s consistency signs a survivor set other than the {${announced.survivors.join(', ')}} the coordinator announced in entry ${announced.at.seq}`
              : `round ${round}: member ${msg.from}'s consistency signs a survivor set other than member ${signed!.at.entry.from}'s (entry ${signed!.at.seq})`,
            { round, party: msg.from });
      }
    }
    const u3 = announced?.survivors;
    const result: RecordedNote | undefined = view.notes.find((n) => n.entry.event === 'round-result');
    if (result) {
      checkedRound = true;
      const noted = memberList(result.entry.data.survivors);
      if (!noted) c.fail(result, CheckCodes.SURVIVOR_SET_MISMATCH, `round ${round}: the round-result note has no list of survivors`, { round, party: model.recorder });
      else if (u3 && !sameList(noted, u3))
        c.fail(result, CheckCodes.SURVIVOR_SET_MISMATCH, `round ${round}: the round-result note names the survivors {${noted.join(', ')}}, but the coordinator announced {${u3.join(', ')}} in entry ${announced!.at.seq}`, { round, party: model.recorder });
      else if (noted.length < t)
        c.fail(result, CheckCodes.BELOW_THRESHOLD, `round ${round}: the round-result note names ${noted.length} survivor${noted.length === 1 ? '' : 's'}, fewer than the threshold ${t}`, { round, party: model.recorder });
    }
    if (u3) {
      for (const m of view.messages) {
        if (m.entry.type !== 'round-end' || !m.control || m.control.ok !== true) continue;
        const listed = memberList(m.control.survivors);
        if (!listed || !sameList(listed, u3))
          c.fail(m, CheckCodes.SURVIVOR_SET_MISMATCH, `round ${round}: the coordinator's round-end to member ${m.entry.to} names the survivors {${(listed ?? []).join(', ')}}, but it announced {${u3.join(', ')}} in entry ${announced!.at.seq}`, { round, party: 0 });
      }
    }
    if (checkedRound) rounds++;
  }
  const n = c.failures.length;
  return c.result(n === 0 ? `survivor sets of ${rounds} round${rounds === 1 ? '' : 's'} agree and reach the threshold ${t}` : `${n} survivor-set failure${n === 1 ? '' : 's'}`);
}
