/**
 * `pnpm bench net`: one coordinator process and N peers (all in one second process) over loopback
 * WebSockets, against the same round run in one process without sockets (runRound), timed in the same run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { runRound } from '@tessera/secagg';
import { benchInput, benchSession, type NetPlan } from './net-plan.js';

interface Row {
  peers: number; d: number; bits: number; k: number; t: number;
  roundMs: number; inProcessMs: number; overhead: number;
  wireBytesPerPeer: number; payloadBytesPerPeer: number; coordinatorPeakRssMb: number;
  /** Peak RSS per byte of N·d·4 (all masked inputs held at once): flat across rows means linear growth. */
  rssPerInputByte: number;
  correct: boolean;
}

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const TIMED_ROUNDS = 3;
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** A worker process and its JSON lines, read eagerly from the start so that none is lost while nobody waits. */
interface Worker {
  readonly child: ChildProcess;
  /** The next line of `type` (earlier lines of other types are skipped). */
  next(type: string): Promise<any>;
}

function worker(role: string, plan: NetPlan, extra: string[] = []): Worker {
  const child = spawn(process.execPath, ['--max-old-space-size=16384', join(here, 'net-worker.js'), role, JSON.stringify(plan), ...extra], { stdio: ['ignore', 'pipe', 'inherit'] });
  const queue: any[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  const rl = createInterface({ input: child.stdout! });
  rl.on('line', (line) => {
    if (line.trim()) queue.push(JSON.parse(line));
    wake?.();
  });
  rl.on('close', () => {
    ended = true;
    wake?.();
  });
  return {
    child,
    async next(type) {
      for (;;) {
        const i = queue.findIndex((m) => m.type === type);
        if (i >= 0) return queue.splice(0, i + 1).pop();
        if (ended) throw new Error(`the ${role} process ended (exit ${child.exitCode}) before '${type}'`);
        await new Promise<void>((r) => (wake = r));
      }
    },
  };
}

async function row(peers: number, d: number): Promise<Row> {
  const plan: NetPlan = { seed: `${peers}x${d}`, peers, d, bits: 32, rounds: 1 + TIMED_ROUNDS };
  const { session, server, members, k, t } = benchSession(plan);
  const inputs = members.map((_, i) => benchInput(plan, i + 1));
  // In process, without sockets: the same session, the same inputs, timed in this run.
  const local: number[] = [];
  for (let r = 0; r <= TIMED_ROUNDS; r++) {
    const started = performance.now();
    const out = runRound({ session, round: r, serverIdentity: server, memberIdentities: members, inputs });
    if (!out.result) throw new Error(`in-process round aborted: ${out.error?.message}`);
    if (r > 0) local.push(performance.now() - started);
  }
  const coordinator = worker('coordinator', plan);
  const address = (await coordinator.next('listening')).address as string;
  const peersProc = worker('peers', plan, [address]);
  const rounds: any[] = [];
  for (let r = 0; r < plan.rounds; r++) rounds.push(await coordinator.next('round-end'));
  const done = await coordinator.next('done');
  const peerDone = await peersProc.next('done');
  await Promise.all([coordinator.child, peersProc.child].map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
  const correct = rounds.every((r) => r.ok && r.survivors === peers);
  const roundMs = median(rounds.slice(1).map((r) => r.ms));
  const inProcessMs = median(local);
  return {
    peers, d, bits: 32, k, t, roundMs, inProcessMs, overhead: roundMs / inProcessMs,
    wireBytesPerPeer: peerDone.ioBytes / peers / plan.rounds, payloadBytesPerPeer: (d * 32) / 8,
    coordinatorPeakRssMb: done.peakRssMb, rssPerInputByte: (done.peakRssMb * 2 ** 20) / (peers * d * 4), correct,
  };
}

export async function runNetBench(args: string[]): Promise<void> {
  const unknown = args.filter((a) => a !== '--quick');
  if (unknown.length) {
    process.stderr.write(`bench net: unknown argument ${unknown[0]} (flags: --quick)\n`);
    process.exit(2);
  }
  const quick = args.includes('--quick');
  // Skipped in the full run: N = 200 with d = 10^6 (200 peers' 4 MB inputs, masks and relays on 2 cores take minutes a round).
  const plan: [number, number][] = quick ? [[10, 1e5], [50, 1e5]] : [[10, 1e5], [10, 1e6], [50, 1e5], [50, 1e6], [200, 1e5]];
  const rows: Row[] = [];
  const started = performance.now();
  for (const [i, [n, d]] of plan.entries()) {
    process.stderr.write(`[${i + 1}/${plan.length}] peers=${n} d=${d} … `);
    rows.push(await row(n, d));
    process.stderr.write(`${((performance.now() - started) / 1000).toFixed(0)} s\n`);
  }
  console.log('peers d        bits k   t   roundMs  inProcMs overhead wire/peer(B) payload(B) coordRssMb rss/(N·d·4) ok');
  for (const r of rows)
    console.log(
      `${String(r.peers).padEnd(5)} ${String(r.d).padEnd(8)} ${String(r.bits).padEnd(4)} ${String(r.k).padEnd(3)} ${String(r.t).padEnd(3)} ` +
      `${r.roundMs.toFixed(0).padStart(7)} ${r.inProcessMs.toFixed(0).padStart(9)} ${r.overhead.toFixed(2).padStart(8)} ${Math.round(r.wireBytesPerPeer).toString().padStart(12)} ` +
      `${String(r.payloadBytesPerPeer).padStart(10)} ${r.coordinatorPeakRssMb.toFixed(0).padStart(10)} ${r.rssPerInputByte.toFixed(2).padStart(11)} ${r.correct}`,
    );
  const dir = join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'net.json');
  writeFileSync(file, JSON.stringify(rows, null, 2) + '\n');
  console.log(`\nwrote ${file}`);
  if (rows.some((r) => !r.correct)) process.exitCode = 1;
}
