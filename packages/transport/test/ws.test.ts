import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { equalBytes } from '@tessera/crypto';
import { WebSocket, WebSocketServer, type ClientOptions, type RawData } from 'ws';
import { CloseCodes, TransportError, WebSocketTransport, type ListenOptions } from '../src/index.js';
import { closeOf, frames, Queue, RawParty, within, type RawListener } from './helpers.js';
import { COORDINATOR, LIMITS, rawHandshake, SESSION, SITES, conformance, start, type Harness } from './suite.js';

const toBytes = (d: RawData): Uint8Array => {
  const b = Array.isArray(d) ? Buffer.concat(d) : Buffer.from(d as ArrayBuffer);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
};

function adapt(ws: WebSocket): RawParty {
  const raw = new RawParty(
    (f) => ws.send(f, { binary: true }, () => {}),
    () => ws.pause(),
    () => ws.terminate(),
  );
  ws.on('message', (d) => raw.frame(toBytes(d)));
  ws.on('close', (code, reason) => raw.close(code, reason.toString()));
  ws.on('error', () => {});
  return raw;
}

async function rawDial(address: string, options: ClientOptions = {}): Promise<RawParty & { ws: WebSocket }> {
  const ws = new WebSocket(address, options);
  const raw = Object.assign(adapt(ws), { ws });
  await once(ws, 'open');
  return raw;
}

async function rawListen(): Promise<RawListener> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  const accepted = new Queue<RawParty>();
  const all: WebSocket[] = [];
  wss.on('connection', (ws) => {
    all.push(ws);
    accepted.push(adapt(ws));
  });
  const { port } = wss.address() as { port: number };
  return {
    address: `ws://127.0.0.1:${port}`,
    accepted,
    close: async () => {
      for (const ws of all) ws.terminate();
      await new Promise((r) => wss.close(r));
    },
  };
}

const harness = (): Harness => ({
  transport: () => new WebSocketTransport(),
  listenExtras: { host: '127.0.0.1', port: 0, insecure: true, warn: () => {} },
  rawDial,
  rawListen,
});

conformance('ws', harness);

const base = { identity: COORDINATOR, sessionId: SESSION, isAllowed: () => true };

test('ws: listening without TLS requires insecure: true, and warns', async (t) => {
  const transport = new WebSocketTransport();
  await t.throwsAsync(transport.listen({ ...base }), { instanceOf: TypeError, message: /TLS certificate and key are required/ });
  await t.throwsAsync(transport.listen({ ...base, insecure: false }), { instanceOf: TypeError, message: /insecure: true/ });
  await t.throwsAsync(transport.listen({ ...base, insecure: true, tls: { cert: 'x', key: 'y' } }), { instanceOf: TypeError, message: /not both/ });
  await t.throwsAsync(transport.listen({ ...base, tls: { cert: 'not pem', key: 'not pem' } }), { instanceOf: TypeError, message: /PEM/ });
  const warnings: string[] = [];
  const listener = await transport.listen({ ...base, insecure: true, warn: (m) => warnings.push(m) });
  t.teardown(() => listener.close());
  t.is(warnings.length, 1);
  t.regex(warnings[0]!, /WITHOUT TLS/);
  t.regex(listener.address, /^ws:\/\/127\.0\.0\.1:\d+$/);
  t.not(listener.address, 'ws://127.0.0.1:0');
});

