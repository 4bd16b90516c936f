/**
 * The grids of Rényi orders α at which curves are evaluated.
 * @module
 */

/**
 * dp_accounting's default grid (`DEFAULT_RDP_ORDERS` in rdp_privacy_accountant.py): 1.1, 1.2, …, 10.9,
 * then 11, 12, …, 63, then 128, 256, 512, 1024 — 156 orders. Used for the Gaussian mechanisms.
 */
export const DEFAULT_GAUSSIAN_ORDERS: readonly number[] = Object.freeze([
  ...Array.from({ length: 99 }, (_, x) => 1 + (x + 1) / 10),
  ...Array.from({ length: 53 }, (_, x) => 11 + x),
  128,
  256,
  512,
  1024,
]);

/**
 * The integer grid 2, 3, …, 128 and 256 — the grid of Kairouz, Liu, Steinke (2021) and Agarwal, Kairouz,
 * Liu (2021) (`RDP_ORDERS` in google-research/federated distributed_dp). Used for the discrete mechanisms,
 * whose subsampled bound (Zhu–Wang) is defined at integer orders.
 */
export const DEFAULT_DISCRETE_ORDERS: readonly number[] = Object.freeze([
  ...Array.from({ length: 127 }, (_, x) => 2 + x),
  256,
]);

/** The sorted union of both grids: the default of a {@link PrivacyLedger} that may mix mechanisms. */
export const DEFAULT_LEDGER_ORDERS: readonly number[] = Object.freeze(
  [...new Set([...DEFAULT_GAUSSIAN_ORDERS, ...DEFAULT_DISCRETE_ORDERS])].sort((a, b) => a - b),
);
