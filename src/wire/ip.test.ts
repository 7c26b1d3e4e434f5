import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHex, hex } from '../core/bytes.js';
import {
  clampMss,
  formatIpv4Number,
  internetChecksum,
  ipHeaderError,
  ipTotalLength,
  ipVersion,
  ipv4Destination,
  ipv4HeaderError,
  ipv4HeaderLength,
  ipv4Protocol,
  ipv4Source,
  ipv6HeaderError,
  mssForMtu,
  tcpChecksumOk,
  tcpMss,
} from './ip.js';

// --- an independent reference checksum (RFC 1071, written the slow obvious way) --------------

function refSum(parts: readonly Uint8Array[]): number {
  let sum = 0;
  for (const p of parts) {
    for (let i = 0; i < p.length; i += 2) sum += (p[i]! << 8) + (p[i + 1] ?? 0);
  }
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return sum;
}

function u16be(v: number): Uint8Array {
  return Uint8Array.of(v >>> 8, v & 0xff);
}

/** Builds an IPv4 or IPv6 TCP packet with the checksum filled in by the reference sum. */
function tcpPacket(o: { v6?: boolean; flags: number; options: Uint8Array; payload?: Uint8Array; ext?: Uint8Array }): Uint8Array {
  const payload = o.payload ?? new Uint8Array(0);
  const optLen = Math.ceil(o.options.length / 4) * 4;
  const tcpLen = 20 + optLen + payload.length;
  const tcp = new Uint8Array(tcpLen);
  tcp.set([0xc3, 0x50, 0x00, 0x50, 0x11, 0x22, 0x33, 0x44, 0, 0, 0, 0], 0); // ports 50000 -> 80, seq
  tcp[12] = ((20 + optLen) / 4) << 4;
  tcp[13] = o.flags;
  tcp.set([0xfa, 0xf0], 14); // window
  tcp.set(o.options, 20); // the rest of the option space stays 0 = End of Option List
  tcp.set(payload, 20 + optLen);
  let header: Uint8Array;
  let pseudo: Uint8Array;
  const ext = o.ext ?? new Uint8Array(0);
  if (!o.v6) {
    header = fromHex('45000000 1c460000 4006 0000 0a010203 0a040506');
    header.set(u16be(20 + tcpLen), 2);
    header.set(u16be(~refSum([header]) & 0xffff), 10);
    pseudo = new Uint8Array([...header.subarray(12, 20), 0, 6, ...u16be(tcpLen)]);
  } else {
    header = fromHex('60000000 0000 06 40 20010db8000000000000000000000001 20010db8000000000000000000000002');
    header.set(u16be(ext.length + tcpLen), 4);
    if (ext.length > 0) header[6] = 0; // Hop-by-Hop first; its Next Header says TCP
    pseudo = new Uint8Array([...header.subarray(8, 40), 0, 0, ...u16be(tcpLen), 0, 0, 0, 6]);
  }
  tcp.set(u16be(~refSum([pseudo, tcp]) & 0xffff), 16);
  const out = new Uint8Array(header.length + ext.length + tcp.length);
  out.set(header, 0);
  out.set(ext, header.length);
  out.set(tcp, header.length + ext.length);
  return out;
}

const MSS_1460 = fromHex('020405b4');
const SYN = 0x02;
const SYN_ACK = 0x12;

test('RFC 1071 section 3 example: sum of 00 01 f2 03 f4 f5 f6 f7 is ddf2', () => {
  assert.equal(internetChecksum(fromHex('0001f203f4f5f6f7')), ~0xddf2 & 0xffff);
});

test('IPv4 header checks and fields', () => {
  const p = tcpPacket({ flags: SYN, options: MSS_1460 });
  assert.equal(ipVersion(p), 4);
  assert.equal(ipv4HeaderError(p), undefined);
  assert.equal(ipHeaderError(p), undefined);
  assert.equal(ipv4HeaderLength(p), 20);
  assert.equal(ipv4Protocol(p), 6);
  assert.equal(ipv4Source(p), 0x0a010203);
  assert.equal(ipv4Destination(p), 0x0a040506);
  assert.equal(formatIpv4Number(ipv4Source(p)), '10.1.2.3');
  assert.equal(ipTotalLength(p), p.length);
  assert.equal(internetChecksum(p.subarray(0, 20)), 0, 'header checksum verifies');
  assert.equal(ipv4HeaderError(p.subarray(0, 19)), 'IP_TRUNCATED');
  assert.equal(ipv4HeaderError(p.subarray(0, p.length - 1)), 'IP_BAD_TOTAL_LENGTH');
  const badIhl = p.slice();
  badIhl[0] = 0x44;
  assert.equal(ipv4HeaderError(badIhl), 'IP_BAD_IHL');
  const v6 = p.slice();
  v6[0] = 0x65;
  assert.equal(ipv4HeaderError(v6), 'IP_BAD_VERSION');
  assert.equal(ipHeaderError(new Uint8Array(0)), 'IP_TRUNCATED');
  assert.equal(ipHeaderError(Uint8Array.of(0x10)), 'IP_BAD_VERSION');
  // Trailing bytes after Total Length are allowed (padding); the header still checks.
  const padded = new Uint8Array(p.length + 3);
  padded.set(p);
  assert.equal(ipv4HeaderError(padded), undefined);
  assert.equal(ipTotalLength(padded), p.length);
});

