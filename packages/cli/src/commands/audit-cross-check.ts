/**
 * `tessera audit cross-check`: the coordinator's transcript against members' transcripts. Every
 * coordinator message a member received must be in the coordinator's transcript with the same bytes,
 * and what the coordinator told different members where the protocol requires the same (U3, the dropped
 * set, participants, round outcomes, publications) must agree; otherwise the coordinator equivocated, and
 * the two coordinator-signed envelopes are printed as evidence. Exit 0: no equivocation and every
 * transcript intact; 1 otherwise.
 * @module
 */
import { Command } from 'commander';
import { crossCheck, type CrossCheckReport, type TranscriptVerdict } from '@tessera/audit';
import type { Session } from '@tessera/secagg';
import { action, subcommand, type Context } from '../command.js';
import { ExitCode } from '../errors.js';
import { nonEmpty, option } from '../options.js';
import { printJson, type Io } from '../output.js';
import { rosterPin } from '../roster-pin.js';

export interface AuditCrossCheckOptions {
  readonly roster?: string;
  readonly partial?: boolean;
  readonly json?: boolean;
}

export function auditCrossCheckCommand(ctx: Context): Command {
  const cmd = subcommand(ctx, 'cross-check', {
    summary: "compare the coordinator's transcript with members' transcripts (equivocation)",
    description:
      'Verifies each transcript\'s integrity, then compares what the coordinator recorded with what each member recorded: every ' +
      'message a member received from the coordinator must be in the coordinator\'s transcript as sent to it, with the same bytes ' +
      '(SHA-256 of the envelope); every message a member sent should be in it as received (if not: a warning, e.g. the member ' +
      'disconnected). The coordinator must have told every member the same survivor set (U3), dropped set, participants, round ' +
      'outcome and publication of a round. A disagreement is EQUIVOCATION: the two coordinator-signed envelopes are printed ' +
      '(round, type, members, SHA-256 of both envelopes, the differing values) and are transferable evidence. ' +
      'Exits 0 when there is no equivocation and every transcript is intact, 1 otherwise (docs/transcript.md, "Cross-checking transcripts").',
    examples: [
      'tessera audit cross-check runs/s1/coordinator runs/s1/site-a runs/s1/site-b --roster roster.json',
      'tessera audit cross-check runs/s1/coordinator runs/s1/site-* --json',
    ],
  }, 'tessera audit');
  cmd
    .argument('<coordinator-dir>', "the coordinator's transcript folder")
    .argument('<peer-dir...>', "members' transcript folders (any subset of the members)")
    .addOption(option('--roster <file>', 'the roster file of the session: pins every transcript\'s keys and session', nonEmpty('path')))
    .option('--partial', 'accept transcripts without their close note or with a torn last record (crashed or running recorders)')
    .option('--json', 'print the full report as one JSON document');
  return action<AuditCrossCheckOptions>(cmd, ctx, (o, args) => {
    const peers = (Array.isArray(args[1]) ? args[1] : args.slice(1)) as readonly string[];
    return runAuditCrossCheck(args[0]!, peers, o, ctx.io);
  });
}

const who = (v: TranscriptVerdict): string => (v.recorder === null ? 'unknown' : v.recorder === 0 ? 'coordinator' : `member ${v.recorder}`);

/** Runs `tessera audit cross-check`; returns the exit code. */
export async function runAuditCrossCheck(coordinatorDir: string, peerDirs: readonly string[], o: AuditCrossCheckOptions, io: Io): Promise<number> {
  const path = 'tessera audit cross-check';
  let roster: Session | undefined;
  if (o.roster !== undefined) {
    const pin = await rosterPin(o.roster, io, { path, command: 'audit cross-check', flag: true, ...(o.json ? { json: true } : {}) });
    if (typeof pin === 'number') return pin;
    roster = pin;
  }
  const report = await crossCheck(coordinatorDir, peerDirs, { ...(roster ? { roster } : {}), ...(o.partial ? { allowPartial: true } : {}) });
  if (o.json) {
    printJson(io, { command: 'audit cross-check', coordinatorDir, peerDirs, ...(o.roster ? { roster: o.roster } : {}), ...report });
    return report.ok ? ExitCode.OK : ExitCode.FAILURE;
  }
  printHuman(io, report);
  if (!report.ok) io.err(`${path}: ${report.findings.find((f) => f.severity === 'error')!.message}\n`);
  return report.ok ? ExitCode.OK : ExitCode.FAILURE;
}

function printHuman(io: Io, r: CrossCheckReport): void {
  for (const v of [r.coordinator, ...r.peers]) {
    const state = v.ok ? `intact (${v.entries} entries, ${v.messages} messages${v.closed ? '' : ', not closed'})` : `INTEGRITY FAILURE ${v.first?.code ?? ''}`;
    io.out(`${who(v).padEnd(12)} ${v.dir}: ${state}\n`);
  }
  for (const f of r.findings) io.out(f.severity === 'error' ? `${f.message}\n` : `warning: ${f.message}\n`);
  const c = r.counts;
  io.out(r.ok
    ? `verdict: PASS — no equivocation among ${r.peers.length} member transcript${r.peers.length === 1 ? '' : 's'} and the coordinator's${c.warnings ? ` (${c.warnings} warning${c.warnings === 1 ? '' : 's'})` : ''}\n`
    : `verdict: FAIL — ${c.equivocations} equivocation finding${c.equivocations === 1 ? '' : 's'}, ${c.integrity} integrity failure${c.integrity === 1 ? '' : 's'}, ${c.errors - c.equivocations - c.integrity} other error${c.errors - c.equivocations - c.integrity === 1 ? '' : 's'}\n`);
}
