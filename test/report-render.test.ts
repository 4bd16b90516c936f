/**
 * The HTML reports in a real browser: both pages are written to a temporary folder, opened over file://
 * in headless Chromium (playwright-core), and must draw every figure without a console error, a page
 * error or any network request. Full-page screenshots go to bench/results/.
 *
 * Needs a Chromium executable: $CHROMIUM_PATH, or /usr/bin/chromium (Debian's `chromium` package;
 * .ci/run installs it). Without one these tests fail — they are not skipped.
 */
import test, { type ExecutionContext } from 'ava';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { exampleSimulationReport, exampleSweepReport, renderSimulationHtml, renderSweepHtml, SIMULATION_PLOTS, SWEEP_PLOTS } from '@tessera/report';
import { parseSweep, simulate, sweep } from '@tessera/simulate';

const root = fileURLToPath(new URL('../..', import.meta.url));
const results = join(root, 'bench/results');
/** $CHROMIUM_PATH if set (and then only it), else Debian's /usr/bin/chromium, else `chromium` on PATH. */
const candidates = process.env.CHROMIUM_PATH
  ? [process.env.CHROMIUM_PATH]
  : ['/usr/bin/chromium', '/usr/bin/chromium-browser', ...(process.env.PATH ?? '').split(delimiter).filter(Boolean).map((d) => join(d, 'chromium'))];
const executablePath = candidates.find((p) => existsSync(p));

let browser: Browser | undefined;
let dir = '';

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tessera-report-'));
  await mkdir(results, { recursive: true });
  if (executablePath) browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
});

test.after.always(async () => {
  await browser?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function requireBrowser(): Browser {
  if (!browser)
    throw new Error(
      `No Chromium executable found (looked at ${candidates.join(', ')}). Install Debian's chromium ` +
        `(sudo apt-get install -y --no-install-recommends chromium) or set CHROMIUM_PATH to a Chromium/Chrome binary.`,
    );
  return browser;
}

interface Opened {
  readonly page: Page;
  readonly problems: string[];
  readonly requests: string[];
  readonly plots: Record<string, number>;
  readonly figures: { id: string; render: string; width: number; height: number }[];
  /** Non-null points per plot in the page's JSON island: what the charts should have drawn. */
  readonly expected: Record<string, number>;
}

/** Writes the page, opens it over file://, waits for the ready flag, collects what went wrong. */
async function open(t: ExecutionContext, name: string, html: string): Promise<Opened> {
  const file = join(dir, name);
  await writeFile(file, html);
  const page = await requireBrowser().newPage({ viewport: { width: 1200, height: 900 } });
  t.teardown(() => page.close());
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('request', (r) => requests.push(r.url()));
  const url = pathToFileURL(file).href;
  await page.goto(url);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 20_000 });
  const plots = (await page.evaluate('window.tesseraPlots')) as Record<string, number>;
  // Browser-side code as strings: the test project is type-checked without the DOM library.
  const figures = (await page.evaluate(`[...document.querySelectorAll('figure[data-plot]')].map((el) => {
    const c = el.querySelector('canvas');
    return { id: el.getAttribute('data-plot'), render: el.getAttribute('data-render'), width: c ? c.width : 0, height: c ? c.height : 0 };
  })`)) as Opened['figures'];
  const expected = (await page.evaluate(`Object.fromEntries(JSON.parse(document.getElementById('tessera-data').textContent).plots.map((p) =>
    [p.id, p.datasets.reduce((n, d) => n + d.data.filter((v) => v !== null && (typeof v !== 'object' || v.y !== null)).length, 0)]))`)) as Record<string, number>;
  return { page, problems, requests: requests.filter((u) => u !== url), plots, figures, expected };
}

function checkPlots(t: ExecutionContext, o: Opened, expected: readonly string[], textOnly: readonly string[] = []): void {
  t.deepEqual(o.problems, [], 'no console errors or page errors');
  t.deepEqual(o.requests, [], 'the page loads nothing');
  t.deepEqual(o.figures.map((f) => f.id), [...expected], 'every expected figure, in order');
  t.deepEqual(Object.keys(o.plots).sort(), [...expected].sort(), 'window.tesseraPlots covers every figure');
  for (const f of o.figures) {
    if (textOnly.includes(f.id)) {
      t.is(f.render, 'text', f.id);
      t.is(o.plots[f.id], 0, `${f.id} is text only`);
    } else {
      t.is(f.render, 'chart', f.id);
      t.true((o.plots[f.id] ?? 0) > 0, `${f.id} drew ${o.plots[f.id]} points`);
      t.is(o.plots[f.id], o.expected[f.id], `${f.id}: points drawn = points in the data`);
      t.true(f.width > 100 && f.height > 100, `${f.id} canvas is ${f.width}×${f.height}`);
    }
  }
}

