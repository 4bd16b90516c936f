import test from 'ava';
import { utf8 } from '@tessera/crypto';
import {
  CloseCodes, DEFAULT_LIMITS, TransportError, closeCodeName, errorCodeOf, isSendableCloseCode, resolveLimits, resolveListenerLimits,
  truncateReason, MemoryTransport, WebSocketTransport,
} from '../src/index.js';
import { identity } from './helpers.js';

test('close codes are stable, distinct, and sendable (except ABNORMAL)', (t) => {
  t.deepEqual(
    { ...CloseCodes },
    {
      NORMAL: 1000, GOING_AWAY: 1001, WS_PROTOCOL_ERROR: 1002, ABNORMAL: 1006, OVERSIZE: 1009, INTERNAL_ERROR: 1011, TRY_AGAIN_LATER: 1013,
      UNKNOWN_KEY: 4001, WRONG_VERSION: 4002, WRONG_SESSION: 4003, BAD_SIGNATURE: 4004, COORDINATOR_KEY_MISMATCH: 4005, MALFORMED: 4006,
      HANDSHAKE_TIMEOUT: 4007, TIMEOUT: 4008, SLOW_CONSUMER: 4009, REPLACED: 4010, PROTOCOL_VIOLATION: 4011,
    },
  );
  for (const [name, code] of Object.entries(CloseCodes)) {
    t.is(closeCodeName(code) as string | undefined, name);
    t.is(isSendableCloseCode(code), code !== CloseCodes.ABNORMAL, name);
  }
  t.is(errorCodeOf(CloseCodes.UNKNOWN_KEY), 'ERR_UNKNOWN_KEY');
  t.is(errorCodeOf(CloseCodes.NORMAL), 'ERR_CLOSED');
  t.is(errorCodeOf(4999), 'ERR_CLOSED');
  t.false(isSendableCloseCode(1005));
  t.false(isSendableCloseCode(5000));
  t.false(isSendableCloseCode(4000.5));
  const e = new TransportError('ERR_X', 4001, 'why');
  t.is(e.message, 'ERR_X: why');
  t.is(e.reason, 'why');
  t.is(e.name, 'TransportError');
});

test('close reasons are cut to 123 bytes on a code point boundary', (t) => {
  t.is(truncateReason('short'), 'short');
  t.is(truncateReason('a'.repeat(200)), 'a'.repeat(123));
  const cut = truncateReason('€'.repeat(50)); // 3 bytes each
  t.is(cut, '€'.repeat(41));
  t.is(utf8(truncateReason('x' + '😀'.repeat(40))).length, 121);
});

test('limits: defaults, and every bad value named', (t) => {
  t.deepEqual(resolveListenerLimits({}), { ...DEFAULT_LIMITS });
  t.true(Object.isFrozen(DEFAULT_LIMITS));
  t.is(resolveLimits({ maxPayload: 10, maxBufferedBytes: 10 }).maxPayload, 10);
  t.throws(() => resolveLimits({ maxPayload: 0 }), { instanceOf: RangeError, message: /maxPayload/ });
  t.throws(() => resolveLimits({ maxPayload: 1.5 }), { instanceOf: TypeError, message: /maxPayload/ });
  t.throws(() => resolveLimits({ maxPayload: 100, maxBufferedBytes: 99 }), { instanceOf: RangeError, message: /maxBufferedBytes/ });
  t.throws(() => resolveLimits({ handshakeTimeoutMs: 0 }), { instanceOf: RangeError, message: /handshakeTimeoutMs/ });
  t.throws(() => resolveLimits({ heartbeatMs: -1 }), { instanceOf: RangeError, message: /heartbeatMs/ });
  t.is(resolveLimits({ heartbeatMs: 0 }).heartbeatMs, 0);
  t.throws(() => resolveListenerLimits({ maxPendingHandshakes: 0 }), { instanceOf: RangeError, message: /maxPendingHandshakes/ });
  t.throws(() => resolveListenerLimits({ maxConnections: 0 }), { instanceOf: RangeError, message: /maxConnections/ });
});

test('listen and dial validate their options before touching the network', async (t) => {
  const id = identity('coordinator');
  for (const transport of [new MemoryTransport(), new WebSocketTransport()]) {
    const ok = { identity: id, sessionId: new Uint8Array(8), isAllowed: () => true, insecure: true, warn: () => {} };
    await t.throwsAsync(transport.listen({ ...ok, sessionId: new Uint8Array(0) }), { instanceOf: RangeError, message: /sessionId/ });
    await t.throwsAsync(transport.listen({ ...ok, sessionId: new Uint8Array(65) }), { instanceOf: RangeError, message: /sessionId/ });
    await t.throwsAsync(transport.listen({ ...ok, sessionId: 'abc' as unknown as Uint8Array }), { instanceOf: TypeError, message: /sessionId/ });
    await t.throwsAsync(transport.listen({ ...ok, isAllowed: undefined as never }), { instanceOf: TypeError, message: /isAllowed/ });
    await t.throwsAsync(transport.listen({ ...ok, identity: {} as never }), { instanceOf: TypeError, message: /identity/ });
    await t.throwsAsync(transport.listen({ ...ok, maxPayload: -1 }), { instanceOf: RangeError, message: /maxPayload/ });
    const dial = { identity: id, sessionId: new Uint8Array(8), coordinatorKey: id.publicKey };
    await t.throwsAsync(transport.dial('memory://x', { ...dial, coordinatorKey: new Uint8Array(31) }), { instanceOf: RangeError, message: /coordinatorKey/ });
    await t.throwsAsync(transport.dial('memory://x', { ...dial, heartbeatMs: 1.5 }), { instanceOf: TypeError, message: /heartbeatMs/ });
  }
});
