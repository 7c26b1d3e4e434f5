import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Instant } from '../core/time.js';
import { endpointKey, MemoryNetwork, runNetwork, type Endpoint, type SimNode, type SimTransmit } from './memory-network.js';

const A: Endpoint = { ip: '10.0.0.1', port: 1701 };
const B: Endpoint = { ip: '10.0.0.2', port: 1701 };
const bytes = (n: number): Uint8Array => Uint8Array.of(n);

test('endpointKey brackets IPv6', () => {
  assert.equal(endpointKey(A), '10.0.0.1:1701');
  assert.equal(endpointKey({ ip: 'fe80::1', port: 5 }), '[fe80::1]:5');
});

test('a perfect link delivers after the delay, in order, copying the bytes', () => {
  const net = new MemoryNetwork({ delayMs: 5 });
  const buf = bytes(1);
  net.send(A, B, buf, 100);
  buf[0] = 99; // the sender reuses its buffer
  net.send(A, B, bytes(2), 100);
  assert.equal(net.nextDelivery(), 105);
  assert.deepEqual(net.pollDelivery(104), []);
  const due = net.pollDelivery(105);
  assert.deepEqual(due.map((d) => d.bytes[0]), [1, 2]);
  assert.equal(due[0]!.to, B);
  assert.equal(net.nextDelivery(), undefined);
  assert.deepEqual(net.stats, { sent: 2, lost: 0, duplicated: 0, reordered: 0, delivered: 2 });
});

test('loss, duplication and reordering follow their probabilities and the seed', () => {
  const run = (seed: number): number[] => {
    const net = new MemoryNetwork({ seed, delayMs: 1, lossProbability: 0.2, duplicateProbability: 0.1, reorderProbability: 0.3, reorderMaxExtraMs: 50 });
    for (let i = 0; i < 1000; i++) net.send(A, B, bytes(i & 0xff), i);
    const out = net.pollDelivery(10_000).map((d) => d.bytes[0]!);
    const s = net.stats;
    assert.ok(s.lost > 150 && s.lost < 250, `lost ${s.lost}`);
    assert.ok(s.duplicated > 50 && s.duplicated < 120, `duplicated ${s.duplicated}`);
    assert.ok(s.reordered > 200, `reordered ${s.reordered}`);
    assert.equal(out.length, 1000 - s.lost + s.duplicated);
    return out;
  };
  assert.deepEqual(run(7), run(7));
  assert.notDeepEqual(run(7), run(8));
});

test('per-link conditions override the defaults in one direction only', () => {
  const net = new MemoryNetwork({ delayMs: 1 });
  net.setLinkConditions(A, B, { lossProbability: 1 });
  net.send(A, B, bytes(1), 0);
  net.send(B, A, bytes(2), 0);
  const due = net.pollDelivery(1);
  assert.equal(due.length, 1);
  assert.equal(due[0]!.to, A);
});

/** A node that sends `count` pings to its peer and echoes every ping once as a pong. */
class PingNode implements SimNode {
  readonly out: SimTransmit[] = [];
  readonly got: number[] = [];
  private timer: Instant | undefined;
  constructor(
    readonly address: Endpoint,
    private readonly peer: Endpoint,
    private remaining: number,
  ) {
    this.timer = remaining > 0 ? 0 : undefined;
  }
  nextTimeout(): Instant | undefined {
    return this.timer;
  }
  handleTimeout(now: Instant): void {
    this.out.push({ to: this.peer, bytes: bytes(0) });
    this.remaining--;
    this.timer = this.remaining > 0 ? now + 100 : undefined;
  }
  pollTransmit(): SimTransmit | undefined {
    return this.out.shift();
  }
  handleDatagram(_now: Instant, from: Endpoint, b: Uint8Array): void {
    this.got.push(b[0]!);
    if (b[0] === 0) this.out.push({ to: from, bytes: bytes(1) });
  }
}

test('runNetwork drives nodes until idle on virtual time', () => {
  const net = new MemoryNetwork({ delayMs: 10 });
  const a = new PingNode(A, B, 3);
  const b = new PingNode(B, A, 0);
  const r = runNetwork(net, [a, b], { timeLimit: 10_000 });
  assert.equal(r.reason, 'idle');
  assert.deepEqual(b.got, [0, 0, 0]);
  assert.deepEqual(a.got, [1, 1, 1]);
  // last ping at 200, pong back at 220
  assert.equal(r.now, 220);
});

test('runNetwork stops at the time limit, the predicate, and counts undeliverable datagrams', () => {
  const net = new MemoryNetwork({ delayMs: 10 });
  const lonely = new PingNode(A, B, 1000);
  const r = runNetwork(net, [lonely], { timeLimit: 1000 });
  assert.equal(r.reason, 'time-limit');
  assert.ok(r.now <= 1000);
  assert.equal(r.undeliverable, 10);

  const net2 = new MemoryNetwork({ delayMs: 10 });
  const a = new PingNode(A, B, 1000);
  const b = new PingNode(B, A, 0);
  const r2 = runNetwork(net2, [a, b], { timeLimit: 1_000_000, until: () => a.got.length >= 5 });
  assert.equal(r2.reason, 'until');
  assert.equal(a.got.length, 5);
});

test('runNetwork is bounded by maxSteps even if a node never settles', () => {
  const stuck: SimNode = {
    address: A,
    nextTimeout: () => 0,
    handleTimeout: () => {},
    pollTransmit: () => undefined,
    handleDatagram: () => {},
  };
  const r = runNetwork(new MemoryNetwork(), [stuck], { timeLimit: 10, maxSteps: 50 });
  assert.equal(r.reason, 'step-limit');
  assert.equal(r.steps, 50);
});
