/**
 * Reading the JSON files operators write (roster, configs, identities) and validating their fields so
 * that every refusal names the file and the field path: `config.json: deadlines.shareMs must be …`.
 * @module
 */
import { readFile, stat } from 'node:fs/promises';
import { FileError, NodeErrorCodes } from './errors.js';

/** Largest JSON file read by default (rosters of 10,000 members fit easily). */
export const MAX_JSON_BYTES = 8 << 20;

/**
 * Where the first syntax error of `text` is (line and column, 1-based), or undefined if `text` is
 * valid JSON. Node 20's JSON.parse does not always say where, and an operator editing a roster needs it.
 */
export function jsonErrorPosition(text: string): { offset: number; line: number; column: number; what: string } | undefined {
  let i = 0;
  const fail = (what: string): never => {
    throw Object.assign(new Error(what), { offset: i });
  };
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const lit = (word: string): void => {
    if (text.startsWith(word, i)) i += word.length;
    else fail('unexpected token');
  };
  const str = (): void => {
    i++; // opening quote
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) return void i++;
      if (c < 0x20) fail('control character in string');
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('bad \\u escape');
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else fail('bad escape');
      } else i++;
    }
  };
  const num = (): void => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m) fail('bad number');
    i += m![0].length;
  };
  const value = (depth: number): void => {
    if (depth > 256) fail('nested too deeply');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a property name in double quotes');
        str();
        ws();
        if (text[i] !== ':') fail("expected ':'");
        i++;
        value(depth + 1);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') return void i++;
        else fail("expected ',' or '}'");
      }
    } else if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (;;) {
        value(depth + 1);
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') return void i++;
        else fail("expected ',' or ']'");
      }
    } else if (c === '"') str();
    else if (c === 't') lit('true');
    else if (c === 'f') lit('false');
    else if (c === 'n') lit('null');
    else if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) num();
    else fail(c === undefined ? 'unexpected end of input' : 'unexpected token');
  };
  try {
    if (text.charCodeAt(0) === 0xfeff) i = 1;
    value(0);
    ws();
    if (i < text.length) fail('unexpected text after the JSON value');
    return undefined;
  } catch (e) {
    const offset = (e as { offset: number }).offset;
    const before = text.slice(0, offset);
    const line = before.split('\n').length;
    const column = offset - before.lastIndexOf('\n');
    return { offset, line, column, what: (e as Error).message };
  }
}

/**
 * Parses JSON text from `file`; a syntax error names the file, the line and the column.
 *
 * @example
 * parseJsonText('{"a":}', 'roster.json'); // throws "roster.json: not valid JSON at line 1, column 6: unexpected token"
 */
export function parseJsonText(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const where = jsonErrorPosition(text);
    // Never quote JSON.parse's own message: it echoes part of the text, and the file may hold a secret.
    const at = where ? ` at line ${where.line}, column ${where.column}: ${where.what}` : '';
    throw new FileError(file, undefined, `not valid JSON${at}`, NodeErrorCodes.FILE_SYNTAX);
  }
}

/** Reads a file of at most `maxBytes`, naming the file in every error. */
export async function readBounded(file: string, maxBytes: number): Promise<Buffer> {
  let size: number;
  try {
    const s = await stat(file);
    if (!s.isFile()) throw new FileError(file, undefined, 'is not a regular file', NodeErrorCodes.FILE_READ);
    size = s.size;
  } catch (e) {
    if (e instanceof FileError) throw e;
    throw new FileError(file, undefined, `cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, NodeErrorCodes.FILE_READ, { cause: e });
  }
  if (size > maxBytes) throw new FileError(file, undefined, `is ${size} bytes, more than the ${maxBytes} allowed`, NodeErrorCodes.FILE_READ);
  try {
    return await readFile(file);
  } catch (e) {
    throw new FileError(file, undefined, `cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, NodeErrorCodes.FILE_READ, { cause: e });
  }
}

/** Reads and parses a JSON file. */
export async function readJsonFile(file: string, maxBytes = MAX_JSON_BYTES): Promise<unknown> {
  const bytes = await readBounded(file, maxBytes);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (cause) {
    throw new FileError(file, undefined, 'is not UTF-8 text', NodeErrorCodes.FILE_SYNTAX, { cause });
  }
  return parseJsonText(text, file);
}

