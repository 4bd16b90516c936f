/** The small real transcript the mutation tests mutate (a 3-member round), built once per test file. */
import { scanTranscript, verifyTranscriptBytes, type BlobLoader, type IntegrityReport, type TranscriptRecord } from '../src/index.js';
import { cleanup, loadAll, recordRound, tempDir, type Fixture } from './helpers.js';

export interface Small {
  readonly tlog: Uint8Array;
  readonly blobs: Map<string, Uint8Array>;
  readonly records: readonly TranscriptRecord[];
  readonly fixture: Fixture;
}

let small: Promise<Small> | undefined;
/** 3 members, d = 100 at 16 bits (masked envelopes ≈ 390 bytes become blobs at inline limit 360), control messages for member 1. */
export function getSmall(): Promise<Small> {
  return (small ??= (async () => {
    const dir = await tempDir();
    try {
      const { fixture } = await recordRound(dir, { seed: 'mutation', n: 3, vectorLength: 100, bits: 16, controlTo: [1], writer: { inlineLimit: 360 } });
      const { tlog, blobs } = await loadAll(dir);
      return { tlog, blobs, records: scanTranscript(tlog).records, fixture };
    } finally {
      await cleanup(dir);
    }
  })());
}

export const loader = (blobs: ReadonlyMap<string, Uint8Array>): BlobLoader => async (name) => blobs.get(name);

export function verify(s: Small, tlog: Uint8Array, blobs: ReadonlyMap<string, Uint8Array> = s.blobs): Promise<IntegrityReport> {
  return verifyTranscriptBytes(tlog, loader(blobs), { roster: s.fixture.session });
}
