/**
 * Configuration files of the two programs: the coordinator's and a peer node's. Relative paths in
 * them resolve against the folder of the config file; every error names the field and the file.
 * Unknown fields are refused (a typo must not silently fall back to a default).
 * @module
 */
import { dirname, resolve } from 'node:path';
import type { Limits } from '@tessera/transport';
import { Fields, join, readJsonFile } from './json.js';

/** How long the coordinator waits for each stage before closing it (those who did not answer dropped out). */
export interface Deadlines {
  readonly advertiseMs: number;
  readonly shareMs: number;
  readonly maskedMs: number;
  readonly consistencyMs: number;
  readonly unmaskMs: number;
}

/** Defaults sized for sites on ordinary links and vectors up to a few million words. */
export const DEFAULT_DEADLINES: Deadlines = Object.freeze({ advertiseMs: 60_000, shareMs: 60_000, maskedMs: 120_000, consistencyMs: 30_000, unmaskMs: 60_000 });
/** Longest deadline or timeout accepted (one day). */
export const MAX_TIMEOUT_MS = 86_400_000;
export const DEFAULT_START_TIMEOUT_MS = 600_000;
export const DEFAULT_GATHER_MS = 10_000;
export const DEFAULT_MAX_STRIKES = 8;
export const DEFAULT_RECONNECT = Object.freeze({ initialMs: 1_000, maxMs: 30_000 });

export interface CoordinatorConfig {
  /** The config file itself (for messages). */
  readonly file: string;
  /** Absolute path of the roster. */
  readonly roster: string;
  /** Absolute path of the coordinator's identity file. */
  readonly identity: string;
  readonly listen: { readonly host: string; readonly port: number };
  /** PEM certificate chain and key (absolute paths); absent only when `insecure`. */
  readonly tls?: { readonly cert: string; readonly key: string };
  /** Plain ws:// without TLS: for tests on one machine only. */
  readonly insecure: boolean;
  /** Folder where round-<r>.json files are written. */
  readonly out: string;
  readonly deadlines: Deadlines;
  /** Fewest connected members to start a round; default: the threshold t. */
  readonly minQuorum?: number;
  /** How long to wait for minQuorum members before a round is skipped. */
  readonly startTimeoutMs: number;
  /** Once minQuorum members are connected, how much longer to wait for the rest before starting. */
  readonly gatherMs: number;
  /** Refused-but-harmless messages tolerated from one connection in one round before it is closed. */
  readonly maxStrikes: number;
  readonly limits: Partial<Limits>;
  /** Where to keep this party's transcript (docs/transcript.md); none without it. */
  readonly transcript?: TranscriptConfig;
}

export interface NodeConfig {
  readonly file: string;
  readonly roster: string;
  readonly identity: string;
  /** wss://host:port (or ws:// with `insecure`). */
  readonly coordinator: string;
  readonly insecure: boolean;
  /** Absolute path, or pattern with `{round}`, of the update files. */
  readonly input: string;
  readonly format?: 'json' | 'u32le';
  /** PEM file of the CA that signed the coordinator's certificate (default: the system's CAs). */
  readonly ca?: string;
  readonly reconnect: { readonly initialMs: number; readonly maxMs: number };
  readonly limits: Partial<Limits>;
  /** The site's privacy budget; required when the roster declares `session.privacy`. */
  readonly budget?: NodeBudgetConfig;
  /** Where to keep this party's transcript (docs/transcript.md); none without it. */
  readonly transcript?: TranscriptConfig;
}

/** The `budget` section of a node config. */
/** `transcript`: { dir, digestsOnly? } — the folder of this party's transcript of the session. */
export interface TranscriptConfig {
  readonly dir: string;
  /** Keep large envelopes (masked vectors) by digest only, for sites that cannot keep gigabytes. */
  readonly digestsOnly: boolean;
}

function transcriptSection(f: Fields, value: unknown, base: string): TranscriptConfig {
  const t = f.object(value, 'transcript', ['dir', 'digestsOnly']);
  let digestsOnly = false;
  if (f.has(t, 'digestsOnly')) {
    if (typeof t.digestsOnly !== 'boolean') f.fail('transcript.digestsOnly', 'must be true or false');
    digestsOnly = t.digestsOnly as boolean;
  }
  return { dir: resolve(base, f.string(t, 'dir', 'transcript')), digestsOnly };
}

