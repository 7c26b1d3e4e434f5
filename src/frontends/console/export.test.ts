import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ConfigStore } from '../../config/store.js';
import { MemoryRuntime, emptyRuntime } from '../../config/runtime.js';
import { ConsoleSession } from './session.js';
import { exportConfig } from './export.js';

const header = { date: '2026-01-01 00:00:00', version: '0.1.0' };

function run(s: ConsoleSession, text: string): void {
  const r = s.run(text);
  assert.equal(r.error, undefined, `${text}: ${r.error?.message ?? ''}`);
}

test('compact export: header, dependency order, sorted non-default values, built-ins by name, wrapping', () => {
  const store = new ConfigStore();
  const s = new ConsoleSession(store, emptyRuntime);
  run(s, '/interface l2tp-server server set enabled=yes use-ipsec=required ipsec-secret=mySecret default-profile=default');
  run(s, '/ip pool add name=vpn-pool range=192.168.99.2-192.168.99.100');
  run(s, '/ppp profile set default local-address=192.168.99.1 remote-address=vpn-pool');
  run(s, '/ppp secret\nadd name=user1 password=123\nadd name=user2 password=234 comment="second user" service=l2tp local-address=10.1.101.1 remote-address=10.1.101.100');
  run(s, '/interface l2tp-client add name=l2tp-hm user=l2tp-hm password=123 connect-to=10.1.101.100 disabled=no');
  assert.deepEqual(exportConfig(store, { header }), [
    '# 2026-01-01 00:00:00 by l2tp 0.1.0',
    '/ip pool',
    'add name=vpn-pool ranges=192.168.99.2-192.168.99.100',
    '/ppp profile',
    'set [ find name=default ] local-address=192.168.99.1 remote-address=vpn-pool',
    '/interface l2tp-client',
    'add connect-to=10.1.101.100 disabled=no name=l2tp-hm user=l2tp-hm',
    '/interface l2tp-server server',
    'set default-profile=default enabled=yes use-ipsec=required',
    '/ppp secret',
    'add name=user1',
    'add comment="second user" local-address=10.1.101.1 name=user2 \\',
    '    remote-address=10.1.101.100 service=l2tp',
  ]);
  const sensitive = exportConfig(store, { showSensitive: true });
  assert.ok(sensitive.includes('add name=user1 password=123'));
  assert.ok(sensitive.includes('set default-profile=default enabled=yes ipsec-secret=mySecret \\'));
  const terse = exportConfig(store, { terse: true, scope: ['ppp'] });
  assert.deepEqual(terse, [
    '/ppp profile set [ find name=default ] local-address=192.168.99.1 remote-address=vpn-pool',
    '/ppp secret add name=user1',
    '/ppp secret add comment="second user" local-address=10.1.101.1 name=user2 remote-address=10.1.101.100 service=l2tp',
  ]);
  const verbose = exportConfig(store, { verbose: true, scope: ['ppp', 'aaa'] });
  assert.deepEqual(verbose, ['/ppp aaa', 'set accounting=yes interim-update=0s use-radius=no']);
  // Console: export in a menu exports that subtree.
  const r = s.run('/ip pool export');
  assert.deepEqual(r.lines, ['/ip pool', 'add name=vpn-pool ranges=192.168.99.2-192.168.99.100']);
});

test('export file= goes through the caller', () => {
  const written: [string, string][] = [];
  const s = new ConsoleSession(new ConfigStore(), emptyRuntime, { writeFile: (n, t) => void written.push([n, t]) });
  run(s, '/system identity set name=r1');
  run(s, '/export file=backup');
  assert.deepEqual(written, [['backup', '/system identity\nset name=r1\n']]);
});

test('without show-sensitive, secrets re-import as defaults (RouterOS behaviour)', () => {
  const a = new ConfigStore();
  run(new ConsoleSession(a, emptyRuntime), '/ppp secret add name=u password=p');
  const b = new ConfigStore();
  run(new ConsoleSession(b, emptyRuntime), exportConfig(a).join('\n'));
  assert.equal(b.findByName('ppp secret', 'u')?.values['password'], '');
});

// ------------------------------------------------------------------- round-trip property

