/**
 * An in-memory datagram network on a virtual clock, for engine tests (the idea of pion's
 * `test.Bridge`): datagrams between `{ip, port}` endpoints are delayed, and, with seeded
 * probabilities, lost, duplicated or reordered (given a random extra delay). Nothing here touches
 * a real socket or timer; the same seed always produces the same run.
 *
 * Also `runNetwork`, a driver for a set of I/O-free engines (anything shaped like `SimNode`: an
 * L2TP control channel, LAC/LNS engines, PPP pairs) in the quinn-proto order:
 *   1. drain every node's pollTransmit into the network;
 *   2. jump the clock to the earliest of the next delivery and every node's nextTimeout;
 *   3. hand due datagrams to their destination nodes, then call handleTimeout on nodes whose
 *      deadline has passed; repeat.
 * It stops when nothing is in flight and no node has a timer (idle), when a caller predicate
 * holds, or at a virtual time / step limit, so a broken engine can never hang a test.
 *
 * Invariants: deliveries come out in (deliver-at, send order) order, so equal delays keep FIFO
 * order; `bytes` are copied at send so a sender may reuse its buffer.
 */
import { SeededRandom } from '../core/random.js';
import { earliest, type Instant } from '../core/time.js';

export interface Endpoint {
  readonly ip: string;
  readonly port: number;
}

/** "ip:port" ("[ip]:port" for IPv6): the map key of an endpoint. */
export type EndpointKey = string;

export function endpointKey(e: Endpoint): EndpointKey {
  return e.ip.includes(':') ? `[${e.ip}]:${e.port}` : `${e.ip}:${e.port}`;
}

export interface LinkConditions {
  /** One-way delay of every datagram. */
  delayMs: number;
  /** Probability in [0, 1] that a datagram is lost. */
  lossProbability: number;
  /** Probability in [0, 1] that a (surviving) datagram is delivered twice. */
  duplicateProbability: number;
  /** Probability in [0, 1] that a datagram gets a random extra delay (and so may overtake or be overtaken). */
  reorderProbability: number;
  /** Upper bound of that extra delay. */
  reorderMaxExtraMs: number;
}

export const perfectLink: Readonly<LinkConditions> = Object.freeze({
  delayMs: 10,
  lossProbability: 0,
  duplicateProbability: 0,
  reorderProbability: 0,
  reorderMaxExtraMs: 0,
});

export interface Datagram {
  readonly from: Endpoint;
  readonly to: Endpoint;
  readonly bytes: Uint8Array;
  /** Virtual time of delivery. */
  readonly at: Instant;
}

export interface NetworkStats {
  sent: number;
  lost: number;
  duplicated: number;
  reordered: number;
  delivered: number;
}

interface InFlight extends Datagram {
  readonly order: number;
}

export class MemoryNetwork {
  private readonly random: SeededRandom;
  private defaults: LinkConditions;
  private readonly links = new Map<string, LinkConditions>();
  /** Sorted by (at, order). */
  private readonly inFlight: InFlight[] = [];
  private order = 0;
  private readonly counters: NetworkStats = { sent: 0, lost: 0, duplicated: 0, reordered: 0, delivered: 0 };

  constructor(options: Partial<LinkConditions> & { seed?: number } = {}) {
    const { seed, ...conditions } = options;
    this.random = new SeededRandom(seed ?? 1);
    this.defaults = { ...perfectLink, ...conditions };
  }

  /** Change the conditions of every link without its own override. */
  setDefaultConditions(conditions: Partial<LinkConditions>): void {
    this.defaults = { ...this.defaults, ...conditions };
  }

  /** Conditions for one direction, from -> to (e.g. loss 1 for a one-way partition). */
  setLinkConditions(from: Endpoint, to: Endpoint, conditions: Partial<LinkConditions>): void {
    this.links.set(linkKey(from, to), { ...this.conditionsFor(from, to), ...conditions });
  }

  conditionsFor(from: Endpoint, to: Endpoint): LinkConditions {
    return this.links.get(linkKey(from, to)) ?? this.defaults;
  }

  send(from: Endpoint, to: Endpoint, bytes: Uint8Array, now: Instant): void {
    this.counters.sent++;
    const c = this.conditionsFor(from, to);
    if (this.chance(c.lossProbability)) {
      this.counters.lost++;
      return;
    }
    const copies = this.chance(c.duplicateProbability) ? 2 : 1;
    if (copies === 2) this.counters.duplicated++;
    for (let i = 0; i < copies; i++) {
      let at = now + c.delayMs;
      if (this.chance(c.reorderProbability)) {
        this.counters.reordered++;
        // Whole milliseconds, so that virtual instants stay integers.
        at += Math.floor(this.random.nextFloat() * (c.reorderMaxExtraMs + 1));
      }
      this.enqueue({ from, to, bytes: bytes.slice(), at, order: this.order++ });
    }
  }

