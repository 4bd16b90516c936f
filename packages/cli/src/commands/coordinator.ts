/**
 * `tessera coordinator`: runs a session as its coordinator, from a config file, and writes each
 * round's sum to <out>/round-<r>.json.
 * @module
 */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { equalBytes } from '@tessera/crypto';
import {
  Coordinator, FileError, NodeErrorCodes, loadCoordinatorConfig, loadIdentity, loadRoster, sessionFromRoster, type CoordinatorEvent,
} from '@tessera/node';
import { WebSocketTransport, closeCodeName } from '@tessera/transport';
import type { TranscriptWriter } from '@tessera/audit';
import { openRecording } from '../recording.js';
import { action, subcommand, type Context } from '../command.js';
import { ExitCode } from '../errors.js';
import { nonEmpty, option } from '../options.js';
import { memberRanges, type Io } from '../output.js';
import { INSECURE_BANNER, ProgressLog, onShutdown, reportFailure } from '../runtime.js';

export interface CoordinatorOptions {
  readonly config: string;
  readonly json?: boolean;
}

export function coordinatorCommand(ctx: Context): Command {
  const cmd = subcommand(ctx, 'coordinator', {
    summary: 'run a session as its coordinator (relays, learns only each round\'s sum)',
    description:
      'Loads the config, the roster and the coordinator\'s identity, listens for the roster\'s members (wss://, or ws:// ' +
      'with "insecure": true), and runs every round of the session: a round starts once every member is connected, or ' +
      'minQuorum members after gatherMs; each stage closes when all have answered or at its deadline. Each finished ' +
      'round is written to <out>/round-<r>.json; an aborted round is logged and the session goes on.\n\n' +
      'Progress goes to stdout (one JSON object per line with --json; the first is {"type":"listening","address":…}). ' +
      'Ctrl-C or SIGTERM stops cleanly. Exit status: 0 when the session ran to its end with at least one round ' +
      'completed, 1 otherwise.',
    examples: ['tessera coordinator --config coordinator.json', 'tessera coordinator --config coordinator.json --json > coordinator.log'],
  });
  cmd.addOption(option('--config <file>', 'the coordinator config (JSON)', nonEmpty('path')).makeOptionMandatory()).option('--json', 'structured logs: one JSON object per line');
  return action<CoordinatorOptions>(cmd, ctx, (o) => runCoordinator(o, ctx.io));
}

