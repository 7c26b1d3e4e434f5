import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { ConfigStore } from '../config/store.js';
import { IpPools, parseRanges, poolDefsFromConfig } from './pools.js';

function ok(r: ReturnType<IpPools['acquire']>): string {
  assert.ok(r.ok, r.ok ? '' : r.message);
  return r.address;
}

test('ranges: a-b, single addresses and prefixes merge into sorted spans', () => {
  assert.deepEqual(parseRanges('10.0.0.10-10.0.0.12,10.0.0.1,10.0.0.13-10.0.0.14'), [
    { first: 0x0a000001, last: 0x0a000001 },
    { first: 0x0a00000a, last: 0x0a00000e },
  ]);
  assert.deepEqual(parseRanges('192.168.1.0/30'), [{ first: 0xc0a80100, last: 0xc0a80103 }]);
  assert.equal(parseRanges('10.0.0.5-10.0.0.1'), undefined);
  assert.equal(parseRanges('bogus'), undefined);
});

test('RouterOS order: descending, and `/ip pool used` shows pool, address, owner, info', () => {
  const pools = new IpPools([{ name: 'vpn', ranges: '10.1.0.2-10.1.0.3,10.1.0.10-10.1.0.11' }]);
  assert.equal(ok(pools.acquire('vpn', '<l2tp-a>', 'a')), '10.1.0.11');
  assert.equal(ok(pools.acquire('vpn', '<l2tp-b>', 'b')), '10.1.0.10');
  assert.equal(ok(pools.acquire('vpn', '<l2tp-c>', 'c')), '10.1.0.3');
  assert.deepEqual(pools.used(), [
    { pool: 'vpn', address: '10.1.0.3', owner: '<l2tp-c>', info: 'c' },
    { pool: 'vpn', address: '10.1.0.10', owner: '<l2tp-b>', info: 'b' },
    { pool: 'vpn', address: '10.1.0.11', owner: '<l2tp-a>', info: 'a' },
  ]);
  assert.equal(pools.free('vpn'), 1);
});

test('"the same ip address is given out to each client" when it is free', () => {
  const pools = new IpPools([{ name: 'vpn', ranges: '10.1.0.1-10.1.0.3' }]);
  const a = ok(pools.acquire('vpn', 'o1', 'alice'));
  const b = ok(pools.acquire('vpn', 'o2', 'bob'));
  assert.ok(pools.release(a));
  assert.ok(pools.release(b));
  // bob returns first and still gets his own address, not alice's older one.
  assert.equal(ok(pools.acquire('vpn', 'o3', 'bob')), b);
  assert.equal(ok(pools.acquire('vpn', 'o4', 'alice')), a);
  // carol is new: the never-used address comes before released ones.
  assert.equal(ok(pools.acquire('vpn', 'o5', 'carol')), '10.1.0.1');
  assert.equal(pools.release('10.1.0.99'), false);
});

test('exhaustion: next-pool chain, then a clear error value; cycles stop', () => {
  const pools = new IpPools([
    { name: 'a', ranges: '10.0.0.1', nextPool: 'b' },
    { name: 'b', ranges: '10.0.1.1', nextPool: 'a' },
  ]);
  assert.deepEqual(pools.acquire('a', 'o1', 'u1'), { ok: true, pool: 'a', address: '10.0.0.1' });
  assert.deepEqual(pools.acquire('a', 'o2', 'u2'), { ok: true, pool: 'b', address: '10.0.1.1' });
  const r = pools.acquire('a', 'o3', 'u3');
  assert.equal(r.ok, false);
  if (!r.ok) {
    assert.equal(r.code, 'POOL_EXHAUSTED');
    assert.match(r.message, /a -> b/);
  }
  const unknown = pools.acquire('zzz', 'o', 'u');
  assert.ok(!unknown.ok && unknown.code === 'POOL_UNKNOWN');
  // Released addresses come back; the remembered one first.
  pools.release('10.0.0.1');
  assert.deepEqual(pools.acquire('a', 'o4', 'u1'), { ok: true, pool: 'a', address: '10.0.0.1' });
});

test('overlapping pools never lease one address twice; reconfigure keeps leases', () => {
  const pools = new IpPools([
    { name: 'p1', ranges: '10.0.0.1-10.0.0.2' },
    { name: 'p2', ranges: '10.0.0.2-10.0.0.3' },
  ]);
  assert.equal(ok(pools.acquire('p1', 'o', 'x')), '10.0.0.2');
  assert.equal(ok(pools.acquire('p2', 'o', 'y')), '10.0.0.3');
  assert.equal(pools.acquire('p2', 'o', 'z').ok, false, '10.0.0.2 is leased from p1');
  assert.equal(ok(pools.acquire('p1', 'o', 'z')), '10.0.0.1');
  pools.configure([{ name: 'p1', ranges: '10.0.0.1-10.0.0.4' }]);
  assert.equal(pools.used().length, 3);
  assert.equal(ok(pools.acquire('p1', 'o', 'w')), '10.0.0.4');
  const r = pools.acquire('p1', 'o', 'v');
  assert.ok(!r.ok, 'the three old leases are skipped by the cursor');
});

test('thousands of addresses: allocation stays fast and unique', () => {
  const pools = new IpPools([{ name: 'big', ranges: '10.0.0.0/16' }]);
  const seen = new Set<string>();
  const t0 = performance.now();
  for (let i = 0; i < 65536; i++) seen.add(ok(pools.acquire('big', `o${i}`, `u${i}`)));
  const all = [...seen];
  for (let i = 0; i < 65536; i += 2) assert.ok(pools.release(all[i]!));
  for (let i = 0; i < 32768; i++) ok(pools.acquire('big', `p${i}`, `n${i}`));
  const ms = performance.now() - t0;
  assert.equal(seen.size, 65536);
  assert.ok(!pools.acquire('big', 'x', 'x').ok);
  assert.ok(ms < 3000, `took ${ms} ms`);
});

test('poolDefsFromConfig reads /ip pool with next-pool', () => {
  const store = new ConfigStore();
  store.add('ip pool', { name: 'b', ranges: '10.0.1.0/24' });
  store.add('ip pool', { name: 'a', ranges: '10.0.0.2-10.0.0.9', 'next-pool': 'b' });
  assert.deepEqual(poolDefsFromConfig(store), [
    { name: 'b', ranges: '10.0.1.0/24' },
    { name: 'a', ranges: '10.0.0.2-10.0.0.9', nextPool: 'b' },
  ]);
});

test('property: any acquire/release sequence keeps leases unique, inside the pool, and counts right', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 9 })), { maxLength: 200 }), (ops) => {
      const pools = new IpPools([{ name: 'p', ranges: '10.0.0.1-10.0.0.5,10.0.0.9' }]);
      const held = new Map<number, string>();
      for (const [acquire, user] of ops) {
        if (acquire && !held.has(user)) {
          const r = pools.acquire('p', `o${user}`, `u${user}`);
          if (r.ok) held.set(user, r.address);
          else assert.equal(held.size, 6);
        } else if (!acquire && held.has(user)) {
          assert.ok(pools.release(held.get(user)!));
          held.delete(user);
        }
        assert.equal(new Set(held.values()).size, held.size);
        assert.equal(pools.used().length, held.size);
        assert.equal(pools.free('p'), 6 - held.size);
      }
    }),
    { numRuns: 500 },
  );
});
