/**
 * Micro-benchmark loop shared by the bench scripts: warm the JIT, then the best of 5 rounds of
 * 200 ms (bounded in time, the clock read every 16 calls).
 */
const ROUNDS = 5;
const ROUND_MS = 200;

/** Calls of `fn` per second (times `unitsPerCall`, e.g. bytes), best round. */
export function measureRate(fn: () => void, unitsPerCall = 1, warmup = 500): number {
  for (let k = 0; k < warmup; k++) fn();
  let best = 0;
  for (let round = 0; round < ROUNDS; round++) {
    let calls = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < ROUND_MS) {
      for (let k = 0; k < 16; k++) fn();
      calls += 16;
      t = performance.now();
    }
    best = Math.max(best, (calls * unitsPerCall) / ((t - t0) / 1000));
  }
  return best;
}
