/**
 * Exact discrete noise from a CSPRNG: discrete Gaussian (Canonne–Kamath–Steinke 2020), discrete
 * Laplace, Poisson and Skellam, parameterised by exact rationals. See the package README, "## Noise".
 * @module
 */
export * from './words.js';
export * from './rational.js';
export * from './exp.js';
export * from './bernoulli.js';
export * from './fast.js';
export * from './laplace.js';
export * from './gaussian.js';
export * from './table.js';
export * from './poisson.js';
export * from './pmf.js';
export * from './pool.js';
