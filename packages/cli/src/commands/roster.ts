/**
 * `tessera roster create | add | show`: the roster file every party of a session loads (who takes
 * part, with which keys, and the session parameters).
 * @module
 */
import { Command } from 'commander';
import { fromHex, toHex } from '@tessera/crypto';
import { MAX_VECTOR_LENGTH } from '@tessera/secagg';
import {
  MAX_LOCAL_STDDEV, MAX_ROUNDS, MIN_LOCAL_STDDEV, addMember, createRoster, formatDelta, formatEpsilon, loadIdentity, loadRoster, memberId, privacyEpsilon, sessionFromRoster, writeRoster,
  type Roster, type SessionSettings,
} from '@tessera/node';
import { InvalidArgumentError } from 'commander';
import { action, configure, subcommand, type Context } from '../command.js';
import { ExitCode, UsageError } from '../errors.js';
import { choice, decimal, fraction, integer, nonEmpty, option } from '../options.js';
import { keyValues, percent, printJson, table, type Io } from '../output.js';
import { reportFailure } from '../runtime.js';

const hexKey = (value: string): string => {
  const v = value.trim().toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(v)) throw new InvalidArgumentError('expected 64 hex characters (an Ed25519 public key)');
  return v;
};
const name = (value: string): string => {
  if (value.length === 0 || value.length > 64 || /[\u0000-\u001f\u007f]/.test(value)) throw new InvalidArgumentError('expected 1 to 64 characters without control characters');
  return value;
};

export interface RosterCreateOptions {
  readonly out: string;
  readonly name: string;
  readonly coordinatorName: string;
  readonly coordinatorKey?: string;
  readonly coordinatorIdentity?: string;
  readonly bits: number;
  readonly length: number;
  readonly rounds: number;
  readonly graph: 'auto' | 'complete';
  readonly dropout: number;
  readonly threat: 'malicious' | 'semi-honest';
  readonly threshold?: number;
  /** session.privacy: the noise stddev S each site adds (with dpL2Clip). */
  readonly dpLocalStddev?: number;
  readonly dpL2Clip?: number;
  readonly dpDelta?: number;
  readonly dpUnit?: 'site';
  readonly json?: boolean;
}
export interface RosterAddOptions {
  readonly name: string;
  readonly key?: string;
  readonly identity?: string;
  readonly json?: boolean;
}
export interface RosterShowOptions {
  readonly json?: boolean;
}

export function rosterCommand(ctx: Context): Command {
  const roster = configure(new Command('roster'), ctx, 'tessera roster')
    .summary('create a session roster, add members, show it')
    .description(
      'The roster is the one file every party of a session loads: the session id, the coordinator\'s key, every ' +
      "member's key (member index = position, from 1) and the session parameters. Create it on the coordinator's " +
      'machine, add each site\'s public key, then give every site the same file. Any difference in it makes the ' +
      "session digest differ, and parties with different digests never connect; 'roster show' prints the digest so " +
      'sites can compare it.',
    )
    .addHelpText('after', '\nExamples:\n  $ tessera roster create --out roster.json --name trial --coordinator-identity keys/identity.json --length 1000 --rounds 10\n  $ tessera roster add roster.json --name site-a --key 3b6a27bc…\n  $ tessera roster show roster.json\n');
  roster.addCommand(createCommand(ctx));
  roster.addCommand(addCommand(ctx));
  roster.addCommand(showCommand(ctx));
  return roster;
}

