/**
 * Cross-checking transcripts (`tessera audit cross-check`): the coordinator's transcript against its
 * members' transcripts. Each transcript is first verified on its own (verifyIntegrity); then every
 * coordinator message a member recorded as received must be in the coordinator's transcript as sent to
 * that member with the same envelope bytes (compared by SHA-256), every member message should be in the
 * coordinator's transcript as received, and what the coordinator told different members in one round
 * where the protocol requires the same (U3, the dropped set, round-start participants, round-end
 * outcomes, publications) must agree. A disagreement between two envelopes that both carry the
 * coordinator's signature is **equivocation**, and the two envelopes are transferable evidence of it.
 * See docs/transcript.md, "Cross-checking transcripts".
 * @module
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeCanonical, encodeCanonical, equalBytes, sha256, toHex, type Canonical } from '@tessera/crypto';
import { isMap, type CanonicalMap, type MessageEntry } from './entry.js';
import { inspectEnvelope } from './envelope.js';
import { BLOB_DIR, MAX_ENVELOPE_BYTES, blobName } from './format.js';
import { readTranscript } from './reader.js';
import { verifyIntegrity, type Failure, type RosterPin } from './verify.js';

/**
 * How strict a cross-check is.
 *
 * @example
 * await crossCheck('runs/coord', ['runs/site-1', 'runs/site-2'], { roster: session });
 */
export interface CrossCheckOptions {
  /** The roster the auditor trusts (passed to verifyIntegrity for every transcript). */
  readonly roster?: RosterPin;
  /** Accept transcripts without a close note or with a torn tail (crashed or running recorders). Default false. */
  readonly allowPartial?: boolean;
}

/**
 * The kinds of finding. `integrity`, `session-mismatch`, `duplicate-recorder` and `equivocation` are
 * errors; the others are warnings (explainable by a disconnection or a stage that closed).
 *
 * @example
 * if (f.kind === 'equivocation') console.log(f.evidence);
 */
export type CrossCheckFindingKind =
  | 'integrity'
  | 'session-mismatch'
  | 'duplicate-recorder'
  | 'equivocation'
  | 'not-received'
  | 'not-delivered'
  | 'not-recorded-by-peer';

/**
 * One envelope cited as evidence: who recorded it where, its SHA-256, the coordinator's signature on
 * it, and the value of the field in question.
 *
 * @example
 * `${side.envelopeSha256} (recorded by ${side.recordedBy} at entry ${side.seq})`
 */
export interface EvidenceSide {
  /** The member the message was addressed to. */
  readonly peer: number;
  readonly type: string;
  readonly round: number;
  /** SHA-256 of the envelope bytes, lowercase hex. */
  readonly envelopeSha256: string;
  /** The coordinator's signature copied from the envelope (hex). */
  readonly signature: string;
  /** The party whose transcript holds this entry (0 coordinator, i member i), and the entry's seq. */
  readonly recordedBy: number;
  readonly seq: number;
  /** The field's value as text (`[1,2,4]`, `sha256:… (n bytes)`), or null when the envelope is not available (digest-only). */
  readonly value: string | null;
}

/**
 * Evidence of equivocation.
 * - `different-values`: two envelopes signed by the coordinator, to two members (or the same one),
 *   carry different values of a field the protocol requires to be the same for everyone in the round.
 * - `unrecorded`: a member received a coordinator-signed envelope that is nowhere in the coordinator's
 *   transcript (`a` is the member's, no `b`).
 * - `recorded-differently`: the coordinator's transcript holds another envelope of the same round and
 *   type for that member (`a` the member's, `b` the coordinator's; `fields` lists what differs).
 *
 * @example
 * if (e.reason === 'different-values') console.log(e.field, e.a.value, e.b?.value);
 */
export interface EquivocationEvidence {
  readonly reason: 'different-values' | 'unrecorded' | 'recorded-differently';
  readonly round: number;
  /** The field compared (`survivors`, `dropped`, `participants`, `round-end`, `data`…). */
  readonly field: string;
  readonly a: EvidenceSide;
  readonly b?: EvidenceSide;
  /** recorded-differently: the message fields whose values differ. */
  readonly fields?: readonly string[];
  /** different-values: every distinct value with the members it went to. */
  readonly values?: readonly { readonly value: string; readonly peers: readonly number[] }[];
}

