/**
 * Network namespaces for system tests: each test builds its own little network (namespaces joined
 * by veth pairs, addresses in 10.200.0.0/16 that exist only inside them) and runs real peers
 * (xl2tpd, SoftEther, our daemon) in it, so tests never touch the host's network and parallel
 * runs never collide.
 *
 * Invariants:
 * - Names are `<prefix>-p<pid>-<random hex>`: unique per run, and the creating PID is visible
 *   (a crashed run's leftovers can be told apart). veth names are random too: they are created in
 *   the root namespace before moving, and Linux limits them to 15 characters.
 * - A namespace is ours alone: `destroy()` stops what we started in it (SIGTERM, then SIGKILL by
 *   PID after a bounded wait), then SIGKILLs anything still inside it (daemons such as SoftEther
 *   fork; every process in our namespace descends from one we started), then deletes it.
 * - A process-exit safety net SIGKILLs our children and deletes our namespaces if a test crashed
 *   before its cleanup ran.
 * - A UDP socket opened by the test process lives in the test's own namespace; code that must
 *   bind inside a namespace runs there as its own process: `spawnNode()` runs a Node script (TS
 *   under tsx, or compiled JS) via `ip netns exec`, and reports back as JSON lines on stdout.
 *
 * Call order: `canRunSystemTests()` (or the `systemTest()` wrapper, which applies the CI rule),
 * `makeNetns()`, `vethPair()`, `ns.spawn()/exec()/spawnNode()`, and always `ns.destroy()`
 * (the `Lab` scope in lab.ts does it for a whole test).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { run, runSync, spawnProcess, killAllSync, pidAlive, sleep, type ProcessHandle, type RunOptions, type RunResult, type SpawnOptions } from './proc.js';

export interface NetnsExecOptions extends RunOptions {}
export interface NetnsSpawnOptions extends SpawnOptions {}

const liveNamespaces = new Set<string>();

export class Netns {
  /** Processes started through this namespace, stopped by `destroy()`. */
  readonly processes: ProcessHandle[] = [];
  private destroyed: Promise<void> | undefined;

  constructor(readonly name: string) {}

  /** Runs a command inside the namespace to completion. */
  exec(cmd: readonly string[], opts: NetnsExecOptions = {}): Promise<RunResult> {
    return run(['ip', 'netns', 'exec', this.name, ...cmd], opts);
  }

  /**
   * Starts a long-running command inside the namespace. `ip netns exec` enters the namespace and
   * then execs the command, so the handle's PID is the command's own PID.
   */
  spawn(cmd: readonly string[], opts: NetnsSpawnOptions = {}): ProcessHandle {
    const p = spawnProcess(['ip', 'netns', 'exec', this.name, ...cmd], { name: opts.name ?? `${cmd[0] ?? '?'}@${this.name}`, ...opts });
    this.processes.push(p);
    return p;
  }

  /**
   * Runs a Node script inside the namespace with the project root as working directory. A `.ts`
   * script runs under tsx; a `.js` path whose file is missing but whose `.ts` twin exists (tests
   * run straight from source) is mapped to the `.ts`. The script reports with JSON lines on
   * stdout (`handle.messages`, `handle.waitForMessage`) and can take JSON commands on stdin.
   */
  spawnNode(script: string | URL, args: readonly string[] = [], opts: NetnsSpawnOptions = {}): ProcessHandle {
    const path = resolveScript(script);
    const loader = path.endsWith('.ts') ? ['--import', tsxLoader()] : [];
    return this.spawn([process.execPath, '--enable-source-maps', ...loader, path, ...args], {
      cwd: projectRoot(),
      name: opts.name ?? `node ${path.split('/').pop() ?? path}@${this.name}`,
      ...opts,
    });
  }

  /** PIDs of every process inside the namespace (ours by construction). */
  async pids(): Promise<number[]> {
    const r = await run(['ip', 'netns', 'pids', this.name], { check: false, timeoutMs: 5_000 });
    return r.stdout
      .split('\n')
      .map((s) => Number.parseInt(s, 10))
      .filter((n) => Number.isInteger(n) && n > 0);
  }

  /** Stops everything in the namespace and deletes it; safe to call more than once. */
  destroy(): Promise<void> {
    this.destroyed ??= this.doDestroy();
    return this.destroyed;
  }

  private async doDestroy(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop('SIGTERM', 3_000)));
    for (let round = 0; round < 20; round++) {
      const left = (await this.pids()).filter((pid) => pid !== process.pid);
      if (left.length === 0) break;
      for (const pid of left) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone already
        }
      }
      await sleep(50);
    }
    await run(['ip', 'netns', 'del', this.name], { check: false, timeoutMs: 10_000 });
    liveNamespaces.delete(this.name);
  }
}

/** Creates `<prefix>-p<pid>-<hex>` with loopback up. */
export async function makeNetns(prefix: string): Promise<Netns> {
  if (!/^[a-z][a-z0-9]{0,11}$/.test(prefix)) throw new Error(`makeNetns: prefix must be [a-z][a-z0-9]{0,11}: ${prefix}`);
  installExitNet();
  const name = `${prefix}-p${process.pid}-${randomBytes(3).toString('hex')}`;
  await run(['ip', 'netns', 'add', name]);
  liveNamespaces.add(name);
  const ns = new Netns(name);
  try {
    await ns.exec(['ip', 'link', 'set', 'lo', 'up']);
  } catch (err) {
    await ns.destroy();
    throw err;
  }
  return ns;
}

