/**
 * @tessera/dp — distributed differential privacy. No I/O.
 *
 * - `accountant/`: Rényi DP of the mechanisms Tessera uses, composition, conversion to (ε, δ), calibration.
 * - `noise/`: exact discrete Gaussian and Skellam samplers with integer arithmetic from a CSPRNG.
 * - `encode/`: the client pipeline into Z_2^b (rotation, clipping, scaling, randomized rounding, noise)
 *   and its inverse on the server.
 * @module
 */
export * from './accountant/index.js';
export * from './noise/index.js';
export * from './encode/index.js';