/**
 * One finding.
 *
 * @example
 * for (const f of report.findings) console.log(`${f.severity}: ${f.message}`);
 */
export interface CrossCheckFinding {
  readonly kind: CrossCheckFindingKind;
  readonly severity: 'error' | 'warning';
  readonly round: number | null;
  readonly type: string | null;
  /** The members concerned. */
  readonly peers: readonly number[];
  /** One line, self-contained (it names the round, type, members and hashes). */
  readonly message: string;
  readonly evidence?: EquivocationEvidence;
  /** integrity: the transcript folder and its first failure. */
  readonly dir?: string;
  readonly failure?: Failure;
}

/**
 * One transcript's integrity verdict.
 *
 * @example
 * for (const t of report.transcripts) console.log(t.dir, t.recorder, t.ok);
 */
export interface TranscriptVerdict {
  readonly dir: string;
  /** The recorder (0 coordinator), or null when the session entry could not be read. */
  readonly recorder: number | null;
  readonly ok: boolean;
  readonly entries: number;
  readonly closed: boolean;
  /** Session digest (hex), when read. */
  readonly session: string | null;
  readonly first?: Failure;
  /** Messages compared (those of a transcript that passed integrity). */
  readonly messages: number;
}

/**
 * The verdict of a cross-check.
 *
 * @example
 * const r = await crossCheck(coord, peers);
 * process.exitCode = r.ok ? 0 : 1;
 */
export interface CrossCheckReport {
  /** No integrity failure, no session mismatch, no equivocation. Warnings do not count. */
  readonly ok: boolean;
  readonly coordinator: TranscriptVerdict;
  readonly peers: readonly TranscriptVerdict[];
  readonly findings: readonly CrossCheckFinding[];
  readonly counts: { readonly errors: number; readonly warnings: number; readonly equivocations: number; readonly integrity: number };
}

/** A message entry with its envelope hash and (when available) the decoded message map. */
interface Msg {
  readonly entry: MessageEntry;
  readonly recordedBy: number;
  readonly hash: string;
  readonly message: CanonicalMap | null;
}

const party = (i: number): string => (i === 0 ? 'the coordinator' : `member ${i}`);

async function loadMessages(dir: string, recorder: number): Promise<Msg[]> {
  const { entries } = await readTranscript(dir);
  const out: Msg[] = [];
  for (const e of entries) {
    if (e.kind !== 'message') continue;
    let env: Uint8Array | undefined = e.env;
    if (!env && e.blob && !e.digestOnly) {
      try {
        const b = await readFile(join(dir, BLOB_DIR, blobName(e.blob)));
        env = b.length <= MAX_ENVELOPE_BYTES ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : undefined;
      } catch {
        env = undefined; // verified before: only digest-only entries lack their blob
      }
    }
    const hash = toHex(env ? sha256(env) : e.blob!);
    let message: CanonicalMap | null = null;
    if (env) {
      try {
        const m = decodeCanonical(inspectEnvelope(e.tag as 1 | 2, env).m, MAX_ENVELOPE_BYTES);
        message = isMap(m) ? m : null;
      } catch {
        message = null;
      }
    }
    out.push({ entry: e, recordedBy: recorder, hash, message });
  }
  return out;
}

/** A canonical value as short text: integers and integer lists as is, bytes by length and SHA-256. */
function displayValue(v: Canonical | undefined): string {
  if (v === undefined) return '(absent)';
  if (v === null) return 'null';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof Uint8Array) return `sha256:${toHex(sha256(v))} (${v.length} bytes)`;
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'number')) return `[${v.join(',')}]`;
    return `[${v.length} items, sha256:${toHex(sha256(encodeCanonical(v)))}]`;
  }
  return `{map sha256:${toHex(sha256(encodeCanonical(v)))}}`;
}

