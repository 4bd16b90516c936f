/**
 * The `tessera` program: commander wiring, exit codes, and error reporting without stack traces.
 * Each command lives in its own module under commands/.
 * @module
 */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { configure, type Context } from './command.js';
import { demoCommand } from './commands/demo.js';
import { paramsCommand } from './commands/params.js';
import { privacyCommand } from './commands/privacy.js';
import { keygenCommand } from './commands/keygen.js';
import { rosterCommand } from './commands/roster.js';
import { coordinatorCommand } from './commands/coordinator.js';
import { nodeCommand } from './commands/node.js';
import { budgetCommand } from './commands/budget.js';
import { trainCommand } from './commands/train.js';
import { simulateCommand } from './commands/simulate.js';
import { auditCommand } from './commands/audit.js';
import { ExitCode } from './errors.js';
import { processIo, type Io } from './output.js';

export { ExitCode, UsageError } from './errors.js';
export type { Io } from './output.js';

const version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Builds the program for one invocation. */
export function createProgram(ctx: Context): Command {
  const program = configure(new Command('tessera'), ctx, 'tessera')
    .description('Tessera: federated training of medical-imaging models across hospitals under secure aggregation.')
    .version(version, '--version', 'print the version')
    .addHelpText('after', '\nExamples:\n  $ tessera demo --seed 1\n  $ tessera params --members 100 --dropout 0.1\n  $ tessera keygen --out ./keys\n  $ tessera coordinator --config coordinator.json\n  $ tessera demo --help\n');
  program.addCommand(simulateCommand(ctx));
  program.addCommand(demoCommand(ctx));
  program.addCommand(paramsCommand(ctx));
  program.addCommand(privacyCommand(ctx));
  program.addCommand(keygenCommand(ctx));
  program.addCommand(rosterCommand(ctx));
  program.addCommand(coordinatorCommand(ctx));
  program.addCommand(nodeCommand(ctx));
  program.addCommand(budgetCommand(ctx));
  program.addCommand(trainCommand(ctx));
  program.addCommand(auditCommand(ctx));
  return program;
}

/**
 * Runs the program on `argv` (as in process.argv: node, script, args…) and returns the exit code:
 * 0 success, 1 the command failed (e.g. the round aborted), 2 usage error.
 */
export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const ctx: Context = { io, exitCode: ExitCode.OK };
  try {
    await createProgram(ctx).parseAsync([...argv], { from: 'node' });
    return ctx.exitCode;
  } catch (e) {
    // Help and --version end with exit code 0; every other commander error was already reported.
    if (e instanceof CommanderError) return e.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    const message = e instanceof Error ? e.message : String(e);
    io.err(`tessera: internal error: ${message}\n`);
    if (process.env.TESSERA_DEBUG && e instanceof Error && e.stack) io.err(`${e.stack}\n`);
    else io.err('(set TESSERA_DEBUG=1 to see where)\n');
    return ExitCode.FAILURE;
  }
}
