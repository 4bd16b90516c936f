/**
 * A hand-driven round: real SecAggClient and SecAggServer state machines, with every envelope passing
 * through the test, so that a test can drop, replay, tamper with or forge any of them.
 * @module
 */
import type { Identity } from '@tessera/crypto';
import {
  SecAggClient, SecAggServer, SERVER_INDEX, sealMessage, type ConsistencyRequest, type Message, type Session, type UnmaskRequest,
} from '../src/index.js';
import { allMembers, messageOf, type Fixture } from './helpers.js';

export class Harness {
  readonly server: SecAggServer;
  readonly clients: SecAggClient[];
  /** Every envelope each member sent, by member. */
  readonly sent = new Map<number, Uint8Array[]>();
  constructor(readonly f: Fixture, readonly round = 0) {
    this.server = new SecAggServer({ session: f.session, round, identity: f.serverIdentity });
    this.clients = f.memberIdentities.map(
      (identity, i) => new SecAggClient({ session: f.session, round, index: i + 1, identity, input: f.inputs[i]!, rng: f.rngFor(i + 1) }),
    );
  }
  get session(): Session {
    return this.f.session;
  }
  get n(): number {
    return this.f.session.n;
  }
  client(u: number): SecAggClient {
    return this.clients[u - 1]!;
  }
  #record(u: number, envelopes: Uint8Array[]): Uint8Array[] {
    const list = this.sent.get(u) ?? [];
    list.push(...envelopes);
    this.sent.set(u, list);
    return envelopes;
  }
  /** Members start; their Advertise envelopes go to the server. */
  advertise(members: readonly number[] = allMembers(this.n)): void {
    for (const u of members) for (const e of this.#record(u, this.client(u).start())) this.server.receive(e);
  }
  /** Closes the server's stage: its envelopes by recipient. */
  close(): Map<number, Uint8Array> {
    return new Map(this.server.closeStage().map((o) => [o.to, o.bytes]));
  }
  /** Delivers `bytes` to member u and returns its replies (not forwarded). */
  toClient(u: number, bytes: Uint8Array): Uint8Array[] {
    return this.#record(u, this.client(u).receive(bytes));
  }
  /** Forwards envelopes to the server (throws what it throws). */
  toServer(envelopes: readonly Uint8Array[]): void {
    for (const e of envelopes) this.server.receive(e);
  }
  /** Delivers each outgoing envelope to its recipient if listed, and forwards the replies to the server. */
  deliver(out: ReadonlyMap<number, Uint8Array>, members: readonly number[] = [...out.keys()]): Map<number, Uint8Array[]> {
    const replies = new Map<number, Uint8Array[]>();
    for (const u of members) {
      const bytes = out.get(u);
      if (!bytes) continue;
      const r = this.toClient(u, bytes);
      replies.set(u, r);
      this.toServer(r);
    }
    return replies;
  }
  /** Closes the stage and delivers everything to `members` (default: every recipient). */
  step(members?: readonly number[]): Map<number, Uint8Array> {
    const out = this.close();
    this.deliver(out, members ?? [...out.keys()]);
    return out;
  }
  /** Signs a message as the server. */
  forge(message: Message, identity: Identity = this.f.serverIdentity): Uint8Array {
    return sealMessage(message, identity);
  }
  /** The header of a server message of this round. */
  header<T extends Message['type']>(type: T) {
    return { v: 1, type, session: this.session.digest, round: this.round, from: SERVER_INDEX } as const;
  }
  consistencyRequest(to: number, survivors: readonly number[]): Uint8Array {
    const m: ConsistencyRequest = { ...this.header('consistency-request'), to, survivors };
    return this.forge(m);
  }
  unmaskRequest(to: number, survivors: readonly number[], dropped: readonly number[], signatures: readonly Uint8Array[]): Uint8Array {
    const m: UnmaskRequest = { ...this.header('unmask-request'), to, survivors, dropped, signatures };
    return this.forge(m);
  }
  /** The last envelope member u sent of `type`. */
  lastSent(u: number, type: Message['type']): Uint8Array {
    const list = (this.sent.get(u) ?? []).filter((e) => messageOf(e, this.session).type === type);
    const last = list[list.length - 1];
    if (!last) throw new Error(`member ${u} sent no '${type}'`);
    return last;
  }
  /** Every envelope member u sent of `type`. */
  allSent(u: number, type: Message['type']): Uint8Array[] {
    return (this.sent.get(u) ?? []).filter((e) => messageOf(e, this.session).type === type);
  }
}
