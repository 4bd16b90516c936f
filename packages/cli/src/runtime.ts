/**
 * What the long-running and file-writing commands share: reporting expected failures (a bad file, a
 * refused peer) as one line with exit 1, progress logs for humans or as JSON lines, and Ctrl-C.
 * @module
 */
import { NodeError } from '@tessera/node';
import { TransportError } from '@tessera/transport';
import { ExitCode } from './errors.js';
import type { Io } from './output.js';

/**
 * Reports an expected failure (NodeError, TransportError, or a RangeError/TypeError raised while
 * validating an operator's input) as `<command>: <message>` and returns exit code 1; anything else is
 * a bug and propagates.
 */
export function reportFailure(io: Io, path: string, e: unknown, json = false): number {
  if (!(e instanceof NodeError || e instanceof TransportError || e instanceof RangeError)) throw e;
  if (json) io.out(JSON.stringify({ time: new Date().toISOString(), type: 'fatal', code: (e as { code?: string }).code ?? 'ERR_INVALID', message: e.message }) + '\n');
  io.err(`${path}: ${e.message}\n`);
  return ExitCode.FAILURE;
}

/** Progress output: human lines on stdout (warnings on stderr), or one JSON object per line with --json. */
export class ProgressLog {
  constructor(
    readonly io: Io,
    readonly json: boolean,
  ) {}

  /** An event: in JSON mode the object itself (with a timestamp); otherwise `text`, if any. */
  event(event: { readonly type: string }, text?: string): void {
    if (this.json) this.io.out(JSON.stringify({ time: new Date().toISOString(), ...event }) + '\n');
    else if (text !== undefined) this.io.out(`${clock()} ${text}\n`);
  }

  /** A warning: always on stderr; in JSON mode also as a {"type": "warning"} line. */
  warn(message: string): void {
    if (this.json) this.io.out(JSON.stringify({ time: new Date().toISOString(), type: 'warning', message }) + '\n');
    this.io.err(`warning: ${message}\n`);
  }
}

const clock = (): string => new Date().toISOString().slice(11, 19);

/**
 * Calls `stop` on the first SIGINT or SIGTERM (a clean shutdown); a second one exits at once.
 * Returns a function that removes the handlers.
 */
export function onShutdown(stop: (signal: string) => void): () => void {
  let count = 0;
  const handler = (signal: NodeJS.Signals): void => {
    if (++count > 1) process.exit(signal === 'SIGINT' ? 130 : 143);
    stop(signal);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/** The banner printed whenever plain ws:// (no TLS) is in use. */
export const INSECURE_BANNER =
  'INSECURE: plain ws:// without TLS ("insecure": true in the config). Every frame crosses the network unencrypted and ' +
  'the connection can be observed. Use this only for a test on one machine; real sessions use wss:// with a certificate.';
