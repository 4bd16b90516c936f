/**
 * `tessera node`: runs one member (a site) of a session, from a config file: dials the coordinator,
 * contributes its update each round, and exits when the session ends.
 * @module
 */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { STAGES, type Stage } from '@tessera/secagg';
import {
  FileError, FileUpdateProvider, NodeErrorCodes, NoisyUpdateProvider, Peer, budgetLine, formatDelta, formatEpsilon, loadIdentity, loadNodeConfig, loadRoster, memberIndexOf, openNodeBudget,
  privacyCost, privacyEpsilon, sessionFromRoster, type PeerEvent, type PeerFaults, type UpdateProvider,
} from '@tessera/node';
import { WebSocketTransport } from '@tessera/transport';
import type { TranscriptWriter } from '@tessera/audit';
import { openRecording } from '../recording.js';
import { action, subcommand, type Context } from '../command.js';
import { ExitCode } from '../errors.js';
import { nonEmpty, option } from '../options.js';
import type { Io } from '../output.js';
import { INSECURE_BANNER, ProgressLog, onShutdown, reportFailure } from '../runtime.js';

export interface NodeOptions {
  readonly config: string;
  readonly json?: boolean;
}

/** The environment variable that injects faults: for the fault-schedule tests only. */
export const FAULTS_ENV = 'TESSERA_FAULTS';

export function nodeCommand(ctx: Context): Command {
  const cmd = subcommand(ctx, 'node', {
    summary: 'run one member (site) of a session',
    description:
      'Loads the config, the roster and this site\'s identity, dials the coordinator (wss://, pinning the roster\'s ' +
      'coordinator key; reconnecting with backoff), and takes part in every round it is started for, reading its ' +
      'update from the input file of that round ({round} in the path is replaced by the round number). Exits 0 when ' +
      'the coordinator ends the session; exits 1 at once if the coordinator refuses this site for good (key not on ' +
      'its roster, another roster, another coordinator key).\n\n' +
      'When the roster declares session.privacy, the config needs a budget section (ledger, dataset, epsilonCap): each ' +
      'round\'s noise is added to the update, the round is checked against the cap at its start (a round that would pass ' +
      'the cap is not taken part in: ERR_BUDGET_EXCEEDED) and recorded in the ledger before the masked input is sent; ' +
      'the running ε is printed after each round.\n\n' +
      `For tests only: ${FAULTS_ENV}='{"killAfter":{"round":1,"stage":"share"}}' makes the process SIGKILL itself ` +
      'after sending that stage\'s messages in that round.',
    examples: ['tessera node --config node.json', 'tessera node --config node.json --json > node.log'],
  });
  cmd.addOption(option('--config <file>', 'the node config (JSON)', nonEmpty('path')).makeOptionMandatory()).option('--json', 'structured logs: one JSON object per line');
  return action<NodeOptions>(cmd, ctx, (o) => runNode(o, ctx.io));
}

/** Parses TESSERA_FAULTS (JSON) strictly; a RangeError names what is wrong. */
export function parseFaults(text: string): PeerFaults {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new RangeError(`${FAULTS_ENV} must be JSON such as {"killAfter":{"round":1,"stage":"share"}}`);
  }
  const o = v as { killAfter?: { round?: unknown; stage?: unknown } };
  const k = o?.killAfter;
  if (typeof o !== 'object' || o === null || Object.keys(o).some((x) => x !== 'killAfter') || typeof k !== 'object' || k === null
    || !Number.isSafeInteger(k.round) || (k.round as number) < 0 || !(STAGES as readonly unknown[]).includes(k.stage) || Object.keys(k).some((x) => x !== 'round' && x !== 'stage'))
    throw new RangeError(`${FAULTS_ENV} must be {"killAfter":{"round":<integer ≥ 0>,"stage":"${STAGES.join('"|"')}"}}`);
  return { killAfter: { round: k.round as number, stage: k.stage as Stage } };
}

