/** Test helpers: pulling pieces out of a rendered page. */
import type { RoundLine, SimulationReport } from '../src/index.js';

/** The text of the JSON island, parsed. */
export function island(page: string): any {
  const m = /<script type="application\/json" id="tessera-data">([\s\S]*?)<\/script>/.exec(page);
  if (!m) throw new Error('no JSON island');
  return JSON.parse(m[1]!);
}

/** The page with the contents of every <script> element removed (what the HTML parser sees as markup). */
export function markupOnly(page: string): string {
  return page.replace(/(<script\b[^>]*>)[\s\S]*?<\/script>/g, '$1</script>');
}

/** Every data-plot id in document order. */
export function plotIds(page: string): string[] {
  return [...page.matchAll(/<figure[^>]*data-plot="([^"]+)"/g)].map((m) => m[1]!);
}

/** A deep copy with a change applied at a path, e.g. `patch(r, ['rounds', 3, 'survivors', 1], 'x')`. */
export function patch<T>(value: T, path: readonly (string | number)[], v: unknown): any {
  const copy: any = structuredClone(value);
  let o = copy;
  for (const k of path.slice(0, -1)) o = o[k];
  o[path[path.length - 1]!] = v;
  return copy;
}

/** Replaces one round of a report. */
export function withRound(r: SimulationReport, i: number, change: Partial<Record<keyof RoundLine, unknown>>): any {
  const copy: any = structuredClone(r);
  copy.rounds[i] = { ...copy.rounds[i], ...change };
  return copy;
}
