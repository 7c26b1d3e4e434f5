/**
 * Randomness for engines is injected, never `Math.random` or `crypto` inside an engine, so that
 * tests (and RFC vectors that need a fixed challenge) are reproducible.
 *
 * `SeededRandom` is a deterministic xoshiro128** generator for tests and simulations; the daemon
 * uses `platform/random.ts` (crypto.randomFillSync) behind the same interface.
 */
export interface Random {
  /** Fills `buf` with random bytes and returns it. */
  fill(buf: Uint8Array): Uint8Array;
}

export function randomBytes(random: Random, n: number): Uint8Array {
  return random.fill(new Uint8Array(n));
}

export function randomU16(random: Random): number {
  const b = randomBytes(random, 2);
  return ((b[0]! << 8) | b[1]!) >>> 0;
}

export function randomU32(random: Random): number {
  const b = randomBytes(random, 4);
  return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
}

/** Uniform integer in [lo, hi] (inclusive), rejection-sampled from 32-bit values. */
export function randomInt(random: Random, lo: number, hi: number): number {
  const span = hi - lo + 1;
  if (span <= 0 || span > 0x1_0000_0000) throw new RangeError('randomInt: bad range');
  const limit = Math.floor(0x1_0000_0000 / span) * span;
  for (;;) {
    const v = randomU32(random);
    if (v < limit) return lo + (v % span);
  }
}

/** Deterministic generator (xoshiro128**) for tests. Not for secrets. */
export class SeededRandom implements Random {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(seed = 1) {
    // splitmix32 to spread the seed over the state
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Float in [0, 1), for simulations (loss probability etc.). */
  nextFloat(): number {
    return this.nextU32() / 0x1_0000_0000;
  }

  fill(buf: Uint8Array): Uint8Array {
    for (let i = 0; i < buf.length; i += 4) {
      const v = this.nextU32();
      for (let j = 0; j < 4 && i + j < buf.length; j++) buf[i + j] = (v >>> (24 - 8 * j)) & 0xff;
    }
    return buf;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
