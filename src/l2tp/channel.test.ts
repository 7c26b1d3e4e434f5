import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { Instant } from '../core/time.js';
import { MemoryNetwork, runNetwork, type Endpoint, type SimNode, type SimTransmit } from '../testing/memory-network.js';
import { CONTROL_HEADER_LENGTH, ControlChannel, defaultChannelConfig, type ChannelConfig, type ChannelTestOptions } from './channel.js';

// ---------------------------------------------------------------------------------------------
// Helpers: a fake control message is the 12-byte header plus a 16-bit tag as its body.

function cfg(over: Partial<ChannelConfig> = {}): ChannelConfig {
  return { ...defaultChannelConfig, ...over };
}

function channel(over: Partial<ChannelConfig> = {}, peerTunnelId = 77, opts: ChannelTestOptions = {}): ControlChannel<number> {
  return new ControlChannel<number>(cfg(over), peerTunnelId, opts);
}

function msg(tag: number): Uint8Array {
  const b = new Uint8Array(CONTROL_HEADER_LENGTH + 2);
  const v = new DataView(b.buffer);
  v.setUint16(0, 0xc802);
  v.setUint16(2, b.length);
  v.setUint16(6, 5); // a session id the channel must leave alone
  v.setUint16(12, tag);
  return b;
}

interface Seen {
  tunnelId: number;
  sessionId: number;
  ns: number;
  nr: number;
  isZlb: boolean;
  tag: number;
}

function parse(b: Uint8Array): Seen {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  assert.equal(v.getUint16(0), 0xc802);
  assert.equal(v.getUint16(2), b.length);
  const isZlb = b.length === CONTROL_HEADER_LENGTH;
  return {
    tunnelId: v.getUint16(4),
    sessionId: v.getUint16(6),
    ns: v.getUint16(8),
    nr: v.getUint16(10),
    isZlb,
    tag: isZlb ? -1 : v.getUint16(12),
  };
}

/** Everything the channel wants to send at `now` (smoltcp's `send!`). */
function drain(ch: ControlChannel<number>, now: Instant): Seen[] {
  const out: Seen[] = [];
  for (let b = ch.pollTransmit(now), i = 0; b && i < 1000; b = ch.pollTransmit(now), i++) out.push(parse(b));
  return out;
}

/** Hand a datagram to the channel (smoltcp's `recv!`). */
function recv(ch: ControlChannel<number>, now: Instant, s: Seen): number[] {
  return ch.receive(now, s.ns, s.nr, s.isZlb, s.tag);
}

// ---------------------------------------------------------------------------------------------
// Scripted conversations

test('a message goes out with our Ns, the current Nr and the peer Tunnel ID; the caller buffer is untouched', () => {
  const a = channel();
  const m = msg(1);
  a.send(0, m);
  assert.equal(a.queued, 1);
  const [first, ...rest] = drain(a, 0);
  assert.deepEqual(first, { tunnelId: 77, sessionId: 5, ns: 0, nr: 0, isZlb: false, tag: 1 });
  assert.deepEqual(rest, []);
  assert.deepEqual(m, msg(1));
  assert.equal(a.outstanding, 1);
  assert.equal(a.queued, 0);
  assert.equal(a.nextNs, 1);
  assert.equal(a.isIdle, false);
});

test('in-order delivery, then a ZLB after the ack delay that does not consume Ns', () => {
  const a = channel();
  const b = channel({ ackDelayMs: 100 });
  a.send(0, msg(10));
  const [m0] = drain(a, 0);
  assert.deepEqual(recv(b, 5, m0!), [10]);
  assert.equal(b.nextNr, 1);
  assert.deepEqual(drain(b, 5), []);
  assert.equal(b.nextTimeout(), 105);
  assert.deepEqual(drain(b, 104), []);
  const [zlb, ...more] = drain(b, 105);
  assert.deepEqual(more, []);
  assert.deepEqual(zlb, { tunnelId: 77, sessionId: 0, ns: 0, nr: 1, isZlb: true, tag: -1 });
  assert.equal(b.nextNs, 0);
  assert.equal(b.stats.zlbSent, 1);
  assert.equal(b.nextTimeout(), undefined);

  // The ZLB acknowledges a's message; a ZLB itself is never acknowledged.
  assert.deepEqual(recv(a, 110, zlb!), []);
  assert.equal(a.outstanding, 0);
  assert.equal(a.isIdle, true);
  assert.equal(a.nextTimeout(), undefined);
  assert.deepEqual(drain(a, 1000), []);
});

