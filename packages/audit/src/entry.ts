/**
 * Transcript entries: their fields, and the strict schema check a reader applies to each decoded map.
 * The check is about shape only (field names, types, ranges); links, signatures and agreement with
 * envelopes are the verifier's job (verify.ts).
 * @module
 */
import { KEY_BYTES, SIGNATURE_BYTES, type Canonical } from '@tessera/crypto';
import { AuditError, AuditErrorCodes } from './errors.js';
import { TRANSCRIPT_VERSION } from './format.js';

/**
 * A canonical CBOR map (text keys).
 *
 * @example
 * const data: CanonicalMap = { survivors: [1, 2, 4], epsilon: '0.82' };
 */
export type CanonicalMap = { [key: string]: Canonical };

/**
 * The stage a message belongs to: a SecAgg stage, or 'control' for control messages.
 *
 * @example
 * const s: EntryStage = 'masked';
 */
export type EntryStage = 'advertise' | 'share' | 'masked' | 'consistency' | 'unmask' | 'control';

/** Fields every entry has. */
interface EntryBase {
  readonly v: number;
  readonly seq: number;
  /** SHA-256 of the previous record's entry bytes (of the magic, for seq 0). */
  readonly prev: Uint8Array;
  /** The party writing the transcript: 0 coordinator, 1…n members. */
  readonly recorder: number;
  /** Milliseconds since the epoch when the entry was written (informational). */
  readonly time: number;
  /** The recorder's Ed25519 signature of ENTRY_LABEL ‖ the entry's canonical CBOR without `rsig`. */
  readonly rsig: Uint8Array;
}

/**
 * Entry 0: the session's parameters, signed by the recorder.
 *
 * @example
 * if (entry.kind === 'session') console.log(toHex(entry.digest));
 */
export interface SessionEntry extends EntryBase {
  readonly kind: 'session';
  /** Canonical CBOR of the parameters map (see params.ts). */
  readonly params: Uint8Array;
  /** The SecAgg session digest of the configuration inside params. */
  readonly digest: Uint8Array;
  /** The recorder's Ed25519 public key. */
  readonly signer: Uint8Array;
  /** The recorder's signature of SESSION_LABEL ‖ params. */
  readonly sig: Uint8Array;
}

/**
 * One protocol message the recorder sent or received, with the envelope inline or as a blob.
 *
 * @example
 * if (entry.kind === 'message' && entry.type === 'masked') console.log(entry.from, entry.size);
 */
export interface MessageEntry extends EntryBase {
  readonly kind: 'message';
  readonly dir: 'sent' | 'received';
  /** The envelope's sender (0 = coordinator). */
  readonly from: number;
  /** The receiver of this transmission (0 = coordinator). */
  readonly to: number;
  readonly round: number;
  readonly stage: EntryStage;
  readonly type: string;
  /** 1 SecAgg, 2 control. */
  readonly tag: number;
  /** The sender's 64-byte signature, copied from the envelope. */
  readonly sig: Uint8Array;
  /** The envelope exactly as signed and sent, when stored inline. */
  readonly env?: Uint8Array;
  /** SHA-256 of the envelope, when stored as a blob. */
  readonly blob?: Uint8Array;
  /** The envelope's length in bytes, when stored as a blob. */
  readonly size?: number;
  /** Present (true) when the writer kept the digest only and wrote no blob file. */
  readonly digestOnly?: true;
}

/**
 * The recorder's own observation (a dropout, a result, the close of the transcript): signed only by the
 * recorder's entry signature.
 *
 * @example
 * if (entry.kind === 'note' && entry.event === 'result') console.log(entry.data);
 */
export interface NoteEntry extends EntryBase {
  readonly kind: 'note';
  readonly round: number;
  readonly event: string;
  readonly data: CanonicalMap;
}

/**
 * Any transcript entry.
 *
 * @example
 * switch (entry.kind) { case 'session': …; case 'message': …; case 'note': … }
 */
export type Entry = SessionEntry | MessageEntry | NoteEntry;

/**
 * The note event the writer appends on close(); a complete transcript ends with it.
 *
 * @example
 * const closed = last.kind === 'note' && last.event === CLOSE_EVENT;
 */
export const CLOSE_EVENT = 'close';

/**
 * Stages in protocol order, then 'control'.
 *
 * @example
 * ENTRY_STAGES.includes(entry.stage); // true for every well-formed message entry
 */
export const ENTRY_STAGES: readonly EntryStage[] = ['advertise', 'share', 'masked', 'consistency', 'unmask', 'control'];

/** Largest seq, round, time, party index the schema accepts. */
const MAX_U32 = 0xffffffff;
const MAX_TEXT = 64;
/** Event names: lowercase letters, digits and hyphens, 1 to 64 characters. */
const EVENT_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;

const COMMON = ['v', 'seq', 'prev', 'kind', 'recorder', 'time', 'rsig'];
const FIELDS = {
  session: [...COMMON, 'params', 'digest', 'signer', 'sig'],
  message: [...COMMON, 'dir', 'from', 'to', 'round', 'stage', 'type', 'tag', 'sig'],
  note: [...COMMON, 'round', 'event', 'data'],
} as const;
const MESSAGE_OPTIONAL = ['env', 'blob', 'size', 'digestOnly'];

