/**
 * The L2TP control channel: reliable, in-order delivery of control messages over UDP
 * (RFC 2661 section 5.8, with the slow start / congestion avoidance of Appendix A).
 *
 * One ControlChannel per tunnel. It owns the sequence state on both sides:
 *   - sending:   Ns of the next new message, the list of sent-but-unacknowledged messages (each
 *                with its own retransmission deadline, backoff and retry count) and a queue of
 *                messages waiting for the window;
 *   - receiving: Nr (the Ns we expect next), a bounded out-of-order buffer, and the pending ack.
 * It does no I/O and has no clock (ARCHITECTURE.md): time comes in as `now`.
 *
 * Wire contract (independent of the codec in src/wire/l2tp): every encoded control message,
 * ZLB included, starts with the fixed 12-byte header
 *     0      flags/version 0xC802      2      Length
 *     4      Tunnel ID                 6      Session ID
 *     8      Ns                        10     Nr              (all big-endian)
 * Callers hand `send()` a complete encoded message with Ns = Nr = 0; at every (re)transmission the
 * channel writes the message's Ns, the *current* Nr and the current peer Tunnel ID into a copy.
 * RFC 2661 5.8 (paraphrase): a retransmitted message carries the latest Nr, and the same Ns as
 * when it was first sent. A ZLB is exactly the 12-byte header with Length 12; it carries our next
 * Ns but does not consume it, and it is never itself acknowledged.
 *
 * Sending rules:
 *   - at most min(floor(CWND), peer RWS) messages are unacknowledged (RFC 2661 5.8 and App. A);
 *   - CWND starts at 1, SSTHRESH at the peer's RWS; each acknowledged message grows CWND by 1
 *     while CWND < SSTHRESH (slow start), else by 1/CWND (congestion avoidance); CWND never
 *     exceeds the peer's RWS;
 *   - a message not acknowledged within its timeout (retransmitInitialMs, doubled after every
 *     retransmission, capped at retransmitMaxMs) is retransmitted; each timeout event sets
 *     SSTHRESH = max(CWND / 2, 1) and CWND = 1 (App. A);
 *   - when a message has been retransmitted maxRetransmits times and its timeout expires again,
 *     the channel emits one `failed` event and goes silent for good (RFC 2661 5.8: the tunnel is
 *     then cleared).
 * Receiving rules (the `Ns` of each non-ZLB message against our Nr):
 *   - Ns == Nr: deliver, then deliver what the out-of-order buffer now makes contiguous;
 *   - Nr < Ns < Nr + our RWS: keep in the out-of-order buffer (so it holds < RWS items);
 *   - Ns < Nr (a duplicate: our ack was lost) or Ns beyond our window: do not deliver, ack now;
 *   - the message's Nr is processed in every case: it acknowledges all our messages with
 *     Ns < Nr. An Nr that would acknowledge a message never sent is ignored.
 * Acknowledgement: any transmitted message carries our Nr (piggy-backed ack). After delivering
 * something the channel waits ackDelayMs for the caller to send a message that carries the ack,
 * then sends a ZLB. RFC 2661 5.8 suggests this short delay precisely to allow piggy-backing.
 *
 * Call order (quinn-proto contract): after every `receive`, `send`, `handleTimeout` or
 * `flushAck`, drain `pollTransmit(now)` until undefined and `pollEvent()` until undefined; call
 * `handleTimeout(now)` when `now >= nextTimeout()`.
 */
import type { Instant } from '../core/time.js';
import { seqAdd, seqDiff, seqNext } from './seq.js';

/** Length of the L2TP control header with L, S set and no Offset field (RFC 2661 3.1). */
export const CONTROL_HEADER_LENGTH = 12;
/** T=1, L=1, S=1, Ver=2: the first 16 bits of every control message (RFC 2661 3.1). */
const CONTROL_FLAGS_VERSION = 0xc802;
const LENGTH_OFFSET = 2;
const TUNNEL_ID_OFFSET = 4;
const SESSION_ID_OFFSET = 6;
const NS_OFFSET = 8;
const NR_OFFSET = 10;

