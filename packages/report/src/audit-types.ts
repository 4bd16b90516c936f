/**
 * The machine-readable summary of one transcript (`tessera audit report`), as `auditSummary` of
 * @tessera/audit builds it and the audit page and Markdown render it. Plain JSON: numbers, strings,
 * arrays, null.
 * @module
 */

/**
 * A member of the session: index (1-based, roster order), a short id and the full key (hex).
 * @example
 * ```ts
 * const m: AuditMember = { index: 1, id: '8139770ea87d175f', publicKey: '8139…' };
 * ```
 */
export interface AuditMember {
  readonly index: number;
  /** The first 16 hex digits of the member's Ed25519 key. */
  readonly id: string;
  readonly publicKey: string;
}

/**
 * The session as its entry 0 records it.
 * @example
 * ```ts
 * s.graph; // 'complete' or 'sparse (k = 6)'
 * ```
 */
export interface AuditSession {
  /** SecAgg session digest, hex. */
  readonly digest: string;
  readonly sessionId: string;
  readonly coordinatorKey: string;
  readonly members: readonly AuditMember[];
  readonly threshold: number;
  readonly graph: string;
  readonly bits: number;
  readonly vectorLength: number;
  /** params.privacy as plain JSON (bytes as hex), or null without differential privacy. */
  readonly privacy: { readonly [key: string]: unknown } | null;
  /** The privacy targets read from params.privacy (null when absent). */
  readonly targets: { readonly mechanism: string | null; readonly delta: number | null; readonly epsilonTarget: number | null; readonly rounds: number | null };
  /** params.extra as plain JSON, or null. */
  readonly extra: { readonly [key: string]: unknown } | null;
}

/**
 * A member that sent nothing from `stage` on (inferred from the messages missing from the transcript).
 * @example
 * ```ts
 * const d: AuditDropout = { member: 3, stage: 'masked' };
 * ```
 */
export interface AuditDropout {
  readonly member: number;
  /** advertise, share, masked, consistency, unmask — or 'before masked' when only a member's view is available. */
  readonly stage: string;
}

/**
 * One round as the transcript shows it.
 * @example
 * ```ts
 * r.outcome === 'aborted' && r.code; // 'ERR_BELOW_THRESHOLD'
 * ```
 */
export interface AuditRound {
  readonly round: number;
  /** round-start participants (or, without one, the members seen in the round). */
  readonly participants: readonly number[];
  /** U3, whose inputs are in the sum; null when the round never got that far. */
  readonly survivors: readonly number[] | null;
  readonly dropouts: readonly AuditDropout[];
  /** completed: a sum was produced; aborted: the round ended without one; unknown: the transcript ends first. */
  readonly outcome: 'completed' | 'aborted' | 'unknown';
  readonly code: string | null;
  readonly reason: string | null;
  /** Cumulative ε the coordinator reported after this round (round-result note); null without DP. */
  readonly epsilon: number | null;
  /** ε spent by this round alone (difference of the cumulative values); null when unknown. */
  readonly epsilonRound: number | null;
  readonly epsilonWorstCase: number | null;
  /** A member's transcript: the member aborted the round itself (its SecAggClient refused the coordinator). */
  readonly selfAborted: { readonly member: number; readonly code: string; readonly message: string; readonly explanation: string } | null;
  /** A member's transcript: it did not take part (round-skipped note). */
  readonly skipped: { readonly member: number; readonly code: string } | null;
  /** A publication (publish control message) preceded the round. */
  readonly published: boolean;
}

/**
 * Something an auditor should look at.
 * @example
 * ```ts
 * const a: AuditAnomaly = { kind: 'peer-aborted', round: 1, code: 'ERR_BOTH_SHARES_REQUESTED', message: '…' };
 * ```
 */
export interface AuditAnomaly {
  readonly kind: 'integrity' | 'round-aborted' | 'peer-aborted' | 'round-skipped' | 'refused' | 'unverifiable' | 'incomplete';
  readonly round: number | null;
  readonly code: string | null;
  readonly message: string;
}

/**
 * The summary of one transcript folder.
 * @example
 * ```ts
 * const s: AuditSummary = await auditSummary('runs/s1/coordinator');
 * s.totals.epsilon; // 1.9, or null without DP
 * ```
 */
export interface AuditSummary {
  readonly format: 'tessera-audit-summary/1';
  /** ISO time the summary was made. */
  readonly generatedAt: string;
  readonly dir: string;
  /** 0 coordinator, i member i, null when the session entry could not be read. */
  readonly recorder: number | null;
  readonly integrity: {
    readonly ok: boolean;
    readonly entries: number;
    readonly verified: number;
    readonly closed: boolean;
    readonly failures: readonly { readonly seq: number | null; readonly code: string; readonly message: string }[];
    readonly unverifiable: number;
    /** SHA-256 of the last record (hex): the chain head to anchor elsewhere. */
    readonly head: string;
  };
  readonly session: AuditSession | null;
  readonly rounds: readonly AuditRound[];
  readonly totals: {
    readonly rounds: number;
    readonly completed: number;
    readonly aborted: number;
    readonly selfAborted: number;
    readonly dropouts: number;
    /** Total ε spent (the last cumulative value reported); null without DP or without reports. */
    readonly epsilon: number | null;
    readonly epsilonWorstCase: number | null;
    readonly delta: number | null;
  };
  readonly anomalies: readonly AuditAnomaly[];
}

/**
 * Checks the shape a renderer relies on; throws a TypeError naming the field.
 * @example
 * ```ts
 * validateAuditSummary(JSON.parse(text));
 * ```
 */
export function validateAuditSummary(x: unknown): asserts x is AuditSummary {
  const fail = (what: string): never => {
    throw new TypeError(`summary${what}`);
  };
  if (typeof x !== 'object' || x === null) fail(' must be an object');
  const s = x as Record<string, unknown>;
  if (s.format !== 'tessera-audit-summary/1') fail(`.format must be 'tessera-audit-summary/1'`);
  if (typeof s.generatedAt !== 'string') fail('.generatedAt must be a string');
  if (typeof s.dir !== 'string') fail('.dir must be a string');
  if (typeof s.integrity !== 'object' || s.integrity === null) fail('.integrity must be an object');
  if (!Array.isArray(s.rounds)) fail('.rounds must be an array');
  if (!Array.isArray(s.anomalies)) fail('.anomalies must be an array');
  if (typeof s.totals !== 'object' || s.totals === null) fail('.totals must be an object');
  (s.rounds as unknown[]).forEach((r, i) => {
    const o = r as Record<string, unknown>;
    if (typeof o !== 'object' || o === null || typeof o.round !== 'number') fail(`.rounds[${i}].round must be a number`);
    if (!Array.isArray(o.participants) || !Array.isArray(o.dropouts)) fail(`.rounds[${i}] must have participants and dropouts arrays`);
  });
}
