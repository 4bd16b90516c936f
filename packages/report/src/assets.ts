/**
 * The Chart.js browser build, read once from the installed `chart.js` package so reports work offline.
 * @module
 */
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

let cached: string | undefined;

/**
 * Source of Chart.js's UMD build (defines `window.Chart`), its licence banner kept, the source-map
 * comment removed. `chart.js` does not export `./dist/*`, so the file is found next to its resolved main
 * entry (`dist/chart.cjs`).
 * @example
 * ```ts
 * const js = chartJsSource(); // '/*!\n * Chart.js v4.6.1 ...'
 * ```
 */
export function chartJsSource(): string {
  if (cached !== undefined) return cached;
  const require = createRequire(import.meta.url);
  const dist = dirname(require.resolve('chart.js'));
  const file = ['chart.umd.min.js', 'chart.umd.js'].map((f) => join(dist, f)).find((f) => existsSync(f));
  if (!file) throw new Error(`@tessera/report: no UMD build of chart.js in ${dist} (expected chart.umd.min.js or chart.umd.js)`);
  let src = readFileSync(file, 'utf8').replace(/\n?\/\/# sourceMappingURL=\S*\s*$/, '\n');
  // An inline script ends at the first "</script"; the build has none, but make it impossible anyway.
  src = src.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
  cached = src;
  return src;
}
