/**
 * The roster: the one file every party of a session loads. It names the session, pins the
 * coordinator's key and every member's key, and fixes the session parameters; its content decides the
 * SecAgg session digest, so parties holding different rosters never connect.
 *
 * ```json
 * { "version": 1, "kind": "tessera-roster", "name": "pneumonia-2026", "sessionId": "<32 hex>",
 *   "coordinator": { "name": "coordinator", "publicKey": "<64 hex>" },
 *   "members": [{ "name": "site-a", "publicKey": "<64 hex>" }, …],
 *   "session": { "bits": 32, "vectorLength": 1000, "rounds": 10, "graph": "auto", "dropoutRate": 0.1,
 *                "threat": "malicious", "threshold": 3,
 *                "privacy": { "mechanism": "ddgauss", "localStddev": 40, "l2Clip": 100, "delta": 1e-5, "unit": "site" } } }
 * ```
 * Member index = position in `members`, 1-based. `threshold` is optional: without it, k and t come
 * from deriveParameters. `privacy` is optional: with it, every peer clips and noises its update (see
 * privacy.ts) and the privacy settings enter the session digest.
 * @module
 */
import { open } from 'node:fs/promises';
import { KEY_BYTES, equalBytes, fromHex, systemRandom, toHex, type RandomSource } from '@tessera/crypto';
import { MAX_MEMBERS, MAX_VECTOR_LENGTH, createSession, deriveParameters, type Parameters, type Session, type ThreatModel } from '@tessera/secagg';
import { FileError, NodeError, NodeErrorCodes } from './errors.js';
import { writeFileDurable } from './files.js';
import { memberId } from './identity.js';
import { Fields, readJsonFile } from './json.js';
import { parsePrivacy, privacySessionId, type SessionPrivacy } from './privacy.js';

/** Largest number of rounds one session may run. */
export const MAX_ROUNDS = 1_000_000;

export interface RosterParty {
  readonly name: string;
  /** Ed25519 public key, 64 lower-case hex characters. */
  readonly publicKey: string;
}

export interface SessionSettings {
  /** Values live in Z_2^bits, 1..32. */
  readonly bits: number;
  readonly vectorLength: number;
  readonly rounds: number;
  readonly graph: 'auto' | 'complete';
  /** Expected fraction of members dropping out per round, [0, 1). */
  readonly dropoutRate: number;
  readonly threat: ThreatModel;
  /** Explicit Shamir threshold t; derived when absent. */
  readonly threshold?: number;
  /** Distributed DP: the noise every peer adds and what it costs (see privacy.ts); absent = no noise. */
  readonly privacy?: SessionPrivacy;
}

export interface Roster {
  readonly version: 1;
  readonly kind: 'tessera-roster';
  readonly name: string;
  /** 16 bytes, 32 lower-case hex characters. */
  readonly sessionId: string;
  readonly coordinator: RosterParty;
  readonly members: readonly RosterParty[];
  readonly session: SessionSettings;
}

const TOP = ['version', 'kind', 'name', 'sessionId', 'coordinator', 'members', 'session'] as const;
const PARTY = ['name', 'publicKey'] as const;
const SESSION = ['bits', 'vectorLength', 'rounds', 'graph', 'dropoutRate', 'threat', 'threshold', 'privacy'] as const;

/**
 * Validates a parsed roster, naming the field and `file` in every error. Rosters with fewer than
 * two members are valid files (they are being assembled); `sessionFromRoster` refuses them.
 *
 * @example
 * parseRoster(JSON.parse(text), 'roster.json');
 */