function createCommand(ctx: Context): Command {
  const cmd = subcommand(ctx, 'create', {
    summary: 'create a roster with no members yet',
    description:
      'Creates a roster with a fresh random session id, the coordinator\'s public key (given as hex, or read from its ' +
      'identity file) and the session parameters. Refuses to overwrite FILE. Add members with \'tessera roster add\'.\n\n' +
      'With --dp-local-stddev S and --dp-l2-clip C the session spends privacy (session.privacy): every site checks its ' +
      'update (words read as signed integers) has L2 norm at most C, adds discrete Gaussian noise of stddev S to every ' +
      'coordinate, and records each round in its privacy ledger; \'roster show\' prints the worst-case ε.',
    examples: [
      'tessera roster create --out roster.json --name trial --coordinator-identity keys/identity.json --length 1000 --rounds 10',
      'tessera roster create --out roster.json --name pilot --coordinator-key 3b6a27bc… --bits 16 --length 64 --rounds 3 --dropout 0.2',
      'tessera roster create --out roster.json --name dp --coordinator-identity keys/identity.json --length 1000 --rounds 10 --dp-local-stddev 40 --dp-l2-clip 100 --dp-delta 1e-5',
    ],
  }, 'tessera roster');
  cmd
    .addOption(option('--out <file>', 'roster file to create', nonEmpty('path')).makeOptionMandatory())
    .addOption(option('--name <name>', 'name of the session', name).makeOptionMandatory())
    .addOption(option('--coordinator-key <hex>', "the coordinator's public key (64 hex)", hexKey))
    .addOption(option('--coordinator-identity <file>', "read the coordinator's public key from its identity file", nonEmpty('path')))
    .addOption(option('--coordinator-name <name>', "the coordinator's name", name, 'coordinator'))
    .addOption(option('--bits <b>', 'values are integers mod 2^b', integer(1, 32), 32))
    .addOption(option('--length <d>', 'words in every update vector', integer(1, MAX_VECTOR_LENGTH)).makeOptionMandatory())
    .addOption(option('--rounds <r>', 'rounds in the session', integer(1, MAX_ROUNDS)).makeOptionMandatory())
    .addOption(choice('--graph <kind>', 'neighbour graph: sparsest meeting the targets, or complete', ['auto', 'complete'] as const, 'auto'))
    .addOption(option('--dropout <fraction>', 'expected fraction of members dropping out per round', fraction(), 0.1))
    .addOption(choice('--threat <model>', 'what the coordinator may do', ['malicious', 'semi-honest'] as const, 'malicious'))
    .addOption(option('--threshold <t>', 'Shamir threshold t (default: derived; see tessera params)', integer(1, 1_000_000)))
    .addOption(option('--dp-local-stddev <S>', 'distributed DP: stddev of the discrete Gaussian noise each site adds to every coordinate (needs --dp-l2-clip)', decimal(MIN_LOCAL_STDDEV, MAX_LOCAL_STDDEV, true)))
    .addOption(option('--dp-l2-clip <C>', 'distributed DP: largest L2 norm of a site\'s update (words read as signed integers)', decimal(0, 2 ** 40)))
    .addOption(option('--dp-delta <δ>', 'distributed DP: δ of the (ε, δ) guarantee (default 1e-5)', decimal(0, 0.999999)))
    .addOption(choice('--dp-unit <unit>', 'distributed DP: unit of privacy (the secure sum protects one site\'s whole update)', ['site'] as const))
    .option('--json', 'print the roster as JSON');
  return action<RosterCreateOptions>(cmd, ctx, (o) => runRosterCreate(o, ctx.io));
}

