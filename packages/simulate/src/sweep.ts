/**
 * Sweeps: the same run at several values of one parameter (ε, the number of sites, the dropout rate,
 * the split's α), each in its own sub-folder, then the privacy–utility (or sites–utility, …) curve
 * with the published non-private baseline as a reference line: `sweep.json`, `sweep.html`, `sweep.md`.
 * @module
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { renderSweepHtml, renderSweepMarkdown, type SweepPoint, type SweepReport } from '@tessera/report';
import { ConfigError, configJson, resolveConfig } from './config.js';
import { simulate, type SimulationEvent, type SimulationSummary } from './simulate.js';

export const SWEEP_PARAMETERS = ['epsilon', 'sites', 'dropout', 'alpha', 'rounds'] as const;
export type SweepParameter = (typeof SWEEP_PARAMETERS)[number];

export interface SweepSpec {
  readonly parameter: SweepParameter;
  readonly values: readonly (number | 'inf')[];
}

/**
 * Parses `epsilon=0.5,1,2,4,8,inf` (also `sites=3,5,10`, `dropout=0,0.1,0.3`, `alpha=0.1,1,10`).
 * Throws ConfigError naming what is wrong.
 *
 * @example
 * parseSweep('epsilon=1,8,inf'); // { parameter: 'epsilon', values: [1, 8, 'inf'] }
 */
export function parseSweep(text: string): SweepSpec {
  const m = /^\s*([a-z]+)\s*=\s*(.+)$/.exec(text);
  if (!m) throw new ConfigError('--sweep', `must look like PARAMETER=v1,v2,… (e.g. epsilon=0.5,1,2,4,8,inf), got '${text}'`);
  const parameter = m[1] as SweepParameter;
  if (!SWEEP_PARAMETERS.includes(parameter)) throw new ConfigError('--sweep', `sweeps one of ${SWEEP_PARAMETERS.join(', ')}, got '${m[1]}'`);
  const values = m[2]!.split(',').map((v) => v.trim()).map((v): number | 'inf' => {
    if (v === 'inf' && parameter === 'epsilon') return 'inf';
    const x = Number(v);
    if (v === '' || !Number.isFinite(x)) throw new ConfigError('--sweep', `value '${v}' of ${parameter} is not a number${parameter === 'epsilon' ? " or 'inf'" : ''}`);
    return x;
  });
  if (values.length < 1 || values.length > 50) throw new ConfigError('--sweep', `takes 1 to 50 values, got ${values.length}`);
  if (new Set(values.map(String)).size !== values.length) throw new ConfigError('--sweep', 'has a value twice');
  return { parameter, values };
}

/** The config of one sweep point: `base` with the parameter set (validated like any config). */
export function pointConfig(base: Record<string, unknown>, spec: SweepSpec, value: number | 'inf'): Record<string, unknown> {
  const c = { ...base };
  switch (spec.parameter) {
    case 'epsilon':
      c['privacy'] = { ...(base['privacy'] as object | undefined), epsilon: value, noiseMultiplier: null };
      break;
    case 'dropout':
      c['dropout'] = { rate: value, stages: null, schedule: null };
      break;
    default:
      c[spec.parameter] = value;
  }
  return c;
}

export type SweepEvent = { readonly type: 'point'; readonly index: number; readonly points: number; readonly value: number | 'inf' } | (SimulationEvent & { readonly index: number });

export interface SweepResult {
  readonly points: readonly (SweepPoint & { readonly summary: SimulationSummary })[];
  readonly report: SweepReport;
  readonly files?: { readonly json: string; readonly html: string; readonly markdown: string };
}

/**
 * Runs every point of `spec` on `base` (a partial config), each into `<out>/<parameter>-<value>/`.
 *
 * @example
 * await sweep({ rounds: 30 }, parseSweep('epsilon=1,8,inf'), { out: 'runs/sweep' });
 */
export async function sweep(base: Record<string, unknown>, spec: SweepSpec, o: { out?: string; onEvent?: (e: SweepEvent) => void; cwd?: string } = {}): Promise<SweepResult> {
  // Validate every point before running any (a bad value fails in a second, not after an hour).
  const configs = spec.values.map((v) => resolveConfig(pointConfig(base, spec, v), `config (${spec.parameter}=${v})`));
  const out = o.out === undefined ? undefined : resolve(o.out);
  if (out) await mkdir(out, { recursive: true });
  const points: (SweepPoint & { summary: SimulationSummary })[] = [];
  for (let i = 0; i < configs.length; i++) {
    const value = spec.values[i]!;
    o.onEvent?.({ type: 'point', index: i, points: configs.length, value });
    const dir = `${spec.parameter}-${String(value)}`;
    const r = await simulate(configs[i], {
      ...(out ? { out: join(out, dir) } : {}), ...(o.cwd ? { cwd: o.cwd } : {}),
      onEvent: (e) => o.onEvent?.({ ...e, index: i }),
    });
    const s = r.summary;
    points.push({
      label: `${spec.parameter} = ${value === 'inf' ? '∞' : value}`, value, epsilon: typeof s.epsilon === 'number' ? s.epsilon : null,
      testAuc: s.testAuc, testAccuracy: s.testAccuracy, wallSeconds: s.wallSeconds, ...(out ? { report: `${dir}/report.html` } : {}), summary: s,
    });
  }
  const first = points[0]!.summary;
  const report: SweepReport = {
    title: `Tessera sweep over ${spec.parameter}: ${spec.values.map(String).join(', ')}`,
    generatedAt: new Date().toISOString(), parameter: spec.parameter,
    points: points.map(({ summary: _s, ...p }) => p), baseline: first.baseline,
    config: sweptConfig(configJson(configs[0]!), spec),
  };
  let files: SweepResult['files'];
  if (out) {
    files = { json: join(out, 'sweep.json'), html: join(out, 'sweep.html'), markdown: join(out, 'sweep.md') };
    await writeFile(files.json, JSON.stringify({ kind: 'tessera-sweep', version: 1, parameter: spec.parameter, values: spec.values, baseline: first.baseline, points }, null, 2) + '\n');
    await writeFile(files.html, renderSweepHtml(report));
    await writeFile(files.markdown, renderSweepMarkdown(report));
  }
  return { points, report, ...(files ? { files } : {}) };
}

/** The config of a sweep's first point with the swept field replaced by the list of its values. */
function sweptConfig(c: Record<string, unknown>, spec: SweepSpec): Record<string, unknown> {
  const values = `swept: ${spec.values.map(String).join(', ')}`;
  switch (spec.parameter) {
    case 'epsilon':
      return { ...c, privacy: { ...(c['privacy'] as object), epsilon: values } };
    case 'dropout':
      return { ...c, dropout: { ...(c['dropout'] as object), rate: values } };
    default:
      return { ...c, [spec.parameter]: values };
  }
}