test('a reply sent within the ack delay piggy-backs the ack and suppresses the ZLB', () => {
  const a = channel();
  const b = channel();
  a.send(0, msg(1));
  assert.deepEqual(recv(b, 0, drain(a, 0)[0]!), [1]);
  b.send(20, msg(2));
  const [reply] = drain(b, 20);
  assert.deepEqual({ ns: reply!.ns, nr: reply!.nr, tag: reply!.tag }, { ns: 0, nr: 1, tag: 2 });
  assert.equal(b.nextTimeout(), 20 + 1000); // only the retransmission timer remains
  assert.deepEqual(drain(b, 100), []);
  assert.deepEqual(drain(b, 500), []);
  assert.equal(b.stats.zlbSent, 0);
});

test('flushAck sends a ZLB at once (StopCCN receipt)', () => {
  const b = channel({ ackDelayMs: 100 });
  assert.deepEqual(b.receive(50, 0, 0, false, 9), [9]);
  b.flushAck();
  const out = drain(b, 50);
  assert.equal(out.length, 1);
  assert.equal(out[0]!.isZlb, true);
  assert.equal(out[0]!.nr, 1);
});

test('a lost message is retransmitted after 1, 2, 4, 8, 8 s, then the channel fails once', () => {
  const a = channel({ retransmitInitialMs: 1000, retransmitMaxMs: 8000, maxRetransmits: 5 });
  a.send(0, msg(1));
  const sentAt: Instant[] = [];
  const seen: Seen[] = [];
  let now: Instant = 0;
  for (let i = 0; i < 20; i++) {
    const out = drain(a, now);
    for (const s of out) {
      sentAt.push(now);
      seen.push(s);
    }
    const t = a.nextTimeout();
    if (t === undefined) break;
    now = t;
    a.handleTimeout(now);
  }
  assert.deepEqual(sentAt, [0, 1000, 3000, 7000, 15000, 23000]);
  assert.ok(seen.every((s) => s.ns === 0 && s.tag === 1));
  assert.equal(now, 31000);
  assert.deepEqual(a.pollEvent(), { type: 'failed', reason: 'retransmit-limit', ns: 0 });
  assert.equal(a.pollEvent(), undefined);
  assert.equal(a.failed, true);
  assert.equal(a.stats.retransmitted, 5);
  // Silent for good.
  a.send(40000, msg(2));
  assert.deepEqual(drain(a, 40000), []);
  assert.equal(a.receive(40000, 0, 0, false, 3).length, 0);
  a.flushAck();
  assert.deepEqual(drain(a, 40000), []);
  a.handleTimeout(100000);
  assert.equal(a.pollEvent(), undefined);
  assert.equal(a.nextTimeout(), undefined);
});

test('a retransmission carries the latest Nr and the same Ns', () => {
  const a = channel({ ackDelayMs: 100 });
  a.send(0, msg(1));
  drain(a, 0); // lost
  assert.deepEqual(a.receive(500, 0, 0, false, 7), [7]);
  const [zlb] = drain(a, 600);
  assert.deepEqual({ zlb: zlb!.isZlb, ns: zlb!.ns, nr: zlb!.nr }, { zlb: true, ns: 1, nr: 1 });
  a.handleTimeout(1000);
  const [re] = drain(a, 1000);
  assert.deepEqual({ ns: re!.ns, nr: re!.nr, tag: re!.tag }, { ns: 0, nr: 1, tag: 1 });
  assert.equal(a.congestionWindow, 1);
  // Acked: no further timers.
  a.receive(1010, 1, 1, true, -1);
  assert.equal(a.outstanding, 0);
  assert.equal(a.nextTimeout(), undefined);
});

