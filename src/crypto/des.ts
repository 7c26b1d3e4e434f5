/**
 * DES single-block encryption (FIPS 46-3, ECB mode of FIPS 81), in pure TypeScript, plus the
 * 56-bit to 64-bit key expansion MS-CHAP uses.
 *
 * Why here: MS-CHAP's ChallengeResponse (RFC 2433 A.7, RFC 2759 section 8.5) and LmPasswordHash
 * (RFC 2433 A.2) call `DesEncrypt(Clear, 7-octet Key)`; Node 20's default OpenSSL 3 provider no
 * longer offers single DES.
 *
 * RFC 2759 section 8.6: "the DES algorithm takes as input a 64-bit stream where the 8th, 16th,
 * 24th, etc. bits are parity bits ignored by the encrypting algorithm. Unless you write your own
 * DES to accept 56-bit input without parity, you will need to insert the parity bits yourself."
 * `expandDesKey` does that insertion (with odd parity, RFC 2759 section 9.3), and `desEncryptBlock`
 * ignores the parity bits as FIPS 46 says, so parity never changes the result.
 *
 * Representation: this is a clarity-first implementation for a handful of blocks per
 * authentication, not a bulk cipher. Blocks and keys are unpacked into arrays of bits numbered
 * 1..64 from the most significant bit of the first octet (FIPS 46 numbering), and every FIPS 46
 * table below is used exactly as printed.
 *
 * Invariants: pure functions; inputs are never modified; every function returns a fresh array.
 * Wrong input lengths throw RangeError (programming error, not wire data).
 */

/** Initial permutation IP (FIPS 46-3). Entry i is the input bit that becomes output bit i+1. */
const IP: readonly number[] = [
  58, 50, 42, 34, 26, 18, 10, 2, 60, 52, 44, 36, 28, 20, 12, 4,
  62, 54, 46, 38, 30, 22, 14, 6, 64, 56, 48, 40, 32, 24, 16, 8,
  57, 49, 41, 33, 25, 17, 9, 1, 59, 51, 43, 35, 27, 19, 11, 3,
  61, 53, 45, 37, 29, 21, 13, 5, 63, 55, 47, 39, 31, 23, 15, 7,
];

/** Final permutation IP^-1, computed as the inverse of IP so the two cannot disagree. */
const IP_INVERSE: readonly number[] = (() => {
  const inv = new Array<number>(64).fill(0);
  IP.forEach((src, i) => {
    inv[src - 1] = i + 1;
  });
  return inv;
})();

/** Expansion E: 32 -> 48 bits. */
const E: readonly number[] = [
  32, 1, 2, 3, 4, 5, 4, 5, 6, 7, 8, 9,
  8, 9, 10, 11, 12, 13, 12, 13, 14, 15, 16, 17,
  16, 17, 18, 19, 20, 21, 20, 21, 22, 23, 24, 25,
  24, 25, 26, 27, 28, 29, 28, 29, 30, 31, 32, 1,
];

/** Permutation P applied to the S-box output. */
const P: readonly number[] = [
  16, 7, 20, 21, 29, 12, 28, 17, 1, 15, 23, 26, 5, 18, 31, 10,
  2, 8, 24, 14, 32, 27, 3, 9, 19, 13, 30, 6, 22, 11, 4, 25,
];

/** Permuted choice 1: 64 key bits (parity bits 8, 16, ... 64 dropped) -> C0 (28) || D0 (28). */
const PC1: readonly number[] = [
  57, 49, 41, 33, 25, 17, 9, 1, 58, 50, 42, 34, 26, 18,
  10, 2, 59, 51, 43, 35, 27, 19, 11, 3, 60, 52, 44, 36,
  63, 55, 47, 39, 31, 23, 15, 7, 62, 54, 46, 38, 30, 22,
  14, 6, 61, 53, 45, 37, 29, 21, 13, 5, 28, 20, 12, 4,
];

/** Permuted choice 2: Cn || Dn (56) -> Kn (48). */
const PC2: readonly number[] = [
  14, 17, 11, 24, 1, 5, 3, 28, 15, 6, 21, 10,
  23, 19, 12, 4, 26, 8, 16, 7, 27, 20, 13, 2,
  41, 52, 31, 37, 47, 55, 30, 40, 51, 45, 33, 48,
  44, 49, 39, 56, 34, 53, 46, 42, 50, 36, 29, 32,
];

/** Left shifts of C and D before computing K1..K16. */
const KEY_SHIFTS: readonly number[] = [1, 1, 2, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2, 2, 2, 1];