/**
 * Is `v` a plain canonical map (not an array, bytes or null)?
 *
 * @example
 * isMap(decodeCanonical(bytes)); // true for an entry
 */
export function isMap(v: Canonical | undefined): v is CanonicalMap {
  return typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && !Array.isArray(v);
}

/**
 * Checks a decoded entry map's shape and returns it typed. Throws AuditError(ERR_ENTRY) naming the
 * first bad field.
 *
 * @example
 * const entry = parseEntry(decodeCanonical(bytes), { seq: 3, offset: 1234 });
 */
export function parseEntry(raw: Canonical, where: { seq?: number; offset?: number } = {}): Entry {
  const bad = (what: string): AuditError => new AuditError(AuditErrorCodes.ENTRY, `entry ${what}`, where);
  if (!isMap(raw)) throw bad('is not a map');
  const uint = (f: string, max = Number.MAX_SAFE_INTEGER): number => {
    const x = raw[f];
    if (typeof x !== 'number' || !Number.isSafeInteger(x) || x < 0 || x > max) throw bad(`field '${f}' must be an integer in [0, ${max}]`);
    return x;
  };
  const bytes = (f: string, len?: number): Uint8Array => {
    const x = raw[f];
    if (!(x instanceof Uint8Array)) throw bad(`field '${f}' must be a byte string`);
    if (len !== undefined && x.length !== len) throw bad(`field '${f}' must be ${len} bytes, got ${x.length}`);
    return x;
  };
  const text = (f: string, allowed?: readonly string[]): string => {
    const x = raw[f];
    if (typeof x !== 'string' || x.length === 0 || x.length > MAX_TEXT) throw bad(`field '${f}' must be a text of 1 to ${MAX_TEXT} characters`);
    if (allowed && !allowed.includes(x)) throw bad(`field '${f}' must be one of ${allowed.join(', ')}`);
    return x;
  };
  const kind = text('kind', ['session', 'message', 'note']) as Entry['kind'];
  const required: readonly string[] = FIELDS[kind];
  const optional = kind === 'message' ? MESSAGE_OPTIONAL : [];
  for (const k of required) if (!(k in raw)) throw bad(`lacks field '${k}'`);
  for (const k of Object.keys(raw)) if (!required.includes(k) && !optional.includes(k)) throw bad(`has unknown field '${k.slice(0, 40)}'`);
  const v = uint('v');
  if (v !== TRANSCRIPT_VERSION) throw bad(`is format version ${v}, this reader knows ${TRANSCRIPT_VERSION}`);
  const base = { v, seq: uint('seq'), prev: bytes('prev', 32), recorder: uint('recorder', MAX_U32), time: uint('time'), rsig: bytes('rsig', SIGNATURE_BYTES) };
  switch (kind) {
    case 'session':
      return { ...base, kind, params: bytes('params'), digest: bytes('digest', 32), signer: bytes('signer', KEY_BYTES), sig: bytes('sig', SIGNATURE_BYTES) };
    case 'note': {
      const event = text('event');
      if (!EVENT_PATTERN.test(event)) throw bad(`field 'event' must match ${EVENT_PATTERN}`);
      const data = raw.data;
      if (!isMap(data)) throw bad(`field 'data' must be a map`);
      return { ...base, kind, round: uint('round', MAX_U32), event, data };
    }
    case 'message': {
      const dir = text('dir', ['sent', 'received']) as MessageEntry['dir'];
      const tag = uint('tag', 2);
      if (tag < 1) throw bad(`field 'tag' must be 1 or 2`);
      const common = {
        ...base, kind, dir, from: uint('from', MAX_U32), to: uint('to', MAX_U32), round: uint('round', MAX_U32),
        stage: text('stage', ENTRY_STAGES) as EntryStage, type: text('type'), tag, sig: bytes('sig', SIGNATURE_BYTES),
      };
      if ('env' in raw) {
        if ('blob' in raw || 'size' in raw || 'digestOnly' in raw) throw bad(`has both 'env' and 'blob'/'size'/'digestOnly'`);
        return { ...common, env: bytes('env') };
      }
      if (!('blob' in raw) || !('size' in raw)) throw bad(`needs either 'env' or both 'blob' and 'size'`);
      const out = { ...common, blob: bytes('blob', 32), size: uint('size') };
      if ('digestOnly' in raw) {
        if (raw.digestOnly !== true) throw bad(`field 'digestOnly' must be true when present`);
        return { ...out, digestOnly: true };
      }
      return out;
    }
  }
}

/**
 * The entry as a canonical map, without `rsig` (what the recorder signs) or with it (what is stored).
 *
 * @example
 * const signed = encodeCanonical(entryToMap(entry, true));
 */
export function entryToMap(entry: Entry, withRsig: boolean): CanonicalMap {
  const out: CanonicalMap = {};
  for (const [k, v] of Object.entries(entry)) {
    if (k === 'rsig' && !withRsig) continue;
    if (v === undefined) continue;
    out[k] = v as Canonical;
  }
  return out;
}
