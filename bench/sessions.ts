/**
 * Many sessions at once through the real daemons: an l2tp-server in namespace B and, in
 * namespace A, a client daemon with `--sessions` l2tp-clients (each its own tunnel, session and
 * TUN interface, as RouterOS clients are), all configured with RouterOS commands.
 *
 * Measured, in order:
 * 1. connect: from the `add` of every l2tp-client (one `l2tp exec` reading the script from
 *    stdin) until the server lists them all in `/ppp active` and every interface exists on both
 *    sides;
 * 2. resident memory of each daemon (VmRSS) and per session;
 * 3. idle CPU of each daemon over `--idle-seconds` (default 70: one round of L2TP HELLOs, sent
 *    after 60 s of silence, and of LCP echoes, after keepalive-timeout's 30 s);
 * 4. the server's console with that many sessions: `/ppp active print count-only` and the full
 *    `/ppp active print`;
 * 5. a ping through `--pings` sessions spread over the range (`ping -I cN` to the server's
 *    address), which must all answer;
 * 6. mass disconnect: `/interface l2tp-client disable [find]`, until no session and no
 *    interface is left, while the server's console is timed every 0.5 s (the worst call is the
 *    "stall" figure: a daemon busy in a system call cannot answer);
 * 7. reconnect storm: `enable [find]`, until all are back;
 * 8. shutdown: SIGTERM to the server with every session up, until it has exited (it tears each
 *    session down, removes every interface and saves its configuration).
 *
 * Run as root from the repository root after `npm run build`:
 *   node --import tsx bench/sessions.ts [--sessions 2000] [--idle-seconds 70] [--pings 10] [--encrypted]
 * `BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=DIR"` passes node flags to both daemons.
 * `--encrypted` keeps RouterOS's default-encryption profiles (MS-CHAPv2 and MPPE-128 per
 * session) instead of the plain `default` ones. Results: a table on stdout and JSON in
 * bench/results/sessions-<date>.json.
 *
 * Invariants: the namespaces are this run's own (`bench-a-<pid>`, `bench-b-<pid>`) and are
 * deleted at the end, on failure and on Ctrl-C; only processes started here are signalled, by
 * PID; every wait is bounded.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, release, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBenchNet, VETH_B_IP, type BenchNet, type Netns } from './lib/netns.js';
import { killAllSync, sleep, stopAll, type Proc } from './lib/proc.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const SERVER_ADDRESS = '10.63.255.254';
const POOL = '10.64.0.1-10.64.63.254';
const MAX_SESSIONS = 4000;

interface Options {
  sessions: number;
  idleSeconds: number;
  pings: number;
  encrypted: boolean;
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = { sessions: 2000, idleSeconds: 70, pings: 10, encrypted: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    const num = (lo: number, hi: number): number => {
      const n = Number.parseInt(v ?? '', 10);
      if (!Number.isInteger(n) || n < lo || n > hi) throw new Error(`${a} needs a number in ${lo}..${hi}`);
      i++;
      return n;
    };
    if (a === '--sessions') o.sessions = num(1, MAX_SESSIONS);
    else if (a === '--idle-seconds') o.idleSeconds = num(1, 300);
    else if (a === '--pings') o.pings = num(0, 100);
    else if (a === '--encrypted') o.encrypted = true;
    else if (a === '--help' || a === '-h') {
      console.log('usage: node --import tsx bench/sessions.ts [--sessions 2000] [--idle-seconds 70] [--pings 10] [--encrypted]');
      process.exit(0);
    } else throw new Error(`unknown argument ${String(a)}`);
  }
  return o;
}

interface Daemon {
  readonly proc: Proc;
  readonly dir: string;
  readonly ns: Netns;
}

function log(msg: string): void {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

async function startDaemon(ns: Netns, name: string): Promise<Daemon> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-sessions-'));
  // BENCH_NODE_FLAGS: node flags for both daemons (e.g. --cpu-prof --cpu-prof-dir=DIR).
  const nodeFlags = (process.env['BENCH_NODE_FLAGS'] ?? '').split(' ').filter((f) => f !== '');
  const proc = ns.spawn(name, [process.execPath, ...nodeFlags, CLI, 'start', '--data-dir', dir]);
  const sock = join(dir, 'control.sock');
  const deadline = Date.now() + 15_000;
  while (!existsSync(sock)) {
    if (!proc.alive) throw new Error(`${name} exited: ${proc.text.slice(-1500)}`);
    if (Date.now() > deadline) throw new Error(`${name}: no control socket after 15 s`);
    await sleep(100);
  }
  return { proc, dir, ns };
}

/** Runs console commands in a daemon; resolves with the output and how long the call took. */
async function exec(d: Daemon, script: string, timeoutMs = 60_000): Promise<{ out: string; ms: number }> {
  const t0 = performance.now();
  const r = await d.ns.exec([process.execPath, CLI, 'exec', '--data-dir', d.dir], { input: script, timeoutMs });
  return { out: r.stdout.trim(), ms: performance.now() - t0 };
}

