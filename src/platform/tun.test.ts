/**
 * Tests of the TUN adapter. Without root: the in-memory twin, the addon's argument checks, and
 * fd polling + batched reads on a FIFO. With root (always under CI=true): a real TUN device in a
 * fresh network namespace answering the kernel's `ping` with crafted ICMP echo replies.
 *
 * The netns part runs this same file as a child process (`ip netns exec <ns> node this-file`
 * with L2TP_TUNTEST_CHILD=1): a process cannot move itself into a namespace from Node.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, constants, mkdtempSync, openSync, readdirSync, rmSync, writeSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, delimiter } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MemoryTun, openTun, slotSizeFor, whenTunsClosed, type TunDevice } from './tun.js';
import { loadNative, nativeAvailable } from './native.js';
import { IpRoute2 } from './netlink-or-ip.js';

const LOCAL = '10.201.0.1';
const PEER = '10.201.0.2';
const IPPROTO_ICMP = 1;
const ICMP_ECHO_REQUEST = 8;
const ICMP_ECHO_REPLY = 0;

/** RFC 1071 Internet checksum of `b[from, to)`. */
function internetChecksum(b: Uint8Array, from: number, to: number): number {
  let sum = 0;
  for (let i = from; i + 1 < to; i += 2) sum += ((b[i] ?? 0) << 8) | (b[i + 1] ?? 0);
  if ((to - from) % 2 === 1) sum += (b[to - 1] ?? 0) << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function ipv4(b: Uint8Array, at: number): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

/** Is `p` an IPv4 ICMP echo request to PEER? */
function isEchoRequestToPeer(p: Uint8Array): boolean {
  if (p.length < 28 || (p[0] ?? 0) >> 4 !== 4) return false;
  const ihl = ((p[0] ?? 0) & 0x0f) * 4;
  return p[9] === IPPROTO_ICMP && ipv4(p, 16) === PEER && p[ihl] === ICMP_ECHO_REQUEST;
}

/** Writes into `out` at `at` the echo reply for request `req` (RFC 792); returns its length. */
function craftEchoReply(req: Uint8Array, out: Uint8Array, at: number): number {
  const ihl = ((req[0] ?? 0) & 0x0f) * 4;
  const total = (((req[2] ?? 0) << 8) | (req[3] ?? 0)) >>> 0;
  out.set(req.subarray(0, total), at);
  // IP: swap source and destination, fresh TTL, recompute the header checksum.
  out.set(req.subarray(16, 20), at + 12);
  out.set(req.subarray(12, 16), at + 16);
  out[at + 8] = 64;
  out[at + 10] = 0;
  out[at + 11] = 0;
  const hc = internetChecksum(out, at, at + ihl);
  out[at + 10] = hc >> 8;
  out[at + 11] = hc & 0xff;
  // ICMP: "the type code changed to 0, and the checksum recomputed" (RFC 792, Echo Reply).
  out[at + ihl] = ICMP_ECHO_REPLY;
  out[at + ihl + 2] = 0;
  out[at + ihl + 3] = 0;
  const ic = internetChecksum(out, at + ihl, at + total);
  out[at + ihl + 2] = ic >> 8;
  out[at + ihl + 3] = ic & 0xff;
  return total;
}

function onPath(bin: string): boolean {
  return (process.env['PATH'] ?? '').split(delimiter).some((d) => d !== '' && existsSync(join(d, bin)));
}

/** Pings with iputils ping, or (where it is not installed) an equivalent raw-socket python3. */
function ping(count: number): Promise<{ code: number; output: string }> {
  const pyPing = `
import socket, struct, sys, time, os
def csum(b):
    if len(b) % 2: b += b'\\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s > 0xffff: s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
dst, count = sys.argv[1], int(sys.argv[2])
ident = os.getpid() & 0xffff
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
ok = 0
for seq in range(1, count + 1):
    body = b'l2tp-tuntest' * 4
    hdr = struct.pack('!BBHHH', 8, 0, 0, ident, seq)
    s.sendto(struct.pack('!BBHHH', 8, 0, csum(hdr + body), ident, seq) + body, (dst, 0))
    end = time.time() + 1
    while time.time() < end:
        s.settimeout(max(0.01, end - time.time()))
        try: data, _ = s.recvfrom(4096)
        except socket.timeout: break
        ihl = (data[0] & 15) * 4
        t, _c, _k, i, q = struct.unpack('!BBHHH', data[ihl:ihl + 8])
        if t == 0 and i == ident and q == seq:
            ok += 1
            break
    time.sleep(0.2)
print('%d packets transmitted, %d received' % (count, ok))
sys.exit(0 if ok == count else 1)
`;
  const [cmd, args] = onPath('ping')
    ? ['ping', ['-n', '-c', String(count), '-W', '1', '-i', '0.2', PEER]]
    : ['/usr/bin/python3', ['-c', pyPing, PEER, String(count)]];
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 15_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, output: stdout + stderr });
    });
  });
}

