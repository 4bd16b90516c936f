/**
 * `tessera audit report`: what one transcript shows — the session, each round's participants, survivors,
 * dropouts (and at which stage), outcome and ε, and the anomalies (integrity failures, aborted rounds,
 * rounds a member aborted itself, e.g. because the coordinator asked for both shares of a neighbour).
 * Markdown on stdout by default; --html writes a self-contained page; --json the summary.
 * @module
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { auditSummary, renderAuditHtml, renderAuditMarkdown } from '@tessera/audit';
import type { Session } from '@tessera/secagg';
import { action, subcommand, type Context } from '../command.js';
import { ExitCode, UsageError } from '../errors.js';
import { nonEmpty, option } from '../options.js';
import { printJson, type Io } from '../output.js';
import { rosterPin } from '../roster-pin.js';

export interface AuditReportOptions {
  readonly html?: string;
  readonly markdown?: boolean;
  readonly json?: boolean;
  readonly roster?: string;
}

export function auditReportCommand(ctx: Context): Command {
  const cmd = subcommand(ctx, 'report', {
    summary: 'summarise one transcript: rounds, survivors, dropouts, outcomes, ε, anomalies',
    description:
      'Reads one transcript (the coordinator\'s or a member\'s), verifies its integrity, and reports the session (digest, members, ' +
      't, graph, bits, privacy targets) and every round: participants, survivors (U3), dropouts and the stage at which they ' +
      'stopped (inferred from the messages missing), the outcome (completed, or aborted with its code), ε spent per round and in ' +
      'total, and anomalies: integrity failures, aborted rounds, and rounds a member aborted itself (from its own transcript, ' +
      'e.g. ERR_BOTH_SHARES_REQUESTED: the coordinator asked for both shares of one neighbour). Markdown on stdout by default; ' +
      '--html FILE writes a self-contained page and prints its path; --json prints the summary. Exits 0 when the transcript ' +
      'verified, 1 when its integrity failed or it cannot be read (the report is still printed).',
    examples: [
      'tessera audit report runs/s1/coordinator',
      'tessera audit report runs/s1/site-a --html site-a.html',
      'tessera audit report runs/s1/coordinator --json',
    ],
  }, 'tessera audit');
  cmd
    .argument('<transcript-dir>', 'the transcript folder (holding transcript.tlog)')
    .addOption(option('--html <file>', 'write the report as a self-contained HTML page to FILE and print its path', nonEmpty('path')))
    .option('--markdown', 'print Markdown on stdout (the default without --html and --json)')
    .option('--json', 'print the machine-readable summary as one JSON document')
    .addOption(option('--roster <file>', 'the roster file of the session: pins the transcript\'s keys and session', nonEmpty('path')));
  return action<AuditReportOptions>(cmd, ctx, (o, args) => runAuditReport(args[0]!, o, ctx.io));
}

/** Runs `tessera audit report DIR`; returns the exit code. */
export async function runAuditReport(dir: string, o: AuditReportOptions, io: Io): Promise<number> {
  const path = 'tessera audit report';
  if (o.json && o.markdown) throw new UsageError('--json and --markdown both print on stdout; choose one');
  let roster: Session | undefined;
  if (o.roster !== undefined) {
    const pin = await rosterPin(o.roster, io, { path, command: 'audit report', flag: true });
    if (typeof pin === 'number') return pin;
    roster = pin;
  }
  const summary = await auditSummary(dir, roster ? { roster } : {});
  let htmlFile: string | undefined;
  if (o.html !== undefined) {
    htmlFile = resolve(o.html);
    try {
      await writeFile(htmlFile, renderAuditHtml(summary), { mode: 0o644 });
    } catch (e) {
      io.err(`${path}: --html ${o.html} cannot be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})\n`);
      return ExitCode.FAILURE;
    }
  }
  if (o.json) printJson(io, { command: 'audit report', ...(htmlFile ? { html: htmlFile } : {}), summary });
  else {
    if (o.markdown || htmlFile === undefined) io.out(renderAuditMarkdown(summary));
    if (htmlFile !== undefined) io.out(`${htmlFile}\n`);
  }
  if (!summary.integrity.ok) {
    const f = summary.integrity.failures[0];
    io.err(`${path}: ${dir}: integrity ${f ? `${f.code}: ${f.message}` : 'failed'}\n`);
    return ExitCode.FAILURE;
  }
  return ExitCode.OK;
}
