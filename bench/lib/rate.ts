/**
 * Micro-benchmark loop shared by the bench scripts: warm the JIT, then the best of 7 rounds of
 * 200 ms (bounded in time, the clock read every 64 calls).
 *
 * Time is this process's CPU time (`process.cpuUsage()`, user + system), not wall time: the
 * benchmark machine's two cores are shared with other jobs, and wall time then counts the periods
 * the scheduler gave the core to someone else (measured: the same RC4 loop read 300-400 MB/s by
 * wall time and a steady ~510 MB/s by CPU time while the load average was 9). CPU time still
 * includes V8's GC threads, so allocation in the measured function shows up.
 */
const ROUNDS = 7;
const ROUND_US = 200_000;
const CALLS_PER_CLOCK_READ = 64;

/** Calls of `fn` per CPU second (times `unitsPerCall`, e.g. bytes), best round. */
export function measureRate(fn: () => void, unitsPerCall = 1, warmup = 2000): number {
  for (let k = 0; k < warmup; k++) fn();
  let best = 0;
  for (let round = 0; round < ROUNDS; round++) {
    let calls = 0;
    const t0 = process.cpuUsage();
    let elapsedUs = 0;
    while (elapsedUs < ROUND_US) {
      for (let k = 0; k < CALLS_PER_CLOCK_READ; k++) fn();
      calls += CALLS_PER_CLOCK_READ;
      const d = process.cpuUsage(t0);
      elapsedUs = d.user + d.system;
    }
    best = Math.max(best, (calls * unitsPerCall) / (elapsedUs / 1e6));
  }
  return best;
}
