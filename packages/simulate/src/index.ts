/**
 * @tessera/simulate: simulated multi-site training runs (`tessera simulate`) — config, data split,
 * dropouts, the memory and WebSocket transports, metrics, reports and sweeps.
 * @module
 */
export * from './config.js';
export * from './data.js';
export * from './dropouts.js';
export * from './setup.js';
export * from './simulate.js';
export * from './sweep.js';
export * from './counting.js';
export { partiesOf, notesOf } from './parties.js';
