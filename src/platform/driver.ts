/**
 * Drives one I/O-free engine with the real clock: the only place where an engine's
 * `nextTimeout()` becomes a `setTimeout`.
 *
 * The engine contract (ARCHITECTURE.md, after quinn-proto and smoltcp): inputs are handed in
 * with `now`, outputs are polled out, and `nextTimeout()` says when to come back. This driver:
 * - `input(fn)`: runs `fn(now)` (which calls e.g. `engine.handleDatagram(now, bytes)`), then
 *   `pump(now)` (the owner drains `pollTransmit()` / `pollEvent()`), then re-arms the timer;
 * - on the timer: `engine.handleTimeout(now)`, `pump(now)`, re-arm.
 *
 * Invariants:
 * - At most one timer is armed, at the engine's `nextTimeout()`; none when it returns undefined.
 * - Never a busy loop: a deadline at or before `now` is served after at least 1 ms (Node's own
 *   floor for setTimeout), so an engine that fails to clear an expired deadline costs at most one
 *   `handleTimeout` per millisecond, not a spinning CPU.
 * - Node timers count whole milliseconds on the event loop's cached clock and may fire a fraction
 *   of a millisecond before `now()` reaches the deadline. The engine then sees `now < deadline`;
 *   engines must tolerate an early `handleTimeout` (TimerTable.expired simply returns nothing)
 *   and the driver re-arms for the remainder.
 * - After `stop()` nothing runs: no timer, and `input()` is ignored.
 * - Errors thrown by an input, the engine or the pump go to `onError` when given (the driver keeps
 *   running); otherwise they propagate (from a timer: an uncaught exception, as Node does).
 */
import type { Instant } from '../core/time.js';
import { monotonicNow } from './clock.js';

export interface DrivableEngine {
  handleTimeout(now: Instant): void;
  nextTimeout(): Instant | undefined;
}

export interface EngineDriverOptions {
  /** The clock; default `monotonicNow` (performance.now()). */
  now?: () => Instant;
  /** Called after every input and every timeout: the owner drains pollTransmit/pollEvent. */
  pump: (now: Instant) => void;
  /** Unref the timer so that a driver alone does not keep the process alive. Default false. */
  unref?: boolean;
  /** Receives errors thrown by inputs, the engine or the pump; without it they propagate. */
  onError?: (err: unknown) => void;
}

/** Shortest delay the driver arms, in ms: the guard against a busy loop. */
export const MIN_TIMER_DELAY_MS = 1;

export class EngineDriver {
  private readonly now: () => Instant;
  private readonly pump: (now: Instant) => void;
  private readonly unref: boolean;
  private readonly onError: ((err: unknown) => void) | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private armedFor: Instant | undefined;
  private stopped = false;
  /** How many times the timer fired (for tests and diagnostics). */
  timeouts = 0;

  constructor(
    private readonly engine: DrivableEngine,
    opts: EngineDriverOptions,
  ) {
    this.now = opts.now ?? monotonicNow;
    this.pump = opts.pump;
    this.unref = opts.unref ?? false;
    this.onError = opts.onError;
    // The engine may already have a deadline (e.g. a LAC that queued its SCCRQ in its constructor).
    this.rearm(this.now());
  }

  /** Runs an input handler, pumps, and re-arms the timer. */
  input(fn: (now: Instant) => void): void {
    if (this.stopped) return;
    const now = this.now();
    this.guard(() => {
      fn(now);
      this.pump(now);
    });
    if (!this.stopped) this.rearm(this.now());
  }

  /** The deadline the timer is armed for, or undefined. */
  armedDeadline(): Instant | undefined {
    return this.armedFor;
  }

  isStopped(): boolean {
    return this.stopped;
  }

  stop(): void {
    this.stopped = true;
    this.disarm();
  }

  private fire(): void {
    this.timer = undefined;
    this.armedFor = undefined;
    if (this.stopped) return;
    this.timeouts++;
    const now = this.now();
    this.guard(() => {
      this.engine.handleTimeout(now);
      this.pump(now);
    });
    if (!this.stopped) this.rearm(this.now());
  }

  private rearm(now: Instant): void {
    let deadline: Instant | undefined;
    this.guard(() => {
      deadline = this.engine.nextTimeout();
    });
    if (deadline === undefined) {
      this.disarm();
      return;
    }
    // Same deadline already armed: keep the timer (inputs often leave the deadline unchanged).
    if (this.timer !== undefined && this.armedFor === deadline) return;
    this.disarm();
    const delay = Math.max(MIN_TIMER_DELAY_MS, Math.ceil(deadline - now));
    this.armedFor = deadline;
    this.timer = setTimeout(() => this.fire(), delay);
    if (this.unref) this.timer.unref();
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = undefined;
  }

  private guard(fn: () => void): void {
    if (this.onError === undefined) {
      fn();
      return;
    }
    try {
      fn();
    } catch (err) {
      this.onError(err);
    }
  }
}
