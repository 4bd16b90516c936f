/**
 * The files operators write: identities, rosters, configs and update files. Every refusal must name
 * the file and the field (known-answer strings), and secrets must stay private on disk.
 */
import test from 'ava';
import fc from 'fast-check';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromHex, seededRandom, sha256, toHex } from '@tessera/crypto';
import {
  FileError, FileUpdateProvider, NodeErrorCodes, addMember, createRoster, jsonErrorPosition, loadIdentity, loadRoster, memberId,
  parseCoordinatorConfig, parseJsonVector, parseNodeConfig, parseRoster, parseU32leVector, sessionFromRoster, writeIdentityFile, writeRoster,
  type Roster,
} from '../src/index.js';

async function tempDir(t: { teardown(f: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tessera-node-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const KEY = (i: number): string => toHex(sha256(Uint8Array.of(i)));
const SESSION = { bits: 16, vectorLength: 4, rounds: 3, graph: 'auto', dropoutRate: 0.1, threat: 'malicious' } as const;

function roster(members = 4): Roster {
  let r = createRoster({ name: 'trial', coordinator: { name: 'coord', publicKey: KEY(0) }, session: SESSION, rng: seededRandom('roster') });
  for (let i = 1; i <= members; i++) r = addMember(r, { name: `site-${i}`, publicKey: KEY(i) });
  return r;
}

const posix = process.platform !== 'win32';

test('identity: created 0600, loads back, member id is ts- + 16 hex of SHA-256(publicKey)', async (t) => {
  const dir = await tempDir(t);
  const made = await writeIdentityFile(join(dir, 'keys'), seededRandom('id'));
  if (posix) t.is((await stat(made.file)).mode & 0o777, 0o600);
  const loaded = await loadIdentity(made.file);
  t.deepEqual(loaded.identity.publicKey, made.identity.publicKey);
  t.is(loaded.memberId, 'ts-' + toHex(sha256(made.identity.publicKey)).slice(0, 16));
  t.is(memberId(made.identity.publicKey), made.memberId);
  const json = JSON.parse(await readFile(made.file, 'utf8'));
  t.deepEqual(Object.keys(json).sort(), ['kind', 'publicKey', 'seed', 'version']);
  t.is(json.publicKey, made.publicKeyHex);
});

test('identity: refuses to overwrite', async (t) => {
  const dir = await tempDir(t);
  const made = await writeIdentityFile(dir);
  const before = await readFile(made.file, 'utf8');
  const e = await t.throwsAsync(writeIdentityFile(dir), { instanceOf: FileError });
  t.is(e.code, NodeErrorCodes.FILE_EXISTS);
  t.true(e.message.startsWith(`${made.file}: already exists`));
  t.is(await readFile(made.file, 'utf8'), before);
});

test('identity: a 0644 file is refused with the fix named', async (t) => {
  if (!posix) return t.pass('POSIX only');
  const dir = await tempDir(t);
  const made = await writeIdentityFile(dir);
  await chmod(made.file, 0o644);
  const e = await t.throwsAsync(loadIdentity(made.file), { instanceOf: FileError });
  t.is(e.code, NodeErrorCodes.FILE_PERMISSIONS);
  t.is(e.message, `${made.file}: holds a secret key but is accessible to group or others (mode 0644); run: chmod 600 ${made.file}`);
});

test('identity: every field is validated, naming it', async (t) => {
  const dir = await tempDir(t);
  const made = await writeIdentityFile(dir);
  const good = JSON.parse(await readFile(made.file, 'utf8'));
  const cases: [unknown, string][] = [
    [{ ...good, version: 2 }, 'version must be 1'],
    [{ ...good, kind: 'x' }, 'kind must be "tessera-identity"'],
    [{ ...good, seed: 'zz' }, 'seed must be 64 hex characters (lower case)'],
    [{ ...good, publicKey: KEY(9) }, 'publicKey does not match the seed (the file is corrupt or was edited)'],
    [{ ...good, extra: 1 }, 'extra is not a known field (known: version, kind, publicKey, seed)'],
  ];
  for (const [body, expected] of cases) {
    const file = join(dir, 'bad.json');
    await rm(file, { force: true });
    await writeFile(file, JSON.stringify(body), { mode: 0o600 });
    const e = await t.throwsAsync(loadIdentity(file));
    t.is(e.message, `${file}: ${expected}`);
  }
});

test('roster: create, add, write, load round trip; duplicates refused', async (t) => {
  const dir = await tempDir(t);
  const r = roster(4);
  t.is(r.members.length, 4);
  t.regex(r.sessionId, /^[0-9a-f]{32}$/);
  const file = join(dir, 'roster.json');
  await writeRoster(file, r);
  t.deepEqual(await loadRoster(file), r);
  await t.throwsAsync(writeRoster(file, r), { message: `${file}: already exists; refusing to overwrite it` });
  t.throws(() => addMember(r, { name: 'other', publicKey: KEY(2) }), { message: `key ${memberId(fromHex(KEY(2)))} is already on the roster as member 2 'site-2'` });
  t.throws(() => addMember(r, { name: 'site-3', publicKey: KEY(7) }), { message: `name 'site-3' is already on the roster as member 3` });
  t.throws(() => addMember(r, { name: 'x', publicKey: KEY(0) }), { message: /is the coordinator's key/ });
});

test('roster: validation errors name the file and the field path', (t) => {
  const good = roster(3) as unknown as Record<string, any>;
  const cases: [unknown, string][] = [
    [{ ...good, members: [...good.members.slice(0, 2), { name: 'c', publicKey: 'abc' }] }, 'members[2].publicKey must be 64 hex characters (lower case)'],
    [{ ...good, members: [good.members[0], { ...good.members[0], name: 'z' }] }, 'members[1].publicKey repeats members[0].publicKey'],
    [{ ...good, members: [good.members[0], { ...good.members[1], name: good.members[0].name }] }, `members[1].name repeats members[0].name 'site-1'`],
    [{ ...good, sessionId: '00' }, 'sessionId must be 32 hex characters (lower case)'],
    [{ ...good, session: { ...good.session, bits: 33 } }, 'session.bits must be an integer in [1, 32]'],
    [{ ...good, session: { ...good.session, dropoutRate: 1 } }, 'session.dropoutRate must be a number in [0, 1)'],
    [{ ...good, session: { ...good.session, graph: 'sparse' } }, `session.graph must be one of 'auto', 'complete'`],
    [{ ...good, session: { ...good.session, rounds: undefined } }, 'session.rounds is missing'],
    [{ ...good, coordinator: { name: 'c' } }, 'coordinator.publicKey is missing'],
    [{ ...good, kind: 'tessera-config' }, 'kind must be "tessera-roster"'],
    [{ ...good, memebers: [] }, 'memebers is not a known field (known: version, kind, name, sessionId, coordinator, members, session)'],
  ];
  for (const [body, expected] of cases) t.throws(() => parseRoster(body, 'roster.json'), { instanceOf: FileError, message: `roster.json: ${expected}` }, expected);
});

test('roster: sessionFromRoster derives k and t, honours an explicit threshold, and refuses what cannot run', (t) => {
  const r = roster(6);
  const s = sessionFromRoster(r, 'roster.json');
  t.is(s.session.n, 6);
  t.is(s.rounds, 3);
  t.is(s.session.threshold, s.parameters.threshold);
  t.false(s.explicitThreshold);
  const explicit = sessionFromRoster({ ...r, session: { ...r.session, threshold: 2 } }, 'roster.json');
  t.is(explicit.session.threshold, 2);
  t.true(explicit.explicitThreshold);
  t.throws(() => sessionFromRoster({ ...r, session: { ...r.session, threshold: 6 } }, 'roster.json'), {
    message: 'roster.json: session.threshold is 6 but each member has only k=5 neighbours; it must be in [1, 5]',
  });
  t.throws(() => sessionFromRoster(roster(1), 'roster.json'), { message: 'roster.json: members lists 1 member; a session needs at least 2' });
  // A different parameter gives a different digest: such parties never connect.
  t.notDeepEqual(sessionFromRoster({ ...r, session: { ...r.session, bits: 17 } }).session.digest, s.session.digest);
});

test('json: syntax errors name the file, line and column', async (t) => {
  t.deepEqual(jsonErrorPosition('{"a":}'), { offset: 5, line: 1, column: 6, what: 'unexpected token' });
  t.like(jsonErrorPosition('{\n  "a": 1,\n}'), { line: 3, column: 1, what: 'expected a property name in double quotes' });
  t.is(jsonErrorPosition('[1, 2]'), undefined);
  const dir = await tempDir(t);
  const file = join(dir, 'roster.json');
  await writeFile(file, '{\n  "version": 1\n  "kind": "x"\n}');
  const e = await t.throwsAsync(loadRoster(file));
  t.is(e.message, `${file}: not valid JSON at line 3, column 3: expected ',' or '}'`);
  t.is((e as FileError).code, NodeErrorCodes.FILE_SYNTAX);
});

test('config: coordinator fields, defaults, relative paths and errors', (t) => {
  const base = { roster: 'roster.json', identity: 'keys/identity.json', listen: { host: '127.0.0.1', port: 0 }, insecure: true, out: 'results' };
  const c = parseCoordinatorConfig(base, '/etc/tessera/coordinator.json');
  t.is(c.roster, '/etc/tessera/roster.json');
  t.is(c.identity, '/etc/tessera/keys/identity.json');
  t.is(c.out, '/etc/tessera/results');
  t.deepEqual(c.deadlines, { advertiseMs: 60_000, shareMs: 60_000, maskedMs: 120_000, consistencyMs: 30_000, unmaskMs: 60_000 });
  t.is(c.minQuorum, undefined);
  t.is(c.startTimeoutMs, 600_000);
  const withTls = parseCoordinatorConfig({ ...base, insecure: undefined, tls: { cert: 'c.pem', key: '/k.pem' }, deadlines: { shareMs: 5000 } }, '/etc/tessera/coordinator.json');
  t.deepEqual(withTls.tls, { cert: '/etc/tessera/c.pem', key: '/k.pem' });
  t.is(withTls.deadlines.shareMs, 5000);
  const cases: [unknown, string][] = [
    [{ ...base, insecure: undefined }, 'tls is missing: set tls {"cert", "key"} (PEM files), or "insecure": true for plain ws:// on a test machine'],
    [{ ...base, tls: { cert: 'c', key: 'k' } }, 'insecure cannot be true together with tls; remove one of them'],
    [{ ...base, listen: { host: 'h', port: 70000 } }, 'listen.port must be an integer in [0, 65535]'],
    [{ ...base, deadlines: { shareMs: -1 } }, 'deadlines.shareMs must be an integer in [10, 86400000]'],
    [{ ...base, deadlines: { share: 1 } }, 'deadlines.share is not a known field (known: advertiseMs, shareMs, maskedMs, consistencyMs, unmaskMs)'],
    [{ ...base, roster: '' }, 'roster must be a non-empty string'],
    [{ ...base, limits: { maxPayload: 'big' } }, 'limits.maxPayload must be an integer in [1024, 2147483648]'],
  ];
  for (const [body, expected] of cases) t.throws(() => parseCoordinatorConfig(body, 'coordinator.json'), { message: `coordinator.json: ${expected}` }, expected);
});

test('config: node fields, defaults and errors', (t) => {
  const base = { roster: 'roster.json', identity: 'identity.json', coordinator: 'wss://coord.example:8443', input: 'in/in-{round}.json' };
  const c = parseNodeConfig(base, '/site/node.json');
  t.is(c.input, '/site/in/in-{round}.json');
  t.deepEqual(c.reconnect, { initialMs: 1000, maxMs: 30_000 });
  t.false(c.insecure);
  t.is(parseNodeConfig({ ...base, coordinator: 'ws://127.0.0.1:1', insecure: true }, '/n.json').coordinator, 'ws://127.0.0.1:1');
  const cases: [unknown, string][] = [
    [{ ...base, coordinator: 'ws://127.0.0.1:1' }, 'coordinator is a plain ws:// URL (no TLS); use wss://, or set "insecure": true for a test on one machine'],
    [{ ...base, coordinator: 'http://x' }, `coordinator must start with wss:// (or ws:// with "insecure": true), got 'http://'`],
    [{ ...base, coordinator: 'not a url' }, `coordinator must be a URL such as wss://coordinator.example.org:8443, got 'not a url'`],
    [{ ...base, format: 'csv' }, `format must be one of 'json', 'u32le'`],
    [{ ...base, reconnect: { initialMs: 5000, maxMs: 100 } }, 'reconnect.maxMs must be at least reconnect.initialMs (5000)'],
    [{ ...base, input: undefined }, 'input is missing'],
  ];
  for (const [body, expected] of cases) t.throws(() => parseNodeConfig(body, 'node.json'), { message: `node.json: ${expected}` }, expected);
});

test('inputs: JSON and u32le files, by pattern, with errors naming file and index', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'in-0.json'), '[1, 2, 65535, 0]');
  const raw = new Uint8Array(16);
  new DataView(raw.buffer).setUint32(4, 65535, true);
  await writeFile(join(dir, 'in-1.bin'), raw);
  const json = new FileUpdateProvider({ pattern: join(dir, 'in-{round}.json'), bits: 16, vectorLength: 4 });
  t.deepEqual(await json.input(0), Uint32Array.of(1, 2, 65535, 0));
  const bin = new FileUpdateProvider({ pattern: join(dir, 'in-{round}.bin'), bits: 16, vectorLength: 4 });
  t.deepEqual(await bin.input(1), Uint32Array.of(0, 65535, 0, 0));
  await t.throwsAsync(json.input(5), { message: `${join(dir, 'in-5.json')}: cannot be read: ENOENT` });
  t.throws(() => parseJsonVector('[1, 2, 65536, 0]', 'in.json', 16, 4), { message: 'in.json: [2] is 65536, outside [0, 2^16)' });
  t.throws(() => parseJsonVector('[1, 2.5, 3, 0]', 'in.json', 16, 4), { message: 'in.json: [1] is 2.5, not an integer' });
  t.throws(() => parseJsonVector('[1, "2", 3, 0]', 'in.json', 16, 4), { message: 'in.json: [1] is string, not an integer' });
  t.throws(() => parseJsonVector('[1, 2]', 'in.json', 16, 4), { message: "in.json: has 2 values; the session's vectorLength is 4" });
  t.throws(() => parseJsonVector('{}', 'in.json', 16, 4), { message: 'in.json: must hold a JSON array of integers' });
  t.throws(() => parseU32leVector(new Uint8Array(15), 'in.bin', 16, 4), { message: 'in.bin: is 15 bytes; 4 little-endian uint32 words are 16 bytes' });
  const big = new Uint8Array(16);
  new DataView(big.buffer).setUint32(12, 65536, true);
  t.throws(() => parseU32leVector(big, 'in.bin', 16, 4), { message: 'in.bin: word 3 is 65536, outside [0, 2^16)' });
});

test('json: the syntax scanner agrees with JSON.parse on valid and mutated documents', (t) => {
  const parses = (s: string): boolean => {
    try {
      JSON.parse(s);
      return true;
    } catch {
      return false;
    }
  };
  fc.assert(
    fc.property(fc.json(), fc.nat(), fc.constantFrom('', ',', '}', ']', '"', ':', '\\', '-', '0', ' ', 'e', '\u0001'), fc.boolean(), (doc, at, ch, remove) => {
      t.is(jsonErrorPosition(doc), undefined);
      const i = doc.length === 0 ? 0 : at % doc.length;
      const mutated = remove ? doc.slice(0, i) + doc.slice(i + 1) : doc.slice(0, i) + ch + doc.slice(i);
      return (jsonErrorPosition(mutated) === undefined) === parses(mutated);
    }),
    { numRuns: 2000 },
  );
});
