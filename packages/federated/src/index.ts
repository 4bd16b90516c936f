/**
 * @tessera/federated: federated training over secure aggregation — FedAvg weighted by securely summed
 * sample counts, and distributed DP-SGD with per-round privacy accounting — built from `Site`s that
 * produce ring vectors, `runRound` (real SecAgg state machines) and a `Server` that decodes and steps.
 * @module
 */
export * from './plan.js';
export * from './secure.js';
export * from './site.js';
export * from './server.js';
export * from './federated.js';
export * from './tracker.js';
export * from './profile.js';
export * from './calibrate.js';
export * from './publication.js';
