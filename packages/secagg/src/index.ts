/**
 * @tessera/secagg: one secure-aggregation round (Bonawitz et al., CCS 2017, with the sparse
 * neighbour graphs of Bell et al., CCS 2020) as pure state machines that any transport can drive.
 * @module
 */
export * from './errors.js';
export * from './config.js';
export * from './params.js';
export * from './graph.js';
export * from './ring.js';
export * from './derive.js';
export * from './messages.js';
export * from './client.js';
export * from './server.js';
export * from './driver.js';
export * from './predict.js';
