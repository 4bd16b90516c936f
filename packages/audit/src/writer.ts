/**
 * The transcript writer: append-only, crash-safe, hash-chained and signed by the recorder.
 *
 * Every append is validated and turned into its record synchronously, in call order (so calls need not
 * be awaited one by one), then written by one queued write() on a file opened with O_APPEND. Blobs are
 * written to a temporary name, fsynced and renamed before the record that names them. By default every
 * record is fsynced before its promise resolves.
 * @module
 */
import { mkdir, open, readFile, rename, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import {
  concat, encodeCanonical, equalBytes, sha256, u32be, verifySignature, type Canonical, type Identity,
} from '@tessera/crypto';
import type { Session } from '@tessera/secagg';
import { CLOSE_EVENT, entryToMap, isMap, type CanonicalMap, type Entry } from './entry.js';

/** An entry before the recorder signs it. */
type Unsigned = Entry extends infer E ? (E extends Entry ? Omit<E, 'rsig'> : never) : never;
import { inspectEnvelope, type InspectedEnvelope } from './envelope.js';
import { AuditError, AuditErrorCodes } from './errors.js';
import {
  BLOB_DIR, DEFAULT_INLINE_LIMIT, ENTRY_LABEL, MAGIC, MAX_INLINE_LIMIT, MAX_RECORD_BYTES, SESSION_LABEL, TRANSCRIPT_FILE,
  TRANSCRIPT_VERSION, Tag, blobName, genesisHash,
} from './format.js';
import { decodeParams, encodeParams, rosterKey, type TranscriptParams } from './params.js';
import { scanTranscript, type TruncatedTail } from './reader.js';
import { checkHeader, checkRouting, stageOf } from './rules.js';

/**
 * How to open a writer.
 *
 * @example
 * const opts: WriterOptions = { recorder: 0, identity: coordinatorIdentity, inlineLimit: 64 * 1024, syncEvery: 1 };
 */
export interface WriterOptions {
  /** The party writing: 0 coordinator, 1…n members. */
  readonly recorder: number;
  /** The recorder's identity: its public key must be the roster key of `recorder`. */
  readonly identity: Identity;
  /** Keep only the SHA-256 and size of envelopes above the inline limit (no blob files). Default false. */
  readonly digestsOnly?: boolean;
  /** Envelopes of at most this many bytes are stored inline; larger ones as blobs. Default 64 KiB, at most 8 MiB. */
  readonly inlineLimit?: number;
  /**
   * fsync the log after every `syncEvery` records (default 1: every record). 0: only on flush() and
   * close(). Records not yet fsynced can be lost by a power cut (never by a process crash).
   */
  readonly syncEvery?: number;
  /** Milliseconds since the epoch for the `time` field; Date.now by default (tests fix it). */
  readonly clock?: () => number;
}

/**
 * One message to record.
 *
 * @example
 * await writer.appendMessage({ dir: 'received', to: 0, frameOrEnvelope: bytes, tag: 1 });
 */
export interface MessageInput {
  /** 'sent' when the recorder is the sender, 'received' when it is the receiver. */
  readonly dir: 'sent' | 'received';
  /** The receiver of this transmission (0 = coordinator). */
  readonly to: number;
  /** A node frame (tag byte 0x01/0x02 ‖ envelope) or a bare envelope (then `tag` is required). */
  readonly frameOrEnvelope: Uint8Array;
  /** 1 SecAgg, 2 control: required for a bare envelope, checked against a frame's tag byte. */
  readonly tag?: Tag;
  /** The sender, if the caller wants it checked against the envelope. */
  readonly from?: number;
}

/**
 * A note to record.
 *
 * @example
 * await writer.appendNote({ round: 3, event: 'result', data: { survivors: [1, 2, 4], sum: sha256(sumBytes) } });
 */
export interface NoteInput {
  readonly round: number;
  /** Lowercase letters, digits, hyphens; 1–64 characters; 'close' is reserved for close(). */
  readonly event: string;
  readonly data?: CanonicalMap;
}

/**
 * Where an entry went.
 *
 * @example
 * const { seq, offset, hash } = await writer.appendNote({ round: 0, event: 'dropout', data: { member: 3 } });
 */
export interface Appended {
  readonly seq: number;
  /** Byte offset of the record in transcript.tlog. */
  readonly offset: number;
  /** SHA-256 of the entry bytes: the next entry's prev. */
  readonly hash: Uint8Array;
}

/**
 * What open() found in an existing transcript.
 *
 * @example
 * if (writer.recovered.truncatedTail) log.warn('a torn record was removed', writer.recovered.truncatedTail);
 */
export interface Recovery {
  /** Records already in the file. */
  readonly records: number;
  /** A torn final record that open() truncated away. */
  readonly truncatedTail?: TruncatedTail;
  /** The file held a torn magic header (a crash while creating it) and was started afresh. */
  readonly restarted?: boolean;
}

const EVENT_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;

function aIndex(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new TypeError(`${name} must be an integer, got ${typeof value}`);
  if (value < 0 || value > 0xffffffff) throw new RangeError(`${name} must be in [0, 2^32), got ${value}`);
  return value;
}

async function syncDir(dir: string): Promise<void> {
  try {
    const d = await open(dir, 'r');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EINVAL' && code !== 'EPERM' && code !== 'EBADF') throw e;
  }
}

/**
 * Appends a session's transcript. One writer per transcript folder at a time.
 *
 * @example
 * const w = await TranscriptWriter.open('runs/s1/coordinator', { recorder: 0, identity });
 * await w.appendSession({ session, privacy: { mechanism: 'ddgauss', localStddev: '40', delta: '1e-5' } });
 * await w.appendMessage({ dir: 'sent', to: 2, frameOrEnvelope: frame });
 * await w.close();
 */
export class TranscriptWriter {
  readonly dir: string;
  readonly recorder: number;
  /** What open() found and repaired. */
  readonly recovered: Recovery;
  readonly #fh: FileHandle;
  readonly #identity: Identity;
  readonly #digestsOnly: boolean;
  readonly #inlineLimit: number;
  readonly #syncEvery: number;
  readonly #clock: () => number;
  #session: Session | undefined;
  #seq: number;
  #prev: Uint8Array;
  #offset: number;
  #lastRound: number;
  #lastWasClose: boolean;
  #unsynced = 0;
  #queue: Promise<unknown> = Promise.resolve();
  #failed: AuditError | undefined;
  #closed = false;

  private constructor(dir: string, fh: FileHandle, options: WriterOptions, state: {
    recovered: Recovery; session: Session | undefined; seq: number; prev: Uint8Array; offset: number; lastRound: number; lastWasClose: boolean;
  }) {
    this.dir = dir;
    this.recorder = options.recorder;
    this.#fh = fh;
    this.#identity = options.identity;
    this.#digestsOnly = options.digestsOnly ?? false;
    this.#inlineLimit = options.inlineLimit ?? DEFAULT_INLINE_LIMIT;
    this.#syncEvery = options.syncEvery ?? 1;
    this.#clock = options.clock ?? Date.now;
    this.recovered = state.recovered;
    this.#session = state.session;
    this.#seq = state.seq;
    this.#prev = state.prev;
    this.#offset = state.offset;
    this.#lastRound = state.lastRound;
    this.#lastWasClose = state.lastWasClose;
  }

  /**
   * Opens (creating if needed) the transcript in `dir`. An existing transcript is continued: its records
   * must be well formed, correctly chained, written by this recorder with this identity, and the last
   * one's recorder signature must verify; a torn final record is truncated away and reported in
   * `recovered`. Anything else wrong throws an AuditError: a damaged transcript is never appended to.
   *
   * @example
   * const w = await TranscriptWriter.open(dir, { recorder: 2, identity: memberIdentity });
   * w.recovered.truncatedTail; // set after a crash mid-append
   */
  static async open(dir: string, options: WriterOptions): Promise<TranscriptWriter> {
    if (typeof dir !== 'string' || dir.length === 0) throw new TypeError('dir must be a non-empty path string');
    if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
    aIndex(options.recorder, 'options.recorder');
    const id = options.identity;
    if (typeof id !== 'object' || id === null || !(id.publicKey instanceof Uint8Array) || typeof id.sign !== 'function') throw new TypeError('options.identity must be an Identity');
    if (options.digestsOnly !== undefined && typeof options.digestsOnly !== 'boolean') throw new TypeError('options.digestsOnly must be a boolean');
    if (options.inlineLimit !== undefined) {
      if (typeof options.inlineLimit !== 'number' || !Number.isSafeInteger(options.inlineLimit)) throw new TypeError('options.inlineLimit must be an integer');
      if (options.inlineLimit < 0 || options.inlineLimit > MAX_INLINE_LIMIT) throw new RangeError(`options.inlineLimit must be in [0, ${MAX_INLINE_LIMIT}], got ${options.inlineLimit}`);
    }
    if (options.syncEvery !== undefined) {
      if (typeof options.syncEvery !== 'number' || !Number.isSafeInteger(options.syncEvery)) throw new TypeError('options.syncEvery must be an integer');
      if (options.syncEvery < 0) throw new RangeError(`options.syncEvery must be ≥ 0, got ${options.syncEvery}`);
    }
    if (options.clock !== undefined && typeof options.clock !== 'function') throw new TypeError('options.clock must be a function');

    await mkdir(join(dir, BLOB_DIR), { recursive: true, mode: 0o700 });
    const file = join(dir, TRANSCRIPT_FILE);
    let existing: Uint8Array;
    try {
      existing = new Uint8Array(await readFile(file));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new AuditError(AuditErrorCodes.IO, `${file} cannot be read: ${(e as NodeJS.ErrnoException).code}`, { cause: e });
      existing = new Uint8Array(0);
    }
    const fh = await open(file, 'a', 0o600);
    try {
      const tornMagic = existing.length < MAGIC.length && existing.every((b, i) => b === MAGIC[i]);
      if (tornMagic) {
        await fh.truncate(0);
        await writeAll(fh, MAGIC);
        await fh.sync();
        await syncDir(dir);
        const recovered: Recovery = existing.length > 0 ? { records: 0, restarted: true } : { records: 0 };
        return new TranscriptWriter(dir, fh, options, { recovered, session: undefined, seq: 0, prev: genesisHash(), offset: MAGIC.length, lastRound: 0, lastWasClose: false });
      }
      const scan = scanTranscript(existing);
      if (scan.error) throw scan.error;
      const records = scan.records;
      let prev = genesisHash();
      let session: Session | undefined;
      let lastRound = 0;
      for (const r of records) {
        const e = r.entry;
        const where = { seq: r.index, offset: r.offset };
        if (e.seq !== r.index) throw new AuditError(AuditErrorCodes.SEQ, `existing entry at position ${r.index} has seq ${e.seq}`, where);
        if (!equalBytes(e.prev, prev)) throw new AuditError(AuditErrorCodes.CHAIN, `existing entry ${r.index} does not link to its predecessor`, where);
        if (e.recorder !== options.recorder) throw new AuditError(AuditErrorCodes.FIELD_MISMATCH, `existing entry ${r.index} was written by recorder ${e.recorder}, not ${options.recorder}`, where);
        if ((r.index === 0) !== (e.kind === 'session')) throw new AuditError(AuditErrorCodes.SESSION_ENTRY, `the session entry must be entry 0, and only it`, where);
        if (e.kind === 'session') {
          if (!equalBytes(e.signer, id.publicKey)) throw new AuditError(AuditErrorCodes.UNKNOWN_SIGNER, `the existing transcript was signed by another identity`, where);
          session = decodeParams(e.params, where).session;
        } else {
          lastRound = Math.max(lastRound, e.round);
        }
        prev = r.hash;
      }
      const last = records[records.length - 1];
      if (last && !verifySignature(id.publicKey, concat(ENTRY_LABEL, encodeCanonical(entryToMap(last.entry, false))), last.entry.rsig))
        throw new AuditError(AuditErrorCodes.BAD_SIGNATURE, `the last existing entry's recorder signature does not verify`, { seq: last.index, offset: last.offset });
      let offset = existing.length;
      if (scan.truncatedTail) {
        await fh.truncate(scan.truncatedTail.offset);
        await fh.sync();
        offset = scan.truncatedTail.offset;
      }
      const recovered: Recovery = scan.truncatedTail ? { records: records.length, truncatedTail: scan.truncatedTail } : { records: records.length };
      const lastWasClose = last?.entry.kind === 'note' && last.entry.event === CLOSE_EVENT;
      return new TranscriptWriter(dir, fh, options, { recovered, session, seq: records.length, prev, offset, lastRound, lastWasClose });
    } catch (e) {
      await fh.close().catch(() => undefined);
      throw e;
    }
  }

  /**
   * The session recorded in entry 0, once appended (or found on open).
   *
   * @example
   * writer.session?.digest;
   */
  get session(): Session | undefined {
    return this.#session;
  }
  /**
   * The seq the next entry will get.
   *
   * @example
   * writer.nextSeq; // 0 for a new transcript
   */
  get nextSeq(): number {
    return this.#seq;
  }
  /**
   * SHA-256 of the last entry (of the magic for an empty transcript): the chain's head, to anchor elsewhere.
   *
   * @example
   * toHex(writer.head);
   */
  get head(): Uint8Array {
    return this.#prev.slice();
  }

  /**
   * Appends entry 0: the session parameters, signed by the recorder. Refused (AuditError
   * ERR_WRITER_STATE) when the transcript already has entries; RangeError when the identity is not
   * the roster key of the recorder.
   *
   * @example
   * await writer.appendSession({ session: config, privacy: { mechanism: 'ddgauss', localStddev: '40', delta: '1e-5', epsilon: '8' }, extra: { model: 'resnet18' } });
   */
  appendSession(params: TranscriptParams): Promise<Appended> {
    return this.#append(() => {
      if (this.#seq !== 0) throw new AuditError(AuditErrorCodes.WRITER_STATE, `the session entry must be entry 0; this transcript already has ${this.#seq} entries`);
      const { bytes, session } = encodeParams(params);
      const key = rosterKey(session, this.recorder);
      if (key === undefined) throw new RangeError(`options.recorder ${this.recorder} is not a party of this session (n = ${session.n})`);
      if (!equalBytes(key, this.#identity.publicKey)) throw new RangeError(`options.identity is not the roster key of recorder ${this.recorder}`);
      const entry = {
        ...this.#base('session'), params: bytes, digest: session.digest, signer: this.#identity.publicKey.slice(),
        sig: this.#identity.sign(concat(SESSION_LABEL, bytes)),
      };
      this.#session = session;
      return { entry };
    });
  }

  /**
   * Appends one message the recorder sent or received. The envelope is parsed (never altered) to fill
   * round, stage, type and the sender's signature; it must belong to this session, be signed by its
   * sender's roster key, and be routed to or from the recorder. Otherwise TypeError/RangeError naming
   * `message.frameOrEnvelope` (or the bad field): record only what you accepted as authentic.
   *
   * @example
   * plan.observe = (d) => void writer.appendMessage({ dir: d.to === 0 ? 'received' : 'sent', to: d.to, frameOrEnvelope: d.bytes, tag: 1 });
   */
  appendMessage(message: MessageInput): Promise<Appended> {
    return this.#append(() => {
      const session = this.#requireSession('a message');
      if (typeof message !== 'object' || message === null) throw new TypeError('message must be an object');
      if (message.dir !== 'sent' && message.dir !== 'received') throw new TypeError(`message.dir must be 'sent' or 'received'`);
      const to = aIndex(message.to, 'message.to');
      const bytes = message.frameOrEnvelope;
      if (!(bytes instanceof Uint8Array)) throw new TypeError('message.frameOrEnvelope must be a Uint8Array');
      if (bytes.length < 2) throw new RangeError(`message.frameOrEnvelope is ${bytes.length} bytes, too short for a frame or an envelope`);
      let tag: Tag;
      let env: Uint8Array;
      if (bytes[0] === Tag.SECAGG || bytes[0] === Tag.CONTROL) {
        tag = bytes[0] as Tag;
        env = bytes.subarray(1);
        if (message.tag !== undefined && message.tag !== tag) throw new RangeError(`message.tag is ${message.tag} but the frame's tag byte is ${tag}`);
      } else {
        if (message.tag !== Tag.SECAGG && message.tag !== Tag.CONTROL) throw new TypeError('message.tag must be 1 (SecAgg) or 2 (control) for a bare envelope');
        tag = message.tag;
        env = bytes;
      }
      let inspected: InspectedEnvelope;
      try {
        inspected = inspectEnvelope(tag, env);
      } catch (e) {
        if (e instanceof AuditError) throw new RangeError(`message.frameOrEnvelope does not parse: ${e.message}`, { cause: e });
        throw e;
      }
      const h = inspected.header;
      const from = h.from;
      if (message.from !== undefined && aIndex(message.from, 'message.from') !== from) throw new RangeError(`message.from is ${message.from} but the envelope is from ${from}`);
      const stage = stageOf(h.type)!;
      const problem = checkRouting(session, this.recorder, { dir: message.dir, from, to, tag, type: h.type, stage }) ?? checkHeader(session, { from, to, round: h.round, type: h.type, tag }, h);
      if (problem) throw new RangeError(`message.frameOrEnvelope cannot be recorded: ${problem.message} (${problem.code})`);
      if (!verifySignature(rosterKey(session, from)!, inspected.signed, inspected.s))
        throw new RangeError(`message.frameOrEnvelope: the signature of party ${from} on a '${h.type}' does not verify under its roster key`);
      const envCopy = env.slice();
      const common = {
        ...this.#base('message'), dir: message.dir, from, to, round: h.round, stage,
        type: h.type, tag, sig: inspected.s.slice(),
      };
      this.#lastRound = Math.max(this.#lastRound, h.round);
      if (envCopy.length <= this.#inlineLimit) return { entry: { ...common, env: envCopy } };
      const digest = sha256(envCopy);
      if (this.#digestsOnly) return { entry: { ...common, blob: digest, size: envCopy.length, digestOnly: true as const } };
      return { entry: { ...common, blob: digest, size: envCopy.length }, blob: { digest, bytes: envCopy } };
    });
  }

  /**
   * Appends a note: the recorder's own observation (a dropout, an abort, a round's result and its
   * reported ε), protected by the chain and the recorder's entry signature only.
   *
   * @example
   * await writer.appendNote({ round: 0, event: 'round-aborted', data: { code: 'ERR_BELOW_THRESHOLD' } });
   */
  appendNote(note: NoteInput): Promise<Appended> {
    return this.#append(() => this.#note(note, false));
  }

  #note(note: NoteInput, internal: boolean): { entry: Unsigned } {
    this.#requireSession('a note');
    if (typeof note !== 'object' || note === null) throw new TypeError('note must be an object');
    const round = aIndex(note.round, 'note.round');
    if (typeof note.event !== 'string' || !EVENT_PATTERN.test(note.event)) throw new TypeError(`note.event must match ${EVENT_PATTERN}`);
    if (note.event === CLOSE_EVENT && !internal) throw new RangeError(`note.event '${CLOSE_EVENT}' is reserved for close()`);
    const data = note.data ?? {};
    if (!isMap(data as Canonical)) throw new TypeError('note.data must be a plain object (a canonical map)');
    encodeCanonical(data); // throws a TypeError naming what cannot be encoded
    this.#lastRound = Math.max(this.#lastRound, round);
    return { entry: { ...this.#base('note'), round, event: note.event, data } };
  }

  /**
   * fsyncs everything appended so far (use with syncEvery 0 or N, e.g. at the end of each round).
   *
   * @example
   * await writer.flush();
   */
  flush(): Promise<void> {
    return this.#enqueue(async () => {
      await this.#fh.sync();
      this.#unsynced = 0;
    });
  }

  /**
   * Appends the 'close' note (unless the last entry already is one), fsyncs, and closes the file. A
   * transcript that does not end with a close note is reported as partial by verifyIntegrity.
   *
   * @example
   * await writer.close();
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    if (this.#session && !this.#lastWasClose && !this.#failed) await this.#append(() => this.#note({ round: this.#lastRound, event: CLOSE_EVENT }, true));
    this.#closed = true;
    try {
      await this.#queue.catch(() => undefined);
      if (!this.#failed) await this.#fh.sync();
    } finally {
      await this.#fh.close();
    }
  }

  #requireSession(what: string): Session {
    if (!this.#session) throw new AuditError(AuditErrorCodes.WRITER_STATE, `${what} cannot be recorded before the session entry`);
    return this.#session;
  }

  #base<K extends Entry['kind']>(kind: K) {
    const time = this.#clock();
    if (typeof time !== 'number' || !Number.isSafeInteger(time) || time < 0) throw new RangeError(`options.clock must return a non-negative integer, got ${time}`);
    return { v: TRANSCRIPT_VERSION, seq: this.#seq, prev: this.#prev, kind, recorder: this.recorder, time };
  }

  /** Builds the entry synchronously (advancing the chain), then queues its I/O. */
  #append(build: () => { entry: Unsigned; blob?: { digest: Uint8Array; bytes: Uint8Array } }): Promise<Appended> {
    try {
      if (this.#failed) throw new AuditError(AuditErrorCodes.WRITER_STATE, `the writer failed earlier and accepts nothing more: ${this.#failed.message}`);
      if (this.#closed) throw new AuditError(AuditErrorCodes.WRITER_STATE, 'the writer is closed');
      const { entry, blob } = build();
      const unsigned = encodeCanonical(entryToMap(entry as Entry, false));
      const rsig = this.#identity.sign(concat(ENTRY_LABEL, unsigned));
      const body = encodeCanonical(entryToMap({ ...entry, rsig } as Entry, true));
      if (body.length > MAX_RECORD_BYTES) throw new RangeError(`the entry is ${body.length} bytes, above the record limit ${MAX_RECORD_BYTES}`);
      const hash = sha256(body);
      const appended: Appended = { seq: this.#seq, offset: this.#offset, hash };
      this.#seq += 1;
      this.#prev = hash;
      this.#offset += 4 + body.length;
      this.#lastWasClose = entry.kind === 'note' && entry.event === CLOSE_EVENT;
      const record = concat(u32be(body.length), body);
      return this.#enqueue(async () => {
        if (blob) await this.#writeBlob(blob.digest, blob.bytes);
        await writeAll(this.#fh, record);
        if (this.#syncEvery > 0 && ++this.#unsynced >= this.#syncEvery) {
          await this.#fh.sync();
          this.#unsynced = 0;
        }
        return appended;
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  #enqueue<T>(io: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(async () => {
      if (this.#failed) throw this.#failed;
      try {
        return await io();
      } catch (e) {
        this.#failed = e instanceof AuditError ? e : new AuditError(AuditErrorCodes.IO, `transcript write failed: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
        throw this.#failed;
      }
    });
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #writeBlob(digest: Uint8Array, bytes: Uint8Array): Promise<void> {
    const blobs = join(this.dir, BLOB_DIR);
    const name = blobName(digest);
    const tmp = join(blobs, `.${name}.tmp-${process.pid}`);
    try {
      const h = await open(tmp, 'w', 0o600);
      try {
        await writeAll(h, bytes);
        await h.sync();
      } finally {
        await h.close();
      }
      await rename(tmp, join(blobs, name));
    } catch (e) {
      await unlink(tmp).catch(() => undefined);
      throw e;
    }
    await syncDir(blobs);
  }
}

async function writeAll(fh: FileHandle, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await fh.write(bytes, done, bytes.length - done);
    if (bytesWritten <= 0) throw new Error('write made no progress');
    done += bytesWritten;
  }
}
