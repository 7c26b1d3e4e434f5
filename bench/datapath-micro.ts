/**
 * Micro-benchmark of the I/O-free data path (src/services/datapath.ts): encapsulate a 1400-byte
 * IPv4 packet into an L2TP data message, strip the L2TP header with the zero-copy header codec,
 * and decapsulate it again, in a tight loop. Reports ns per packet (one encapsulate + one
 * decode + one decapsulate) and packets/s per core, for plain packets and for TCP SYNs (the MSS
 * clamp path), plus the heap growth per packet as a sign of per-packet allocation.
 *
 * Run: node --import tsx bench/datapath-micro.ts [seconds per case, default 2]
 * Bounded: each case runs for a fixed time, checked every 1024 packets.
 */
import { performance } from 'node:perf_hooks';
import { DataPath } from '../src/services/datapath.js';
import { decodeHeaderInto, emptyHeader } from '../src/wire/l2tp/header.js';

const seconds = Number(process.argv[2] ?? '2');
const PACKET = 1400;

function ipv4Packet(len: number, tcpSyn: boolean): Uint8Array {
  const p = new Uint8Array(len);
  p.set([0x45, 0, len >>> 8, len & 0xff, 0, 1, 0, 0, 64, tcpSyn ? 6 : 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
  if (tcpSyn) {
    p[32] = 0x60; // data offset 6 words
    p[33] = 0x02; // SYN
    p.set([2, 4, 0x05, 0xb4], 40); // MSS 1460
  }
  return p;
}

interface CaseResult {
  name: string;
  packets: number;
  nsPerPacket: number;
  packetsPerSecond: number;
  heapBytesPerPacket: number;
}

function runCase(name: string, packet: Uint8Array, mss: number | undefined): CaseResult {
  const dp = new DataPath();
  dp.register(1, { peer: { ip: '127.0.0.1', port: 1701 }, via: 0, peerTunnelId: 1, peerSessionId: 1, mtu: 1450, mss });
  const out = new Uint8Array(2048);
  const work = packet.slice();
  let sink = 0;
  const header = emptyHeader();
  const one = (now: number): void => {
    if (mss !== undefined) work[42] = 0x05; // undo the clamp so every packet takes the clamp path
    const n = dp.encapsulate(1, work, out, now);
    if (decodeHeaderInto(out.subarray(0, n), header) !== undefined) throw new Error('bench: header did not decode');
    const r = dp.decapsulate(1, out.subarray(header.payloadOffset, header.payloadEnd), now);
    if (r.kind !== 'ipv4') throw new Error(`bench: got ${r.kind}`);
    sink += r.length;
  };
  // Warm up so the JIT has optimized the path.
  for (let i = 0; i < 200_000; i++) one(0);
  globalThis.gc?.();
  const heap0 = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  let packets = 0;
  let now = 0;
  while (performance.now() < deadline) {
    for (let i = 0; i < 1024; i++) one(now);
    packets += 1024;
    now++;
  }
  const elapsed = performance.now() - t0;
  const heap1 = process.memoryUsage().heapUsed;
  if (sink === 0) throw new Error('bench: nothing moved');
  return {
    name,
    packets,
    nsPerPacket: (elapsed * 1e6) / packets,
    packetsPerSecond: Math.round((packets / elapsed) * 1000),
    heapBytesPerPacket: Math.max(0, heap1 - heap0) / packets,
  };
}

const results = [
  runCase(`UDP ${PACKET} B, no clamp`, ipv4Packet(PACKET, false), undefined),
  runCase(`UDP ${PACKET} B, clamp on`, ipv4Packet(PACKET, false), 1410),
  runCase(`TCP SYN ${PACKET} B, clamped`, ipv4Packet(PACKET, true), 1410),
];
console.log(`node ${process.version}, ${seconds} s per case; one packet = encapsulate + header decode + decapsulate`);
console.log('case                          ns/packet   packets/s   heap B/packet (GC-noisy)');
for (const r of results) {
  console.log(`${r.name.padEnd(30)}${r.nsPerPacket.toFixed(1).padStart(9)}${r.packetsPerSecond.toLocaleString('en-US').padStart(12)}${r.heapBytesPerPacket.toFixed(2).padStart(12)}`);
}
