/**
 * Transport limits sized for a session: the largest frame a session can produce must fit.
 * @module
 */
import { DEFAULT_LIMITS, type Limits } from '@tessera/transport';

/**
 * `limits` with maxPayload at least `needed` bytes (raised from the transport default when the
 * session's vectors are large) and maxBufferedBytes at least twice that. An explicit maxPayload below
 * `needed` is refused: rounds could never complete.
 *
 * @example
 * resolvePayloadLimits({}, maxMessageBytes(session) + 1);
 */
export function resolvePayloadLimits(limits: Partial<Limits>, needed: number): Partial<Limits> {
  if (limits.maxPayload !== undefined && limits.maxPayload < needed)
    throw new RangeError(`limits.maxPayload is ${limits.maxPayload} bytes, but this session's largest message needs ${needed}`);
  const maxPayload = limits.maxPayload ?? Math.max(DEFAULT_LIMITS.maxPayload, needed);
  const maxBufferedBytes = limits.maxBufferedBytes ?? Math.max(DEFAULT_LIMITS.maxBufferedBytes, 2 * maxPayload);
  return { ...limits, maxPayload, maxBufferedBytes };
}
