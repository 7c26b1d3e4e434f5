/**
 * Per-session rate limits for RouterOS `rate-limit` / Mikrotik-Rate-Limit, rx/tx from the
 * router's point of view (rx = what the client sends us, tx = what we send the client).
 *
 * RouterOS puts a PPP session's rate-limit into a dynamic simple queue: packets over the rate wait
 * in a bounded FIFO and leave when the rate allows (shaping); only a full queue drops. We do the
 * same where we own the queue, on tx: the packet read from the session's TUN goes out at once if
 * the bucket has tokens, else into the session's `Shaper` ring, which the service drains from its
 * `handleTimeout` at the time `nextRelease()` names (engines get time as `now`; no timers here).
 * On rx the packet has already crossed the network, and holding it back would only add latency,
 * so that direction polices (a `TokenBucket` that drops), as a queue whose overflow drops would.
 *
 * Bucket: refills at the rate; with bursts ("rx/tx rx-burst/tx-burst rx-threshold/tx-threshold
 * rx-time/tx-time") it refills at the burst rate while the average over burst-time is below the
 * threshold, RouterOS's burst rule. The average is an exponential moving average with time
 * constant burst-time. The bucket holds 100 ms of traffic at the refill rate (at least two
 * full-size packets), so ordinary TCP is not starved by its own burstiness. A packet larger than
 * the bucket passes when the bucket is full (tokens go negative), so nothing can wait forever.
 *
 * Shaper queue: a ring of preallocated slots (RouterOS's `default-small` PPP queue is a pfifo; we
 * keep `SHAPER_QUEUE_PACKETS` slots of `SHAPER_SLOT_BYTES`), allocated on the first packet that
 * has to wait, then reused: no allocation per packet. FIFO: once something waits, every new packet
 * queues behind it. A packet larger than a slot is dropped (the data path already refused packets
 * over the session MTU, so this only happens with a max-mtu over the slot size).
 *
 * `configure(spec)` changes the rates in place (a CoA's new Mikrotik-Rate-Limit): the queue and
 * the tokens in hand are kept (tokens clipped to the new bucket size), the new rate applies from
 * the next packet or release.
 *
 * Call order (shaper): `offer(now, packet)` per packet ('send' / 'queued' / 'drop'); the owner
 * asks `nextRelease()` for its timeout and, at that time, `releasable(now)` (the head's length,
 * its tokens taken, or 0) then `popInto(out, offset)` per released packet.
 */
import type { Instant } from '../core/time.js';
import type { RateLimit } from '../aaa/policy.js';
import type { DataRateLimiter, DataShaper, SessionRateLimiters, ShaperVerdict } from './datapath.js';

const BASE_WINDOW_MS = 100;
const MIN_BUCKET_BYTES = 2 * 1500;
/** Packets a session's tx queue holds (RouterOS default-small: pfifo, 10 packets; a bit more for timer slack). */
export const SHAPER_QUEUE_PACKETS = 64;
/** Bytes of one queue slot: the largest IP packet a queue keeps. */
export const SHAPER_SLOT_BYTES = 2048;

export interface BucketSpec {
  /** bits per second; 0 = unlimited. */
  readonly rate: number;
  readonly burstRate?: number;
  readonly threshold?: number;
  readonly burstTimeMs?: number;
}

export class TokenBucket implements DataRateLimiter {
  private tokens = 0;
  private capacity = MIN_BUCKET_BYTES;
  private bytesPerMs = 0;
  private burstBytesPerMs = 0;
  private thresholdBytesPerMs = 0;
  private burstTimeMs = 0;
  private last: Instant | undefined;
  /** Exponential moving average of the admitted rate (bytes/ms), time constant burst-time. */
  private average = 0;
  /** Packets refused by `admit` (policing). */
  dropped = 0;

  constructor(spec: BucketSpec) {
    this.configure(spec);
    this.tokens = this.capacity;
  }

  /** New rates; tokens in hand are kept, clipped to the new bucket size. */
  configure(spec: BucketSpec): void {
    this.bytesPerMs = spec.rate / 8000;
    const burst = spec.burstRate !== undefined && spec.burstRate > spec.rate && spec.burstTimeMs !== undefined && spec.burstTimeMs > 0;
    this.burstBytesPerMs = burst ? spec.burstRate! / 8000 : this.bytesPerMs;
    this.thresholdBytesPerMs = burst ? (spec.threshold ?? spec.rate) / 8000 : 0;
    this.burstTimeMs = burst ? spec.burstTimeMs! : 0;
    this.capacity = Math.max(MIN_BUCKET_BYTES, this.burstBytesPerMs * BASE_WINDOW_MS);
    this.tokens = Math.min(this.tokens, this.capacity);
  }

  get unlimited(): boolean {
    return this.bytesPerMs <= 0;
  }

  /** Policing: takes the tokens of a packet, or refuses it (counted). */
  admit(now: Instant, bytes: number): boolean {
    if (this.bytesPerMs <= 0) return true;
    this.refill(now);
    if (this.take(bytes)) return true;
    this.dropped++;
    return false;
  }

  /** Adds the tokens earned since the last call. */
  refill(now: Instant): void {
    const elapsed = this.last === undefined ? 0 : Math.max(0, now - this.last);
    this.last = now;
    if (elapsed === 0) return;
    this.tokens = Math.min(this.capacity, this.tokens + elapsed * this.refillRate());
    if (this.burstTimeMs > 0) this.average *= 1 - Math.min(1, elapsed / this.burstTimeMs);
  }

