/**
 * `auditTranscript`: the whole of `tessera audit verify`. First the integrity layer (verifyIntegrity:
 * framing, hash chain, signatures, the pinned roster); then, on the verified entries, the protocol
 * checks (checks/): stage-order, both-shares, survivor-set, sum, update, privacy. The report is plain
 * JSON data (hex for bytes, null for an infinite ε).
 * @module
 */
import { toHex } from '@tessera/crypto';
import { scanTranscript } from './reader.js';
import { fileBlobLoader, readTranscriptOrFailure, verifyTranscriptBytes, type BlobLoader, type Failure, type IntegrityReport, type RosterPin, type Unverifiable } from './verify.js';
import {
  CHECK_IDS, buildModel, checkBothShares, checkPrivacy, checkStageOrder, checkSum, checkSurvivorSet, checkUpdate, notCheckableResult,
  type CheckId, type CheckResult, type PrivacyFigures,
} from './checks/index.js';

/**
 * How to audit.
 *
 * @example
 * await auditTranscript(dir, { roster: session });
 */
export interface AuditOptions {
  /** The roster the auditor trusts (the session from the roster file). Without it, the transcript's own. */
  readonly roster?: RosterPin;
  /** Accept a transcript without its close note or with a torn tail (a crashed or running recorder). */
  readonly allowPartial?: boolean;
  /** Fail integrity on digest-only entries instead of listing them as unverifiable. */
  readonly requireBlobs?: boolean;
}

/**
 * One failure, of the integrity layer or of a protocol check.
 *
 * @example
 * `entry ${f.seq}: ${f.check} ${f.code}: ${f.message}`
 */
export interface AuditFailure {
  readonly seq: number | null;
  readonly offset: number | null;
  readonly check: 'integrity' | CheckId;
  readonly code: string;
  /** The round concerned, when known. */
  readonly round: number | null;
  /** The party at fault when the check can tell (0 = coordinator, i = member i). */
  readonly party: number | null;
  readonly message: string;
}

/**
 * The verdict of `tessera audit verify`.
 *
 * @example
 * const report = await auditTranscript(dir, { roster });
 * if (!report.ok) console.error(formatFailure(report.first!));
 */
export interface AuditReport {
  /** Integrity holds and every check passed (none failed, none not checkable). */
  readonly ok: boolean;
  /** The recorder (0 coordinator, i member i), when entry 0 was read. */
  readonly recorder: number | null;
  readonly integrity: {
    readonly ok: boolean;
    readonly entries: number;
    readonly verified: number;
    readonly closed: boolean;
    /** SHA-256 of the last record, hex. */
    readonly head: string;
    readonly failures: readonly Failure[];
    readonly unverifiable: readonly Unverifiable[];
    readonly truncatedTail: { readonly offset: number; readonly bytes: number } | null;
  };
  /** One result per check id, in CHECK_IDS order. */
  readonly checks: readonly CheckResult[];
  readonly counts: {
    readonly entries: number;
    readonly messages: number;
    readonly notes: number;
    readonly rounds: number;
    readonly completedRounds: number;
    readonly abortedRounds: number;
    readonly pass: number;
    readonly fail: number;
    readonly notCheckable: number;
  };
  /** Every failure (integrity first, then the checks'), in entry order. */
  readonly failures: readonly AuditFailure[];
  /** The failure at the earliest entry. */
  readonly first: AuditFailure | null;
  /** ε recomputed (Infinity as null), or null without a privacy setting or when not computed. */
  readonly privacy: (Omit<PrivacyFigures, 'epsilon' | 'epsilonWorstCase'> & { readonly epsilon: number | null; readonly epsilonWorstCase: number | null }) | null;
}

/**
 * Audits the transcript in `dir` (transcript.tlog and blobs/). Never throws for a bad transcript: a
 * missing folder is an integrity failure (ERR_IO).
 *
 * @example
 * const report = await auditTranscript('runs/s1/coordinator', { roster: session });
 * process.exitCode = report.ok ? 0 : 1;
 */
export async function auditTranscript(dir: string, options: AuditOptions = {}): Promise<AuditReport> {
  const bytes = await readTranscriptOrFailure(dir);
  // Unreadable: the integrity failure says why (read once, not again through verifyIntegrity).
  return bytes instanceof Uint8Array ? auditTranscriptBytes(bytes, fileBlobLoader(dir), options) : assemble(bytes, undefined);
}

const verifyOptions = (o: AuditOptions) => ({
  ...(o.roster ? { roster: o.roster } : {}), ...(o.allowPartial ? { allowPartial: true } : {}), ...(o.requireBlobs ? { requireBlobs: true } : {}),
});

