/**
 * `tessera budget show`: what a site's privacy ledger holds — each dataset, the rounds that spent its
 * privacy, and ε so far (RDP composition, improved conversion to (ε, δ)).
 * @module
 */
import { Command } from 'commander';
import { BudgetLedger, checkDatasetName, formatDelta, formatEpsilon, type BudgetSpend } from '@tessera/node';
import { InvalidArgumentError } from 'commander';
import { action, configure, subcommand, type Context } from '../command.js';
import { ExitCode } from '../errors.js';
import { decimal, nonEmpty, option } from '../options.js';
import { printJson, table, type Io } from '../output.js';
import { reportFailure } from '../runtime.js';

/** δ when --delta is not given. */
export const DEFAULT_BUDGET_DELTA = 1e-5;

export interface BudgetShowOptions {
  readonly ledger: string;
  readonly dataset?: string;
  readonly delta: number;
  readonly json?: boolean;
}

const dataset = (value: string): string => {
  try {
    return checkDatasetName(value);
  } catch {
    throw new InvalidArgumentError('expected 1 to 64 characters without control characters');
  }
};

export function budgetCommand(ctx: Context): Command {
  const budget = configure(new Command('budget'), ctx, 'tessera budget')
    .summary("show a site's privacy ledger (ε spent per dataset)")
    .description(
      'Each node of a session that spends privacy keeps a ledger file (budget.ledger in its config) recording every ' +
      'round each of its datasets took part in and what it cost. The node refuses a round that would raise a dataset\'s ε ' +
      'above its cap (budget.epsilonCap). Back the ledger up; never edit it by hand.',
    )
    .addHelpText('after', '\nExamples:\n  $ tessera budget show --ledger /var/lib/tessera/budget.json\n  $ tessera budget show --ledger budget.json --dataset pneumonia --delta 1e-6 --json\n');
  budget.addCommand(showCommand(ctx));
  return budget;
}

function showCommand(ctx: Context): Command {
  const cmd = subcommand(ctx, 'show', {
    summary: 'list datasets, their spends and ε so far',
    description:
      'Reads the ledger (refusing a corrupt one, naming the file and field), and for each dataset (or only --dataset) ' +
      'prints ε spent so far at δ (RDP composition of every recorded round, improved conversion), the unit of privacy, ' +
      'and each spend: session digest, round, time and mechanism parameters. A missing ledger file has no spends.',
    examples: ['tessera budget show --ledger budget.json', 'tessera budget show --ledger budget.json --dataset pneumonia --json'],
  }, 'tessera budget');
  cmd
    .addOption(option('--ledger <file>', 'the ledger file (budget.ledger of the node config)', nonEmpty('path')).makeOptionMandatory())
    .addOption(option('--dataset <name>', 'only this dataset', dataset))
    .addOption(option('--delta <δ>', 'δ at which ε is reported (use the session\'s privacy δ)', decimal(0, 0.999999), DEFAULT_BUDGET_DELTA, '1e-5'))
    .option('--json', 'print one JSON document');
  return action<BudgetShowOptions>(cmd, ctx, (o) => runBudgetShow(o, ctx.io));
}

export async function runBudgetShow(o: BudgetShowOptions, io: Io): Promise<number> {
  let ledger: BudgetLedger;
  try {
    ledger = await BudgetLedger.open(o.ledger);
  } catch (e) {
    return reportFailure(io, 'tessera budget show', e);
  }
  const names = o.dataset !== undefined ? [o.dataset] : ledger.datasets();
  const datasets = names.map((name) => {
    const total = ledger.total(name, o.delta);
    return { name, unit: total.unit, epsilon: total.epsilon, delta: o.delta, order: total.order, conversion: total.conversion, rounds: total.rounds, spends: ledger.spends(name) };
  });
  if (o.json) {
    printJson(io, { command: 'budget show', ledger: ledger.file, delta: o.delta, datasets: datasets.map((d) => ({ ...d, epsilon: Number.isFinite(d.epsilon) ? d.epsilon : null })) });
    return ExitCode.OK;
  }
  io.out(`ledger ${ledger.file}: ε at δ = ${formatDelta(o.delta)}, RDP composition with the improved conversion\n`);
  if (datasets.length === 0) {
    io.out('no spends recorded yet\n');
    return ExitCode.OK;
  }
  for (const d of datasets) {
    io.out(`\ndataset '${d.name}' (unit: ${d.unit}): ε = ${formatEpsilon(d.epsilon)} after ${d.rounds} round${d.rounds === 1 ? '' : 's'}\n`);
    if (d.spends.length === 0) continue;
    const tbl = table(['session', 'round', 'at', 'cost']);
    for (const s of d.spends) tbl.push([`${s.session.slice(0, 16)}…`, String(s.round), s.at, describeCost(s)]);
    io.out(tbl.toString() + '\n');
  }
  return ExitCode.OK;
}

function describeCost(s: BudgetSpend): string {
  const c = s.cost;
  switch (c.mechanism) {
    case 'ddgauss': return `ddgauss σ=${c.localStddev} C=${c.l2Clip} t=${c.clients} d=${c.dim}`;
    case 'skellam': return `skellam σ=${c.centralStddev} C=${c.l2Clip} d=${c.dim}`;
    case 'gaussian': return `gaussian z=${c.noiseMultiplier}${c.samplingRate !== undefined ? ` q=${c.samplingRate}` : ''}`;
  }
}