const ident = fc.stringMatching(/^[a-z][a-z0-9-]{0,8}$/);
const ipv4 = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((t) => t.join('.'));
const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('', 'a b', 'q"uote', 'back\\slash', '$var', 'what?', 'line\nbreak', 'tab\there', '#hash', '[x]', 'x;y', 'ünï', '\x01\x7f'),
);
const nonEmptyText = text.filter((t) => t.length > 0);
const duration = fc.nat(100_000).map((n) => `${n}s`);

type Op = { menu: string; kind: 'add' | 'set-builtin' | 'set'; args: Record<string, string> };

function opArb(pools: string[], profiles: string[]): fc.Arbitrary<Op> {
  const poolOrIp = pools.length > 0 ? fc.oneof(ipv4, fc.constantFrom(...pools)) : ipv4;
  const profile = fc.constantFrom('default', 'default-encryption', ...profiles);
  return fc.oneof(
    fc.record({
      menu: fc.constant('ppp secret'),
      kind: fc.constant('add' as const),
      args: fc.record(
        { name: nonEmptyText, password: text, service: fc.constantFrom('any', 'l2tp', 'pptp'), profile, 'remote-address': poolOrIp, routes: text, comment: text, disabled: fc.constantFrom('yes', 'no'), 'limit-bytes-in': fc.nat().map(String) },
        { requiredKeys: ['name'] },
      ),
    }),
    fc.record({
      menu: fc.constant('interface l2tp-client'),
      kind: fc.constant('add' as const),
      args: fc.record(
        {
          'connect-to': ipv4,
          user: text,
          password: text,
          profile,
          allow: fc.subarray(['pap', 'chap', 'mschap1', 'mschap2']).map((a) => a.join(',')),
          mrru: fc.oneof(fc.constant('disabled'), fc.integer({ min: 512, max: 65535 }).map(String)),
          'max-mtu': fc.integer({ min: 32, max: 65535 }).map(String),
          'use-peer-dns': fc.constantFrom('no', 'yes', 'exclusively'),
          'keepalive-timeout': fc.oneof(fc.constant('disabled'), fc.integer({ min: 1, max: 100000 }).map(String)),
          'default-route-distance': fc.nat(255).map(String),
          'ipsec-secret': text,
          disabled: fc.constantFrom('yes', 'no'),
          comment: text,
        },
        { requiredKeys: ['connect-to'] },
      ),
    }),
    fc.record({
      menu: fc.constant('ppp profile'),
      kind: fc.constant('set-builtin' as const),
      args: fc.record(
        { 'local-address': ipv4, 'remote-address': poolOrIp, 'dns-server': fc.array(ipv4, { minLength: 1, maxLength: 2 }).map((a) => a.join(',')), 'use-encryption': fc.constantFrom('default', 'no', 'yes', 'required'), 'session-timeout': duration, 'rate-limit': text, 'on-up': text },
        { requiredKeys: [] },
      ),
    }),
    fc.record({
      menu: fc.constantFrom('interface l2tp-server server', 'ppp aaa', 'radius incoming', 'system identity'),
      kind: fc.constant('set' as const),
      args: fc.oneof(
        fc.record({ enabled: fc.constantFrom('yes', 'no'), 'use-ipsec': fc.constantFrom('no', 'yes', 'required'), authentication: fc.subarray(['pap', 'chap', 'mschap1', 'mschap2']).map((a) => a.join(',')), 'max-sessions': fc.oneof(fc.constant('unlimited'), fc.nat(100).map(String)), 'default-profile': profile, 'ipsec-secret': text }, { requiredKeys: [] }),
        fc.record({ 'use-radius': fc.constantFrom('yes', 'no'), 'interim-update': duration }, { requiredKeys: [] }),
        fc.record({ accept: fc.constantFrom('yes', 'no'), port: fc.integer({ min: 1, max: 65535 }).map(String) }, { requiredKeys: [] }),
        fc.record({ name: nonEmptyText }),
      ),
    }),
    fc.record({
      menu: fc.constant('ip address'),
      kind: fc.constant('add' as const),
      args: fc.record({ address: fc.tuple(ipv4, fc.nat(32)).map(([a, l]) => `${a}/${l}`), interface: ident, comment: text }, { requiredKeys: ['address', 'interface'] }),
    }),
    fc.record({
      menu: fc.constant('ip route'),
      kind: fc.constant('add' as const),
      args: fc.record({ 'dst-address': fc.tuple(ipv4, fc.nat(32)).map(([a, l]) => `${a}/${l}`), gateway: fc.oneof(ipv4, ident), distance: fc.nat(255).map(String) }, { requiredKeys: [] }),
    }),
    fc.record({
      menu: fc.constant('radius'),
      kind: fc.constant('add' as const),
      args: fc.record({ address: ipv4, secret: text, service: fc.constantFrom('ppp', 'ppp,login', ''), timeout: fc.integer({ min: 1, max: 5000 }).map((n) => `${n}ms`) }, { requiredKeys: ['address'] }),
    }),
    fc.record({
      menu: fc.constant('ppp l2tp-secret'),
      kind: fc.constant('add' as const),
      args: fc.record({ address: fc.tuple(ipv4, fc.nat(32)).map(([a, l]) => `${a}/${l}`), secret: text }, { requiredKeys: [] }),
    }),
    fc.record({
      menu: fc.constant('interface l2tp-server'),
      kind: fc.constant('add' as const),
      args: fc.record({ user: text, disabled: fc.constantFrom('yes', 'no') }, { requiredKeys: [] }),
    }),
  );
}