export function parseRoster(value: unknown, file: string): Roster {
  const f = new Fields(file);
  const o = f.object(value, '', TOP);
  f.literal(o, 'version', '', 1);
  f.literal(o, 'kind', '', 'tessera-roster');
  const name = f.name(o, 'name', '');
  const sessionId = f.hex(o, 'sessionId', '', 16);
  const party = (v: unknown, field: string): RosterParty => {
    const p = f.object(v, field, PARTY);
    return { name: f.name(p, 'name', field), publicKey: f.hex(p, 'publicKey', field, KEY_BYTES) };
  };
  const coordinator = party(o.coordinator, 'coordinator');
  const members = f.array(o, 'members', '', MAX_MEMBERS).map((m, i) => party(m, `members[${i}]`));
  const keys = new Map<string, string>([[coordinator.publicKey, 'coordinator.publicKey']]);
  const names = new Map<string, number>();
  members.forEach((m, i) => {
    const seen = keys.get(m.publicKey);
    if (seen) f.fail(`members[${i}].publicKey`, `repeats ${seen}`);
    keys.set(m.publicKey, `members[${i}].publicKey`);
    const other = names.get(m.name);
    if (other !== undefined) f.fail(`members[${i}].name`, `repeats members[${other}].name '${m.name}'`);
    names.set(m.name, i);
  });
  const s = f.object(o.session, 'session', SESSION);
  const session: SessionSettings = {
    bits: f.int(s, 'bits', 'session', 1, 32),
    vectorLength: f.int(s, 'vectorLength', 'session', 1, MAX_VECTOR_LENGTH),
    rounds: f.int(s, 'rounds', 'session', 1, MAX_ROUNDS),
    graph: f.oneOf(s, 'graph', 'session', ['auto', 'complete'] as const),
    dropoutRate: f.number(s, 'dropoutRate', 'session', (x) => x >= 0 && x < 1, '[0, 1)'),
    threat: f.oneOf(s, 'threat', 'session', ['malicious', 'semi-honest'] as const),
    ...(f.has(s, 'threshold') ? { threshold: f.int(s, 'threshold', 'session', 1, MAX_MEMBERS) } : {}),
    ...(f.has(s, 'privacy') ? { privacy: parsePrivacy(s.privacy, f, 'session.privacy') } : {}),
  };
  return { version: 1, kind: 'tessera-roster', name, sessionId, coordinator, members, session };
}

/** Reads and validates a roster file. */
export async function loadRoster(file: string): Promise<Roster> {
  return parseRoster(await readJsonFile(file), file);
}

/** What `createRoster` needs. */
export interface RosterSpec {
  readonly name: string;
  readonly coordinator: { readonly name: string; readonly publicKey: Uint8Array | string };
  readonly session: SessionSettings;
  /** Default: 16 fresh random bytes. */
  readonly sessionId?: Uint8Array;
  readonly rng?: RandomSource;
}

const keyHex = (key: Uint8Array | string, name: string): string => {
  if (typeof key === 'string') {
    if (!/^[0-9a-fA-F]{64}$/.test(key)) throw new RangeError(`${name} must be 64 hex characters`);
    return key.toLowerCase();
  }
  if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) throw new TypeError(`${name} must be a ${KEY_BYTES}-byte Uint8Array or 64 hex characters`);
  return toHex(key);
};

/**
 * A new roster with no members yet and a fresh random session id.
 *
 * @example
 * const roster = createRoster({ name: 'trial', coordinator: { name: 'coord', publicKey },
 *   session: { bits: 32, vectorLength: 1000, rounds: 5, graph: 'auto', dropoutRate: 0.1, threat: 'malicious' } });
 */
export function createRoster(spec: RosterSpec): Roster {
  const sessionId = spec.sessionId ?? (spec.rng ?? systemRandom)(16);
  if (!(sessionId instanceof Uint8Array) || sessionId.length !== 16) throw new RangeError('sessionId must be 16 bytes');
  const roster = {
    version: 1, kind: 'tessera-roster', name: spec.name, sessionId: toHex(sessionId),
    coordinator: { name: spec.coordinator.name, publicKey: keyHex(spec.coordinator.publicKey, 'coordinator.publicKey') },
    members: [], session: { ...spec.session },
  };
  return parseRoster(roster, 'roster');
}

/**
 * A copy of `roster` with one more member (its index is the new length). Refuses a name or key that
 * is already on the roster (the coordinator's included).
 *
 * @example
 * roster = addMember(roster, { name: 'site-a', publicKey: 'ab12…' });
 */