export async function runNode(o: NodeOptions, io: Io): Promise<number> {
  const log = new ProgressLog(io, o.json ?? false);
  let peer: Peer;
  let transcript: TranscriptWriter | undefined;
  try {
    const config = await loadNodeConfig(o.config);
    const roster = await loadRoster(config.roster);
    const { session, rounds, privacy } = sessionFromRoster(roster, config.roster);
    const { identity, memberId } = await loadIdentity(config.identity);
    const index = memberIndexOf(session, identity.publicKey);
    if (index === undefined)
      throw new FileError(config.identity, undefined, `holds key ${memberId}, which is not a member of ${config.roster}; send its public key to the coordinator's operator (tessera roster add) and use the updated roster`, NodeErrorCodes.NOT_ON_ROSTER);
    const ca = config.ca ? await readPem(config.ca, o.config) : undefined;
    const faultsText = process.env[FAULTS_ENV];
    const faults = faultsText ? parseFaults(faultsText) : undefined;
    if (faults) log.warn(`${FAULTS_ENV} is set: this process will SIGKILL itself after ${faults.killAfter!.stage} in round ${faults.killAfter!.round} (for tests only)`);
    if (config.insecure) log.warn(INSECURE_BANNER);
    const budget = await openNodeBudget(config, privacy, config.roster);
    if (config.budget && !privacy) log.warn(`${config.file}: budget is set, but ${config.roster} declares no session.privacy: no noise is added and the ledger is not touched`);
    const files = new FileUpdateProvider({ pattern: config.input, ...(config.format ? { format: config.format } : {}), bits: session.bits, vectorLength: session.vectorLength });
    const provider: UpdateProvider = privacy ? new NoisyUpdateProvider({ base: files, privacy, session }) : files;
    if (config.transcript) transcript = await openRecording(config.transcript, index, identity, session, config.file, roster.name);
    peer = new Peer({
      transport: new WebSocketTransport(),
      address: config.coordinator,
      session, identity,
      provider,
      ...(budget ? { budget } : {}),
      dial: { ...(ca ? { ca } : {}), ...(config.insecure ? { insecure: true } : {}) },
      limits: config.limits,
      reconnect: config.reconnect,
      ...(faults ? { faults } : {}),
      ...(transcript ? { transcript } : {}),
    });
    peer.on('event', (e) => log.event(e, describe(e)));
    log.event({ type: 'session', name: roster.name, member: index, memberId, rounds, coordinator: config.coordinator } as { type: string }, `session '${roster.name}': member ${index} (${memberId}) of ${session.n}, ${rounds} round${rounds === 1 ? '' : 's'}, coordinator ${config.coordinator}`);
    if (privacy && budget) {
      const worst = privacyEpsilon(privacy, session, rounds);
      const total = budget.ledger.total(budget.dataset, budget.cap.delta);
      log.event(
        { type: 'privacy', mechanism: privacy.mechanism, localStddev: privacy.localStddev, l2Clip: privacy.l2Clip, delta: privacy.delta, unit: privacy.unit, epsilonPerRound: worst.perRound, ledger: budget.ledger.file } as { type: string },
        `privacy: this session adds discrete Gaussian noise (stddev ${privacy.localStddev}) to updates clipped to L2 norm ${privacy.l2Clip}; each round costs at most ε = ${formatEpsilon(worst.perRound)} (δ = ${formatDelta(privacy.delta)}, only t = ${session.threshold} sites' noise present); ledger ${budget.ledger.file}`,
      );
      const next = budget.ledger.check(budget.dataset, privacyCost(privacy, session), budget.cap);
      if (!next.ok) log.warn(`dataset '${budget.dataset}': ε is ${formatEpsilon(next.epsilonNow)} and one more round of this session would raise it to ${formatEpsilon(next.epsilonAfter, budget.cap.epsilon)}, above the cap ε = ${budget.cap.epsilon}: this node will not take part in any round of this session`);
      log.event({ type: 'budget', dataset: budget.dataset, epsilon: total.epsilon, cap: budget.cap.epsilon, delta: budget.cap.delta, rounds: total.rounds, unit: total.unit, conversion: 'improved' } as { type: string }, budgetLine(total, budget.cap));
    }
  } catch (e) {
    await transcript?.close();
    return reportFailure(io, 'tessera node', e, o.json);
  }
  let stopped = false;
  const dispose = onShutdown((signal) => {
    stopped = true;
    log.event({ type: 'shutdown', signal } as { type: string }, `${signal}: leaving the session`);
    peer.stop();
  });
  try {
    await peer.run();
    return stopped ? ExitCode.FAILURE : ExitCode.OK;
  } catch (e) {
    return reportFailure(io, 'tessera node', e, o.json);
  } finally {
    dispose();
    await transcript?.close();
  }
}

async function readPem(file: string, config: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (e) {
    throw new FileError(config, 'ca', `names ${file}, which cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, NodeErrorCodes.FILE_READ);
  }
}

/** A TLS verification failure is a configuration problem more often than a network one: say what to check. */
function certificateHint(reason: string): string {
  return /certificate|self[- ]signed|CERT_|unable to verify/i.test(reason)
    ? ' (the coordinator\'s TLS certificate was not trusted: set "ca" in the node config to the PEM file of the CA that signed it, and check the host name in "coordinator")'
    : '';
}

function describe(e: PeerEvent): string | undefined {
  switch (e.type) {
    case 'connected': return `connected to ${e.address} as member ${e.member}`;
    case 'disconnected': return `disconnected (close ${e.closeCode}${e.reason ? `: ${e.reason}` : ''})`;
    case 'retry': return `cannot reach the coordinator (${e.code}${e.reason ? `: ${e.reason}` : ''}); retrying in ${e.inMs} ms${certificateHint(e.reason)}`;
    case 'round-start': return e.participating ? `round ${e.round}: started (${e.participants} members)` : `round ${e.round}: started without this member`;
    case 'stage': return `round ${e.round}: sent ${e.stage} (${e.sent} message${e.sent === 1 ? '' : 's'})`;
    case 'round-end':
      return e.ok
        ? `round ${e.round}: done, ${e.included ? 'this update is in the sum' : 'this update is NOT in the sum'} (${e.survivors} members)`
        : `round ${e.round}: aborted by the coordinator (${e.code ?? 'no code'})`;
    case 'error': return `${e.round !== undefined ? `round ${e.round}: ` : ''}${e.fatal ? 'ERROR' : 'warning'} ${e.code}: ${e.message}`;
    case 'session-end': return `session over after ${e.rounds} round${e.rounds === 1 ? '' : 's'}`;
    case 'budget': return `round ${e.round}: ${budgetLine(e, { epsilon: e.cap, delta: e.delta })}`;
    case 'budget-refused': return `round ${e.round}: NOT TAKING PART ${e.code}: ${e.message}`;
  }
}
