/**
 * Choosing the neighbour degree k and the Shamir threshold t from the number of members n, the
 * fraction γ of members that may collude with the server, and the expected dropout rate δ.
 *
 * Rules (Bell et al., CCS 2020, §4 and Appendix; Bonawitz et al., CCS 2017, §6):
 * - Corrupt neighbours: with C = ⌊γ·n⌋ corrupt members fixed before the round's graph is drawn, a
 *   member's k neighbours are a uniform k-subset of the other n − 1 (the Harary ring is laid on a
 *   uniformly random permutation), so the number of corrupt neighbours is Hypergeometric(n − 1, C, k),
 *   whose tail we sum exactly. c_max is the least c with n · P[HG > c] ≤ 2^−σ (union bound over
 *   members). Complete graph: c_max = C.
 * - Security against an honest-but-curious server: t > c_max (corrupt neighbours' shares alone never
 *   reach t). Against an actively malicious server: t > (k + c_max) / 2, so that the server cannot
 *   collect t shares of both b_u and s_u^SK by telling some honest neighbours that u survived and others
 *   that it dropped (honest neighbours reveal one kind each; corrupt ones reveal both).
 * - Correctness: every member needs t surviving holders among its k neighbours:
 *   n · P[Bin(k, 1 − δ) < t] ≤ 2^−η.
 * The smallest even k meeting all three wins; when none below n − 1 does, the complete graph is used
 * with the least secure t, and the returned bounds say how likely an abort is.
 * @module
 */
import { aint } from '@tessera/crypto';
import type { GraphSpec } from './config.js';

export type ThreatModel = 'semi-honest' | 'malicious';

export interface ParameterRequest {
  /** Number of members n. */
  readonly members: number;
  /** Expected fraction of members that drop out during a round, δ in [0, 1). */
  readonly dropoutRate: number;
  /** Tolerated fraction of members colluding with the server, γ in [0, 1). Default 0.05. */
  readonly corruptFraction?: number;
  /** Default 'malicious'. */
  readonly threat?: ThreatModel;
  /** σ: the security failure probability is at most 2^−σ. Default 40. */
  readonly securityBits?: number;
  /** η: the probability that some member lacks t surviving holders is at most 2^−η. Default 20. */
  readonly correctnessBits?: number;
  /** 'auto' (default): the sparsest graph meeting the targets; 'complete' forces SecAgg's graph. */
  readonly graph?: 'auto' | 'complete';
}

export interface Parameters {
  readonly graph: GraphSpec;
  /** k: n − 1 for the complete graph. */
  readonly degree: number;
  readonly threshold: number;
  /** Bound on corrupt neighbours of any member, except with probability 2^−σ. */
  readonly maxCorruptNeighbours: number;
  /** log2 of the union bound on a member having ≥ t corrupt-or-revealing neighbours. */
  readonly securityFailureLog2: number;
  /** log2 of the union bound on a round aborting for lack of surviving holders. */
  readonly abortLog2: number;
  /** Whether the σ and η targets are both met. */
  readonly meetsTargets: boolean;
}

/** log of C(k, i) · p^i · (1 − p)^(k − i), for 0 < p < 1. */
function logBinomTerms(k: number, p: number): number[] {
  const out: number[] = [];
  let logC = 0;
  for (let i = 0; i <= k; i++) {
    if (i > 0) logC += Math.log(k - i + 1) - Math.log(i);
    out.push(logC + i * Math.log(p) + (k - i) * Math.log1p(-p));
  }
  return out;
}
function logSumExp(xs: number[]): number {
  if (xs.length === 0) return -Infinity;
  const m = Math.max(...xs);
  if (m === -Infinity) return -Infinity;
  return m + Math.log(xs.reduce((s, x) => s + Math.exp(x - m), 0));
}
/** log2 P[Bin(k, p) ≥ c]. */
export function log2BinomialUpperTail(k: number, p: number, c: number): number {
  if (c <= 0) return 0;
  if (c > k || p <= 0) return -Infinity;
  if (p >= 1) return 0;
  return logSumExp(logBinomTerms(k, p).slice(c)) / Math.LN2;
}
/** log2 P[Bin(k, p) < c]. */
export function log2BinomialLowerTail(k: number, p: number, c: number): number {
  if (c <= 0) return -Infinity;
  if (c > k) return 0;
  if (p >= 1) return -Infinity;
  if (p <= 0) return 0;
  return logSumExp(logBinomTerms(k, p).slice(0, c)) / Math.LN2;
}