export async function runRosterCreate(o: RosterCreateOptions, io: Io): Promise<number> {
  if ((o.coordinatorKey === undefined) === (o.coordinatorIdentity === undefined)) throw new UsageError('give exactly one of --coordinator-key or --coordinator-identity');
  const dp = o.dpLocalStddev !== undefined || o.dpL2Clip !== undefined;
  if (dp && (o.dpLocalStddev === undefined || o.dpL2Clip === undefined)) throw new UsageError('give both --dp-local-stddev and --dp-l2-clip (or neither)');
  if (!dp && (o.dpDelta !== undefined || o.dpUnit !== undefined)) throw new UsageError('--dp-delta and --dp-unit need --dp-local-stddev and --dp-l2-clip');
  try {
    const publicKey = o.coordinatorKey ?? (await loadIdentity(o.coordinatorIdentity!)).publicKeyHex;
    const session: SessionSettings = {
      bits: o.bits, vectorLength: o.length, rounds: o.rounds, graph: o.graph, dropoutRate: o.dropout, threat: o.threat,
      ...(o.threshold !== undefined ? { threshold: o.threshold } : {}),
      ...(dp ? { privacy: { mechanism: 'ddgauss', localStddev: o.dpLocalStddev!, l2Clip: o.dpL2Clip!, delta: o.dpDelta ?? 1e-5, unit: o.dpUnit ?? 'site' } } : {}),
    };
    const roster = createRoster({ name: o.name, coordinator: { name: o.coordinatorName, publicKey }, session });
    await writeRoster(o.out, roster);
    if (o.json) printJson(io, { command: 'roster create', file: o.out, roster });
    else io.out(`created ${o.out}: session '${roster.name}' (${roster.sessionId}), coordinator ${memberId(fromHex(publicKey))}, no members yet.\nAdd members with: tessera roster add ${o.out} --name NAME --key HEX\n`);
    return ExitCode.OK;
  } catch (e) {
    return reportFailure(io, 'tessera roster create', e);
  }
}

function addCommand(ctx: Context): Command {
  const cmd = subcommand(ctx, 'add', {
    summary: 'add a member (its public key) to a roster',
    description:
      'Appends a member to FILE; its index is its position (1-based). Refuses a name or key already on the roster. ' +
      'The roster changes, so give every party the final file once all members are added.',
    examples: ['tessera roster add roster.json --name site-a --key 3b6a27bc…', 'tessera roster add roster.json --name site-b --identity site-b/identity.json'],
  }, 'tessera roster');
  cmd
    .argument('<file>', 'the roster file')
    .addOption(option('--name <name>', "the member's name", name).makeOptionMandatory())
    .addOption(option('--key <hex>', "the member's public key (64 hex, as printed by tessera keygen)", hexKey))
    .addOption(option('--identity <file>', "read the member's public key from its identity file", nonEmpty('path')))
    .option('--json', 'print one JSON document');
  return action<RosterAddOptions>(cmd, ctx, (o, args) => runRosterAdd(args[0]!, o, ctx.io));
}

export async function runRosterAdd(file: string, o: RosterAddOptions, io: Io): Promise<number> {
  if ((o.key === undefined) === (o.identity === undefined)) throw new UsageError('give exactly one of --key or --identity');
  try {
    const publicKey = o.key ?? (await loadIdentity(o.identity!)).publicKeyHex;
    const roster = addMember(await loadRoster(file), { name: o.name, publicKey });
    await writeRoster(file, roster, { overwrite: true });
    const index = roster.members.length;
    const id = memberId(fromHex(publicKey));
    if (o.json) printJson(io, { command: 'roster add', file, member: index, name: o.name, memberId: id, publicKey, members: index });
    else io.out(`added member ${index} '${o.name}' (${id}) to ${file}; ${index} member${index === 1 ? '' : 's'} now.\n`);
    return ExitCode.OK;
  } catch (e) {
    return reportFailure(io, 'tessera roster add', e);
  }
}

function showCommand(ctx: Context): Command {
  const cmd = subcommand(ctx, 'show', {
    summary: 'show a roster, its derived k and t, and its session digest',
    description:
      'Prints the session, the coordinator and members with their member ids, the parameters and the k and t they ' +
      'lead to, and the session digest: every party must see the same digest, or they will not connect.',
    examples: ['tessera roster show roster.json', 'tessera roster show roster.json --json'],
  }, 'tessera roster');
  cmd.argument('<file>', 'the roster file').option('--json', 'print one JSON document');
  return action<RosterShowOptions>(cmd, ctx, (o, args) => runRosterShow(args[0]!, o, ctx.io));
}