export function addMember(roster: Roster, member: { readonly name: string; readonly publicKey: Uint8Array | string }): Roster {
  const publicKey = keyHex(member.publicKey, 'publicKey');
  if (publicKey === roster.coordinator.publicKey) throw new NodeError(NodeErrorCodes.FILE_INVALID, `key ${memberId(fromHex(publicKey))} is the coordinator's key; a member needs a key of its own`);
  const byKey = roster.members.findIndex((m) => m.publicKey === publicKey);
  if (byKey >= 0) throw new NodeError(NodeErrorCodes.FILE_INVALID, `key ${memberId(fromHex(publicKey))} is already on the roster as member ${byKey + 1} '${roster.members[byKey]!.name}'`);
  const byName = roster.members.findIndex((m) => m.name === member.name);
  if (byName >= 0) throw new NodeError(NodeErrorCodes.FILE_INVALID, `name '${member.name}' is already on the roster as member ${byName + 1}`);
  return parseRoster({ ...roster, members: [...roster.members, { name: member.name, publicKey }] }, 'roster');
}

/**
 * Writes a roster as pretty JSON through a temporary file and a rename (a crash never leaves half a
 * roster). Refuses to replace an existing file unless `overwrite`.
 */
export async function writeRoster(file: string, roster: Roster, options: { overwrite?: boolean } = {}): Promise<void> {
  const text = JSON.stringify(roster, null, 2) + '\n';
  if (!options.overwrite) {
    try {
      const h = await open(file, 'wx', 0o644);
      await h.close();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new FileError(file, undefined, 'already exists; refusing to overwrite it', NodeErrorCodes.FILE_EXISTS);
      throw new FileError(file, undefined, `cannot be created: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, NodeErrorCodes.FILE_READ, { cause: e });
    }
  }
  await writeFileDurable(file, text, 0o644);
}

/** A session ready to run, with how its k and t were chosen. */
export interface RosterSession {
  readonly session: Session;
  /** What deriveParameters chose (its threshold is replaced by an explicit one when given). */
  readonly parameters: Parameters;
  /** True when the roster sets `session.threshold` itself. */
  readonly explicitThreshold: boolean;
  /** The threshold deriveParameters recommends (an explicit threshold below it weakens security). */
  readonly derivedThreshold: number;
  readonly rounds: number;
  /** The session's distributed-DP noise, when the roster declares it. */
  readonly privacy?: SessionPrivacy;
}

/**
 * The SecAgg session a roster describes: k and t from deriveParameters (or the roster's explicit
 * threshold), then createSession. Errors name the roster file and field.
 *
 * @example
 * const { session, rounds } = sessionFromRoster(roster, 'roster.json');
 */
export function sessionFromRoster(roster: Roster, file = 'roster'): RosterSession {
  const n = roster.members.length;
  if (n < 2) throw new FileError(file, 'members', `lists ${n} member${n === 1 ? '' : 's'}; a session needs at least 2`, NodeErrorCodes.ROSTER_UNUSABLE);
  const s = roster.session;
  const derived = deriveParameters({ members: n, dropoutRate: s.dropoutRate, threat: s.threat, graph: s.graph });
  const threshold = s.threshold ?? derived.threshold;
  if (threshold > derived.degree)
    throw new FileError(file, 'session.threshold', `is ${threshold} but each member has only k=${derived.degree} neighbours; it must be in [1, ${derived.degree}]`, NodeErrorCodes.ROSTER_UNUSABLE);
  const session = createSession({
    // Declared privacy settings enter the digest (rosters without them keep theirs).
    sessionId: s.privacy ? privacySessionId(fromHex(roster.sessionId), s.privacy) : fromHex(roster.sessionId),
    serverKey: fromHex(roster.coordinator.publicKey),
    memberKeys: roster.members.map((m) => fromHex(m.publicKey)),
    threshold,
    graph: derived.graph,
    bits: s.bits,
    vectorLength: s.vectorLength,
  });
  return {
    session, parameters: { ...derived, threshold }, explicitThreshold: s.threshold !== undefined, derivedThreshold: derived.threshold, rounds: s.rounds,
    ...(s.privacy ? { privacy: s.privacy } : {}),
  };
}

/** The 1-based member index of `publicKey`, or undefined. */
export function memberIndexOf(session: Session, publicKey: Uint8Array): number | undefined {
  const i = session.memberKeys.findIndex((k) => equalBytes(k, publicKey));
  return i < 0 ? undefined : i + 1;
}
