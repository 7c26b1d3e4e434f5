/**
 * SoftEther VPN Server 5.01 (Debian build 9674) as a real L2TP LNS inside a test's namespace.
 * See /work/shared/LAB.md for its behaviour on this machine.
 *
 * Facts this module relies on (checked here):
 * - `vpnserver execsvc` stays in the foreground as a watchdog that forks the real server; the
 *   real PID is written to `/run/softether/.pid_<hash>` (about 0.1 s after start). SIGTERM to the
 *   real server shuts it down cleanly (about 0.3 s) and the watchdog then exits by itself. If
 *   the real server is SIGKILLed the watchdog may restart it, so the forced path kills the
 *   watchdog first.
 * - Its state is global to the machine: `/var/lib/softether` (vpn_server.config), `/run/softether`
 *   (pid and control files), `/var/log/softether`. Hence one SoftEther at a time per machine:
 *   an exclusive lock file serialises parallel test runs, existing state is moved aside and put
 *   back afterwards, and a host SoftEther that is already running makes `startSoftEther` refuse.
 * - A minimal vpn_server.config written before the first start keeps it off the internet: DDNS
 *   client disabled, `UseKeepConnect false`, `DisableNatTraversal true`, `EnableVpnAzure false`,
 *   and OpenVPN/SSTP/JSON-RPC/IPv6 listeners off. (The namespace has no route out anyway.)
 * - Configuration is one vpncmd batch (`vpncmd 127.0.0.1:5555 /SERVER /IN:file`): hub LAB,
 *   user1/pass1, SecureNAT with DHCP 10.99.30.10-100, raw L2TP on UDP 1701. UDP 1701 opens about
 *   a second after `IPsecEnable`; start() waits for it.
 * - Known bug: one L2TP tunnel at a time; a stale tunnel sends it into a CPU loop where it ignores
 *   L2TP and SIGTERM. So every start writes fresh state (no tunnel survives a restart), tests
 *   close tunnels cleanly (StopCCN) or call `restart()`, and stop() SIGKILLs after a bounded wait.
 *
 * Call order: `startSoftEther(lab, ns)` -> use UDP 1701 on `ns` -> `restart()` between test cases
 * that may leave a tunnel -> `stop()` (the lab's cleanup also stops it and releases the lock).
 */
import { mkdir, readdir, readFile, rename, rm, writeFile, open } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab } from './lab.js';
import type { Netns } from './netns.js';
import { pidAlive, sleep, type ProcessHandle } from './proc.js';

export const SOFTETHER_BINARY = '/usr/libexec/softether/vpnserver/vpnserver';
export const SOFTETHER_STATE_DIR = '/var/lib/softether';
export const SOFTETHER_RUN_DIR = '/run/softether';
export const SOFTETHER_LOG_DIR = '/var/log/softether';
export const SOFTETHER_LOCK = '/run/lock/l2tp-lab-softether.lock';

/** vpn_server.config for the first start: no outbound connections of any kind. */
export const SOFTETHER_MINIMAL_CONFIG = `# Written by the l2tp lab harness before the first start.
declare root
{
\tdeclare DDnsClient
\t{
\t\tbool Disabled true
\t}
\tdeclare ServerConfiguration
\t{
\t\tbool DisableNatTraversal true
\t\tbool UseKeepConnect false
\t\tbool EnableVpnAzure false
\t\tbool DisableJsonRpcWebApi true
\t\tbool DisableOpenVPNServer true
\t\tbool DisableSSTPServer true
\t\tbool DisableIPv6Listener true
\t\tbool NoHighPriorityProcess true
\t}
\tdeclare ListenerList
\t{
\t\tdeclare Listener0
\t\t{
\t\t\tbool Enabled true
\t\t\tuint Port 5555
\t\t}
\t}
}
`;

/** The LAB.md configuration: hub LAB, user1/pass1, SecureNAT + DHCP, raw L2TP enabled. */
export const SOFTETHER_LAB_BATCH: readonly string[] = [
  'KeepDisable',
  'HubCreate LAB /PASSWORD:hubadmin',
  'Hub LAB',
  'UserCreate user1 /GROUP:none /REALNAME:none /NOTE:none',
  'UserPasswordSet user1 /PASSWORD:pass1',
  // These two keep SecureNAT from sending real DHCP/ARP on the namespace's veth.
  'ExtOptionSet DisableKernelModeSecureNAT /VALUE:1',
  'ExtOptionSet DisableIpRawModeSecureNAT /VALUE:1',
  'SecureNatHostSet /MAC:none /IP:10.99.30.1 /MASK:255.255.255.0',
  'DhcpSet /START:10.99.30.10 /END:10.99.30.100 /MASK:255.255.255.0 /EXPIRE:7200 /GW:10.99.30.1 /DNS:10.99.30.1 /DNS2:none /DOMAIN:none /LOG:yes /PUSHROUTE:none',
  'SecureNatEnable',
  'Hub',
  'IPsecEnable /L2TP:yes /L2TPRAW:yes /ETHERIP:no /PSK:vpnpsk /DEFAULTHUB:LAB',
  'Flush',
];

