/**
 * `/ip pool` address allocator, as RouterOS's: pools of ranges (`a-b`, single addresses and
 * prefixes, comma-separated), `next-pool` chaining when a pool is exhausted, and `/ip pool used`
 * rows (pool, address, owner, info).
 *
 * RouterOS behaviour kept here:
 *  - "Whenever possible, the same ip address is given out to each client (OWNER/INFO pair)": the
 *    last address of each `info` (for PPP the user name) is remembered per pool and given back
 *    when it is free.
 *  - Addresses are handed out in descending order ("In RouterOS addresses are given out in
 *    descending order", MikroTik forum; its DHCP and PPP pools start at the top of the range).
 *  - A prefix range means every address of the prefix, as written (RouterOS does not skip
 *    network or broadcast addresses in pools either).
 *  - When a pool and its next-pool chain have nothing free, `acquire` returns a POOL_EXHAUSTED
 *    value (the caller refuses the login with a log line); a chain that loops back is followed
 *    once around and then stops (cycle-safe).
 *
 * Efficiency (thousands of addresses, no O(n) scan per allocation): each pool keeps a cursor
 * over its never-used addresses (walking down from the top), a FIFO set of released addresses
 * (oldest released first, so a user's old address survives longest for when they return), and
 * the per-user memory. Allocation and release are O(1) amortised; the cursor only skips
 * addresses still leased after a reconfiguration.
 *
 * Invariants: an address is leased at most once across all pools (overlapping pools cannot hand
 * out the same address twice); `configure` keeps existing leases (they show in `used` until
 * released, even if their pool changed or vanished). Pure: no I/O, no time.
 */
import type { ConfigStore } from '../config/store.js';
import { formatIpv4, networkOf, parseIpv4, parsePrefix } from '../config/values.js';

export interface PoolDef {
  readonly name: string;
  /** Canonical `/ip pool ranges` text: `10.0.0.2-10.0.0.99,10.0.1.0/24,10.0.2.1`. */
  readonly ranges: string;
  /** `none` or undefined for no chaining. */
  readonly nextPool?: string;
}

export type PoolErrorCode = 'POOL_UNKNOWN' | 'POOL_EXHAUSTED' | 'POOL_BAD_RANGES';

export interface PoolFailure {
  readonly ok: false;
  readonly code: PoolErrorCode;
  readonly message: string;
}

export type PoolAllocation = { readonly ok: true; readonly pool: string; readonly address: string } | PoolFailure;

/** One `/ip pool used` row. */
export interface PoolUsedRow {
  readonly pool: string;
  readonly address: string;
  readonly owner: string;
  readonly info: string;
}

interface Lease {
  readonly pool: string;
  readonly owner: string;
  readonly info: string;
}

/** Inclusive numeric range. */
interface Span {
  readonly first: number;
  readonly last: number;
}

class Pool {
  /** Never-used addresses: spans[spanIndex] from `cursor` downwards, then lower spans. */
  private spanIndex: number;
  private cursor: number;
  /** Released addresses, oldest first (Set keeps insertion order; delete is O(1)). */
  readonly released = new Set<number>();
  /** info (user) -> last address this pool gave them. */
  readonly lastByInfo = new Map<string, number>();
  readonly size: number;

  constructor(
    readonly name: string,
    readonly spans: readonly Span[],
    readonly nextPool: string | undefined,
  ) {
    this.spanIndex = spans.length - 1;
    this.cursor = spans[this.spanIndex]?.last ?? -1;
    this.size = spans.reduce((n, s) => n + (s.last - s.first + 1), 0);
  }

  contains(a: number): boolean {
    // Spans are few (the ranges a user typed); a linear check is fine here.
    return this.spans.some((s) => a >= s.first && a <= s.last);
  }

  /** Next never-used address not currently leased, or undefined when the cursor is done. */
  takeFresh(isLeased: (a: number) => boolean): number | undefined {
    while (this.spanIndex >= 0) {
      const span = this.spans[this.spanIndex]!;
      if (this.cursor < span.first) {
        this.spanIndex--;
        this.cursor = this.spans[this.spanIndex]?.last ?? -1;
        continue;
      }
      const a = this.cursor--;
      if (!isLeased(a)) return a;
    }
    return undefined;
  }
}

/** Parses canonical `ranges` text into sorted, merged spans; undefined on bad text. */
export function parseRanges(text: string): Span[] | undefined {
  const spans: Span[] = [];
  for (const part of text.split(',')) {
    const p = part.trim();
    if (p === '') continue;
    const dash = p.indexOf('-');
    if (dash >= 0) {
      const a = parseIpv4(p.slice(0, dash));
      const b = parseIpv4(p.slice(dash + 1));
      if (a === undefined || b === undefined || a > b) return undefined;
      spans.push({ first: a, last: b });
    } else if (p.includes('/')) {
      const pre = parsePrefix(p);
      if (!pre) return undefined;
      const first = networkOf(pre.addr, pre.len);
      spans.push({ first, last: first + 2 ** (32 - pre.len) - 1 });
    } else {
      const a = parseIpv4(p);
      if (a === undefined) return undefined;
      spans.push({ first: a, last: a });
    }
  }
  spans.sort((x, y) => x.first - y.first);
  const merged: Span[] = [];
  for (const s of spans) {
    const prev = merged[merged.length - 1];
    if (prev && s.first <= prev.last + 1) merged[merged.length - 1] = { first: prev.first, last: Math.max(prev.last, s.last) };
    else merged.push(s);
  }
  return merged;
}