async function activeCount(server: Daemon): Promise<number> {
  return Number.parseInt((await exec(server, '/ppp active print count-only')).out, 10);
}

/** Interfaces in a namespace whose name matches. */
async function linkCount(ns: Netns, re: RegExp): Promise<number> {
  const r = await ns.exec(['ip', '-o', 'link', 'show'], { check: false, timeoutMs: 20_000 });
  let n = 0;
  for (const line of r.stdout.split('\n')) {
    const name = /^\d+: ([^:@]+)/.exec(line)?.[1];
    if (name !== undefined && re.test(name)) n++;
  }
  return n;
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : Number.NaN;
}

function cpuTicks(pid: number): number {
  // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]);
}

/** Polls `done()` every `everyMs` until it is true; resolves with the seconds it took, or rejects. */
async function until(what: string, t0: number, limitS: number, everyMs: number, done: () => Promise<boolean>): Promise<number> {
  while (performance.now() - t0 < limitS * 1000) {
    if (await done()) return (performance.now() - t0) / 1000;
    await sleep(everyMs);
  }
  throw new Error(`${what}: not done within ${limitS} s`);
}

interface Results {
  sessions: number;
  encrypted: boolean;
  connectSeconds?: number;
  allInterfacesSeconds?: number;
  rssKb?: { server: number; client: number; serverBaseline: number; clientBaseline: number };
  idleCpuPercent?: { server: number; client: number };
  console?: { countOnlyMs: number; fullPrintMs: number; fullPrintLines: number };
  pings?: { sent: number; answered: number };
  disconnect?: { sessionsGoneSeconds: number; interfacesGoneSeconds: number; worstConsoleMs: number };
  reconnectSeconds?: number;
  shutdownSeconds?: number;
  error?: string;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  if (process.getuid?.() !== 0) throw new Error('run as root (network namespaces and TUN devices)');
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build`);
  const n = o.sessions;
  const results: Results = { sessions: n, encrypted: o.encrypted };
  let net: BenchNet | undefined;
  const dirs: string[] = [];
  const onSignal = (): void => {
    killAllSync();
    void net?.destroy().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    net = await createBenchNet();
    const server = await startDaemon(net.b, 'l2tp-server');
    const client = await startDaemon(net.a, 'l2tp-client');
    dirs.push(server.dir, client.dir);
    const profile = o.encrypted ? 'default-encryption' : 'default';
    await exec(
      server,
      [
        `/ip pool add name=many ranges=${POOL}`,
        `/ppp profile set ${profile} local-address=${SERVER_ADDRESS} remote-address=many`,
        `/ppp secret add name=bench password=bench service=l2tp profile=${profile}`,
        `/interface l2tp-server server set enabled=yes default-profile=${profile}`,
      ].join('\n'),
    );
    await sleep(1000);
    const serverBaseline = rssKb(server.proc.pid);
    const clientBaseline = rssKb(client.proc.pid);

    // 1. connect
    const adds: string[] = [];
    for (let i = 1; i <= n; i++) adds.push(`/interface l2tp-client add name=c${i} connect-to=${VETH_B_IP} user=bench password=bench profile=${profile} disabled=no`);
    log(`adding ${n} l2tp-clients (${o.encrypted ? 'MS-CHAPv2 + MPPE-128' : 'no encryption'})`);
    const t0 = performance.now();
    await exec(client, adds.join('\n'), 120_000);
    const limit = Math.max(60, n / 10);
    results.connectSeconds = await until('all sessions active', t0, limit, 500, async () => (await activeCount(server)) === n);
    log(`all ${n} sessions in /ppp active after ${results.connectSeconds.toFixed(1)} s`);
    results.allInterfacesSeconds = await until('all interfaces', t0, limit, 500, async () => (await linkCount(net!.b, /^<?l2tp/)) === n && (await linkCount(net!.a, /^c\d+$/)) === n);
    log(`all ${2 * n} interfaces up after ${results.allInterfacesSeconds.toFixed(1)} s`);

    // 2. memory, 3. idle CPU
    await sleep(2000);
    const tick0 = { s: cpuTicks(server.proc.pid), c: cpuTicks(client.proc.pid) };
    await sleep(o.idleSeconds * 1000);
    const tick1 = { s: cpuTicks(server.proc.pid), c: cpuTicks(client.proc.pid) };
    // USER_HZ is 100 on Linux: ticks / seconds = percent of one core.
    results.idleCpuPercent = { server: (tick1.s - tick0.s) / o.idleSeconds, client: (tick1.c - tick0.c) / o.idleSeconds };
    results.rssKb = { server: rssKb(server.proc.pid), client: rssKb(client.proc.pid), serverBaseline, clientBaseline };
    log(`RSS server ${(results.rssKb.server / 1024).toFixed(0)} MB, client ${(results.rssKb.client / 1024).toFixed(0)} MB; idle CPU server ${results.idleCpuPercent.server.toFixed(1)}%, client ${results.idleCpuPercent.client.toFixed(1)}%`);

    // 4. console
    const count = await exec(server, '/ppp active print count-only');
    const full = await exec(server, '/ppp active print', 120_000);
    results.console = { countOnlyMs: count.ms, fullPrintMs: full.ms, fullPrintLines: full.out.split('\n').length };
    log(`console: count-only ${count.ms.toFixed(0)} ms, full print (${results.console.fullPrintLines} lines) ${full.ms.toFixed(0)} ms`);

    // 5. pings through a spread of sessions
    let answered = 0;
    for (let k = 0; k < o.pings; k++) {
      const i = 1 + Math.floor((k * (n - 1)) / Math.max(1, o.pings - 1));
      const r = await net.a.exec(['ping', '-c', '1', '-W', '2', '-I', `c${i}`, SERVER_ADDRESS], { check: false, timeoutMs: 10_000 });
      if (r.code === 0) answered++;
    }
    results.pings = { sent: o.pings, answered };
    log(`ping through ${o.pings} sessions: ${answered} answered`);

    // 6. mass disconnect, with the server's console timed meanwhile
    let worst = 0;
    let watching = true;
    const watcher = (async (): Promise<void> => {
      while (watching) {
        const r = await exec(server, '/ppp active print count-only', 120_000);
        worst = Math.max(worst, r.ms);
        await sleep(500);
      }
    })();
    const t1 = performance.now();
    await exec(client, '/interface l2tp-client disable [find]', 120_000);
    const gone = await until('all sessions gone', t1, limit, 250, async () => (await activeCount(server)) === 0);
    const ifGone = await until('all interfaces gone', t1, limit, 250, async () => (await linkCount(net!.b, /^<?l2tp/)) === 0 && (await linkCount(net!.a, /^c\d+$/)) === 0);
    watching = false;
    await watcher;
    results.disconnect = { sessionsGoneSeconds: gone, interfacesGoneSeconds: ifGone, worstConsoleMs: worst };
    log(`disconnect: sessions gone after ${gone.toFixed(1)} s, interfaces after ${ifGone.toFixed(1)} s; slowest console call ${worst.toFixed(0)} ms`);

    // 7. reconnect storm
    const t2 = performance.now();
    await exec(client, '/interface l2tp-client enable [find]', 120_000);
    results.reconnectSeconds = await until('all back', t2, limit, 500, async () => (await activeCount(server)) === n && (await linkCount(net!.b, /^<?l2tp/)) === n);
    log(`reconnect: all ${n} back after ${results.reconnectSeconds.toFixed(1)} s`);

    // 8. shutdown with every session up
    const t3 = performance.now();
    await server.proc.stop(120_000);
    if (server.proc.alive) throw new Error('the server did not exit within 120 s of SIGTERM');
    results.shutdownSeconds = (performance.now() - t3) / 1000;
    log(`server shutdown with ${n} sessions: ${results.shutdownSeconds.toFixed(1)} s (exit ${String(server.proc.exitCode)})`);
  } catch (err) {
    results.error = err instanceof Error ? err.message : String(err);
    log(`FAILED: ${results.error}`);
  } finally {
    await stopAll();
    await net?.destroy();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  }
  printTable(results);
  const outDir = join(ROOT, 'bench', 'results');
  mkdirSync(outDir, { recursive: true });
  const file = join(outDir, `sessions-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify({ machine: { cpus: cpus().length, kernel: release(), node: process.version, load: loadavg() }, options: o, results }, null, 2));
  log(`results written to ${file}`);
  if (results.error !== undefined) process.exitCode = 1;
}

