/**
 * `tessera demo`: one secure-sum round among simulated sites, in process, showing who dropped out,
 * whether the coordinator recovered exactly the survivors' sum, and what each party saw.
 * @module
 */
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { generateIdentity, randomBelow, seededRandom, systemRandom, type RandomSource } from '@tessera/crypto';
import {
  ErrorCodes, MAX_VECTOR_LENGTH, SERVER_TYPES, STAGES, SecAggError, createSession, runRound, type Delivery, type Stage, type ThreatModel,
} from '@tessera/secagg';
import { action, subcommand, type Context } from '../command.js';
import { ExitCode, UsageError } from '../errors.js';
import { choice, fraction, integer, nonEmpty, option, pairList } from '../options.js';
import {
  bytesText, formatLog2, keyValues, memberRanges, msText, percent, printJson, printWarnings, roundMs, table, wrap, type Io,
} from '../output.js';
import { GRAPH_CHOICES, THREAT_CHOICES, parametersJson, plan, thresholdWarnings, type GraphChoice, type PlanRequest } from '../parameters.js';
import { byteEntropy, coordinatorView, decodeDeliveries, plainMessage, siteViews, type CoordinatorView, type SiteView } from '../transcript.js';

/** Largest demo: everything runs in one process. */
export const DEMO_MAX_SITES = 1000;
export const DEMO_MAX_LENGTH = Math.min(MAX_VECTOR_LENGTH, 1_000_000);
/** Words of the sum shown in the report. */
const SUM_PREVIEW = 8;

export interface DemoOptions {
  readonly sites: number;
  readonly length: number;
  readonly bits: number;
  readonly dropout: number;
  readonly drop?: ReadonlyMap<number, Stage>;
  readonly corrupt: number;
  readonly threat: ThreatModel;
  readonly graph: GraphChoice;
  readonly threshold?: number;
  readonly seed?: string;
  readonly json?: boolean;
}

/** What a site that drops at each stage did not do. */
const STAGE_MEANING: Record<Stage, string> = {
  advertise: 'never advertised its keys (not in the sum)',
  share: 'left before sending its encrypted shares (not in the sum)',
  masked: 'left before sending its masked vector (not in the sum)',
  consistency: 'left after sending its masked vector (in the sum)',
  unmask: 'left before revealing shares (in the sum)',
};

const parseDrop = pairList<number, Stage>((site, stage) => {
  const u = integer(1, DEMO_MAX_SITES)(site);
  if (!(STAGES as readonly string[]).includes(stage)) throw new InvalidArgumentError(`stage '${stage}' is not one of ${STAGES.join(', ')}`);
  return [u, stage as Stage];
}, 'SITE:STAGE');

export function demoCommand(ctx: Context): Command {
  const cmd = subcommand(ctx, 'demo', {
    summary: 'run one secure-sum round among simulated sites and show what each party saw',
    description:
      'Runs one secure-aggregation round in this process: N simulated sites each hold a random vector, some ' +
      'drop out at random stages, and the coordinator recovers the sum over the survivors without seeing ' +
      'any single input. Prints the parameters, the dropouts, whether the recovered sum equals the plaintext ' +
      'sum over the survivors, timings, and what the coordinator and each site saw.\n\n' +
      'Each site draws its words from [0, 2^bits / N) so that the sum does not wrap. --dropout is the rate ' +
      'k and t are derived for and, unless --drop lists the dropouts, the fraction of sites that drop (each ' +
      'at a random stage). With --seed the whole run (keys, inputs, dropouts, masks) is reproducible; ' +
      'without it everything comes from the system CSPRNG.\n\n' +
      'Exit status: 0 the sum was recovered correctly, 1 the round aborted (or the sum was wrong), 2 usage error.',
    examples: [
      'tessera demo',
      'tessera demo --seed 1 --sites 20 --dropout 0.2',
      'tessera demo --sites 10 --drop 3:masked,5:share,7:unmask --json',
    ],
  });
  cmd
    .addOption(option('--sites <n>', 'number of sites N', integer(2, DEMO_MAX_SITES), 8))
    .addOption(option('--length <d>', 'words per vector d', integer(1, DEMO_MAX_LENGTH), 1000))
    .addOption(option('--bits <b>', 'bits per word: vectors live in Z_2^b', integer(1, 32), 16))
    .addOption(option('--dropout <fraction>', 'expected dropout rate; that fraction of sites drops unless --drop is given', fraction(), 0.25))
    .addOption(option('--drop <site:stage,...>', `explicit dropouts; stages: ${STAGES.join(', ')}`, parseDrop))
    .addOption(option('--corrupt <fraction>', 'fraction of sites that may collude with the coordinator', fraction(), 0.05))
    .addOption(choice('--threat <model>', 'what the coordinator may do', THREAT_CHOICES, 'malicious'))
    .addOption(choice('--graph <kind>', 'neighbour graph: sparsest meeting the targets, complete, or sparse', GRAPH_CHOICES, 'auto'))
    .addOption(option('--threshold <t>', 'override the derived Shamir threshold t (1..k)', integer(1, DEMO_MAX_SITES)))
    .addOption(option('--seed <s>', 'make the whole run reproducible from this string', nonEmpty('seed')))
    .option('--json', 'print one JSON document instead of the report');
  return action<DemoOptions>(cmd, ctx, (o) => runDemo(o, ctx.io));
}

