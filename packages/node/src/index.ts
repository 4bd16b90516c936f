/**
 * @tessera/node: the coordinator and peer runtimes that run whole sessions of SecAgg rounds over a
 * transport, and the files operators keep: identities, the roster, configs and update files.
 * @module
 */
export * from './errors.js';
export * from './json.js';
export * from './files.js';
export * from './identity.js';
export * from './roster.js';
export * from './config.js';
export * from './inputs.js';
export * from './privacy.js';
export * from './budget.js';
export * from './control.js';
export * from './limits.js';
export * from './coordinator.js';
export * from './peer.js';
export * from './transcript.js';
