/**
 * Removing the masks: from the masked inputs of the survivors U3 and the shares revealed in Unmasking,
 * reconstruct every survivor's self-mask seed and every dropped member's mask key, re-derive the masks
 * and take them out of the sum. A pure function of what the server received, so that the server
 * (SecAggServer) and an auditor recomputing a round from its transcript run one implementation.
 * @module
 */
import { MaskSum, X25519Secret, reconstructSecret, withRingAccumulator, type MaskStream, type Share as ShamirShare } from '@tessera/crypto';
import type { Session } from './config.js';
import { pairwiseMaskKey, selfMaskCommitment, selfMaskKey } from './derive.js';
import { ErrorCodes, SecAggError, type ErrorCode } from './errors.js';
import { roundGraph, type NeighbourGraph } from './graph.js';
import { sameBytes, type Unmask } from './messages.js';
import { unpackWords } from './ring.js';
import type { RoundResult } from './server.js';

/**
 * Everything the unmasking computation reads.
 *
 * @example
 * const result = unmaskSum({ session, round, survivors: u3, dropped, masked, commitments, maskPublicKeys, unmask });
 */
export interface UnmaskInputs {
  readonly session: Session;
  readonly round: number;
  /** The round's neighbour graph (default roundGraph(session, round)). */
  readonly graph?: NeighbourGraph;
  /** U3, ascending: whose masked inputs are summed. */
  readonly survivors: readonly number[];
  /** U2 \ U3: members that shared their keys but sent no masked input (any order). */
  readonly dropped: Iterable<number>;
  /** Each survivor's packed masked input (the `data` of its masked message). */
  readonly masked: ReadonlyMap<number, Uint8Array>;
  /** Each survivor's self-mask commitment (the `commit` of its share messages). */
  readonly commitments: ReadonlyMap<number, Uint8Array>;
  /** Each member's advertised mask public key sPk (survivors and dropped members). */
  readonly maskPublicKeys: ReadonlyMap<number, Uint8Array>;
  /** The accepted unmask messages, by sender, in the order they were accepted. */
  readonly unmask: Iterable<readonly [number, Pick<Unmask, 'selfMaskShares' | 'maskKeyShares'>]>;
}

const fatal = (code: ErrorCode, message: string): never => {
  throw new SecAggError(code, message, { fatal: true });
};

/**
 * A packed input as words: at 32 bits an aligned input is read in place (no copy, so no garbage for
 * the collector), anything else goes through unpackWords and its checks.
 */
function words(data: Uint8Array, bits: number, length: number): Uint32Array {
  if (bits === 32 && data.length === 4 * length && data.byteOffset % 4 === 0) return new Uint32Array(data.buffer, data.byteOffset, length);
  return unpackWords(data, bits, length);
}

/** Shares revealed in Unmasking, grouped by whose secret they are. */
function gather(unmask: UnmaskInputs['unmask'], kind: 'selfMask' | 'maskKey'): Map<number, ShamirShare[]> {
  const out = new Map<number, ShamirShare[]>();
  for (const [holder, m] of unmask) {
    for (const [of, y] of kind === 'selfMask' ? m.selfMaskShares : m.maskKeyShares) {
      const list = out.get(of);
      if (list) list.push({ x: holder, y });
      else out.set(of, [{ x: holder, y }]);
    }
  }
  return out;
}

/**
 * Computes Σ_{u∈U3} x_u (mod 2^bits) from the masked inputs and the revealed shares, exactly as the
 * server does when Unmasking closes. Throws a fatal SecAggError (ERR_BELOW_THRESHOLD: fewer than t
 * shares of a needed secret; ERR_RECONSTRUCTION: a secret that does not match its commitment or
 * advertised key) when the sum cannot be computed.
 *
 * @example
 * const { sum } = unmaskSum(inputs);
 */
export function unmaskSum(inputs: UnmaskInputs): RoundResult {
  // Large vectors expand their masks on worker threads (see MaskSum), each batch as soon as its keys
  // are derived; close() discards the workers' partial sums if this throws.
  const masks = new MaskSum(inputs.session.vectorLength);
  try {
    return unmaskWith(inputs, masks);
  } finally {
    masks.close();
  }
}

function unmaskWith(inputs: UnmaskInputs, masks: MaskSum): RoundResult {
  const { session, round } = inputs;
  const t = session.threshold;
  const graph = inputs.graph ?? roundGraph(session, round);
  const u3 = inputs.survivors;
  const u3set = new Set(u3);
  const sPk = (u: number): Uint8Array => inputs.maskPublicKeys.get(u) ?? fatal(ErrorCodes.RECONSTRUCTION, `member ${u} advertised no mask key`);
  const unmask = [...inputs.unmask];
  const selfShares = gather(unmask, 'selfMask');
  const keyShares = gather(unmask, 'maskKey');
  const streams: MaskStream[] = [];
  for (const u of u3) {
    const shares = selfShares.get(u) ?? [];
    if (shares.length < t) fatal(ErrorCodes.BELOW_THRESHOLD, `${shares.length} shares of member ${u}'s self-mask seed arrived, fewer than the threshold ${t}`);
    let seed: Uint8Array;
    try {
      seed = reconstructSecret(shares, t);
    } catch (e) {
      return fatal(ErrorCodes.RECONSTRUCTION, `member ${u}'s self-mask seed cannot be reconstructed: ${(e as Error).message}`);
    }
    const commit = inputs.commitments.get(u);
    if (!commit || !sameBytes(selfMaskCommitment(session, round, u, seed), commit))
      fatal(ErrorCodes.RECONSTRUCTION, `member ${u}'s reconstructed self-mask seed does not match its commitment (a holder sent a wrong share)`);
    streams.push({ key: selfMaskKey(session, round, u, seed), sign: -1 });
  }
  masks.add(streams);
  for (const u of [...inputs.dropped].sort((a, b) => a - b)) {
    const shares = keyShares.get(u) ?? [];
    if (shares.length < t) fatal(ErrorCodes.BELOW_THRESHOLD, `${shares.length} shares of dropped member ${u}'s mask key arrived, fewer than the threshold ${t}`);
    let sSecret: Uint8Array;
    try {
      sSecret = reconstructSecret(shares, t);
    } catch (e) {
      return fatal(ErrorCodes.RECONSTRUCTION, `dropped member ${u}'s mask key cannot be reconstructed: ${(e as Error).message}`);
    }
    const secret = new X25519Secret(sSecret);
    if (!sameBytes(secret.publicKey(), sPk(u)))
      fatal(ErrorCodes.RECONSTRUCTION, `dropped member ${u}'s reconstructed mask key does not match its advertised public key`);
    // Survivor v added +PRG(s_uv) if u > v and −PRG(s_uv) if u < v: take it back out.
    const pairwise: MaskStream[] = [];
    for (const v of graph.neighbours(u).filter((v) => u3set.has(v)))
      pairwise.push({ key: pairwiseMaskKey(session, round, u, v, secret, sPk(v)), sign: u > v ? -1 : 1 });
    masks.add(pairwise);
  }
  const masked = u3.map((u) => inputs.masked.get(u) ?? fatal(ErrorCodes.STAGE_ORDER, `survivor ${u}'s masked input is missing`));
  const sum = withRingAccumulator(session.vectorLength, (acc) => {
    // Sums mod 2^32 commute: the masked inputs are added on this thread while the workers finish the masks.
    masks.finish(acc, () => {
      for (const data of masked) acc.addVector(words(data, session.bits, session.vectorLength));
    });
    return acc.result(session.bits);
  });
  return { round, survivors: [...u3], bits: session.bits, sum };
}
