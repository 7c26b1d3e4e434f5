import { test } from 'node:test';
import assert from 'node:assert/strict';
import { internetChecksum, tcpChecksumOk } from './ip.js';
import { TcpCoalescer, VNET_HDR_LENGTH } from './tcp-coalesce.js';

/** An IPv4/TCP segment with valid checksums. */
function segment(opts: { seq: number; payload: number; flags?: number; src?: number; dport?: number; ts?: number; fill?: number }): Uint8Array {
  const tcpLen = 32; // 20 + 12 octets of options (NOP NOP timestamps)
  const p = new Uint8Array(20 + tcpLen + opts.payload);
  p[0] = 0x45;
  p[2] = p.length >> 8;
  p[3] = p.length & 0xff;
  p[4] = 0x12;
  p[6] = 0x40; // DF
  p[8] = 64;
  p[9] = 6;
  p.set([10, 0, 0, opts.src ?? 1], 12);
  p.set([10, 0, 0, 2], 16);
  const t = 20;
  p.set([0x9c, 0x40, (opts.dport ?? 5201) >> 8, (opts.dport ?? 5201) & 0xff], t);
  new DataView(p.buffer).setUint32(t + 4, opts.seq >>> 0);
  new DataView(p.buffer).setUint32(t + 8, 777);
  p[t + 12] = (tcpLen / 4) << 4;
  p[t + 13] = opts.flags ?? 0x10;
  p[t + 14] = 0x01;
  p[t + 15] = 0xf5;
  p.set([1, 1, 8, 10, 0, 0, 0, opts.ts ?? 5, 0, 0, 0, 9], t + 20);
  for (let k = 0; k < opts.payload; k++) p[t + tcpLen + k] = (opts.fill ?? 0) + k;
  const ipSum = internetChecksum(p.subarray(0, 20));
  p[10] = ipSum >> 8;
  p[11] = ipSum & 0xff;
  // TCP checksum over the pseudo-header and the segment.
  const pseudo = new Uint8Array(12 + tcpLen + opts.payload);
  pseudo.set(p.subarray(12, 20), 0);
  pseudo[9] = 6;
  pseudo[10] = (tcpLen + opts.payload) >> 8;
  pseudo[11] = (tcpLen + opts.payload) & 0xff;
  pseudo.set(p.subarray(20), 12);
  const tcpSum = internetChecksum(pseudo);
  p[t + 16] = tcpSum >> 8;
  p[t + 17] = tcpSum & 0xff;
  assert.equal(tcpChecksumOk(p), true);
  return p;
}

/** What the kernel does with a GSO_TCPV4 + NEEDS_CSUM frame when it forwards it: the segments. */
function resegment(frame: Uint8Array): Uint8Array[] {
  const dv = new DataView(frame.buffer, frame.byteOffset);
  const gsoSize = dv.getUint16(4, true);
  const hdrLen = dv.getUint16(2, true);
  const ip = frame.subarray(VNET_HDR_LENGTH);
  const payload = ip.subarray(hdrLen);
  const out: Uint8Array[] = [];
  const seq0 = new DataView(ip.buffer, ip.byteOffset).getUint32(24);
  for (let off = 0; off < payload.length; off += gsoSize) {
    const chunk = payload.subarray(off, Math.min(payload.length, off + gsoSize));
    const s = new Uint8Array(hdrLen + chunk.length);
    s.set(ip.subarray(0, hdrLen), 0);
    s.set(chunk, hdrLen);
    s[2] = s.length >> 8;
    s[3] = s.length & 0xff;
    new DataView(s.buffer).setUint32(24, (seq0 + off) >>> 0);
    if (off + gsoSize < payload.length) s[33] = s[33]! & ~0x08; // PSH only on the last
    s[10] = 0;
    s[11] = 0;
    const ipSum = internetChecksum(s.subarray(0, 20));
    s[10] = ipSum >> 8;
    s[11] = ipSum & 0xff;
    // The partial checksum in the field is fold(pseudo(total length)); per segment the kernel
    // replaces the length and completes the sum over the segment.
    const partial = (ip[36]! << 8) | ip[37]!;
    const totalTcp = ip.length - 20;
    const segTcp = s.length - 20;
    let sum = partial + (~totalTcp & 0xffff) + segTcp;
    s[36] = 0;
    s[37] = 0;
    for (let k = 20; k + 1 < s.length; k += 2) sum += (s[k]! << 8) | s[k + 1]!;
    if ((s.length - 20) % 2 === 1) sum += s[s.length - 1]! << 8;
    while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
    const c = ~sum & 0xffff;
    s[36] = c >> 8;
    s[37] = c & 0xff;
    out.push(s);
  }
  return out;
}