interface Derived {
  k: number;
  t: number;
  graph: string;
  digest: string;
  warning?: string;
  /** Worst-case ε (only t survivors' noise present) of one round and of every round, at the roster's δ. */
  privacy?: { epsilonPerRound: number | null; epsilonAllRounds: number | null; delta: number; conversion: 'improved'; worstCaseClients: number };
}

/** k, t, the digest and the worst-case ε, when the roster can run a session. */
function derived(roster: Roster, file: string): Derived | { error: string } {
  try {
    const s = sessionFromRoster(roster, file);
    const warning = s.explicitThreshold && s.session.threshold < s.derivedThreshold
      ? `session.threshold ${s.session.threshold} is below the derived ${s.derivedThreshold}: the ${roster.session.threat} threat model's security target is not met`
      : undefined;
    let privacy: Derived['privacy'];
    if (s.privacy) {
      const e = privacyEpsilon(s.privacy, s.session, s.rounds);
      const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);
      privacy = { epsilonPerRound: finite(e.perRound), epsilonAllRounds: finite(e.total), delta: s.privacy.delta, conversion: 'improved', worstCaseClients: s.session.threshold };
    }
    return { k: s.parameters.degree, t: s.session.threshold, graph: s.session.graph.kind, digest: toHex(s.session.digest), ...(warning ? { warning } : {}), ...(privacy ? { privacy } : {}) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

export async function runRosterShow(file: string, o: RosterShowOptions, io: Io): Promise<number> {
  let roster: Roster;
  try {
    roster = await loadRoster(file);
  } catch (e) {
    return reportFailure(io, 'tessera roster show', e);
  }
  const d = derived(roster, file);
  const members = roster.members.map((m, i) => ({ index: i + 1, name: m.name, memberId: memberId(fromHex(m.publicKey)), publicKey: m.publicKey }));
  if (o.json) {
    printJson(io, { command: 'roster show', file, roster, coordinatorId: memberId(fromHex(roster.coordinator.publicKey)), members, derived: d });
    return ExitCode.OK;
  }
  const s = roster.session;
  io.out(keyValues([
    ['session', `${roster.name} (id ${roster.sessionId})`],
    ['coordinator', `${roster.coordinator.name} ${memberId(fromHex(roster.coordinator.publicKey))}`],
    ['parameters', `${s.rounds} round${s.rounds === 1 ? '' : 's'} of ${s.vectorLength} values mod 2^${s.bits}, ${percent(s.dropoutRate)} expected dropout, ${s.threat} coordinator, graph ${s.graph}${s.threshold !== undefined ? `, threshold ${s.threshold}` : ''}`],
    ...('error' in d
      ? [['not runnable', d.error] as const]
      : [['k and t', `${d.graph} graph, k=${d.k} neighbours, threshold t=${d.t}`] as const, ['digest', d.digest] as const]),
    ...(s.privacy
      ? [['privacy', `distributed discrete Gaussian: each site adds noise of stddev ${s.privacy.localStddev} to updates of L2 norm ≤ ${s.privacy.l2Clip} (unit: ${s.privacy.unit})`] as const,
        ...(!('error' in d) && d.privacy
          ? [['worst-case ε', `${formatEpsilon(d.privacy.epsilonPerRound ?? Infinity)} per round, ${formatEpsilon(d.privacy.epsilonAllRounds ?? Infinity)} over all ${s.rounds} rounds at δ = ${formatDelta(s.privacy.delta)} (only t=${d.t} sites' noise present; improved RDP conversion)`] as const]
          : [])]
      : []),
  ]));
  if (members.length > 0) {
    const tbl = table(['#', 'name', 'member id', 'public key']);
    for (const m of members) tbl.push([String(m.index), m.name, m.memberId, m.publicKey]);
    io.out(tbl.toString() + '\n');
  } else io.out('no members yet\n');
  if (!('error' in d) && d.warning) io.err(`warning: ${d.warning}\n`);
  return ExitCode.OK;
}
