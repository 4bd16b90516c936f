/**
 * The privacy accountant: Rényi DP of the Gaussian, subsampled Gaussian, distributed discrete Gaussian and
 * Skellam mechanisms, Zhu–Wang subsampling, composition, conversion to (ε, δ), calibration, and a durable
 * ledger. See packages/dp/README.md § Accountant for every formula and its source.
 * @module
 */
export { DEFAULT_GAUSSIAN_ORDERS, DEFAULT_DISCRETE_ORDERS, DEFAULT_LEDGER_ORDERS } from './orders.js';
export { rdpGaussian, rdpSubsampledGaussian, subsampledGaussianFractional } from './gaussian.js';
export type { FractionalMethod, FractionalResult } from './gaussian.js';
export { rdpSubsampledGeneric } from './subsample.js';
export type { RdpFunction } from './subsample.js';
export { rdpDistributedDiscreteGaussian, rdpSkellam, ddgTau, gridSensitivities } from './discrete.js';
export type { DdgParams, SkellamParams, RoundingParams } from './discrete.js';
export { composeRdp, epsilonFromRdp, deltaFromRdp, epsilonAtOrder } from './convert.js';
export type { Conversion, EpsilonResult } from './convert.js';
export { roundRdp, effectiveNoiseMultiplier, checkRound } from './mechanism.js';
export type { Round, GaussianRound, DdgaussRound, SkellamRound } from './mechanism.js';
export { calibrateNoise } from './calibrate.js';
export type { CalibrationRequest, CalibrationResult, NoiseTemplate } from './calibrate.js';
export { PrivacyLedger, RdpAccountant } from './ledger.js';
export type { LedgerOptions, LedgerJson, LedgerEpsilon, PrivacyUnit } from './ledger.js';
export { logAdd, logSub, logSumExp, log1pExp, log1mExp, logExpm1, lgamma, logAbsBinomial, logErfc } from './logmath.js';
