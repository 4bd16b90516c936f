/**
 * Crash safety: a child process appends in a loop and is killed with SIGKILL at random moments; each
 * time the transcript must read as a valid prefix holding every append the child saw resolve, and a new
 * writer must continue the chain so that the whole verifies.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomInt } from 'node:crypto';
import { TranscriptWriter, readTranscript, verifyIntegrity } from '../src/index.js';
import { cleanup, fixture, tempDir } from './helpers.js';

const CHILD = fileURLToPath(new URL('./crash-child.js', import.meta.url));

function runAndKill(dir: string, ms: number): Promise<{ lastSeq: number; recovered: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let started = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!started) {
        started = true;
        setTimeout(() => child.kill('SIGKILL'), ms);
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`child exited without being killed: ${err}`));
      const lines = out.split('\n');
      const seqs = lines.filter((l) => l.startsWith('seq ')).map((l) => Number(l.slice(4)));
      resolve({ lastSeq: seqs.length ? seqs[seqs.length - 1]! : -1, recovered: lines.filter((l) => l.startsWith('recovered')) });
    });
  });
}

test('SIGKILL at random moments leaves a valid prefix, and re-opening continues the chain', async (t) => {
  const dir = await tempDir();
  try {
    let before = 0;
    let torn = 0;
    let tornBySimulation = 0;
    let chopped = false;
    for (let k = 0; k < 8; k++) {
      const { lastSeq, recovered } = await runAndKill(dir, randomInt(20, 250));
      if (chopped) t.is(recovered.length, 1, 'the child reported the torn record it cut off');
      else torn += recovered.length;
      chopped = false;
      const tr = await readTranscript(dir); // throws on anything but a torn tail
      t.true(tr.entries.length > lastSeq, `kill ${k}: every append the child saw resolve is in the file (${tr.entries.length} > ${lastSeq})`);
      t.true(tr.entries.length >= before, 'nothing that was there before was lost');
      tr.entries.forEach((e, i) => t.is(e.seq, i));
      if (tr.truncatedTail) torn++;
      const r = await verifyIntegrity(dir, { allowPartial: true });
      t.true(r.ok, `kill ${k}: ${JSON.stringify(r.first)}`);
      before = tr.entries.length;
      if (k % 2 === 1 && tr.records.length > 1 && !tr.truncatedTail) {
        // Also tear the last record as a power cut could (a prefix of it on disk): the next writer must cut it off.
        const last = tr.records[tr.records.length - 1]!;
        const keep = last.offset + randomInt(1, 4 + last.bytes.length);
        await truncate(join(dir, 'transcript.tlog'), keep);
        const torn2 = await readTranscript(dir);
        t.deepEqual(torn2.truncatedTail, { offset: last.offset, bytes: keep - last.offset });
        t.is(torn2.entries.length, tr.entries.length - 1);
        before -= 1;
        tornBySimulation++;
        chopped = true;
      }
    }
    const w = await TranscriptWriter.open(dir, { recorder: 0, identity: fixture('crash', 3).serverIdentity });
    await w.close();
    const r = await verifyIntegrity(dir, { roster: fixture('crash', 3).session });
    t.true(r.ok, JSON.stringify(r.first));
    t.true(r.entries > 8);
    t.log(`${r.entries} entries after 8 kills; torn tails left by SIGKILL: ${torn}, simulated: ${tornBySimulation}`);
  } finally {
    await cleanup(dir);
  }
});
