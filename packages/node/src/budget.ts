/**
 * The privacy budget a site keeps for each of its datasets: a durable ledger of every round its data
 * took part in under differential privacy, the ε those rounds spent so far, and the refusal to take
 * part in a round that would pass the site's cap.
 *
 * The ledger file (`budget.json`, mode 0600):
 * ```json
 * { "version": 1, "kind": "tessera-budget",
 *   "datasets": { "pneumonia": { "unit": "site",
 *     "spends": [ { "session": "<64 hex: session digest>", "round": 0, "at": "2026-11-26T07:00:00.000Z",
 *                   "cost": { "mechanism": "ddgauss", "granularity": 1, "localStddev": 40, "clients": 3,
 *                             "l2Clip": 100, "beta": 0, "dim": 1000, "rounding": false } } ] } } }
 * ```
 * `cost` is a round of the accountant (`Round` of @tessera/dp); ε so far is the RDP composition of
 * every spend of the dataset, converted to (ε, δ) by the improved rule (Canonne–Kamath–Steinke).
 *
 * Durability: every change is written to a temporary file beside the ledger, fsync-ed, renamed over
 * the ledger, and the folder fsync-ed; a crash leaves the old ledger or the new one, never half of
 * one. Spends are write-ahead: a peer records a round BEFORE it sends anything computed from its data,
 * so a crash can over-count a round but never under-count one. A ledger that cannot be read or
 * validated is an error naming the file and the field; it is never reset silently.
 * @module
 */
import { resolve } from 'node:path';
import { PrivacyLedger, checkRound, roundRdp, type PrivacyUnit, type Round } from '@tessera/dp';
import type { NodeConfig } from './config.js';
import { FileError, NodeError, NodeErrorCodes } from './errors.js';
import { writeFileDurable } from './files.js';
import { Fields, readJsonFile } from './json.js';
import type { SessionPrivacy } from './privacy.js';

/** Largest ledger file read (about 200,000 spends). */
export const MAX_BUDGET_BYTES = 64 << 20;

/** One round a dataset took part in. */
export interface BudgetSpend {
  /** The session digest (64 lower-case hex characters). */
  readonly session: string;
  readonly round: number;
  /** When the spend was recorded (ISO 8601). */
  readonly at: string;
  /** What the round cost, as an accountant round. */
  readonly cost: Round;
}

/** The spends of one dataset. */
export interface BudgetDataset {
  readonly unit: PrivacyUnit;
  readonly spends: readonly BudgetSpend[];
}

/** The JSON form of the ledger file. */
export interface BudgetFile {
  readonly version: 1;
  readonly kind: 'tessera-budget';
  readonly datasets: Readonly<Record<string, BudgetDataset>>;
}

/** A site's cap: at most `epsilon` at `delta` on a dataset. */
export interface BudgetCap {
  readonly epsilon: number;
  readonly delta: number;
}

/** ε spent so far on a dataset. */
export interface BudgetTotal {
  readonly dataset: string;
  readonly unit: PrivacyUnit;
  readonly epsilon: number;
  readonly delta: number;
  /** The Rényi order at which the conversion was tightest. */
  readonly order: number;
  /** Always 'improved' (Canonne, Kamath, Steinke 2020, Proposition 12). */
  readonly conversion: 'improved';
  /** Spends recorded. */
  readonly rounds: number;
}

/** The outcome of an admission check; nothing is written. */
export interface BudgetCheck {
  /** True when the round fits under the cap (or is already recorded: spending it again costs nothing). */
  readonly ok: boolean;
  readonly epsilonNow: number;
  readonly epsilonAfter: number;
  /** True when this (session, round) is already in the ledger. */
  readonly recorded: boolean;
}

/** Which round of which session a spend is for. */
export interface SpendTag {
  /** The session digest, 64 lower-case hex characters. */
  readonly session: string;
  readonly round: number;
  /** Unit of a dataset new to the ledger (default 'site'); must match an existing dataset's unit. */
  readonly unit?: PrivacyUnit;
}

const DATASET_NAME = /^[^\u0000-\u001f\u007f]{1,64}$/;
const SESSION_HEX = /^[0-9a-f]{64}$/;

/** Checks a dataset name (1–64 characters, no control characters), naming `field` in the error. */
export function checkDatasetName(name: unknown, field = 'dataset'): string {
  if (typeof name !== 'string') throw new TypeError(`${field} must be a string`);
  if (!DATASET_NAME.test(name)) throw new RangeError(`${field} must be 1 to 64 characters without control characters`);
  return name;
}

