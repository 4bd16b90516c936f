/**
 * Running the built `tessera` executable as a child process, the way a user or a script would.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root (test files run from test/dist/). */
export const root = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = 'packages/cli/dist/src/bin.js';

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `tessera ...args` with a timeout; resolves with its exit code and output. */
export function tessera(args: readonly string[], timeout = 20_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { cwd: root, timeout, maxBuffer: 256 << 20 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(new Error(`tessera ${args.join(' ')} did not exit normally (${error.signal ?? error.message}); stderr: ${stderr}`));
        return;
      }
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

/** Parses stdout as exactly one JSON document (nothing else may be printed in --json mode). */
export function json(run: Run): any {
  try {
    return JSON.parse(run.stdout);
  } catch {
    throw new Error(`stdout is not one JSON document:\n${run.stdout.slice(0, 500)}\nstderr: ${run.stderr}`);
  }
}

/** True when `text` holds no stack trace. */
export const noStackTrace = (text: string): boolean => !/\n\s+at /.test(text);
