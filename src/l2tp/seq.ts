/**
 * 16-bit sequence-number arithmetic for the L2TP control channel (RFC 2661 section 5.8).
 *
 * Ns and Nr are unsigned 16-bit counters that wrap from 65535 to 0. RFC 2661 5.8 compares them
 * modulo 2^16: a value counts as "less than" another when it lies in the half of the number
 * circle just below it. Here that half is the 32768 values below (signed 16-bit difference in
 * [-32768, -1]); the one value exactly opposite (distance 32768) therefore reads as "less", which
 * keeps `seqLess(a, b)` and `seqLess(b, a)` from ever both being true.
 *
 * Invariants: every function takes and returns integers in [0, 65535]; inputs outside that range
 * are reduced modulo 2^16 first, so a caller can never build an out-of-range Ns.
 */

/** Number of distinct sequence values. */
export const SEQ_MODULUS = 0x1_0000;
const SEQ_MASK = 0xffff;
const SEQ_HALF = 0x8000;

/** `a + n` modulo 2^16 (n may be negative). */
export function seqAdd(a: number, n: number): number {
  return (((a + n) % SEQ_MODULUS) + SEQ_MODULUS) & SEQ_MASK;
}

/** `a + 1` modulo 2^16. */
export function seqNext(a: number): number {
  return seqAdd(a, 1);
}

/**
 * Signed distance from `b` to `a` on the 16-bit circle, in [-32768, 32767]:
 * `seqAdd(b, seqDiff(a, b)) === a`. Positive when `a` is "after" `b`.
 */
export function seqDiff(a: number, b: number): number {
  return ((((a - b) & SEQ_MASK) + SEQ_HALF) & SEQ_MASK) - SEQ_HALF;
}

/** RFC 2661 5.8 comparison: `a` is in the 32768 values just below `b`. */
export function seqLess(a: number, b: number): boolean {
  return seqDiff(a, b) < 0;
}

/** `a` is `b` or in the 32768 values just below it. */
export function seqLessOrEqual(a: number, b: number): boolean {
  return seqDiff(a, b) <= 0;
}

/** `lo <= x < lo + span` on the circle (span in [0, 65536]). */
export function seqInRange(x: number, lo: number, span: number): boolean {
  return ((x - lo) & SEQ_MASK) < span || span >= SEQ_MODULUS;
}
