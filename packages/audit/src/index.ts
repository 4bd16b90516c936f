/**
 * @tessera/audit: signed, hash-chained protocol transcripts (issue 7) — the format (docs/transcript.md),
 * a crash-safe writer, a reader, and the integrity layer of `audit verify`.
 * @module
 */
export * from './errors.js';
export * from './format.js';
export * from './entry.js';
export * from './envelope.js';
export * from './params.js';
export * from './rules.js';
export * from './reader.js';
export * from './writer.js';
export * from './verify.js';
export * from './crosscheck.js';
export * from './checks/index.js';
export * from './audit.js';
export * from './report.js';
