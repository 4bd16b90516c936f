/**
 * "What each party saw", derived from the envelopes a round actually moved (runRound's `observe`
 * callback) and from what each client reports it revealed, never from assumptions about the protocol.
 * Shared by the commands that run rounds in process (demo now; simulate and audit later).
 * @module
 */
import {
  SERVER_INDEX, decodeEnvelope, maxMessageBytes, parseMessage, type Delivery, type Message, type MessageType, type RoundOutcome, type Session,
  type Stage,
} from '@tessera/secagg';

/** An envelope the driver moved, decoded (signatures were verified by the receiving state machine). */
export interface DecodedDelivery extends Delivery {
  readonly message: Message;
}

/** Decodes every recorded delivery against the session. */
export function decodeDeliveries(session: Session, deliveries: readonly Delivery[]): DecodedDelivery[] {
  const max = maxMessageBytes(session);
  return deliveries.map((d) => ({ ...d, message: parseMessage(decodeEnvelope(d.bytes, max).m, session, max) }));
}

/** Count and total envelope bytes of one kind of message, with the members involved. */
export interface Tally {
  readonly count: number;
  readonly bytes: number;
  /** The members these came from (ascending). */
  readonly from: readonly number[];
}

export interface CoordinatorView {
  /** Advertise messages: each carries two X25519 public keys, signed by the sender's identity key. */
  readonly signedPublicKeys: Tally & { readonly keys: number };
  /** Share messages: AEAD ciphertexts of Shamir shares, each readable only by the member it is addressed to. */
  readonly encryptedShares: Tally & { readonly ciphertextBytes: number };
  /** Masked inputs: x + masks, packed at b bits. */
  readonly maskedVectors: Tally & { readonly payloadBytes: number; readonly byteEntropy: number | null };
  /** Signatures of the survivor set (consistency check). */
  readonly survivorSetSignatures: Tally;
  /** Shares revealed in Unmasking: of survivors' self-mask seeds and of dropped members' mask keys. */
  readonly revealedShares: {
    readonly selfMask: { readonly count: number; readonly of: readonly number[] };
    readonly maskKey: { readonly count: number; readonly of: readonly number[] };
    readonly from: readonly number[];
  };
  /** The only plaintext the coordinator learns: the sum over the survivors, if the round completed. */
  readonly sum: { readonly survivors: readonly number[]; readonly preview: readonly number[] } | null;
  /** Message types received, with counts. */
  readonly received: Readonly<Partial<Record<MessageType, number>>>;
}

export interface SiteView {
  readonly site: number;
  /** The stage at which it dropped out (it sent nothing from then on), or null. */
  readonly droppedAt: Stage | null;
  /** Whether its input is in the recovered sum (it is in U3 and the round completed). */
  readonly inSum: boolean;
  readonly input: { readonly length: number; readonly preview: readonly number[] };
  /** Neighbours whose signed public keys the coordinator relayed to it. */
  readonly neighbourKeys: { readonly count: number; readonly from: readonly number[] };
  /** Encrypted shares addressed to it (only it can decrypt them). */
  readonly sharesForIt: { readonly count: number; readonly bytes: number; readonly from: readonly number[] };
  /** The survivor set U3 as the coordinator announced it to this site, if it got that far. */
  readonly survivorSet: readonly number[] | null;
  /** What it revealed in Unmasking (SecAggClient.revealed). */
  readonly revealed: { readonly selfMaskOf: readonly number[]; readonly maskKeyOf: readonly number[] } | null;
  /** Message types received, with counts: never a masked vector and never another site's input. */
  readonly received: Readonly<Partial<Record<MessageType, number>>>;
  /** An error its state machine raised, if any. */
  readonly error: { readonly code: string; readonly message: string } | null;
}

const sortedUnique = (xs: Iterable<number>): number[] => [...new Set(xs)].sort((a, b) => a - b);

/** Shannon entropy in bits per byte of the concatenation of `chunks` (8 for uniform bytes). */
export function byteEntropy(chunks: readonly Uint8Array[]): number | null {
  const counts = new Float64Array(256);
  let total = 0;
  for (const c of chunks) {
    for (const b of c) counts[b]!++;
    total += c.length;
  }
  if (total === 0) return null;
  let h = 0;
  for (const k of counts) if (k > 0) h -= (k / total) * Math.log2(k / total);
  return Math.round(h * 1000) / 1000;
}

/** Strips the "ERR_X: " prefix SecAggError puts in front of its message. */
export function plainMessage(error: { code: string; message: string }): string {
  return error.message.startsWith(`${error.code}: `) ? error.message.slice(error.code.length + 2) : error.message;
}