export interface NodeBudgetConfig {
  /** Absolute path of the ledger file (created on the first spend). */
  readonly ledger: string;
  /** The dataset the updates come from (1–64 characters): its ε is capped. */
  readonly dataset: string;
  /** The cap: ε so far may not pass this. */
  readonly epsilonCap: number;
  /** δ of the cap; default (and must equal) the roster's `session.privacy.delta`. */
  readonly delta?: number;
}

const LIMIT_FIELDS = ['maxPayload', 'maxBufferedBytes', 'handshakeTimeoutMs', 'heartbeatMs'] as const;

function limits(f: Fields, o: Record<string, unknown>): Partial<Limits> {
  if (!f.has(o, 'limits')) return {};
  const l = f.object(o.limits, 'limits', LIMIT_FIELDS);
  const out: { -readonly [K in keyof Limits]?: number } = {};
  if (f.has(l, 'maxPayload')) out.maxPayload = f.int(l, 'maxPayload', 'limits', 1024, 2 ** 31);
  if (f.has(l, 'maxBufferedBytes')) out.maxBufferedBytes = f.int(l, 'maxBufferedBytes', 'limits', 1024, 2 ** 32);
  if (f.has(l, 'handshakeTimeoutMs')) out.handshakeTimeoutMs = f.int(l, 'handshakeTimeoutMs', 'limits', 100, MAX_TIMEOUT_MS);
  if (f.has(l, 'heartbeatMs')) out.heartbeatMs = f.int(l, 'heartbeatMs', 'limits', 0, MAX_TIMEOUT_MS);
  return out;
}

function insecureFlag(f: Fields, o: Record<string, unknown>): boolean {
  if (!f.has(o, 'insecure')) return false;
  if (typeof o.insecure !== 'boolean') f.fail('insecure', 'must be true or false');
  return o.insecure as boolean;
}

/**
 * Validates a parsed coordinator config; relative paths resolve against `dirname(file)`.
 *
 * @example
 * parseCoordinatorConfig({ roster: 'roster.json', identity: 'identity.json', listen: { host: '0.0.0.0', port: 8443 },
 *   tls: { cert: 'cert.pem', key: 'key.pem' }, out: 'results' }, '/etc/tessera/coordinator.json');
 */
export function parseCoordinatorConfig(value: unknown, file: string): CoordinatorConfig {
  const f = new Fields(file);
  const base = dirname(resolve(file));
  const o = f.object(value, '', ['roster', 'identity', 'listen', 'tls', 'insecure', 'out', 'deadlines', 'minQuorum', 'startTimeoutMs', 'gatherMs', 'maxStrikes', 'limits', 'transcript']);
  const path = (obj: Record<string, unknown>, key: string, field: string): string => resolve(base, f.string(obj, key, field));
  const l = f.object(o.listen, 'listen', ['host', 'port']);
  const listen = { host: f.string(l, 'host', 'listen', 255), port: f.int(l, 'port', 'listen', 0, 65535) };
  const insecure = insecureFlag(f, o);
  let tls: CoordinatorConfig['tls'];
  if (f.has(o, 'tls')) {
    const t = f.object(o.tls, 'tls', ['cert', 'key']);
    tls = { cert: path(t, 'cert', 'tls'), key: path(t, 'key', 'tls') };
    if (insecure) f.fail('insecure', 'cannot be true together with tls; remove one of them');
  } else if (!insecure) f.fail('tls', 'is missing: set tls {"cert", "key"} (PEM files), or "insecure": true for plain ws:// on a test machine');
  const deadlines: Record<string, number> = { ...DEFAULT_DEADLINES };
  if (f.has(o, 'deadlines')) {
    const d = f.object(o.deadlines, 'deadlines', Object.keys(DEFAULT_DEADLINES));
    for (const k of Object.keys(DEFAULT_DEADLINES)) if (f.has(d, k)) deadlines[k] = f.int(d, k, 'deadlines', 10, MAX_TIMEOUT_MS);
  }
  const optInt = (key: string, min: number, max: number, dflt: number): number => (f.has(o, key) ? f.int(o, key, '', min, max) : dflt);
  return {
    file,
    roster: path(o, 'roster', ''),
    identity: path(o, 'identity', ''),
    listen,
    ...(tls ? { tls } : {}),
    insecure,
    out: path(o, 'out', ''),
    deadlines: deadlines as unknown as Deadlines,
    ...(f.has(o, 'minQuorum') ? { minQuorum: f.int(o, 'minQuorum', '', 1, 1_000_000) } : {}),
    startTimeoutMs: optInt('startTimeoutMs', 10, MAX_TIMEOUT_MS, DEFAULT_START_TIMEOUT_MS),
    gatherMs: optInt('gatherMs', 0, MAX_TIMEOUT_MS, DEFAULT_GATHER_MS),
    maxStrikes: optInt('maxStrikes', 1, 1000, DEFAULT_MAX_STRIKES),
    limits: limits(f, o),
    ...(f.has(o, 'transcript') ? { transcript: transcriptSection(f, o.transcript, base) } : {}),
  };
}

