import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { IpError, IpRoute2, ipCommands } from './netlink-or-ip.js';

/** Root + netns tests skip with a reason when not root, except under CI where they must run. */
function needRootReason(): string | undefined {
  if (process.getuid?.() === 0) return undefined;
  if (process.env['CI'] === 'true') throw new Error('CI=true but not root: netns tests must run in CI');
  return 'needs root to create network namespaces';
}

function assertArgError(fn: () => unknown): void {
  assert.throws(fn, (e: unknown) => e instanceof IpError && e.code === 'IP_ERR_ARG');
}

test('ipCommands build exact argument lists', () => {
  assert.deepEqual(ipCommands.addPointToPoint('l2tp-u1', '10.0.0.1', '10.0.0.2'), [
    'addr', 'add', '10.0.0.1', 'peer', '10.0.0.2', 'dev', 'l2tp-u1',
  ]);
  assert.deepEqual(ipCommands.addRoute('192.168.5.0/24', 'l2tp-u1'), ['route', 'add', '192.168.5.0/24', 'dev', 'l2tp-u1']);
  assert.deepEqual(ipCommands.addRoute('default', undefined, { via: '10.0.0.2', metric: 5, table: 100 }), [
    'route', 'add', 'default', 'via', '10.0.0.2', 'metric', '5', 'table', '100',
  ]);
  assert.deepEqual(ipCommands.delRoute('2001:db8::/64', 'x0'), ['route', 'del', '2001:db8::/64', 'dev', 'x0']);
  assert.deepEqual(ipCommands.setLink('x0', { up: false, mtu: 1400 }), ['link', 'set', 'dev', 'x0', 'down', 'mtu', '1400']);
  assert.deepEqual(ipCommands.deleteLink('x0'), ['link', 'del', 'dev', 'x0']);
  assert.deepEqual(ipCommands.setLinkGroup('x0', 305419896), ['link', 'set', 'dev', 'x0', 'group', '305419896']);
  assert.deepEqual(ipCommands.deleteLinkGroup(7), ['link', 'del', 'group', '7']);
  // Group 0 holds every interface by default: deleting it would take lo and the uplinks.
  assert.throws(() => ipCommands.deleteLinkGroup(0), (e: unknown) => e instanceof IpError && e.code === 'IP_ERR_ARG');
  assert.throws(() => ipCommands.setLinkGroup('x0', 2 ** 32), (e: unknown) => e instanceof IpError && e.code === 'IP_ERR_ARG');
});

test('ipCommands refuse anything that could become another option or batch line', () => {
  assertArgError(() => ipCommands.addPointToPoint('a b', '10.0.0.1', '10.0.0.2'));
  assertArgError(() => ipCommands.addPointToPoint('x'.repeat(16), '10.0.0.1', '10.0.0.2'));
  assertArgError(() => ipCommands.addPointToPoint('eth0\nlink del lo', '10.0.0.1', '10.0.0.2'));
  assertArgError(() => ipCommands.addPointToPoint('x0', '10.0.0.1', '::1'));
  assertArgError(() => ipCommands.addPointToPoint('x0', '10.0.0.256', '10.0.0.2'));
  assertArgError(() => ipCommands.addRoute('10.0.0.0/33', 'x0'));
  assertArgError(() => ipCommands.addRoute('10.0.0.0/', 'x0'));
  assertArgError(() => ipCommands.addRoute('-force', 'x0'));
  assertArgError(() => ipCommands.setLink('x0', { mtu: 70000 }));
  assertArgError(() => ipCommands.setLink('../x', {}));
  assertArgError(() => new IpRoute2({ netns: 'bad ns' }));
});

