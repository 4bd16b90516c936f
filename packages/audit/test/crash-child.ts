/**
 * Child process for the crash test: appends records to the transcript in argv[2] forever (until
 * SIGKILL), printing each seq once its append has resolved (fsynced). Large notes now and then make a
 * kill during a write more likely.
 */
import { sealMessage, type Advertise } from '@tessera/secagg';
import { TranscriptWriter } from '../src/index.js';
import { fixture } from './helpers.js';

const dir = process.argv[2]!;
const fx = fixture('crash', 3);
const w = await TranscriptWriter.open(dir, { recorder: 0, identity: fx.serverIdentity });
if (w.recovered.truncatedTail) process.stdout.write(`recovered ${w.recovered.truncatedTail.offset} ${w.recovered.truncatedTail.bytes}\n`);
if (w.nextSeq === 0) process.stdout.write(`seq ${(await w.appendSession({ session: fx.session })).seq}\n`);
for (let i = 0; ; i++) {
  const round = w.nextSeq;
  let a;
  if (i % 5 === 4) {
    a = await w.appendNote({ round, event: 'filler', data: { blob: new Uint8Array(256 * 1024 + (i % 7) * 4096).fill(i & 0xff) } });
  } else {
    const from = 1 + (i % 3);
    const env = sealMessage({ v: 1, type: 'advertise', session: fx.session.digest, round, from, cPk: new Uint8Array(32).fill(i & 0xff), sPk: new Uint8Array(32).fill(from) } as Advertise, fx.memberIdentities[from - 1]!);
    a = await w.appendMessage({ dir: 'received', to: 0, frameOrEnvelope: env, tag: 1 });
  }
  process.stdout.write(`seq ${a.seq}\n`);
}
