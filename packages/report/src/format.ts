/**
 * Number formatting shared by the HTML and Markdown renderers. Missing values print as an em dash.
 * @module
 */

/**
 * What missing values print as.
 * @example
 * ```ts
 * fixed(null) === DASH; // true
 * ```
 */
export const DASH = '—';

/**
 * Fixed-point number, or {@link DASH} for null/undefined/NaN.
 * @example
 * ```ts
 * fixed(0.94412, 3); // '0.944'
 * fixed(null);       // '—'
 * ```
 */
export function fixed(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || Number.isNaN(x)) return DASH;
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  return x.toFixed(digits);
}

/**
 * A signed difference with a true minus sign, e.g. for "vs baseline".
 * @example
 * ```ts
 * signed(-0.0231, 3); // '−0.023'
 * signed(0.01, 2);    // '+0.01'
 * ```
 */
export function signed(x: number, digits = 3): string {
  const s = Math.abs(x).toFixed(digits);
  if (Number(s) === 0) return '±' + s;
  return (x < 0 ? '−' : '+') + s;
}

/**
 * ε for display: "∞ (no DP)" for null/∞, else 2–3 significant decimals.
 * @example
 * ```ts
 * formatEpsilon(3.98712); // '3.99'
 * formatEpsilon(null);    // '∞ (no DP)'
 * ```
 */
export function formatEpsilon(eps: number | null | undefined): string {
  if (eps === null || eps === undefined || eps === Infinity) return '∞ (no DP)';
  if (eps >= 100) return eps.toFixed(0);
  if (eps >= 10) return eps.toFixed(1);
  return eps.toFixed(2);
}

/**
 * δ in scientific notation (`1e-5`), or {@link DASH}.
 * @example
 * ```ts
 * formatDelta(0.00001); // '1e-5'
 * ```
 */
export function formatDelta(delta: number | null | undefined): string {
  if (delta === null || delta === undefined) return DASH;
  if (delta === 0) return '0';
  const [m, e] = delta.toExponential(2).split('e') as [string, string];
  const mant = m.replace(/\.?0+$/, '');
  return `${mant}e${Number(e)}`;
}

/**
 * Seconds as `12.3 s`, `4 min 05 s` or `1 h 02 min`.
 * @example
 * ```ts
 * formatSeconds(245); // '4 min 05 s'
 * ```
 */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return DASH;
  if (s < 60) return `${s < 10 ? s.toFixed(2) : s.toFixed(1)} s`;
  const total = Math.round(s);
  if (total < 3600) return `${Math.floor(total / 60)} min ${String(total % 60).padStart(2, '0')} s`;
  return `${Math.floor(total / 3600)} h ${String(Math.floor((total % 3600) / 60)).padStart(2, '0')} min`;
}

/**
 * Bytes with binary-free SI units (kB = 1000 B), as network traffic is usually quoted.
 * @example
 * ```ts
 * formatBytes(183_400); // '183 kB'
 * ```
 */
export function formatBytes(b: number): string {
  if (!Number.isFinite(b)) return DASH;
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = b;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${i === 0 ? v.toFixed(0) : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0)} ${units[i]}`;
}

/**
 * Integer with thin thousands separators (locale-independent).
 * @example
 * ```ts
 * formatInt(12345); // '12 345'
 * ```
 */
export function formatInt(n: number): string {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, '\u202f');
}

/**
 * Percentage of a part in a whole, one decimal.
 * @example
 * ```ts
 * percent(1, 3); // '33.3%'
 * ```
 */
export function percent(part: number, whole: number): string {
  return whole > 0 ? `${((100 * part) / whole).toFixed(1)}%` : DASH;
}
