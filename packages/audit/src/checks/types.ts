/**
 * What every protocol check reports: a stable check id, a status, and for each failure the entry, a
 * stable code and why. See docs/transcript.md, "Protocol checks (tessera audit verify)".
 * @module
 */

/**
 * The protocol checks, in the order they run.
 *
 * @example
 * CHECK_IDS.includes('sum'); // true
 */
export const CHECK_IDS = ['stage-order', 'both-shares', 'survivor-set', 'sum', 'update', 'privacy'] as const;

/**
 * One of {@link CHECK_IDS}.
 *
 * @example
 * const id: CheckId = 'survivor-set';
 */
export type CheckId = (typeof CHECK_IDS)[number];

/**
 * pass: everything the check looks at was checked and holds; fail: at least one failure;
 * not-checkable: nothing failed but something could not be checked (digest-only envelopes, a member's
 * transcript, integrity failed) — never a pass.
 *
 * @example
 * const s: CheckStatus = 'not-checkable';
 */
export type CheckStatus = 'pass' | 'fail' | 'not-checkable';

/**
 * Stable failure codes of the protocol checks. Never rename: reports and scripts match on them.
 *
 * @example
 * if (f.code === CheckCodes.BOTH_SHARES_REQUESTED) console.log('the coordinator asked for both shares');
 */
export const CheckCodes = {
  /** A message comes before its protocol predecessor, after the round's end, or in the wrong stage. */
  STAGE_ORDER: 'ERR_STAGE_ORDER',
  /** A message of an earlier round comes after a later round began. */
  ROUND_ORDER: 'ERR_ROUND_ORDER',
  /** A member revealed (or members together revealed) both the self-mask and the mask-key share of one member. */
  BOTH_SHARES_REVEALED: 'ERR_BOTH_SHARES_REVEALED',
  /** The coordinator's unmask-request lists a member both as a survivor and as dropped. */
  BOTH_SHARES_REQUESTED: 'ERR_BOTH_SHARES_REQUESTED',
  /** Survivor sets differ between what was announced, signed, noted or sent in round-end. */
  SURVIVOR_SET_MISMATCH: 'ERR_SURVIVOR_SET_MISMATCH',
  /** A survivor set has fewer members than the threshold. */
  BELOW_THRESHOLD: 'ERR_BELOW_THRESHOLD',
  /** The recomputed sum's SHA-256 is not the round-result's sumSha256. */
  SUM_MISMATCH: 'ERR_SUM_MISMATCH',
  /** A round-result was noted but the sum cannot be recomputed from the recorded messages. */
  SUM_UNRECOVERABLE: 'ERR_SUM_UNRECOVERABLE',
  /** A publication's update is not the decoded recomputed sum. */
  UPDATE_MISMATCH: 'ERR_UPDATE_MISMATCH',
  /** A publication (or params.extra) is not what the recording profile specifies. */
  PUBLICATION: 'ERR_PUBLICATION',
  /** A reported ε is not what the accountant gives. */
  EPSILON_MISMATCH: 'ERR_EPSILON_MISMATCH',
  /** params.privacy (or a note's data) is not what the recording profile specifies. */
  PRIVACY_PARAMS: 'ERR_PRIVACY_PARAMS',
} as const;

/**
 * One of {@link CheckCodes}.
 *
 * @example
 * const code: CheckCode = 'ERR_SUM_MISMATCH';
 */
export type CheckCode = (typeof CheckCodes)[keyof typeof CheckCodes];

/**
 * One failure of a protocol check: the entry where it shows, the check, a stable code, the party at
 * fault when the check can tell (0 = coordinator, i = member i), and why.
 *
 * @example
 * `entry ${f.seq}: ${f.check} ${f.code}: ${f.message}`
 */
export interface CheckFailure {
  readonly seq: number;
  readonly offset: number;
  readonly check: CheckId;
  readonly code: CheckCode;
  readonly round: number | null;
  readonly party: number | null;
  readonly message: string;
}

/**
 * Something a check could not check, and why.
 *
 * @example
 * { round: 2, seq: null, reason: 'a member transcript holds no other member\'s masked input' }
 */
export interface NotCheckable {
  readonly round: number | null;
  readonly seq: number | null;
  readonly reason: string;
}

/**
 * The outcome of one check.
 *
 * @example
 * for (const c of report.checks) console.log(c.id, c.status, c.summary);
 */
export interface CheckResult {
  readonly id: CheckId;
  readonly status: CheckStatus;
  /** How many things (messages, rounds, publications) were checked. */
  readonly checked: number;
  /** One line for humans. */
  readonly summary: string;
  readonly failures: readonly CheckFailure[];
  readonly notCheckable: readonly NotCheckable[];
}

/** Collects one check's findings. */
export class CheckCollector {
  readonly failures: CheckFailure[] = [];
  readonly notCheckable: NotCheckable[] = [];
  checked = 0;
  constructor(readonly id: CheckId) {}

  fail(at: { readonly seq: number; readonly offset: number }, code: CheckCode, message: string, o: { round?: number | null; party?: number | null } = {}): void {
    this.failures.push({ seq: at.seq, offset: at.offset, check: this.id, code, round: o.round ?? null, party: o.party ?? null, message });
  }

  skip(reason: string, o: { round?: number | null; seq?: number | null } = {}): void {
    this.notCheckable.push({ round: o.round ?? null, seq: o.seq ?? null, reason });
  }

  result(summary: string): CheckResult {
    const failures = [...this.failures].sort((a, b) => a.seq - b.seq);
    const status: CheckStatus = failures.length > 0 ? 'fail' : this.notCheckable.length > 0 ? 'not-checkable' : 'pass';
    return { id: this.id, status, checked: this.checked, summary, failures, notCheckable: this.notCheckable };
  }
}

/**
 * A check that could not run at all (e.g. integrity failed).
 *
 * @example
 * notCheckableResult('sum', 'the integrity layer failed');
 */
export function notCheckableResult(id: CheckId, reason: string): CheckResult {
  return { id, status: 'not-checkable', checked: 0, summary: `not checkable: ${reason}`, failures: [], notCheckable: [{ round: null, seq: null, reason }] };
}