interface ChildResult {
  name: string;
  silentPing: { code: number; output: string; requests: number };
  answeredPing: { code: number; output: string; requests: number; replies: number };
  badWrite: { ok: boolean; txErrors: number; lastTxErrno: number };
  stats: { rxPackets: number; txPackets: number };
  closing: { reopened: boolean; before: string[]; after: string[] };
}

/** Runs inside the test's network namespace: a TUN that answers ping by hand. */
async function runChild(): Promise<void> {
  const tun: TunDevice = await openTun({ name: 'l2tpt%d', mtu: 1400 });
  await new IpRoute2().addPointToPoint(tun.name, LOCAL, PEER);
  let answering = false;
  let requests = 0;
  let replies = 0;
  const out = new Uint8Array(64 * 1500);
  const offsets = new Uint32Array(64);
  const lengths = new Uint32Array(64);
  tun.onPackets((slab, offs, lens, count) => {
    let n = 0;
    for (let i = 0; i < count; i++) {
      const off = offs[i] ?? 0;
      const p = slab.subarray(off, off + (lens[i] ?? 0));
      if (!isEchoRequestToPeer(p)) continue; // IPv6 router solicitations and the like
      requests++;
      if (!answering || n >= offsets.length) continue;
      offsets[n] = n * 1500;
      lengths[n] = craftEchoReply(p, out, n * 1500);
      n++;
    }
    if (n > 0) replies += tun.writeBatch(out, offsets, lengths, n);
  });

  const silent = await ping(1);
  const silentPing = { ...silent, requests };
  requests = 0;
  answering = true;
  const answered = await ping(3);
  const answeredPing = { ...answered, requests, replies };
  // Version nibble 0: the TUN driver refuses it (EINVAL); it must be counted, not thrown.
  const ok = tun.write(new Uint8Array(20));
  const result: ChildResult = {
    name: tun.name,
    silentPing,
    answeredPing,
    badWrite: { ok, txErrors: tun.stats.txErrors, lastTxErrno: tun.stats.lastTxErrno },
    stats: { rxPackets: tun.stats.rxPackets, txPackets: tun.stats.txPackets },
    closing: { reopened: false, before: [], after: [] },
  };
  tun.close();
  tun.close(); // idempotent
  // Closes run off the main thread: a device reopened by name at once waits for its previous
  // close, and whenTunsClosed() resolves once every interface is gone.
  const many: TunDevice[] = [];
  for (let i = 0; i < 12; i++) many.push(await openTun({ name: `l2tpc${i}`, mtu: 1400, vnetHdr: i % 2 === 0 }));
  const before = links();
  for (const d of many) d.close();
  const again = await openTun({ name: 'l2tpc0', mtu: 1400 });
  const reopened = links().includes('l2tpc0');
  again.close();
  await whenTunsClosed();
  result.closing = { reopened, before: before.filter((n) => n.startsWith('l2tpc')), after: links().filter((n) => n.startsWith('l2tp')) };
  process.stdout.write(JSON.stringify(result) + '\n');
}

function links(): string[] {
  return readdirSync('/sys/class/net');
}

if (process.env['L2TP_TUNTEST_CHILD'] === '1') {
  await runChild();
} else if (process.env['L2TP_TUNTEST_CHILD'] === 'close-without-ip') {
  await runCloseWithoutIp();
} else {
  registerTests();
}

/** Runs with no `ip` on PATH: closing falls back to closing the fds, and still removes every device. */
async function runCloseWithoutIp(): Promise<void> {
  const many: TunDevice[] = [];
  for (let i = 0; i < 8; i++) many.push(await openTun({ name: `l2tpn${i}`, mtu: 1400 }));
  const before = links().filter((n) => n.startsWith('l2tpn')).length;
  for (const d of many) d.close();
  const again = await openTun({ name: 'l2tpn0', mtu: 1400 });
  again.close();
  await whenTunsClosed();
  process.stdout.write(JSON.stringify({ before, after: links().filter((n) => n.startsWith('l2tpn')) }) + '\n');
}

