/**
 * Rate limits: the token bucket (policing, rx), the shaper (bounded FIFO ring, tx), changing
 * rates in place (CoA), and the data path's shaping hook (queued packets leave at
 * `nextShapedRelease()` through `releaseShaped`, counted then). Virtual time only.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { decodeHeader } from '../wire/l2tp/header.js';
import { parseRateLimit } from '../aaa/policy.js';
import { DataPath, ENCAPSULATION_OVERHEAD, type DataRoute } from './datapath.js';
import { applyRateLimit, Shaper, SHAPER_QUEUE_PACKETS, TokenBucket } from './rate-limit.js';

const ROUTE: DataRoute = { peer: { ip: '192.0.2.1', port: 1701 }, via: 0, peerTunnelId: 0x1234, peerSessionId: 0x5678, mtu: 1450, mss: undefined };

/** An IPv4 packet of `length` bytes whose Identification field carries `id` (to check order). */
function ipv4(length: number, id = 0): Uint8Array {
  const p = new Uint8Array(length);
  p[0] = 0x45;
  p[2] = length >>> 8;
  p[3] = length & 0xff;
  p[4] = id >>> 8;
  p[5] = id & 0xff;
  p[8] = 64;
  p[9] = 17;
  return p;
}

test('TokenBucket polices: a full bucket (100 ms, at least 3000 bytes), then the rate', () => {
  const b = new TokenBucket({ rate: 8000 }); // 1 byte per ms
  assert.equal(b.admit(0, 3000), true);
  assert.equal(b.admit(0, 1), false);
  assert.equal(b.admit(100, 100), true);
  assert.equal(b.admit(100, 1), false);
  assert.equal(b.dropped, 2);
  assert.equal(new TokenBucket({ rate: 0 }).admit(0, 1e9), true, '0 = unlimited');
});

test('TokenBucket.configure changes the rate at once, keeping tokens clipped to the new bucket', () => {
  const b = new TokenBucket({ rate: 8_000_000 }); // 1000 bytes/ms, bucket 100_000
  assert.equal(b.admit(0, 50_000), true);
  b.configure({ rate: 80_000 }); // 10 bytes/ms, bucket 3000: 50_000 in hand clipped to 3000
  assert.equal(b.admit(0, 3000), true);
  assert.equal(b.admit(0, 1), false);
  assert.equal(b.admit(10, 100), true, 'refilled at the new rate');
});

test('TokenBucket bursts: the burst rate while the average is under the threshold, then the base rate', () => {
  // 80 kbit/s base (10 B/ms), 800 kbit/s burst (100 B/ms), threshold 40 kbit/s (5 B/ms), 1 s.
  const b = new TokenBucket({ rate: 80_000, burstRate: 800_000, threshold: 40_000, burstTimeMs: 1000 });
  let passed = 0;
  for (let t = 0; t <= 3000; t++) if (b.admit(t, 100)) passed += 100;
  // 3 s at the base rate alone would pass about 3 * 10_000 + bucket; the burst adds clearly more
  // at first, and the average then holds it near the base rate.
  assert.ok(passed > 40_000, `burst used (${passed})`);
  assert.ok(passed < 3 * 100_000, `not unlimited (${passed})`);
});

test('Shaper: sends while tokens last, then queues FIFO, releases at nextRelease, drops only when full', () => {
  const s = new Shaper({ rate: 8000 }, 4); // 1 B/ms, bucket 3000, 4 slots
  assert.equal(s.offer(0, ipv4(1500, 1)), 'send');
  assert.equal(s.offer(0, ipv4(1500, 2)), 'send');
  assert.equal(s.offer(0, ipv4(1000, 3)), 'queued');
  assert.equal(s.offer(0, ipv4(100, 4)), 'queued', 'FIFO: queues behind, although it would fit later');
  assert.equal(s.offer(0, ipv4(100, 5)), 'queued');
  assert.equal(s.offer(0, ipv4(100, 6)), 'queued');
  assert.equal(s.offer(0, ipv4(100, 7)), 'drop');
  assert.equal(s.queued, 4);
  assert.equal(s.dropped, 1);
  assert.equal(s.nextRelease(), 1000);
  assert.equal(s.releasable(999), 0);
  assert.equal(s.releasable(1000), 1000);
  const out = new Uint8Array(1000);
  assert.equal(s.popInto(out, 0), 1000);
  assert.equal((out[4]! << 8) | out[5]!, 3);
  assert.equal(s.nextRelease(), 1100);
  const order: number[] = [];
  for (let t = 1100; t <= 1400 && s.queued > 0; t += 100) {
    const n = s.releasable(t);
    assert.equal(n, 100);
    const o = new Uint8Array(n);
    s.popInto(o, 0);
    order.push((o[4]! << 8) | o[5]!);
  }
  assert.deepEqual(order, [4, 5, 6]);
  assert.equal(s.nextRelease(), undefined);
  assert.equal(s.offer(1400, ipv4(100, 8)), 'send', 'empty queue and tokens: straight through');
});

test('Shaper ring wraps around many times without losing order (property)', () => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 20, max: 1500 }), { minLength: 1, maxLength: 300 }), (sizes) => {
      const s = new Shaper({ rate: 80_000 }, 8); // 10 B/ms
      let now = 0;
      let nextId = 0;
      const sent: number[] = [];
      const offered: number[] = [];
      for (const size of sizes) {
        const id = nextId++;
        const v = s.offer(now, ipv4(size, id));
        if (v === 'send') sent.push(id);
        if (v !== 'drop') offered.push(id);
        now += 5;
        for (let n = s.releasable(now); n > 0; n = s.releasable(now)) {
          const o = new Uint8Array(n);
          s.popInto(o, 0);
          sent.push((o[4]! << 8) | o[5]!);
        }
      }
      for (let i = 0; i < 1000 && s.queued > 0; i++) {
        now = Math.max(now, s.nextRelease()!);
        for (let n = s.releasable(now); n > 0; n = s.releasable(now)) {
          const o = new Uint8Array(n);
          s.popInto(o, 0);
          sent.push((o[4]! << 8) | o[5]!);
        }
      }
      assert.equal(s.queued, 0);
      assert.deepEqual(sent, offered);
    }),
    { numRuns: 200 },
  );
});