  /** Takes `bytes` tokens if they are there (or the bucket is full); call `refill` first. */
  take(bytes: number): boolean {
    if (this.bytesPerMs <= 0) return true;
    if (this.tokens < bytes && this.tokens < this.capacity) return false;
    this.tokens -= bytes;
    if (this.burstTimeMs > 0) this.average += bytes / this.burstTimeMs;
    return true;
  }

  /** When `bytes` tokens will be in hand at the current refill rate (the last refill if now). */
  readyAt(bytes: number): Instant {
    const last = this.last ?? 0;
    const need = Math.min(bytes, this.capacity) - this.tokens;
    if (need <= 0 || this.bytesPerMs <= 0) return last;
    return last + Math.ceil(need / this.refillRate());
  }

  /** While bursting is allowed the bucket refills at the burst rate, else at the base rate. */
  private refillRate(): number {
    return this.burstTimeMs > 0 && this.average < this.thresholdBytesPerMs ? this.burstBytesPerMs : this.bytesPerMs;
  }
}

export class Shaper implements DataShaper {
  readonly bucket: TokenBucket;
  private ring: Uint8Array | undefined;
  private readonly lengths: Uint32Array;
  private head = 0;
  private count = 0;
  /** Packets dropped because the queue was full (or the packet larger than a slot). */
  dropped = 0;
  /** Packets that had to wait. */
  delayed = 0;

  constructor(
    spec: BucketSpec,
    private readonly slots: number = SHAPER_QUEUE_PACKETS,
    private readonly slotBytes: number = SHAPER_SLOT_BYTES,
  ) {
    this.bucket = new TokenBucket(spec);
    this.lengths = new Uint32Array(Math.max(1, slots));
  }

  configure(spec: BucketSpec): void {
    this.bucket.configure(spec);
  }

  get queued(): number {
    return this.count;
  }

  offer(now: Instant, packet: Uint8Array): ShaperVerdict {
    if (this.count === 0) {
      this.bucket.refill(now);
      if (this.bucket.take(packet.length)) return 'send';
    }
    if (this.count >= this.lengths.length || packet.length > this.slotBytes) {
      this.dropped++;
      return 'drop';
    }
    this.ring ??= new Uint8Array(this.lengths.length * this.slotBytes);
    const slot = (this.head + this.count) % this.lengths.length;
    this.ring.set(packet, slot * this.slotBytes);
    this.lengths[slot] = packet.length;
    this.count++;
    this.delayed++;
    return 'queued';
  }

  releasable(now: Instant): number {
    if (this.count === 0) return 0;
    const n = this.lengths[this.head]!;
    this.bucket.refill(now);
    return this.bucket.take(n) ? n : 0;
  }

  popInto(out: Uint8Array, offset: number): number {
    if (this.count === 0 || !this.ring) return 0;
    const n = this.lengths[this.head]!;
    const from = this.head * this.slotBytes;
    out.set(this.ring.subarray(from, from + n), offset);
    this.head = (this.head + 1) % this.lengths.length;
    this.count--;
    return n;
  }

  nextRelease(): Instant | undefined {
    return this.count === 0 ? undefined : this.bucket.readyAt(this.lengths[this.head]!);
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
  }
}

function rxSpec(rl: RateLimit): BucketSpec {
  return {
    rate: rl.rx,
    ...(rl.burstRx !== undefined ? { burstRate: rl.burstRx } : {}),
    ...(rl.thresholdRx !== undefined ? { threshold: rl.thresholdRx } : {}),
    ...(rl.burstTimeRxMs !== undefined ? { burstTimeMs: rl.burstTimeRxMs } : {}),
  };
}

function txSpec(rl: RateLimit): BucketSpec {
  return {
    rate: rl.tx,
    ...(rl.burstTx !== undefined ? { burstRate: rl.burstTx } : {}),
    ...(rl.thresholdTx !== undefined ? { threshold: rl.thresholdTx } : {}),
    ...(rl.burstTimeTxMs !== undefined ? { burstTimeMs: rl.burstTimeTxMs } : {}),
  };
}

/** Where a session's limiters live: the DataPath (fast path) or PppOverL2tp (either path). */
export interface RateLimitHost<K> {
  rateLimiters(key: K): SessionRateLimiters | undefined;
  setRateLimiters(key: K, limiters: SessionRateLimiters): boolean;
}

/**
 * Puts a session's rate-limit into its data path, or changes it in place: rx is policed, tx
 * shaped. `undefined` (or 0/0) removes the limits; packets still waiting are then sent by the
 * next release as if the limit were gone. False when the host has no such session.
 */
export function applyRateLimit<K>(dataPath: RateLimitHost<K>, key: K, rl: RateLimit | undefined): boolean {
  const current = dataPath.rateLimiters(key);
  if (!current) return false;
  if (rl === undefined) {
    // Packets already waiting still leave, now unlimited; the shaper goes once they have.
    const shaper = current.txShaper instanceof Shaper && current.txShaper.queued > 0 ? current.txShaper : undefined;
    shaper?.configure({ rate: 0 });
    return dataPath.setRateLimiters(key, shaper ? { txShaper: shaper } : {});
  }
  const rx = current.rx instanceof TokenBucket ? current.rx : new TokenBucket(rxSpec(rl));
  rx.configure(rxSpec(rl));
  const tx = current.txShaper instanceof Shaper ? current.txShaper : new Shaper(txSpec(rl));
  tx.configure(txSpec(rl));
  return dataPath.setRateLimiters(key, { rx, txShaper: tx });
}