/** Skips privileged tests with a reason, except under CI where they must run. */
function privilegedSkipReason(): string | undefined {
  const ci = process.env['CI'] === 'true';
  if (process.getuid?.() !== 0) {
    if (ci) throw new Error('CI=true but not root: the TUN netns test must run in CI');
    return 'needs root for TUN devices and network namespaces';
  }
  if (!nativeAvailable()) {
    if (ci) loadNative(); // throws the "run npm run build:native" error
    return 'native addon not built (npm run build:native)';
  }
  return undefined;
}

function registerTests(): void {
  test('slot size covers one full packet, rounded to 64 bytes', () => {
    assert.equal(slotSizeFor(1500, false), 1536);
    assert.equal(slotSizeFor(1400, false), 1408);
    assert.equal(slotSizeFor(1500, true), 1536);
    assert.equal(slotSizeFor(1536, true), 1600);
  });

  test('internet checksum matches RFC 1071 example', () => {
    // RFC 1071 section 3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to ddf2 (checksum = ~ddf2 = 220d).
    assert.equal(internetChecksum(new Uint8Array([0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]), 0, 8), 0x220d);
  });

  test('MemoryTun delivers batches as views and records writes', () => {
    const tun = new MemoryTun('mem0', 1400);
    const seen: number[][] = [];
    let kept: Uint8Array | undefined;
    tun.onPackets((slab, offsets, lengths, count) => {
      for (let i = 0; i < count; i++) {
        const o = offsets[i] ?? 0;
        const v = slab.subarray(o, o + (lengths[i] ?? 0));
        seen.push([...v]);
        kept = v;
      }
    });
    tun.inject([new Uint8Array([0x45, 1, 2]), new Uint8Array([0x60, 9])]);
    assert.deepEqual(seen, [[0x45, 1, 2], [0x60, 9]]);
    assert.notDeepEqual([...(kept ?? [])], [0x60, 9], 'views are only valid during the callback');
    assert.equal(tun.write(new Uint8Array([0x45, 0, 0])), true);
    assert.equal(tun.writeBatch(new Uint8Array([1, 2, 3, 4]), new Uint32Array([0, 2]), new Uint32Array([2, 2]), 2), 2);
    assert.deepEqual(tun.written.map((p) => [...p]), [[0x45, 0, 0], [1, 2], [3, 4]]);
    assert.equal(tun.stats.rxPackets, 2);
    assert.equal(tun.stats.txPackets, 3);
    tun.close();
    assert.throws(() => tun.write(new Uint8Array(1)), { code: 'TUN_ERR_CLOSED' });
  });

  test('addon checks slab bounds before any system call', (t) => {
    if (!nativeAvailable()) {
      if (process.env['CI'] === 'true') loadNative();
      return t.skip('native addon not built (npm run build:native)');
    }
    const n = loadNative();
    const slab = new Uint8Array(1000);
    assert.throws(() => n.readBatch(-1, slab, 500, 3, new Uint32Array(3)), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => n.readBatch(-1, slab, 500, 2, new Uint32Array(1)), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => n.readBatch(-1, slab, 0, 1, new Uint32Array(1)), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => n.writeBatch(-1, slab, new Uint32Array([990]), new Uint32Array([20]), 1), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => n.writeBatch(-1, slab, new Uint32Array([0]), new Uint32Array([1]), 2), { code: 'ERR_OUT_OF_RANGE' });
    assert.throws(() => n.readBatch(-1, new Uint16Array(4) as unknown as Uint8Array, 1, 1, new Uint32Array(1)), {
      code: 'ERR_INVALID_ARG_TYPE',
    });
    assert.throws(() => n.readBatch(-1, slab, 10, 1, new Uint32Array(1)), { code: 'EBADF', syscall: 'read' });
    assert.throws(() => n.stopPoll({} as never), { code: 'ERR_INVALID_ARG_TYPE' });
  });

  test('poll + readBatch on a FIFO: readable callback on the main loop, batched reads', async (t) => {
    if (!nativeAvailable()) {
      if (process.env['CI'] === 'true') loadNative();
      return t.skip('native addon not built (npm run build:native)');
    }
    const n = loadNative();
    const dir = mkdtempSync(join(tmpdir(), 'l2tp-fifo-'));
    const path = join(dir, 'fifo');
    execFileSync('mkfifo', [path]);
    // O_RDWR on a FIFO never blocks on open (Linux) and keeps a writer, so no EOF.
    const fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
    try {
      const slab = new Uint8Array(4 * 8);
      const lengths = new Uint32Array(4);
      const got: number[] = [];
      const done = new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no readable callback within 2 s')), 2000);
        const h = n.poll(fd, (status) => {
          assert.equal(status, 0);
          const count = n.readBatch(fd, slab, 8, 4, lengths);
          for (let i = 0; i < count; i++) got.push(lengths[i] ?? 0);
          // A FIFO is a byte stream: 20 bytes arrive as slots of 8, 8, 4.
          if (got.reduce((a, b) => a + b, 0) >= 20) {
            n.stopPoll(h);
            n.stopPoll(h); // idempotent
            clearTimeout(timer);
            resolve();
          }
        });
      });
      writeSync(fd, new Uint8Array(20).fill(7));
      await done;
      assert.deepEqual(got, [8, 8, 4]);
      assert.equal(n.readBatch(fd, slab, 8, 4, lengths), 0, 'EAGAIN ends a batch without error');
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('TUN in a netns: ping produces echo requests; crafted replies make it succeed', async (t) => {
    const reason = privilegedSkipReason();
    if (reason !== undefined) return t.skip(reason);
    const ns = `l2tp-tuntest-${randomBytes(4).toString('hex')}`;
    execFileSync('ip', ['netns', 'add', ns]);
    t.after(() => execFileSync('ip', ['netns', 'del', ns]));
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    const self = fileURLToPath(import.meta.url);
    const nodeArgs = self.endsWith('.ts') ? ['--import', 'tsx', self] : [self];
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        'ip',
        ['netns', 'exec', ns, process.execPath, ...nodeArgs],
        { timeout: 30_000, env: { ...process.env, L2TP_TUNTEST_CHILD: '1' } },
        (err, out, errOut) => (err === null ? resolve(out) : reject(new Error(`child failed: ${err.message}\n${errOut}`))),
      );
    });
    const last = stdout.trim().split('\n').pop() ?? '';
    const r = JSON.parse(last) as ChildResult;
    t.diagnostic(`child: ${last}`);
    assert.match(r.name, /^l2tpt\d+$/);
    assert.notEqual(r.silentPing.code, 0, 'no reply written: ping must fail');
    assert.ok(r.silentPing.requests >= 1, 'the echo request was read via readBatch');
    assert.equal(r.answeredPing.code, 0, `ping with crafted replies must succeed:\n${r.answeredPing.output}`);
    assert.match(r.answeredPing.output, /3 packets transmitted, 3 received/);
    assert.equal(r.answeredPing.requests, 3);
    assert.equal(r.answeredPing.replies, 3);
    assert.equal(r.badWrite.ok, false);
    assert.equal(r.badWrite.txErrors, 1);
    assert.equal(r.badWrite.lastTxErrno, 22, 'EINVAL for a packet that is neither IPv4 nor IPv6');
    assert.ok(r.stats.rxPackets >= 4);
    assert.equal(r.stats.txPackets, 3);
    assert.equal(r.closing.before.length, 12);
    assert.equal(r.closing.reopened, true, 'a name reopened right after close() waits for the old device, no EBUSY');
    assert.deepEqual(r.closing.after, [], 'every device is gone once whenTunsClosed() resolves');

    // Without `ip` the batch delete fails and closing the fds alone removes the devices.
    const ipPath = execFileSync('sh', ['-c', 'command -v ip'], { encoding: 'utf8' }).trim();
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        ipPath,
        ['netns', 'exec', ns, process.execPath, ...nodeArgs],
        { timeout: 30_000, env: { ...process.env, PATH: '/nonexistent', L2TP_TUNTEST_CHILD: 'close-without-ip' } },
        (err, o, errOut) => (err === null ? resolve(o) : reject(new Error(`child failed: ${err.message}\n${errOut}`))),
      );
    });
    const closed = JSON.parse(out.trim().split('\n').pop() ?? '{}') as { before: number; after: string[] };
    assert.equal(closed.before, 8);
    assert.deepEqual(closed.after, []);
  });
}