function printTable(r: Results): void {
  const mb = (kb: number): string => `${(kb / 1024).toFixed(0)} MB`;
  const perSession = (kb: number, base: number): string => `${((kb - base) / r.sessions).toFixed(0)} KB/session`;
  const rows: Array<[string, string]> = [];
  if (r.connectSeconds !== undefined) rows.push(['connect: all in /ppp active', `${r.connectSeconds.toFixed(1)} s (${(r.sessions / r.connectSeconds).toFixed(0)} sessions/s)`]);
  if (r.allInterfacesSeconds !== undefined) rows.push(['connect: every interface up, both ends', `${r.allInterfacesSeconds.toFixed(1)} s`]);
  if (r.rssKb) {
    rows.push(['server resident memory', `${mb(r.rssKb.server)} (${perSession(r.rssKb.server, r.rssKb.serverBaseline)})`]);
    rows.push(['client resident memory', `${mb(r.rssKb.client)} (${perSession(r.rssKb.client, r.rssKb.clientBaseline)})`]);
  }
  if (r.idleCpuPercent) rows.push(['idle CPU (server / client)', `${r.idleCpuPercent.server.toFixed(1)}% / ${r.idleCpuPercent.client.toFixed(1)}% of a core`]);
  if (r.console) rows.push(['/ppp active print count-only / full', `${r.console.countOnlyMs.toFixed(0)} ms / ${r.console.fullPrintMs.toFixed(0)} ms`]);
  if (r.pings) rows.push(['pings through sampled sessions', `${r.pings.answered}/${r.pings.sent}`]);
  if (r.disconnect) {
    rows.push(['disconnect all: sessions / interfaces gone', `${r.disconnect.sessionsGoneSeconds.toFixed(1)} s / ${r.disconnect.interfacesGoneSeconds.toFixed(1)} s`]);
    rows.push(['slowest server console call meanwhile', `${r.disconnect.worstConsoleMs.toFixed(0)} ms`]);
  }
  if (r.reconnectSeconds !== undefined) rows.push(['reconnect storm: all back', `${r.reconnectSeconds.toFixed(1)} s`]);
  if (r.shutdownSeconds !== undefined) rows.push(['server shutdown (SIGTERM) with all up', `${r.shutdownSeconds.toFixed(1)} s`]);
  console.log('');
  console.log(`${r.sessions} sessions, ${r.encrypted ? 'MS-CHAPv2 + MPPE-128' : 'no encryption'}${r.error !== undefined ? ` (FAILED: ${r.error})` : ''}`);
  for (const [k, v] of rows) console.log(`  ${k.padEnd(44)}${v}`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  killAllSync();
  process.exit(1);
});
