/**
 * SecAgg / SecAgg+ benchmark, in process (no network): every member and the server run for real
 * through runRound; masks are checked against the plaintext sum in every row.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateIdentity, prgDiscard, randomBelow, seededRandom, systemRandom, type RandomSource } from '@tessera/crypto';
import {
  STAGES, createSession, deriveParameters, predictRound, roundGraph, runRound, type Stage, type ThreatModel,
} from '@tessera/secagg';

interface Row {
  n: number; d: number; dropout: number; graph: 'complete' | 'sparse'; threat: ThreatModel; k: number; t: number; bits: number;
  clientMaskMs: number; clientTotalMs: number; serverUnmaskMs: number; uploadBytesPerClient: number; expansion: number;
  prgOnlyMs: number; maskOverPrg: number; correct: boolean;
}
interface AbortRow { n: number; dropout: number; threat: ThreatModel; graph: string; k: number; t: number; schedules: number; aborts: number; abortRate: number; realRuns: number; realAgree: number }

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function params(n: number, dropout: number, graph: 'complete' | 'sparse', threat: ThreatModel) {
  const p = deriveParameters({ members: n, dropoutRate: Math.max(dropout, 0.1), threat, graph: graph === 'complete' ? 'complete' : 'auto' });
  return { graph: p.graph, k: p.degree, t: p.threshold };
}

/** One row: a full round with `dropout`·n members dropping after ShareKeys. */
function row(n: number, d: number, dropout: number, graph: 'complete' | 'sparse', threat: ThreatModel, rng: RandomSource): Row {
  const bits = 32;
  const p = params(n, dropout, graph, threat);
  const server = generateIdentity(rng);
  const ids = Array.from({ length: n }, () => generateIdentity(rng));
  const session = createSession({ sessionId: rng(16), serverKey: server.publicKey, memberKeys: ids.map((i) => i.publicKey), threshold: p.t, graph: p.graph, bits, vectorLength: d });
  const inputs = ids.map(() => new Uint32Array(rng(4 * d).buffer));
  const drops = new Map<number, Stage>();
  const order = Array.from({ length: n }, (_, i) => i + 1);
  for (let i = n - 1; i > 0; i--) {
    const j = randomBelow(rng, i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  for (const u of order.slice(0, Math.round(dropout * n))) drops.set(u, 'masked');
  const upload = new Float64Array(n + 1);
  // The PRG floor: raw AES-128-CTR for the same number of keystream bytes as a member's masking, timed
  // right before that member masks (when the share relay that starts its masking passes by) and right
  // after (when its masked input passes by), and averaged: both timings see the heap and the machine load
  // the masking sees, and the garbage either side leaves falls on both alike. Sampled for up to 15
  // members: one timing of a few tens of ms varies by ±30 % on this machine, the median of 15 ratios far less.
  const roundG = roundGraph(session, 1);
  const streamsOf = (u: number): number => 1 + roundG.neighbours(u).filter((v) => !drops.has(v) || drops.get(v) === 'masked').length;
  const sampled = new Set(order.filter((u) => !drops.has(u)).slice(0, 15));
  const prgMs = new Map<number, number>();
  const key = systemRandom(16);
  const floor = (u: number): void => {
    const streams = streamsOf(u);
    const started = performance.now();
    for (let s = 0; s < streams; s++) prgDiscard(key, Math.ceil((4 * d) / 16) * 16);
    const ms = performance.now() - started;
    const before = prgMs.get(u);
    prgMs.set(u, before === undefined ? ms : (before + ms) / 2);
  };
  const out = runRound({
    session, round: 1, serverIdentity: server, memberIdentities: ids, inputs, dropouts: drops, rngFor: () => rng,
    observe: (x) => {
      if (x.to !== 0) {
        if (x.stage === 'share' && sampled.has(x.to)) floor(x.to); // before: the relay that starts its masking
        return;
      }
      upload[x.from] += x.bytes.length;
      if (x.stage === 'masked' && sampled.has(x.from)) floor(x.from); // after
    },
  });
  if (!out.result) throw new Error(`round aborted: ${out.error?.message ?? [...out.clientErrors.values()][0]?.message}`);
  const expected = new Uint32Array(d);
  for (const u of out.result.survivors) {
    const x = inputs[u - 1]!;
    for (let i = 0; i < d; i++) expected[i] = (expected[i]! + x[i]!) >>> 0;
  }
  const correct = expected.every((v, i) => v === out.result!.sum[i]);
  const survivors = out.result.survivors;
  const ratios = [...prgMs].map(([u, ms]) => out.clients[u - 1]!.maskMs / ms);
  const prg = [...prgMs.values()];
  const uploadPerClient = median(survivors.map((u) => upload[u]!));
  return {
    n, d, dropout, graph, threat, k: p.k, t: p.t, bits,
    clientMaskMs: median(survivors.map((u) => out.clients[u - 1]!.maskMs)),
    clientTotalMs: median(survivors.map((u) => out.clientMs[u]!)),
    serverUnmaskMs: out.server.unmaskMs,
    uploadBytesPerClient: uploadPerClient,
    expansion: uploadPerClient / ((d * bits) / 8),
    prgOnlyMs: median(prg),
    maskOverPrg: median(ratios),
    correct,
  };
}

/** Abort rate under random dropout: each member drops with probability δ at a uniformly random stage. */
function abortRates(rng: RandomSource, schedules: number, realRuns: number): AbortRow[] {
  const rows: AbortRow[] = [];
  for (const n of [10, 50, 100]) for (const dropout of [0.1, 0.2, 0.3]) for (const threat of ['semi-honest', 'malicious'] as ThreatModel[]) {
    const p = deriveParameters({ members: n, dropoutRate: dropout, threat });
    const server = generateIdentity(rng);
    const ids = Array.from({ length: n }, () => generateIdentity(rng));
    const session = createSession({ sessionId: rng(16), serverKey: server.publicKey, memberKeys: ids.map((i) => i.publicKey), threshold: p.threshold, graph: p.graph, bits: 8, vectorLength: 4 });
    const schedule = (): Map<number, Stage> => {
      const m = new Map<number, Stage>();
      for (let u = 1; u <= n; u++) if (randomBelow(rng, 1_000_000) < dropout * 1_000_000) m.set(u, STAGES[randomBelow(rng, STAGES.length)]!);
      return m;
    };
    let aborts = 0;
    for (let r = 0; r < schedules; r++) if (!predictRound(roundGraph(session, r), p.threshold, schedule()).ok) aborts++;
    let agree = 0;
    const runs = n <= 50 ? realRuns : Math.ceil(realRuns / 5);
    for (let r = 0; r < runs; r++) {
      const drops = schedule();
      const real = runRound({ session, round: r, serverIdentity: server, memberIdentities: ids, inputs: ids.map(() => new Uint32Array(4)), dropouts: drops, rngFor: () => rng });
      if (!!real.result === predictRound(roundGraph(session, r), p.threshold, drops).ok) agree++;
    }
    rows.push({ n, dropout, threat, graph: p.graph.kind, k: p.degree, t: p.threshold, schedules, aborts, abortRate: aborts / schedules, realRuns: runs, realAgree: agree });
    process.stderr.write(`  abort rate n=${n} δ=${dropout} ${threat}: ${((100 * aborts) / schedules).toFixed(2)}% (${runs} real runs, ${agree} agree)\n`);
  }
  return rows;
}

export async function runSecaggBench(args: string[]): Promise<void> {
  const unknown = args.filter((a) => a !== '--quick');
  if (unknown.length) {
    process.stderr.write(`bench secagg: unknown argument ${unknown[0]} (flags: --quick)\n`);
    process.exit(2);
  }
  const quick = args.includes('--quick');
  const rng = seededRandom('tessera bench secagg');
  // Skipped in the full run because one row takes minutes on 2 cores (every one of the n members masks
  // with k+1 streams of d words): complete graph at n = 500; n = 500 with d = 10^6; n = 100, complete, d = 10^6.
  const plan: [number, number, number, 'complete' | 'sparse', ThreatModel][] = [];
  if (quick) {
    for (const dropout of [0, 0.2]) plan.push([100, 1e6, dropout, 'sparse', 'semi-honest']);
  } else {
    for (const n of [10, 100, 500]) for (const d of [1e5, 1e6]) for (const dropout of [0, 0.1, 0.2, 0.3]) for (const graph of ['complete', 'sparse'] as const) for (const threat of ['semi-honest', 'malicious'] as ThreatModel[]) {
      if (graph === 'complete' && threat === 'semi-honest') continue;
      if (n === 500 && (graph === 'complete' || d === 1e6)) continue;
      if (n === 100 && graph === 'complete' && d === 1e6) continue;
      if (n === 10 && graph === 'sparse') continue; // n = 10 derives the complete graph either way
      plan.push([n, d, dropout, graph, threat]);
    }
  }
  const rows: Row[] = [];
  const started = performance.now();
  row(20, 1000, 0.1, 'sparse', 'semi-honest', rng); // warm-up: JIT, WebAssembly compilation, first page faults
  for (const [i, [n, d, dropout, graph, threat]] of plan.entries()) {
    process.stderr.write(`[${i + 1}/${plan.length}] n=${n} d=${d} dropout=${dropout} ${graph} ${threat} … `);
    const r = row(n, d, dropout, graph, threat, rng);
    rows.push(r);
    process.stderr.write(`${((performance.now() - started) / 1000).toFixed(0)} s\n`);
  }
  const aborts = abortRates(rng, quick ? 2000 : 10000, quick ? 0 : 10);
  const fmt = (x: number, p = 1) => x.toFixed(p);
  console.log('n    d        drop graph    threat       k   t   maskMs  totalMs unmaskMs upload(B)  expans prgMs  mask/prg ok');
  for (const r of rows)
    console.log(
      `${String(r.n).padEnd(4)} ${String(r.d).padEnd(8)} ${fmt(r.dropout).padEnd(4)} ${r.graph.padEnd(8)} ${r.threat.padEnd(12)} ${String(r.k).padEnd(3)} ${String(r.t).padEnd(3)} ` +
      `${fmt(r.clientMaskMs).padStart(7)} ${fmt(r.clientTotalMs).padStart(8)} ${fmt(r.serverUnmaskMs).padStart(8)} ${String(Math.round(r.uploadBytesPerClient)).padStart(10)} ${fmt(r.expansion, 3).padStart(7)} ${fmt(r.prgOnlyMs).padStart(6)} ${fmt(r.maskOverPrg, 2).padStart(8)} ${r.correct}`,
    );
  console.log('\nabort rate under random dropout (each member drops with probability δ at a random stage)');
  console.log('n    δ    threat       graph     k   t   aborts/schedules  rate     real runs agreeing');
  for (const a of aborts)
    console.log(`${String(a.n).padEnd(4)} ${fmt(a.dropout).padEnd(4)} ${a.threat.padEnd(12)} ${a.graph.padEnd(9)} ${String(a.k).padEnd(3)} ${String(a.t).padEnd(3)} ${`${a.aborts}/${a.schedules}`.padEnd(17)} ${(100 * a.abortRate).toFixed(2).padStart(6)}%  ${a.realAgree}/${a.realRuns}`);
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'secagg.json');
  writeFileSync(file, JSON.stringify(rows, null, 2) + '\n');
  const abortFile = join(dir, 'secagg-aborts.json');
  writeFileSync(abortFile, JSON.stringify({ quick, node: process.version, rows: aborts, wallSeconds: (performance.now() - started) / 1000 }, null, 2) + '\n');
  console.log(`\nwrote ${file} and ${abortFile}`);
  if (rows.some((r) => !r.correct)) process.exitCode = 1;
}

