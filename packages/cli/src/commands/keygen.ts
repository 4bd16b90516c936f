/**
 * `tessera keygen`: creates a party's identity file (Ed25519 key pair, mode 0600) and prints the
 * member id and public key to send to the coordinator's operator.
 * @module
 */
import type { Command } from 'commander';
import { writeIdentityFile } from '@tessera/node';
import { action, subcommand, type Context } from '../command.js';
import { ExitCode } from '../errors.js';
import { nonEmpty, option } from '../options.js';
import { keyValues, printJson, type Io } from '../output.js';
import { reportFailure } from '../runtime.js';

export interface KeygenOptions {
  readonly out: string;
  readonly json?: boolean;
}

export function keygenCommand(ctx: Context): Command {
  const cmd = subcommand(ctx, 'keygen', {
    summary: "create this party's identity key (identity.json, mode 0600)",
    description:
      'Creates DIR/identity.json holding a fresh Ed25519 key pair, readable by you only (mode 0600), and prints the ' +
      'member id (ts- + 16 hex digits of SHA-256 of the public key) and the public key. Send the public key to the ' +
      "coordinator's operator; it is not secret. The file is never overwritten: keep it, and back it up like any secret key.",
    examples: ['tessera keygen --out ./keys', 'tessera keygen --out /etc/tessera/site-a --json'],
  });
  cmd.addOption(option('--out <dir>', 'folder to create identity.json in (created if missing)', nonEmpty('folder')).makeOptionMandatory()).option('--json', 'print one JSON document');
  return action<KeygenOptions>(cmd, ctx, (o) => runKeygen(o, ctx.io));
}

export async function runKeygen(o: KeygenOptions, io: Io): Promise<number> {
  let made;
  try {
    made = await writeIdentityFile(o.out);
  } catch (e) {
    return reportFailure(io, 'tessera keygen', e);
  }
  if (o.json) printJson(io, { command: 'keygen', memberId: made.memberId, publicKey: made.publicKeyHex, file: made.file });
  else {
    io.out(keyValues([
      ['member id', made.memberId],
      ['public key', made.publicKeyHex],
      ['file', `${made.file} (mode 0600: keep it secret and back it up)`],
    ]));
    io.out("\nSend the public key (not the file) to the coordinator's operator.\n");
  }
  return ExitCode.OK;
}