export async function runCoordinator(o: CoordinatorOptions, io: Io): Promise<number> {
  const log = new ProgressLog(io, o.json ?? false);
  let coordinator: Coordinator;
  let tls: { cert: Buffer; key: Buffer } | undefined;
  let transcript: TranscriptWriter | undefined;
  try {
    const config = await loadCoordinatorConfig(o.config);
    const roster = await loadRoster(config.roster);
    const { session, rounds } = sessionFromRoster(roster, config.roster);
    const { identity, memberId } = await loadIdentity(config.identity);
    if (!equalBytes(identity.publicKey, session.serverKey))
      throw new FileError(config.identity, undefined, `holds key ${memberId}, not the roster's coordinator key (coordinator.publicKey in ${config.roster})`, NodeErrorCodes.NOT_ON_ROSTER);
    if (config.tls) tls = { cert: await readPem(config.tls.cert, o.config, 'tls.cert'), key: await readPem(config.tls.key, o.config, 'tls.key') };
    if (config.insecure) log.warn(INSECURE_BANNER);
    if (config.transcript) transcript = await openRecording(config.transcript, 0, identity, session, config.file, roster.name);
    coordinator = new Coordinator({
      transport: new WebSocketTransport(),
      session, identity, rounds,
      listen: { host: config.listen.host, port: config.listen.port, ...(tls ? { tls } : { insecure: true, warn: () => undefined }) },
      limits: config.limits,
      deadlines: config.deadlines,
      ...(config.minQuorum !== undefined ? { minQuorum: config.minQuorum } : {}),
      startTimeoutMs: config.startTimeoutMs,
      gatherMs: config.gatherMs,
      maxStrikes: config.maxStrikes,
      out: config.out,
      ...(transcript ? { transcript } : {}),
    });
    coordinator.on('event', (e) => log.event(e, describe(e)));
    log.event({ type: 'session', name: roster.name, members: session.n, threshold: session.threshold, rounds, out: config.out } as { type: string }, `session '${roster.name}': ${session.n} members, threshold t=${session.threshold}, ${rounds} round${rounds === 1 ? '' : 's'}, results in ${config.out}`);
    try {
      await coordinator.start();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (typeof code !== 'string' || !/^E[A-Z]+$/.test(code)) throw e;
      if ((e as NodeJS.ErrnoException).syscall === 'listen')
        throw new FileError(o.config, 'listen', `is ${config.listen.host}:${config.listen.port}, where the coordinator cannot listen: ${code}${code === 'EADDRINUSE' ? ' (another program uses that port)' : ''}`, NodeErrorCodes.FILE_INVALID, { cause: e });
      throw new FileError(o.config, 'out', `is ${config.out}, which cannot be created: ${code}`, NodeErrorCodes.FILE_INVALID, { cause: e });
    }
  } catch (e) {
    await transcript?.close();
    return reportFailure(io, 'tessera coordinator', e, o.json);
  }
  const dispose = onShutdown((signal) => {
    log.event({ type: 'shutdown', signal } as { type: string }, `${signal}: stopping (the round in progress is abandoned)`);
    coordinator.stop();
  });
  try {
    const summary = await coordinator.run();
    return !summary.stopped && summary.completed > 0 ? ExitCode.OK : ExitCode.FAILURE;
  } catch (e) {
    return reportFailure(io, 'tessera coordinator', e, o.json);
  } finally {
    dispose();
    await transcript?.close();
  }
}

async function readPem(file: string, config: string, field: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (e) {
    throw new FileError(config, field, `names ${file}, which cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, NodeErrorCodes.FILE_READ);
  }
}

const closeText = (code: number): string => `${code}${closeCodeName(code) ? ` ${closeCodeName(code)}` : ''}`;

/** One human line per event (none for the quiet ones). */
function describe(e: CoordinatorEvent): string | undefined {
  switch (e.type) {
    case 'listening': return `listening at ${e.address}`;
    case 'resume': return e.round >= e.rounds ? `every round of this session already ran (see the out folder); nothing to do` : `resuming the session at round ${e.round} of ${e.rounds}: earlier rounds ran before a restart`;
    case 'connected': return `member ${e.member} (${e.memberId}) connected from ${e.label}; ${e.connected} connected`;
    case 'disconnected': return `member ${e.member} disconnected (${closeText(e.closeCode)}${e.reason ? `: ${e.reason}` : ''}); ${e.connected} connected`;
    case 'refused':
      return e.closeCode !== undefined
        ? `member ${e.member} cut off (${closeText(e.closeCode)}, ${e.code}): ${e.reason}`
        : `member ${e.member}: message refused (${e.code}): ${e.reason}`;
    case 'waiting': return `round ${e.round}: waiting for members (${e.connected} connected, need ${e.minQuorum} to start)`;
    case 'round-start': return `round ${e.round}: started with ${e.participants.length} members (${memberRanges(e.participants)})`;
    case 'stage': return `round ${e.round}: ${e.stage} closed, ${e.received}/${e.expected} answered${e.closedBy === 'deadline' ? ' (deadline)' : ''}, ${e.ms} ms`;
    case 'dropout': return `round ${e.round}: dropped out at ${e.stage}: ${memberRanges(e.members)}`;
    case 'round-end':
      return e.ok
        ? `round ${e.round}: done, sum over ${e.survivors.length} members (${memberRanges(e.survivors)})${e.file ? ` -> ${e.file}` : ''}, ${e.ms} ms`
        : `round ${e.round}: ABORTED (${e.code}): ${e.reason}`;
    case 'session-end': return `session over: ${e.completed} round${e.completed === 1 ? '' : 's'} completed, ${e.aborted} aborted${e.stopped ? ' (stopped)' : ''}`;
  }
}