export interface SoftEtherOptions {
  /** vpncmd lines run after the LAB batch (e.g. RADIUS settings; see LAB.md). */
  extraCommands?: readonly string[];
  /** Replace the LAB batch entirely. */
  commands?: readonly string[];
  /** How long to wait for the lock held by another run; default 180 s. */
  lockTimeoutMs?: number;
  /** Bounded wait for SIGTERM before SIGKILL; default 5 s. */
  stopTimeoutMs?: number;
}

export interface SoftEtherTimings {
  /** Spawn to real-server PID file. */
  pidMs: number;
  /** Spawn to admin port 5555 listening. */
  adminMs: number;
  /** vpncmd batch duration. */
  configureMs: number;
  /** Spawn to UDP 1701 listening: the total start time. */
  readyMs: number;
}

export interface SoftEtherStopResult {
  /** True when SIGTERM sufficed; false when SIGKILL was needed (the stale-tunnel CPU loop). */
  clean: boolean;
  ms: number;
}

export interface SoftEther {
  readonly ns: Netns;
  /** PID of the real server (not the watchdog). */
  readonly serverPid: number;
  readonly watchdog: ProcessHandle;
  readonly timings: SoftEtherTimings;
  /** vpncmd output of the configuration batch. */
  readonly vpncmdOutput: string;
  /** Runs more vpncmd commands (one batch). */
  vpncmd(lines: readonly string[]): Promise<string>;
  /** Contents of today's server log (`/var/log/softether/server_log/*.log`). */
  serverLog(): Promise<string>;
  /** Stops and starts again with fresh state (no stale tunnel can survive). */
  restart(): Promise<SoftEther>;
  stop(): Promise<SoftEtherStopResult>;
}

// ---------------------------------------------------------------------------------------------
// Machine-wide lock and state

interface Held {
  backups: Array<{ dir: string; backup: string }>;
}

let held: Held | undefined;

async function acquire(timeoutMs: number): Promise<Held> {
  if (held !== undefined) throw new Error('softether: already started in this process (one at a time)');
  await mkdir('/run/lock', { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fh = await open(SOFTETHER_LOCK, 'wx');
      await fh.write(String(process.pid));
      await fh.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number.parseInt(await readFile(SOFTETHER_LOCK, 'utf8').catch(() => ''), 10);
      if (!Number.isInteger(owner) || !pidAlive(owner)) {
        // A crashed run left it; its SoftEther (if any) is handled by the live-server check below.
        await rm(SOFTETHER_LOCK, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`softether: lock ${SOFTETHER_LOCK} held by pid ${owner} for over ${timeoutMs} ms`);
      await sleep(250);
    }
  }
  try {
    const running = await livePids();
    if (running.length > 0) throw new Error(`softether: a vpnserver is already running (pid ${running.join(', ')}); not touching its state`);
    const backups: Held['backups'] = [];
    for (const dir of [SOFTETHER_STATE_DIR, SOFTETHER_LOG_DIR]) {
      if (existsSync(dir)) {
        const backup = `${dir}.lab-backup-${process.pid}`;
        await rename(dir, backup);
        backups.push({ dir, backup });
      }
    }
    held = { backups };
    return held;
  } catch (err) {
    await rm(SOFTETHER_LOCK, { force: true });
    throw err;
  }
}

async function release(): Promise<void> {
  if (held === undefined) return;
  const { backups } = held;
  held = undefined;
  await rm(SOFTETHER_STATE_DIR, { recursive: true, force: true });
  await rm(SOFTETHER_LOG_DIR, { recursive: true, force: true });
  await clearRunDir();
  for (const { dir, backup } of backups) await rename(backup, dir);
  await rm(SOFTETHER_LOCK, { force: true });
}

async function runFiles(prefix: string): Promise<string[]> {
  try {
    return (await readdir(SOFTETHER_RUN_DIR)).filter((n) => n.startsWith(prefix));
  } catch {
    return [];
  }
}

async function livePids(): Promise<number[]> {
  const pids: number[] = [];
  for (const f of await runFiles('.pid_')) {
    const pid = Number.parseInt(await readFile(join(SOFTETHER_RUN_DIR, f), 'utf8').catch(() => ''), 10);
    if (Number.isInteger(pid) && pid > 0 && pidAlive(pid)) pids.push(pid);
  }
  return pids;
}

async function clearRunDir(): Promise<void> {
  for (const f of [...(await runFiles('.pid_')), ...(await runFiles('.ctl_')), ...(await runFiles('.VPN-'))]) await rm(join(SOFTETHER_RUN_DIR, f), { force: true });
}

async function freshState(): Promise<void> {
  await rm(SOFTETHER_STATE_DIR, { recursive: true, force: true });
  await rm(SOFTETHER_LOG_DIR, { recursive: true, force: true });
  await mkdir(SOFTETHER_STATE_DIR, { recursive: true, mode: 0o700 });
  await mkdir(SOFTETHER_LOG_DIR, { recursive: true });
  await mkdir(SOFTETHER_RUN_DIR, { recursive: true });
  await clearRunDir();
  await writeFile(join(SOFTETHER_STATE_DIR, 'vpn_server.config'), SOFTETHER_MINIMAL_CONFIG, { mode: 0o600 });
}

// ---------------------------------------------------------------------------------------------

async function pollUntil<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, watchdog: ProcessHandle): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (!watchdog.isRunning()) throw new Error(`softether: exited before ${what}\n${watchdog.output()}`);
    if (Date.now() > deadline) throw new Error(`softether: no ${what} within ${timeoutMs} ms\n${watchdog.output()}`);
    await sleep(50);
  }
}

