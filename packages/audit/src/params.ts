/**
 * The session parameters recorded in entry 0: the SecAgg configuration exactly as `configToCanonical`
 * gives it (whose SHA-256 is the session digest), the DP mechanism and targets, and free extras.
 * @module
 */
import { decodeCanonical, encodeCanonical, type Canonical } from '@tessera/crypto';
import { PROTOCOL_VERSION, configToCanonical, createSession, type GraphSpec, type Session, type SessionConfig } from '@tessera/secagg';
import { isMap, type CanonicalMap } from './entry.js';
import { AuditError, AuditErrorCodes } from './errors.js';

/**
 * What a writer records as the session: the SecAgg configuration, and the privacy setting and any
 * extras as canonical maps (no floats: write reals as decimal strings, e.g. epsilon: "1.5").
 *
 * @example
 * const params: TranscriptParams = { session, privacy: { mechanism: 'ddgauss', localStddev: '40', delta: '1e-5', epsilonTarget: '8' }, extra: null };
 */
export interface TranscriptParams {
  readonly session: SessionConfig;
  readonly privacy?: CanonicalMap | null;
  readonly extra?: CanonicalMap | null;
}

/**
 * Parameters decoded from a session entry, with the SecAgg session they describe.
 *
 * @example
 * const { session, privacy, extra }: DecodedParams = decodeParams(entry.params);
 */
export interface DecodedParams {
  readonly session: Session;
  readonly privacy: CanonicalMap | null;
  readonly extra: CanonicalMap | null;
}

const CONFIG_KEYS = ['protocol', 'version', 'sessionId', 'serverKey', 'memberKeys', 'threshold', 'graph', 'bits', 'vectorLength'];
const PARAM_KEYS = [...CONFIG_KEYS, 'privacy', 'extra'];

function mapOrNull(v: unknown, name: string): CanonicalMap | null {
  if (v === undefined || v === null) return null;
  if (!isMap(v as Canonical)) throw new TypeError(`${name} must be a plain object (a canonical map) or null`);
  return v as CanonicalMap;
}

/**
 * The canonical bytes of the params map, and the session (validated by createSession) they describe.
 * Throws TypeError/RangeError naming a bad argument.
 *
 * @example
 * const { bytes, session } = encodeParams({ session: config, privacy: null });
 */
export function encodeParams(params: TranscriptParams): { bytes: Uint8Array; session: Session } {
  if (typeof params !== 'object' || params === null) throw new TypeError('params must be an object');
  const session = createSession(params.session);
  const map: CanonicalMap = {
    ...(configToCanonical(session) as CanonicalMap),
    privacy: mapOrNull(params.privacy, 'params.privacy'),
    extra: mapOrNull(params.extra, 'params.extra'),
  };
  return { bytes: encodeCanonical(map), session };
}

/**
 * Decodes a session entry's params: canonical CBOR, exactly the known keys, a configuration
 * createSession accepts. Throws AuditError(ERR_SESSION_ENTRY) naming what is wrong.
 *
 * @example
 * const { session, privacy } = decodeParams(entry.params);
 * equalBytes(session.digest, entry.digest);
 */
export function decodeParams(bytes: Uint8Array, where: { seq?: number; offset?: number } = {}): DecodedParams {
  const bad = (what: string, cause?: unknown): AuditError =>
    new AuditError(AuditErrorCodes.SESSION_ENTRY, `params ${what}`, cause === undefined ? where : { ...where, cause });
  let raw: Canonical;
  try {
    raw = decodeCanonical(bytes);
  } catch (e) {
    throw bad(`are not canonical CBOR (${(e as Error).message})`, e);
  }
  if (!isMap(raw)) throw bad('are not a map');
  for (const k of PARAM_KEYS) if (!(k in raw)) throw bad(`lack field '${k}'`);
  for (const k of Object.keys(raw)) if (!PARAM_KEYS.includes(k)) throw bad(`have unknown field '${k.slice(0, 40)}'`);
  if (raw.protocol !== 'tessera-secagg') throw bad(`field 'protocol' must be 'tessera-secagg'`);
  if (raw.version !== PROTOCOL_VERSION) throw bad(`field 'version' must be ${PROTOCOL_VERSION}`);
  const g = raw.graph;
  if (!isMap(g)) throw bad(`field 'graph' must be a map`);
  const gKeys = Object.keys(g).sort().join(',');
  let graph: GraphSpec;
  if (g.kind === 'complete' && gKeys === 'kind') graph = { kind: 'complete' };
  else if (g.kind === 'sparse' && gKeys === 'degree,kind' && typeof g.degree === 'number') graph = { kind: 'sparse', degree: g.degree };
  else throw bad(`field 'graph' must be {kind: 'complete'} or {kind: 'sparse', degree}`);
  if (!Array.isArray(raw.memberKeys)) throw bad(`field 'memberKeys' must be an array`);
  let session: Session;
  try {
    session = createSession({
      sessionId: raw.sessionId as Uint8Array, serverKey: raw.serverKey as Uint8Array, memberKeys: raw.memberKeys as Uint8Array[],
      threshold: raw.threshold as number, graph, bits: raw.bits as number, vectorLength: raw.vectorLength as number,
    });
  } catch (e) {
    throw bad(`do not hold a valid SecAgg configuration: ${(e as Error).message}`, e);
  }
  const privacy = raw.privacy, extra = raw.extra;
  if (privacy !== null && !isMap(privacy)) throw bad(`field 'privacy' must be a map or null`);
  if (extra !== null && !isMap(extra)) throw bad(`field 'extra' must be a map or null`);
  return { session, privacy: privacy as CanonicalMap | null, extra: extra as CanonicalMap | null };
}

/**
 * The roster key of party `index` (0 = coordinator), or undefined when there is no such party.
 *
 * @example
 * rosterKey(session, 0); // session.serverKey
 */
export function rosterKey(session: Session, index: number): Uint8Array | undefined {
  if (!Number.isSafeInteger(index) || index < 0 || index > session.n) return undefined;
  return index === 0 ? session.serverKey : session.memberKeys[index - 1];
}