/** The fields the protocol requires to be the same for every member in a round, by message type. */
const SAME_FOR_ALL: Readonly<Record<string, readonly { readonly group: string; readonly field: string; readonly value: (m: CanonicalMap) => string }[]>> = {
  'consistency-request': [{ group: 'U3', field: 'survivors', value: (m) => displayValue(m.survivors) }],
  'unmask-request': [
    { group: 'U3', field: 'survivors', value: (m) => displayValue(m.survivors) },
    { group: 'dropped', field: 'dropped', value: (m) => displayValue(m.dropped) },
  ],
  'round-start': [{ group: 'participants', field: 'participants', value: (m) => displayValue(m.participants) }],
  'round-end': [{ group: 'round-end', field: 'round-end', value: (m) => `ok=${displayValue(m.ok)} survivors=${displayValue(m.survivors)}${'code' in m ? ` code=${displayValue(m.code)}` : ''}` }],
  publish: [{ group: 'publication', field: 'data', value: (m) => displayValue(m.data) }],
  'session-end': [{ group: 'session-end', field: 'round', value: (m) => displayValue(m.round) }],
};

function side(m: Msg, value: string | null): EvidenceSide {
  const e = m.entry;
  return { peer: e.to, type: e.type, round: e.round, envelopeSha256: m.hash, signature: toHex(e.sig), recordedBy: m.recordedBy, seq: e.seq, value };
}

/** Top-level message fields whose values differ between two decoded messages. */
function differingFields(a: CanonicalMap, b: CanonicalMap): string[] {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.filter((k) => !(k in a) || !(k in b) || !equalBytes(encodeCanonical(a[k]!), encodeCanonical(b[k]!)));
}

/**
 * Cross-checks the coordinator's transcript in `coordinatorDir` against members' transcripts in
 * `peerDirs` (any subset of the members). Never throws for bad transcripts: every problem is a finding.
 * Throws TypeError for bad arguments.
 *
 * @example
 * const report = await crossCheck('runs/s1/coordinator', ['runs/s1/site-1', 'runs/s1/site-2'], { roster: session });
 * for (const f of report.findings.filter((f) => f.kind === 'equivocation')) console.log(f.message);
 */
