/**
 * A static L2TP data-plane forwarder for the benchmark: one TUN device, one UDP socket, one
 * `DataPath` session with fixed tunnel/session ids, and NO control plane (no SCCRQ, no PPP
 * negotiation). It measures what the data-path building blocks (src/services/datapath.ts,
 * src/platform/tun.ts batched I/O, node:dgram) can carry in one Node process, as a ceiling for
 * the real daemon, which adds the control plane around the same blocks. The benchmark labels its
 * rows as such; it is never reported as "ours".
 *
 * Usage (inside a namespace, as root):
 *   node --import tsx bench/forwarder-node.ts <tun-name> <local-ip> <peer-ip> <local-tunnel-id>
 *     <local-session-id> <peer-tunnel-id> <peer-session-id> [mtu]
 * Prints `{"ev":"ready"}` once the TUN exists (the parent then sets its address); on SIGTERM
 * prints `{"ev":"stats",...}` and exits.
 *
 * Wire format: exactly what `DataPath.encapsulate` sends (L bit, FF 03, 0x0021/0x0057), on UDP
 * port 1701 both ends.
 */
import { createSocket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { DataPath } from '../src/services/datapath.js';
import { decodeHeaderInto, emptyHeader } from '../src/wire/l2tp/header.js';
import { mssForMtu } from '../src/wire/ip.js';
import { openTun } from '../src/platform/tun.js';

const [tunName, localIp, peerIp, lt, ls, pt, ps, mtuArg] = process.argv.slice(2);
if (tunName === undefined || localIp === undefined || peerIp === undefined || lt === undefined || ls === undefined || pt === undefined || ps === undefined) {
  console.error('usage: forwarder-node.ts <tun> <local-ip> <peer-ip> <local-tunnel> <local-session> <peer-tunnel> <peer-session> [mtu]');
  process.exit(2);
}
const L2TP_PORT = 1701;
const mtu = Number(mtuArg ?? '1450');
const localTunnel = Number(lt);
const localSession = Number(ls);
const KEY = 1;

const dp = new DataPath();
dp.register(KEY, {
  peer: { ip: peerIp, port: L2TP_PORT },
  via: 0,
  peerTunnelId: Number(pt),
  peerSessionId: Number(ps),
  mtu,
  mss: mssForMtu(mtu),
});

const tun = await openTun({ name: tunName, mtu });
const sock = createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
await new Promise<void>((resolve, reject) => {
  sock.once('error', reject);
  sock.bind(L2TP_PORT, localIp, () => {
    sock.off('error', reject);
    resolve();
  });
});
await new Promise<void>((resolve) => sock.connect(L2TP_PORT, peerIp, () => resolve()));
sock.on('error', () => undefined); // UDP is unreliable: ECONNREFUSED before the peer binds, etc.

let sendErrors = 0;
let wrongSession = 0;
let tunWriteDrops = 0;
// dgram.send may complete asynchronously: each in-flight datagram needs its own buffer. A ring
// larger than one event-loop turn's reads (8 batches of 64) is never overrun in practice.
const RING = 2048;
const ring = Array.from({ length: RING }, () => new Uint8Array(mtu + 64));
let slot = 0;
const onSent = (err: Error | null): void => {
  if (err) sendErrors++;
};

tun.onPackets((slab, offsets, lengths, count) => {
  const now = performance.now();
  for (let i = 0; i < count; i++) {
    const off = offsets[i]!;
    const out = ring[slot]!;
    slot = (slot + 1) % RING;
    const n = dp.encapsulate(KEY, slab.subarray(off, off + lengths[i]!), out, now);
    if (n > 0) sock.send(out.subarray(0, n), onSent);
  }
});

const header = emptyHeader();
sock.on('message', (msg: Buffer) => {
  if (decodeHeaderInto(msg, header) !== undefined || header.isControl) return;
  if (header.tunnelId !== localTunnel || header.sessionId !== localSession) {
    wrongSession++;
    return;
  }
  const r = dp.decapsulate(KEY, msg.subarray(header.payloadOffset, header.payloadEnd), performance.now());
  if (r.kind === 'ipv4' || r.kind === 'ipv6') {
    if (!tun.write(r.packet)) tunWriteDrops++;
  }
});

process.stdout.write(JSON.stringify({ ev: 'ready', tun: tun.name }) + '\n');

function shutdown(): void {
  process.stdout.write(JSON.stringify({ ev: 'stats', counters: dp.counters(KEY), tun: tun.stats, sendErrors, wrongSession, tunWriteDrops }) + '\n');
  tun.close();
  sock.close();
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