test('IPv6 header checks', () => {
  const p = tcpPacket({ v6: true, flags: SYN, options: MSS_1460 });
  assert.equal(ipVersion(p), 6);
  assert.equal(ipv6HeaderError(p), undefined);
  assert.equal(ipTotalLength(p), p.length);
  assert.equal(ipv6HeaderError(p.subarray(0, 39)), 'IP_TRUNCATED');
  assert.equal(ipv6HeaderError(p.subarray(0, p.length - 1)), 'IP_BAD_TOTAL_LENGTH');
});

test('mssForMtu: MTU - 40 for IPv4, MTU - 60 for IPv6', () => {
  assert.equal(mssForMtu(1450), 1410);
  assert.equal(mssForMtu(1450, 4), 1410);
  assert.equal(mssForMtu(1450, 6), 1390);
  assert.equal(mssForMtu(1280, 6), 1220);
  assert.equal(mssForMtu(10), 0);
});

test('golden: SYN with MSS 1460 clamped to 1410 (IPv4); bytes and checksum by hand', () => {
  const p = tcpPacket({ flags: SYN, options: MSS_1460 });
  assert.equal(tcpChecksumOk(p), true);
  assert.equal(
    hex(p),
    '4500002c1c4600004006' + hex(p.subarray(10, 12)) + '0a0102030a040506' + 'c35000501122334400000000' + '6002faf0' + hex(p.subarray(36, 38)) + '0000' + '020405b4',
  );
  const before = p.slice();
  assert.equal(clampMss(p, 1410), true);
  assert.equal(tcpMss(p), 1410);
  assert.equal(hex(p.subarray(40, 44)), '02040582');
  // RFC 1624: the checksum moves by exactly the change of the word: 0x05b4 -> 0x0582 is -0x32,
  // so the stored (complemented) checksum grows by 0x32 (end-around carry included).
  const oldCk = (before[36]! << 8) | before[37]!;
  let expect = oldCk + 0x32;
  if (expect > 0xffff) expect = (expect & 0xffff) + 1;
  assert.equal((p[36]! << 8) | p[37]!, expect);
  assert.equal(tcpChecksumOk(p), true);
  // Only the MSS value and the checksum changed.
  for (let i = 0; i < p.length; i++) if (i !== 36 && i !== 37 && i !== 42 && i !== 43) assert.equal(p[i], before[i], `byte ${i}`);
});

test('clamping leaves smaller MSS, non-SYN, non-TCP and option-less SYNs alone', () => {
  const small = tcpPacket({ flags: SYN, options: fromHex('02040500') });
  assert.equal(clampMss(small, 1410), false);
  assert.equal(tcpMss(small), 0x500);
  const ack = tcpPacket({ flags: 0x10, options: MSS_1460 });
  assert.equal(clampMss(ack, 1410), false);
  const noOpt = tcpPacket({ flags: SYN, options: new Uint8Array(0) });
  assert.equal(clampMss(noOpt, 1410), false);
  const udp = tcpPacket({ flags: SYN, options: MSS_1460 });
  udp[9] = 17;
  assert.equal(clampMss(udp, 1410), false);
  const frag = tcpPacket({ flags: SYN, options: MSS_1460 });
  frag[7] = 1; // fragment offset 8
  assert.equal(clampMss(frag, 1410), false);
});

test('SYN-ACK with Linux-style options (MSS, SACK-permitted, timestamps, NOP, window scale)', () => {
  const opts = fromHex('020405b4 0402 080a 0001e240 00000000 01 030307');
  const p = tcpPacket({ flags: SYN_ACK, options: opts });
  assert.equal(clampMss(p, 1360), true);
  assert.equal(tcpMss(p), 1360);
  assert.equal(tcpChecksumOk(p), true);
});

