/**
 * The benchmark's two network namespaces joined by a veth pair (10.201.0.1/24 in A, 10.201.0.2/24
 * in B). Everything the benchmark runs lives inside these namespaces; nothing touches the root
 * namespace's interfaces or routes.
 *
 * Invariants: namespace names carry this process's PID, so parallel runs never collide and
 * cleanup deletes only ours; `destroy()` kills whatever is still inside (processes of this run by
 * construction) and deletes the namespaces, and is safe to call twice.
 */
import { run, sleep, Proc } from './proc.js';

export const VETH_A_IP = '10.201.0.1';
export const VETH_B_IP = '10.201.0.2';

export class Netns {
  constructor(readonly name: string) {}

  exec(cmd: readonly string[], opts: { timeoutMs?: number; check?: boolean; input?: string } = {}): ReturnType<typeof run> {
    return run(['ip', 'netns', 'exec', this.name, ...cmd], opts);
  }

  /** Starts a long-running command in the namespace (`ip netns exec` execs it: same PID). */
  spawn(name: string, cmd: readonly string[], env?: NodeJS.ProcessEnv): Proc {
    return new Proc(`${name}@${this.name}`, ['ip', 'netns', 'exec', this.name, ...cmd], env);
  }

  async pids(): Promise<number[]> {
    const r = await run(['ip', 'netns', 'pids', this.name], { check: false, timeoutMs: 5000 });
    return r.stdout
      .split('\n')
      .map((s) => Number.parseInt(s, 10))
      .filter((n) => Number.isInteger(n) && n > 0 && n !== process.pid);
  }
}

export interface BenchNet {
  a: Netns;
  b: Netns;
  destroy(): Promise<void>;
}

/** Creates `bench-a-<pid>` and `bench-b-<pid>` with loopback up and the veth pair addressed. */
export async function createBenchNet(): Promise<BenchNet> {
  const a = new Netns(`bench-a-${process.pid}`);
  const b = new Netns(`bench-b-${process.pid}`);
  let destroyed = false;
  const destroy = async (): Promise<void> => {
    if (destroyed) return;
    destroyed = true;
    for (const ns of [a, b]) {
      for (let round = 0; round < 20; round++) {
        const left = await ns.pids();
        if (left.length === 0) break;
        for (const pid of left) {
          try {
            process.kill(pid, round < 5 ? 'SIGTERM' : 'SIGKILL');
          } catch {
            // gone
          }
        }
        await sleep(100);
      }
      await run(['ip', 'netns', 'del', ns.name], { check: false, timeoutMs: 10_000 });
    }
  };
  try {
    await run(['ip', 'netns', 'add', a.name]);
    await run(['ip', 'netns', 'add', b.name]);
    await run(['ip', 'link', 'add', 'bench0', 'netns', a.name, 'type', 'veth', 'peer', 'name', 'bench1', 'netns', b.name]);
    for (const [ns, dev, ip] of [
      [a, 'bench0', VETH_A_IP],
      [b, 'bench1', VETH_B_IP],
    ] as const) {
      await ns.exec(['ip', 'link', 'set', 'lo', 'up']);
      await ns.exec(['ip', 'addr', 'add', `${ip}/24`, 'dev', dev]);
      await ns.exec(['ip', 'link', 'set', dev, 'up']);
    }
  } catch (err) {
    await destroy();
    throw err;
  }
  return { a, b, destroy };
}

/** Whether `ip` answers ping from `ns` (bounded retries). */
export async function waitForPing(ns: Netns, ip: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const r = await ns.exec(['ping', '-c', '1', '-W', '1', ip], { check: false, timeoutMs: 3000 });
    if (r.code === 0) return true;
    await sleep(200);
  }
  return false;
}