/** d words uniform in [0, bound) (bound ≤ 2^31; the modulo bias is below 2^-16 for bound ≤ 2^16). */
function randomVector(rng: RandomSource, d: number, bound: number): Uint32Array {
  const bytes = rng(4 * d);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Uint32Array(d);
  for (let i = 0; i < d; i++) out[i] = view.getUint32(4 * i, true) % bound;
  return out;
}

/** round(fraction · n) sites chosen uniformly, each dropping at a uniformly random stage. */
function randomDropouts(rng: RandomSource, n: number, fraction: number): Map<number, Stage> {
  const order = Array.from({ length: n }, (_, i) => i + 1);
  for (let i = n - 1; i > 0; i--) {
    const j = randomBelow(rng, i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const chosen = order.slice(0, Math.round(fraction * n)).sort((a, b) => a - b);
  return new Map(chosen.map((u) => [u, STAGES[randomBelow(rng, STAGES.length)]!]));
}

/** Σ inputs over `members` mod 2^bits, in float64 (exact: at most 10^4 terms below 2^32), independent of the ring code. */
function plainSum(inputs: readonly Uint32Array[], members: readonly number[], bits: number, d: number): Float64Array {
  const acc = new Float64Array(d);
  for (const u of members) {
    const x = inputs[u - 1]!;
    for (let i = 0; i < d; i++) acc[i]! += x[i]!;
  }
  const modulus = 2 ** bits;
  for (let i = 0; i < d; i++) acc[i] = acc[i]! % modulus;
  return acc;
}

const median = (xs: readonly number[]): number => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** The demo's result: exactly what --json prints. */
export interface DemoReport {
  readonly command: 'demo';
  readonly seed: string | null;
  readonly parameters: ReturnType<typeof parametersJson> & {
    readonly n: number; readonly bits: number; readonly d: number; readonly derivedT: number; readonly thresholdOverridden: boolean;
  };
  /** Each site draws its words uniformly from [0, inputBound). */
  readonly inputBound: number;
  readonly dropoutSource: 'random' | 'explicit';
  readonly dropouts: readonly { readonly site: number; readonly stage: Stage }[];
  /** U3 as the coordinator computed it; null if the round aborted. */
  readonly survivors: readonly number[] | null;
  /** Recovered sum = plaintext sum over the survivors, and the survivors are exactly the senders of masked vectors. */
  readonly correct: boolean;
  readonly sumPreview: readonly number[] | null;
  readonly timings: {
    readonly setupMs: number; readonly roundMs: number; readonly siteMedianMs: number; readonly siteMaxMs: number;
    readonly maskMedianMs: number; readonly coordinatorMs: number; readonly coordinatorUnmaskMs: number;
  };
  readonly seen: { readonly coordinator: CoordinatorView & { readonly plainInputsByteEntropy: number | null }; readonly sites: readonly SiteView[] };
  readonly warnings: readonly string[];
  readonly aborted?: { readonly code: string; readonly message: string };
}

/** Runs the demo and prints its report; returns the exit code. */
export function runDemo(o: DemoOptions, io: Io): number {
  const report = demo(o);
  if (o.json) printJson(io, report);
  else io.out(renderDemo(report));
  printWarnings(io, report.warnings);
  if (report.aborted) {
    io.err(`tessera demo: the round aborted: ${report.aborted.code}: ${report.aborted.message}\n`);
    return ExitCode.FAILURE;
  }
  if (!report.correct) {
    io.err('tessera demo: the recovered sum does NOT equal the plaintext sum over the survivors\n');
    return ExitCode.FAILURE;
  }
  return ExitCode.OK;
}

/** Runs one round as `o` describes and derives the report (throws UsageError for bad combinations). */
export function demo(o: DemoOptions): DemoReport {
  const n = o.sites;
  const d = o.length;
  for (const u of o.drop?.keys() ?? []) if (u > n) throw new UsageError(`--drop: there is no site ${u} (--sites is ${n})`);
  const req: PlanRequest = { members: n, dropout: o.dropout, corrupt: o.corrupt, threat: o.threat, graph: o.graph, securityBits: 40, correctnessBits: 20 };
  const derived = plan(req);
  const warnings: string[] = [];
  let t = derived.threshold;
  if (o.threshold !== undefined) {
    if (o.threshold > derived.degree)
      throw new UsageError(`--threshold ${o.threshold} is larger than k=${derived.degree}, the number of neighbours that hold each site's shares`);
    t = o.threshold;
    warnings.push(...thresholdWarnings(req, derived, t));
  }

  // One stream per purpose, so that e.g. --length does not change who drops out under the same seed.
  const seed = o.seed;
  const rngFor = (purpose: string): RandomSource => (seed === undefined ? systemRandom : seededRandom(`tessera/demo/${seed}/${purpose}`));
  const setupStarted = performance.now();
  const idRng = rngFor('identities');
  const serverIdentity = generateIdentity(idRng);
  const memberIdentities = Array.from({ length: n }, () => generateIdentity(idRng));
  const session = createSession({
    sessionId: rngFor('session')(16), serverKey: serverIdentity.publicKey, memberKeys: memberIdentities.map((m) => m.publicKey),
    threshold: t, graph: derived.graph, bits: o.bits, vectorLength: d,
  });
  const inputBound = Math.max(1, Math.floor(2 ** o.bits / n));
  const inputRng = rngFor('inputs');
  const inputs = memberIdentities.map(() => randomVector(inputRng, d, inputBound));
  const dropouts = o.drop ?? randomDropouts(rngFor('dropouts'), n, o.dropout);
  const setupMs = performance.now() - setupStarted;

  const deliveries: Delivery[] = [];
  const roundStarted = performance.now();
  const outcome = runRound({
    session, round: 0, serverIdentity, memberIdentities, inputs, dropouts,
    observe: (delivery) => void deliveries.push(delivery),
    ...(seed === undefined ? {} : { rngFor: (u: number) => seededRandom(`tessera/demo/${seed}/site/${u}`) }),
  });
  const roundMsTotal = performance.now() - roundStarted;

  // Everything below is derived from the envelopes moved and the parties' own reports.
  const decoded = decodeDeliveries(session, deliveries);
  const coordinator = coordinatorView(decoded, outcome, SUM_PREVIEW);
  const sites = siteViews(session, decoded, outcome, inputs, dropouts);
  const result = outcome.result;
  let correct = false;
  if (result) {
    const expected = plainSum(inputs, result.survivors, o.bits, d);
    const sumMatches = expected.every((v, i) => v === result.sum[i]);
    const maskedFrom = coordinator.maskedVectors.from;
    const survivorsMatch = maskedFrom.length === result.survivors.length && maskedFrom.every((u, i) => u === result.survivors[i]);
    correct = sumMatches && survivorsMatch;
  }
  const error = outcome.error ?? (result ? undefined : new SecAggError(ErrorCodes.ABORTED, 'the round produced no result'));
  const clientMs = [...outcome.clientMs.subarray(1)];
  const siteMs = clientMs.filter((x) => x > 0);
  const maskMs = outcome.clients.map((c) => c.maskMs).filter((x) => x > 0);
  const packedInputs = inputs.map((x) => packBytes(x, o.bits));

  return {
    command: 'demo',
    seed: o.seed ?? null,
    parameters: { n, bits: o.bits, d, ...parametersJson(req, derived), t, derivedT: derived.threshold, thresholdOverridden: o.threshold !== undefined },
    inputBound,
    dropoutSource: o.drop ? 'explicit' : 'random',
    dropouts: [...dropouts].sort(([a], [b]) => a - b).map(([site, stage]) => ({ site, stage })),
    survivors: result ? [...result.survivors] : null,
    correct,
    sumPreview: result ? [...result.sum.subarray(0, SUM_PREVIEW)] : null,
    timings: {
      setupMs: roundMs(setupMs),
      roundMs: roundMs(roundMsTotal),
      siteMedianMs: roundMs(median(siteMs)),
      siteMaxMs: roundMs(Math.max(0, ...siteMs)),
      maskMedianMs: roundMs(median(maskMs)),
      coordinatorMs: roundMs(Math.max(0, roundMsTotal - clientMs.reduce((s, x) => s + x, 0))),
      coordinatorUnmaskMs: roundMs(outcome.server.unmaskMs),
    },
    seen: { coordinator: { ...coordinator, plainInputsByteEntropy: byteEntropy(packedInputs) }, sites },
    warnings,
    ...(error ? { aborted: { code: error.code, message: plainMessage(error) } } : {}),
  };
}

/** The bytes a vector would occupy packed at b bits, for comparing byte statistics with masked vectors. */
function packBytes(words: Uint32Array, bits: number): Uint8Array {
  const out = new Uint8Array(Math.ceil((words.length * bits) / 8));
  let bit = 0;
  for (const w of words) {
    for (let j = 0; j < bits; j++, bit++) if ((w >>> j) & 1) out[bit >> 3]! |= 1 << (bit & 7);
  }
  return out;
}

/** Sites listed in the human report: all of them up to 16, else the dropped and odd ones and a few others. */
function sitesToShow(sites: readonly SiteView[]): { shown: SiteView[]; hidden: number } {
  if (sites.length <= 16) return { shown: [...sites], hidden: 0 };
  const notable = sites.filter((s) => s.droppedAt !== null || s.error !== null || !s.inSum);
  const others = sites.filter((s) => !notable.includes(s)).slice(0, Math.max(4, 14 - notable.length));
  const shown = [...notable.slice(0, 24), ...others].sort((a, b) => a.site - b.site);
  return { shown, hidden: sites.length - shown.length };
}

/** The human-readable report (fits 100 columns). */
export function renderDemo(r: DemoReport): string {
  const p = r.parameters;
  const c = r.seen.coordinator;
  const lines: (readonly [string, string])[] = [];
  const graph = p.graph === 'complete' ? 'complete graph' : 'sparse graph';
  lines.push(['parameters', `n=${p.n}  k=${p.k} (${graph})  t=${p.t}${p.thresholdOverridden ? ` (derived ${p.derivedT})` : ''}  bits=${p.bits}  d=${p.d}  threat=${p.threat}`]);
  const abort = p.abortLog2 === null ? -Infinity : p.abortLog2;
  const leak = p.securityFailureLog2 === null ? -Infinity : p.securityFailureLog2;
  lines.push(['', `corrupt <= ${percent(p.corrupt)} (${p.corruptMembers} sites) -> <= ${p.maxCorruptNeighbours} corrupt neighbours; ` +
    `P[abort] <= ${formatLog2(abort)}, P[leak] <= ${formatLog2(leak)}`]);
  if (!p.meetsTargets) lines.push(['', `targets not met at this size: see 'tessera params --members ${p.n} --dropout ${p.dropout}'`]);
  lines.push(['inputs', `each site: ${p.d} random words in [0, ${r.inputBound - 1}]${r.inputBound * p.n <= 2 ** p.bits ? `, so the sum fits in ${p.bits} bits` : ''}`]);
  if (r.dropouts.length === 0) lines.push(['dropouts', 'none']);
  r.dropouts.forEach((x, i) => lines.push([i === 0 ? 'dropouts' : '', `site ${x.site} at ${x.stage}: ${STAGE_MEANING[x.stage]}`]));
  if (r.dropoutSource === 'random') lines.push(['', `(${r.dropouts.length} of ${p.n} = round(${p.dropout} x ${p.n}) sites, chosen at random)`]);
  if (r.survivors) lines.push(['survivors', `${r.survivors.length} of ${p.n}: ${memberRanges(r.survivors)}`]);
  if (r.aborted) lines.push(['result', `ABORTED (${r.aborted.code}): ${r.aborted.message}`]);
  else {
    lines.push(['result', r.correct
      ? `CORRECT: the recovered sum equals the plaintext sum of the ${r.survivors!.length} survivors' inputs`
      : `WRONG: the recovered sum differs from the plaintext sum over the survivors`]);
    lines.push(['', `sum[0..${r.sumPreview!.length - 1}] = ${r.sumPreview!.join(' ')}`]);
  }
  const tm = r.timings;
  lines.push(['timings', `setup ${msText(tm.setupMs)}; round ${msText(tm.roundMs)}: coordinator ${msText(tm.coordinatorMs)} ` +
    `(unmasking ${msText(tm.coordinatorUnmaskMs)})`]);
  lines.push(['', `per site ${msText(tm.siteMedianMs)} median, ${msText(tm.siteMaxMs)} max (masking ${msText(tm.maskMedianMs)})`]);
  if (r.seed !== null) lines.push(['seed', `${JSON.stringify(r.seed)}: rerun with the same flags to get the same round`]);

  const ct = table(['coordinator saw', 'count', 'bytes', 'what it is'], { colWidths: [20, 7, 12, 54], colAligns: ['left', 'right', 'right', 'left'] });
  const ent = (x: number | null): string => (x === null ? '-' : x.toFixed(2));
  const unmasked = c.received.unmask !== undefined;
  const none = (why: string) => `none: ${why}`;
  ct.push(
    ['signed public keys', c.signedPublicKeys.keys, bytesText(c.signedPublicKeys.bytes), c.signedPublicKeys.count
      ? `2 X25519 keys from each of sites ${memberRanges(c.signedPublicKeys.from, 30)}, signed; public` : none('no site advertised')],
    ['encrypted shares', c.encryptedShares.count, bytesText(c.encryptedShares.bytes), c.encryptedShares.count
      ? 'Shamir shares, each sealed to the one neighbour it is for: unreadable to the coordinator' : none('no site sent shares')],
    ['masked vectors', c.maskedVectors.count, bytesText(c.maskedVectors.bytes), c.maskedVectors.count
      ? `input + masks from ${memberRanges(c.maskedVectors.from, 24)}: ${ent(c.maskedVectors.byteEntropy)} bits/byte, uniform-looking ` +
        `(the plain inputs: ${ent(c.plainInputsByteEntropy)})` : none('the round stopped before masking')],
    ['U3 signatures', c.survivorSetSignatures.count, bytesText(c.survivorSetSignatures.bytes), c.survivorSetSignatures.count
      ? `signatures of the survivor set by ${memberRanges(c.survivorSetSignatures.from, 24)} (consistency check)` : none('no site signed a survivor set')],
    ['self-mask shares', c.revealedShares.selfMask.count, '', c.revealedShares.selfMask.count
      ? `revealed by ${memberRanges(c.revealedShares.from, 20)}, of survivors ${memberRanges(c.revealedShares.selfMask.of, 24)}: removes their self-masks`
      : none(unmasked ? 'no survivor had its self-mask revealed' : 'the round never reached unmasking')],
    ['mask-key shares', c.revealedShares.maskKey.count, '', c.revealedShares.maskKey.count
      ? `of dropped ${memberRanges(c.revealedShares.maskKey.of, 24)}: cancels the pairwise masks they left behind`
      : none(unmasked ? 'no site dropped between sharing and masking' : 'the round never reached unmasking')],
    ['the sum', c.sum ? 1 : 0, '', c.sum ? `sum over ${memberRanges(c.sum.survivors, 24)} only: no single site's input` : none('the round aborted')],
  );

  const { shown, hidden } = sitesToShow(r.seen.sites);
  const st = table(['site', 'dropped at', 'in sum', 'own input', 'keys in', 'shares in', 'U3', 'revealed'], {
    colAligns: ['right', 'left', 'left', 'left', 'right', 'right', 'right', 'right'],
  });
  for (const s of shown) {
    let preview = '';
    for (const w of s.input.preview) if (preview.length + String(w).length < 20) preview += `${w} `;
    preview += s.input.length > preview.trim().split(' ').length ? '...' : '';
    st.push([
      s.site, s.droppedAt ?? (s.error ? `(${s.error.code})` : '-'), s.inSum ? 'yes' : 'no', preview, s.neighbourKeys.count, s.sharesForIt.count,
      s.survivorSet ? `${s.survivorSet.length}` : '-', s.revealed ? `${s.revealed.selfMaskOf.length}/${s.revealed.maskKeyOf.length}` : '-',
    ]);
  }
  const received = new Set(r.seen.sites.flatMap((s) => Object.keys(s.received)));
  const siteTypes = [...SERVER_TYPES.filter((x) => received.has(x)), ...[...received].filter((x) => !(SERVER_TYPES as readonly string[]).includes(x))];
  const serverTypes = Object.keys(c.received);
  const out = [
    `tessera demo: one secure-aggregation round among ${p.n} simulated sites, in this process\n\n`,
    keyValues(lines),
    '\nWhat each party saw\n',
    ct.toString() + '\n',
    st.toString() + '\n',
    hidden ? `(${hidden} more sites that took part throughout are not listed; --json lists every site)\n` : '',
    wrap('keys in: neighbours whose signed public keys it received; shares in: encrypted shares addressed to it, ' +
      'decryptable only by it; U3: size of the survivor set it was shown; revealed: self-mask shares of survivors / ' +
      'mask-key shares of dropped sites it sent for unmasking.') + '\n',
    wrap(`Sites received only ${siteTypes.join(', ') || 'nothing'}; the coordinator only ${serverTypes.join(', ') || 'nothing'}.` +
      (received.has('masked') ? '' : ' No site received another site\'s input in any form, and the coordinator never saw an unmasked one.')) + '\n',
  ];
  return out.join('');
}
