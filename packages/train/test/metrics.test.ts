import test from 'ava';
import fc from 'fast-check';
import { accuracy, argmax, balancedAccuracy, classScores, confusionMatrix, perClassRecall, rocAuc } from '../src/index.js';

// Hand-computed example: 10 examples, 3 classes.
const labels = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2];
const preds = [0, 0, 1, 2, 1, 1, 0, 2, 2, 2];

test('confusion matrix, accuracy, per-class recall and balanced accuracy on a hand-computed example', (t) => {
  t.deepEqual(confusionMatrix(labels, preds, 3), [[2, 1, 1], [1, 2, 0], [0, 0, 3]]);
  t.is(accuracy(labels, preds), 7 / 10);
  t.deepEqual(perClassRecall(labels, preds, 3), [2 / 4, 2 / 3, 3 / 3]);
  t.is(balancedAccuracy(labels, preds, 3), (0.5 + 2 / 3 + 1) / 3);
  // A class with no examples has NaN recall and is left out of the balanced accuracy.
  t.true(Number.isNaN(perClassRecall([0, 0], [0, 2], 3)[1]!));
  t.is(balancedAccuracy([0, 0, 2], [0, 1, 2], 3), (0.5 + 1) / 2);
  // Majority-class predictor on imbalanced data: high accuracy, balanced accuracy 0.5.
  t.is(accuracy([0, 0, 0, 1], [0, 0, 0, 0]), 0.75);
  t.is(balancedAccuracy([0, 0, 0, 1], [0, 0, 0, 0], 2), 0.5);
  t.throws(() => confusionMatrix([0, 3], [0, 1], 3), { instanceOf: RangeError, message: /labels\[1\]/ });
  t.throws(() => confusionMatrix([0], [0, 1], 3), { instanceOf: RangeError, message: /differ in length/ });
});

test('ROC AUC: hand-computed values, ties by mid-ranks', (t) => {
  t.is(rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 0.75); // pairs: (0.35>0.1), (0.35<0.4), 0.8 beats both → 3/4
  t.is(rocAuc([0, 1], [0.2, 0.9]), 1);
  t.is(rocAuc([1, 0], [0.2, 0.9]), 0);
  t.is(rocAuc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]), 0.5); // all tied
  // 3 negatives {0.1, 0.5, 0.5}, 2 positives {0.5, 0.9}: 0.9 beats all (3); 0.5 beats 0.1 (1) and ties two (2 × ½) → 5/6
  t.is(rocAuc([0, 0, 0, 1, 1], [0.1, 0.5, 0.5, 0.5, 0.9]), 5 / 6);
  t.throws(() => rocAuc([1, 1], [0.1, 0.2]), { instanceOf: RangeError, message: /both classes/ });
  t.throws(() => rocAuc([0, 2], [0.1, 0.2]), { instanceOf: RangeError, message: /labels\[1\]/ });
  t.throws(() => rocAuc([0, 1], [0.1, Number.NaN]), { instanceOf: RangeError, message: /scores\[1\]/ });
});

test('ROC AUC equals the O(n²) pair count on random data with ties', (t) => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 1 }), fc.integer({ min: 0, max: 5 })), { minLength: 2, maxLength: 40 }), (rows) => {
      const y = rows.map((r) => r[0]), s = rows.map((r) => r[1] / 5);
      if (!y.includes(0) || !y.includes(1)) return true;
      let wins = 0, pairs = 0;
      for (let i = 0; i < y.length; i++) for (let j = 0; j < y.length; j++) if (y[i] === 1 && y[j] === 0) {
        pairs++;
        wins += s[i]! > s[j]! ? 1 : s[i] === s[j] ? 0.5 : 0;
      }
      return Math.abs(rocAuc(y, s) - wins / pairs) < 1e-12;
    }),
    { numRuns: 300 },
  );
  t.pass();
});

test('argmax and classScores read probability matrices', (t) => {
  const p = [0.2, 0.8, 0.6, 0.4, 0.5, 0.5];
  t.deepEqual([...argmax(p, 2)], [1, 0, 0]);
  t.deepEqual([...classScores(p, 2)], [0.8, 0.4, 0.5]);
  t.throws(() => argmax([1, 2, 3], 2), { instanceOf: RangeError });
});
