/**
 * Where a peer's update for each round comes from. `UpdateProvider` is the plug: today a file per
 * round (`FileUpdateProvider`); local training plugs in here, starting from the round's publication
 * (`InputContext.publication`: the global model the coordinator published before the round).
 *
 * File formats, chosen by `format` or else by extension (`.json` → json, anything else → u32le):
 * - json: a JSON array of `vectorLength` integers, each in [0, 2^bits).
 * - u32le: exactly 4 · `vectorLength` bytes, little-endian uint32 words, each < 2^bits.
 * @module
 */
import { aint } from '@tessera/crypto';
import type { Round } from '@tessera/dp';
import { MAX_VECTOR_LENGTH } from '@tessera/secagg';
import { FileError, NodeErrorCodes } from './errors.js';
import { parseJsonText, readBounded } from './json.js';

/** What a peer knows about a round when it asks for its input. */
export interface InputContext {
  /**
   * The coordinator's publication for this round (the state the round starts from; for training, the
   * global model), verified under the coordinator key; undefined when none was published.
   */
  readonly publication?: Uint8Array;
}

/** Supplies the vector a peer contributes to round `round`. */
export interface UpdateProvider {
  input(round: number, context?: InputContext): Promise<Uint32Array>;
  /**
   * What taking part in `round` costs in privacy (an accountant round), when the provider adds DP
   * noise (NoisyUpdateProvider); a Peer then checks and records it in its privacy budget.
   */
  privacyCost?(round: number): Round | undefined;
}

export type InputFormat = 'json' | 'u32le';

export interface FileUpdateOptions {
  /** A path; every `{round}` in it is replaced by the round number (0-based). */
  readonly pattern: string;
  readonly format?: InputFormat;
  readonly bits: number;
  readonly vectorLength: number;
}

/** The file of round `round`: `pattern` with every `{round}` replaced. */
export function inputPath(pattern: string, round: number): string {
  return pattern.replaceAll('{round}', String(round));
}

/** The format of `file`: explicit, else by extension. */
export function inputFormat(file: string, format?: InputFormat): InputFormat {
  return format ?? (file.toLowerCase().endsWith('.json') ? 'json' : 'u32le');
}

/**
 * Parses a JSON update: an array of exactly `vectorLength` integers in [0, 2^bits). Errors name the
 * file and the index.
 *
 * @example
 * parseJsonVector('[1, 2, 3]', 'in-0.json', 16, 3); // Uint32Array [1, 2, 3]
 */
export function parseJsonVector(text: string, file: string, bits: number, vectorLength: number): Uint32Array {
  const value = parseJsonText(text, file);
  if (!Array.isArray(value)) throw new FileError(file, undefined, 'must hold a JSON array of integers');
  if (value.length !== vectorLength) throw new FileError(file, undefined, `has ${value.length} values; the session's vectorLength is ${vectorLength}`);
  const max = 2 ** bits;
  const out = new Uint32Array(vectorLength);
  for (let i = 0; i < vectorLength; i++) {
    const x: unknown = value[i];
    if (typeof x !== 'number' || !Number.isInteger(x)) throw new FileError(file, `[${i}]`, `is ${typeof x === 'number' ? x : typeof x}, not an integer`);
    if (x < 0 || x >= max) throw new FileError(file, `[${i}]`, `is ${x}, outside [0, 2^${bits})`);
    out[i] = x;
  }
  return out;
}

/**
 * Parses a raw update: little-endian uint32 words, exactly `vectorLength` of them, each < 2^bits.
 *
 * @example
 * parseU32leVector(new Uint8Array([1, 0, 0, 0]), 'in-0.bin', 8, 1); // Uint32Array [1]
 */
export function parseU32leVector(bytes: Uint8Array, file: string, bits: number, vectorLength: number): Uint32Array {
  if (bytes.length !== 4 * vectorLength)
    throw new FileError(file, undefined, `is ${bytes.length} bytes; ${vectorLength} little-endian uint32 words are ${4 * vectorLength} bytes`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Uint32Array(vectorLength);
  const max = 2 ** bits;
  for (let i = 0; i < vectorLength; i++) {
    const x = view.getUint32(4 * i, true);
    if (x >= max) throw new FileError(file, `word ${i}`, `is ${x}, outside [0, 2^${bits})`);
    out[i] = x;
  }
  return out;
}

/**
 * Reads each round's update from a file.
 *
 * @example
 * const provider = new FileUpdateProvider({ pattern: 'updates/in-{round}.json', bits: 16, vectorLength: 1000 });
 * const x = await provider.input(0); // reads updates/in-0.json
 */
export class FileUpdateProvider implements UpdateProvider {
  readonly pattern: string;
  readonly format: InputFormat | undefined;
  readonly bits: number;
  readonly vectorLength: number;

  constructor(options: FileUpdateOptions) {
    if (typeof options.pattern !== 'string' || options.pattern.length === 0) throw new TypeError('pattern must be a non-empty string');
    if (options.format !== undefined && options.format !== 'json' && options.format !== 'u32le') throw new RangeError(`format must be 'json' or 'u32le'`);
    this.pattern = options.pattern;
    this.format = options.format;
    this.bits = aint(options.bits, 'bits', 1, 32);
    this.vectorLength = aint(options.vectorLength, 'vectorLength', 1, MAX_VECTOR_LENGTH);
  }

  /** Reads the file of `round`; the context (a publication) is not used. */
  async input(round: number, _context?: InputContext): Promise<Uint32Array> {
    aint(round, 'round', 0, 0xffffffff);
    const file = inputPath(this.pattern, round);
    const format = inputFormat(file, this.format);
    if (format === 'u32le') return parseU32leVector(await readBounded(file, 4 * this.vectorLength), file, this.bits, this.vectorLength);
    // Generous for JSON: 11 digits, a comma and some whitespace per word.
    const bytes = await readBounded(file, 24 * this.vectorLength + 4096);
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch (cause) {
      throw new FileError(file, undefined, 'is not UTF-8 text', NodeErrorCodes.FILE_SYNTAX, { cause });
    }
    return parseJsonVector(text, file, this.bits, this.vectorLength);
  }
}
