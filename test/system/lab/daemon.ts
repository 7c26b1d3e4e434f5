/**
 * The real daemon in a network namespace: `l2tp start` with a fresh data directory (compiled CLI,
 * or the TypeScript source under tsx when the tests run from source), configured and queried with
 * `l2tp exec`. Stopped with SIGTERM at the end of the test (or by `stop()`, which also checks the
 * clean exit).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Lab } from './lab.js';
import { resolveScript, type Netns } from './netns.js';
import type { ProcessHandle } from './proc.js';

const CLI = resolveScript(new URL('../../../src/cli/main.js', import.meta.url));
const LOADER = CLI.endsWith('.ts') ? ['--import', import.meta.resolve('tsx')] : [];

export interface Daemon {
  readonly process: ProcessHandle;
  readonly dataDir: string;
  /** Runs console text; resolves with the output lines, rejects when the exit status is not 0. */
  command(line: string): Promise<string[]>;
  stop(): Promise<void>;
}

/**
 * `l2tp start` inside a namespace with a fresh data directory (or `opts.dataDir`, to start again
 * on what an earlier daemon left) and `opts.env` added to its environment, then `script` through
 * `l2tp exec`.
 */
export async function startDaemon(lab: Lab, ns: Netns, script: readonly string[], opts: { dataDir?: string; env?: Record<string, string> } = {}): Promise<Daemon> {
  const dataDir = opts.dataDir ?? join(await lab.tempDir('daemon'), 'data');
  const env = { ...process.env, L2TP_DATA_DIR: '', L2TP_HISTORY_FILE: '', ...opts.env };
  const p = ns.spawn([process.execPath, '--enable-source-maps', ...LOADER, CLI, 'start', '--data-dir', dataDir], { name: `l2tp@${ns.name}`, env });
  lab.defer(`l2tp daemon in ${ns.name}`, async () => {
    await p.stop('SIGTERM', 8_000);
  });
  await p.waitForLine(/system,info l2tp \S+ started/, 20_000);
  const command = async (line: string): Promise<string[]> => {
    const r = await ns.exec([process.execPath, ...LOADER, CLI, 'exec', '--data-dir', dataDir, line], { check: false, timeoutMs: 20_000, env });
    if (r.code !== 0) throw new Error(`${line}: exit ${r.code}: ${r.stdout}${r.stderr}`);
    return r.stdout.split('\n').filter((l) => l !== '');
  };
  for (const line of script) await command(line);
  return {
    process: p,
    dataDir,
    command,
    stop: async () => {
      const st = await p.stop('SIGTERM', 8_000);
      assert.equal(st.code, 0, `daemon in ${ns.name} exits 0 on SIGTERM: ${p.output().slice(-2000)}`);
    },
  };
}

/** Polls `probe` every 200 ms until it holds, or fails after `timeoutMs`. */
export async function waitFor(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}