test('property: any input is refused with IP_ERR_ARG or yields plain, non-option tokens', () => {
  const anyText = fc.oneof(fc.string(), fc.constantFrom('10.0.0.1', '10.0.0.0/8', '::1', 'default', 'eth0', '-all', 'a b', 'x\ny'));
  fc.assert(
    fc.property(anyText, anyText, anyText, (dev, a, b) => {
      for (const build of [
        () => ipCommands.addPointToPoint(dev, a, b),
        () => ipCommands.addRoute(a, dev, { via: b }),
        () => ipCommands.delRoute(a, dev),
        () => ipCommands.deleteLink(dev),
      ]) {
        let args: readonly string[];
        try {
          args = build();
        } catch (e) {
          assert.ok(e instanceof IpError && e.code === 'IP_ERR_ARG');
          continue;
        }
        for (const tok of args) {
          assert.ok(tok.length > 0 && !/\s/.test(tok), `plain token ${JSON.stringify(tok)}`);
          assert.ok(!tok.startsWith('-'), `no option-like token ${JSON.stringify(tok)}`);
        }
      }
    }),
    { numRuns: 500 },
  );
});

test('a missing ip binary is IP_ERR_SPAWN', async () => {
  const ip = new IpRoute2({ ipPath: '/nonexistent/ip' });
  await assert.rejects(ip.run(['link', 'show']), (e: unknown) => e instanceof IpError && e.code === 'IP_ERR_SPAWN');
});

