/** The worked example of docs/transcript.md: fixed keys, session and clock, so every byte is fixed. */
import { identityFromSeed } from '@tessera/crypto';
import { createSession } from '@tessera/secagg';

export const KAT_TIME = 1_764_000_000_000;
export const katServer = identityFromSeed(new Uint8Array(32).fill(1));
export const katMembers = [identityFromSeed(new Uint8Array(32).fill(2)), identityFromSeed(new Uint8Array(32).fill(3))];
export const katSession = createSession({
  sessionId: Uint8Array.from({ length: 16 }, (_, i) => i),
  serverKey: katServer.publicKey,
  memberKeys: katMembers.map((m) => m.publicKey),
  threshold: 1,
  graph: { kind: 'complete' },
  bits: 8,
  vectorLength: 2,
});
