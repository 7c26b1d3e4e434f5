/**
 * The daemon's clock: a monotonic `Instant` (ms, arbitrary origin; src/core/time.ts) from
 * `performance.now()`.
 *
 * Invariant: never goes backwards, unlike `Date.now()`, which jumps when the wall clock is set
 * (NTP, an administrator). Retransmission and keepalive deadlines (RFC 2661 section 5.8, RFC 1661
 * section 4.6) are differences of Instants, so a wall-clock step must not fire or stall them.
 * Only the platform layer and the daemon call this; engines receive `now` as an argument.
 */
import { performance } from 'node:perf_hooks';
import type { Instant } from '../core/time.js';

export function monotonicNow(): Instant {
  return performance.now();
}
