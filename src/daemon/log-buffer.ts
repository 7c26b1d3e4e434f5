/**
 * The daemon's logger: every entry goes to stdout as one line, `HH:MM:SS topic,topic message`
 * (systemd's journal adds its own date and host, so the time of day is enough there), and the
 * last `capacity` entries (1000 by default, RouterOS's memory log keeps 1000 lines too) stay in
 * a ring buffer shown by `/log print` through the RuntimeProvider seam (`logRuntime`).
 *
 * Invariants:
 * - One entry is exactly one output line: line breaks inside a message (stack traces) are
 *   folded to ` | ` so a log shipper never splits an entry.
 * - Memory is bounded: the ring holds at most `capacity` entries; the oldest is overwritten.
 * - `/log print` rows keep RouterOS columns (`time`, `topics`, `message`, see the `log` menu in
 *   src/config/schema.ts) and stable ids `*1`, `*2`, ... in hexadecimal, counting every entry
 *   ever logged, so an id never points at a different entry.
 * - Time: wall clock, injected (`clock`), so tests are deterministic. RouterOS prints entries of
 *   today as `HH:MM:SS` and older ones as `mon/dd HH:MM:SS`; so do we, in local time.
 *
 * Call order: any, synchronous. Writing to stdout never throws into the caller (a closed
 * stdout, e.g. the reader of a pipe went away, only loses the copy on stdout).
 */
import type { LogTopic, Logger } from '../core/log.js';
import type { RuntimeProvider, RuntimeRow } from '../config/runtime.js';
import { emptyRuntime } from '../config/runtime.js';

export interface LogRecord {
  /** `*1`, `*2`, ... in hexadecimal. */
  readonly id: string;
  /** Wall-clock milliseconds since the epoch. */
  readonly at: number;
  readonly topics: readonly LogTopic[];
  readonly message: string;
}

export interface LogBufferOptions {
  /** Keep entries with the `debug` topic (default true). */
  readonly debug?: boolean;
  /** Entries kept for `/log print` (default 1000). */
  readonly capacity?: number;
  /** Receives each formatted line (without the newline); default: none. */
  readonly sink?: (line: string) => void;
  /** Wall clock in ms since the epoch (default `Date.now`). */
  readonly clock?: () => number;
}

export const DEFAULT_LOG_CAPACITY = 1000;

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'] as const;

function two(n: number): string {
  return String(n).padStart(2, '0');
}

/** `HH:MM:SS` in local time. */
export function timeOfDay(at: number): string {
  const d = new Date(at);
  return `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** RouterOS `/log print` time: `HH:MM:SS` for today (relative to `now`), else `mon/dd HH:MM:SS`. */
export function logTime(at: number, now: number): string {
  const d = new Date(at);
  const n = new Date(now);
  const sameDay = d.getFullYear() === n.getFullYear() && d.getMonth() === n.getMonth() && d.getDate() === n.getDate();
  return sameDay ? timeOfDay(at) : `${MONTHS[d.getMonth()] ?? 'jan'}/${two(d.getDate())} ${timeOfDay(at)}`;
}

/** One line per entry: line breaks in the message are folded. */
export function oneLine(message: string): string {
  return message.replace(/\r?\n/g, ' | ');
}

/** The stdout line of an entry: `HH:MM:SS topic,topic message`. */
export function formatLogLine(at: number, topics: readonly LogTopic[], message: string): string {
  return `${timeOfDay(at)} ${topics.join(',')} ${oneLine(message)}`;
}

export class LogBuffer implements Logger {
  private readonly ring: (LogRecord | undefined)[];
  private readonly capacity: number;
  private readonly clock: () => number;
  private readonly sink: ((line: string) => void) | undefined;
  /** Entries ever logged; the next entry's index in the ring is `count % capacity`. */
  private count = 0;

  constructor(opts: LogBufferOptions = {}) {
    this.capacity = Math.max(1, Math.floor(opts.capacity ?? DEFAULT_LOG_CAPACITY));
    this.ring = new Array<LogRecord | undefined>(this.capacity).fill(undefined);
    this.clock = opts.clock ?? Date.now;
    this.sink = opts.sink;
    this.debug = opts.debug ?? true;
  }

  /** Whether `debug` entries are kept (RouterOS logs no debug topics unless asked). */
  private readonly debug: boolean;

  log(topics: readonly LogTopic[], message: string): void {
    if (!this.debug && topics.includes('debug')) return;
    const at = this.clock();
    this.count++;
    const record: LogRecord = { id: `*${this.count.toString(16).toUpperCase()}`, at, topics: [...topics], message: oneLine(message) };
    this.ring[(this.count - 1) % this.capacity] = record;
    if (this.sink) {
      try {
        this.sink(formatLogLine(at, topics, message));
      } catch {
        // The copy on stdout is best effort; the buffer already has the entry.
      }
    }
  }

  /** Kept entries, oldest first. */
  entries(): LogRecord[] {
    const out: LogRecord[] = [];
    const kept = Math.min(this.count, this.capacity);
    for (let i = this.count - kept; i < this.count; i++) {
      const r = this.ring[i % this.capacity];
      if (r) out.push(r);
    }
    return out;
  }

  /** Rows of the `log` runtime menu. */
  rows(): RuntimeRow[] {
    const now = this.clock();
    return this.entries().map((e) => ({
      id: e.id,
      values: { time: logTime(e.at, now), topics: e.topics.join(','), message: e.message },
    }));
  }
}

/** A RuntimeProvider that answers the `log` menu from a LogBuffer and nothing else. */
export function logRuntime(buffer: LogBuffer): RuntimeProvider {
  return {
    ...emptyRuntime,
    rows: (menu) => (menu === 'log' ? buffer.rows() : []),
  };
}

/** A sink for `LogBufferOptions.sink` that writes lines to a stream, ignoring write errors. */
export function streamSink(stream: NodeJS.WritableStream): (line: string) => void {
  // EPIPE on a closed stdout arrives as an 'error' event; without a listener it would crash us.
  stream.on('error', () => {});
  return (line) => {
    stream.write(`${line}\n`);
  };
}