/**
 * The same on transcript bytes, loading blobs through `loadBlob` (in-memory audits, tests).
 *
 * @example
 * const report = await auditTranscriptBytes(tlog, async (name) => blobs.get(name), { roster: session });
 */
export async function auditTranscriptBytes(bytes: Uint8Array, loadBlob: BlobLoader, options: AuditOptions = {}): Promise<AuditReport> {
  const integrity = await verifyTranscriptBytes(bytes, loadBlob, verifyOptions(options));
  if (!integrity.ok || !integrity.session) return assemble(integrity, undefined);
  const records = scanTranscript(bytes).records;
  const { session, privacy, extra, recorder } = integrity.session;
  const model = await buildModel(records, loadBlob, { session, privacy, extra, recorder });
  const stage = checkStageOrder(model);
  const both = checkBothShares(model);
  const survivors = checkSurvivorSet(model);
  const sum = checkSum(model);
  const update = checkUpdate(model);
  const priv = checkPrivacy(model);
  const rounds = [...model.rounds.values()];
  return assemble(integrity, {
    checks: [stage, both, survivors, sum, update, priv.result],
    figures: priv.figures,
    messages: model.items.filter((i) => i.kind === 'message').length,
    notes: model.items.filter((i) => i.kind === 'note').length,
    rounds: rounds.length,
    completed: rounds.filter((r) => r.notes.some((n) => n.entry.event === 'round-result')).length,
    aborted: rounds.filter((r) => r.notes.some((n) => n.entry.event === 'round-aborted') && !r.notes.some((n) => n.entry.event === 'round-result')).length,
  });
}

const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);

function assemble(integrity: IntegrityReport, run: {
  checks: CheckResult[]; figures: PrivacyFigures | null; messages: number; notes: number; rounds: number; completed: number; aborted: number;
} | undefined): AuditReport {
  const checks = run?.checks ?? CHECK_IDS.map((id) => notCheckableResult(id, integrity.ok ? 'the transcript has no session entry' : 'the integrity layer failed'));
  const failures: AuditFailure[] = [
    ...integrity.failures.map((f): AuditFailure => ({ seq: f.seq, offset: f.offset, check: 'integrity', code: f.code, round: null, party: null, message: f.message })),
    ...checks.flatMap((c) => c.failures.map((f): AuditFailure => ({ seq: f.seq, offset: f.offset, check: f.check, code: f.code, round: f.round, party: f.party, message: f.message }))),
  ];
  // Integrity failures first (the checks ran only if there were none), then by entry.
  const sorted = [...failures].sort((a, b) => (a.check === 'integrity' ? 0 : 1) - (b.check === 'integrity' ? 0 : 1) || (a.seq ?? -1) - (b.seq ?? -1));
  const count = (s: CheckResult['status']): number => checks.filter((c) => c.status === s).length;
  const figures = run?.figures ?? null;
  return {
    ok: integrity.ok && checks.every((c) => c.status === 'pass'),
    recorder: integrity.session?.recorder ?? null,
    integrity: {
      ok: integrity.ok, entries: integrity.entries, verified: integrity.verified, closed: integrity.closed, head: toHex(integrity.head),
      failures: integrity.failures, unverifiable: integrity.unverifiable, truncatedTail: integrity.truncatedTail ?? null,
    },
    checks,
    counts: {
      entries: integrity.entries, messages: run?.messages ?? 0, notes: run?.notes ?? 0, rounds: run?.rounds ?? 0,
      completedRounds: run?.completed ?? 0, abortedRounds: run?.aborted ?? 0, pass: count('pass'), fail: count('fail'), notCheckable: count('not-checkable'),
    },
    failures: sorted,
    first: sorted[0] ?? null,
    privacy: figures && { ...figures, epsilon: finite(figures.epsilon), epsilonWorstCase: finite(figures.epsilonWorstCase) },
  };
}

/**
 * One line for a failure: where, which check, the code, why.
 *
 * @example
 * formatFailure(report.first!); // "entry 57 (offset 20931): survivor-set ERR_SURVIVOR_SET_MISMATCH: round 1: member 2's …"
 */
export function formatFailure(f: AuditFailure): string {
  const where = f.seq === null ? 'transcript' : `entry ${f.seq}${f.offset === null ? '' : ` (offset ${f.offset})`}`;
  const message = f.message.startsWith(`${f.code}: `) ? f.message.slice(f.code.length + 2) : f.message;
  return `${where}: ${f.check} ${f.code}: ${message}`;
}