test('DataPath + Shaper: packets over the rate wait (not dropped), leave at nextShapedRelease, are counted when sent', () => {
  const dp = new DataPath<number>();
  dp.register(1, ROUTE);
  assert.equal(applyRateLimit(dp, 1, parseRateLimit('1M/80k')), true); // tx 80 kbit/s = 10 B/ms
  const out = new Uint8Array(2000);
  let sentNow = 0;
  for (let i = 0; i < 5; i++) if (dp.encapsulate(1, ipv4(1000, i), out, 0) > 0) sentNow++;
  assert.equal(sentNow, 3, '3000-byte bucket');
  assert.equal(dp.counters(1)!.txPackets, 3);
  assert.equal(dp.counters(1)!.txDrops, 0, 'queued, not dropped');
  assert.equal(dp.nextShapedRelease(), 100);
  const emitted: Uint8Array[] = [];
  const release = (now: number) => dp.releaseShaped(now, (n) => new Uint8Array(n), (route, d) => {
    assert.equal(route, ROUTE);
    emitted.push(d);
  });
  release(99);
  assert.equal(emitted.length, 0);
  release(100);
  assert.equal(emitted.length, 1);
  const d = emitted[0]!;
  assert.equal(d.length, 1000 + ENCAPSULATION_OVERHEAD);
  const h = decodeHeader(d);
  assert.ok(h.ok);
  assert.equal(h.header.tunnelId, 0x1234);
  assert.equal(h.header.sessionId, 0x5678);
  assert.equal(h.header.length, d.length);
  assert.deepEqual([...d.subarray(8, 12)], [0xff, 0x03, 0x00, 0x21]);
  assert.equal((d[12 + 4]! << 8) | d[12 + 5]!, 3, 'the fourth packet offered');
  assert.equal(dp.counters(1)!.txPackets, 4);
  release(200);
  assert.equal(emitted.length, 2);
  assert.equal(dp.nextShapedRelease(), undefined);
  // A full queue drops (counted as rate-limit).
  for (let i = 0; i < SHAPER_QUEUE_PACKETS + 10; i++) dp.encapsulate(1, ipv4(1000, i), out, 200);
  assert.ok(dp.counters(1)!.txDrops >= 10);
  assert.equal(dp.counters(1)!.lastDrop, 'rate-limit');
  // Unregistering forgets what waited.
  dp.unregister(1);
  assert.equal(dp.nextShapedRelease(), undefined);
});

test('applyRateLimit changes the limit in place (queue kept), and removing it lets the queue go at once', () => {
  const dp = new DataPath<number>();
  dp.register(1, ROUTE);
  applyRateLimit(dp, 1, parseRateLimit('80k/80k'));
  const first = dp.rateLimiters(1)!;
  const out = new Uint8Array(2000);
  for (let i = 0; i < 6; i++) dp.encapsulate(1, ipv4(1000, i), out, 0);
  assert.equal(first.txShaper!.queued, 3);
  applyRateLimit(dp, 1, parseRateLimit('8M/8M'));
  const second = dp.rateLimiters(1)!;
  assert.equal(second.txShaper, first.txShaper, 'same shaper, same queue');
  assert.equal(second.rx, first.rx, 'same bucket');
  let emitted = 0;
  dp.releaseShaped(3, (n) => new Uint8Array(n), () => emitted++);
  assert.equal(emitted, 3, '8 Mbit/s refills 3000 bytes in 3 ms');
  for (let i = 0; i < 6; i++) dp.encapsulate(1, ipv4(1000, i), out, 3);
  applyRateLimit(dp, 1, parseRateLimit('80k/80k'));
  applyRateLimit(dp, 1, undefined);
  dp.releaseShaped(3, (n) => new Uint8Array(n), () => emitted++);
  assert.equal(dp.rateLimiters(1)!.txShaper?.queued ?? 0, 0);
  assert.equal(dp.rateLimiters(1)!.rx, undefined);
  assert.equal(applyRateLimit(dp, 2, parseRateLimit('1M')), false, 'no such session');
});

test('shaped throughput over 10 s of virtual time stays within the rate (+ one bucket)', () => {
  const dp = new DataPath<number>();
  dp.register(1, ROUTE);
  applyRateLimit(dp, 1, parseRateLimit('10M/2M'));
  let bytes = 0;
  const out = new Uint8Array(2000);
  // Offer 4 Mbit/s (one 1000-byte packet every 2 ms), drain at each release time like a driver.
  let now = 0;
  let nextOffer = 0;
  for (let steps = 0; steps < 100_000 && now <= 10_000; steps++) {
    if (now >= nextOffer) {
      const n = dp.encapsulate(1, ipv4(1000), out, now);
      if (n > 0) bytes += n - ENCAPSULATION_OVERHEAD;
      nextOffer += 2;
    }
    dp.releaseShaped(now, (n) => new Uint8Array(n), (_r, d) => (bytes += d.length - ENCAPSULATION_OVERHEAD));
    now = Math.min(nextOffer, dp.nextShapedRelease() ?? Infinity);
  }
  const bitsPerSecond = (bytes * 8) / 10;
  assert.ok(bitsPerSecond > 1_900_000 && bitsPerSecond < 2_100_000, `${bitsPerSecond} bit/s`);
});