export interface ChannelConfig {
  /** Our Receive Window Size, as advertised by the tunnel in SCCRQ/SCCRP. */
  receiveWindow: number;
  /** The peer's RWS (4 when the AVP is absent, RFC 2661 4.4.3); see setPeerReceiveWindow. */
  peerReceiveWindow: number;
  /** First retransmission timeout. */
  retransmitInitialMs: number;
  /** Cap of the exponential backoff (RFC 2661 5.8: the cap should be at least 8 seconds). */
  retransmitMaxMs: number;
  /** Retransmissions of one message before the channel fails. */
  maxRetransmits: number;
  /** How long a pending ack waits for a message to piggy-back on before a ZLB is sent. */
  ackDelayMs: number;
}

export const defaultChannelConfig: Readonly<ChannelConfig> = Object.freeze({
  receiveWindow: 8,
  peerReceiveWindow: 4,
  retransmitInitialMs: 1000,
  retransmitMaxMs: 8000,
  maxRetransmits: 5,
  ackDelayMs: 100,
});

/**
 * Test hooks only: start the sequence numbers somewhere other than 0 (e.g. just below the
 * 65535 -> 0 wrap). A real tunnel always starts at Ns = Nr = 0 (RFC 2661 5.8).
 */
export interface ChannelTestOptions {
  initialNs?: number;
  initialNr?: number;
}

export type ChannelEvent = { type: 'failed'; reason: 'retransmit-limit'; ns: number };

export interface ChannelStats {
  /** New (non-ZLB) messages transmitted for the first time. */
  sent: number;
  /** Retransmissions. */
  retransmitted: number;
  /** Calls to receive(), ZLBs included. */
  received: number;
  /** Messages already delivered (Ns < Nr) or already held in the out-of-order buffer. */
  duplicates: number;
  /** Messages held in the out-of-order buffer. */
  outOfOrder: number;
  /** Messages beyond our receive window, dropped. */
  outOfWindow: number;
  /** ZLB acks transmitted. */
  zlbSent: number;
}

interface Unacked {
  readonly ns: number;
  readonly message: Uint8Array;
  /** Retransmissions so far. */
  retries: number;
  /** Current timeout; doubles after each retransmission, capped. */
  rto: number;
  /** When to retransmit; undefined while the message is due for (re)transmission. */
  deadline: Instant | undefined;
}

export class ControlChannel<T> {
  private readonly config: ChannelConfig;
  private peerTunnelId: number;
  private peerRws: number;

  // Sending side
  private ns: number;
  private readonly unacked: Unacked[] = [];
  private readonly waiting: Uint8Array[] = [];
  private cwnd = 1;
  private ssthresh: number;

  // Receiving side
  private nr: number;
  /** Out-of-order messages by Ns; boxed so that any T (even undefined) is stored faithfully. */
  private readonly reorder = new Map<number, { readonly item: T }>();
  private ackDeadline: Instant | undefined;

  private lastNow: Instant = 0;
  private dead = false;
  private readonly events: ChannelEvent[] = [];
  private readonly counters: ChannelStats = {
    sent: 0,
    retransmitted: 0,
    received: 0,
    duplicates: 0,
    outOfOrder: 0,
    outOfWindow: 0,
    zlbSent: 0,
  };

  constructor(config: ChannelConfig, peerTunnelId: number, testOptions: ChannelTestOptions = {}) {
    this.config = { ...config, receiveWindow: Math.max(1, Math.floor(config.receiveWindow)) };
    this.peerTunnelId = peerTunnelId & 0xffff;
    this.peerRws = clampWindow(config.peerReceiveWindow);
    this.ssthresh = this.peerRws;
    this.ns = seqAdd(testOptions.initialNs ?? 0, 0);
    this.nr = seqAdd(testOptions.initialNr ?? 0, 0);
  }

  // ---------------------------------------------------------------------------------------------
  // Configuration learnt during tunnel establishment

  /** The LAC learns the peer's Tunnel ID from SCCRP; every later (re)transmission carries it. */
  setPeerTunnelId(id: number): void {
    this.peerTunnelId = id & 0xffff;
  }

  /** The peer's Receive Window Size AVP (SCCRQ/SCCRP). SSTHRESH starts at it (App. A). */
  setPeerReceiveWindow(n: number): void {
    this.peerRws = clampWindow(n);
    this.ssthresh = this.peerRws;
    this.cwnd = Math.min(this.cwnd, this.peerRws);
  }

  // ---------------------------------------------------------------------------------------------
  // Input

