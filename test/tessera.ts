/**
 * Running the built `tessera` executable as a child process, the way a user or a script would.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** The repository root (test files run from test/dist/). */
export const root = fileURLToPath(new URL('../..', import.meta.url));
/** The executable, as an absolute path (tests run processes from temporary folders too). */
export const BIN = join(root, 'packages/cli/dist/src/bin.js');

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  /** Working folder (default: the repository root). */
  readonly cwd?: string;
  /** Milliseconds before the process is killed (default 20 s). */
  readonly timeout?: number;
  /** Extra environment variables. */
  readonly env?: NodeJS.ProcessEnv;
}

/** Runs `tessera ...args` to completion; resolves with its exit code and output. */
export function tessera(args: readonly string[], options: RunOptions = {}): Promise<Run> {
  const { cwd = root, timeout = 20_000, env = {} } = options;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [BIN, ...args], { cwd, timeout, env: { ...process.env, ...env }, maxBuffer: 256 << 20 }, (error, stdout, stderr) => {
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

/** A long-running `tessera` process (run with --json) whose log lines are collected as they come. */
export class TesseraProcess {
  readonly child: ChildProcess;
  readonly events: any[] = [];
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #waiters: { match: (e: any) => boolean; resolve: (e: any) => void }[] = [];

  constructor(args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}) {
    const { cwd = root, env = {} } = options;
    this.child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      let e: any;
      try {
        e = JSON.parse(line);
      } catch {
        return;
      }
      this.events.push(e);
      this.#waiters = this.#waiters.filter((w) => (w.match(e) ? (w.resolve(e), false) : true));
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The first log event matching `match` (past or future). */
  next(match: (e: any) => boolean, timeoutMs = 30_000, what = 'matching event'): Promise<any> {
    const seen = this.events.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${timeoutMs} ms; stderr: ${this.stderr.slice(-2000)}`)), timeoutMs);
      this.#waiters.push({ match, resolve: (e) => (clearTimeout(timer), resolve(e)) });
    });
  }

  /** SIGKILL by PID (never by name), if still running. */
  kill(): void {
    if (this.alive) this.child.kill('SIGKILL');
  }
}

/**
 * A fresh temporary folder and a list for the processes a test spawns: in t.teardown every process
 * still running is killed by PID (never by name) and awaited, then the folder is removed.
 */
export async function workspace(t: { teardown(f: () => Promise<void>): void }, prefix: string): Promise<{ dir: string; procs: TesseraProcess[] }> {
  const dir = await mkdtemp(join(tmpdir(), `tessera-${prefix}-`));
  const procs: TesseraProcess[] = [];
  t.teardown(async () => {
    for (const p of procs) p.kill();
    await Promise.all(procs.map((p) => p.exited));
    await rm(dir, { recursive: true, force: true });
  });
  return { dir, procs };
}