/** Checks a cap: ε > 0 (finite) and δ in (0, 1). */
export function checkCap(cap: unknown, name = 'cap'): BudgetCap {
  if (typeof cap !== 'object' || cap === null) throw new TypeError(`${name} must be { epsilon, delta }`);
  const { epsilon, delta } = cap as { epsilon?: unknown; delta?: unknown };
  if (typeof epsilon !== 'number' || !Number.isFinite(epsilon) || epsilon <= 0) throw new RangeError(`${name}.epsilon must be a finite number > 0`);
  if (typeof delta !== 'number' || !(delta > 0 && delta < 1)) throw new RangeError(`${name}.delta must be a number in (0, 1)`);
  return { epsilon, delta };
}

/** ε for people: 2 decimals (more when needed to tell it from `other`), ∞ for Infinity. */
export function formatEpsilon(x: number, other?: number): string {
  if (x === Infinity) return '∞';
  if (other === undefined || !Number.isFinite(other) || x === other) return x.toFixed(2);
  for (let digits = 2; digits < 12; digits++) if (x.toFixed(digits) !== other.toFixed(digits) && Number(x.toFixed(digits)) !== other) return x.toFixed(digits);
  return String(x);
}

/** δ for people: 1e-5, 2.5e-6, 0.01. */
export function formatDelta(delta: number): string {
  return delta >= 1e-3 ? String(delta) : delta.toExponential().replace('e+', 'e');
}

/**
 * The refusal when a round would pass the cap.
 *
 * @example
 * budgetExceededMessage('pneumonia', 7, { epsilonNow: 7.81, epsilonAfter: 8.32 }, { epsilon: 8, delta: 1e-5 });
 * // "dataset 'pneumonia': taking part in round 7 would raise ε from 7.81 to 8.32, above the cap ε = 8 at δ = 1e-5; not taking part"
 */
export function budgetExceededMessage(dataset: string, round: number, check: { epsilonNow: number; epsilonAfter: number }, cap: BudgetCap): string {
  return `dataset '${dataset}': taking part in round ${round} would raise ε from ${formatEpsilon(check.epsilonNow)} to ${formatEpsilon(check.epsilonAfter, cap.epsilon)}, ` +
    `above the cap ε = ${cap.epsilon} at δ = ${formatDelta(cap.delta)}; not taking part`;
}

/** Validates a parsed ledger file, naming the file and field in every error. */
export function parseBudgetFile(value: unknown, file: string): BudgetFile {
  const f = new Fields(file);
  const o = f.object(value, '', ['version', 'kind', 'datasets']);
  f.literal(o, 'version', '', 1);
  f.literal(o, 'kind', '', 'tessera-budget');
  const ds = f.object(o.datasets, 'datasets');
  const datasets: Record<string, BudgetDataset> = Object.create(null);
  for (const [name, v] of Object.entries(ds)) {
    const field = `datasets.${name}`;
    if (!DATASET_NAME.test(name)) f.fail(field, 'is not a dataset name (1 to 64 characters without control characters)');
    const d = f.object(v, field, ['unit', 'spends']);
    const unit = f.oneOf(d, 'unit', field, ['patient', 'site'] as const);
    const seen = new Set<string>();
    const spends = f.array(d, 'spends', field, 10_000_000).map((s, i): BudgetSpend => {
      const sf = `${field}.spends[${i}]`;
      const so = f.object(s, sf, ['session', 'round', 'at', 'cost']);
      const session = f.string(so, 'session', sf, 64);
      if (!SESSION_HEX.test(session)) f.fail(`${sf}.session`, 'must be 64 hex characters (lower case): a session digest');
      const round = f.int(so, 'round', sf, 0, 0xffffffff);
      const at = f.string(so, 'at', sf, 64);
      if (!/^\d{4}-\d{2}-\d{2}T/.test(at) || Number.isNaN(Date.parse(at))) f.fail(`${sf}.at`, 'must be an ISO 8601 time such as 2026-11-26T07:00:00.000Z');
      let cost: Round;
      try {
        cost = checkRound(so.cost, 'cost');
        roundRdp(cost, [2]); // checks every parameter of the round
      } catch (e) {
        if (!(e instanceof TypeError || e instanceof RangeError)) throw e;
        return f.fail(`${sf}.cost`, `is not a valid accountant round: ${e.message}`);
      }
      const key = `${session}/${round}`;
      if (seen.has(key)) f.fail(sf, `repeats session ${session.slice(0, 16)}… round ${round}`);
      seen.add(key);
      return { session, round, at, cost };
    });
    datasets[name] = { unit, spends };
  }
  return { version: 1, kind: 'tessera-budget', datasets };
}

/** Per-file write queues: concurrent writers of one file in this process take turns. */
const QUEUES = new Map<string, Promise<unknown>>();

function serialized<T>(file: string, task: () => Promise<T>): Promise<T> {
  const prev = QUEUES.get(file) ?? Promise.resolve();
  const next = prev.then(task, task);
  const tail = next.then(() => undefined, () => undefined);
  QUEUES.set(file, tail);
  void tail.then(() => {
    if (QUEUES.get(file) === tail) QUEUES.delete(file);
  });
  return next;
}

