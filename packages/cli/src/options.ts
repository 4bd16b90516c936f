/**
 * Parsing and validating flag values. Every parser throws commander's InvalidArgumentError with the
 * reason only; commander prefixes the flag, and index.ts turns that into one line such as
 * "invalid value '2' for --dropout: expected a fraction in [0, 1)". Checks that combine several flags
 * run after parsing and throw UsageError, naming the flags themselves.
 * @module
 */
import { InvalidArgumentError, Option } from 'commander';

const INTEGER = /^\+?\d+$/;
const DECIMAL = /^\+?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** A parser for an integer in [min, max]. */
export function integer(min: number, max: number): (value: string) => number {
  return (value) => {
    const v = value.trim();
    const n = INTEGER.test(v) ? Number(v) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected an integer in [${min}, ${max}]`);
    return n;
  };
}

/**
 * A parser for a fraction in [0, 1) (or [0, 1] with `inclusive`), written as 0.25, .25 or 25%.
 */
export function fraction(inclusive = false): (value: string) => number {
  const range = inclusive ? '[0, 1]' : '[0, 1)';
  return (value) => {
    const v = value.trim();
    const percent = v.endsWith('%');
    const body = percent ? v.slice(0, -1) : v;
    const x = DECIMAL.test(body) ? Number(body) / (percent ? 100 : 1) : NaN;
    if (!(x >= 0 && (inclusive ? x <= 1 : x < 1))) throw new InvalidArgumentError(`expected a fraction in ${range} (e.g. 0.25 or 25%)`);
    return x;
  };
}

/**
 * A parser for a decimal number in (min, max] (or [min, max] with `inclusiveMin`), e.g. 1.3, .5, 1e-5.
 * The text is kept beside the number (`raw`) where an exact rational must be read from it.
 */
export function decimal(min: number, max: number, inclusiveMin = false): (value: string) => number {
  const range = `${inclusiveMin ? '[' : '('}${min}, ${max}]`;
  return (value) => {
    const v = value.trim();
    const x = DECIMAL.test(v) ? Number(v) : NaN;
    if (!(inclusiveMin ? x >= min : x > min) || !(x <= max)) throw new InvalidArgumentError(`expected a number in ${range}`);
    return x;
  };
}

/** A parser for a non-empty string. */
export function nonEmpty(what: string): (value: string) => string {
  return (value) => {
    if (value.length === 0) throw new InvalidArgumentError(`expected a non-empty ${what}`);
    return value;
  };
}

/** A parser for a comma-separated list of `key:value` pairs, each checked by `item`. */
export function pairList<K, V>(item: (key: string, value: string) => [K, V], example: string): (value: string) => Map<K, V> {
  return (value) => {
    const out = new Map<K, V>();
    for (const part of value.split(',')) {
      const p = part.trim();
      const colon = p.indexOf(':');
      if (colon <= 0 || colon === p.length - 1) throw new InvalidArgumentError(`'${p}' is not of the form ${example}`);
      const [k, v] = item(p.slice(0, colon).trim(), p.slice(colon + 1).trim());
      if (out.has(k)) throw new InvalidArgumentError(`${String(k)} is listed twice`);
      out.set(k, v);
    }
    return out;
  };
}

/** An option whose value goes through `parse`, with an optional default shown in --help. */
export function option<T>(flags: string, description: string, parse: (value: string) => T, defaultValue?: T, defaultDescription?: string): Option {
  const o = new Option(flags, description).argParser((value: string) => parse(value));
  if (defaultValue !== undefined) o.default(defaultValue, defaultDescription);
  return o;
}

/** An option restricted to `choices`. */
export function choice<const C extends readonly string[]>(flags: string, description: string, choices: C, defaultValue?: C[number]): Option {
  const o = new Option(flags, description).choices(choices);
  if (defaultValue !== undefined) o.default(defaultValue);
  return o;
}