/** S-boxes S1..S8; each is 4 rows of 16, row = outer bits (1 and 6), column = inner 4 bits. */
export const DES_SBOXES: readonly (readonly number[])[] = [
  [
    14, 4, 13, 1, 2, 15, 11, 8, 3, 10, 6, 12, 5, 9, 0, 7,
    0, 15, 7, 4, 14, 2, 13, 1, 10, 6, 12, 11, 9, 5, 3, 8,
    4, 1, 14, 8, 13, 6, 2, 11, 15, 12, 9, 7, 3, 10, 5, 0,
    15, 12, 8, 2, 4, 9, 1, 7, 5, 11, 3, 14, 10, 0, 6, 13,
  ],
  [
    15, 1, 8, 14, 6, 11, 3, 4, 9, 7, 2, 13, 12, 0, 5, 10,
    3, 13, 4, 7, 15, 2, 8, 14, 12, 0, 1, 10, 6, 9, 11, 5,
    0, 14, 7, 11, 10, 4, 13, 1, 5, 8, 12, 6, 9, 3, 2, 15,
    13, 8, 10, 1, 3, 15, 4, 2, 11, 6, 7, 12, 0, 5, 14, 9,
  ],
  [
    10, 0, 9, 14, 6, 3, 15, 5, 1, 13, 12, 7, 11, 4, 2, 8,
    13, 7, 0, 9, 3, 4, 6, 10, 2, 8, 5, 14, 12, 11, 15, 1,
    13, 6, 4, 9, 8, 15, 3, 0, 11, 1, 2, 12, 5, 10, 14, 7,
    1, 10, 13, 0, 6, 9, 8, 7, 4, 15, 14, 3, 11, 5, 2, 12,
  ],
  [
    7, 13, 14, 3, 0, 6, 9, 10, 1, 2, 8, 5, 11, 12, 4, 15,
    13, 8, 11, 5, 6, 15, 0, 3, 4, 7, 2, 12, 1, 10, 14, 9,
    10, 6, 9, 0, 12, 11, 7, 13, 15, 1, 3, 14, 5, 2, 8, 4,
    3, 15, 0, 6, 10, 1, 13, 8, 9, 4, 5, 11, 12, 7, 2, 14,
  ],
  [
    2, 12, 4, 1, 7, 10, 11, 6, 8, 5, 3, 15, 13, 0, 14, 9,
    14, 11, 2, 12, 4, 7, 13, 1, 5, 0, 15, 10, 3, 9, 8, 6,
    4, 2, 1, 11, 10, 13, 7, 8, 15, 9, 12, 5, 6, 3, 0, 14,
    11, 8, 12, 7, 1, 14, 2, 13, 6, 15, 0, 9, 10, 4, 5, 3,
  ],
  [
    12, 1, 10, 15, 9, 2, 6, 8, 0, 13, 3, 4, 14, 7, 5, 11,
    10, 15, 4, 2, 7, 12, 9, 5, 6, 1, 13, 14, 0, 11, 3, 8,
    9, 14, 15, 5, 2, 8, 12, 3, 7, 0, 4, 10, 1, 13, 11, 6,
    4, 3, 2, 12, 9, 5, 15, 10, 11, 14, 1, 7, 6, 0, 8, 13,
  ],
  [
    4, 11, 2, 14, 15, 0, 8, 13, 3, 12, 9, 7, 5, 10, 6, 1,
    13, 0, 11, 7, 4, 9, 1, 10, 14, 3, 5, 12, 2, 15, 8, 6,
    1, 4, 11, 13, 12, 3, 7, 14, 10, 15, 6, 8, 0, 5, 9, 2,
    6, 11, 13, 8, 1, 4, 10, 7, 9, 5, 0, 15, 14, 2, 3, 12,
  ],
  [
    13, 2, 8, 4, 6, 15, 11, 1, 10, 9, 3, 14, 5, 0, 12, 7,
    1, 15, 13, 8, 10, 3, 7, 4, 12, 5, 6, 11, 0, 14, 9, 2,
    7, 11, 4, 1, 9, 12, 14, 2, 0, 6, 10, 13, 15, 3, 5, 8,
    2, 1, 14, 7, 4, 10, 8, 13, 15, 12, 9, 0, 3, 5, 6, 11,
  ],
];

/** DES block and key size in octets. */
export const DES_BLOCK_LENGTH = 8;
/** Length of the raw key MS-CHAP hands to DesEncrypt (56 bits, no parity). */
export const DES_RAW_KEY_LENGTH = 7;

/** Unpacks octets into bits, bit 1 = most significant bit of the first octet. */
function toBits(bytes: Uint8Array): Uint8Array {
  const bits = new Uint8Array(bytes.length * 8);
  for (let i = 0; i < bits.length; i++) bits[i] = (bytes[i >>> 3]! >>> (7 - (i & 7))) & 1;
  return bits;
}

function fromBits(bits: Uint8Array): Uint8Array {
  const out = new Uint8Array(bits.length >>> 3);
  for (let i = 0; i < bits.length; i++) out[i >>> 3]! |= bits[i]! << (7 - (i & 7));
  return out;
}

