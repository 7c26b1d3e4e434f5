import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fromHex, hex } from '../core/bytes.js';
import { decodeHeader } from '../wire/l2tp/header.js';
import { tcpChecksumOk, tcpMss } from '../wire/ip.js';
import { DataPath, ENCAPSULATION_OVERHEAD, type DataRateLimiter, type DataRoute } from './datapath.js';

const ROUTE: DataRoute = { peer: { ip: '192.0.2.1', port: 1701 }, via: 0, peerTunnelId: 0x1234, peerSessionId: 0x5678, mtu: 1450, mss: undefined };

/** ICMP echo request 10.0.0.1 -> 10.0.0.2, 28 bytes (IPv4 header checksum computed by hand). */
const ICMP4 = fromHex('45 00 00 1c 00 01 00 00 40 01 66 de 0a 00 00 01 0a 00 00 02 08 00 f7 ff 00 00 00 00');
/** IPv6 header only (Next Header 59 = no next header), 2001:db8::1 -> 2001:db8::2. */
const NONE6 = fromHex('60000000 0000 3b 40 20010db8000000000000000000000001 20010db8000000000000000000000002');

/** IPv4 TCP SYN 10.1.2.3:50000 -> 10.4.5.6:80, MSS 1460, checksums by hand (see wire/ip.test.ts). */
function syn4(): Uint8Array {
  // IP header checksum 0x4379 and TCP checksum 0x7a21 computed by hand (RFC 1071), pinned as bytes.
  return fromHex('4500002c1c4600004006 4379 0a010203 0a040506 c3500050 11223344 00000000 6002faf0 7a21 0000 020405b4');
}

test('golden: IPv4 packet encapsulated with L bit, FF 03, protocol 0x0021', () => {
  const dp = new DataPath();
  dp.register(7, ROUTE);
  const out = new Uint8Array(2048);
  const n = dp.encapsulate(7, ICMP4, out, 1000);
  assert.equal(n, 40);
  assert.equal(hex(out.subarray(0, n)), '40020028' + '12345678' + 'ff030021' + hex(ICMP4));
  // The header codec reads it back.
  const h = decodeHeader(out.subarray(0, n));
  assert.ok(h.ok);
  assert.equal(h.header.isControl, false);
  assert.equal(h.header.hasLength, true);
  assert.equal(h.header.hasSequence, false);
  assert.equal(h.header.tunnelId, 0x1234);
  assert.equal(h.header.sessionId, 0x5678);
  assert.equal(h.header.payloadOffset, 8);
  const c = dp.counters(7)!;
  assert.equal(c.txPackets, 1);
  assert.equal(c.txBytes, 28);
  assert.equal(c.lastActivity, 1000);
});

test('golden: IPv6 packet gets protocol 0x0057', () => {
  const dp = new DataPath();
  dp.register(1, ROUTE);
  const out = new Uint8Array(100);
  const n = dp.encapsulate(1, NONE6, out, 0);
  assert.equal(hex(out.subarray(0, n)), '40020034' + '12345678' + 'ff030057' + hex(NONE6));
});

test('encapsulateInPlace writes the headers into the headroom', () => {
  const dp = new DataPath();
  dp.register(1, ROUTE);
  const buf = new Uint8Array(64);
  buf.set(ICMP4, 16);
  const start = dp.encapsulateInPlace(1, buf, 16, ICMP4.length, 5);
  assert.equal(start, 16 - ENCAPSULATION_OVERHEAD);
  assert.equal(hex(buf.subarray(start, 16 + ICMP4.length)), '40020028' + '12345678' + 'ff030021' + hex(ICMP4));
  assert.equal(dp.encapsulateInPlace(1, buf, 11, 20, 5), -1, 'no headroom');
  assert.equal(dp.counters(1)!.txDrops, 1);
  assert.equal(dp.counters(1)!.lastDrop, 'no-room');
});

test('oversize, non-IP, short buffer and unknown session are dropped and counted', () => {
  const dp = new DataPath();
  dp.register(1, { ...ROUTE, mtu: 27 });
  const out = new Uint8Array(2048);
  assert.equal(dp.encapsulate(1, ICMP4, out, 0), 0);
  assert.equal(dp.counters(1)!.lastDrop, 'oversize');
  dp.register(1, ROUTE);
  assert.equal(dp.encapsulate(1, fromHex('1234'), out, 0), 0);
  assert.equal(dp.counters(1)!.lastDrop, 'not-ip');
  assert.equal(dp.encapsulate(1, new Uint8Array(0), out, 0), 0);
  assert.equal(dp.encapsulate(1, ICMP4, new Uint8Array(39), 0), 0);
  assert.equal(dp.counters(1)!.lastDrop, 'no-room');
  assert.equal(dp.counters(1)!.txDrops, 4);
  assert.equal(dp.counters(1)!.txPackets, 0);
  assert.equal(dp.encapsulate(99, ICMP4, out, 0), 0);
  assert.equal(dp.totals.unknownSessionTx, 1);
});

