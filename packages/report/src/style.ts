/**
 * The page's stylesheet: sober, high-contrast, system fonts, two-column figure grid, print rules.
 * @module
 */

/**
 * Colour-blind-safe palette (Okabe & Ito, 2008) used for every chart, in order of use.
 * @example
 * ```ts
 * PALETTE.blue; // '#0072B2'
 * ```
 */
export const PALETTE = {
  blue: '#0072B2',
  orange: '#E69F00',
  green: '#009E73',
  vermillion: '#D55E00',
  purple: '#CC79A7',
  sky: '#56B4E9',
  black: '#1f2328',
  grey: '#6b7280',
} as const;

/**
 * Colours for classes (label distribution), in class order; cycles when there are more classes.
 * @example
 * ```ts
 * classColour(0); // '#0072B2'
 * ```
 */
export function classColour(i: number): string {
  const order = [PALETTE.blue, PALETTE.orange, PALETTE.green, PALETTE.purple, PALETTE.sky, PALETTE.vermillion, PALETTE.black];
  return order[i % order.length]!;
}

/**
 * The stylesheet, inlined in a `<style>` element.
 * @example
 * ```ts
 * `<style>${STYLESHEET}</style>`;
 * ```
 */
export const STYLESHEET = `
:root {
  --fg: #1f2328; --muted: #57606a; --line: #d0d7de; --soft: #f6f8fa; --accent: #0b4f8a;
  --good: #0a6b3d; --bad: #a1260d; --warn-bg: #fff4e5; --warn-line: #e3b264;
  color-scheme: light;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; color: var(--fg); background: #fff;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", "Liberation Sans", Arial, sans-serif;
}
main { max-width: 1120px; margin: 0 auto; padding: 28px 28px 56px; }
header.report { border-bottom: 3px solid var(--accent); padding-bottom: 14px; margin-bottom: 22px; }
header.report .kicker { text-transform: uppercase; letter-spacing: .08em; font-size: 12px; font-weight: 600; color: var(--accent); margin: 0 0 4px; }
h1 { font-size: 26px; line-height: 1.25; margin: 0 0 6px; font-weight: 650; }
h2 { font-size: 19px; margin: 34px 0 12px; padding-bottom: 5px; border-bottom: 1px solid var(--line); font-weight: 650; }
h3 { font-size: 15px; margin: 18px 0 8px; }
.meta { color: var(--muted); font-size: 13px; margin: 0; }
.meta span + span::before { content: "·"; margin: 0 .5em; color: var(--line); }
p { margin: 0 0 10px; max-width: 80ch; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12.5px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 12px; margin: 0; padding: 0; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px; background: #fff; margin: 0; }
.card dt { font-size: 12px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); font-weight: 600; }
.card dd { margin: 2px 0 0; }
.card .value { display: block; font-size: 26px; font-weight: 650; font-variant-numeric: tabular-nums; line-height: 1.2; }
.card .sub { display: block; font-size: 12.5px; color: var(--muted); }
.delta-neg { color: var(--bad); } .delta-pos { color: var(--good); }
.plots { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 460px), 1fr)); gap: 18px; }
figure.plot { min-width: 0; margin: 0; border: 1px solid var(--line); border-radius: 6px; padding: 14px 14px 10px; background: #fff; break-inside: avoid; page-break-inside: avoid; }
figure.plot.wide { grid-column: 1 / -1; }
.chart-box { position: relative; height: 270px; width: 100%; }
.chart-box canvas { display: block; max-width: 100%; }
.plot-text { height: 270px; display: flex; flex-direction: column; align-items: center; justify-content: center; text-align: center; background: var(--soft); border-radius: 4px; padding: 16px; }
.plot-text .big { font-size: 22px; font-weight: 650; }
.plot-text .small { color: var(--muted); font-size: 13px; max-width: 46ch; margin-top: 6px; }
figcaption { font-size: 13px; color: var(--muted); margin-top: 10px; line-height: 1.45; }
figcaption strong { color: var(--fg); }
.nojs { margin: 0; padding: 10px; background: var(--warn-bg); border: 1px solid var(--warn-line); border-radius: 4px; font-size: 13px; }
details { margin-top: 8px; font-size: 13px; }
details > summary { cursor: pointer; color: var(--accent); font-weight: 600; padding: 2px 0; }
details > summary:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
.table-wrap { overflow-x: auto; margin: 6px 0 0; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; font-size: 13.5px; }
th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { background: var(--soft); font-weight: 600; border-bottom: 2px solid var(--line); white-space: nowrap; }
td.num, th.num { text-align: right; white-space: nowrap; }
tbody th { font-weight: 600; }
tbody tr:nth-child(even) > * { background: #fbfcfd; }
tbody tr.aborted > * { background: #fdecea; }
table.kv { width: auto; min-width: min(100%, 560px); }
table.config { width: auto; min-width: min(100%, 560px); }
td.key { padding-right: 32px; }
.table-note { font-size: 13px; color: var(--muted); margin-top: 8px; }
details table { font-size: 12.5px; }
.tag { display: inline-block; font-size: 11.5px; font-weight: 600; padding: 0 6px; border-radius: 3px; border: 1px solid; line-height: 1.6; }
.tag.bad { color: var(--bad); border-color: #e8b4a8; background: #fdf1ee; }
.tag.warn { color: #7a4d00; border-color: var(--warn-line); background: var(--warn-bg); }
.tag.ok { color: var(--good); border-color: #9fd3b7; background: #eef9f2; }
.notes p { max-width: 85ch; }
.callout { border-left: 4px solid var(--accent); background: var(--soft); padding: 10px 14px; margin: 10px 0; }
pre.json { background: var(--soft); border: 1px solid var(--line); border-radius: 6px; padding: 12px; overflow: auto; max-height: 480px; margin: 8px 0 0; white-space: pre; }
td.key { font-family: ui-monospace, SFMono-Regular, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12.5px; color: var(--muted); white-space: nowrap; }
td.val { font-family: ui-monospace, SFMono-Regular, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12.5px; word-break: break-word; }
a { color: var(--accent); }
.nw { white-space: nowrap; }
.sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0,0,0,0); white-space: nowrap; border: 0; }
footer { margin-top: 40px; padding-top: 12px; border-top: 1px solid var(--line); color: var(--muted); font-size: 12px; }
@media (max-width: 640px) { main { padding: 16px; } .plots { grid-template-columns: 1fr; } }
@media print {
  @page { size: A4; margin: 14mm 12mm; }
  body { font-size: 10.5pt; }
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; page-break-after: avoid; }
  .plots { grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 10px; }
  .cards { grid-template-columns: repeat(auto-fit, minmax(0, 1fr)); gap: 8px; }
  .card { padding: 8px 10px; }
  figure.plot { padding: 8px; }
  .chart-box, .plot-text { height: 200px; }
  details > summary { color: var(--fg); }
  pre.json { max-height: none; overflow: visible; white-space: pre-wrap; }
  .card .value { font-size: 18pt; }
  a { color: inherit; text-decoration: none; }
  tbody tr:nth-child(even) > * { background: none; }
}
`;
