/**
 * The daemon's source of randomness: the `Random` seam (src/core/random.ts) backed by the
 * operating system's CSPRNG through `crypto.randomFillSync`.
 *
 * Tunnel and session ids (RFC 2661 section 4.4.3), CHAP challenges (RFC 1994 section 2) and
 * LCP magic numbers (RFC 1661 section 6.4) must be unpredictable, so engines never use
 * `Math.random`; they receive a `Random`, and only the platform layer reaches the OS for it.
 * Tests use `SeededRandom` from src/core/random.ts instead.
 */
import { randomFillSync } from 'node:crypto';
import type { Random } from '../core/random.js';

export const cryptoRandom: Random = {
  fill(buf: Uint8Array): Uint8Array {
    // randomFillSync accepts any ArrayBufferView and fills it in place, including subarrays.
    randomFillSync(buf);
    return buf;
  },
};