export interface VethOptions {
  /** Address with prefix length, e.g. `10.200.1.1/24`. */
  aAddr: string;
  bAddr: string;
  /** Interface names inside the namespaces; default random (`v<hex>a` / `v<hex>b`). */
  aName?: string;
  bName?: string;
  mtu?: number;
}

export interface VethPair {
  aIf: string;
  bIf: string;
  /** Addresses without the prefix length. */
  aIp: string;
  bIp: string;
}

/** Joins two namespaces with a veth pair, addresses both ends and brings them up. */
export async function vethPair(a: Netns, b: Netns, opts: VethOptions): Promise<VethPair> {
  const tag = randomBytes(4).toString('hex');
  const aIf = opts.aName ?? `v${tag}a`;
  const bIf = opts.bName ?? `v${tag}b`;
  // Created directly inside the namespaces, so nothing ever appears in the root namespace for long.
  await run(['ip', 'link', 'add', aIf, 'netns', a.name, 'type', 'veth', 'peer', 'name', bIf, 'netns', b.name]);
  for (const [ns, ifname, addr] of [
    [a, aIf, opts.aAddr],
    [b, bIf, opts.bAddr],
  ] as const) {
    if (opts.mtu !== undefined) await ns.exec(['ip', 'link', 'set', ifname, 'mtu', String(opts.mtu)]);
    await ns.exec(['ip', 'addr', 'add', addr, 'dev', ifname]);
    await ns.exec(['ip', 'link', 'set', ifname, 'up']);
  }
  return { aIf, bIf, aIp: stripPrefix(opts.aAddr), bIp: stripPrefix(opts.bAddr) };
}

function stripPrefix(addr: string): string {
  const i = addr.indexOf('/');
  return i < 0 ? addr : addr.slice(0, i);
}

// ---------------------------------------------------------------------------------------------
// Preconditions

/** Binaries the full system-test suite needs. */
export const SYSTEM_TEST_BINARIES = ['ip', 'xl2tpd', 'vpnserver', 'vpncmd', 'tshark'] as const;

const canRunCache = new Map<string, { ok: true } | { ok: false; reason: string }>();

/**
 * Whether system tests can run here: root, `ip netns` works (a probe namespace is created and
 * deleted), and the binaries exist. The answer is cached per binary list.
 */
export function canRunSystemTests(needs: readonly string[] = SYSTEM_TEST_BINARIES): { ok: true } | { ok: false; reason: string } {
  const key = needs.join(',');
  const cached = canRunCache.get(key);
  if (cached) return cached;
  const result = probe(needs);
  canRunCache.set(key, result);
  return result;
}

function probe(needs: readonly string[]): { ok: true } | { ok: false; reason: string } {
  if (process.platform !== 'linux') return { ok: false, reason: `system tests need Linux (this is ${process.platform})` };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'system tests need root (network namespaces)' };
  const missing = needs.filter((b) => findBinary(b) === undefined);
  if (missing.length > 0) return { ok: false, reason: `missing binaries: ${missing.join(', ')} (run scripts/install-deps.sh)` };
  const probeName = `probe-p${process.pid}-${randomBytes(3).toString('hex')}`;
  const add = runSync(['ip', 'netns', 'add', probeName]);
  if (add.code !== 0) return { ok: false, reason: `ip netns add failed: ${add.stderr.trim()}` };
  runSync(['ip', 'netns', 'del', probeName]);
  return { ok: true };
}

/** Finds an executable on PATH or in the sbin directories (root's tools live there). */
export function findBinary(name: string): string | undefined {
  const dirs = [...(process.env['PATH'] ?? '').split(':'), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const d of dirs) {
    if (d === '') continue;
    const p = join(d, name);
    if (existsSync(p)) return p;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Running our own code in a namespace

/** The project root (the nearest directory above this file with a package.json). */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 10; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new Error('projectRoot: no package.json above ' + fileURLToPath(import.meta.url));
}

/** Absolute path of a script, mapping `x.js` to `x.ts` when only the source exists. */
export function resolveScript(script: string | URL): string {
  const path = script instanceof URL ? fileURLToPath(script) : script.startsWith('file:') ? fileURLToPath(script) : script;
  if (existsSync(path)) return path;
  if (path.endsWith('.js')) {
    const ts = path.slice(0, -3) + '.ts';
    if (existsSync(ts)) return ts;
  }
  throw new Error(`resolveScript: no such script ${path}`);
}

/** A script that sits beside this module (`labScript('udp-probe')`), .ts or .js as we run. */
export function labScript(name: string): string {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`./${name}${ext}`, import.meta.url));
}

function tsxLoader(): string {
  try {
    return import.meta.resolve('tsx');
  } catch {
    return 'tsx';
  }
}

// ---------------------------------------------------------------------------------------------
// Safety net

let exitNetInstalled = false;

function installExitNet(): void {
  if (exitNetInstalled) return;
  exitNetInstalled = true;
  process.on('exit', () => {
    killAllSync();
    for (const name of liveNamespaces) {
      // Anything left inside was started by us (see destroy()); kill it so the namespace can go.
      const pids = runSync(['ip', 'netns', 'pids', name]).stdout.split('\n').map((s) => Number.parseInt(s, 10));
      for (const pid of pids) if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && pidAlive(pid)) process.kill(pid, 'SIGKILL');
      runSync(['ip', 'netns', 'del', name]);
    }
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => process.exit(128 + (sig === 'SIGINT' ? 2 : 15)));
  }
}
