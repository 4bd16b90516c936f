/**
 * `PrivacyLedger` (alias `RdpAccountant`): a durable record of the rounds that touched the data and the
 * RDP they spent, composing heterogeneous rounds (each round's actual number of noise contributors may
 * differ) and reporting ε so far. Its JSON form lists the orders and the rounds; loading it recomputes the
 * curve from the rounds, so a stored ledger cannot claim less than its rounds spent.
 * @module
 */
import { describe } from '@tessera/crypto';
import { epsilonFromRdp, type Conversion, type EpsilonResult } from './convert.js';
import { checkRound, roundRdp, roundSteps, type Round } from './mechanism.js';
import { DEFAULT_LEDGER_ORDERS } from './orders.js';
import { orders as validOrders } from './validate.js';

/** Unit of privacy: a patient (DP-SGD over the union of sites) or a site (one site's whole update). */
export type PrivacyUnit = 'patient' | 'site';

export interface LedgerOptions {
  /** Orders of the curve (default DEFAULT_LEDGER_ORDERS, the union of the Gaussian and discrete grids). */
  readonly orders?: readonly number[];
  /** Default 'patient'. */
  readonly unit?: PrivacyUnit;
}

/** The JSON form of a ledger (`version` 1). */
export interface LedgerJson {
  readonly version: 1;
  readonly unit: PrivacyUnit;
  readonly orders: readonly number[];
  readonly rounds: readonly Round[];
}

/** ε so far, with the number of rounds and steps recorded. */
export interface LedgerEpsilon extends EpsilonResult {
  readonly unit: PrivacyUnit;
  readonly rounds: number;
  readonly steps: number;
}

/**
 * @example
 * const ledger = new PrivacyLedger({ unit: 'patient' });
 * ledger.addRound({ mechanism: 'gaussian', noiseMultiplier: 1.1, samplingRate: 0.01, nMin: 8, contributors: 9 });
 * ledger.epsilon(1e-5); // → { epsilon, delta: 1e-5, order, conversion: 'improved', rounds: 1, … }
 * const copy = PrivacyLedger.fromJSON(JSON.parse(JSON.stringify(ledger)));
 */
export class PrivacyLedger {
  readonly unit: PrivacyUnit;
  readonly #orders: readonly number[];
  readonly #rounds: Round[] = [];
  readonly #rdp: number[];
  readonly #cache = new Map<string, readonly number[]>();
  #steps = 0;

  constructor(options: LedgerOptions = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError(`options must be an object, got ${describe(options)}`);
    this.#orders = Object.freeze([...validOrders(options.orders ?? DEFAULT_LEDGER_ORDERS)]);
    const unit = options.unit ?? 'patient';
    if (unit !== 'patient' && unit !== 'site') throw new RangeError(`unit must be 'patient' or 'site', got ${String(unit)}`);
    this.unit = unit;
    this.#rdp = new Array<number>(this.#orders.length).fill(0);
  }

  /** The orders of the curve. */
  get orders(): readonly number[] {
    return this.#orders;
  }
  /** The composed RDP curve so far (a copy). */
  get rdp(): number[] {
    return [...this.#rdp];
  }
  /** The rounds recorded so far (copies). */
  get rounds(): Round[] {
    return this.#rounds.map((r) => ({ ...r }));
  }
  /** Total steps recorded. */
  get steps(): number {
    return this.#steps;
  }

  /**
   * Records a round as it really happened (e.g. the actual number of noise contributors) and adds its RDP.
   * Validates the round fully before changing anything. Returns the round's own curve.
   */
  addRound(round: Round): readonly number[] {
    const r = checkRound(round);
    const key = JSON.stringify(r);
    let curve = this.#cache.get(key);
    if (curve === undefined) {
      curve = Object.freeze(roundRdp(r, this.#orders));
      this.#cache.set(key, curve);
    }
    for (let i = 0; i < curve.length; i++) this.#rdp[i]! += curve[i]!;
    this.#rounds.push(r);
    this.#steps += roundSteps(r);
    return curve;
  }

  /** ε so far at δ by the given conversion rule (default 'improved'). */
  epsilon(delta: number, conversion: Conversion = 'improved'): LedgerEpsilon {
    const e = epsilonFromRdp(this.#orders, this.#rdp, delta, conversion);
    return { ...e, unit: this.unit, rounds: this.#rounds.length, steps: this.#steps };
  }

  /** ε if `round` were added next (the ledger is unchanged): for admission checks before a round runs. */
  epsilonIf(round: Round, delta: number, conversion: Conversion = 'improved'): LedgerEpsilon {
    const next = PrivacyLedger.fromJSON(this.toJSON());
    next.addRound(round);
    return next.epsilon(delta, conversion);
  }

  /** The JSON form; an order of Infinity is written as the string "Infinity" (JSON has no infinities). */
  toJSON(): LedgerJson {
    const orders = this.#orders.map((a) => (a === Infinity ? 'Infinity' : a)) as unknown as number[];
    return { version: 1, unit: this.unit, orders, rounds: this.rounds };
  }

  /** Rebuilds a ledger from its JSON form (a parsed object or a JSON string), recomputing the curve. */
  static fromJSON(json: unknown): PrivacyLedger {
    const value: unknown = typeof json === 'string' ? JSON.parse(json) : json;
    if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TypeError(`json must be a ledger object, got ${describe(value)}`);
    const v = value as Partial<Record<keyof LedgerJson, unknown>>;
    if (v.version !== 1) throw new RangeError(`json.version must be 1, got ${String(v.version)}`);
    if (!Array.isArray(v.rounds)) throw new TypeError(`json.rounds must be an array, got ${describe(v.rounds)}`);
    const orders = Array.isArray(v.orders) ? v.orders.map((a: unknown) => (a === 'Infinity' ? Infinity : a)) : v.orders;
    const ledger = new PrivacyLedger({ orders: orders as readonly number[], unit: v.unit as PrivacyUnit });
    v.rounds.forEach((r: unknown, i) => ledger.addRound(checkRound(r, `json.rounds[${i}]`)));
    return ledger;
  }
}

/** The same class under the name used by dp_accounting and Opacus. */
export const RdpAccountant = PrivacyLedger;
export type RdpAccountant = PrivacyLedger;