test('a duplicate is acknowledged at once and not delivered twice; its Nr is still processed', () => {
  const a = channel();
  const b = channel();
  a.send(0, msg(1));
  const m0 = drain(a, 0)[0]!;
  assert.deepEqual(recv(b, 10, m0), [1]);
  // b's reply is lost; b's ZLB is lost; a retransmits.
  b.send(20, msg(2));
  drain(b, 20);
  a.handleTimeout(1000);
  const re = drain(a, 1000)[0]!;
  assert.deepEqual(recv(b, 1010, re), []);
  assert.equal(b.stats.duplicates, 1);
  // b has an unacked message of its own to retransmit later; the ack goes as a ZLB now.
  const ack = drain(b, 1010);
  assert.equal(ack.length, 1);
  assert.deepEqual({ zlb: ack[0]!.isZlb, nr: ack[0]!.nr }, { zlb: true, nr: 1 });

  // A duplicate whose Nr acknowledges something is still used for the ack.
  const c = channel();
  c.send(0, msg(5));
  drain(c, 0);
  assert.deepEqual(c.receive(10, 0, 0, false, 9), [9]);
  assert.equal(c.outstanding, 1);
  assert.deepEqual(c.receive(20, 0, 1, false, 9), []);
  assert.equal(c.outstanding, 0);
});

test('reordering inside our window is queued, then delivered in order', () => {
  const b = channel({ receiveWindow: 4 });
  assert.deepEqual(b.receive(0, 2, 0, false, 12), []);
  assert.deepEqual(b.receive(1, 1, 0, false, 11), []);
  assert.deepEqual(b.receive(2, 3, 0, false, 13), []);
  assert.deepEqual(b.receive(2, 3, 0, false, 13), []); // duplicate of a queued one
  assert.equal(b.stats.outOfOrder, 3);
  assert.equal(b.stats.duplicates, 1);
  assert.deepEqual(drain(b, 2), []); // nothing delivered yet, nothing to ack yet
  assert.deepEqual(b.receive(3, 0, 0, false, 10), [10, 11, 12, 13]);
  assert.equal(b.nextNr, 4);
});

test('a message beyond our receive window is dropped and acknowledged', () => {
  const b = channel({ receiveWindow: 4 });
  assert.deepEqual(b.receive(0, 4, 0, false, 14), []);
  assert.equal(b.stats.outOfWindow, 1);
  const [ack] = drain(b, 0);
  assert.deepEqual({ zlb: ack!.isZlb, nr: ack!.nr }, { zlb: true, nr: 0 });
  assert.deepEqual(b.receive(1, 3, 0, false, 13), []); // inside: queued
  assert.deepEqual(b.receive(2, 0, 0, false, 10), [10]);
  // 4 is now inside the window again, but was dropped: the peer retransmits it.
  assert.deepEqual(b.receive(3, 1, 0, false, 11), [11]);
  assert.deepEqual(b.receive(4, 2, 0, false, 12), [12, 13]);
  assert.deepEqual(b.receive(5, 4, 0, false, 14), [14]);
});

test('an Nr acknowledging a message never sent is ignored', () => {
  const a = channel();
  a.send(0, msg(1));
  a.send(0, msg(2));
  drain(a, 0);
  assert.equal(a.outstanding, 1); // CWND 1
  a.receive(10, 0, 5, true, -1);
  a.receive(10, 0, 2, true, -1);
  a.receive(10, 0, 40000, true, -1);
  assert.equal(a.outstanding, 1);
  assert.equal(a.congestionWindow, 1);
  assert.equal(a.nextNs, 1);
  a.receive(20, 0, 1, true, -1);
  assert.equal(a.outstanding, 0);
  assert.equal(a.congestionWindow, 2);
  assert.equal(drain(a, 20)[0]!.ns, 1);
});

test('setPeerTunnelId is applied to queued messages, retransmissions and ZLBs', () => {
  const a = channel({}, 0);
  a.send(0, msg(1));
  assert.equal(drain(a, 0)[0]!.tunnelId, 0);
  a.setPeerTunnelId(4242);
  a.handleTimeout(1000);
  assert.equal(drain(a, 1000)[0]!.tunnelId, 4242);
  a.receive(1100, 0, 1, false, 3);
  a.flushAck();
  assert.equal(drain(a, 1100)[0]!.tunnelId, 4242);
});

