/**
 * MD4 message digest (RFC 1320), in pure TypeScript.
 *
 * Why here: MS-CHAP (RFC 2433 A.6, RFC 2759 section 8.3/8.4) hashes the UTF-16LE password with MD4
 * (the "NT password hash"), and Node 20's default OpenSSL 3 provider no longer offers MD4 (it is
 * only in the legacy provider, which a daemon should not have to enable).
 *
 * Algorithm (RFC 1320 section 3): pad the message with a single 1 bit, zeros up to 448 mod 512
 * bits, then the 64-bit little-endian bit length (3.1, 3.2); process 16-word blocks through three
 * rounds of 16 operations each with the F, G, H functions and the round constants 0,
 * 0x5A827999 and 0x6ED9EBA1 (3.4); the digest is A, B, C, D little-endian (3.5).
 *
 * Invariants: pure function, no state kept between calls; input is never modified. All arithmetic
 * is on 32-bit words via `| 0` / `>>> 0`. Words are read little-endian explicitly, so the result
 * does not depend on the platform's byte order or on `data.byteOffset` alignment.
 */

/** RFC 1320 section 3.4 round 2 constant: the square root of 2, as a 32-bit word. */
const ROUND2_CONSTANT = 0x5a827999;
/** RFC 1320 section 3.4 round 3 constant: the square root of 3, as a 32-bit word. */
const ROUND3_CONSTANT = 0x6ed9eba1;

/** First word index of each group of four operations in round 3 (RFC 1320 section 3.4). */
const ROUND3_ORDER: readonly number[] = [0, 2, 1, 3];

/** Digest size in octets (128 bits). */
export const MD4_DIGEST_LENGTH = 16;

function rotl(x: number, s: number): number {
  return (x << s) | (x >>> (32 - s));
}

/** Returns the 16-octet MD4 digest of `data` (RFC 1320). */
export function md4(data: Uint8Array): Uint8Array {
  const bitLength = data.length * 8;
  // RFC 1320 3.1/3.2: message + 0x80 + zeros so that length = 56 mod 64, then 8 length octets.
  const paddedLength = (((data.length + 8) >>> 6) + 1) << 6;
  const msg = new Uint8Array(paddedLength);
  msg.set(data);
  msg[data.length] = 0x80;
  // 64-bit little-endian bit count. Lengths beyond 2^53 bits cannot occur for a Uint8Array.
  const lo = bitLength >>> 0;
  const hi = Math.floor(bitLength / 0x1_0000_0000) >>> 0;
  const lenOffset = paddedLength - 8;
  for (let i = 0; i < 4; i++) {
    msg[lenOffset + i] = (lo >>> (8 * i)) & 0xff;
    msg[lenOffset + 4 + i] = (hi >>> (8 * i)) & 0xff;
  }

  // RFC 1320 3.3: initial buffer words (low-order bytes first: 01 23 45 67 ...).
  let a = 0x67452301;
  let b = 0xefcdab89 | 0;
  let c = 0x98badcfe | 0;
  let d = 0x10325476;

  const x = new Int32Array(16);
  for (let off = 0; off < paddedLength; off += 64) {
    for (let j = 0; j < 16; j++) {
      const p = off + 4 * j;
      x[j] = msg[p]! | (msg[p + 1]! << 8) | (msg[p + 2]! << 16) | (msg[p + 3]! << 24);
    }
    const aa = a;
    const bb = b;
    const cc = c;
    const dd = d;

    // Round 1: [abcd k s] a = (a + F(b,c,d) + X[k]) <<< s, F(X,Y,Z) = XY v not(X) Z.
    for (let k = 0; k < 16; k += 4) {
      a = rotl((a + ((b & c) | (~b & d)) + x[k]!) | 0, 3);
      d = rotl((d + ((a & b) | (~a & c)) + x[k + 1]!) | 0, 7);
      c = rotl((c + ((d & a) | (~d & b)) + x[k + 2]!) | 0, 11);
      b = rotl((b + ((c & d) | (~c & a)) + x[k + 3]!) | 0, 19);
    }
    // Round 2: [abcd k s] a = (a + G(b,c,d) + X[k] + 5A827999) <<< s, G = XY v XZ v YZ.
    // Word order 0,4,8,12 / 1,5,9,13 / ...
    for (let k = 0; k < 4; k++) {
      a = rotl((a + ((b & c) | (b & d) | (c & d)) + x[k]! + ROUND2_CONSTANT) | 0, 3);
      d = rotl((d + ((a & b) | (a & c) | (b & c)) + x[k + 4]! + ROUND2_CONSTANT) | 0, 5);
      c = rotl((c + ((d & a) | (d & b) | (a & b)) + x[k + 8]! + ROUND2_CONSTANT) | 0, 9);
      b = rotl((b + ((c & d) | (c & a) | (d & a)) + x[k + 12]! + ROUND2_CONSTANT) | 0, 13);
    }
    // Round 3: [abcd k s] a = (a + H(b,c,d) + X[k] + 6ED9EBA1) <<< s, H = X xor Y xor Z.
    // Word order 0,8,4,12 / 2,10,6,14 / 1,9,5,13 / 3,11,7,15.
    for (const k of ROUND3_ORDER) {
      a = rotl((a + (b ^ c ^ d) + x[k]! + ROUND3_CONSTANT) | 0, 3);
      d = rotl((d + (a ^ b ^ c) + x[k + 8]! + ROUND3_CONSTANT) | 0, 9);
      c = rotl((c + (d ^ a ^ b) + x[k + 4]! + ROUND3_CONSTANT) | 0, 11);
      b = rotl((b + (c ^ d ^ a) + x[k + 12]! + ROUND3_CONSTANT) | 0, 15);
    }

    a = (a + aa) | 0;
    b = (b + bb) | 0;
    c = (c + cc) | 0;
    d = (d + dd) | 0;
  }

  const out = new Uint8Array(MD4_DIGEST_LENGTH);
  const words = [a, b, c, d];
  for (let i = 0; i < 4; i++) {
    const w = words[i]!;
    out[4 * i] = w & 0xff;
    out[4 * i + 1] = (w >>> 8) & 0xff;
    out[4 * i + 2] = (w >>> 16) & 0xff;
    out[4 * i + 3] = (w >>> 24) & 0xff;
  }
  return out;
}
