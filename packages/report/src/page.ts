/**
 * The HTML document shell: strict Content-Security-Policy (scripts allowed by SHA-256 hash only),
 * inline stylesheet, JSON data island, Chart.js and the page script.
 * @module
 */
import { createHash } from 'node:crypto';
import { chartJsSource } from './assets.js';
import { CLIENT_SCRIPT } from './client.js';
import { escapeHtml, jsonForScript } from './escape.js';
import type { PlotSpec } from './plot.js';
import { STYLESHEET } from './style.js';

/**
 * The `sha256-…` CSP source of an inline script's exact text.
 * @example
 * ```ts
 * scriptHash('1'); // "'sha256-a4ayc/80/OGda4BO/1o/V0etpOqiLx1JwB5S3beHW0s='"
 * ```
 */
export function scriptHash(source: string): string {
  return `'sha256-${createHash('sha256').update(source, 'utf8').digest('base64')}'`;
}

/**
 * The Content-Security-Policy of a report: nothing may load from anywhere; only the two inline
 * scripts with these hashes run; inline styles and `data:` images are allowed.
 * @example
 * ```ts
 * contentSecurityPolicy(["'sha256-…'"]); // "default-src 'none'; script-src 'sha256-…'; ..."
 * ```
 */
export function contentSecurityPolicy(scriptHashes: readonly string[]): string {
  return [
    "default-src 'none'",
    `script-src ${scriptHashes.join(' ')}`,
    "style-src 'unsafe-inline'",
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/**
 * What a page is made of.
 * @example
 * ```ts
 * const p: PageParts = { title: 'Run 7', body: '<main>…</main>', data: { report: r, plots: [] } };
 * ```
 */
export interface PageParts {
  readonly title: string;
  /** Already-escaped markup of `<body>`. */
  readonly body: string;
  /** The JSON island; `plots` is what the page script draws. */
  readonly data: { readonly plots: readonly PlotSpec[]; readonly [key: string]: unknown };
}

/**
 * Assembles the complete, self-contained HTML document.
 * @example
 * ```ts
 * const doc = renderPage({ title: 'Run 7', body: '<main></main>', data: { plots: [] } });
 * doc.startsWith('<!doctype html>'); // true
 * ```
 */
export function renderPage(parts: PageParts): string {
  const chart = chartJsSource();
  const csp = contentSecurityPolicy([scriptHash(chart), scriptHash(CLIENT_SCRIPT)]);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="generator" content="@tessera/report">
<title>${escapeHtml(parts.title)}</title>
<style>${STYLESHEET}</style>
</head>
<body>
${parts.body}
<script type="application/json" id="tessera-data">${jsonForScript(parts.data)}</script>
<script>${chart}</script>
<script>${CLIENT_SCRIPT}</script>
</body>
</html>
`;
}