test('Ns and Nr wrap from 65535 to 0', () => {
  const a = channel({ peerReceiveWindow: 8 }, 1, { initialNs: 65534, initialNr: 65533 });
  const b = channel({ receiveWindow: 8 }, 2, { initialNs: 65533, initialNr: 65534 });
  const nsSeenByB: number[] = [];
  const deliveredToB: number[] = [];
  const deliveredToA: number[] = [];
  for (let i = 0; i < 6; i++) {
    a.send(0, msg(100 + i));
    b.send(0, msg(200 + i));
  }
  let now = 0;
  for (let step = 0; step < 100 && !(a.isIdle && b.isIdle); step++) {
    for (const s of drain(a, now)) {
      if (!s.isZlb) nsSeenByB.push(s.ns);
      deliveredToB.push(...recv(b, now, s));
    }
    for (const s of drain(b, now)) deliveredToA.push(...recv(a, now, s));
    now += 50;
  }
  assert.deepEqual(nsSeenByB, [65534, 65535, 0, 1, 2, 3]);
  assert.deepEqual(deliveredToB, [100, 101, 102, 103, 104, 105]);
  assert.deepEqual(deliveredToA, [200, 201, 202, 203, 204, 205]);
  assert.equal(a.nextNs, 4);
  assert.equal(b.nextNr, 4);
  assert.equal(a.nextNr, 3);

  // Out of order across the wrap.
  const c = channel({ receiveWindow: 4 }, 1, { initialNr: 65535 });
  assert.deepEqual(c.receive(0, 1, 0, false, 2), []);
  assert.deepEqual(c.receive(0, 0, 0, false, 1), []);
  assert.deepEqual(c.receive(0, 65535, 0, false, 0), [0, 1, 2]);
  assert.deepEqual(c.receive(0, 65534, 0, false, 9), []); // old: duplicate
  assert.equal(c.stats.duplicates, 1);
});

test('slow start doubles the burst per round trip up to the peer RWS, then a timeout restarts it', () => {
  const a = channel({ peerReceiveWindow: 8 });
  for (let i = 0; i < 40; i++) a.send(0, msg(i));
  const bursts: number[] = [];
  let now = 0;
  for (let round = 0; round < 5; round++) {
    const out = drain(a, now);
    bursts.push(out.length);
    const last = out[out.length - 1]!;
    now += 10;
    a.receive(now, 0, (last.ns + 1) & 0xffff, true, -1); // one ZLB acks the whole burst
  }
  assert.deepEqual(bursts, [1, 2, 4, 8, 8]);
  assert.equal(a.congestionWindow, 8);
  assert.equal(a.slowStartThreshold, 8);

  // A timeout: SSTHRESH = CWND / 2 = 4, CWND = 1; retransmissions are not limited by CWND.
  const out = drain(a, now);
  assert.equal(out.length, 8);
  now += 1000;
  a.handleTimeout(now);
  assert.equal(a.congestionWindow, 1);
  assert.equal(a.slowStartThreshold, 4);
  assert.equal(drain(a, now).length, 8);
  assert.equal(a.stats.retransmitted, 8);
  a.receive(now + 10, 0, (out[7]!.ns + 1) & 0xffff, true, -1);
  // 8 acks: 1 -> 4 in slow start (3 acks), then 5 acks of congestion avoidance.
  let expected = 4;
  for (let i = 0; i < 5; i++) expected += 1 / expected;
  assert.ok(Math.abs(a.congestionWindow - expected) < 1e-9, `cwnd ${a.congestionWindow}`);
  assert.equal(drain(a, now + 10).length, 5);
});

test('never more than min(CWND, peer RWS) unacknowledged', () => {
  const a = channel({ peerReceiveWindow: 16 });
  a.setPeerReceiveWindow(2);
  for (let i = 0; i < 20; i++) a.send(0, msg(i));
  let now = 0;
  let maxOutstanding = 0;
  for (let i = 0; i < 100 && !a.isIdle; i++) {
    drain(a, now);
    maxOutstanding = Math.max(maxOutstanding, a.outstanding);
    now += 10;
    a.receive(now, 0, a.nextNs, true, -1);
  }
  assert.equal(a.isIdle, true);
  assert.equal(maxOutstanding, 2);
  assert.equal(a.congestionWindow, 2);
});