  /**
   * Queue an encoded control message (Ns = Nr = 0 in its header) for reliable, in-order delivery.
   * It is copied; it goes out from pollTransmit when the window allows.
   */
  send(now: Instant, encoded: Uint8Array): void {
    this.lastNow = now;
    if (encoded.length < CONTROL_HEADER_LENGTH) {
      // A caller bug, not bad input from the network: fail loudly.
      throw new RangeError(`ControlChannel.send: message shorter than ${CONTROL_HEADER_LENGTH} bytes`);
    }
    if (this.dead) return;
    this.waiting.push(encoded.slice());
  }

  /**
   * A received control message (header already validated by the caller). Returns the messages
   * that are now deliverable, in Ns order (possibly none). `item` is whatever the caller decoded
   * the message into; it is handed back unchanged when delivered.
   */
  receive(now: Instant, ns: number, nr: number, isZlb: boolean, item: T): T[] {
    this.lastNow = now;
    this.counters.received++;
    if (this.dead) return [];
    this.processNr(nr);
    // A ZLB's Ns is our expected Ns and consumes nothing; it only carries an ack.
    if (isZlb) return [];

    const seq = ns & 0xffff;
    const offset = seqDiff(seq, this.nr);
    if (offset < 0) {
      // Already delivered: the peer did not see our ack. Ack again, at once.
      this.counters.duplicates++;
      this.ackBy(now);
      return [];
    }
    if (offset >= this.config.receiveWindow) {
      // The peer overran our window (or is confused): drop, and tell it where we are.
      this.counters.outOfWindow++;
      this.ackBy(now);
      return [];
    }
    if (offset > 0) {
      if (this.reorder.has(seq)) this.counters.duplicates++;
      else {
        this.reorder.set(seq, { item });
        this.counters.outOfOrder++;
      }
      return [];
    }

    const delivered: T[] = [item];
    this.nr = seqNext(this.nr);
    for (let next = this.reorder.get(this.nr); next !== undefined; next = this.reorder.get(this.nr)) {
      this.reorder.delete(this.nr);
      delivered.push(next.item);
      this.nr = seqNext(this.nr);
    }
    // Leave room for the caller's reply to carry the ack; never postpone an earlier deadline.
    this.ackBy(now + this.config.ackDelayMs);
    return delivered;
  }

  /**
   * Request an immediate ZLB (unless a message goes out first and carries the ack), e.g. after
   * receiving StopCCN: RFC 2661 5.7 has the tunnel acknowledge it and then linger.
   */
  flushAck(now: Instant = this.lastNow): void {
    if (this.dead) return;
    this.ackDeadline = now;
  }

