/**
 * Per-session shaping for RouterOS `rate-limit` / Mikrotik-Rate-Limit: a token bucket per
 * direction, asked once per packet by the data path (`DataRateLimiter.admit`). Packets over the
 * rate are dropped (policing, as a PPP interface queue that overflows would).
 *
 * RouterOS bursts ("rx/tx rx-burst/tx-burst rx-threshold/tx-threshold rx-time/tx-time") let a
 * session run at the burst rate while its average over burst-time stays under the threshold. We
 * keep that shape with two buckets: the base bucket refills at the rate, and the burst bucket,
 * when configured, refills at the burst rate and may be used only while the average measured
 * over burst-time is below the threshold. Without bursts the bucket holds 100 ms of traffic
 * (at least two full-size packets) so ordinary TCP is not starved by its own burstiness.
 */
import type { Instant } from '../core/time.js';
import type { DataRateLimiter } from './datapath.js';

const BASE_WINDOW_MS = 100;
const MIN_BUCKET_BYTES = 2 * 1500;

export interface BucketSpec {
  /** bits per second; 0 = unlimited. */
  readonly rate: number;
  readonly burstRate?: number;
  readonly threshold?: number;
  readonly burstTimeMs?: number;
}

export class TokenBucket implements DataRateLimiter {
  private tokens: number;
  private readonly capacity: number;
  private readonly bytesPerMs: number;
  private last: Instant | undefined;
  private readonly burstBytesPerMs: number;
  private readonly thresholdBytesPerMs: number;
  private readonly burstTimeMs: number;
  /** Exponential moving average of the admitted rate (bytes/ms) over burst-time. */
  private average = 0;
  dropped = 0;

  constructor(spec: BucketSpec) {
    this.bytesPerMs = spec.rate / 8000;
    const burst = spec.burstRate !== undefined && spec.burstRate > spec.rate && spec.burstTimeMs !== undefined && spec.burstTimeMs > 0;
    this.burstBytesPerMs = burst ? spec.burstRate! / 8000 : this.bytesPerMs;
    this.thresholdBytesPerMs = burst ? (spec.threshold ?? spec.rate) / 8000 : 0;
    this.burstTimeMs = burst ? spec.burstTimeMs! : 0;
    this.capacity = Math.max(MIN_BUCKET_BYTES, this.burstBytesPerMs * BASE_WINDOW_MS);
    this.tokens = this.capacity;
  }

  admit(now: Instant, bytes: number): boolean {
    if (this.bytesPerMs <= 0) return true;
    const elapsed = this.last === undefined ? 0 : Math.max(0, now - this.last);
    this.last = now;
    // While bursting is allowed the bucket refills at the burst rate, else at the base rate.
    const bursting = this.burstTimeMs > 0 && this.average < this.thresholdBytesPerMs;
    const refill = bursting ? this.burstBytesPerMs : this.bytesPerMs;
    this.tokens = Math.min(this.capacity, this.tokens + elapsed * refill);
    if (this.burstTimeMs > 0) {
      const w = Math.min(1, elapsed / this.burstTimeMs);
      this.average = this.average * (1 - w) + (elapsed > 0 ? (bytes / elapsed) * w : 0);
    }
    if (this.tokens < bytes) {
      this.dropped++;
      return false;
    }
    this.tokens -= bytes;
    return true;
  }
}