test('consecutive segments of one flow become one GSO frame; the kernel cuts it back into the same segments', () => {
  const c = new TcpCoalescer();
  const frames: Uint8Array[] = [];
  const write = (f: Uint8Array): void => void frames.push(f.slice());
  const segs = [0, 1, 2, 3].map((k) => segment({ seq: 1000 + k * 1360, payload: k === 3 ? 500 : 1360, fill: k, flags: k === 3 ? 0x18 : 0x10 }));
  for (const s of segs) c.push(s, write);
  assert.equal(frames.length, 0, 'held until the batch ends');
  c.finish();
  assert.equal(frames.length, 1);
  const f = frames[0]!;
  const dv = new DataView(f.buffer);
  assert.deepEqual([f[0], f[1], dv.getUint16(2, true), dv.getUint16(4, true), dv.getUint16(6, true), dv.getUint16(8, true)], [1, 1, 52, 1360, 20, 16]);
  const ip = f.subarray(VNET_HDR_LENGTH);
  assert.equal((ip[2]! << 8) | ip[3]!, 52 + 3 * 1360 + 500);
  assert.equal(internetChecksum(ip.subarray(0, 20)), 0, 'IP header checksum valid');
  assert.equal(ip[33]! & 0x08, 0x08, 'PSH of the last segment kept');
  const back = resegment(f);
  assert.equal(back.length, 4);
  for (let k = 0; k < 4; k++) {
    assert.equal(tcpChecksumOk(back[k]!), true, `segment ${k} checksum`);
    assert.deepEqual([...back[k]!.subarray(20)], [...segs[k]!.subarray(20)], `segment ${k} TCP bytes`);
  }
  assert.deepEqual(c.stats, { packets: 4, frames: 1, merged: 4 });
});

test('what does not merge goes out alone, unchanged, in order: other flow, gap, changed timestamp, after PSH or a short segment, non-TCP', () => {
  const c = new TcpCoalescer();
  const frames: Uint8Array[] = [];
  const write = (f: Uint8Array): void => void frames.push(f.slice());
  const a0 = segment({ seq: 0, payload: 1000 });
  const b0 = segment({ seq: 0, payload: 1000, dport: 9 }); // other flow
  const a1gap = segment({ seq: 5000, payload: 1000 }); // not the next sequence number
  const a2ts = segment({ seq: 6000, payload: 1000, ts: 6 }); // options differ from a1gap's
  const a3short = segment({ seq: 7000, payload: 10, ts: 6 }); // short: joins a2ts, ends it
  const a4 = segment({ seq: 7010, payload: 1000, ts: 6 }); // after a short segment: new train
  const udp = Uint8Array.of(0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 0, 1, 0, 2, 0, 8, 0, 0);
  for (const p of [a0, b0, a1gap, a2ts, a3short, a4, udp]) c.push(p, write);
  c.finish();
  const plain = (f: Uint8Array): boolean => f.subarray(0, VNET_HDR_LENGTH).every((b) => b === 0);
  assert.equal(frames.length, 6);
  assert.ok(plain(frames[0]!) && plain(frames[1]!) && plain(frames[2]!) && plain(frames[4]!) && plain(frames[5]!));
  assert.deepEqual([...frames[0]!.subarray(VNET_HDR_LENGTH)], [...a0]);
  assert.deepEqual([...frames[1]!.subarray(VNET_HDR_LENGTH)], [...b0]);
  assert.deepEqual([...frames[2]!.subarray(VNET_HDR_LENGTH)], [...a1gap]);
  assert.equal(frames[3]![1], 1, 'a2ts + a3short: one GSO frame');
  assert.equal(resegment(frames[3]!).length, 2);
  assert.deepEqual([...frames[4]!.subarray(VNET_HDR_LENGTH)], [...a4]);
  assert.deepEqual([...frames[5]!.subarray(VNET_HDR_LENGTH)], [...udp]);
});

test('a train stops below 65535 octets of IP', () => {
  const c = new TcpCoalescer();
  const frames: Uint8Array[] = [];
  const write = (f: Uint8Array): void => void frames.push(f.slice());
  for (let k = 0; k < 60; k++) c.push(segment({ seq: k * 1400, payload: 1400 }), write);
  c.finish();
  assert.ok(frames.length >= 2);
  for (const f of frames) assert.ok(f.length - VNET_HDR_LENGTH <= 65535);
  assert.equal(frames.map((f) => resegment(f).length).reduce((x, y) => x + y, 0), 60);
});