  handleTimeout(now: Instant): void {
    this.lastNow = now;
    if (this.dead) return;
    let timedOut = false;
    for (const m of this.unacked) {
      if (m.deadline === undefined || m.deadline > now) continue;
      if (m.retries >= this.config.maxRetransmits) {
        this.fail(m.ns);
        return;
      }
      m.retries++;
      m.rto = Math.min(m.rto * 2, this.config.retransmitMaxMs);
      m.deadline = undefined; // due: pollTransmit sends it
      timedOut = true;
    }
    if (timedOut) {
      // App. A: on a retransmission timeout, halve SSTHRESH (floor 1) and restart slow start.
      this.ssthresh = Math.max(this.cwnd / 2, 1);
      this.cwnd = 1;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Output

  /** The next datagram: a retransmission, a new message, or a ZLB ack; undefined when none. */
  pollTransmit(now: Instant): Uint8Array | undefined {
    this.lastNow = now;
    if (this.dead) return undefined;

    // Retransmissions first: they are already inside the window, and oldest first.
    for (const m of this.unacked) {
      if (m.deadline !== undefined) continue;
      m.deadline = now + m.rto;
      this.counters.retransmitted++;
      return this.stamp(m.message, m.ns);
    }

    const message = this.unacked.length < this.window() ? this.waiting.shift() : undefined;
    if (message !== undefined) {
      const m: Unacked = {
        ns: this.ns,
        message,
        retries: 0,
        rto: this.config.retransmitInitialMs,
        deadline: now + this.config.retransmitInitialMs,
      };
      this.unacked.push(m);
      this.ns = seqNext(this.ns);
      this.counters.sent++;
      return this.stamp(m.message, m.ns);
    }

    if (this.ackDeadline !== undefined && this.ackDeadline <= now) {
      this.counters.zlbSent++;
      return this.zlb();
    }
    return undefined;
  }

  pollEvent(): ChannelEvent | undefined {
    return this.events.shift();
  }

  nextTimeout(): Instant | undefined {
    if (this.dead) return undefined;
    let t = this.ackDeadline;
    for (const m of this.unacked) if (m.deadline !== undefined && (t === undefined || m.deadline < t)) t = m.deadline;
    return t;
  }

  // ---------------------------------------------------------------------------------------------
  // Introspection

  /** Messages sent and not yet acknowledged. */
  get outstanding(): number {
    return this.unacked.length;
  }

  /** Messages waiting for the window. */
  get queued(): number {
    return this.waiting.length;
  }

  /** Nothing unacknowledged and nothing queued (a pending ack does not count). */
  get isIdle(): boolean {
    return this.unacked.length === 0 && this.waiting.length === 0;
  }

  /** Ns the next new message will carry. */
  get nextNs(): number {
    return this.ns;
  }

  /** Ns we expect next from the peer (the Nr we send). */
  get nextNr(): number {
    return this.nr;
  }

  /** True once the retransmission limit was hit; the channel then sends nothing more. */
  get failed(): boolean {
    return this.dead;
  }

  /** Current congestion window (fractional in congestion avoidance). */
  get congestionWindow(): number {
    return this.cwnd;
  }

  get slowStartThreshold(): number {
    return this.ssthresh;
  }

  get stats(): Readonly<ChannelStats> {
    return { ...this.counters };
  }

  // ---------------------------------------------------------------------------------------------
  // Internals

  /** Messages allowed in flight: min(CWND, peer RWS), at least 1. */
  private window(): number {
    return Math.max(1, Math.min(Math.floor(this.cwnd), this.peerRws));
  }

  /** Nr from the peer acknowledges every message of ours with Ns < Nr. */
  private processNr(nr: number): void {
    const oldest = this.unacked[0]?.ns ?? this.ns;
    const acked = seqDiff(nr & 0xffff, oldest);
    // Nothing new (a stale Nr on a duplicate or reordered message) ...
    if (acked <= 0) return;
    // ... or an ack for a message never sent: ignore it rather than corrupt the window.
    if (acked > this.unacked.length) return;
    this.unacked.splice(0, acked);
    for (let i = 0; i < acked; i++) {
      // App. A: +1 per ack in slow start, +1/CWND per ack in congestion avoidance.
      this.cwnd += this.cwnd < this.ssthresh ? 1 : 1 / this.cwnd;
    }
    this.cwnd = Math.min(this.cwnd, this.peerRws);
  }

  /** Make sure an ack goes out no later than `at`. */
  private ackBy(at: Instant): void {
    if (this.ackDeadline === undefined || at < this.ackDeadline) this.ackDeadline = at;
  }

  /** A transmitted copy of `message` with our Ns, current Nr and peer Tunnel ID. */
  private stamp(message: Uint8Array, ns: number): Uint8Array {
    const out = message.slice();
    const v = new DataView(out.buffer, out.byteOffset, out.byteLength);
    v.setUint16(TUNNEL_ID_OFFSET, this.peerTunnelId);
    v.setUint16(NS_OFFSET, ns);
    v.setUint16(NR_OFFSET, this.nr);
    // Whatever goes out carries the current Nr: the pending ack is satisfied.
    this.ackDeadline = undefined;
    return out;
  }

  /** A Zero-Length Body ack: header only, Session ID 0, Ns not consumed (RFC 2661 5.8). */
  private zlb(): Uint8Array {
    const out = new Uint8Array(CONTROL_HEADER_LENGTH);
    const v = new DataView(out.buffer);
    v.setUint16(0, CONTROL_FLAGS_VERSION);
    v.setUint16(LENGTH_OFFSET, CONTROL_HEADER_LENGTH);
    v.setUint16(TUNNEL_ID_OFFSET, this.peerTunnelId);
    v.setUint16(SESSION_ID_OFFSET, 0);
    v.setUint16(NS_OFFSET, this.ns);
    v.setUint16(NR_OFFSET, this.nr);
    this.ackDeadline = undefined;
    return out;
  }

  private fail(ns: number): void {
    this.dead = true;
    this.ackDeadline = undefined;
    this.events.push({ type: 'failed', reason: 'retransmit-limit', ns });
  }
}

function clampWindow(n: number): number {
  // RWS is a 16-bit AVP value; 0 would stall the channel for ever, so treat it as 1.
  return Math.min(0xffff, Math.max(1, Math.floor(n)));
}
