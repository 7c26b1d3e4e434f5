/**
 * Deadlines of many objects (tunnels, PPP links) in an indexed binary min-heap, so that an engine
 * with thousands of sessions answers `nextTimeout()` in O(1) and updates one object's deadline in
 * O(log n), instead of scanning every object after every packet.
 *
 * Invariant: each key is in the heap at most once, `index` maps it to its slot.
 */
import type { Instant } from './time.js';

export class DeadlineQueue<K> {
  private readonly keys: K[] = [];
  private readonly times: Instant[] = [];
  private readonly index = new Map<K, number>();

  get size(): number {
    return this.keys.length;
  }

  /** Sets (or with `undefined` removes) the deadline of `key`. */
  set(key: K, at: Instant | undefined): void {
    const i = this.index.get(key);
    if (at === undefined) {
      if (i !== undefined) this.removeAt(i);
      return;
    }
    if (i === undefined) {
      this.keys.push(key);
      this.times.push(at);
      this.index.set(key, this.keys.length - 1);
      this.up(this.keys.length - 1);
      return;
    }
    const old = this.times[i]!;
    this.times[i] = at;
    if (at < old) this.up(i);
    else if (at > old) this.down(i);
  }

  delete(key: K): void {
    this.set(key, undefined);
  }

  get(key: K): Instant | undefined {
    const i = this.index.get(key);
    return i === undefined ? undefined : this.times[i];
  }

  /** The earliest deadline, or undefined when empty. */
  peek(): Instant | undefined {
    return this.times[0];
  }

  /** Removes and returns the keys whose deadline is at or before `now`, earliest first. */
  popDue(now: Instant): K[] {
    const due: K[] = [];
    while (this.keys.length > 0 && this.times[0]! <= now) {
      due.push(this.keys[0]!);
      this.removeAt(0);
    }
    return due;
  }

  private removeAt(i: number): void {
    const last = this.keys.length - 1;
    this.index.delete(this.keys[i]!);
    if (i !== last) {
      this.keys[i] = this.keys[last]!;
      this.times[i] = this.times[last]!;
      this.index.set(this.keys[i]!, i);
    }
    this.keys.pop();
    this.times.pop();
    if (i < this.keys.length) {
      this.up(i);
      this.down(i);
    }
  }

  private up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.times[p]! <= this.times[i]!) break;
      this.swap(i, p);
      i = p;
    }
  }

  private down(i: number): void {
    const n = this.keys.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.times[l]! < this.times[m]!) m = l;
      if (r < n && this.times[r]! < this.times[m]!) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }

  private swap(a: number, b: number): void {
    const k = this.keys[a]!;
    const t = this.times[a]!;
    this.keys[a] = this.keys[b]!;
    this.times[a] = this.times[b]!;
    this.keys[b] = k;
    this.times[b] = t;
    this.index.set(this.keys[a]!, a);
    this.index.set(this.keys[b]!, b);
  }
}