test('ws: plain ws:// is dialled only to loopback unless insecure', async (t) => {
  const transport = new WebSocketTransport();
  const opts = { identity: SITES[0], sessionId: SESSION, coordinatorKey: COORDINATOR.publicKey };
  await t.throwsAsync(transport.dial('ws://192.0.2.1:1234', opts), { instanceOf: TypeError, message: /not loopback/ });
  await t.throwsAsync(transport.dial('http://127.0.0.1:1', opts), { instanceOf: TypeError, message: /ws:\/\/ or wss:\/\// });
  await t.throwsAsync(transport.dial('ws://127.0.0.1:1', opts), { instanceOf: TransportError, code: 'ERR_CONNECT' });
});

function makeCert(): { cert: string; key: string } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-tls-'));
  try {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1', '-days', '1', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
  } catch {
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('ws: wss:// with a self-signed certificate works when its CA is given, fails otherwise', async (t) => {
  const tls = makeCert();
  if (!tls) {
    t.log('SKIPPED: openssl is not installed, so no throwaway certificate can be made for the wss:// test');
    t.pass();
    return;
  }
  const transport = new WebSocketTransport();
  const listener = await transport.listen({ ...base, tls, host: '127.0.0.1', port: 0 } as ListenOptions);
  t.teardown(() => listener.close());
  t.regex(listener.address, /^wss:\/\/127\.0\.0\.1:\d+$/);
  const incoming = new Queue<import('../src/index.js').Connection>();
  listener.onConnection(incoming.push);
  const opts = { identity: SITES[0], sessionId: SESSION, coordinatorKey: COORDINATOR.publicKey };
  const err = await t.throwsAsync(transport.dial(listener.address, opts), { instanceOf: TransportError, code: 'ERR_CONNECT' });
  t.regex(err!.message, /certificate/i);
  const peer = await transport.dial(listener.address, { ...opts, ca: tls.cert });
  const conn = await incoming.next();
  t.true(equalBytes(conn.remoteKey, SITES[0].publicKey));
  const got = frames(conn);
  await peer.send(new Uint8Array([1, 2, 3]));
  t.deepEqual(await got.next(), new Uint8Array([1, 2, 3]));
});

test('ws: text frames are refused with MALFORMED, in and after the handshake', async (t) => {
  const { listener, incoming } = await start(t, harness());
  const early = await rawDial(listener.address);
  await early.next();
  early.ws.send('hello', { binary: false });
  t.is((await within(early.closed, 5000, 'close')).code, CloseCodes.MALFORMED);
  const late = await rawDial(listener.address);
  await rawHandshake(late);
  const conn = await incoming.next();
  late.ws.send('{"type":"masked"}');
  const info = await within(closeOf(conn), 5000, 'close');
  t.is(info.code, CloseCodes.MALFORMED);
  t.is((await within(late.closed, 5000, 'close')).code, CloseCodes.MALFORMED);
});

test('ws: a client that never answers pings (autoPong: false) is closed with TIMEOUT', async (t) => {
  const { listener, incoming } = await start(t, harness(), { heartbeatMs: 100 });
  const began = Date.now(); // before the dial: no ping can be missed earlier
  const raw = await rawDial(listener.address, { autoPong: false });
  await rawHandshake(raw);
  const conn = await incoming.next();
  const info = await within(closeOf(conn), 3000, 'timeout');
  t.is(info.code, CloseCodes.TIMEOUT);
  t.true(Date.now() - began >= 100, `closed after ${Date.now() - began} ms`);
  await within(raw.closed, 3000, 'raw close');
});

test('ws: a plain HTTP request is answered 426 at once', async (t) => {
  const { listener } = await start(t, harness());
  const url = new URL(listener.address.replace('ws://', 'http://'));
  const status = await new Promise<number>((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: '/' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
  t.is(status, 426);
});

test('ws: the frame limit is 1 KiB during the handshake even when maxPayload is larger', async (t) => {
  const { listener } = await start(t, harness(), { maxPayload: LIMITS.maxPayload });
  const raw = await rawDial(listener.address);
  await raw.next();
  raw.send(new Uint8Array(100_000));
  const info = await within(raw.closed, 5000, 'close');
  t.is(info.code, CloseCodes.OVERSIZE);
  // ws's parser refused it from the frame header (it sends no reason), before buffering the payload;
  // the channel's own check, which would have sent a reason, never saw it.
  t.is(info.reason, '');
});

test('ws: a taken port rejects listen; a bad port or host is a TypeError/RangeError', async (t) => {
  const transport = new WebSocketTransport();
  const opts = { ...base, insecure: true, warn: () => {} };
  const first = await transport.listen(opts);
  t.teardown(() => first.close());
  const port = Number(new URL(first.address).port);
  await t.throwsAsync(transport.listen({ ...opts, port }), { message: /EADDRINUSE/ });
  await t.throwsAsync(transport.listen({ ...opts, port: 70000 }), { instanceOf: RangeError, message: /port/ });
  await t.throwsAsync(transport.listen({ ...opts, host: '' }), { instanceOf: TypeError, message: /host/ });
});
