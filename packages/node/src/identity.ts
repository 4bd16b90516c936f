/**
 * Identity files: a party's long-term Ed25519 key pair on disk, and the member id users see.
 *
 * `identity.json` = { "version": 1, "kind": "tessera-identity", "publicKey": <64 hex>, "seed": <64 hex> }.
 * It is created with mode 0600 (atomically, never chmod-ed afterwards), is never overwritten, and is
 * refused when group or others can read it. The member id is a fingerprint of the public key:
 * `ts-` followed by the first 16 hex digits of SHA-256(publicKey) — short enough to read out on a
 * phone call, long enough (64 bits) that two keys of one session never share it by accident. It is a
 * name for humans; the roster pins the full key.
 * @module
 */
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { KEY_BYTES, equalBytes, fromHex, generateIdentity, identityFromSeed, sha256, toHex, type Identity, type RandomSource } from '@tessera/crypto';
import { FileError, NodeErrorCodes } from './errors.js';
import { Fields, parseJsonText } from './json.js';

/** Largest identity file read. */
const MAX_IDENTITY_BYTES = 4096;

/** The file name `writeIdentityFile` creates. */
export const IDENTITY_FILE = 'identity.json';

/** The JSON form of an identity file. */
export interface IdentityFile {
  readonly version: 1;
  readonly kind: 'tessera-identity';
  readonly publicKey: string;
  readonly seed: string;
}

/**
 * The member id shown to users: "ts-" + the first 16 hex digits of SHA-256(publicKey).
 *
 * @example
 * memberId(identity.publicKey); // "ts-3f9a0c…" (19 characters)
 */
export function memberId(publicKey: Uint8Array): string {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== KEY_BYTES) throw new TypeError(`publicKey must be a ${KEY_BYTES}-byte Uint8Array`);
  return 'ts-' + toHex(sha256(publicKey)).slice(0, 16);
}

/** A loaded identity with its file and member id. */
export interface LoadedIdentity {
  readonly file: string;
  readonly identity: Identity;
  readonly memberId: string;
  readonly publicKeyHex: string;
}

/**
 * Creates `<dir>/identity.json` with a fresh key (mode 0600 from the start; `dir` is created with
 * mode 0700 if missing). Refuses to overwrite an existing file.
 *
 * @example
 * const { file, memberId, publicKeyHex } = await writeIdentityFile('./keys');
 */
export async function writeIdentityFile(dir: string, rng?: RandomSource): Promise<LoadedIdentity> {
  if (typeof dir !== 'string' || dir.length === 0) throw new TypeError('dir must be a non-empty string');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, IDENTITY_FILE);
  const identity = rng ? generateIdentity(rng) : generateIdentity();
  const seed = identity.seed();
  const body: IdentityFile = { version: 1, kind: 'tessera-identity', publicKey: toHex(identity.publicKey), seed: toHex(seed) };
  seed.fill(0);
  let handle;
  try {
    handle = await open(file, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST')
      throw new FileError(file, undefined, 'already exists; refusing to overwrite an identity (move it away first if you really mean to replace it)', NodeErrorCodes.FILE_EXISTS);
    throw new FileError(file, undefined, `cannot be created: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, NodeErrorCodes.FILE_READ, { cause: e });
  }
  try {
    await handle.writeFile(JSON.stringify(body, null, 2) + '\n', 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  return { file, identity, memberId: memberId(identity.publicKey), publicKeyHex: body.publicKey };
}

/**
 * Loads an identity file: refuses a file group or others can read (on POSIX), and validates every
 * field, naming it, including that the seed yields the stated public key.
 *
 * @example
 * const { identity, memberId } = await loadIdentity('keys/identity.json');
 */
export async function loadIdentity(file: string): Promise<LoadedIdentity> {
  if (typeof file !== 'string' || file.length === 0) throw new TypeError('file must be a non-empty string');
  // One open file: the mode checked is the mode of the bytes read.
  let text: string;
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (e) {
    throw new FileError(file, undefined, `cannot be read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, NodeErrorCodes.FILE_READ, { cause: e });
  }
  try {
    const st = await handle.stat();
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0)
      throw new FileError(file, undefined,
        `holds a secret key but is accessible to group or others (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}); run: chmod 600 ${file}`,
        NodeErrorCodes.FILE_PERMISSIONS);
    if (!st.isFile() || st.size > MAX_IDENTITY_BYTES) throw new FileError(file, undefined, `is not an identity file (not a regular file of at most ${MAX_IDENTITY_BYTES} bytes)`, NodeErrorCodes.FILE_READ);
    text = await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
  const json = parseJsonText(text, file);
  const f = new Fields(file);
  const o = f.object(json, '', ['version', 'kind', 'publicKey', 'seed']);
  f.literal(o, 'version', '', 1);
  f.literal(o, 'kind', '', 'tessera-identity');
  const publicKeyHex = f.hex(o, 'publicKey', '', KEY_BYTES);
  const seed = fromHex(f.hex(o, 'seed', '', KEY_BYTES));
  const identity = identityFromSeed(seed);
  seed.fill(0);
  if (!equalBytes(identity.publicKey, fromHex(publicKeyHex))) f.fail('publicKey', 'does not match the seed (the file is corrupt or was edited)');
  return { file, identity, memberId: memberId(identity.publicKey), publicKeyHex };
}