/**
 * A site's privacy ledger file.
 *
 * @example
 * const ledger = await BudgetLedger.open('/var/lib/tessera/budget.json');
 * const cap = { epsilon: 8, delta: 1e-5 };
 * const c = ledger.check('pneumonia', cost, cap);                       // nothing written
 * if (c.ok) await ledger.spend('pneumonia', cost, { session, round: 7 }, cap); // write-ahead, then send
 * ledger.total('pneumonia', 1e-5).epsilon;                              // ε so far
 */
export class BudgetLedger {
  /** Absolute path of the ledger file. */
  readonly file: string;
  #data: BudgetFile;

  private constructor(file: string, data: BudgetFile) {
    this.file = file;
    this.#data = data;
  }

  /**
   * Opens (reads and validates) the ledger at `file`; a missing file is an empty ledger (created on the
   * first spend). A file that cannot be read or is invalid throws a FileError naming it and the field.
   */
  static async open(file: string): Promise<BudgetLedger> {
    if (typeof file !== 'string' || file.length === 0) throw new TypeError('file must be a non-empty string');
    const path = resolve(file);
    return new BudgetLedger(path, await BudgetLedger.#read(path));
  }

  static async #read(path: string): Promise<BudgetFile> {
    let value: unknown;
    try {
      value = await readJsonFile(path, MAX_BUDGET_BYTES);
    } catch (e) {
      if (e instanceof FileError && e.code === NodeErrorCodes.FILE_READ && (e.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT')
        return { version: 1, kind: 'tessera-budget', datasets: Object.create(null) };
      throw e;
    }
    return parseBudgetFile(value, path);
  }

  /** The ledger's content (the JSON written to the file). */
  toJSON(): BudgetFile {
    return this.#data;
  }

  /** The datasets with at least one spend, sorted. */
  datasets(): string[] {
    return Object.keys(this.#data.datasets).sort();
  }

  /** The spends of `dataset` (empty for an unknown dataset). */
  spends(dataset: string): readonly BudgetSpend[] {
    return this.#dataset(checkDatasetName(dataset))?.spends ?? [];
  }

  #dataset(name: string): BudgetDataset | undefined {
    return Object.hasOwn(this.#data.datasets, name) ? this.#data.datasets[name] : undefined;
  }

  /** The accountant ledger of `dataset` (rebuilt from the spends). */
  #privacyLedger(dataset: string, unit?: PrivacyUnit): PrivacyLedger {
    const d = this.#dataset(dataset);
    const ledger = new PrivacyLedger({ unit: d?.unit ?? unit ?? 'site' });
    for (const s of d?.spends ?? []) ledger.addRound(s.cost);
    return ledger;
  }

  /**
   * ε spent on `dataset` so far at `delta` (improved RDP-to-(ε, δ) conversion); 0 for a dataset
   * without spends.
   */
  total(dataset: string, delta: number): BudgetTotal {
    checkDatasetName(dataset);
    checkCap({ epsilon: 1, delta }, 'total');
    const ledger = this.#privacyLedger(dataset);
    const e = ledger.epsilon(delta, 'improved');
    return { dataset, unit: ledger.unit, epsilon: e.epsilon, delta, order: e.order, conversion: 'improved', rounds: e.rounds };
  }

  /** Whether (session, round) is already recorded for `dataset`. */
  has(dataset: string, session: string, round: number): boolean {
    return this.spends(dataset).some((s) => s.session === session && s.round === round);
  }

  /**
   * Admission check: would spending `cost` on `dataset` keep ε at most `cap.epsilon` at `cap.delta`?
   * Writes nothing. `recorded` (and ok) when `tag` is already in the ledger.
   */
  check(dataset: string, cost: Round, cap: BudgetCap, tag?: { session: string; round: number }): BudgetCheck {
    checkDatasetName(dataset);
    const c = checkCap(cap);
    const round = checkRound(cost, 'cost');
    const ledger = this.#privacyLedger(dataset);
    const epsilonNow = ledger.epsilon(c.delta).epsilon;
    if (tag && this.has(dataset, tag.session, tag.round)) return { ok: true, epsilonNow, epsilonAfter: epsilonNow, recorded: true };
    const epsilonAfter = ledger.epsilonIf(round, c.delta).epsilon;
    return { ok: epsilonAfter <= c.epsilon, epsilonNow, epsilonAfter, recorded: false };
  }

  /**
   * Records that `dataset` takes part in `tag.round` of `tag.session` at `cost`, durably, BEFORE the
   * caller sends anything computed from the data. Re-reads the file first (another ledger object may
   * have written it). Idempotent: a (session, round) already recorded is not recorded again. Refuses
   * with NodeError(ERR_BUDGET_EXCEEDED), writing nothing, when the round would pass the cap.
   */
  async spend(dataset: string, cost: Round, tag: SpendTag, cap: BudgetCap): Promise<BudgetCheck & { total: BudgetTotal }> {
    checkDatasetName(dataset);
    const c = checkCap(cap);
    const round = checkRound(cost, 'cost');
    roundRdp(round, [2]);
    if (typeof tag !== 'object' || tag === null) throw new TypeError('tag must be { session, round }');
    if (typeof tag.session !== 'string' || !SESSION_HEX.test(tag.session)) throw new RangeError('tag.session must be 64 lower-case hex characters (a session digest)');
    if (!Number.isSafeInteger(tag.round) || tag.round < 0 || tag.round > 0xffffffff) throw new RangeError('tag.round must be an integer in [0, 2^32)');
    const unit = tag.unit ?? 'site';
    if (unit !== 'patient' && unit !== 'site') throw new RangeError(`tag.unit must be 'patient' or 'site'`);
    return serialized(this.file, async () => {
      this.#data = await BudgetLedger.#read(this.file);
      const existing = this.#dataset(dataset);
      if (existing && existing.unit !== unit)
        throw new FileError(this.file, `datasets.${dataset}.unit`, `is '${existing.unit}', but this round spends privacy per '${unit}'; one dataset's ledger cannot mix units (use another dataset name)`);
      const check = this.check(dataset, round, c, tag);
      if (!check.ok) throw new NodeError(NodeErrorCodes.BUDGET_EXCEEDED, budgetExceededMessage(dataset, tag.round, check, c));
      if (!check.recorded) {
        const spend: BudgetSpend = { session: tag.session, round: tag.round, at: new Date().toISOString(), cost: round };
        const datasets: Record<string, BudgetDataset> = Object.assign(Object.create(null), this.#data.datasets);
        datasets[dataset] = { unit, spends: [...(existing?.spends ?? []), spend] };
        const next: BudgetFile = { version: 1, kind: 'tessera-budget', datasets };
        await writeFileDurable(this.file, JSON.stringify(next, null, 2) + '\n', 0o600);
        this.#data = next;
      }
      return { ...check, total: this.total(dataset, c.delta) };
    });
  }
}

/**
 * The running total for people.
 *
 * @example
 * budgetLine({ dataset: 'pneumonia', epsilon: 3.2071 }, { epsilon: 8, delta: 1e-5 });
 * // "privacy: ε = 3.21 of 8 spent on 'pneumonia' (δ = 1e-5, improved RDP conversion)"
 */
export function budgetLine(total: { readonly dataset: string; readonly epsilon: number }, cap: BudgetCap): string {
  return `privacy: ε = ${formatEpsilon(total.epsilon)} of ${cap.epsilon} spent on '${total.dataset}' (δ = ${formatDelta(cap.delta)}, improved RDP conversion)`;
}

/**
 * The budget a node runs with, from its config and the roster's privacy: opens the ledger (a corrupt
 * ledger fails here, at start). Refuses (FileError naming the config) a session that spends privacy
 * without a budget section, and a budget.delta other than the roster's. Undefined when the session
 * spends no privacy.
 *
 * @example
 * const budget = await openNodeBudget(config, rosterSession.privacy, config.roster);
 */
export async function openNodeBudget(config: NodeConfig, privacy: SessionPrivacy | undefined, rosterFile: string): Promise<{ ledger: BudgetLedger; dataset: string; cap: BudgetCap; unit: PrivacyUnit } | undefined> {
  const b = config.budget;
  if (!privacy) return undefined;
  if (!b)
    throw new FileError(config.file, 'budget', `is missing: this session spends privacy (${rosterFile} declares session.privacy); configure budget.ledger, budget.dataset and budget.epsilonCap`);
  if (b.delta !== undefined && b.delta !== privacy.delta)
    throw new FileError(config.file, 'budget.delta', `is ${b.delta}, but ${rosterFile} declares session.privacy.delta = ${privacy.delta}; ε is only comparable at one δ: remove budget.delta or set it to ${privacy.delta}`);
  const ledger = await BudgetLedger.open(b.ledger);
  const existing = ledger.datasets().includes(b.dataset) ? ledger.total(b.dataset, privacy.delta).unit : undefined;
  if (existing !== undefined && existing !== privacy.unit)
    throw new FileError(ledger.file, `datasets.${b.dataset}.unit`, `is '${existing}', but this session spends privacy per '${privacy.unit}'; use another dataset name in ${config.file}`);
  return { ledger, dataset: b.dataset, cap: { epsilon: b.epsilonCap, delta: privacy.delta }, unit: privacy.unit };
}
