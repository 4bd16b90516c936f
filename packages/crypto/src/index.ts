/**
 * @tessera/crypto: the primitives Tessera's protocols are built from, each in a module of its own.
 * @module
 */
export * from './bytes.js';
export * from './random.js';
export * from './hash.js';
export * from './keys.js';
export * from './aead.js';
export * from './prg.js';
export * from './mask-pool.js';
export * from './shamir.js';
export * from './encoding.js';
export * from './wasm-asm.js';