/** Applies a FIPS 46 table: output bit i+1 = input bit table[i]. */
function permute(input: Uint8Array, table: readonly number[]): Uint8Array {
  const out = new Uint8Array(table.length);
  for (let i = 0; i < table.length; i++) out[i] = input[table[i]! - 1]!;
  return out;
}

function rotateLeft28(half: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(28);
  for (let i = 0; i < 28; i++) out[i] = half[(i + n) % 28]!;
  return out;
}

/** FIPS 46-3 key schedule: K1..K16, 48 bits each. Parity bits are dropped by PC-1. */
function keySchedule(key8: Uint8Array): Uint8Array[] {
  const cd = permute(toBits(key8), PC1);
  let c = cd.subarray(0, 28);
  let d = cd.subarray(28, 56);
  const keys: Uint8Array[] = [];
  for (const shift of KEY_SHIFTS) {
    c = rotateLeft28(c, shift);
    d = rotateLeft28(d, shift);
    const joined = new Uint8Array(56);
    joined.set(c, 0);
    joined.set(d, 28);
    keys.push(permute(joined, PC2));
  }
  return keys;
}

/** The cipher function f(R, K) of FIPS 46-3: E, xor K, S-boxes, P. */
function feistel(r: Uint8Array, k: Uint8Array): Uint8Array {
  const x = permute(r, E);
  for (let i = 0; i < 48; i++) x[i]! ^= k[i]!;
  const s = new Uint8Array(32);
  for (let box = 0; box < 8; box++) {
    const o = box * 6;
    const row = (x[o]! << 1) | x[o + 5]!;
    const col = (x[o + 1]! << 3) | (x[o + 2]! << 2) | (x[o + 3]! << 1) | x[o + 4]!;
    const v = DES_SBOXES[box]![row * 16 + col]!;
    for (let b = 0; b < 4; b++) s[box * 4 + b] = (v >>> (3 - b)) & 1;
  }
  return permute(s, P);
}

function desCrypt(key8: Uint8Array, block8: Uint8Array, decrypt: boolean): Uint8Array {
  if (key8.length !== DES_BLOCK_LENGTH) throw new RangeError('DES key must be 8 octets');
  if (block8.length !== DES_BLOCK_LENGTH) throw new RangeError('DES block must be 8 octets');
  const keys = keySchedule(key8);
  const lr = permute(toBits(block8), IP);
  let l = lr.slice(0, 32);
  let r = lr.slice(32, 64);
  for (let round = 0; round < 16; round++) {
    // Decryption is the same network with the subkeys in reverse order (FIPS 46-3).
    const k = keys[decrypt ? 15 - round : round]!;
    const f = feistel(r, k);
    const next = new Uint8Array(32);
    for (let i = 0; i < 32; i++) next[i] = l[i]! ^ f[i]!;
    l = r;
    r = next;
  }
  // The preoutput block is R16 L16 (the halves are swapped after the last round).
  const preoutput = new Uint8Array(64);
  preoutput.set(r, 0);
  preoutput.set(l, 32);
  return fromBits(permute(preoutput, IP_INVERSE));
}

/**
 * Encrypts one 8-octet block with an 8-octet DES key (ECB, FIPS 81). The low bit of each key
 * octet is a parity bit and is ignored, as FIPS 46 specifies.
 */
export function desEncryptBlock(key8: Uint8Array, block8: Uint8Array): Uint8Array {
  return desCrypt(key8, block8, false);
}

/** Decrypts one 8-octet block (inverse of `desEncryptBlock`); used by tests and tools. */
export function desDecryptBlock(key8: Uint8Array, block8: Uint8Array): Uint8Array {
  return desCrypt(key8, block8, true);
}

/**
 * Expands a 7-octet (56-bit) key to the 8-octet DES key form: each output octet carries 7 key
 * bits in its high bits and an odd-parity bit in its low bit (RFC 2759 section 9.3: "every eighth
 * bit is a parity bit and the number of bits that are set (1) in each octet is odd").
 */
export function expandDesKey(key7: Uint8Array): Uint8Array {
  if (key7.length !== DES_RAW_KEY_LENGTH) throw new RangeError('raw DES key must be 7 octets');
  const bits = toBits(key7);
  const out = new Uint8Array(DES_BLOCK_LENGTH);
  for (let i = 0; i < 8; i++) {
    let v = 0;
    let ones = 0;
    for (let j = 0; j < 7; j++) {
      const bit = bits[i * 7 + j]!;
      v |= bit << (7 - j);
      ones += bit;
    }
    out[i] = v | ((ones & 1) === 0 ? 1 : 0);
  }
  return out;
}

/**
 * MS-CHAP's DesEncrypt(Clear, Key) (RFC 2433 A.4, RFC 2759 section 8.6): DES-ECB of one block under
 * a 7-octet key with the parity bits inserted.
 */
export function desEncrypt7(clear8: Uint8Array, key7: Uint8Array): Uint8Array {
  return desEncryptBlock(expandDesKey(key7), clear8);
}