async function listening(ns: Netns, proto: 'tcp' | 'udp', port: number): Promise<boolean> {
  const r = await ns.exec(['ss', '-ln', proto === 'tcp' ? '-t' : '-u'], { check: false, timeoutMs: 5_000 });
  return new RegExp(`:${port}\\s`).test(r.stdout);
}

/** Starts SoftEther in `ns` with fresh LAB state; resolves once UDP 1701 is open. */
export async function startSoftEther(lab: Lab, ns: Netns, opts: SoftEtherOptions = {}): Promise<SoftEther> {
  await acquire(opts.lockTimeoutMs ?? 180_000);
  lab.defer('softether state and lock', () => release());
  return launch(lab, ns, opts);
}

async function launch(lab: Lab, ns: Netns, opts: SoftEtherOptions): Promise<SoftEther> {
  await freshState();
  const t0 = Date.now();
  const watchdog = ns.spawn([SOFTETHER_BINARY, 'execsvc'], { name: `vpnserver@${ns.name}` });
  let serverPid = 0;
  let stopped: Promise<SoftEtherStopResult> | undefined;
  const stop = (): Promise<SoftEtherStopResult> => {
    stopped ??= stopServer(watchdog, serverPid, opts.stopTimeoutMs ?? 5_000);
    return stopped;
  };
  lab.defer(`softether pid ${watchdog.pid}`, async () => {
    await stop();
  });

  serverPid = await pollUntil('real-server pid file', 15_000, async () => (await livePids())[0], watchdog);
  const pidMs = Date.now() - t0;
  await pollUntil('admin port 5555', 15_000, async () => ((await listening(ns, 'tcp', 5555)) ? true : undefined), watchdog);
  const adminMs = Date.now() - t0;

  const vpncmd = async (lines: readonly string[]): Promise<string> => {
    const dir = await lab.tempDir('vpncmd');
    const file = join(dir, 'batch.txt');
    await writeFile(file, lines.join('\n') + '\n');
    const r = await ns.exec(['vpncmd', '127.0.0.1:5555', '/SERVER', `/IN:${file}`], { timeoutMs: 30_000, check: false });
    if (r.code !== 0) throw new Error(`softether: vpncmd failed (exit ${r.code})\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  const c0 = Date.now();
  const vpncmdOutput = await vpncmd([...(opts.commands ?? SOFTETHER_LAB_BATCH), ...(opts.extraCommands ?? [])]);
  const configureMs = Date.now() - c0;
  await pollUntil('UDP 1701', 15_000, async () => ((await listening(ns, 'udp', 1701)) ? true : undefined), watchdog);
  const readyMs = Date.now() - t0;

  const self: SoftEther = {
    ns,
    serverPid,
    watchdog,
    timings: { pidMs, adminMs, configureMs, readyMs },
    vpncmdOutput,
    vpncmd,
    serverLog: async () => {
      const dir = join(SOFTETHER_LOG_DIR, 'server_log');
      const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.log')).sort();
      const parts = await Promise.all(files.map((f) => readFile(join(dir, f), 'utf8')));
      return parts.join('');
    },
    restart: async () => {
      await stop();
      return launch(lab, ns, opts);
    },
    stop,
  };
  return self;
}

async function stopServer(watchdog: ProcessHandle, serverPid: number, timeoutMs: number): Promise<SoftEtherStopResult> {
  const t0 = Date.now();
  const signal = (pid: number, sig: NodeJS.Signals): void => {
    try {
      process.kill(pid, sig);
    } catch {
      // gone already
    }
  };
  if (serverPid > 0 && pidAlive(serverPid)) signal(serverPid, 'SIGTERM');
  else watchdog.signal('SIGTERM');
  const deadline = t0 + timeoutMs;
  while (Date.now() < deadline && (pidAlive(serverPid) || watchdog.isRunning())) await sleep(25);
  let clean = true;
  if (watchdog.isRunning() || (serverPid > 0 && pidAlive(serverPid))) {
    clean = false;
    // The watchdog first, or it restarts the server we kill.
    watchdog.signal('SIGKILL');
    if (serverPid > 0) signal(serverPid, 'SIGKILL');
    for (let i = 0; i < 100 && serverPid > 0 && pidAlive(serverPid); i++) await sleep(20);
  }
  await watchdog.exited;
  return { clean, ms: Date.now() - t0 };
}