test('property: window, CWND and acks stay consistent under arbitrary acks, timeouts and sends', () => {
  type Op = { kind: 'send' } | { kind: 'ack'; nr: number } | { kind: 'timeout' } | { kind: 'rws'; n: number };
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.constant<Op>({ kind: 'send' }),
    fc.integer({ min: 0, max: 0xffff }).map<Op>((nr) => ({ kind: 'ack', nr })),
    fc.integer({ min: 0, max: 12 }).map<Op>((d) => ({ kind: 'ack', nr: d })),
    fc.constant<Op>({ kind: 'timeout' }),
    fc.integer({ min: 0, max: 20 }).map<Op>((n) => ({ kind: 'rws', n })),
  );
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 16 }), fc.array(op, { maxLength: 80 }), (rws, ops) => {
      const a = channel({ peerReceiveWindow: rws, maxRetransmits: 1000 });
      let peerRws = rws;
      let now = 0;
      for (const o of ops) {
        now += 300;
        if (o.kind === 'send') a.send(now, msg(1));
        else if (o.kind === 'timeout') a.handleTimeout(now + 100_000);
        else if (o.kind === 'rws') {
          a.setPeerReceiveWindow(o.n);
          peerRws = Math.max(1, o.n);
        } else {
          const before = a.outstanding;
          const nsBefore = a.nextNs;
          a.receive(now, 0, o.nr, true, -1);
          // An ack can only shrink the unacked list, and never past what was sent.
          assert.ok(a.outstanding <= before);
          assert.equal(a.nextNs, nsBefore);
        }
        const nsBefore = a.nextNs;
        const sent = drain(a, now);
        for (const s of sent) assert.equal(s.isZlb, false);
        const window = Math.max(1, Math.min(Math.floor(a.congestionWindow), peerRws));
        // New messages only go out into an open window, and never past it ...
        if (a.nextNs !== nsBefore) assert.ok(a.outstanding <= window, `outstanding ${a.outstanding} > ${window}`);
        // ... and nothing waits while the window is open.
        if (a.queued > 0) assert.ok(a.outstanding >= window);
        assert.ok(a.congestionWindow >= 1 && a.congestionWindow <= peerRws);
        assert.ok(a.slowStartThreshold >= 1);
      }
    }),
    { numRuns: 300 },
  );
});

// ---------------------------------------------------------------------------------------------
// Two channels over a lossy network

class ChannelNode implements SimNode {
  readonly delivered: number[] = [];
  constructor(
    readonly address: Endpoint,
    private readonly peer: Endpoint,
    readonly ch: ControlChannel<number>,
  ) {}
  nextTimeout(): Instant | undefined {
    return this.ch.nextTimeout();
  }
  handleTimeout(now: Instant): void {
    this.ch.handleTimeout(now);
  }
  pollTransmit(now: Instant): SimTransmit | undefined {
    const bytes = this.ch.pollTransmit(now);
    return bytes && { to: this.peer, bytes };
  }
  handleDatagram(now: Instant, _from: Endpoint, bytes: Uint8Array): void {
    this.delivered.push(...recv(this.ch, now, parse(bytes)));
  }
}

test('two channels over 20% loss, duplication and reordering deliver 500 messages each way in order', () => {
  const A: Endpoint = { ip: '192.0.2.1', port: 1701 };
  const B: Endpoint = { ip: '192.0.2.2', port: 1701 };
  const net = new MemoryNetwork({
    seed: 2661,
    delayMs: 20,
    lossProbability: 0.2,
    duplicateProbability: 0.1,
    reorderProbability: 0.2,
    reorderMaxExtraMs: 200,
  });
  // A generous retry limit: at 20% loss each way, 6 failed round trips in a row do happen over
  // a thousand messages, and the point here is ordering, not giving up.
  const conf = { receiveWindow: 8, peerReceiveWindow: 8, maxRetransmits: 20 };
  const a = new ChannelNode(A, B, channel(conf, 2));
  const b = new ChannelNode(B, A, channel(conf, 1));
  const N = 500;
  for (let i = 0; i < N; i++) {
    a.ch.send(0, msg(i));
    b.ch.send(0, msg(i));
  }
  const limit = 2 * 60 * 60 * 1000;
  const r = runNetwork(net, [a, b], { timeLimit: limit });
  const expected = Array.from({ length: N }, (_, i) => i);
  assert.equal(r.reason, 'idle', `stopped: ${r.reason} at ${r.now}`);
  assert.deepEqual(b.delivered, expected);
  assert.deepEqual(a.delivered, expected);
  assert.equal(a.ch.failed || b.ch.failed, false);
  assert.ok(a.ch.isIdle && b.ch.isIdle);
  const s = net.stats;
  assert.ok(s.lost > 0 && s.duplicated > 0 && s.reordered > 0);
  assert.ok(a.ch.stats.retransmitted > 0 && b.ch.stats.duplicates > 0);
  assert.ok(r.now < limit);
  if (process.env.CHANNEL_SOAK_TRACE) console.log(JSON.stringify({ now: r.now, steps: r.steps, net: s, a: a.ch.stats, b: b.ch.stats }));
});