test('addresses, routes, links, proxy-ARP and left-over cleanup in a fresh netns', async (t) => {
  const reason = needRootReason();
  if (reason !== undefined) return t.skip(reason);
  const ns = `l2tp-iptest-${randomBytes(4).toString('hex')}`;
  execFileSync('ip', ['netns', 'add', ns]);
  t.after(() => execFileSync('ip', ['netns', 'del', ns]));
  const ip = new IpRoute2({ netns: ns });

  // veth stands in for our TUN devices here (this test is about the ip helper only).
  await ip.run(['link', 'add', 'l2tpv0', 'type', 'veth', 'peer', 'name', 'l2tpv1']);
  await ip.setLink('l2tpv0', { up: true, mtu: 1400 });
  await ip.setLink('l2tpv1', { up: true });
  await ip.addPointToPoint('l2tpv0', '10.201.9.1', '10.201.9.2');
  await ip.addRoute('10.202.0.0/24', 'l2tpv0');
  await ip.addRoute('10.203.0.0/24', undefined, { via: '10.201.9.2' });

  const addrs = JSON.parse(await ip.run(['-json', 'addr', 'show', 'dev', 'l2tpv0'])) as Array<{
    addr_info: Array<{ local: string; address?: string; prefixlen: number }>;
  }>;
  const v4 = addrs[0]?.addr_info.find((a) => a.local === '10.201.9.1');
  assert.ok(v4, 'local address present');
  assert.equal(v4.address, '10.201.9.2');
  assert.equal(v4.prefixlen, 32);
  const routes = await ip.run(['route', 'show']);
  assert.match(routes, /10\.202\.0\.0\/24 dev l2tpv0/);
  assert.match(routes, /10\.203\.0\.0\/24 via 10\.201\.9\.2 dev l2tpv0/);
  await ip.delRoute('10.202.0.0/24', 'l2tpv0');
  assert.doesNotMatch(await ip.run(['route', 'show']), /10\.202\.0\.0/);

  // A failing command carries stderr and a stable code.
  await assert.rejects(ip.addRoute('10.203.0.0/24', undefined, { via: '10.201.9.2' }), (e: unknown) => {
    return e instanceof IpError && e.code === 'IP_ERR_EXIT' && /exists/i.test(e.stderr);
  });

  await ip.setProxyArp('l2tpv0', true);
  assert.equal(execFileSync('ip', ['netns', 'exec', ns, 'cat', '/proc/sys/net/ipv4/conf/l2tpv0/proxy_arp']).toString().trim(), '1');
  await ip.setProxyArp('l2tpv0', false);
  assert.equal(execFileSync('ip', ['netns', 'exec', ns, 'cat', '/proc/sys/net/ipv4/conf/l2tpv0/proxy_arp']).toString().trim(), '0');

  const links = await ip.listLinks('l2tpv');
  assert.deepEqual(links.map((l) => l.name).sort(), ['l2tpv0', 'l2tpv1']);
  const l0 = links.find((l) => l.name === 'l2tpv0');
  assert.equal(l0?.up, true);
  assert.equal(l0?.mtu, 1400);

  // Control-plane cost: 100 point-to-point addresses + 100 routes, batched and one by one.
  const batch = ip.batch();
  for (let i = 0; i < 100; i++) {
    batch.add(ipCommands.addPointToPoint('l2tpv1', `10.210.${i}.1`, `10.210.${i}.2`));
    batch.add(ipCommands.addRoute(`10.220.${i}.0/24`, 'l2tpv1'));
  }
  let t0 = process.hrtime.bigint();
  await batch.run();
  const batchMs = Number(process.hrtime.bigint() - t0) / 1e6;
  t0 = process.hrtime.bigint();
  for (let i = 0; i < 100; i++) {
    await ip.addPointToPoint('l2tpv0', `10.211.${i}.1`, `10.211.${i}.2`);
    await ip.addRoute(`10.221.${i}.0/24`, 'l2tpv0');
  }
  const singleMs = Number(process.hrtime.bigint() - t0) / 1e6;
  t.diagnostic(`100 addr + 100 route adds: ip -batch ${batchMs.toFixed(1)} ms, 200 ip processes ${singleMs.toFixed(1)} ms`);
  const count = (await ip.run(['route', 'show'])).split('\n').filter((l) => /^10\.22[01]\./.test(l)).length;
  assert.equal(count, 200);

  // -force: every line is tried, and the failures come back by line.
  const failures = await ip.runBatchForce([
    ipCommands.addRoute('10.230.0.0/24', 'l2tpv1'),
    ipCommands.addRoute('10.230.1.0/24', 'l2tpnone'),
    ipCommands.addRoute('10.230.2.0/24', 'l2tpv1'),
  ]);
  assert.deepEqual([...failures.keys()], [1]);
  assert.match(failures.get(1) ?? '', /Cannot find device "l2tpnone"/);
  assert.equal((await ip.run(['route', 'show'])).split('\n').filter((l) => /^10\.230\.[02]\./.test(l)).length, 2);
  assert.equal((await ip.runBatchForce([])).size, 0);

  // A failing batch line stops the batch and reports it.
  await assert.rejects(ip.runBatch([ipCommands.addRoute('10.220.0.0/24', 'l2tpv1')]), (e: unknown) => e instanceof IpError && e.code === 'IP_ERR_EXIT');

  // Deleting as a group takes exactly the named links (a missing name does not stop it), and
  // leaves the rest of the namespace alone.
  // (veth pairs, no dummy module here: deleting one end removes its peer l2tphN too)
  for (const i of [0, 1, 2]) await ip.run(['link', 'add', `l2tpg${i}`, 'type', 'veth', 'peer', 'name', `l2tph${i}`]);
  await ip.deleteLinksAsGroup(['l2tpg0', 'l2tpg1'], 0x1234567);
  assert.deepEqual((await ip.listLinks('l2tpg')).map((l) => l.name), ['l2tpg2']);
  await assert.rejects(ip.deleteLinksAsGroup(['l2tpgone', 'l2tpg2'], 0x1234568), (e: unknown) => e instanceof IpError && e.code === 'IP_ERR_EXIT');
  assert.deepEqual(await ip.listLinks('l2tpg'), [], 'deleted even though the batch had a missing name');
  assert.ok((await ip.listLinks('lo')).length === 1, 'lo untouched');

  await assert.rejects(ip.deleteLinksWithPrefix('l'), (e: unknown) => e instanceof IpError && e.code === 'IP_ERR_ARG');
  const deleted = await ip.deleteLinksWithPrefix('l2tpv');
  assert.ok(deleted.includes('l2tpv0'));
  assert.deepEqual(await ip.listLinks('l2tpv'), []);
});
