/**
 * The run configuration as readable rows (`dp.epsilon → 4`) and as pretty JSON.
 * @module
 */
import { toPlainJson } from './escape.js';

/**
 * Flattens a configuration object into `[path, value]` rows: nested objects expand to dotted paths,
 * arrays of scalars print inline, other arrays expand as `path[i]`. At most `limit` rows.
 * @example
 * ```ts
 * flattenConfig({ dp: { epsilon: 4, delta: 1e-5 }, sites: [1, 2] });
 * // [['dp.epsilon', '4'], ['dp.delta', '0.00001'], ['sites', '[1, 2]']]
 * ```
 */
export function flattenConfig(config: unknown, limit = 400): [string, string][] {
  const rows: [string, string][] = [];
  const scalar = (v: unknown): string => (typeof v === 'string' ? v : v === null ? 'null' : String(v));
  const walk = (v: unknown, path: string): void => {
    if (rows.length >= limit) return;
    if (v === null || typeof v !== 'object') {
      rows.push([path || '(value)', scalar(v)]);
      return;
    }
    if (Array.isArray(v)) {
      if (v.every((x) => x === null || typeof x !== 'object')) rows.push([path || '(value)', `[${v.map((x) => (typeof x === 'string' ? JSON.stringify(x) : scalar(x))).join(', ')}]`]);
      else v.forEach((x, i) => walk(x, `${path}[${i}]`));
      return;
    }
    const entries = Object.entries(v);
    if (entries.length === 0) rows.push([path || '(value)', '{}']);
    for (const [k, x] of entries) walk(x, path ? `${path}.${k}` : k);
  };
  walk(toPlainJson(config), '');
  return rows;
}

/**
 * Pretty-printed JSON of the configuration (2-space indent); never throws.
 * @example
 * ```ts
 * prettyConfig({ a: 1 }); // '{\n  "a": 1\n}'
 * ```
 */
export function prettyConfig(config: unknown): string {
  return JSON.stringify(toPlainJson(config), null, 2) ?? 'null';
}
