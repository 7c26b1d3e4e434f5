/**
 * What one wake-up of a Node process costs on this machine, apart from any tunnel: a UDP echo
 * server on loopback answers a C client that sends one 100-byte datagram every `interval` and
 * times each round trip. The echo server is, in turn:
 * - `c`: a C program blocked in recvfrom() (the floor: kernel round trip plus one wake-up);
 * - `node-dgram`: three lines of Node on node:dgram;
 * - `node-native`: Node on our addon's UDP port (src/platform/udp-native.ts: uv_poll readiness,
 *   recvmmsg, sendmmsg), the daemon's data-path socket.
 * The difference between a Node row and the C row is the price of waking a JavaScript process
 * once. A ping through a userspace tunnel wakes a tunnel process three times, so this bounds the
 * added latency any Node tunnel can reach here (docs/benchmarks.md, "Added latency").
 *
 * Run from the repository root, as root or not: `node --import tsx bench/wakeup.ts [--count 300] [--intervals 10000,2000,500]`
 * (intervals in microseconds). Needs a C compiler (`cc`), which the native addon's build needs
 * anyway. Only loopback is used; the echo servers are started here and stopped by their PID.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { killAllSync, run, sleep, stopAll, Proc } from './lib/proc.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const ECHO_C = `#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
int main(int argc, char **argv) {
  if (argc < 2) return 2;
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)atoi(argv[1]));
  a.sin_addr.s_addr = htonl(0x7f000001);
  if (bind(s, (struct sockaddr *)&a, sizeof a) != 0) return 1;
  char buf[2048];
  for (;;) {
    struct sockaddr_in from;
    socklen_t len = sizeof from;
    int n = (int)recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &len);
    if (n > 0) sendto(s, buf, (size_t)n, 0, (struct sockaddr *)&from, len);
  }
}
`;

const CLIENT_C = `#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}
static int cmp(const void *x, const void *y) {
  double a = *(const double *)x, b = *(const double *)y;
  return a < b ? -1 : a > b;
}
int main(int argc, char **argv) {
  if (argc < 4) return 2;
  int port = atoi(argv[1]), count = atoi(argv[2]), interval = atoi(argv[3]);
  if (count < 1 || count > 100000 || interval < 0 || interval > 1000000) return 2;
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)port);
  a.sin_addr.s_addr = htonl(0x7f000001);
  if (connect(s, (struct sockaddr *)&a, sizeof a) != 0) return 1;
  struct timeval tv = {1, 0};
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  double *rtt = malloc(sizeof(double) * (size_t)count);
  char buf[2048] = {0};
  int got = 0, lost = 0;
  for (int i = 0; i < count; i++) {
    usleep((useconds_t)interval);
    double t0 = now_us();
    if (send(s, buf, 100, 0) != 100) return 1;
    if (recv(s, buf, sizeof buf, 0) < 0) { lost++; continue; }
    rtt[got++] = now_us() - t0;
  }
  if (got == 0) { printf("lost %d\\n", lost); return 1; }
  qsort(rtt, (size_t)got, sizeof(double), cmp);
  printf("%.1f %.1f %.1f %d\\n", rtt[got / 2], rtt[got / 10], rtt[(got * 9) / 10], lost);
  return 0;
}
`;

const ECHO_DGRAM = `import dgram from 'node:dgram';
const s = dgram.createSocket('udp4');
s.on('message', (m, r) => s.send(m, r.port, r.address));
s.bind(Number(process.argv[2]), '127.0.0.1', () => console.log('ready'));
`;

const ECHO_NATIVE = `const { NativeUdpPort } = await import(${JSON.stringify(pathToFileURL(join(ROOT, 'src/platform/udp-native.ts')).href)});
const port = NativeUdpPort.openSync({ address: '127.0.0.1', port: Number(process.argv[2]) });
port.onDatagram((from, bytes) => port.send(from, bytes));
console.log('ready');
`;

interface Options {
  count: number;
  intervalsUs: number[];
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = { count: 300, intervalsUs: [10_000, 2_000, 500] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[i + 1];
    if (a === '--count' && v !== undefined) {
      o.count = Math.max(20, Math.min(5000, Number.parseInt(v, 10) || 300));
      i++;
    } else if (a === '--intervals' && v !== undefined) {
      o.intervalsUs = v.split(',').map((x) => Number.parseInt(x, 10));
      if (o.intervalsUs.some((x) => !(x >= 100 && x <= 1_000_000))) throw new Error('--intervals: microseconds between 100 and 1000000');
      i++;
    } else if (a === '--help' || a === '-h') {
      console.log('usage: node --import tsx bench/wakeup.ts [--count 300] [--intervals 10000,2000,500]');
      process.exit(0);
    } else throw new Error(`unknown argument ${String(a)}`);
  }
  return o;
}

interface Row {
  server: string;
  intervalUs: number;
  medianUs: number;
  p10Us: number;
  p90Us: number;
  lost: number;
}

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'l2tp-wakeup-'));
  const rows: Row[] = [];
  try {
    for (const [name, src] of [
      ['echo', ECHO_C],
      ['client', CLIENT_C],
    ] as const) {
      writeFileSync(join(dir, `${name}.c`), src);
      const cc = spawnSync('cc', ['-O2', '-o', join(dir, name), join(dir, `${name}.c`)], { encoding: 'utf8', timeout: 60_000 });
      if (cc.status !== 0) throw new Error(`cc ${name}.c failed: ${cc.stderr || String(cc.error)}`);
    }
    writeFileSync(join(dir, 'echo-dgram.mjs'), ECHO_DGRAM);
    writeFileSync(join(dir, 'echo-native.mjs'), ECHO_NATIVE);
    const servers: Array<{ name: string; cmd: string[] }> = [
      { name: 'c', cmd: [join(dir, 'echo')] },
      { name: 'node-dgram', cmd: [process.execPath, join(dir, 'echo-dgram.mjs')] },
      { name: 'node-native', cmd: [process.execPath, '--import', 'tsx', join(dir, 'echo-native.mjs')] },
    ];
    let port = 19_000 + (process.pid % 1000) * 4;
    for (const s of servers) {
      port++;
      const proc = new Proc(s.name, [...s.cmd, String(port)]);
      try {
        if (s.name !== 'c') await proc.waitFor(/ready/, 20_000);
        else await sleep(200);
        // A warm-up burst so the JIT has compiled the echo path before anything is timed.
        await run([join(dir, 'client'), String(port), '2000', '0'], { timeoutMs: 60_000 });
        for (const iv of o.intervalsUs) {
          const r = await run([join(dir, 'client'), String(port), String(o.count), String(iv)], {
            timeoutMs: Math.ceil((o.count * (iv + 2000)) / 1000) + 30_000,
          });
          const [med, p10, p90, lost] = r.stdout.trim().split(' ').map(Number);
          rows.push({ server: s.name, intervalUs: iv, medianUs: med!, p10Us: p10!, p90Us: p90!, lost: lost! });
          console.log(`${s.name.padEnd(12)} every ${String(iv).padStart(6)} us: RTT median ${med!.toFixed(1)} us (p10 ${p10!.toFixed(1)}, p90 ${p90!.toFixed(1)}), lost ${lost}`);
        }
      } finally {
        await proc.stop();
      }
    }
    console.log('');
    console.log('cost of one wake-up of the echo server over C (median RTT difference):');
    for (const iv of o.intervalsUs) {
      const c = rows.find((r) => r.server === 'c' && r.intervalUs === iv);
      if (!c) continue;
      const parts = rows
        .filter((r) => r.server !== 'c' && r.intervalUs === iv)
        .map((r) => `${r.server} +${(r.medianUs - c.medianUs).toFixed(0)} us`);
      console.log(`  every ${String(iv).padStart(6)} us: C ${c.medianUs.toFixed(0)} us; ${parts.join(', ')}`);
    }
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  killAllSync();
  process.exit(1);
});
