/**
 * Checkpoints in the safetensors format (https://huggingface.co/docs/safetensors), readable by the
 * `safetensors` Python package, PyTorch and Hugging Face tools:
 *
 *   u64 little-endian N ‖ N bytes of JSON header (space-padded to a multiple of 8) ‖ tensor data
 *
 * The header maps each tensor name (`layers.<i>.<param>`, e.g. `layers.0.weight`) to
 * `{ "dtype": "F32", "shape": […], "data_offsets": [begin, end] }` (offsets relative to the data
 * section; tensors little-endian, contiguous, in header order) and `__metadata__` (string → string)
 * to `{ "format": "tessera-train/1", "architecture": "<JSON of { inputShape, layers }>" }`.
 * Loading validates every byte of that structure and names what is wrong.
 * @module
 */
import { abytes, assertLittleEndian, fromUtf8, utf8 } from '@tessera/crypto';
import { normaliseConfig } from './layers/index.js';
import type { Optimizer } from './optim.js';
import { Sequential, type Architecture } from './sequential.js';
import { ashape, sizeOf } from './tensor.js';

assertLittleEndian();

/** The `format` metadata value this version writes and reads. */
export const CHECKPOINT_FORMAT = 'tessera-train/1';
/** Largest header accepted (safetensors' own limit is 100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

/** One tensor of a safetensors file. */
export interface NamedTensor {
  name: string;
  shape: number[];
  data: Float32Array;
}

/**
 * Serialises float32 tensors (in the given order) and string metadata to safetensors bytes.
 *
 * @example
 * const bytes = writeSafetensors([{ name: 'w', shape: [2], data: new Float32Array([1, 2]) }], { note: 'x' });
 */
export function writeSafetensors(tensors: readonly NamedTensor[], metadata: Record<string, string> = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const t of tensors) {
    if (t.name === '__metadata__' || t.name in header) throw new RangeError(`tensor name ${JSON.stringify(t.name)} is reserved or repeated`);
    if (t.data.length !== sizeOf(t.shape)) throw new RangeError(`tensor ${t.name} has ${t.data.length} values, shape [${t.shape.join(', ')}] needs ${sizeOf(t.shape)}`);
    header[t.name] = { dtype: 'F32', shape: t.shape, data_offsets: [offset, offset + 4 * t.data.length] };
    offset += 4 * t.data.length;
  }
  let json = utf8(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  const head = new Uint8Array(padded).fill(0x20);
  head.set(json);
  json = head;
  const out = new Uint8Array(8 + padded + offset);
  const view = new DataView(out.buffer);
  view.setUint32(0, padded, true);
  view.setUint32(4, 0, true);
  out.set(json, 8);
  let o = 8 + padded;
  for (const t of tensors) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), o);
    o += t.data.byteLength;
  }
  return out;
}

/**
 * Parses and validates safetensors bytes holding only F32 tensors. Throws a RangeError naming the
 * problem for a truncated file, a bad header length, invalid JSON, a wrong dtype, a shape that does
 * not match its byte range, or overlapping/gapped/out-of-range data.
 */
export function readSafetensors(bytes: Uint8Array): { tensors: NamedTensor[]; metadata: Record<string, string> } {
  abytes(bytes, 'checkpoint');
  if (bytes.length < 8) throw new RangeError(`checkpoint is truncated: ${bytes.length} bytes, the 8-byte header length is missing`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = view.getUint32(0, true), hi = view.getUint32(4, true);
  if (hi !== 0 || lo > MAX_HEADER_BYTES) throw new RangeError(`checkpoint header length ${hi * 2 ** 32 + lo} exceeds the limit of ${MAX_HEADER_BYTES} bytes`);
  if (8 + lo > bytes.length) throw new RangeError(`checkpoint is truncated: header length ${lo} but only ${bytes.length - 8} bytes follow`);
  let header: unknown;
  try {
    header = JSON.parse(fromUtf8(bytes.subarray(8, 8 + lo)));
  } catch (e) {
    throw new RangeError(`checkpoint header is not valid UTF-8 JSON: ${(e as Error).message}`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw new RangeError('checkpoint header must be a JSON object');
  const dataStart = 8 + lo, dataLength = bytes.length - dataStart;
  const metadata: Record<string, string> = {};
  const entries: { name: string; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new RangeError('checkpoint __metadata__ must be an object of strings');
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== 'string') throw new RangeError(`checkpoint __metadata__.${k} must be a string`);
        metadata[k] = v;
      }
      continue;
    }
    const t = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (typeof t !== 'object' || t === null) throw new RangeError(`checkpoint tensor ${name} must be an object`);
    if (t.dtype !== 'F32') throw new RangeError(`checkpoint tensor ${name} has dtype ${JSON.stringify(t.dtype)}, only "F32" is supported`);
    let shape: number[];
    try {
      shape = Array.isArray(t.shape) && t.shape.length === 0 ? [] : ashape(t.shape, 'shape');
    } catch {
      throw new RangeError(`checkpoint tensor ${name} has an invalid shape ${JSON.stringify(t.shape)}`);
    }
    const off = t.data_offsets;
    if (!Array.isArray(off) || off.length !== 2 || !off.every((x) => Number.isSafeInteger(x) && x >= 0) || off[0] > off[1])
      throw new RangeError(`checkpoint tensor ${name} has invalid data_offsets ${JSON.stringify(off)}`);
    const [begin, end] = off as [number, number];
    if (end - begin !== 4 * sizeOf(shape)) throw new RangeError(`checkpoint tensor ${name}: shape [${shape.join(', ')}] needs ${4 * sizeOf(shape)} bytes, data_offsets give ${end - begin}`);
    if (end > dataLength) throw new RangeError(`checkpoint is truncated: tensor ${name} ends at byte ${end} of a ${dataLength}-byte data section`);
    entries.push({ name, shape, begin, end });
  }
  const sorted = [...entries].sort((a, b) => a.begin - b.begin);
  let expect = 0;
  for (const e of sorted) {
    if (e.begin !== expect) throw new RangeError(`checkpoint tensor ${e.name} starts at byte ${e.begin}, expected ${expect} (tensors must be contiguous and not overlap)`);
    expect = e.end;
  }
  if (expect !== dataLength) throw new RangeError(`checkpoint has ${dataLength - expect} bytes after the last tensor`);
  const tensors = entries.map((e) => {
    const data = new Float32Array(new Uint8Array(bytes.subarray(dataStart + e.begin, dataStart + e.end)).buffer);
    return { name: e.name, shape: e.shape, data };
  });
  return { tensors, metadata };
}

