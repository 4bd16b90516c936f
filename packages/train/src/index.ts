/**
 * @tessera/train: a small, fast typed-array training engine behind the {@link Trainer} interface.
 * @module
 */
export * from './trainer.js';
export * from './sequential.js';
export * from './layers/index.js';
export * from './optim.js';
export * from './models.js';
export * from './loss.js';
export * from './gemm.js';
export { Network, type NetworkOptions } from './network.js';
export { UniformStream, streamFor, permutation } from './random.js';
export { sizeOf, type Arr, type DType, type Shape } from './tensor.js';
export * from './checkpoint.js';
export * from './metrics.js';
export * from './sampling.js';
export * from './augment.js';
export * from './fit.js';
