/**
 * One site of a WebSocket simulation, as its own OS process (forked by ws.ts). It receives the config,
 * its site number and the coordinator's address over the IPC channel, rebuilds the run from the config
 * (its own data split, the model, the plan, its identity — all from the seed), and runs a @tessera/node
 * `Peer`: for each round it takes the published global model, trains on its own data (the federation's
 * `Site`) and hands the ring vector to the peer's SecAggClient, which masks it. It tells its parent
 * only aggregate diagnostics of its own round (mean loss, clipped count, seconds) for the metrics;
 * never its update.
 * @module
 */
import { seededRandom } from '@tessera/crypto';
import { createFederation, decodePublication, publicationBytes } from '@tessera/federated';
import { Peer, type InputContext } from '@tessera/node';
import { WebSocketTransport } from '@tessera/transport';
import { resolveConfig, type SimulationConfig } from './config.js';
import { loadConsortium } from './data.js';
import { runSetup } from './setup.js';
import { openTranscript, sessionParams } from './transcripts.js';

/** Parent → site. */
export interface SiteInit {
  readonly type: 'init';
  readonly config: SimulationConfig;
  /** 1-based. */
  readonly site: number;
  readonly address: string;
  readonly cwd: string;
  /** The run's output folder: the site writes its transcript in <out>/transcripts/hospital-<site>/. */
  readonly out?: string;
}

/** Site → parent. */
export type SiteMessage =
  { readonly type: 'local'; readonly round: number; readonly loss: number; readonly clipped: number; readonly seconds: number };

async function main(init: SiteInit): Promise<void> {
  const config = resolveConfig(init.config);
  const data = await loadConsortium(config, { cwd: init.cwd });
  const setup = runSetup(config, data);
  const f = createFederation(setup.options);
  const site = f.sites[init.site - 1]!;
  const dim = f.server.trainer.parameterCount;
  const drops = setup.options.dropout;
  const schedule = typeof drops === 'function' ? drops : () => new Map();
  const dropAt = Array.from({ length: config.rounds }, (_, r) => ({ round: r, stage: schedule(r).get(init.site) })).filter((d) => d.stage !== undefined) as { round: number; stage: 'advertise' }[];
  const send = (m: SiteMessage): void => void process.send?.(m);
  const transport = new WebSocketTransport();
  const identity = f.channel.memberIdentities[init.site - 1]!;
  const writer = init.out && config.transcripts !== 'none' ? await openTranscript(init.out, init.site, identity, config.transcripts, sessionParams(config, f)) : undefined;
  const peer = new Peer({
    transport, address: init.address, session: f.channel.session, identity,
    ...(writer ? { transcript: writer } : {}),
    rng: seededRandom(`tessera/simulate/ws/${config.seed}/member-${init.site}`),
    maxPublicationBytes: publicationBytes(dim),
    reconnect: { initialMs: 50, maxMs: 1000 },
    dial: { insecure: true },
    ...(dropAt.length > 0 ? { faults: { dropAt } } : {}),
    provider: {
      async input(round: number, context?: InputContext): Promise<Uint32Array> {
        const drop = schedule(round).get(init.site);
        // As in the memory transport: a site that drops before its masked input computes nothing.
        if (drop === 'advertise' || drop === 'share') return new Uint32Array(f.plan.vectorLength);
        if (!context?.publication) throw new Error(`no global model was published for round ${round}: not taking part`);
        const p = decodePublication(context.publication, round, dim);
        const { vector, local } = site.contribute(p.parameters, round, f.plan, p.roundSeed);
        send({ type: 'local', round, loss: local.loss, clipped: local.clipped, seconds: local.seconds });
        return vector;
      },
    },
  });
  peer.on('event', (e) => {
    if (e.type !== 'stage') process.stdout.write(JSON.stringify(e) + '\n');
  });
  try {
    await peer.run();
  } finally {
    await writer?.close();
  }
}

process.once('message', (m: SiteInit) => {
  main(m).then(
    () => process.exit(0),
    (e: unknown) => {
      process.stderr.write(`site ${m.site}: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
});
