/**
 * The client pipeline into Z_2^b (rotation, clipping, scaling, conditional randomized rounding,
 * noise) and its inverse on the server. See the package README, "## Encoding".
 * @module
 */
export * from './hadamard.js';
export * from './rounding.js';
export * from './params.js';
export * from './pipeline.js';