test('MSS at an odd offset (after a lone NOP) keeps the checksum valid', () => {
  const p = tcpPacket({ flags: SYN, options: fromHex('01 020405b4 010101') });
  assert.equal(clampMss(p, 1000), true);
  assert.equal(tcpMss(p), 1000);
  assert.equal(tcpChecksumOk(p), true);
});

test('IPv6 SYN, with and without a Hop-by-Hop header', () => {
  const p = tcpPacket({ v6: true, flags: SYN, options: MSS_1460 });
  assert.equal(tcpChecksumOk(p), true);
  assert.equal(clampMss(p, mssForMtu(1450, 6)), true);
  assert.equal(tcpMss(p), 1390);
  assert.equal(tcpChecksumOk(p), true);
  // Hop-by-Hop: Next Header 6 (TCP), Hdr Ext Len 0, PadN of 4 bytes.
  const hbh = fromHex('0600 0104 00000000');
  const q = tcpPacket({ v6: true, flags: SYN, options: MSS_1460, ext: hbh });
  assert.equal(tcpChecksumOk(q), true);
  assert.equal(clampMss(q, 1390), true);
  assert.equal(tcpMss(q), 1390);
  assert.equal(tcpChecksumOk(q), true);
});

// --- properties ------------------------------------------------------------------------------

const optionArb = fc.oneof(
  fc.constant(Uint8Array.of(1)), // NOP
  fc.constant(fromHex('0402')), // SACK permitted
  fc.integer({ min: 0, max: 14 }).map((s) => Uint8Array.of(3, 3, s)), // window scale
  fc.uint8Array({ minLength: 8, maxLength: 8 }).map((t) => Uint8Array.of(8, 10, ...t)), // timestamps
);

const synArb = fc.record({
  v6: fc.boolean(),
  ack: fc.boolean(),
  mss: fc.integer({ min: 0, max: 0xffff }),
  before: fc.array(optionArb, { maxLength: 3 }),
  after: fc.array(optionArb, { maxLength: 2 }),
  payload: fc.uint8Array({ maxLength: 64 }),
  maxMss: fc.integer({ min: 0, max: 0xffff }),
});

test('property: after clamping the TCP checksum still verifies (full recomputation)', () => {
  fc.assert(
    fc.property(synArb, (s) => {
      const parts = [...s.before, Uint8Array.of(2, 4, s.mss >>> 8, s.mss & 0xff), ...s.after];
      const options = new Uint8Array(parts.reduce((n, x) => n + x.length, 0));
      let o = 0;
      for (const x of parts) {
        options.set(x, o);
        o += x.length;
      }
      if (options.length > 40) return; // TCP option space is 40 bytes
      const p = tcpPacket({ v6: s.v6, flags: s.ack ? SYN_ACK : SYN, options, payload: s.payload });
      assert.equal(tcpChecksumOk(p), true);
      const before = p.slice();
      const changed = clampMss(p, s.maxMss);
      assert.equal(changed, s.mss > s.maxMss);
      assert.equal(tcpMss(p), Math.min(s.mss, s.maxMss));
      assert.equal(tcpChecksumOk(p), true);
      let diffs = 0;
      for (let i = 0; i < p.length; i++) if (p[i] !== before[i]) diffs++;
      assert.ok(diffs <= 4);
    }),
    { numRuns: 2000 },
  );
});

test('property: never throws on garbage; false means untouched', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 120 }), fc.integer({ min: 0, max: 0xffff }), (bytes, max) => {
      const copy = bytes.slice();
      ipHeaderError(bytes);
      ipTotalLength(bytes);
      ipv4Source(bytes);
      tcpMss(bytes);
      tcpChecksumOk(bytes);
      if (!clampMss(bytes, max)) assert.deepEqual(bytes, copy);
    }),
    { numRuns: 5000 },
  );
});

test('property: mutated SYNs (flipped bytes, truncation) never throw', () => {
  const base = [
    tcpPacket({ flags: SYN, options: fromHex('020405b4 0402 080a 0001e240 00000000 01 030307') }),
    tcpPacket({ v6: true, flags: SYN, options: MSS_1460, ext: fromHex('0600 0104 00000000') }),
  ];
  fc.assert(
    fc.property(
      fc.constantFrom(...base),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
      fc.nat(),
      (b, flips, cut) => {
        const p = b.slice(0, b.length - (cut % 8));
        for (const [at, v] of flips) p[at % p.length] = v;
        clampMss(p, 1000);
        tcpChecksumOk(p);
      },
    ),
    { numRuns: 3000 },
  );
});
