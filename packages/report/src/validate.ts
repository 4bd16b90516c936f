/**
 * Input validation. Every check names the offending field by its path (`rounds[3].survivors[1]`):
 * `TypeError` when a value has the wrong kind, `RangeError` when it has the right kind but a bad value.
 * @module
 */
import type { Baseline, SimulationReport, SweepReport } from './types.js';

const kind = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' && Number.isNaN(v) ? 'NaN' : typeof v);

/** Checks that `v` is a plain object; returns it as a record. */
function object(v: unknown, path: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new TypeError(`${path} must be an object (got ${kind(v)})`);
  return v as Record<string, unknown>;
}

function array(v: unknown, path: string): readonly unknown[] {
  if (!Array.isArray(v)) throw new TypeError(`${path} must be an array (got ${kind(v)})`);
  return v;
}

function string(v: unknown, path: string): string {
  if (typeof v !== 'string') throw new TypeError(`${path} must be a string (got ${kind(v)})`);
  return v;
}

function number(v: unknown, path: string, min = -Infinity, max = Infinity, allowInfinity = false): number {
  if (typeof v !== 'number') throw new TypeError(`${path} must be a number (got ${kind(v)})`);
  if (Number.isNaN(v) || (!allowInfinity && !Number.isFinite(v))) throw new RangeError(`${path} must be a finite number (got ${v})`);
  if (v < min || v > max) throw new RangeError(`${path} must be in [${min}, ${max}] (got ${v})`);
  return v;
}

function integer(v: unknown, path: string, min: number): number {
  number(v, path);
  if (!Number.isInteger(v) || (v as number) < min) throw new RangeError(`${path} must be an integer ≥ ${min} (got ${v})`);
  return v as number;
}

function nullable<T>(check: (v: unknown, path: string) => T): (v: unknown, path: string) => T | null {
  return (v, path) => (v === null ? null : check(v, path));
}

const unit = (v: unknown, path: string): number => number(v, path, 0, 1);
const nonNegative = (v: unknown, path: string): number => number(v, path, 0);
const finite = (v: unknown, path: string): number => number(v, path);
/** ε: ≥ 0; `Infinity` is accepted and means "no DP". */
const epsilon = (v: unknown, path: string): number => number(v, path, 0, Infinity, true);

function isoTime(v: unknown, path: string): string {
  string(v, path);
  if (Number.isNaN(Date.parse(v as string))) throw new RangeError(`${path} must be an ISO 8601 time (got ${JSON.stringify(v)})`);
  return v as string;
}

function baseline(v: unknown, path: string): Baseline | undefined {
  if (v === undefined || v === null) return undefined;
  const b = object(v, path);
  string(b.name, `${path}.name`);
  unit(b.auc, `${path}.auc`);
  unit(b.accuracy, `${path}.accuracy`);
  return b as unknown as Baseline;
}

/**
 * Checks a {@link SimulationReport} and throws a `TypeError`/`RangeError` naming the first bad field.
 * @example
 * ```ts
 * validateSimulationReport({ ...r, rounds: {} });
 * // TypeError: report.rounds must be an array (got object)
 * ```
 */