type Json = unknown;
const HEX = /^[0-9a-f]*$/;

/**
 * Field-by-field validation of one parsed JSON file. Each getter names the field path and the file.
 *
 * @example
 * const f = new Fields('config.json');
 * const o = f.object(json, '');
 * const port = f.int(o, 'listen.port', 0, 65535);
 */
export class Fields {
  constructor(readonly file: string) {}

  fail(field: string, problem: string): never {
    throw new FileError(this.file, field === '' ? undefined : field, problem);
  }

  /** `value` must be a plain object whose keys are all in `allowed` (typos fail closed). */
  object(value: Json, field: string, allowed?: readonly string[]): Record<string, Json> {
    if (value === undefined) this.fail(field, 'is missing');
    if (typeof value !== 'object' || value === null || Array.isArray(value)) this.fail(field, field === '' ? 'must hold a JSON object' : 'must be an object');
    const o = value as Record<string, Json>;
    if (allowed) for (const k of Object.keys(o)) if (!allowed.includes(k)) this.fail(join(field, k), `is not a known field (known: ${allowed.join(', ')})`);
    return o;
  }
  private get(o: Record<string, Json>, key: string, field: string): Json {
    const v = o[key];
    if (v === undefined) this.fail(join(field, key), 'is missing');
    return v;
  }
  has(o: Record<string, Json>, key: string): boolean {
    return Object.hasOwn(o, key) && o[key] !== undefined;
  }
  string(o: Record<string, Json>, key: string, field: string, maxLength = 4096): string {
    const v = this.get(o, key, field);
    if (typeof v !== 'string' || v.length === 0) this.fail(join(field, key), 'must be a non-empty string');
    if ((v as string).length > maxLength) this.fail(join(field, key), `must be at most ${maxLength} characters`);
    return v as string;
  }
  /** A short human name: 1–64 characters, no control characters. */
  name(o: Record<string, Json>, key: string, field: string): string {
    const v = this.string(o, key, field, 64);
    if (/[\u0000-\u001f\u007f]/.test(v)) this.fail(join(field, key), 'must not contain control characters');
    return v;
  }
  hex(o: Record<string, Json>, key: string, field: string, bytes: number): string {
    const v = this.get(o, key, field);
    if (typeof v !== 'string' || v.length !== 2 * bytes || !HEX.test(v)) this.fail(join(field, key), `must be ${2 * bytes} hex characters (lower case)`);
    return v as string;
  }
  int(o: Record<string, Json>, key: string, field: string, min: number, max: number): number {
    const v = this.get(o, key, field);
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) this.fail(join(field, key), `must be an integer in [${min}, ${max}]`);
    return v as number;
  }
  number(o: Record<string, Json>, key: string, field: string, check: (x: number) => boolean, range: string): number {
    const v = this.get(o, key, field);
    if (typeof v !== 'number' || !Number.isFinite(v) || !check(v)) this.fail(join(field, key), `must be a number in ${range}`);
    return v as number;
  }
  oneOf<const C extends readonly string[]>(o: Record<string, Json>, key: string, field: string, choices: C): C[number] {
    const v = this.get(o, key, field);
    if (typeof v !== 'string' || !choices.includes(v)) this.fail(join(field, key), `must be one of ${choices.map((c) => `'${c}'`).join(', ')}`);
    return v as C[number];
  }
  literal<T extends string | number | boolean>(o: Record<string, Json>, key: string, field: string, expected: T): T {
    const v = this.get(o, key, field);
    if (v !== expected) this.fail(join(field, key), `must be ${JSON.stringify(expected)}`);
    return expected;
  }
  array(o: Record<string, Json>, key: string, field: string, max: number): Json[] {
    const v = this.get(o, key, field);
    if (!Array.isArray(v)) this.fail(join(field, key), 'must be an array');
    if ((v as Json[]).length > max) this.fail(join(field, key), `must have at most ${max} entries`);
    return v as Json[];
  }
}

/** `a.b`, or `b` at the top level. */
export function join(field: string, key: string): string {
  return field === '' ? key : `${field}.${key}`;
}
