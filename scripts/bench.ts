/**
 * `pnpm bench <name> [flags]`: runs a benchmark, prints a table and writes bench/results/<name>.json.
 */
import { runDpBench } from './bench/dp.js';
import { runNetBench } from './bench/net.js';
import { runSecaggBench } from './bench/secagg.js';
import { runTrainBench } from './bench/train.js';

const benches: Record<string, (args: string[]) => Promise<void>> = { secagg: runSecaggBench, net: runNetBench, dp: runDpBench, train: runTrainBench };
const [name, ...args] = process.argv.slice(2);
if (!name || name === '--help' || !(name in benches)) {
  const out = name && name !== '--help' ? process.stderr : process.stdout;
  out.write(`usage: pnpm bench <${Object.keys(benches).join('|')}> [--quick] [--help]\n`);
  process.exit(name && name !== '--help' ? 2 : 0);
}
await benches[name]!(args);
