/**
 * The verified entries as the protocol checks see them: every message with its decoded SecAgg message
 * (parseMessage of @tessera/secagg) or control message, the notes, grouped by round. Built only from a
 * transcript whose integrity passed, so envelopes are authentic; what the checks examine is whether
 * the authentic messages obey the protocol.
 * @module
 */
import { decodeCanonical, type Canonical } from '@tessera/crypto';
import { parseMessage, type Message, type Session } from '@tessera/secagg';
import { isMap, type CanonicalMap, type MessageEntry, type NoteEntry } from '../entry.js';
import { inspectEnvelope } from '../envelope.js';
import { blobName, MAX_ENVELOPE_BYTES, Tag } from '../format.js';
import type { TranscriptRecord } from '../reader.js';
import type { BlobLoader } from '../verify.js';

/**
 * A recorded message, decoded.
 *
 * @example
 * if (m.secagg?.type === 'unmask') console.log(m.secagg.selfMaskShares.length);
 */
export interface RecordedMessage {
  readonly kind: 'message';
  readonly seq: number;
  readonly offset: number;
  readonly entry: MessageEntry;
  /** The envelope, unless the entry is digest-only. */
  readonly envelope?: Uint8Array;
  /** The SecAgg message (tag 1), when the envelope is present and parses. */
  readonly secagg?: Message;
  /** The control message map (tag 2), when the envelope is present and decodes. */
  readonly control?: CanonicalMap;
  /** Why the envelope could not be decoded (digest-only, or a message parseMessage refuses). */
  readonly undecoded?: string;
}

/**
 * A recorded note.
 *
 * @example
 * if (n.entry.event === 'round-result') console.log(n.entry.data.survivors);
 */
export interface RecordedNote {
  readonly kind: 'note';
  readonly seq: number;
  readonly offset: number;
  readonly entry: NoteEntry;
}

/**
 * One round's entries, in file order.
 *
 * @example
 * const requests = round.messages.filter((m) => m.entry.type === 'unmask-request');
 */
export interface RoundView {
  readonly round: number;
  readonly messages: readonly RecordedMessage[];
  readonly notes: readonly RecordedNote[];
}

/**
 * What the checks read.
 *
 * @example
 * const model = await buildModel(records, loadBlob);
 */
export interface AuditModel {
  readonly session: Session;
  readonly privacy: CanonicalMap | null;
  readonly extra: CanonicalMap | null;
  readonly recorder: number;
  /** Entries after the session entry, in file order. */
  readonly items: readonly (RecordedMessage | RecordedNote)[];
  readonly rounds: ReadonlyMap<number, RoundView>;
  /** Sums recomputed by the 'sum' check, by round (read by the 'update' check). */
  readonly sums: Map<number, Uint32Array>;
}

/**
 * Decodes the records of a verified transcript (the session entry's parameters are given already
 * decoded, as verifyIntegrity reports them).
 *
 * @example
 * const model = await buildModel(scan.records, loadBlob, { ...report.session! });
 */
export async function buildModel(
  records: readonly TranscriptRecord[], loadBlob: BlobLoader,
  params: { readonly session: Session; readonly privacy: CanonicalMap | null; readonly extra: CanonicalMap | null; readonly recorder: number },
): Promise<AuditModel> {
  const items: (RecordedMessage | RecordedNote)[] = [];
  const rounds = new Map<number, { round: number; messages: RecordedMessage[]; notes: RecordedNote[] }>();
  const view = (r: number) => {
    let v = rounds.get(r);
    if (!v) rounds.set(r, (v = { round: r, messages: [], notes: [] }));
    return v;
  };
  for (const rec of records) {
    const e = rec.entry;
    if (e.kind === 'session') continue;
    if (e.kind === 'note') {
      const n: RecordedNote = { kind: 'note', seq: rec.index, offset: rec.offset, entry: e };
      items.push(n);
      if (e.event !== 'close') view(e.round).notes.push(n);
      continue;
    }
    const m = await decodeMessage(rec, e, loadBlob, params.session);
    items.push(m);
    view(e.round).messages.push(m);
  }
  return { ...params, items, rounds, sums: new Map() };
}

async function decodeMessage(rec: TranscriptRecord, e: MessageEntry, loadBlob: BlobLoader, session: Session): Promise<RecordedMessage> {
  const base = { kind: 'message' as const, seq: rec.index, offset: rec.offset, entry: e };
  let envelope = e.env;
  if (!envelope) {
    if (e.digestOnly || !e.blob) return { ...base, undecoded: 'the entry is digest-only' };
    envelope = await loadBlob(blobName(e.blob));
    if (!envelope) return { ...base, undecoded: `blob ${blobName(e.blob)} is missing` };
  }
  try {
    const inspected = inspectEnvelope(e.tag === Tag.CONTROL ? Tag.CONTROL : Tag.SECAGG, envelope);
    if (e.tag === Tag.CONTROL) {
      const control = decodeCanonical(inspected.m, MAX_ENVELOPE_BYTES);
      if (!isMap(control)) return { ...base, envelope, undecoded: 'the control message is not a map' };
      return { ...base, envelope, control };
    }
    return { ...base, envelope, secagg: parseMessage(inspected.m, session, MAX_ENVELOPE_BYTES) };
  } catch (err) {
    return { ...base, envelope, undecoded: (err as Error).message };
  }
}

/** `a` and `b` hold the same numbers in the same order. */
export function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** A list of member indices from a note or control message, or undefined when it is not one. */
export function memberList(v: Canonical | undefined): number[] | undefined {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isSafeInteger(x) && x >= 1)) return undefined;
  return v as number[];
}

/** "member 3" / "the coordinator". */
export const party = (i: number): string => (i === 0 ? 'the coordinator' : `member ${i}`);

/** The first note of `event` in a round. */
export function firstNote(view: RoundView | undefined, event: string): RecordedNote | undefined {
  return view?.notes.find((n) => n.entry.event === event);
}

/** Rounds in ascending order. */
export function sortedRounds(model: AuditModel): RoundView[] {
  return [...model.rounds.values()].sort((a, b) => a.round - b.round);
}
