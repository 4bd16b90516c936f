/**
 * Escaping for the two places strings go into a page: HTML text/attributes and JSON data islands.
 * @module
 */

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * Escapes a string for HTML text or a quoted attribute value (`& < > " '`).
 * @example
 * ```ts
 * escapeHtml('<script>alert(1)</script>'); // '&lt;script&gt;alert(1)&lt;/script&gt;'
 * ```
 */
export function escapeHtml(text: string): string {
  if (typeof text !== 'string') throw new TypeError(`escapeHtml: text must be a string (got ${typeof text})`);
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/**
 * Serialises a value as JSON that is safe inside `<script type="application/json">`: `<`, `>`, `&` and the
 * JavaScript line terminators U+2028/U+2029 become `\u` escapes, so the text can never close the element
 * or open a comment, and `JSON.parse` of the element's text gives the value back.
 * @example
 * ```ts
 * jsonForScript({ name: '</script>' }); // '{"name":"\\u003c/script\\u003e"}'
 * ```
 */
export function jsonForScript(value: unknown): string {
  const json = JSON.stringify(value, jsonReplacer);
  if (json === undefined) throw new TypeError('jsonForScript: value is not representable as JSON');
  return json.replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

/**
 * A `JSON.stringify` replacer that keeps any value printable: bigints become decimal strings,
 * non-finite numbers become the strings `"Infinity"`, `"-Infinity"`, `"NaN"`.
 * @example
 * ```ts
 * JSON.stringify({ n: 10n }, jsonReplacer); // '{"n":"10"}'
 * ```
 */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value;
}

/**
 * Returns a copy of `value` that `JSON.stringify` can always print: cycles become `"[circular]"`,
 * functions and symbols `"[function]"`/`"[symbol]"`, bigints decimal strings.
 * @example
 * ```ts
 * const a: any = { x: 1 }; a.self = a;
 * toPlainJson(a); // { x: 1, self: '[circular]' }
 * ```
 */
export function toPlainJson(value: unknown): unknown {
  const seen = new WeakSet<object>();
  const walk = (v: unknown): unknown => {
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
    if (typeof v === 'function') return '[function]';
    if (typeof v === 'symbol') return '[symbol]';
    if (v === undefined) return null;
    if (v === null || typeof v !== 'object') return v;
    if (seen.has(v)) return '[circular]';
    seen.add(v);
    let out: unknown;
    const json = (v as { toJSON?: unknown }).toJSON;
    if (typeof json === 'function') out = walk(json.call(v));
    else if (Array.isArray(v)) out = v.map(walk);
    else {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) if (x !== undefined) o[k] = walk(x);
      out = o;
    }
    seen.delete(v);
    return out;
  };
  return walk(value);
}
