/**
 * Logging seam. Engines receive a `Logger` and call it synchronously; the daemon routes entries to
 * stdout and to the `/log` buffer. Topics follow RouterOS (`l2tp`, `ppp`, `info`, `debug`,
 * `error`, `warning`, `account`, `radius`, `ipsec`), e.g. `['l2tp', 'info']`.
 */
export type LogTopic =
  | 'l2tp'
  | 'ppp'
  | 'lcp'
  | 'ipcp'
  | 'ccp'
  | 'info'
  | 'debug'
  | 'error'
  | 'warning'
  | 'critical'
  | 'account'
  | 'radius'
  | 'ipsec'
  | 'system'
  | 'packet'
  | 'script'
  | 'dns';

export interface LogEntry {
  readonly topics: readonly LogTopic[];
  readonly message: string;
}

export interface Logger {
  log(topics: readonly LogTopic[], message: string): void;
}

/** Discards everything. */
export const nullLogger: Logger = { log() {} };

/** Keeps entries in memory: the in-memory twin used by tests. */
export class MemoryLogger implements Logger {
  readonly entries: LogEntry[] = [];
  log(topics: readonly LogTopic[], message: string): void {
    this.entries.push({ topics, message });
  }
  messages(): string[] {
    return this.entries.map((e) => e.message);
  }
  has(re: RegExp): boolean {
    return this.entries.some((e) => re.test(e.message));
  }
}

/** Prefixes every message (e.g. with `<l2tp-user1>: `) before passing it on. */
export function prefixLogger(inner: Logger, prefix: string): Logger {
  return { log: (topics, message) => inner.log(topics, prefix + message) };
}

/**
 * Logs a message at most once per `intervalMs` per key (e.g. per peer address), counting what it
 * suppressed. Used for bad input from the network, which must never flood the log.
 */
export class RateLimitedLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();
  constructor(
    private readonly logger: Logger,
    private readonly intervalMs: number,
    private readonly maxKeys = 4096,
  ) {}

  log(now: number, key: string, topics: readonly LogTopic[], message: string): void {
    const entry = this.last.get(key);
    if (entry && now - entry.at < this.intervalMs) {
      entry.suppressed++;
      return;
    }
    const suffix = entry && entry.suppressed > 0 ? ` (${entry.suppressed} similar suppressed)` : '';
    if (!entry && this.last.size >= this.maxKeys) {
      // bounded memory: forget the oldest key
      const oldest = this.last.keys().next();
      if (!oldest.done) this.last.delete(oldest.value);
    }
    this.last.set(key, { at: now, suppressed: 0 });
    this.logger.log(topics, message + suffix);
  }
}
