/**
 * OUR tunnel under test: an l2tp-server in namespace B and an l2tp-client in namespace A,
 * configured with RouterOS commands, carrying `ips.a` <-> `ips.b` through TUN interfaces
 * (`l2tp-out1` in A, the dynamic `<l2tp-bench>` in B). Default max-mtu 1450 and change-tcp-mss
 * as RouterOS. Without encryption both ends use the `default` profile; with it, RouterOS's
 * defaults (`default-encryption`, MPPE-128) are kept.
 *
 * Two ways to run it, chosen by BENCH_OURS=auto (default) | cli | driver | skip:
 * - 'cli' (the product): `node dist/src/cli/main.js start --data-dir <tmp>` in each namespace,
 *   configured with `l2tp exec --data-dir <tmp> '<commands>'`. Needs `npm run build` and a daemon
 *   whose App carries traffic (issue 4 + the lead's wiring of the network services).
 * - 'driver': test/system/drivers/router-driver.ts, the system tests' minimal router process
 *   (config store + NetworkDriver + console) under tsx: the same data path as the daemon.
 * - 'auto': the CLI when it is built and brings the tunnel up within 20 s, else the driver; the
 *   fallback and its reason are recorded in the results' notes, and the row is labelled with what
 *   ran. No figure is ever reported for a tunnel that did not carry the traffic.
 * Either way the measured processes are the two Node processes, by PID.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VETH_B_IP, waitForPing, type Netns } from './netns.js';
import { sleep, type Proc } from './proc.js';
import type { RunningTunnel, TunnelIps } from './tunnels.js';

export type OursMode = 'auto' | 'cli' | 'driver' | 'skip';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const DRIVER = join(ROOT, 'test', 'system', 'drivers', 'router-driver.ts');

/** Which implementation `startOurs` will try, and why; 'skip' when none can run. */
export function oursMode(): { mode: OursMode; why: string } {
  const forced = process.env['BENCH_OURS'] ?? 'auto';
  const haveCli = existsSync(CLI);
  const haveDriver = existsSync(DRIVER);
  switch (forced) {
    case 'skip':
      return { mode: 'skip', why: 'BENCH_OURS=skip' };
    case 'cli':
      return haveCli ? { mode: 'cli', why: CLI } : { mode: 'skip', why: `${CLI} missing: run npm run build` };
    case 'driver':
      return haveDriver ? { mode: 'driver', why: DRIVER } : { mode: 'skip', why: `${DRIVER} missing` };
    default:
      if (haveCli || haveDriver) return { mode: 'auto', why: `${haveCli ? 'daemon CLI' : ''}${haveCli && haveDriver ? ', then ' : ''}${haveDriver ? 'router driver' : ''}` };
      return { mode: 'skip', why: `neither ${CLI} nor ${DRIVER} exists` };
  }
}

/**
 * RouterOS commands for each end. `encrypted: false` puts both ends on the built-in `default`
 * profile (use-encryption=default: no MPPE); `encrypted: true` keeps RouterOS's defaults, where
 * the l2tp-client and the server's default-profile are `default-encryption` (MPPE asked for).
 */
const SERVER_SCRIPT = (ips: TunnelIps, encrypted: boolean): string =>
  [
    `/interface l2tp-server server set enabled=yes${encrypted ? '' : ' default-profile=default'}`,
    `/ppp secret add name=bench password=bench service=l2tp local-address=${ips.b} remote-address=${ips.a}${encrypted ? '' : ' profile=default'}`,
  ].join('\n');

const CLIENT_SCRIPT = (encrypted: boolean): string =>
  `/interface l2tp-client add name=l2tp-out1 connect-to=${VETH_B_IP} user=bench password=bench${encrypted ? '' : ' profile=default'} disabled=no`;

function tsxImport(): string {
  return import.meta.resolve('tsx');
}

/** Starts our server in `b` and our client in `a` without encryption; resolves once `ips.b` answers ping from `a`. */
export function startOurs(a: Netns, b: Netns, ips: TunnelIps): Promise<RunningTunnel> {
  return startOursWith(false)(a, b, ips);
}

/** The same with RouterOS's default profiles: MPPE-128 when both ends support it. */
export function startOursWith(encrypted: boolean, mppeMode?: 'stateless' | 'stateful'): (a: Netns, b: Netns, ips: TunnelIps) => Promise<RunningTunnel> {
  return (a, b, ips) => start(a, b, ips, encrypted, mppeMode);
}