const configArb = fc
  .record({
    pools: fc.uniqueArray(ident, { maxLength: 3 }),
    profiles: fc.uniqueArray(ident.map((n) => `p-${n}`), { maxLength: 3 }),
  })
  .chain(({ pools, profiles }) =>
    fc.record({
      pools: fc.constant(pools),
      profiles: fc.constant(profiles),
      ranges: fc.array(fc.tuple(ipv4, fc.nat(50)), { minLength: pools.length, maxLength: pools.length }),
      ops: fc.array(opArb(pools, profiles), { maxLength: 12 }),
    }),
  );

function build(cfg: { pools: string[]; profiles: string[]; ranges: [string, number][]; ops: Op[] }): ConfigStore {
  const store = new ConfigStore();
  cfg.pools.forEach((name, i) => {
    const [start] = cfg.ranges[i] ?? ['10.0.0.1', 0];
    // next-pool may only name an earlier pool, so export order stays reference-safe.
    const args: Record<string, string> = { name, ranges: start };
    if (i > 0) args['next-pool'] = cfg.pools[i - 1] ?? 'none';
    store.add('ip pool', args);
  });
  for (const name of cfg.profiles) store.add('ppp profile', { name, 'use-encryption': 'yes' });
  for (const op of cfg.ops) {
    if (op.kind === 'add') store.add(op.menu, op.args);
    else if (op.kind === 'set') store.set(op.menu, [], op.args);
    else store.set(op.menu, ['*0'], op.args);
  }
  return store;
}

test('export -> import into an empty store reproduces the configuration (property)', () => {
  fc.assert(
    fc.property(configArb, fc.constantFrom('compact', 'verbose', 'terse'), (cfg, mode) => {
      const a = build(cfg);
      const script = exportConfig(a, { header, showSensitive: true, verbose: mode === 'verbose', terse: mode === 'terse' }).join('\n');
      const b = new ConfigStore();
      const r = new ConsoleSession(b, emptyRuntime).runScript(script);
      assert.equal(r.error, undefined, `${r.error?.message ?? ''}\n${script}`);
      assert.deepEqual(b.dump(), a.dump(), script);
      // And exporting again gives the same text.
      assert.equal(exportConfig(b, { header, showSensitive: true }).join('\n'), exportConfig(a, { header, showSensitive: true }).join('\n'));
    }),
    { numRuns: 300 },
  );
});

test('/ip firewall address-list: static entries export, dynamic rows print with D and never export', () => {
  const store = new ConfigStore();
  const runtime = new MemoryRuntime();
  runtime.tables.set('ip firewall address-list', [{ id: '*A000001', values: { list: 'vpn', address: '10.0.0.9', comment: 'alice' } }]);
  const s = new ConsoleSession(store, runtime);
  assert.equal(s.run('/ip firewall address-list add list=vpn address=192.168.0.0/16 comment="office"').error, undefined);
  const printed = s.run('/ip firewall address-list print').lines;
  assert.match(printed[0] ?? '', /^Flags: .*D - dynamic/);
  assert.ok(printed.some((l) => /^ *1 D +vpn +10\.0\.0\.9/.test(l)), printed.join('\n'));
  const exported = s.run('/ip firewall address-list export').lines.join('\n');
  assert.match(exported, /add address=192\.168\.0\.0\/16 comment=office list=vpn/);
  assert.doesNotMatch(exported, /10\.0\.0\.9/);
});
