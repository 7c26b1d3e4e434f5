/**
 * Time for engines. Engines never read a clock: the driver passes `now` (an Instant) into every
 * handle/poll call, and asks `nextTimeout()` when to come back (the quinn-proto / smoltcp contract).
 *
 * Instant: milliseconds on a monotonic clock with an arbitrary origin. Only differences matter.
 */
export type Instant = number;

/** Milliseconds, as a duration. */
export type Millis = number;

/**
 * A small table of named deadlines, as quinn's `TimerTable`. An engine keeps one per object and
 * reports `next()` as its `nextTimeout()`; on `handleTimeout(now)` it asks `expired(now)`.
 */
export class TimerTable<Name extends string> {
  private readonly deadlines = new Map<Name, Instant>();

  set(name: Name, at: Instant): void {
    this.deadlines.set(name, at);
  }

  stop(name: Name): void {
    this.deadlines.delete(name);
  }

  get(name: Name): Instant | undefined {
    return this.deadlines.get(name);
  }

  isSet(name: Name): boolean {
    return this.deadlines.has(name);
  }

  clear(): void {
    this.deadlines.clear();
  }

  /** The earliest deadline, or undefined when no timer runs. */
  next(): Instant | undefined {
    let min: Instant | undefined;
    for (const at of this.deadlines.values()) if (min === undefined || at < min) min = at;
    return min;
  }

  /** Removes and returns the timers whose deadline is at or before `now`, earliest first. */
  expired(now: Instant): Name[] {
    const due: Array<[Name, Instant]> = [];
    for (const [name, at] of this.deadlines) if (at <= now) due.push([name, at]);
    due.sort((a, b) => a[1] - b[1]);
    for (const [name] of due) this.deadlines.delete(name);
    return due.map(([name]) => name);
  }
}

/** Earliest of several optional instants. */
export function earliest(...times: Array<Instant | undefined>): Instant | undefined {
  let min: Instant | undefined;
  for (const t of times) if (t !== undefined && (min === undefined || t < min)) min = t;
  return min;
}