async function start(a: Netns, b: Netns, ips: TunnelIps, encrypted: boolean, mppeMode?: 'stateless' | 'stateful'): Promise<RunningTunnel> {
  const kind = encrypted ? `MPPE-128 ${mppeMode ?? 'stateless'}` : 'no encryption';
  const { mode, why } = oursMode();
  if (mode === 'skip') throw new Error(`our tunnel is not runnable: ${why}`);
  const notes: string[] = [];
  if (mode === 'cli' || (mode === 'auto' && existsSync(CLI))) {
    // L2TP_MPPE_MODE (docs/mppe.md) on both daemons; unset, they negotiate stateless as RouterOS.
    const t = await startWithCli(a, b, ips, encrypted, mppeMode ? { ...process.env, L2TP_MPPE_MODE: mppeMode } : undefined);
    if (await waitForPing(a, ips.b, 20_000)) return { ...t, label: `ours (daemon, ${kind})` };
    const diag = t.diagnostics?.() ?? '';
    await t.stop();
    const reason = `the daemon started from ${CLI} did not carry traffic within 20 s (its App may still be configuration-only)`;
    if (mode === 'cli' || !existsSync(DRIVER)) throw new Error(`${reason}\n${diag}`);
    notes.push(`${reason}; fell back to the router driver`);
  }
  const t = await startWithDriver(a, b, ips, encrypted);
  if (!(await waitForPing(a, ips.b, 30_000))) {
    const diag = t.diagnostics?.() ?? '';
    await t.stop();
    throw new Error(`router driver: ${ips.b} does not answer ping\n${diag}`);
  }
  return { ...t, label: `ours (driver, ${kind})`, notes };
}

async function startWithCli(a: Netns, b: Netns, ips: TunnelIps, encrypted: boolean, env?: NodeJS.ProcessEnv): Promise<RunningTunnel> {
  const procs: Proc[] = [];
  const dirs: string[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(procs.map((p) => p.stop(5000)));
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  };
  try {
    const sides = [
      { ns: b, name: 'l2tp-server', script: SERVER_SCRIPT(ips, encrypted) },
      { ns: a, name: 'l2tp-client', script: CLIENT_SCRIPT(encrypted) },
    ];
    for (const s of sides) {
      const dir = await mkdtemp(join(tmpdir(), 'bench-l2tp-'));
      dirs.push(dir);
      // BENCH_NODE_FLAGS: extra node flags for both daemons (e.g. --cpu-prof --cpu-prof-dir=DIR).
      const nodeFlags = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter((f) => f !== '');
      const p = s.ns.spawn(s.name, [process.execPath, ...nodeFlags, CLI, 'start', '--data-dir', dir], env);
      procs.push(p);
      const sock = join(dir, 'control.sock');
      const deadline = Date.now() + 15_000;
      while (!existsSync(sock)) {
        if (!p.alive) throw new Error(`${s.name} exited: ${p.text.slice(-1500)}`);
        if (Date.now() > deadline) throw new Error(`${s.name}: no control socket after 15 s: ${p.text.slice(-1500)}`);
        await sleep(100);
      }
      await s.ns.exec([process.execPath, CLI, 'exec', '--data-dir', dir, s.script], { timeoutMs: 15_000 });
    }
    // procs: [server (B), client (A)]; report A first like the other tunnels.
    return { stop, pids: [procs[1]!.pid, procs[0]!.pid], diagnostics: () => describe(procs) };
  } catch (err) {
    await stop();
    throw err;
  }
}

async function startWithDriver(a: Netns, b: Netns, ips: TunnelIps, encrypted: boolean): Promise<RunningTunnel> {
  const procs: Proc[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(procs.map((p) => p.stop(5000)));
  };
  try {
    const server = b.spawn('router-driver-server', [process.execPath, '--import', tsxImport(), DRIVER, SERVER_SCRIPT(ips, encrypted)]);
    procs.push(server);
    await server.waitFor(/"ev":"ready"/, 30_000);
    const client = a.spawn('router-driver-client', [process.execPath, '--import', tsxImport(), DRIVER, CLIENT_SCRIPT(encrypted)]);
    procs.push(client);
    await client.waitFor(/"ev":"ready"/, 30_000);
    return { stop, pids: [client.pid, server.pid], diagnostics: () => describe(procs) };
  } catch (err) {
    await stop();
    throw err;
  }
}

function describe(procs: readonly Proc[]): string {
  return procs.map((p) => `--- ${p.name} (pid ${p.pid}${p.alive ? '' : `, exited ${String(p.exitCode)}`}):\n${p.text.slice(-1200)}`).join('\n');
}
