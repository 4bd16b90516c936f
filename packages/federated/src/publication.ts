/**
 * What the coordinator publishes before round r (the signed `publish` control message of @tessera/node):
 * the state round r trains from, and the decoded aggregate of the last completed round.
 *
 *     canonical CBOR { v: 1, kind: 'tessera/global-model', round: r, roundSeed: bstr(32),
 *                      parameters: float32 LE bytes, update: float64 LE bytes | null, updateRound: uint | null }
 *
 * `roundSeed` is round r's public randomness (the rotation of the encoding into the ring): every site and
 * the coordinator must use the same one, so it travels with the model. `update` is
 * `decodeRoundSum(plan, sum of round updateRound, its roundSeed).mean` (docs/transcript.md, "Tessera's
 * recording profile"): an auditor recomputes that sum from the transcript and compares byte for byte.
 * @module
 */
import { decodeCanonical, encodeCanonical, type Canonical } from '@tessera/crypto';

/** A publication as typed arrays. */
export interface Publication {
  readonly round: number;
  readonly roundSeed: Uint8Array;
  readonly parameters: Float32Array;
  /** The decoded aggregate of round `updateRound` (the last completed one since the previous publication). */
  readonly update?: Float64Array;
  readonly updateRound?: number;
}

/** A publication's fields as bytes, checked for structure only (what an auditor compares). */
export interface RawPublication {
  readonly round: number;
  readonly roundSeed: Uint8Array;
  readonly parameters: Uint8Array;
  readonly update: Uint8Array | null;
  readonly updateRound: number | null;
}

/** Bytes of a publication of `dim` parameters and an update, plus headroom for the envelope. */
export const publicationBytes = (dim: number): number => 12 * dim + 256;

/** float64 little-endian bytes (a publication's `update`). */
export function float64Bytes(x: Float64Array): Uint8Array {
  const out = new Uint8Array(x.length * 8);
  const view = new DataView(out.buffer);
  for (let i = 0; i < x.length; i++) view.setFloat64(8 * i, x[i]!, true);
  return out;
}

/** float32 little-endian bytes (a publication's `parameters`). */
export function float32Bytes(x: Float32Array): Uint8Array {
  const out = new Uint8Array(x.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < x.length; i++) view.setFloat32(4 * i, x[i]!, true);
  return out;
}

/**
 * Encodes a publication.
 *
 * @example
 * const data = encodePublication({ round: 3, roundSeed, parameters: server.parameters, update: decoded.mean, updateRound: 2 });
 */
export function encodePublication(p: Publication): Uint8Array {
  return encodeCanonical({
    v: 1, kind: 'tessera/global-model', round: p.round, roundSeed: p.roundSeed, parameters: float32Bytes(p.parameters),
    update: p.update ? float64Bytes(p.update) : null, updateRound: p.update ? p.updateRound ?? null : null,
  });
}

const isMap = (v: unknown): v is { [k: string]: Canonical } => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
const uint = (v: Canonical | undefined): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * Parses a publication's structure (fields and types, not sizes); throws TypeError naming what is wrong.
 *
 * @example
 * parsePublication(publish.data).updateRound;
 */
export function parsePublication(data: Canonical | undefined, maxBytes?: number): RawPublication {
  if (!(data instanceof Uint8Array)) throw new TypeError(`publication: not a byte string`);
  let m: Canonical;
  try {
    m = decodeCanonical(data, maxBytes);
  } catch (e) {
    throw new TypeError(`publication: not canonical CBOR (${(e as Error).message})`);
  }
  if (!isMap(m) || m['kind'] !== 'tessera/global-model' || m['v'] !== 1) throw new TypeError(`publication: not a { v: 1, kind: 'tessera/global-model', … } map`);
  if (!uint(m['round'])) throw new TypeError(`publication: 'round' is not an integer`);
  const seed = m['roundSeed'], params = m['parameters'], update = m['update'], updateRound = m['updateRound'];
  if (!(seed instanceof Uint8Array) || seed.length !== 32) throw new TypeError(`publication: 'roundSeed' is not 32 bytes`);
  if (!(params instanceof Uint8Array)) throw new TypeError(`publication: 'parameters' is not a byte string`);
  if (update !== null && !(update instanceof Uint8Array)) throw new TypeError(`publication: 'update' is neither bytes nor null`);
  if (updateRound !== null && !uint(updateRound)) throw new TypeError(`publication: 'updateRound' is neither an integer nor null`);
  if ((update === null) !== (updateRound === null)) throw new TypeError(`publication: 'update' and 'updateRound' must be both null or both set`);
  if (updateRound !== null && updateRound >= m['round']) throw new TypeError(`publication: 'updateRound' ${updateRound} is not before round ${m['round']}`);
  return { round: m['round'], roundSeed: seed, parameters: params, update: update as Uint8Array | null, updateRound: updateRound as number | null };
}

/**
 * Decodes and checks a publication for round `round` of a model of `dim` parameters (a site's view).
 * Throws TypeError naming what is wrong: the site then does not take part in the round (fail closed).
 */
export function decodePublication(bytes: Uint8Array, round: number, dim: number): Publication {
  const p = parsePublication(bytes, publicationBytes(dim));
  if (p.round !== round) throw new TypeError(`publication: for round ${p.round}, expected round ${round}`);
  if (p.parameters.length !== 4 * dim) throw new TypeError(`publication: parameters must be ${4 * dim} bytes (${dim} float32), got ${p.parameters.length}`);
  const view = new DataView(p.parameters.buffer, p.parameters.byteOffset, p.parameters.byteLength);
  const parameters = new Float32Array(dim);
  for (let i = 0; i < dim; i++) {
    const x = view.getFloat32(4 * i, true);
    if (!Number.isFinite(x)) throw new TypeError(`publication: parameter ${i} is not finite`);
    parameters[i] = x;
  }
  if (p.update === null) return { round, roundSeed: p.roundSeed.slice(), parameters };
  if (p.update.length !== 8 * dim) throw new TypeError(`publication: update must be ${8 * dim} bytes (${dim} float64) or null`);
  const uv = new DataView(p.update.buffer, p.update.byteOffset, p.update.byteLength);
  const update = new Float64Array(dim);
  for (let i = 0; i < dim; i++) update[i] = uv.getFloat64(8 * i, true);
  return { round, roundSeed: p.roundSeed.slice(), parameters, update, updateRound: p.updateRound! };
}
