import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { seededRandom } from '@tessera/crypto';
import { logisticRegression, sgd, UniformStream, type Examples } from '@tessera/train';

/** Two Gaussian blobs of 8×8 single-channel "images", class-dependent mean; deterministic. */
export function blobs(n: number, seed: string, positiveShare = 0.5): Examples {
  const u = new UniformStream(seededRandom(`federated-test/${seed}`));
  const inputs = new Float32Array(n * 64);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const y = u.next() < positiveShare ? 1 : 0;
    labels[i] = y;
    for (let j = 0; j < 64; j++) inputs[i * 64 + j] = (y ? 0.4 : -0.4) * (j % 2 ? 1 : -1) + u.normal();
  }
  return { inputs, labels };
}

export const tinyModel = (name: string) => logisticRegression({ inputShape: [1, 8, 8], seed: `tiny/${name === 'server' ? 'server' : name}`, optimizer: sgd({ learningRate: 0.05, momentum: 0.9 }) });

export const fixturePath = fileURLToPath(new URL('../../../../../shared/datasets/pneumoniamnist/pneumoniamnist_fixture64.npz', import.meta.url));
export const haveFixture = existsSync(fixturePath);

export function l2(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s);
}
