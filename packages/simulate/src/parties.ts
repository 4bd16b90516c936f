/**
 * The plain-language parts of a run's report: what each party saw (and never saw), and how the
 * privacy figures were obtained. The statements follow from the protocol (docs/protocol.md) and the
 * code paths of the run: `federatedTrain`'s server only ever receives the SecAgg server's output, and a
 * site's vector leaves it only through its SecAggClient, masked.
 * @module
 */
import type { PartyView } from '@tessera/report';
import type { SimulationConfig } from './config.js';
import type { RunSetup } from './setup.js';
import type { SimulationSummary } from './simulate.js';

/** The "what each party saw" table of a run. */
export function partiesOf(c: SimulationConfig, s: RunSetup): PartyView[] {
  const dp = c.privacy.unit === 'patient';
  const noisy = dp && s.noiseMultiplier !== 0;
  const sum = dp
    ? `the sum over the surviving sites of their clipped gradient sums${noisy ? ', with the discrete Gaussian noise of every survivor in it' : ' (no noise: ε = ∞)'}, once per round`
    : "the sum over the surviving sites of their weighted model changes and the sum of their example counts, once per round";
  return [
    {
      party: 'Coordinator (server)',
      saw: `Signed protocol messages it relays; the sites' public keys; each site's masked vector (${c.secagg.bits}-bit words that look uniformly random without the masks); ` +
        `${sum}; which sites dropped out at which stage; the Shamir shares needed to remove the masks of the survivors (self masks) and of the dropped sites (pairwise masks), never both for one site. ` +
        'It also holds the public validation and test splits, on which it evaluates the global model.',
      neverSaw: 'Any site\'s images, labels, patient count or individual update; any mask seed of a site that stayed; the encrypted shares it relayed (end-to-end encrypted between sites).',
    },
    ...Array.from({ length: Math.min(c.sites, 3) }, (_, i) => ({
      party: `Site ${i + 1} (hospital-${i + 1})`,
      saw: `Its own images and labels; the global model published each round; its neighbours' public keys; Shamir shares of its neighbours' seeds (fewer than t = ${s.threshold} of anyone's, so useless alone); the round outcomes.`,
      neverSaw: "Other sites' images, labels, counts or updates; the sum of any round before it is published as the new model.",
    })),
    ...(c.sites > 3 ? [{ party: `Sites 4–${c.sites}`, saw: 'The same as sites 1–3, each of its own data.', neverSaw: 'The same as sites 1–3.' }] : []),
    {
      party: 'Reader of this report',
      saw: 'The final model\'s metrics on the public test split, per-round aggregate metrics, and each site\'s label counts (shown because this is a simulation: in a deployment only the site knows them).',
      neverSaw: 'Any image or individual update.',
    },
  ];
}

/** Plain-language notes on how the run's privacy and metrics were obtained. */
export function notesOf(c: SimulationConfig, s: RunSetup, summary: SimulationSummary): string[] {
  const notes: string[] = [];
  if (c.privacy.unit === 'patient') {
    notes.push(
      `Patient-level distributed DP-SGD: each round every site Poisson-samples its patients at rate q = ${c.dpsgd.samplingRate}, clips each patient's gradient to L2 norm ${c.dpsgd.clip}, ` +
      `sums them, adds its share of discrete Gaussian noise and masks the result; the coordinator learns only the noisy sum. PneumoniaMNIST has no patient identifiers, so each image counts as one patient.`,
    );
    if (s.noiseMultiplier === 0) notes.push('ε = ∞: gradients are clipped but no noise is added; this point shows the cost of clipping and sampling alone, not a private run.');
    else
      notes.push(
        `The noise (central multiplier z = ${s.noiseMultiplier!.toFixed(4)}) was calibrated so that ε ≤ ${c.privacy.epsilon} at δ = ${c.privacy.delta} after ${c.rounds} rounds even if only t = ${s.threshold} sites' noise is present every round ` +
        `(the distributed discrete Gaussian accountant, Rényi DP converted to (ε, δ)). Reported ε uses the noise really present (all survivors); the worst case is reported beside it.`,
      );
  } else notes.push('No differential privacy: FedAvg over secure aggregation (the coordinator learns the exact sum of the survivors\' weighted updates).');
  notes.push(
    `Secure aggregation: ${c.sites} sites, ${s.graph.kind === 'complete' ? 'complete graph (every pair shares a mask)' : `SecAgg+ graph of degree ${s.graph.degree}`}, threshold t = ${s.threshold}, ring Z_2^${c.secagg.bits}. ` +
    'A round aborts (and the model is unchanged, no privacy spent) when fewer than t sites survive.',
  );
  notes.push(
    `Test metrics are those of the model picked on validation AUC (round ${summary.selectedRound}); the test split chose nothing. ` +
    'The reference is MedMNIST v2\'s centrally trained ResNet-18 (28), without privacy.',
  );
  return notes;
}