export async function crossCheck(coordinatorDir: string, peerDirs: readonly string[], options: CrossCheckOptions = {}): Promise<CrossCheckReport> {
  if (typeof coordinatorDir !== 'string' || coordinatorDir.length === 0) throw new TypeError('coordinatorDir must be a non-empty path string');
  if (!Array.isArray(peerDirs) || !peerDirs.every((d) => typeof d === 'string' && d.length > 0)) throw new TypeError('peerDirs must be an array of non-empty path strings');
  if (typeof options !== 'object' || options === null) throw new TypeError('options must be an object');
  const verifyOptions = { ...(options.roster ? { roster: options.roster } : {}), ...(options.allowPartial ? { allowPartial: true } : {}) };
  const findings: CrossCheckFinding[] = [];

  const check = async (dir: string, expectCoordinator: boolean): Promise<{ verdict: TranscriptVerdict; messages: Msg[] | null; digest: Uint8Array | null }> => {
    const r = await verifyIntegrity(dir, verifyOptions);
    const recorder = r.session ? r.session.recorder : null;
    const digest = r.session ? r.session.session.digest : null;
    let ok = r.ok;
    let first = r.first;
    if (ok && recorder !== null && expectCoordinator !== (recorder === 0)) {
      ok = false;
      first = { seq: 0, offset: null, code: 'ERR_UNKNOWN_SIGNER', message: expectCoordinator ? `recorder is member ${recorder}, not the coordinator` : 'recorder is the coordinator, not a member' };
    }
    if (!ok && first) {
      findings.push({
        kind: 'integrity', severity: 'error', round: null, type: null, peers: recorder ? [recorder] : [], dir, failure: first,
        message: `INTEGRITY ${dir}${recorder === null ? '' : ` (${party(recorder)})`}: ${first.code} ${first.message}`,
      });
    }
    const messages = ok ? await loadMessages(dir, recorder!) : null;
    const verdict: TranscriptVerdict = {
      dir, recorder, ok, entries: r.entries, closed: r.closed, session: digest ? toHex(digest) : null, messages: messages?.length ?? 0, ...(first ? { first } : {}),
    };
    return { verdict, messages, digest };
  };

  const coord = await check(coordinatorDir, true);
  const peers = await Promise.all(peerDirs.map((d) => check(d, false)));

  // Only transcripts of the coordinator's session, one per member, are compared.
  const compared = new Map<number, Msg[]>();
  for (const p of peers) {
    if (!p.messages) continue;
    const rec = p.verdict.recorder!;
    if (coord.digest && p.digest && !equalBytes(coord.digest, p.digest)) {
      findings.push({
        kind: 'session-mismatch', severity: 'error', round: null, type: null, peers: [rec], dir: p.verdict.dir,
        message: `SESSION ${p.verdict.dir} (member ${rec}) records session ${toHex(p.digest)}, the coordinator's transcript ${toHex(coord.digest)}`,
      });
      continue;
    }
    if (compared.has(rec)) {
      findings.push({
        kind: 'duplicate-recorder', severity: 'error', round: null, type: null, peers: [rec], dir: p.verdict.dir,
        message: `DUPLICATE ${p.verdict.dir}: a second transcript of member ${rec}; only the first is compared`,
      });
      continue;
    }
    compared.set(rec, p.messages);
  }

  const coordMsgs = coord.messages ?? [];
  // The coordinator's records, by envelope hash per member and by (round, type) per member.
  const sentTo = new Map<number, Map<string, Msg>>();
  const receivedFrom = new Map<number, Map<string, Msg>>();
  const sentByKey = new Map<string, Msg[]>();
  const key = (peer: number, round: number, type: string): string => `${peer}/${round}/${type}`;
  for (const m of coordMsgs) {
    const e = m.entry;
    if (e.dir === 'sent') {
      let s = sentTo.get(e.to);
      if (!s) sentTo.set(e.to, (s = new Map()));
      s.set(m.hash, m);
      const k = key(e.to, e.round, e.type);
      const list = sentByKey.get(k);
      if (list) list.push(m);
      else sentByKey.set(k, [m]);
    } else {
      let s = receivedFrom.get(e.from);
      if (!s) receivedFrom.set(e.from, (s = new Map()));
      s.set(m.hash, m);
    }
  }

  if (coord.messages) {
    for (const [peer, msgs] of [...compared].sort((a, b) => a[0] - b[0])) {
      const peerSent = new Set<string>();
      const peerReceived = new Set<string>();
      for (const m of msgs) {
        const e = m.entry;
        if (e.dir === 'received') {
          peerReceived.add(m.hash);
          if (sentTo.get(peer)?.has(m.hash)) continue;
          // A coordinator-signed envelope the coordinator's own transcript does not hold (for this member).
          const theirs = (sentByKey.get(key(peer, e.round, e.type)) ?? []).find((c) => !msgs.some((x) => x.hash === c.hash));
          if (theirs) {
            const fields = m.message && theirs.message ? differingFields(m.message, theirs.message) : [];
            const shown = fields.filter((f) => f !== 'v');
            const values = (x: Msg): string | null => (x.message ? shown.map((f) => `${f}=${displayValue(x.message![f])}`).join(' ') : null);
            findings.push({
              kind: 'equivocation', severity: 'error', round: e.round, type: e.type, peers: [peer],
              evidence: { reason: 'recorded-differently', round: e.round, field: shown.join(',') || 'envelope', a: side(m, values(m)), b: side(theirs, values(theirs)), fields: shown },
              message:
                `EQUIVOCATION round ${e.round} ${e.type} to member ${peer}: member ${peer} received envelope sha256 ${m.hash}` +
                `${values(m) ? ` (${values(m)})` : ''}, the coordinator's transcript records sending sha256 ${theirs.hash}` +
                `${values(theirs) ? ` (${values(theirs)})` : ''}; both are signed by the coordinator`,
            });
          } else {
            findings.push({
              kind: 'equivocation', severity: 'error', round: e.round, type: e.type, peers: [peer],
              evidence: { reason: 'unrecorded', round: e.round, field: 'envelope', a: side(m, null) },
              message:
                `EQUIVOCATION round ${e.round} ${e.type} to member ${peer}: member ${peer} received envelope sha256 ${m.hash}, signed by the coordinator, ` +
                `that the coordinator's transcript does not contain`,
            });
          }
        } else {
          peerSent.add(m.hash);
          if (receivedFrom.get(peer)?.has(m.hash)) continue;
          findings.push({
            kind: 'not-received', severity: 'warning', round: e.round, type: e.type, peers: [peer],
            message: `not received: member ${peer}'s round ${e.round} ${e.type} (sha256 ${m.hash}, its entry ${e.seq}) is not in the coordinator's transcript (the member disconnected, or the stage closed before it arrived)`,
          });
        }
      }
      for (const m of sentTo.get(peer)?.values() ?? []) {
        if (peerReceived.has(m.hash)) continue;
        findings.push({
          kind: 'not-delivered', severity: 'warning', round: m.entry.round, type: m.entry.type, peers: [peer],
          message: `not delivered: the coordinator's round ${m.entry.round} ${m.entry.type} to member ${peer} (sha256 ${m.hash}, its entry ${m.entry.seq}) is not in member ${peer}'s transcript (the member disconnected or stopped recording)`,
        });
      }
      for (const m of receivedFrom.get(peer)?.values() ?? []) {
        if (peerSent.has(m.hash)) continue;
        findings.push({
          kind: 'not-recorded-by-peer', severity: 'warning', round: m.entry.round, type: m.entry.type, peers: [peer],
          message: `not recorded: member ${peer}'s round ${m.entry.round} ${m.entry.type} that the coordinator received (sha256 ${m.hash}) is not in member ${peer}'s own transcript`,
        });
      }
    }
  }

  // What the coordinator told each member where everyone must be told the same: its own records of
  // what it sent, and what each member received (both signed by the coordinator).
  interface Observation { readonly msg: Msg; readonly value: string; readonly peer: number }
  const groups = new Map<string, { round: number; group: string; field: string; byValue: Map<string, Observation[]> }>();
  const observe = (m: Msg): void => {
    const e = m.entry;
    if (e.from !== 0 || !m.message) return;
    for (const spec of SAME_FOR_ALL[e.type] ?? []) {
      const k = `${e.round}/${spec.group}`;
      let g = groups.get(k);
      if (!g) groups.set(k, (g = { round: e.round, group: spec.group, field: spec.field, byValue: new Map() }));
      const value = spec.value(m.message);
      const list = g.byValue.get(value);
      const o = { msg: m, value, peer: e.to };
      if (list) list.push(o);
      else g.byValue.set(value, [o]);
    }
  };
  for (const m of coordMsgs) if (m.entry.dir === 'sent') observe(m);
  for (const msgs of compared.values()) for (const m of msgs) if (m.entry.dir === 'received') observe(m);
  for (const g of [...groups.values()].sort((a, b) => a.round - b.round || a.group.localeCompare(b.group))) {
    if (g.byValue.size < 2) continue;
    const values = [...g.byValue].map(([value, obs]) => ({ value, obs, peers: [...new Set(obs.map((o) => o.peer))].sort((a, b) => a - b) }));
    // The evidence pair: two different values, preferably to two different members, preferably as the members recorded them.
    const prefer = (obs: Observation[], not?: number): Observation =>
      obs.find((o) => o.peer !== not && o.msg.recordedBy !== 0) ?? obs.find((o) => o.peer !== not) ?? obs.find((o) => o.msg.recordedBy !== 0) ?? obs[0]!;
    const a = prefer(values[0]!.obs);
    const b = prefer(values[1]!.obs, a.peer);
    const where = (o: Observation): string => (o.msg.recordedBy === 0 ? "in the coordinator's transcript" : `in member ${o.msg.recordedBy}'s transcript`);
    findings.push({
      kind: 'equivocation', severity: 'error', round: g.round, type: a.msg.entry.type, peers: [...new Set(values.flatMap((v) => v.peers))].sort((x, y) => x - y),
      evidence: {
        reason: 'different-values', round: g.round, field: g.field, a: side(a.msg, a.value), b: side(b.msg, b.value),
        values: values.map((v) => ({ value: v.value, peers: v.peers })),
      },
      message:
        `EQUIVOCATION round ${g.round} ${g.field === g.group ? g.field : `${g.group} (${g.field})`}: member ${a.peer} was sent ${a.msg.entry.type} ${g.field}=${a.value} ` +
        `(envelope sha256 ${a.msg.hash}, ${where(a)}), member ${b.peer} was sent ${b.msg.entry.type} ${g.field}=${b.value} (envelope sha256 ${b.msg.hash}, ${where(b)}); both are signed by the coordinator`,
    });
  }

  const errors = findings.filter((f) => f.severity === 'error').length;
  return {
    ok: errors === 0,
    coordinator: coord.verdict,
    peers: peers.map((p) => p.verdict),
    findings,
    counts: {
      errors, warnings: findings.length - errors,
      equivocations: findings.filter((f) => f.kind === 'equivocation').length,
      integrity: findings.filter((f) => f.kind === 'integrity').length,
    },
  };
}