const logFactorials: number[] = [0];
function logFactorial(m: number): number {
  for (let i = logFactorials.length; i <= m; i++) logFactorials.push(logFactorials[i - 1]! + Math.log(i));
  return logFactorials[m]!;
}
const logChoose = (a: number, b: number): number => (b < 0 || b > a ? -Infinity : logFactorial(a) - logFactorial(b) - logFactorial(a - b));
/** log2 P[X ≥ c] for X ~ Hypergeometric(population N, K marked, k draws). */
export function log2HypergeometricUpperTail(N: number, K: number, k: number, c: number): number {
  if (c <= 0) return 0;
  const terms: number[] = [];
  for (let i = c; i <= Math.min(K, k); i++) terms.push(logChoose(K, i) + logChoose(N - K, k - i) - logChoose(N, k));
  return logSumExp(terms) / Math.LN2;
}

function fraction(value: unknown, name: string): number {
  if (typeof value !== 'number' || !(value >= 0 && value < 1)) throw new RangeError(`${name} must be a number in [0, 1), got ${String(value)}`);
  return value;
}

/**
 * Derives k and t (see the module comment for the rules and their sources).
 *
 * @example
 * deriveParameters({ members: 100, dropoutRate: 0.2 });
 * // → { graph: { kind: 'sparse', degree: … }, threshold: …, abortLog2: ≤ −20, … }
 */
export function deriveParameters(req: ParameterRequest): Parameters {
  const n = aint(req.members, 'members', 2, 1_000_000);
  const delta = fraction(req.dropoutRate, 'dropoutRate');
  const gamma = fraction(req.corruptFraction ?? 0.05, 'corruptFraction');
  const threat = req.threat ?? 'malicious';
  if (threat !== 'malicious' && threat !== 'semi-honest') throw new RangeError(`threat must be 'malicious' or 'semi-honest'`);
  const sigma = aint(req.securityBits ?? 40, 'securityBits', 1, 256);
  const eta = aint(req.correctnessBits ?? 20, 'correctnessBits', 1, 256);
  const log2n = Math.log2(n);

  const evaluate = (k: number, complete: boolean): Parameters => {
    const corrupt = Math.floor(gamma * n);
    let c = 0;
    if (complete) c = corrupt;
    else while (c < k && log2n + log2HypergeometricUpperTail(n - 1, corrupt, k, c + 1) > -sigma) c++;
    let t = threat === 'malicious' ? Math.floor((k + c) / 2) + 1 : c + 1;
    t = Math.min(k, Math.max(t, Math.min(2, k)));
    const securityFailureLog2 = complete ? (c < t ? -Infinity : 0) : Math.min(0, log2n + log2HypergeometricUpperTail(n - 1, corrupt, k, c + 1));
    const abortLog2 = Math.min(0, log2n + log2BinomialLowerTail(k, 1 - delta, t));
    const graph: GraphSpec = complete ? { kind: 'complete' } : { kind: 'sparse', degree: k };
    const secure = complete ? true : securityFailureLog2 <= -sigma;
    return { graph, degree: k, threshold: t, maxCorruptNeighbours: c, securityFailureLog2, abortLog2, meetsTargets: secure && abortLog2 <= -eta && c < t };
  };

  if (req.graph !== undefined && req.graph !== 'auto' && req.graph !== 'complete') throw new RangeError(`graph must be 'auto' or 'complete'`);
  for (let k = 2; req.graph !== 'complete' && k < n - 1; k += 2) {
    const p = evaluate(k, false);
    if (p.meetsTargets) return p;
  }
  return evaluate(n - 1, true);
}