  /** Removes and returns every datagram due at or before `now`, in delivery order. */
  pollDelivery(now: Instant): Datagram[] {
    let n = 0;
    while (n < this.inFlight.length && this.inFlight[n]!.at <= now) n++;
    const due = this.inFlight.splice(0, n);
    this.counters.delivered += due.length;
    return due.map(({ from, to, bytes, at }) => ({ from, to, bytes, at }));
  }

  /** When the next datagram is due, or undefined when none is in flight. */
  nextDelivery(): Instant | undefined {
    return this.inFlight[0]?.at;
  }

  get inFlightCount(): number {
    return this.inFlight.length;
  }

  get stats(): Readonly<NetworkStats> {
    return { ...this.counters };
  }

  private chance(p: number): boolean {
    // Draw only when needed, so that a perfect link does not consume the random stream.
    return p > 0 && this.random.nextFloat() < p;
  }

  private enqueue(d: InFlight): void {
    // Binary search for the first element that should come after d.
    let lo = 0;
    let hi = this.inFlight.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = this.inFlight[mid]!;
      if (m.at < d.at || (m.at === d.at && m.order < d.order)) lo = mid + 1;
      else hi = mid;
    }
    this.inFlight.splice(lo, 0, d);
  }
}

function linkKey(from: Endpoint, to: Endpoint): string {
  return `${endpointKey(from)}>${endpointKey(to)}`;
}

// -----------------------------------------------------------------------------------------------
// Driving engines

/** One outgoing datagram of a node. */
export interface SimTransmit {
  readonly to: Endpoint;
  readonly bytes: Uint8Array;
}

/**
 * An engine as seen by the driver. Engines with a different shape are wrapped in a few lines
 * (e.g. a ControlChannel has a fixed peer and takes decoded header fields in `receive`).
 */
export interface SimNode {
  readonly address: Endpoint;
  nextTimeout(): Instant | undefined;
  handleTimeout(now: Instant): void;
  pollTransmit(now: Instant): SimTransmit | undefined;
  handleDatagram(now: Instant, from: Endpoint, bytes: Uint8Array): void;
}

export interface RunOptions {
  /** Virtual start time (default 0). */
  start?: Instant;
  /** Stop before advancing the clock past this instant. */
  timeLimit: Instant;
  /** Bound on loop iterations (default 1,000,000). */
  maxSteps?: number;
  /** Stop as soon as this holds (checked after every step's transmissions). */
  until?: (now: Instant) => boolean;
  /** Called for every datagram handed to a node (for traces and assertions). */
  onDeliver?: (d: Datagram) => void;
}

export interface RunResult {
  reason: 'idle' | 'until' | 'time-limit' | 'step-limit';
  now: Instant;
  steps: number;
  /** Datagrams addressed to no node. */
  undeliverable: number;
}

/** Drains one node's output into the network. Bounded so a node that never stops cannot hang. */
const MAX_TRANSMITS_PER_STEP = 10_000;

export function runNetwork(net: MemoryNetwork, nodes: readonly SimNode[], options: RunOptions): RunResult {
  const byKey = new Map<EndpointKey, SimNode>();
  for (const n of nodes) byKey.set(endpointKey(n.address), n);
  const maxSteps = options.maxSteps ?? 1_000_000;
  let now = options.start ?? 0;
  let undeliverable = 0;
  let steps = 0;

  const result = (reason: RunResult['reason']): RunResult => ({ reason, now, steps, undeliverable });

  for (; steps < maxSteps; steps++) {
    for (const n of nodes) {
      for (let i = 0; i < MAX_TRANSMITS_PER_STEP; i++) {
        const t = n.pollTransmit(now);
        if (t === undefined) break;
        net.send(n.address, t.to, t.bytes, now);
      }
    }
    if (options.until?.(now)) return result('until');

    const next = earliest(net.nextDelivery(), ...nodes.map((n) => n.nextTimeout()));
    if (next === undefined) return result('idle');
    if (next > options.timeLimit) return result('time-limit');
    // A deadline in the past (set before `now`) is served now; the clock never runs backwards.
    now = Math.max(now, next);

    for (const d of net.pollDelivery(now)) {
      const node = byKey.get(endpointKey(d.to));
      if (node === undefined) {
        undeliverable++;
        continue;
      }
      options.onDeliver?.(d);
      node.handleDatagram(now, d.from, d.bytes);
    }
    for (const n of nodes) {
      const t = n.nextTimeout();
      if (t !== undefined && t <= now) n.handleTimeout(now);
    }
  }
  return result('step-limit');
}
