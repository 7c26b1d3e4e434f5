/**
 * The per-test scope of the lab harness, and the `systemTest` wrapper that applies the project's
 * rule for system tests: when the machine cannot run them (`canRunSystemTests`), the test is
 * skipped with a one-line reason, except under CI (`CI=true`) where it FAILS, so CI can never
 * go green by silently skipping the interop suite.
 *
 * Invariants:
 * - Everything a test creates through its `Lab` (namespaces, temp dirs, deferred actions) is torn
 *   down in reverse order by `cleanup()`, which runs from the test's `after` hook even when the
 *   test failed or timed out; it is idempotent and collects errors instead of stopping early.
 * - Temp dirs are kept when `LAB_KEEP=1` (their paths are printed), for post-mortems.
 */
import { test, type TestContext } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canRunSystemTests, makeNetns, vethPair, SYSTEM_TEST_BINARIES, type Netns, type VethOptions, type VethPair } from './netns.js';

export class Lab {
  private readonly undo: Array<{ what: string; fn: () => Promise<void> | void }> = [];
  private cleaned: Promise<void> | undefined;

  /** Registers a teardown step (run in reverse order of registration). */
  defer(what: string, fn: () => Promise<void> | void): void {
    this.undo.push({ what, fn });
  }

  async netns(prefix: string): Promise<Netns> {
    const ns = await makeNetns(prefix);
    this.defer(`netns ${ns.name}`, () => ns.destroy());
    return ns;
  }

  veth(a: Netns, b: Netns, opts: VethOptions): Promise<VethPair> {
    return vethPair(a, b, opts);
  }

  /** A fresh temp directory, removed at cleanup unless LAB_KEEP=1. */
  async tempDir(prefix = 'lab'): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), `l2tp-${prefix}-`));
    this.defer(`temp dir ${dir}`, async () => {
      if (process.env['LAB_KEEP'] === '1') process.stderr.write(`lab: kept ${dir}\n`);
      else await rm(dir, { recursive: true, force: true });
    });
    return dir;
  }

  /** Runs every teardown step once, newest first; throws an AggregateError if any failed. */
  cleanup(): Promise<void> {
    this.cleaned ??= (async () => {
      const errors: unknown[] = [];
      for (const step of this.undo.reverse()) {
        try {
          await step.fn();
        } catch (err) {
          errors.push(new Error(`cleanup of ${step.what} failed: ${String(err)}`));
        }
      }
      if (errors.length > 0) throw new AggregateError(errors, 'lab cleanup failed');
    })();
    return this.cleaned;
  }
}

export interface SystemTestOptions {
  /** Default 120 s. */
  timeoutMs?: number;
  /** Binaries this test needs; default all of SYSTEM_TEST_BINARIES. */
  needs?: readonly string[];
}

/** A node:test test that needs root, namespaces and real peers; see the module header. */
export function systemTest(name: string, fn: (lab: Lab, t: TestContext) => Promise<void>, opts: SystemTestOptions = {}): void {
  test(name, { timeout: opts.timeoutMs ?? 120_000 }, async (t) => {
    const can = canRunSystemTests(opts.needs ?? SYSTEM_TEST_BINARIES);
    if (!can.ok) {
      if (process.env['CI'] === 'true') throw new Error(`system test cannot run under CI: ${can.reason}`);
      t.skip(can.reason);
      return;
    }
    const lab = new Lab();
    // after() also runs when the test times out, while `fn` may still be pending.
    t.after(() => lab.cleanup());
    await fn(lab, t);
  });
}
