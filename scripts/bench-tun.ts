/**
 * Throughput micro-benchmark of the TUN data path (not a test): packets/s through
 * readBatch + writeBatch of src/platform/tun.ts, with the kernel forwarding between two TUNs.
 *
 *   sudo node --import tsx scripts/bench-tun.ts [--window 256] [--size 100] [--seconds 3] [--batch 64]
 *
 * Needs root. Creates a network namespace `l2tp-bench-<rand>`, re-runs itself inside it and
 * deletes the namespace at the end. Inside, two TUN devices A (10.231.0.1 peer 10.231.0.2) and
 * B (10.232.0.1 peer 10.232.0.2), ip_forward on. `window` UDP/IPv4 packets from 10.231.0.2 to
 * 10.232.0.2 are written into A; the kernel forwards them out of B; the reader on B swaps the
 * addresses, resets the TTL (new header checksum) and writes them back into B, in place, from
 * the read slab (zero copy); the kernel forwards them out of A, whose reader bounces them again.
 * So every packet hop is one batched read + one write() + one kernel forward, closed loop, with
 * `window` packets in flight. Reported: hops/s (= packets read and written per second), the
 * process CPU time per hop, and the packets still circulating at the end (queue drops lose some).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { openTun, type TunDevice } from '../src/platform/tun.js';
import { IpRoute2 } from '../src/platform/netlink-or-ip.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`--${name} must be a positive number`);
  return v;
}

const WINDOW = arg('window', 256);
const SIZE = Math.max(28, Math.min(1400, arg('size', 100)));
const SECONDS = Math.min(60, arg('seconds', 3));
const BATCH = arg('batch', 64);

function ipHeaderChecksum(b: Uint8Array, at: number): number {
  let sum = 0;
  for (let i = 0; i < 20; i += 2) sum += ((b[at + i] ?? 0) << 8) | (b[at + i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** Swaps source/destination, TTL back to 64, header checksum recomputed (UDP checksum is 0). */
function bounce(b: Uint8Array, at: number): void {
  for (let i = 0; i < 4; i++) {
    const s = b[at + 12 + i] ?? 0;
    b[at + 12 + i] = b[at + 16 + i] ?? 0;
    b[at + 16 + i] = s;
  }
  b[at + 8] = 64;
  b[at + 10] = 0;
  b[at + 11] = 0;
  const c = ipHeaderChecksum(b, at);
  b[at + 10] = c >> 8;
  b[at + 11] = c & 0xff;
}

function udpPacket(size: number, seq: number): Uint8Array {
  const p = new Uint8Array(size);
  p[0] = 0x45;
  p[2] = size >> 8;
  p[3] = size & 0xff;
  p[4] = (seq >> 8) & 0xff;
  p[5] = seq & 0xff;
  p[8] = 64;
  p[9] = 17; // UDP
  p.set([10, 231, 0, 2], 12);
  p.set([10, 232, 0, 2], 16);
  const c = ipHeaderChecksum(p, 0);
  p[10] = c >> 8;
  p[11] = c & 0xff;
  // UDP 40000 -> 9 (discard); checksum 0 = none (allowed for IPv4, RFC 768).
  p[20] = 0x9c;
  p[21] = 0x40;
  p[23] = 9;
  p[24] = (size - 20) >> 8;
  p[25] = (size - 20) & 0xff;
  return p;
}

async function inside(): Promise<void> {
  const ip = new IpRoute2();
  const a = await openTun({ name: 'l2tpba', mtu: 1500, batchSize: BATCH });
  const b = await openTun({ name: 'l2tpbb', mtu: 1500, batchSize: BATCH });
  await ip.addPointToPoint(a.name, '10.231.0.1', '10.231.0.2');
  await ip.addPointToPoint(b.name, '10.232.0.1', '10.232.0.2');
  for (const [k, v] of [
    ['net.ipv4.ip_forward', '1'],
    ['net.ipv4.conf.all.rp_filter', '0'],
    ['net.ipv4.conf.default.rp_filter', '0'],
  ] as const) {
    execFileSync('sysctl', ['-q', '-w', `${k}=${v}`]);
  }
  // Longer device queues than the default 500, so the window is not cut down at once.
  await ip.run(['link', 'set', 'dev', a.name, 'txqueuelen', '4096']);
  await ip.run(['link', 'set', 'dev', b.name, 'txqueuelen', '4096']);

  let hops = 0;
  let lastSecondHops = 0;
  const bounceAll = (dev: TunDevice) => (slab: Uint8Array, offsets: Uint32Array, lengths: Uint32Array, count: number) => {
    for (let i = 0; i < count; i++) bounce(slab, offsets[i] ?? 0);
    dev.writeBatch(slab, offsets, lengths, count);
    hops += count;
  };
  a.onPackets(bounceAll(a));
  b.onPackets(bounceAll(b));

  const seed = new Uint8Array(WINDOW * SIZE);
  const offs = new Uint32Array(WINDOW);
  const lens = new Uint32Array(WINDOW).fill(SIZE);
  for (let i = 0; i < WINDOW; i++) {
    seed.set(udpPacket(SIZE, i), i * SIZE);
    offs[i] = i * SIZE;
  }
  // Warm up 200 ms, then measure.
  a.writeBatch(seed, offs, lens, WINDOW);
  await new Promise((r) => setTimeout(r, 200));
  const h0 = hops;
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, SECONDS * 1000 - 200));
  const hMid = hops;
  await new Promise((r) => setTimeout(r, 200));
  lastSecondHops = hops - hMid;
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  const n = hops - h0;
  const cpuUs = (cpu.user + cpu.system) / n;
  const report = {
    window: WINDOW,
    size: SIZE,
    batch: BATCH,
    seconds: Number(elapsed.toFixed(2)),
    hopsPerSecond: Math.round(n / elapsed),
    cpuMicrosPerHop: Number(cpuUs.toFixed(2)),
    hopsPerSecondLast200ms: Math.round(lastSecondHops / 0.2),
    txDropped: a.stats.txDropped + b.stats.txDropped,
    txErrors: a.stats.txErrors + b.stats.txErrors,
  };
  a.close();
  b.close();
  process.stdout.write(JSON.stringify(report) + '\n');
}

function outside(): void {
  if (process.getuid?.() !== 0) {
    console.error('bench-tun: needs root (TUN devices and a network namespace)');
    process.exit(2);
  }
  const ns = `l2tp-bench-${randomBytes(4).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    const self = fileURLToPath(import.meta.url);
    const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, ...process.execArgv, self, ...process.argv.slice(2)], {
      stdio: 'inherit',
      env: { ...process.env, L2TP_BENCH_CHILD: '1' },
      timeout: (SECONDS + 30) * 1000,
    });
    process.exitCode = r.status ?? 1;
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
  }
}

if (process.env['L2TP_BENCH_CHILD'] === '1') await inside();
else outside();
