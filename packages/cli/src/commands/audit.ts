/**
 * `tessera audit`: auditing protocol transcripts (issue 7). `audit verify` checks one transcript — its
 * integrity (hash chain, signatures, the roster) and the protocol's invariants (stage order, never both
 * shares of a member, consistent survivor sets, the recomputed sum, the published updates, the ε
 * reported) — and exits 0 only when everything passed. `audit cross-check` and `audit report` live in
 * their own modules.
 * @module
 */
import { Command } from 'commander';
import { auditTranscript, formatFailure, type AuditReport } from '@tessera/audit';
import { action, configure, subcommand, type Context } from '../command.js';
import { ExitCode } from '../errors.js';
import { nonEmpty, option } from '../options.js';
import { printJson, type Io } from '../output.js';
import { rosterPin } from '../roster-pin.js';
import { auditCrossCheckCommand } from './audit-cross-check.js';
import { auditReportCommand } from './audit-report.js';

export interface AuditVerifyOptions {
  readonly roster: string;
  readonly partial?: boolean;
  readonly requireBlobs?: boolean;
  readonly json?: boolean;
}

export function auditCommand(ctx: Context): Command {
  const audit = configure(new Command('audit'), ctx, 'tessera audit')
    .summary('verify protocol transcripts (integrity and protocol checks)')
    .description(
      'The coordinator and every node can record a signed, hash-chained transcript of every protocol message they sent or ' +
      'received (docs/transcript.md). These commands check such transcripts: that they are exactly what their recorder wrote, ' +
      'made of messages really signed by parties on the roster, and that the protocol was followed.',
    )
    .addHelpText('after', '\nExamples:\n  $ tessera audit verify runs/s1/coordinator --roster roster.json\n  $ tessera audit verify runs/s1/coordinator --roster roster.json --json\n');
  audit.addCommand(verifyCommand(ctx));
  audit.addCommand(auditCrossCheckCommand(ctx));
  audit.addCommand(auditReportCommand(ctx));
  return audit;
}

function verifyCommand(ctx: Context): Command {
  const cmd = subcommand(ctx, 'verify', {
    summary: 'check one transcript: integrity, then the protocol checks',
    description:
      'Checks the transcript folder (transcript.tlog and blobs/) against the roster file the nodes use: framing, the hash chain, ' +
      'every signature, then the protocol checks stage-order, both-shares, survivor-set, sum, update and privacy ' +
      '(docs/transcript.md, "Protocol checks"). Exits 0 only when integrity holds and every check passes; a check that cannot ' +
      'be run on this transcript (e.g. the sum, on a member\'s transcript) is "not checkable", which is not a pass (exit 1). ' +
      'On failure prints the first failing entry, the check and why.',
    examples: [
      'tessera audit verify runs/s1/coordinator --roster roster.json',
      'tessera audit verify runs/s1/coordinator --roster roster.json --json',
      'tessera audit verify runs/s1/site-a --roster roster.json --partial',
    ],
  }, 'tessera audit');
  cmd
    .argument('<transcript-dir>', 'the transcript folder (holding transcript.tlog)')
    .addOption(option('--roster <file>', 'the roster file of the session (the one the nodes load)', nonEmpty('path')).makeOptionMandatory())
    .option('--partial', 'accept a transcript without its close note or with a torn last record (a crashed or running recorder)')
    .option('--require-blobs', 'fail on digest-only entries instead of listing them as unverifiable')
    .option('--json', 'print the full report as one JSON document');
  return action<AuditVerifyOptions>(cmd, ctx, (o, args) => runAuditVerify(args[0]!, o, ctx.io));
}

/** Runs `tessera audit verify DIR`; returns the exit code. */
export async function runAuditVerify(dir: string, o: AuditVerifyOptions, io: Io): Promise<number> {
  const path = 'tessera audit verify';
  const session = await rosterPin(o.roster, io, { path, command: 'audit verify', ...(o.json ? { json: true } : {}) });
  if (typeof session === 'number') return session;
  const report = await auditTranscript(dir, { roster: session, ...(o.partial ? { allowPartial: true } : {}), ...(o.requireBlobs ? { requireBlobs: true } : {}) });
  if (o.json) {
    printJson(io, { command: 'audit verify', dir, roster: o.roster, ...report });
    return report.ok ? ExitCode.OK : ExitCode.FAILURE;
  }
  printHuman(io, dir, report);
  if (!report.ok && report.first) io.err(`${path}: ${formatFailure(report.first)}\n`);
  else if (!report.ok) {
    const nc = report.checks.find((c) => c.status === 'not-checkable');
    io.err(`${path}: ${nc ? `check ${nc.id} is not checkable: ${nc.notCheckable[0]?.reason ?? nc.summary}` : 'the transcript did not pass'}\n`);
  }
  return report.ok ? ExitCode.OK : ExitCode.FAILURE;
}

const who = (r: number | null): string => (r === null ? 'unknown recorder' : r === 0 ? 'the coordinator' : `member ${r}`);

function printHuman(io: Io, dir: string, r: AuditReport): void {
  const c = r.counts;
  io.out(`transcript ${dir}: ${c.entries} entries recorded by ${who(r.recorder)}; ${c.rounds} round${c.rounds === 1 ? '' : 's'} (${c.completedRounds} completed, ${c.abortedRounds} aborted)\n`);
  const integrity = r.integrity.ok
    ? `pass (${r.integrity.verified} entries verified${r.integrity.unverifiable.length ? `, ${r.integrity.unverifiable.length} digest-only` : ''}${r.integrity.closed ? ', closed' : ', not closed'})`
    : `FAIL (${r.integrity.failures[0]?.code ?? 'failed'})`;
  io.out(`  ${'integrity'.padEnd(13)} ${integrity}\n`);
  for (const check of r.checks) {
    const status = check.status === 'pass' ? 'pass' : check.status === 'fail' ? 'FAIL' : 'NOT CHECKABLE';
    io.out(`  ${check.id.padEnd(13)} ${status}: ${check.summary}\n`);
  }
  if (r.privacy) {
    const p = r.privacy;
    const eps = (x: number | null): string => (x === null ? '∞' : x.toPrecision(6));
    io.out(`  ε spent ${eps(p.epsilon)} at δ = ${p.delta} over ${p.rounds} round${p.rounds === 1 ? '' : 's'} (worst case ${eps(p.epsilonWorstCase)})` +
      `${p.epsilonTarget === null ? '' : `; target ${p.epsilonTarget}${p.withinTarget ? ', within it' : ', EXCEEDED'}`}\n`);
  }
  io.out(r.ok ? `verdict: PASS — integrity holds and all ${r.checks.length} protocol checks pass\n`
    : `verdict: FAIL — ${r.first ? formatFailure(r.first) : `${c.notCheckable} check${c.notCheckable === 1 ? '' : 's'} not checkable`}\n`);
}
