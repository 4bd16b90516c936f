#!/usr/bin/env node
/**
 * The `tessera` executable.
 * @module
 */
import { main } from './index.js';

// `tessera demo | head` closes stdout early: that is not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
process.exitCode = await main(process.argv);