test('register again replaces the route and keeps counters; unregister returns the final counters', () => {
  const dp = new DataPath();
  dp.register(1, ROUTE);
  const out = new Uint8Array(100);
  dp.encapsulate(1, ICMP4, out, 0);
  dp.register(1, { ...ROUTE, peerTunnelId: 0xaaaa, peerSessionId: 0xbbbb });
  const n = dp.encapsulate(1, ICMP4, out, 0);
  assert.equal(hex(out.subarray(4, 8)), 'aaaabbbb');
  assert.equal(n, 40);
  assert.equal(dp.route(1)!.peerTunnelId, 0xaaaa);
  const final = dp.unregister(1)!;
  assert.equal(final.txPackets, 2);
  assert.equal(dp.has(1), false);
  assert.equal(dp.unregister(1), undefined);
});

test('decapsulate accepts FF 03 present or absent, 1- or 2-octet protocol', () => {
  const dp = new DataPath();
  dp.register(1, ROUTE);
  for (const prefix of ['ff030021', 'ff0321', '0021', '21']) {
    const frame = fromHex(prefix + hex(ICMP4));
    const r = dp.decapsulate(1, frame, 42);
    assert.equal(r.kind, 'ipv4', prefix);
    if (r.kind !== 'ipv4') continue;
    assert.equal(hex(r.packet), hex(ICMP4));
    assert.equal(r.offset, prefix.length / 2);
    assert.equal(r.length, ICMP4.length);
    // A view, not a copy.
    assert.equal(r.packet.buffer, frame.buffer);
  }
  const r6 = dp.decapsulate(1, fromHex('ff030057' + hex(NONE6)), 43);
  assert.equal(r6.kind, 'ipv6');
  const c = dp.counters(1)!;
  assert.equal(c.rxPackets, 5);
  assert.equal(c.rxBytes, 4 * 28 + 40);
  assert.equal(c.lastRx, 43);
  assert.equal(c.lastActivity, 43);
});

test('decapsulate trims padding after the IP Total Length', () => {
  const dp = new DataPath();
  dp.register(1, ROUTE);
  const r = dp.decapsulate(1, fromHex('ff030021' + hex(ICMP4) + '000000'), 0);
  assert.equal(r.kind, 'ipv4');
  if (r.kind === 'ipv4') assert.equal(r.packet.length, 28);
});

test('control protocols go to the PPP link, with keepalive time noted', () => {
  const dp = new DataPath();
  dp.register(1, ROUTE);
  const cases: Array<[string, number]> = [
    ['ff03c021 09 01 0008 00000000', 0xc021], // LCP Echo-Request
    ['c0230102000600', 0xc023], // PAP without FF 03
    ['ff038021 01010004', 0x8021], // IPCP
    ['ff0380fd 01010004', 0x80fd], // CCP
    ['ff0300fd 0001 aabbcc', 0x00fd], // MPPE compressed datagram
    ['fd 0001 aabbcc', 0xfd], // the same with PFC
    ['ff038057 01010004', 0x8057], // IPV6CP
    ['ff030031 0000', 0x0031], // BCP data: the link Protocol-Rejects it
  ];
  for (const [bytes, protocol] of cases) {
    const r = dp.decapsulate(1, fromHex(bytes), 77);
    assert.deepEqual({ ...r }, { kind: 'control', protocol }, bytes);
  }
  assert.equal(dp.counters(1)!.rxControl, cases.length);
  assert.equal(dp.counters(1)!.lastRx, 77);
  assert.equal(dp.counters(1)!.lastActivity, undefined, 'control traffic is not activity for idle-time');
  // Control frames of a session not (yet) registered still reach the link.
  assert.equal(dp.decapsulate(2, fromHex('ff03c021 01 01 0004'), 0).kind, 'control');
});

test('bad frames, bad IP headers and unknown sessions are dropped with a reason', () => {
  const dp = new DataPath();
  dp.register(1, ROUTE);
  const drops: Array<[string, string]> = [
    ['', 'bad-frame'],
    ['ff', 'bad-frame'],
    ['ff04', 'bad-frame'],
    ['ff03', 'bad-frame'],
    ['ff0300', 'bad-frame'],
    ['ff030021', 'bad-ip-header'],
    ['ff030021' + hex(ICMP4.subarray(0, 27)), 'bad-ip-header'],
    ['ff030021' + hex(NONE6), 'bad-ip-header'], // IPv6 bytes under the IPv4 protocol
    ['ff030057' + hex(ICMP4), 'bad-ip-header'],
  ];
  for (const [bytes, reason] of drops) {
    const r = dp.decapsulate(1, fromHex(bytes), 0);
    assert.deepEqual({ ...r }, { kind: 'drop', reason }, bytes);
  }
  assert.equal(dp.counters(1)!.rxDrops, drops.length);
  assert.equal(dp.decapsulate(9, fromHex('ff030021' + hex(ICMP4)), 0).kind, 'drop');
  assert.equal(dp.totals.unknownSessionRx, 1);
});

