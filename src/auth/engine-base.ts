/**
 * Plumbing shared by every engine in src/auth: the transmit and event queues, the restart timer
 * (RFC 1661 section 4.6 vocabulary: Restart timer, Max-Configure style counter), and the
 * once-only terminal outcome.
 *
 * Invariants: after `finish*()` the engine never emits another event and never arms a timer
 * (late or repeated packets may still be answered, as RFC 1994 section 4.1 asks of an
 * authenticator). Queues hold only what one call produced plus whatever the link has not drained.
 * No I/O: `now` comes in, bytes and events go out.
 */
import type { Logger } from '../core/log.js';
import type { Random } from '../core/random.js';
import { TimerTable, type Instant } from '../core/time.js';
import type { AuthEngineEvent, AuthFailureCode, AuthVerdict } from './types.js';

/** RFC 1661 section 4.6: "The Restart timer ... default value SHOULD be three (3) seconds". */
export const DEFAULT_RESTART_MS = 3000;
/** Tries before giving up (RFC 1661's Max-Configure default is 10). */
export const DEFAULT_MAX_RETRIES = 10;

export interface EngineDeps {
  random: Random;
  logger: Logger;
  restartMs?: number;
  maxRetries?: number;
}

/** Upper bound on queued outputs so a link that never drains cannot grow memory without end. */
const MAX_QUEUE = 64;

export type TimerName = 'restart';

export abstract class EngineBase {
  protected readonly random: Random;
  protected readonly logger: Logger;
  protected readonly restartMs: number;
  protected readonly maxRetries: number;
  protected readonly timers = new TimerTable<TimerName>();
  private readonly transmitQueue: Uint8Array[] = [];
  private readonly eventQueue: AuthEngineEvent[] = [];
  /** Set once the engine reported success or failure. */
  protected finished = false;

  protected constructor(deps: EngineDeps) {
    this.random = deps.random;
    this.logger = deps.logger;
    this.restartMs = positiveOr(deps.restartMs, DEFAULT_RESTART_MS);
    this.maxRetries = Math.floor(positiveOr(deps.maxRetries, DEFAULT_MAX_RETRIES));
  }

  nextTimeout(): Instant | undefined {
    return this.timers.next();
  }

  pollTransmit(): Uint8Array | undefined {
    return this.transmitQueue.shift();
  }

  pollEvent(): AuthEngineEvent | undefined {
    return this.eventQueue.shift();
  }

  protected transmit(packet: Uint8Array): void {
    if (this.transmitQueue.length >= MAX_QUEUE) this.transmitQueue.shift();
    this.transmitQueue.push(packet);
  }

  protected emit(event: AuthEngineEvent): void {
    if (this.eventQueue.length >= MAX_QUEUE) this.eventQueue.shift();
    this.eventQueue.push(event);
  }

  protected finishSuccess(user: string, verdict?: AuthVerdict): void {
    if (this.finished) return;
    this.finished = true;
    this.timers.clear();
    this.emit(verdict === undefined ? { type: 'success', user } : { type: 'success', user, verdict });
  }

  protected finishFailure(code: AuthFailureCode, message: string): void {
    if (this.finished) return;
    this.finished = true;
    this.timers.clear();
    this.emit({ type: 'failure', code, message });
  }

  protected debug(message: string): void {
    this.logger.log(['ppp', 'debug'], message);
  }
}

function positiveOr(v: number | undefined, dflt: number): number {
  return v !== undefined && Number.isFinite(v) && v > 0 ? v : dflt;
}

/** A fresh random Identifier octet. */
export function randomId(random: Random): number {
  return random.fill(new Uint8Array(1))[0]!;
}
