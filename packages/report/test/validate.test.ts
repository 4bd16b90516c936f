/**
 * Invalid input throws a TypeError (wrong kind) or RangeError (bad value) naming the field.
 */
import test from 'ava';
import {
  exampleSimulationReport,
  exampleSweepReport,
  renderSimulationHtml,
  renderSimulationMarkdown,
  renderSweepHtml,
  renderSweepMarkdown,
  validateSimulationReport,
} from '../src/index.js';
import { patch, withRound } from './helpers.js';

const r = exampleSimulationReport();
const s = exampleSweepReport();

const simCases: [string, unknown, typeof TypeError | typeof RangeError, RegExp][] = [
  ['not an object', 42, TypeError, /^report must be an object \(got number\)/],
  ['rounds not an array', patch(r, ['rounds'], {}), TypeError, /^report\.rounds must be an array \(got object\)/],
  ['a survivor not a number', withRound(r, 3, { survivors: [1, '2', 3] }), TypeError, /^report\.rounds\[3\]\.survivors\[1\] must be a number \(got string\)/],
  ['a survivor 0', withRound(r, 2, { survivors: [0] }), RangeError, /^report\.rounds\[2\]\.survivors\[0\] must be an integer ≥ 1/],
  ['AUC > 1', withRound(r, 0, { testAuc: 1.2 }), RangeError, /^report\.rounds\[0\]\.testAuc must be in \[0, 1\]/],
  ['NaN loss', withRound(r, 1, { loss: NaN }), RangeError, /^report\.rounds\[1\]\.loss must be a finite number/],
  ['rounds out of order', withRound(r, 4, { round: 2 }), RangeError, /^report\.rounds\[4\]\.round must be greater than the previous round 4/],
  ['dropout without stage', withRound(r, 2, { dropouts: [{ site: 4 }] }), TypeError, /^report\.rounds\[2\]\.dropouts\[0\]\.stage must be a string \(got undefined\)/],
  ['aborted a number', withRound(r, 5, { aborted: 1 }), TypeError, /^report\.rounds\[5\]\.aborted must be a string/],
  ['negative ε', withRound(r, 0, { epsilon: -1 }), RangeError, /^report\.rounds\[0\]\.epsilon must be in/],
  ['missing summary', patch(r, ['summary'], undefined), TypeError, /^report\.summary must be an object \(got undefined\)/],
  ['summary.sites 0', patch(r, ['summary', 'sites'], 0), RangeError, /^report\.summary\.sites must be an integer ≥ 1/],
  ['bad time', patch(r, ['generatedAt'], 'yesterday'), RangeError, /^report\.generatedAt must be an ISO 8601 time/],
  ['no classes', patch(r, ['classNames'], []), RangeError, /^report\.classNames must not be empty/],
  ['label counts per class', patch(r, ['sites', 2, 'labelCounts'], [1, 2, 3]), RangeError, /^report\.sites\[2\]\.labelCounts must have one count per class \(2; got 3\)/],
  ['repeated site id', patch(r, ['sites', 1, 'site'], 1), RangeError, /^report\.sites\[1\]\.site repeats site id 1/],
  ['party without neverSaw', patch(r, ['parties', 0, 'neverSaw'], null), TypeError, /^report\.parties\[0\]\.neverSaw must be a string \(got null\)/],
  ['notes not strings', patch(r, ['notes'], [1]), TypeError, /^report\.notes\[0\] must be a string/],
  ['baseline AUC', patch(r, ['baseline', 'auc'], 94.4), RangeError, /^report\.baseline\.auc must be in \[0, 1\]/],
];

for (const [name, input, type, message] of simCases) {
  test(`simulation: ${name}`, (t) => {
    for (const render of [renderSimulationHtml, renderSimulationMarkdown, validateSimulationReport] as ((x: any) => unknown)[])
      t.throws(() => render(input), { instanceOf: type, message });
  });
}

const sweepCases: [string, unknown, typeof TypeError | typeof RangeError, RegExp][] = [
  ['points not an array', patch(s, ['points'], 'x'), TypeError, /^sweep\.points must be an array \(got string\)/],
  ['no points', patch(s, ['points'], []), RangeError, /^sweep\.points must hold at least one point/],
  ['ε = 0', patch(s, ['points', 1, 'epsilon'], 0), RangeError, /^sweep\.points\[1\]\.epsilon must be > 0 or null/],
  ['AUC a string', patch(s, ['points', 2, 'testAuc'], '0.9'), TypeError, /^sweep\.points\[2\]\.testAuc must be a number \(got string\)/],
  ['javascript: link', patch(s, ['points', 0, 'report'], 'javascript:alert(1)'), RangeError, /^sweep\.points\[0\]\.report must be a relative link/],
  ['absolute link', patch(s, ['points', 0, 'report'], 'https://example.org/r.html'), RangeError, /^sweep\.points\[0\]\.report must be a relative link/],
  ['protocol-relative link', patch(s, ['points', 0, 'report'], '//evil.example/r.html'), RangeError, /^sweep\.points\[0\]\.report must be a relative link/],
  ['value an object', patch(s, ['points', 0, 'value'], {}), TypeError, /^sweep\.points\[0\]\.value must be a number or a string \(got object\)/],
  ['parameter missing', patch(s, ['parameter'], undefined), TypeError, /^sweep\.parameter must be a string/],
];

for (const [name, input, type, message] of sweepCases) {
  test(`sweep: ${name}`, (t) => {
    for (const render of [renderSweepHtml, renderSweepMarkdown] as ((x: any) => unknown)[]) t.throws(() => render(input), { instanceOf: type, message });
  });
}