/** `/ip pool` items of a configuration. */
export function poolDefsFromConfig(store: ConfigStore): PoolDef[] {
  return store.items('ip pool').flatMap((i) => {
    const name = i.values['name'];
    const ranges = i.values['ranges'];
    if (name === undefined || ranges === undefined) return [];
    const next = i.values['next-pool'];
    return [{ name, ranges, ...(next !== undefined && next !== 'none' ? { nextPool: next } : {}) }];
  });
}

export class IpPools {
  private pools = new Map<string, Pool>();
  private readonly leases = new Map<number, Lease>();
  private readonly leasedPerPool = new Map<string, number>();

  constructor(defs: readonly PoolDef[] = []) {
    this.configure(defs);
  }

  /**
   * Replaces the pool definitions (an `/ip pool` change). Leases stay; per-user memory is kept
   * for pools whose ranges did not change.
   */
  configure(defs: readonly PoolDef[]): PoolFailure | undefined {
    const next = new Map<string, Pool>();
    for (const d of defs) {
      const spans = parseRanges(d.ranges);
      if (!spans) return { ok: false, code: 'POOL_BAD_RANGES', message: `pool ${d.name}: bad ranges ${d.ranges}` };
      const pool = new Pool(d.name, spans, d.nextPool === 'none' ? undefined : d.nextPool);
      const old = this.pools.get(d.name);
      if (old && JSON.stringify(old.spans) === JSON.stringify(spans)) {
        for (const [k, v] of old.lastByInfo) pool.lastByInfo.set(k, v);
      }
      next.set(d.name, pool);
    }
    this.pools = next;
    return undefined;
  }

  has(name: string): boolean {
    return this.pools.has(name);
  }

  /**
   * An address for `owner` (e.g. the interface `<l2tp-alice>`) with `info` (the user name) from
   * `pool`, following next-pool when it is exhausted.
   */
  acquire(pool: string, owner: string, info: string): PoolAllocation {
    const first = this.pools.get(pool);
    if (!first) return { ok: false, code: 'POOL_UNKNOWN', message: `no such pool ${pool}` };
    const visited = new Set<string>();
    for (let p: Pool | undefined = first; p && !visited.has(p.name); p = p.nextPool === undefined ? undefined : this.pools.get(p.nextPool)) {
      visited.add(p.name);
      const a = this.takeFrom(p, info);
      if (a !== undefined) {
        this.leases.set(a, { pool: p.name, owner, info });
        this.leasedPerPool.set(p.name, (this.leasedPerPool.get(p.name) ?? 0) + 1);
        p.lastByInfo.set(info, a);
        return { ok: true, pool: p.name, address: formatIpv4(a) };
      }
    }
    return { ok: false, code: 'POOL_EXHAUSTED', message: `pool ${[...visited].join(' -> ')} has no free address` };
  }

  /** Returns an address to its pool. False when it was not leased. */
  release(address: string): boolean {
    const a = parseIpv4(address);
    if (a === undefined) return false;
    const lease = this.leases.get(a);
    if (!lease) return false;
    this.leases.delete(a);
    this.leasedPerPool.set(lease.pool, Math.max(0, (this.leasedPerPool.get(lease.pool) ?? 1) - 1));
    const pool = this.pools.get(lease.pool);
    if (pool?.contains(a)) pool.released.add(a);
    return true;
  }

  /** `/ip pool used`, in address order. */
  used(): PoolUsedRow[] {
    return [...this.leases.entries()]
      .sort((x, y) => x[0] - y[0])
      .map(([a, l]) => ({ pool: l.pool, address: formatIpv4(a), owner: l.owner, info: l.info }));
  }

  /** Free addresses in one pool (not following next-pool). */
  free(pool: string): number {
    const p = this.pools.get(pool);
    return p ? p.size - (this.leasedPerPool.get(pool) ?? 0) : 0;
  }

  isLeased(address: string): boolean {
    const a = parseIpv4(address);
    return a !== undefined && this.leases.has(a);
  }

  private takeFrom(p: Pool, info: string): number | undefined {
    const remembered = p.lastByInfo.get(info);
    if (remembered !== undefined && !this.leases.has(remembered) && p.contains(remembered)) {
      p.released.delete(remembered);
      // A remembered address that the cursor has not passed yet is skipped by it later
      // (takeFresh checks the lease table).
      return remembered;
    }
    const fresh = p.takeFresh((a) => this.leases.has(a));
    if (fresh !== undefined) return fresh;
    for (const a of p.released) {
      p.released.delete(a);
      if (!this.leases.has(a)) return a;
    }
    return undefined;
  }
}