test('MSS clamping in both directions when the route has mss', () => {
  const dp = new DataPath();
  dp.register(1, { ...ROUTE, mss: 1410 });
  const syn = syn4();
  assert.equal(tcpChecksumOk(syn), true);
  const out = new Uint8Array(2048);
  const n = dp.encapsulate(1, syn, out, 0);
  const sent = out.subarray(ENCAPSULATION_OVERHEAD, n);
  assert.equal(tcpMss(sent), 1410);
  assert.equal(tcpChecksumOk(sent), true);
  const frame = fromHex('ff030021' + hex(syn4()));
  const r = dp.decapsulate(1, frame, 0);
  assert.equal(r.kind, 'ipv4');
  if (r.kind === 'ipv4') {
    assert.equal(tcpMss(r.packet), 1410);
    assert.equal(tcpChecksumOk(r.packet), true);
  }
  assert.equal(dp.counters(1)!.mssClamped, 2);
  // Without mss nothing is touched.
  const dp2 = new DataPath();
  dp2.register(1, ROUTE);
  const n2 = dp2.encapsulate(1, syn4(), out, 0);
  assert.equal(tcpMss(out.subarray(ENCAPSULATION_OVERHEAD, n2)), 1460);
});

test('rate limiter hook: refused packets are dropped and counted per direction', () => {
  const dp = new DataPath();
  dp.register(1, ROUTE);
  let budget = 1;
  const limiter: DataRateLimiter = { admit: (_now, bytes) => (budget -= bytes > 0 ? 1 : 0) >= 0 };
  assert.equal(dp.setRateLimiters(1, { tx: limiter, rx: limiter }), true);
  const out = new Uint8Array(100);
  assert.equal(dp.encapsulate(1, ICMP4, out, 0), 40);
  assert.equal(dp.encapsulate(1, ICMP4, out, 0), 0);
  assert.equal(dp.counters(1)!.lastDrop, 'rate-limit');
  assert.equal(dp.decapsulate(1, fromHex('ff030021' + hex(ICMP4)), 0).kind, 'drop');
  dp.setRateLimiters(1, {});
  assert.equal(dp.decapsulate(1, fromHex('ff030021' + hex(ICMP4)), 0).kind, 'ipv4');
  assert.equal(dp.setRateLimiters(5, {}), false);
});

test('property: encapsulate then strip the L2TP header then decapsulate gives the packet back', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 1400 }), fc.boolean(), (body, v6) => {
      const dp = new DataPath();
      dp.register(3, ROUTE);
      const pkt = new Uint8Array((v6 ? 40 : 20) + body.length);
      if (v6) {
        pkt.set(NONE6);
        pkt[4] = body.length >>> 8;
        pkt[5] = body.length & 0xff;
        pkt.set(body, 40);
      } else {
        pkt.set(ICMP4.subarray(0, 20));
        pkt[9] = 17; // UDP: no MSS clamping question
        pkt[2] = pkt.length >>> 8;
        pkt[3] = pkt.length & 0xff;
        pkt.set(body, 20);
      }
      const out = new Uint8Array(2048);
      const n = dp.encapsulate(3, pkt, out, 0);
      if (pkt.length > ROUTE.mtu) {
        assert.equal(n, 0);
        return;
      }
      const h = decodeHeader(out.subarray(0, n));
      assert.ok(h.ok);
      const r = dp.decapsulate(3, out.subarray(h.header.payloadOffset, h.header.payloadEnd), 0);
      assert.equal(r.kind, v6 ? 'ipv6' : 'ipv4');
      if (r.kind === 'ipv4' || r.kind === 'ipv6') assert.equal(hex(r.packet), hex(pkt));
    }),
    { numRuns: 300 },
  );
});

test('property: decapsulate never throws on garbage', () => {
  const dp = new DataPath();
  dp.register(1, { ...ROUTE, mss: 1000 });
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, known) => {
      const r = dp.decapsulate(known ? 1 : 2, bytes, 0);
      assert.ok(['ipv4', 'ipv6', 'control', 'drop'].includes(r.kind));
    }),
    { numRuns: 5000 },
  );
});
