/**
 * The `--roster FILE` of the audit commands: the session whose keys every transcript is checked
 * against, read from the roster file the nodes load. A file that cannot be read or used is reported as
 * one line (and, with --json, one JSON document) and exit 1.
 * @module
 */
import { NodeError, loadRoster, sessionFromRoster } from '@tessera/node';
import type { Session } from '@tessera/secagg';
import { ExitCode } from './errors.js';
import { printJson, type Io } from './output.js';

/**
 * The session of `file`, or — after reporting why on `io` — the exit code to return.
 *
 * @example
 * const pin = await rosterPin(o.roster, io, { path: 'tessera audit verify', command: 'audit verify', json: o.json });
 * if (typeof pin === 'number') return pin;
 */
export async function rosterPin(file: string, io: Io, o: { path: string; command: string; json?: boolean; flag?: boolean }): Promise<Session | number> {
  try {
    return sessionFromRoster(await loadRoster(file), file).session;
  } catch (e) {
    if (!(e instanceof NodeError || e instanceof RangeError || e instanceof TypeError)) throw e;
    if (o.json) printJson(io, { command: o.command, ok: false, error: { code: (e as { code?: string }).code ?? 'ERR_INVALID', message: e.message } });
    io.err(`${o.path}: ${o.flag ? '--roster ' : ''}${e.message}\n`);
    return ExitCode.FAILURE;
  }
}