/**
 * Validates a parsed node (peer) config; relative paths resolve against `dirname(file)`.
 *
 * @example
 * parseNodeConfig({ roster: 'roster.json', identity: 'identity.json', coordinator: 'wss://coord.example:8443',
 *   input: 'updates/in-{round}.json', budget: { ledger: 'budget.json', dataset: 'pneumonia', epsilonCap: 8 } }, '/etc/tessera/node.json');
 */
export function parseNodeConfig(value: unknown, file: string): NodeConfig {
  const f = new Fields(file);
  const base = dirname(resolve(file));
  const o = f.object(value, '', ['roster', 'identity', 'coordinator', 'insecure', 'input', 'format', 'ca', 'reconnect', 'limits', 'budget', 'transcript']);
  const path = (key: string): string => resolve(base, f.string(o, key, ''));
  const insecure = insecureFlag(f, o);
  const coordinator = f.string(o, 'coordinator', '', 2048);
  const url = URL.canParse(coordinator) ? new URL(coordinator) : f.fail('coordinator', `must be a URL such as wss://coordinator.example.org:8443, got '${coordinator.slice(0, 80)}'`);
  if (url.protocol === 'ws:') {
    if (!insecure) f.fail('coordinator', 'is a plain ws:// URL (no TLS); use wss://, or set "insecure": true for a test on one machine');
  } else if (url.protocol !== 'wss:') f.fail('coordinator', `must start with wss:// (or ws:// with "insecure": true), got '${url.protocol}//'`);
  let reconnect: { initialMs: number; maxMs: number } = { ...DEFAULT_RECONNECT };
  if (f.has(o, 'reconnect')) {
    const r = f.object(o.reconnect, 'reconnect', ['initialMs', 'maxMs']);
    const initialMs = f.has(r, 'initialMs') ? f.int(r, 'initialMs', 'reconnect', 10, MAX_TIMEOUT_MS) : DEFAULT_RECONNECT.initialMs;
    const maxMs = f.has(r, 'maxMs') ? f.int(r, 'maxMs', 'reconnect', 10, MAX_TIMEOUT_MS) : Math.max(initialMs, DEFAULT_RECONNECT.maxMs);
    if (maxMs < initialMs) f.fail(join('reconnect', 'maxMs'), `must be at least reconnect.initialMs (${initialMs})`);
    reconnect = { initialMs, maxMs };
  }
  return {
    file,
    roster: path('roster'),
    identity: path('identity'),
    coordinator,
    insecure,
    input: path('input'),
    ...(f.has(o, 'format') ? { format: f.oneOf(o, 'format', '', ['json', 'u32le'] as const) } : {}),
    ...(f.has(o, 'ca') ? { ca: path('ca') } : {}),
    reconnect,
    limits: limits(f, o),
    ...(f.has(o, 'budget') ? { budget: budgetSection(f, o.budget, base) } : {}),
    ...(f.has(o, 'transcript') ? { transcript: transcriptSection(f, o.transcript, base) } : {}),
  };
}

function budgetSection(f: Fields, value: unknown, base: string): NodeBudgetConfig {
  const b = f.object(value, 'budget', ['ledger', 'dataset', 'epsilonCap', 'delta']);
  return {
    ledger: resolve(base, f.string(b, 'ledger', 'budget')),
    dataset: f.name(b, 'dataset', 'budget'),
    epsilonCap: f.number(b, 'epsilonCap', 'budget', (x) => x > 0, '(0, ∞)'),
    ...(f.has(b, 'delta') ? { delta: f.number(b, 'delta', 'budget', (x) => x > 0 && x < 1, '(0, 1)') } : {}),
  };
}

/** Reads and validates a coordinator config file. */
export async function loadCoordinatorConfig(file: string): Promise<CoordinatorConfig> {
  return parseCoordinatorConfig(await readJsonFile(file), file);
}

/** Reads and validates a node config file. */
export async function loadNodeConfig(file: string): Promise<NodeConfig> {
  return parseNodeConfig(await readJsonFile(file), file);
}