/**
 * A model's architecture and parameters as safetensors bytes (optimiser state is not saved).
 *
 * @example
 * const bytes = saveCheckpoint(model);
 * const copy = loadCheckpoint(bytes); // same architecture, same parameters
 */
export function saveCheckpoint(model: Sequential, metadata: Record<string, string> = {}): Uint8Array {
  if (!(model instanceof Sequential)) throw new TypeError('model must be a Sequential');
  const net = model.network;
  const tensors: NamedTensor[] = [];
  const params = model.parameters;
  for (const [i, layer] of net.layers.entries()) {
    let o = net.offsets[i]!;
    for (const p of layer.params) {
      const n = sizeOf(p.shape);
      tensors.push({ name: `layers.${i}.${p.name}`, shape: [...p.shape], data: params.subarray(o, o + n) });
      o += n;
    }
  }
  return writeSafetensors(tensors, { ...metadata, format: CHECKPOINT_FORMAT, architecture: JSON.stringify(model.architecture) });
}

/** Options of {@link loadCheckpoint}: those of the model to rebuild. */
export interface LoadOptions {
  seed?: string | Uint8Array;
  optimizer?: Optimizer;
}

/** Rebuilds a model from {@link saveCheckpoint} bytes, validating the architecture and every tensor. */
export function loadCheckpoint(bytes: Uint8Array, options: LoadOptions = {}): Sequential {
  const { tensors, metadata } = readSafetensors(bytes);
  if (metadata.format !== CHECKPOINT_FORMAT) throw new RangeError(`checkpoint __metadata__.format is ${JSON.stringify(metadata.format)}, expected "${CHECKPOINT_FORMAT}"`);
  if (metadata.architecture === undefined) throw new RangeError('checkpoint __metadata__ has no architecture');
  let arch: Architecture;
  try {
    arch = JSON.parse(metadata.architecture) as Architecture;
  } catch (e) {
    throw new RangeError(`checkpoint architecture is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof arch !== 'object' || arch === null || !Array.isArray(arch.layers)) throw new RangeError('checkpoint architecture must be { inputShape, layers: [...] }');
  const layers = arch.layers.map((c, i) => {
    try {
      return normaliseConfig(c, `architecture layer ${i}`);
    } catch (e) {
      throw new RangeError(`checkpoint ${(e as Error).message}`);
    }
  });
  let model: Sequential;
  try {
    model = new Sequential(layers, { inputShape: arch.inputShape, ...options });
  } catch (e) {
    throw new RangeError(`checkpoint architecture is invalid: ${(e as Error).message}`);
  }
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const params = new Float32Array(model.parameterCount);
  const net = model.network;
  for (const [i, layer] of net.layers.entries()) {
    let o = net.offsets[i]!;
    for (const p of layer.params) {
      const name = `layers.${i}.${p.name}`;
      const t = byName.get(name);
      if (!t) throw new RangeError(`checkpoint is missing tensor ${name}`);
      if (t.shape.length !== p.shape.length || t.shape.some((d, k) => d !== p.shape[k]))
        throw new RangeError(`checkpoint tensor ${name} has shape [${t.shape.join(', ')}], the architecture needs [${p.shape.join(', ')}]`);
      for (let k = 0; k < t.data.length; k++) if (!Number.isFinite(t.data[k]!)) throw new RangeError(`checkpoint tensor ${name} holds a non-finite value at index ${k}`);
      params.set(t.data, o);
      o += t.data.length;
      byName.delete(name);
    }
  }
  if (byName.size) throw new RangeError(`checkpoint has tensors the architecture does not use: ${[...byName.keys()].slice(0, 5).join(', ')}`);
  model.setParameters(params);
  return model;
}
