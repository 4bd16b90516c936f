/**
 * Where the runtimes record what they send and receive: a narrow sink that `@tessera/audit`'s
 * `TranscriptWriter` satisfies (the node package does not depend on the audit package). The runtimes
 * call it in the order frames are sent and received; appends are queued by the writer, which chains
 * and signs each entry synchronously, so the transcript's order is the call order. A failed append stops
 * a coordinator's session (fail closed: a run whose record is incomplete does not go on); a peer stops.
 * See docs/transcript.md, "Tessera's recording profile".
 * @module
 */
import { sha256, type Canonical } from '@tessera/crypto';

export interface TranscriptSink {
  /** Records one frame (tag byte + envelope) the recorder sent to `to` or received from `from`. */
  appendMessage(m: { readonly dir: 'sent' | 'received'; readonly to: number; readonly from?: number; readonly frameOrEnvelope: Uint8Array }): Promise<unknown>;
  /** Records one of the recorder's own observations. */
  appendNote(n: { readonly round: number; readonly event: string; readonly data?: { readonly [key: string]: Canonical } }): Promise<unknown>;
}

/** What a consumer of a round's sum adds to the coordinator's `round-result` note. */
export interface RoundAnnotations {
  /** ε spent after this round with the survivors' noise present, and in the worst case; null without DP. */
  readonly epsilon?: number | null;
  readonly epsilonWorstCase?: number | null;
}

/** SHA-256 of a sum as uint32 little-endian words (the `sumSha256` of a round-result note). */
export function sumDigest(sum: Uint32Array): Uint8Array {
  const bytes = new Uint8Array(sum.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < sum.length; i++) view.setUint32(4 * i, sum[i]!, true);
  return sha256(bytes);
}

/** A real as the recording profile writes it: decimal text, or null. */
export const realText = (x: number | null | undefined): string | null => (x === null || x === undefined || !Number.isFinite(x) ? null : String(x));

/**
 * Serialises a runtime's appends: `record` queues one, `idle()` resolves when all have been written
 * and rejects with the first failure.
 */
export class TranscriptQueue {
  readonly sink: TranscriptSink;
  #failure: Error | undefined;
  #pending: Promise<unknown> = Promise.resolve();
  constructor(sink: TranscriptSink) {
    if (typeof sink?.appendMessage !== 'function' || typeof sink.appendNote !== 'function') throw new TypeError('transcript must have appendMessage and appendNote');
    this.sink = sink;
  }
  /** The first failed append, if any. */
  get failure(): Error | undefined {
    return this.#failure;
  }
  #track(p: Promise<unknown>): void {
    this.#pending = Promise.all([this.#pending, p.catch((e: unknown) => {
      this.#failure ??= e instanceof Error ? e : new Error(String(e));
    })]);
  }
  message(dir: 'sent' | 'received', other: number, frame: Uint8Array, self: number): void {
    this.#track(this.sink.appendMessage(dir === 'sent' ? { dir, to: other, from: self, frameOrEnvelope: frame } : { dir, to: self, from: other, frameOrEnvelope: frame }));
  }
  /**
   * Like message(), for frames whose validity is not known yet (a peer records what it received before
   * its client judges it): a writer's refusal (TypeError/RangeError: not a validly signed message of the
   * session) records nothing and is not a failure.
   */
  messageIfValid(dir: 'sent' | 'received', other: number, frame: Uint8Array, self: number): void {
    const m = dir === 'sent' ? { dir, to: other, from: self, frameOrEnvelope: frame } : { dir, to: self, from: other, frameOrEnvelope: frame };
    let p: Promise<unknown>;
    try {
      p = this.sink.appendMessage(m);
    } catch (e) {
      if (e instanceof TypeError || e instanceof RangeError) return;
      throw e;
    }
    this.#track(p.catch((e: unknown) => {
      if (e instanceof TypeError || e instanceof RangeError) return;
      throw e;
    }));
  }
  note(round: number, event: string, data?: { readonly [key: string]: Canonical }): void {
    this.#track(this.sink.appendNote(data === undefined ? { round, event } : { round, event, data }));
  }
  /** Waits for every queued append; throws the first failure. */
  async idle(): Promise<void> {
    await this.#pending;
    if (this.#failure) throw this.#failure;
  }
}