export function validateSimulationReport(r: unknown): asserts r is SimulationReport {
  const p = 'report';
  const o = object(r, p);
  string(o.title, `${p}.title`);
  isoTime(o.generatedAt, `${p}.generatedAt`);
  const classNames = array(o.classNames, `${p}.classNames`);
  if (classNames.length === 0) throw new RangeError(`${p}.classNames must not be empty`);
  classNames.forEach((c, i) => string(c, `${p}.classNames[${i}]`));

  const s = object(o.summary, `${p}.summary`);
  unit(s.testAuc, `${p}.summary.testAuc`);
  unit(s.testAccuracy, `${p}.summary.testAccuracy`);
  unit(s.balancedAccuracy, `${p}.summary.balancedAccuracy`);
  nullable(epsilon)(s.epsilon, `${p}.summary.epsilon`);
  nullable((v, q) => number(v, q, 0, 1))(s.delta, `${p}.summary.delta`);
  integer(s.rounds, `${p}.summary.rounds`, 0);
  integer(s.sites, `${p}.summary.sites`, 1);
  nonNegative(s.wallSeconds, `${p}.summary.wallSeconds`);

  baseline(o.baseline, `${p}.baseline`);

  const rounds = array(o.rounds, `${p}.rounds`);
  let previous = 0;
  rounds.forEach((x, i) => {
    const q = `${p}.rounds[${i}]`;
    const l = object(x, q);
    const n = integer(l.round, `${q}.round`, 1);
    if (n <= previous) throw new RangeError(`${q}.round must be greater than the previous round ${previous} (got ${n})`);
    previous = n;
    nullable(finite)(l.loss, `${q}.loss`);
    for (const k of ['valAuc', 'testAuc', 'testAccuracy', 'balancedAccuracy'] as const) nullable(unit)(l[k], `${q}.${k}`);
    nullable(epsilon)(l.epsilon, `${q}.epsilon`);
    nullable(epsilon)(l.epsilonWorstCase, `${q}.epsilonWorstCase`);
    array(l.survivors, `${q}.survivors`).forEach((v, j) => integer(v, `${q}.survivors[${j}]`, 1));
    array(l.dropouts, `${q}.dropouts`).forEach((v, j) => {
      const d = object(v, `${q}.dropouts[${j}]`);
      integer(d.site, `${q}.dropouts[${j}].site`, 1);
      string(d.stage, `${q}.dropouts[${j}].stage`);
    });
    nullable(string)(l.aborted, `${q}.aborted`);
    nonNegative(l.seconds, `${q}.seconds`);
    nonNegative(l.bytesPerSite, `${q}.bytesPerSite`);
  });

  const ids = new Set<number>();
  array(o.sites, `${p}.sites`).forEach((x, i) => {
    const q = `${p}.sites[${i}]`;
    const site = object(x, q);
    const id = integer(site.site, `${q}.site`, 1);
    if (ids.has(id)) throw new RangeError(`${q}.site repeats site id ${id}`);
    ids.add(id);
    string(site.name, `${q}.name`);
    integer(site.examples, `${q}.examples`, 0);
    const counts = array(site.labelCounts, `${q}.labelCounts`);
    counts.forEach((v, j) => integer(v, `${q}.labelCounts[${j}]`, 0));
    if (counts.length !== classNames.length)
      throw new RangeError(`${q}.labelCounts must have one count per class (${classNames.length}; got ${counts.length})`);
  });

  array(o.parties, `${p}.parties`).forEach((x, i) => {
    const q = `${p}.parties[${i}]`;
    const v = object(x, q);
    string(v.party, `${q}.party`);
    string(v.saw, `${q}.saw`);
    string(v.neverSaw, `${q}.neverSaw`);
  });

  if (o.notes !== undefined && o.notes !== null) array(o.notes, `${p}.notes`).forEach((v, i) => string(v, `${p}.notes[${i}]`));
}

/**
 * Checks that a link is relative (no scheme such as `javascript:` or `https:`, no `//host`).
 * @example
 * ```ts
 * relativeLink('eps-4/report.html', 'points[0].report'); // ok
 * relativeLink('javascript:alert(1)', 'points[0].report'); // RangeError
 * ```
 */
export function relativeLink(v: unknown, path: string): string {
  string(v, path);
  const s = (v as string).trim();
  if (s === '' || /^[a-z][a-z0-9+.-]*:/i.test(s) || s.startsWith('//') || s.startsWith('\\\\') || /[\u0000-\u001f]/.test(s))
    throw new RangeError(`${path} must be a relative link to a report file (got ${JSON.stringify(v)})`);
  return s;
}

/**
 * Checks a {@link SweepReport} and throws a `TypeError`/`RangeError` naming the first bad field.
 * @example
 * ```ts
 * validateSweepReport({ ...s, points: [] });
 * // RangeError: sweep.points must hold at least one point
 * ```
 */
export function validateSweepReport(s: unknown): asserts s is SweepReport {
  const p = 'sweep';
  const o = object(s, p);
  string(o.title, `${p}.title`);
  isoTime(o.generatedAt, `${p}.generatedAt`);
  string(o.parameter, `${p}.parameter`);
  baseline(o.baseline, `${p}.baseline`);
  const points = array(o.points, `${p}.points`);
  if (points.length === 0) throw new RangeError(`${p}.points must hold at least one point`);
  points.forEach((x, i) => {
    const q = `${p}.points[${i}]`;
    const v = object(x, q);
    string(v.label, `${q}.label`);
    if (typeof v.value !== 'string') {
      if (typeof v.value !== 'number') throw new TypeError(`${q}.value must be a number or a string (got ${kind(v.value)})`);
      finite(v.value, `${q}.value`);
    }
    if (v.epsilon !== null) {
      const e = epsilon(v.epsilon, `${q}.epsilon`);
      if (e === 0) throw new RangeError(`${q}.epsilon must be > 0 or null (no DP) (got 0)`);
    }
    unit(v.testAuc, `${q}.testAuc`);
    unit(v.testAccuracy, `${q}.testAccuracy`);
    nonNegative(v.wallSeconds, `${q}.wallSeconds`);
    if (v.report !== undefined && v.report !== null) relativeLink(v.report, `${q}.report`);
  });
}
