/**
 * Check `stage-order`: per round and per member, messages come in protocol order — publish,
 * round-start, advertise, advertise-relay, share, share-relay, masked, consistency-request, consistency,
 * unmask-request, unmask, round-end — each after the message it answers; the coordinator's SecAgg
 * messages go through the stages in order; nothing of a round after its round-end; rounds only go up.
 * @module
 */
import type { AuditModel, RecordedMessage } from './model.js';
import { party } from './model.js';
import { CheckCodes, CheckCollector, type CheckResult } from './types.js';

/** Position of each message type in one member's exchange with the coordinator in one round. */
const RANK: Readonly<Record<string, number>> = {
  publish: 0, 'round-start': 1, advertise: 2, 'advertise-relay': 3, share: 4, 'share-relay': 5, masked: 6,
  'consistency-request': 7, consistency: 8, 'unmask-request': 9, unmask: 10, 'round-end': 11,
};
/** The message each type answers: it must have passed between the coordinator and the same member before, in the same round. */
const ANSWERS: Readonly<Record<string, string>> = {
  advertise: 'round-start', 'advertise-relay': 'advertise', share: 'advertise-relay', 'share-relay': 'share', masked: 'share-relay',
  'consistency-request': 'masked', consistency: 'consistency-request', 'unmask-request': 'consistency', unmask: 'unmask-request', 'round-end': 'round-start',
};
const STAGE_INDEX: Readonly<Record<string, number>> = { advertise: 0, share: 1, masked: 2, consistency: 3, unmask: 4 };

/**
 * Runs the check.
 *
 * @example
 * const result = checkStageOrder(model);
 */
export function checkStageOrder(model: AuditModel): CheckResult {
  const c = new CheckCollector('stage-order');
  // A transcript without any control message (the memory transport of `tessera simulate` has no
  // round-start or round-end frames) is checked without the rules about them.
  const controlled = model.items.some((i) => i.kind === 'message' && i.entry.tag === 2);
  let maxRound = -1;
  let maxRoundSeq = -1;
  // Per round and member: the highest rank so far (and where), and the types seen.
  const lanes = new Map<string, { rank: number; rankSeq: number; rankType: string; seen: Map<string, number> }>();
  const rounds = new Map<number, { started: number | undefined; ended: number | undefined; coordStage: number; coordSeq: number; coordType: string }>();
  for (const item of model.items) {
    if (item.kind !== 'message') continue;
    c.checked++;
    const m: RecordedMessage = item;
    const { round, type, from, to, tag } = m.entry;
    const fail = (code: typeof CheckCodes.STAGE_ORDER | typeof CheckCodes.ROUND_ORDER, why: string): void =>
      c.fail(m, code, `round ${round}: ${type === 'round-start' || type === 'round-end' || type === 'publish' || type === 'session-end' ? `the coordinator's '${type}' to member ${to}` : `${party(from)}'s '${type}'${from === 0 ? ` to member ${to}` : ''}`} ${why}`, { round, party: from });
    if (round < maxRound) {
      fail(CheckCodes.ROUND_ORDER, `comes after a message of round ${maxRound} (entry ${maxRoundSeq}): rounds only go up`);
      continue;
    }
    if (round > maxRound) {
      maxRound = round;
      maxRoundSeq = m.seq;
    }
    if (type === 'session-end') continue;
    let r = rounds.get(round);
    if (!r) rounds.set(round, (r = { started: undefined, ended: undefined, coordStage: -1, coordSeq: -1, coordType: '' }));
    const member = from === 0 ? to : from;
    const key = `${round}/${member}`;
    let lane = lanes.get(key);
    if (!lane) lanes.set(key, (lane = { rank: -1, rankSeq: -1, rankType: '', seen: new Map() }));
    const rank = RANK[type];
    if (rank === undefined) continue;
    let bad = false;
    if (tag === 1) {
      if (r.started === undefined && controlled) {
        fail(CheckCodes.STAGE_ORDER, `comes before any round-start of the round`);
        bad = true;
      } else if (r.ended !== undefined) {
        fail(CheckCodes.STAGE_ORDER, `comes after the round's round-end (entry ${r.ended})`);
        bad = true;
      }
      if (!bad && from === 0) {
        const s = STAGE_INDEX[m.entry.stage]!;
        if (s < r.coordStage) {
          fail(CheckCodes.STAGE_ORDER, `(stage ${m.entry.stage}) comes after the coordinator's '${r.coordType}' (entry ${r.coordSeq}) of a later stage`);
          bad = true;
        } else if (s > r.coordStage) {
          r.coordStage = s;
          r.coordSeq = m.seq;
          r.coordType = type;
        }
      }
    }
    const prerequisite = !controlled && (type === 'advertise' || type === 'round-end') ? undefined : ANSWERS[type];
    if (!bad && prerequisite !== undefined && !lane.seen.has(prerequisite)) {
      fail(CheckCodes.STAGE_ORDER, `comes before ${prerequisite === 'round-start' ? `the coordinator's round-start to member ${member}` : `the '${prerequisite}' it answers`}`);
      bad = true;
    }
    if (!bad && rank < lane.rank) {
      fail(CheckCodes.STAGE_ORDER, `comes after the '${lane.rankType}' of entry ${lane.rankSeq}, which follows it in the protocol`);
      bad = true;
    }
    if (!lane.seen.has(type)) lane.seen.set(type, m.seq);
    if (rank > lane.rank) {
      lane.rank = rank;
      lane.rankSeq = m.seq;
      lane.rankType = type;
    }
    if (type === 'round-start' && r.started === undefined) r.started = m.seq;
    if (type === 'round-end' && r.ended === undefined) r.ended = m.seq;
  }
  const n = c.failures.length;
  return c.result(n === 0 ? `${c.checked} messages of ${rounds.size} round${rounds.size === 1 ? '' : 's'} in protocol order` : `${n} message${n === 1 ? '' : 's'} out of protocol order`);
}