function tally(ds: readonly DecodedDelivery[]): Tally {
  return { count: ds.length, bytes: ds.reduce((s, d) => s + d.bytes.length, 0), from: sortedUnique(ds.map((d) => d.from)) };
}

function countTypes(ds: readonly DecodedDelivery[]): Partial<Record<MessageType, number>> {
  const out: Partial<Record<MessageType, number>> = {};
  for (const d of ds) out[d.message.type] = (out[d.message.type] ?? 0) + 1;
  return out;
}

/** The coordinator's view: everything addressed to it, plus the result it computed. */
export function coordinatorView(deliveries: readonly DecodedDelivery[], outcome: RoundOutcome, previewWords = 8): CoordinatorView {
  const toServer = deliveries.filter((d) => d.to === SERVER_INDEX);
  const of = (type: MessageType) => toServer.filter((d) => d.message.type === type);
  const adverts = of('advertise');
  const shares = of('share');
  const masked = of('masked');
  const unmasks = of('unmask');
  const selfMask: number[] = [];
  const maskKey: number[] = [];
  for (const d of unmasks) {
    if (d.message.type !== 'unmask') continue;
    for (const [v] of d.message.selfMaskShares) selfMask.push(v);
    for (const [v] of d.message.maskKeyShares) maskKey.push(v);
  }
  const maskedData = masked.flatMap((d) => (d.message.type === 'masked' ? [d.message.data] : []));
  const result = outcome.result;
  return {
    signedPublicKeys: { ...tally(adverts), keys: 2 * adverts.length },
    encryptedShares: { ...tally(shares), ciphertextBytes: shares.reduce((s, d) => s + (d.message.type === 'share' ? d.message.ct.length : 0), 0) },
    maskedVectors: { ...tally(masked), payloadBytes: maskedData.reduce((s, b) => s + b.length, 0), byteEntropy: byteEntropy(maskedData) },
    survivorSetSignatures: tally(of('consistency')),
    revealedShares: {
      selfMask: { count: selfMask.length, of: sortedUnique(selfMask) },
      maskKey: { count: maskKey.length, of: sortedUnique(maskKey) },
      from: sortedUnique(unmasks.map((d) => d.from)),
    },
    sum: result ? { survivors: [...result.survivors], preview: [...result.sum.subarray(0, previewWords)] } : null,
    received: countTypes(toServer),
  };
}

/** Each site's view: its own input, and everything the coordinator sent it. */
export function siteViews(
  session: Session, deliveries: readonly DecodedDelivery[], outcome: RoundOutcome, inputs: readonly Uint32Array[],
  dropouts: ReadonlyMap<number, Stage>, previewWords = 4,
): SiteView[] {
  const inSum = new Set(outcome.result?.survivors ?? []);
  const views: SiteView[] = [];
  const max = maxMessageBytes(session);
  const senderOf = (item: Uint8Array): number => parseMessage(decodeEnvelope(item, max).m, session, max).from;
  for (let u = 1; u <= session.n; u++) {
    const mine = deliveries.filter((d) => d.to === u);
    let neighbourKeys: number[] = [];
    let sharesFrom: number[] = [];
    let shareBytes = 0;
    let survivorSet: number[] | null = null;
    for (const d of mine) {
      const m = d.message;
      if (m.type === 'advertise-relay') neighbourKeys = m.items.map(senderOf);
      else if (m.type === 'share-relay') {
        sharesFrom = m.items.map(senderOf);
        shareBytes = m.items.reduce((s, item) => s + item.length, 0);
      } else if (m.type === 'consistency-request' || m.type === 'unmask-request') survivorSet = [...m.survivors];
    }
    const revealed = outcome.clients[u - 1]?.revealed;
    const error = outcome.clientErrors.get(u);
    views.push({
      site: u,
      droppedAt: dropouts.get(u) ?? null,
      inSum: inSum.has(u),
      input: { length: inputs[u - 1]!.length, preview: [...inputs[u - 1]!.subarray(0, previewWords)] },
      neighbourKeys: { count: neighbourKeys.length, from: sortedUnique(neighbourKeys) },
      sharesForIt: { count: sharesFrom.length, bytes: shareBytes, from: sortedUnique(sharesFrom) },
      survivorSet,
      revealed: revealed ? { selfMaskOf: [...revealed.selfMaskOf], maskKeyOf: [...revealed.maskKeyOf] } : null,
      received: countTypes(mine),
      error: error ? { code: error.code, message: plainMessage(error) } : null,
    });
  }
  return views;
}
