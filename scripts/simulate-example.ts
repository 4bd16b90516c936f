/**
 * A researcher's script on top of `simulate()`: how much does the number of hospitals matter at a fixed
 * privacy budget? Runs the main job's setup (label skew, 10 % dropout, ε = 8) for 3, 5 and 8 sites,
 * prints a table and writes bench/results/simulate-example.json plus each run's folder under runs/.
 *
 *   npx tsc -b scripts && node scripts/dist/simulate-example.js [--sites 3,5,8] [--rounds 60] [--seed 1] [--data PATH]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { simulate, type SimulationSummary } from '@tessera/simulate';

const args = process.argv.slice(2);
const flag = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1]! : dflt;
};
const sites = flag('sites', '3,5,8').split(',').map(Number);
const rounds = Number(flag('rounds', '60'));
const seed = flag('seed', '1');
const data = args.includes('--data') ? flag('data', '') : null;

const rows: { sites: number; summary: SimulationSummary }[] = [];
for (const n of sites) {
  const { summary } = await simulate(
    { sites: n, rounds, seed, ...(data ? { data } : {}) },
    {
      out: `runs/simulate-example/sites-${n}`,
      onEvent: (e) => {
        if (e.type === 'round' && (e.line.round % 10 === 0 || e.line.round === rounds))
          console.error(`sites ${n}: round ${e.line.round}/${rounds}, val AUC ${e.line.valAuc?.toFixed(4) ?? '-'}, ε ${e.line.epsilon?.toFixed(2) ?? '-'}`);
      },
    },
  );
  rows.push({ sites: n, summary });
}
console.log('sites  test AUC  test acc  ε spent  completed rounds  wall');
for (const { sites: n, summary: s } of rows)
  console.log(`${String(n).padStart(5)}  ${s.testAuc.toFixed(4)}    ${s.testAccuracy.toFixed(4)}    ${typeof s.epsilon === 'number' ? s.epsilon.toFixed(3) : String(s.epsilon)}    ${s.completedRounds}/${s.rounds}   ${s.wallSeconds} s`);
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/simulate-example.json', JSON.stringify({ script: 'scripts/simulate-example.ts', args, rows }, null, 2) + '\n');
console.log('wrote bench/results/simulate-example.json; each run\'s report is in runs/simulate-example/sites-<n>/report.html');
