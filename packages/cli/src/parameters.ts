/**
 * Choosing k and t through @tessera/secagg's deriveParameters, plus what the CLI adds: a forced
 * sparse graph, a plain-language reading of the bounds, and their JSON form. Shared by `params` and
 * `demo` (and later `coordinator` and `simulate`).
 * @module
 */
import { deriveParameters, type Parameters, type ThreatModel } from '@tessera/secagg';
import { UsageError } from './errors.js';
import { formatLog2, log2Json, oneIn, percent } from './output.js';

export const GRAPH_CHOICES = ['auto', 'complete', 'sparse'] as const;
export type GraphChoice = (typeof GRAPH_CHOICES)[number];
export const THREAT_CHOICES = ['malicious', 'semi-honest'] as const;

export interface PlanRequest {
  readonly members: number;
  readonly dropout: number;
  readonly corrupt: number;
  readonly threat: ThreatModel;
  readonly graph: GraphChoice;
  readonly securityBits: number;
  readonly correctnessBits: number;
}

/**
 * deriveParameters with the CLI's flags. `--graph sparse` takes the automatic choice and refuses
 * (UsageError) when that is the complete graph: deriveParameters has no way to force a sparse degree
 * that misses the targets.
 */
export function plan(req: PlanRequest): Parameters {
  const p = deriveParameters({
    members: req.members, dropoutRate: req.dropout, corruptFraction: req.corrupt, threat: req.threat,
    securityBits: req.securityBits, correctnessBits: req.correctnessBits, graph: req.graph === 'complete' ? 'complete' : 'auto',
  });
  if (req.graph === 'sparse' && p.graph.kind !== 'sparse')
    throw new UsageError(
      `--graph sparse: no sparse degree below n-1 = ${req.members - 1} meets the targets for ${req.members} members at ` +
      `${percent(req.dropout)} dropout (${req.threat}); use --graph auto or --graph complete`,
    );
  return p;
}

/** The least threshold that is secure for the threat model given k and the corrupt-neighbour bound c. */
export function secureThresholdFloor(threat: ThreatModel, k: number, c: number): number {
  return threat === 'malicious' ? Math.floor((k + c) / 2) + 1 : c + 1;
}

/** Plain-language warnings for the targets deriveParameters could not meet. */
export function targetWarnings(req: PlanRequest, p: Parameters): string[] {
  const out: string[] = [];
  const n = req.members;
  const k = p.degree;
  const who = req.threat === 'malicious' ? 'a malicious coordinator' : 'an honest-but-curious coordinator';
  if (p.abortLog2 > -req.correctnessBits) {
    out.push(
      `aborts are not rare: with ${n} members and ${percent(req.dropout)} expected dropout, a threshold that is safe against ` +
      `${who} (t=${p.threshold} of k=${k} neighbours must survive) allows aborts ${oneIn(p.abortLog2)} ` +
      `(bound ${formatLog2(p.abortLog2)}, target 2^-${req.correctnessBits}). Add members or plan for less dropout` +
      (req.threat === 'malicious' ? `, or use --threat semi-honest if the coordinator is trusted to follow the protocol.` : '.'),
    );
  }
  if (p.securityFailureLog2 > -req.securityBits || p.maxCorruptNeighbours >= p.threshold) {
    out.push(
      `the security target is not met: up to ${p.maxCorruptNeighbours} of a member's ${k} neighbours may collude with the ` +
      `coordinator and t=${p.threshold} shares unmask a secret, so an individual input could leak ` +
      `(bound ${formatLog2(p.securityFailureLog2)}, target 2^-${req.securityBits}). Lower --corrupt or add members.`,
    );
  }
  return out;
}

/** Warnings for a threshold chosen by hand. */
export function thresholdWarnings(req: PlanRequest, p: Parameters, t: number): string[] {
  const floor = secureThresholdFloor(req.threat, p.degree, p.maxCorruptNeighbours);
  if (t < floor)
    return [
      `--threshold ${t} is below ${floor}, the least threshold that is secure against ${req.threat === 'malicious' ? 'a malicious' : 'an honest-but-curious'} ` +
      `coordinator with up to ${p.maxCorruptNeighbours} corrupt neighbours among k=${p.degree}: a site's input could be unmasked.`,
    ];
  if (t > p.threshold) return [`--threshold ${t} is above the derived t=${p.threshold}: rounds abort more often under dropout.`];
  return [];
}

/** The JSON form of derived parameters, without n (log2 bounds of −∞, i.e. probability 0, become null). */
export function parametersJson(req: PlanRequest, p: Parameters) {
  return {
    dropout: req.dropout,
    corrupt: req.corrupt,
    threat: req.threat,
    securityBits: req.securityBits,
    correctnessBits: req.correctnessBits,
    graph: p.graph.kind,
    k: p.degree,
    t: p.threshold,
    corruptMembers: Math.floor(req.corrupt * req.members),
    maxCorruptNeighbours: p.maxCorruptNeighbours,
    abortLog2: log2Json(p.abortLog2),
    securityFailureLog2: log2Json(p.securityFailureLog2),
    meetsTargets: p.meetsTargets,
  };
}
