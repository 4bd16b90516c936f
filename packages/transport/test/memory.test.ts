import test from 'ava';
import { CloseCodes, MemoryEnd, MemoryNetwork, MemoryTransport, TransportError } from '../src/index.js';
import { COORDINATOR, SESSION, SITES, conformance, type Harness } from './suite.js';
import { Queue, RawParty, within } from './helpers.js';

function adapt(end: MemoryEnd): RawParty {
  const raw = new RawParty((f) => end.send(f), () => end.pause(), () => end.terminate());
  end.onFrame = raw.frame;
  end.onClose = raw.close;
  return raw;
}

const harness = (): Harness => {
  const network = new MemoryNetwork();
  return {
    transport: () => new MemoryTransport(network),
    listenExtras: {},
    rawDial: async (address) => adapt(network.connect(address)),
    rawListen: async () => {
      const accepted = new Queue<RawParty>();
      const binding = network.bind(undefined, (end) => accepted.push(adapt(end)));
      return { address: binding.address, accepted, close: async () => binding.unbind() };
    },
  };
};

conformance('memory', harness);

test('memory: pipes deliver copies, in order, asynchronously; close follows the frames', async (t) => {
  const [a, b] = MemoryEnd.pair('a', 'b');
  const got: number[][] = [];
  const closed = new Queue<[number, number, string]>();
  b.onFrame = (f) => got.push([...f]);
  b.onClose = (code, reason) => closed.push([0, code, reason]);
  a.onClose = (code, reason) => closed.push([1, code, reason]);
  const f = new Uint8Array([1, 2, 3]);
  a.send(f);
  f[0] = 9;
  a.send(new Uint8Array([4]));
  t.is(a.bufferedAmount, 4);
  t.deepEqual(got, []); // not synchronous
  a.close(4000, 'bye');
  t.throws(() => a.send(new Uint8Array(1)), { message: /closing/ });
  t.deepEqual(await closed.next(), [0, 4000, 'bye']);
  t.deepEqual(got, [[1, 2, 3], [4]]);
  t.deepEqual(await closed.next(), [1, 4000, 'bye']); // the answer
  t.is(a.bufferedAmount, 0);
});

test('memory: a paused end queues, answers no ping, and resumes in order', async (t) => {
  const [a, b] = MemoryEnd.pair('a', 'b');
  const got: number[] = [];
  let pongs = 0;
  b.onFrame = (f) => got.push(f[0]!);
  a.onPong = () => pongs++;
  b.pause();
  a.send(new Uint8Array([1]));
  a.ping();
  a.send(new Uint8Array([2]));
  await new Promise((r) => setTimeout(r, 20));
  t.deepEqual(got, []);
  t.is(pongs, 0);
  t.is(a.bufferedAmount, 2);
  b.resume();
  for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r)); // b reads, a reads the pong
  t.deepEqual(got, [1, 2]);
  t.is(pongs, 1);
});

test('memory: terminate drops unread frames and reports 1006 to both ends', async (t) => {
  const [a, b] = MemoryEnd.pair('a', 'b');
  const codes = new Queue<number>();
  let frames = 0;
  b.onFrame = () => frames++;
  a.onClose = (c) => codes.push(c);
  b.onClose = (c) => codes.push(c);
  a.send(new Uint8Array(10));
  a.terminate();
  t.is(await codes.next(), CloseCodes.ABNORMAL);
  t.is(await codes.next(), CloseCodes.ABNORMAL);
  t.is(frames, 0);
  t.false(a.open);
});

test('memory: addresses are bound once; dialling nowhere fails with ERR_CONNECT', async (t) => {
  const network = new MemoryNetwork();
  const transport = new MemoryTransport(network);
  const listener = await transport.listen({ identity: COORDINATOR, sessionId: SESSION, isAllowed: () => true, name: 'coordinator-x' });
  t.is(listener.address, 'memory://coordinator-x');
  await t.throwsAsync(transport.listen({ identity: COORDINATOR, sessionId: SESSION, isAllowed: () => true, name: 'coordinator-x' }), { message: /already bound/ });
  await t.throwsAsync(transport.listen({ identity: COORDINATOR, sessionId: SESSION, isAllowed: () => true, name: 'bad name!' }), { instanceOf: TypeError });
  const other = await transport.listen({ identity: COORDINATOR, sessionId: SESSION, isAllowed: () => true });
  t.regex(other.address, /^memory:\/\/coordinator-\d+$/);
  const opts = { identity: SITES[0], sessionId: SESSION, coordinatorKey: COORDINATOR.publicKey };
  await t.throwsAsync(transport.dial('memory://nowhere', opts), { instanceOf: TransportError, code: 'ERR_CONNECT' });
  await t.throwsAsync(new MemoryTransport().dial(listener.address, opts), { instanceOf: TransportError, code: 'ERR_CONNECT' }); // another network
  await within(Promise.all([listener.close(), other.close()]), 2000, 'close');
  await t.throwsAsync(transport.dial(listener.address, opts), { code: 'ERR_CONNECT' });
});
