/**
 * A child process of `pnpm bench net`: either the coordinator or a process hosting many peers, both over
 * loopback WebSockets. Parameters come as one JSON argument; everything else (identities, the session,
 * the inputs) is rebuilt from its seed, so the two processes agree without sharing files. Prints one JSON
 * object per line on stdout for the bench to read.
 */
import { readFileSync } from 'node:fs';
import { Coordinator, Peer, type UpdateProvider } from '@tessera/node';
import { WebSocketTransport } from '@tessera/transport';
import { benchSession, benchInput, type NetPlan } from './net-plan.js';

const say = (o: unknown): void => void process.stdout.write(JSON.stringify(o) + '\n');

/** Bytes this process has read and written through system calls so far (sockets included): /proc/self/io. */
function ioBytes(): number {
  const io = readFileSync('/proc/self/io', 'utf8');
  const field = (name: string): number => Number(/^(\w+): (\d+)$/m.exec(io.split('\n').find((l) => l.startsWith(name + ':')) ?? '')?.[2] ?? NaN);
  return field('rchar') + field('wchar');
}

const [role, json] = process.argv.slice(2);
const plan = JSON.parse(json!) as NetPlan;
const { session, server, members } = benchSession(plan);
const transport = new WebSocketTransport();
const warn = (): void => {}; // plain ws:// on loopback is the point here; the warning is for operators
const limits = { heartbeatMs: 0, handshakeTimeoutMs: 60_000 };
const deadlines = { advertiseMs: 600_000, shareMs: 600_000, maskedMs: 600_000, consistencyMs: 600_000, unmaskMs: 600_000 };

if (role === 'coordinator') {
  const coordinator = new Coordinator({
    transport, session, identity: server, rounds: plan.rounds, minQuorum: plan.peers, deadlines, limits, gatherMs: 600_000,
    listen: { host: '127.0.0.1', port: 0, insecure: true, warn, maxPendingHandshakes: 1024 },
  });
  coordinator.on('round-end', (e) => say({ type: 'round-end', round: e.round, ok: e.ok, survivors: e.survivors.length, ms: e.ms, code: e.code }));
  say({ type: 'listening', address: await coordinator.start() });
  const summary = await coordinator.run();
  say({ type: 'done', completed: summary.completed, peakRssMb: process.resourceUsage().maxRSS / 1024 });
  await coordinator.close();
  process.exit(0);
} else if (role === 'peers') {
  const address = process.argv[4]!;
  const before = ioBytes();
  const peers = members.map((identity, i) => {
    const provider: UpdateProvider = { input: async () => benchInput(plan, i + 1) };
    return new Peer({ transport, address, session, identity, provider, limits, dial: { insecure: true }, reconnect: { initialMs: 50, maxMs: 1000 } });
  });
  await Promise.all(peers.map((p) => p.run()));
  say({ type: 'done', ioBytes: ioBytes() - before });
  process.exit(0);
} else {
  process.stderr.write(`net-worker: unknown role ${role}\n`);
  process.exit(2);
}
