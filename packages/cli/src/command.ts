/**
 * What every command shares: how it is declared (description, examples in --help), how its errors
 * are reported (one line naming the flag, a hint, exit 2) and how its action reports an exit code.
 * @module
 */
import { Command } from 'commander';
import { ExitCode, UsageError } from './errors.js';
import type { Io } from './output.js';

/** State shared by the program and its commands for one invocation. */
export interface Context {
  readonly io: Io;
  /** Set by the command that ran. */
  exitCode: number;
}

/**
 * Rewrites commander's error text as one line that names the flag:
 * "error: option '--dropout <fraction>' argument '2' is invalid. expected …" →
 * "invalid value '2' for --dropout: expected …".
 */
export function describeCommanderError(raw: string): string {
  let s = raw.trim().replace(/^error: /, '');
  s = s.replace(/\n\(Did you mean (.*)\?\)$/s, ' (did you mean $1?)');
  const flagOf = (flags: string): string => /--[\w-]+/.exec(flags)?.[0] ?? flags;
  const invalid = /^option '([^']*)' argument '(.*)' is invalid\. (.*)$/s.exec(s);
  if (invalid) {
    const reason = invalid[3]!.replace(/^Allowed choices are /, 'expected one of ').replace(/\.$/, '');
    return `invalid value '${invalid[2]}' for ${flagOf(invalid[1]!)}: ${reason}`;
  }
  const missingValue = /^option '([^']*)' argument missing$/.exec(s);
  if (missingValue) return `${flagOf(missingValue[1]!)} needs a value (${missingValue[1]})`;
  const required = /^required option '([^']*)' not specified$/.exec(s);
  if (required) return `missing required option ${flagOf(required[1]!)} (${required[1]})`;
  return s.replace(/\n/g, ' ');
}

/** The hint that follows every usage error. */
const hint = (path: string): string => `Run '${path} --help' for usage.\n`;

/** Routes a command's output through `ctx.io` and makes its usage errors one line plus a hint. */
export function configure(cmd: Command, ctx: Context, path: string): Command {
  return cmd
    .configureOutput({
      writeOut: (s) => ctx.io.out(s),
      writeErr: (s) => ctx.io.err(s),
      outputError: (s, write) => write(`${path}: ${describeCommanderError(s)}\n${hint(path)}`),
    })
    .exitOverride()
    .showSuggestionAfterError(true);
}

/**
 * A subcommand of `tessera`: its summary (listed by `tessera --help`), description and examples
 * (shown by `tessera NAME --help`).
 */
export function subcommand(ctx: Context, name: string, spec: { summary: string; description: string; examples: readonly string[] }, parent = 'tessera'): Command {
  const cmd = new Command(name).summary(spec.summary).description(spec.description);
  cmd.addHelpText('after', `\nExamples:\n${spec.examples.map((e) => `  $ ${e}`).join('\n')}\n`);
  return configure(cmd, ctx, `${parent} ${name}`);
}

/** "tessera roster add": the names from the program down to `cmd`. */
export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names[0] === 'tessera' ? names.join(' ') : ['tessera', ...names].join(' ');
}

/**
 * Sets the action: `run` gets the options and the positional arguments and returns the exit code; a UsageError becomes one line plus a hint and exit 2.
 * Other errors propagate to main(), which reports them without a stack trace.
 */
export function action<O>(cmd: Command, ctx: Context, run: (options: O, args: readonly string[]) => number | Promise<number>): Command {
  return cmd.action(async (...args: unknown[]) => {
    // commander passes the positional arguments first, then the options, then the command.
    const options = args[args.length - 2] as O;
    const positional = args.slice(0, -2) as string[];
    try {
      ctx.exitCode = await run(options, positional);
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      const path = commandPath(cmd);
      ctx.io.err(`${path}: ${e.message}\n${hint(path)}`);
      ctx.exitCode = ExitCode.USAGE;
    }
  });
}
