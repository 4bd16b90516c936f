/**
 * The consistency rules between a message entry, its envelope's header, the roster and the recorder:
 * shared by the writer (which refuses to write a message that breaks them) and the verifier (which
 * reports one that does), so that the two can never disagree.
 * @module
 */
import { equalBytes } from '@tessera/crypto';
import { CLIENT_TYPES, PROTOCOL_VERSION, SERVER_TYPES, type MessageType, type Session } from '@tessera/secagg';
import type { EntryStage } from './entry.js';
import { CONTROL_TYPES, STAGE_OF_TYPE, type MessageHeader } from './envelope.js';
import { AuditErrorCodes, type AuditErrorCode } from './errors.js';
import { Tag } from './format.js';
import { rosterKey } from './params.js';

/**
 * The routing fields of a message entry.
 *
 * @example
 * const r: Routing = { dir: 'received', from: 3, to: 0, tag: 1, type: 'masked', stage: 'masked' };
 */
export interface Routing {
  readonly dir: 'sent' | 'received';
  readonly from: number;
  readonly to: number;
  readonly tag: number;
  readonly type: string;
  readonly stage: string;
}

/**
 * A broken rule: the failure code and what is wrong.
 *
 * @example
 * const p = checkRouting(session, 0, routing); if (p) console.log(p.code, p.message);
 */
export interface Problem {
  readonly code: AuditErrorCode;
  readonly message: string;
}

const party = (i: number): string => (i === 0 ? 'the coordinator' : `member ${i}`);

/**
 * Checks a message entry's own fields against the roster and the recorder, without its envelope (so
 * digest-only entries are checked as far as possible): the type belongs to the tag and to the sender's
 * side (members send client types, the coordinator server types and control messages), the stage is the
 * type's, sender and receiver are parties of the session, members send SecAgg messages to the
 * coordinator only, the coordinator sends to members, and the recorder is the sender (dir 'sent') or
 * the receiver (dir 'received'). Returns the first problem, or undefined.
 *
 * @example
 * checkRouting(session, 0, { dir: 'received', from: 2, to: 0, tag: 1, type: 'masked', stage: 'masked' }); // undefined
 */
export function checkRouting(session: Session, recorder: number, r: Routing): Problem | undefined {
  const { dir, from, to, tag, type } = r;
  if (rosterKey(session, from) === undefined) return { code: AuditErrorCodes.UNKNOWN_SIGNER, message: `sender ${from} is not a party of the session (n = ${session.n})` };
  if (rosterKey(session, to) === undefined) return { code: AuditErrorCodes.FIELD_MISMATCH, message: `receiver ${to} is not a party of the session (n = ${session.n})` };
  const types: readonly string[] = tag === Tag.CONTROL ? CONTROL_TYPES : from === 0 ? SERVER_TYPES : CLIENT_TYPES;
  if (tag === Tag.CONTROL && from !== 0) return { code: AuditErrorCodes.FIELD_MISMATCH, message: `control messages come from the coordinator only, not from ${party(from)}` };
  if (!types.includes(type as MessageType)) return { code: AuditErrorCodes.FIELD_MISMATCH, message: `'${type.slice(0, 40)}' is not a tag ${tag} message ${party(from)} sends` };
  if (STAGE_OF_TYPE[type] !== r.stage) return { code: AuditErrorCodes.FIELD_MISMATCH, message: `a '${type}' belongs to stage '${STAGE_OF_TYPE[type]}', not '${r.stage.slice(0, 40)}'` };
  if (from === 0 ? to === 0 : to !== 0) return { code: AuditErrorCodes.FIELD_MISMATCH, message: `${party(from)} cannot send to ${party(to)}: every message goes between the coordinator and a member` };
  if (dir === 'sent' && from !== recorder) return { code: AuditErrorCodes.FIELD_MISMATCH, message: `recorder ${recorder} cannot have sent a message from ${party(from)}` };
  if (dir === 'received' && to !== recorder) return { code: AuditErrorCodes.FIELD_MISMATCH, message: `recorder ${recorder} cannot have received a message sent to ${party(to)}` };
  return undefined;
}

/**
 * Checks that an envelope's header agrees with the entry that records it: protocol version, the
 * session digest, and the copied from, round and type; a coordinator's SecAgg message must be addressed
 * (its `to` field) to the entry's receiver. Returns the first problem, or undefined.
 *
 * @example
 * checkHeader(session, { from: 0, to: 2, round: 0, type: 'share-relay', tag: 1 }, inspected.header);
 */
export function checkHeader(
  session: Session,
  e: { readonly from: number; readonly to: number; readonly round: number; readonly type: string; readonly tag: number },
  h: MessageHeader,
): Problem | undefined {
  if (h.v !== PROTOCOL_VERSION) return { code: AuditErrorCodes.ENVELOPE, message: `message is protocol version ${h.v}, not ${PROTOCOL_VERSION}` };
  if (!equalBytes(h.session, session.digest)) return { code: AuditErrorCodes.WRONG_SESSION, message: `message belongs to another session` };
  if (h.from !== e.from) return { code: AuditErrorCodes.FIELD_MISMATCH, message: `entry says from ${e.from}, the envelope ${h.from}` };
  if (h.round !== e.round) return { code: AuditErrorCodes.FIELD_MISMATCH, message: `entry says round ${e.round}, the envelope ${h.round}` };
  if (h.type !== e.type) return { code: AuditErrorCodes.FIELD_MISMATCH, message: `entry says type '${e.type.slice(0, 40)}', the envelope '${h.type}'` };
  if (e.tag === Tag.SECAGG && e.from === 0 && h.to !== e.to)
    return { code: AuditErrorCodes.FIELD_MISMATCH, message: `entry says to ${e.to}, the coordinator's message is addressed to ${h.to === undefined ? 'nobody' : party(h.to)}` };
  return undefined;
}

/**
 * The stage a message type is recorded under (see STAGE_OF_TYPE).
 *
 * @example
 * stageOf('unmask-request'); // 'consistency'
 */
export function stageOf(type: string): EntryStage | undefined {
  return Object.hasOwn(STAGE_OF_TYPE, type) ? STAGE_OF_TYPE[type] : undefined;
}
