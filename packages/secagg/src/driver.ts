/**
 * Drives one round among in-process state machines with a dropout schedule: the in-memory
 * "transport" that tests, simulations, the demo and the benchmark share. It moves the same signed
 * envelopes a network transport would, and nothing else.
 * @module
 */
import type { Identity, RandomSource } from '@tessera/crypto';
import { SecAggClient } from './client.js';
import type { Session } from './config.js';
import { SecAggError } from './errors.js';
import { SecAggServer, type RoundResult } from './server.js';

/** The stages in order; a member that drops at stage S sends nothing in S or later. */
export const STAGES = ['advertise', 'share', 'masked', 'consistency', 'unmask'] as const;
export type Stage = (typeof STAGES)[number];

/** One envelope moved by the driver. */
export interface Delivery {
  /** 0 = server. */
  readonly from: number;
  readonly to: number;
  readonly stage: Stage;
  readonly bytes: Uint8Array;
}

export interface RoundPlan {
  readonly session: Session;
  readonly round: number;
  readonly serverIdentity: Identity;
  /** memberIdentities[i] is member i + 1. */
  readonly memberIdentities: readonly Identity[];
  /** inputs[i] is member i + 1's vector. */
  readonly inputs: readonly Uint32Array[];
  /** Member → the stage at which it drops out. */
  readonly dropouts?: ReadonlyMap<number, Stage>;
  /** Randomness per member (tests and seeded simulations); the system CSPRNG otherwise. */
  readonly rngFor?: (member: number) => RandomSource;
  /** Sees every envelope the driver moves (for "what each party saw" tables and transcripts). */
  readonly observe?: (delivery: Delivery) => void;
}

export interface RoundOutcome {
  readonly result?: RoundResult;
  /** Why the server aborted, if it did. */
  readonly error?: SecAggError;
  readonly server: SecAggServer;
  readonly clients: readonly SecAggClient[];
  /** Errors members raised, by member (fatal ones aborted that member's round). */
  readonly clientErrors: ReadonlyMap<number, SecAggError>;
  /** Milliseconds each member's state machine spent (index 0 unused). */
  readonly clientMs: Float64Array;
  /** Envelopes the server refused, with the reason. */
  readonly refused: readonly { readonly from: number; readonly error: SecAggError }[];
}

/**
 * Runs one round to completion or abort.
 *
 * @example
 * const out = runRound({ session, round: 0, serverIdentity, memberIdentities, inputs, dropouts: new Map([[3, 'masked']]) });
 * out.result?.sum; // Σ of the survivors' inputs mod 2^b
 */
export function runRound(plan: RoundPlan): RoundOutcome {
  const { session, round } = plan;
  const server = new SecAggServer({ session, round, identity: plan.serverIdentity });
  const clients = plan.memberIdentities.map((identity, i) =>
    new SecAggClient({ session, round, index: i + 1, identity, input: plan.inputs[i]!, ...(plan.rngFor ? { rng: plan.rngFor(i + 1) } : {}) }),
  );
  const clientErrors = new Map<number, SecAggError>();
  const clientMs = new Float64Array(plan.memberIdentities.length + 1);
  const timed = <T>(u: number, f: () => T): T => {
    const started = performance.now();
    try {
      return f();
    } finally {
      clientMs[u] += performance.now() - started;
    }
  };
  const refused: { from: number; error: SecAggError }[] = [];
  const active = (u: number, stage: number): boolean => {
    const drop = plan.dropouts?.get(u);
    return !clientErrors.get(u)?.fatal && (drop === undefined || stage < STAGES.indexOf(drop));
  };
  const toServer = (from: number, stage: number, envelopes: Uint8Array[]): void => {
    for (const bytes of envelopes) {
      plan.observe?.({ from, to: 0, stage: STAGES[stage]!, bytes });
      try {
        server.receive(bytes);
      } catch (e) {
        if (!(e instanceof SecAggError)) throw e;
        refused.push({ from, error: e });
      }
    }
  };
  for (const c of clients) if (active(c.index, 0)) toServer(c.index, 0, timed(c.index, () => c.start()));
  for (let stage = 1; stage <= STAGES.length; stage++) {
    let outgoing;
    try {
      outgoing = server.closeStage();
    } catch (e) {
      if (!(e instanceof SecAggError)) throw e;
      return { error: e, server, clients, clientErrors, clientMs, refused };
    }
    for (const { to, bytes } of outgoing) {
      if (!active(to, stage)) continue;
      plan.observe?.({ from: 0, to, stage: STAGES[stage - 1]!, bytes });
      let reply: Uint8Array[];
      try {
        reply = timed(to, () => clients[to - 1]!.receive(bytes));
      } catch (e) {
        if (!(e instanceof SecAggError)) throw e;
        clientErrors.set(to, e);
        continue;
      }
      toServer(to, stage, reply);
    }
  }
  return server.result ? { result: server.result, server, clients, clientErrors, clientMs, refused } : { server, clients, clientErrors, clientMs, refused };
}