test.serial('simulation report (DP) draws every figure; screenshot', async (t) => {
  const o = await open(t, 'report.html', renderSimulationHtml(exampleSimulationReport()));
  checkPlots(t, o, SIMULATION_PLOTS);
  t.is(o.plots.auc, 9 + 9 + 10, 'test AUC and validation AUC (round 6 aborted: 9 each) + baseline (10)');
  await o.page.screenshot({ path: join(results, 'report-screenshot.png'), fullPage: true });
  // Printing keeps the charts (they are resized for the page width, not lost).
  await o.page.emulateMedia({ media: 'print' });
  const widths = (await o.page.evaluate(`[...document.querySelectorAll('figure[data-render="chart"] canvas')].map((c) => c.getBoundingClientRect().width)`)) as number[];
  t.true(widths.every((w) => w > 100), `canvas widths in print: ${widths.join(', ')}`);
});

test.serial('simulation report without DP: the ε figure is text, the rest are charts', async (t) => {
  const o = await open(t, 'report-nodp.html', renderSimulationHtml(exampleSimulationReport({ dp: false })));
  checkPlots(t, o, SIMULATION_PLOTS, ['epsilon']);
  t.regex((await o.page.textContent('figure[data-plot="epsilon"]')) ?? '', /No differential privacy: ε = ∞/);
});

test.serial('sweep report draws the privacy–utility curve with ε = ∞; screenshot', async (t) => {
  const o = await open(t, 'sweep.html', renderSweepHtml(exampleSweepReport()));
  checkPlots(t, o, SWEEP_PLOTS);
  const labels = (await o.page.evaluate(`(() => {
    const c = Chart.getChart(document.querySelector('figure[data-plot="privacy-utility"] canvas'));
    return c.scales.x.ticks.map((tk) => String(tk.label));
  })()`)) as string[];
  t.is(labels[labels.length - 1], '∞ (no DP)', `x tick labels: ${labels.join(' | ')}`);
  await o.page.screenshot({ path: join(results, 'sweep-screenshot.png'), fullPage: true });
});

const FIXTURE = join(root, '../shared/datasets/pneumoniamnist/pneumoniamnist_fixture64.npz');
const small = { data: FIXTURE, verify: false, sites: 4, secagg: { threshold: 2 }, split: 'iid', minPerSite: 5, rounds: 3, evaluateEvery: 1, dpsgd: { samplingRate: 0.5 }, seed: 'render' };

test.serial('the report of a real `simulate` run draws every figure with its data; screenshot', async (t) => {
  if (!existsSync(FIXTURE)) return t.log(`SKIPPED: the fixture ${FIXTURE} is absent`);
  const out = join(dir, 'run');
  await simulate({ ...small, dropout: { schedule: [{ round: 2, site: 3, stage: 'masked' }] } }, { out });
  const o = await open(t, 'run-report.html', await readFile(join(out, 'report.html'), 'utf8'));
  checkPlots(t, o, SIMULATION_PLOTS);
  // 3 rounds: test and validation AUC (3 each) + the baseline line (3).
  t.is(o.plots.auc, 9);
  t.regex((await o.page.textContent('body')) ?? '', /What each party saw[\s\S]*Coordinator \(server\)/);
  await o.page.screenshot({ path: join(results, 'simulate-report-screenshot.png'), fullPage: true });
});

test.serial('the curve of a real `simulate --sweep` draws every point, ε = ∞ last; screenshot', async (t) => {
  if (!existsSync(FIXTURE)) return t.log(`SKIPPED: the fixture ${FIXTURE} is absent`);
  const out = join(dir, 'sweep');
  await sweep({ ...small, rounds: 1 }, parseSweep('epsilon=1,4,inf'), { out });
  const o = await open(t, 'run-sweep.html', await readFile(join(out, 'sweep.html'), 'utf8'));
  checkPlots(t, o, SWEEP_PLOTS);
  await o.page.screenshot({ path: join(results, 'simulate-sweep-screenshot.png'), fullPage: true });
});
