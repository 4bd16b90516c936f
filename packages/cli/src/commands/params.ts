/**
 * `tessera params`: the neighbour degree k and Shamir threshold t that deriveParameters chooses for a
 * session, the bounds behind them, and a plain-language warning when the targets cannot be met.
 * @module
 */
import type { Command } from 'commander';
import { MAX_MEMBERS } from '@tessera/secagg';
import { action, subcommand, type Context } from '../command.js';
import { ExitCode } from '../errors.js';
import { choice, fraction, integer, option } from '../options.js';
import { formatLog2, keyValues, percent, printJson, wrap, type Io } from '../output.js';
import { GRAPH_CHOICES, THREAT_CHOICES, parametersJson, plan, targetWarnings, type PlanRequest } from '../parameters.js';

/** The flags of `tessera params`: a parameter plan request, and --json. */
export interface ParamsOptions extends PlanRequest {
  readonly json?: boolean;
}

export function paramsCommand(ctx: Context): Command {
  const cmd = subcommand(ctx, 'params', {
    summary: 'derive the neighbour degree k and threshold t for a session',
    description:
      'Derives the neighbour graph, its degree k and the Shamir threshold t for N members expecting a given ' +
      'dropout rate, and reports the bound on corrupt neighbours, log2 of the abort bound and of the ' +
      'security failure bound, and whether the targets (2^-security-bits, 2^-correctness-bits) are met.\n\n' +
      'When they are not, it says so in plain language. The exit status is 0 either way: the numbers are the answer.',
    examples: [
      'tessera params --members 100 --dropout 0.1',
      'tessera params --members 10 --dropout 0.3 --threat semi-honest',
      'tessera params --members 500 --dropout 20% --corrupt 0.1 --json',
    ],
  });
  cmd
    .addOption(option('--members <n>', 'number of members N', integer(2, MAX_MEMBERS)).makeOptionMandatory())
    .addOption(option('--dropout <fraction>', 'expected fraction of members that drop out in a round', fraction()).makeOptionMandatory())
    .addOption(option('--corrupt <fraction>', 'fraction of members that may collude with the coordinator', fraction(), 0.05))
    .addOption(choice('--threat <model>', 'what the coordinator may do', THREAT_CHOICES, 'malicious'))
    .addOption(choice('--graph <kind>', 'neighbour graph: sparsest meeting the targets, complete, or sparse', GRAPH_CHOICES, 'auto'))
    .addOption(option('--security-bits <s>', 'security target: failure probability at most 2^-s', integer(1, 256), 40))
    .addOption(option('--correctness-bits <e>', 'correctness target: abort probability at most 2^-e', integer(1, 256), 20))
    .option('--json', 'print one JSON document instead of the report');
  return action<ParamsOptions>(cmd, ctx, (o) => runParams(o, ctx.io));
}

export function runParams(o: ParamsOptions, io: Io): number {
  const req: PlanRequest = o;
  const p = plan(req);
  const warnings = targetWarnings(req, p);
  const json = { command: 'params' as const, members: o.members, ...parametersJson(req, p), warnings };
  if (o.json) {
    printJson(io, json);
    return ExitCode.OK;
  }
  const ok = (met: boolean): string => (met ? 'met' : 'NOT met');
  const abortMet = p.abortLog2 <= -o.correctnessBits;
  const securityMet = p.securityFailureLog2 <= -o.securityBits && p.maxCorruptNeighbours < p.threshold;
  const text = keyValues([
    ['session', `${o.members} members, ${percent(o.dropout)} expected dropout, up to ${percent(o.corrupt)} corrupt (${json.corruptMembers}), ${o.threat} coordinator`],
    ['graph', p.graph.kind === 'complete' ? `complete: every member neighbours all k=${p.degree} others` : `sparse: each member has k=${p.degree} random neighbours`],
    ['threshold', `t=${p.threshold} of a member's k=${p.degree} share holders are needed to rebuild its secrets`],
    ['corrupt nbrs', `at most c=${p.maxCorruptNeighbours} per member${p.graph.kind === 'sparse' && p.securityFailureLog2 > -Infinity ? ` (except with probability ${formatLog2(p.securityFailureLog2)})` : ''}`],
    ['P[abort]', `<= ${formatLog2(p.abortLog2)} (log2 ${fmtLog2(p.abortLog2)}), target 2^-${o.correctnessBits}: ${ok(abortMet)}`],
    ['P[leak]', `<= ${formatLog2(p.securityFailureLog2)} (log2 ${fmtLog2(p.securityFailureLog2)}), target 2^-${o.securityBits}: ${ok(securityMet)}`],
    ['targets', p.meetsTargets ? 'met' : 'NOT met (see the warning below)'],
  ]);
  io.out(text + warnings.map((w) => `\n${wrap(`warning: ${w}`)}\n`).join(''));
  return ExitCode.OK;
}

const fmtLog2 = (x: number): string => (x === -Infinity ? '-inf' : x.toFixed(2));
