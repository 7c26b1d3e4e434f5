import { test } from 'node:test';
import assert from 'node:assert/strict';

import { utf8 } from '../core/bytes.js';
import { chapMd5Response } from '../crypto/chap.js';
import { ConfigStore, type RawArgs } from '../config/store.js';
import { isConfigError } from '../config/values.js';
import { IpPools, poolDefsFromConfig } from './pools.js';
import {
  assignAddresses,
  authorize,
  bytesLimitReached,
  parseRateLimit,
  useRadius,
  verifyLocal,
  type AuthorizeInput,
  type SessionParameters,
} from './policy.js';
import type { RadiusAuthorization } from './radius-client.js';

function add(store: ConfigStore, menu: string, args: RawArgs): void {
  const r = store.add(menu, args);
  assert.ok(!isConfigError(r), isConfigError(r) ? r.message : '');
}

function setSingleton(store: ConfigStore, menu: string, args: RawArgs): void {
  const r = store.set(menu, [], args);
  assert.ok(!isConfigError(r), isConfigError(r) ? r.message : '');
}

/** The seed manual's users plus profiles and pools exercising every precedence rule. */
function lab(): ConfigStore {
  const s = new ConfigStore();
  add(s, 'ip pool', { name: 'overflow', ranges: '10.9.0.1-10.9.0.2' });
  add(s, 'ip pool', { name: 'vpn', ranges: '10.8.0.1-10.8.0.1', 'next-pool': 'overflow' });
  add(s, 'ppp profile', { name: 'gold', 'local-address': '10.8.255.1', 'remote-address': 'vpn', 'dns-server': '10.8.255.53', 'rate-limit': '2M/4M', 'only-one': 'yes', 'session-timeout': '1h' });
  add(s, 'ppp profile', { name: 'radius-group', 'rate-limit': '9M', 'address-list': 'from-group' });
  // The server's default profile holds the fallbacks.
  const p = s.findByName('ppp profile', 'default-encryption')!;
  assert.ok(!isConfigError(s.set('ppp profile', [p.id], { 'local-address': '10.0.0.1', 'dns-server': '10.0.0.53', 'wins-server': '10.0.0.54', 'idle-timeout': '10m', 'address-list': 'vpn-users' })));
  // Seed manual: "add name=Laptop service=l2tp password=123 local-address=10.1.101.1 remote-address=10.1.101.100"
  add(s, 'ppp secret', { name: 'Laptop', service: 'l2tp', password: '123', 'local-address': '10.1.101.1', 'remote-address': '10.1.101.100' });
  add(s, 'ppp secret', { name: 'Home', service: 'l2tp', password: '123', 'local-address': '172.16.1.1', 'remote-address': '172.16.1.2', routes: '10.1.202.0/24 172.16.1.2 1' });
  add(s, 'ppp secret', { name: 'goldie', password: 'p', profile: 'gold' });
  add(s, 'ppp secret', { name: 'fixed', password: 'p', profile: 'gold', 'remote-address': '10.8.9.9' });
  add(s, 'ppp secret', { name: 'pptp-only', password: 'p', service: 'pptp' });
  add(s, 'ppp secret', { name: 'pinned', password: 'p', 'caller-id': '192.0.2.7' });
  add(s, 'ppp secret', { name: 'off', password: 'p', disabled: 'yes' });
  add(s, 'ppp secret', { name: 'capped', password: 'p', 'limit-bytes-in': '1000', 'limit-bytes-out': '2000' });
  return s;
}

function ok(store: ConfigStore, input: Partial<AuthorizeInput> & { user: string }): SessionParameters {
  const r = authorize(store, { callerId: '192.0.2.10', active: [], ...input });
  assert.ok(r.ok, r.ok ? '' : r.reason);
  return r.params;
}

const radius = (over: Partial<RadiusAuthorization> = {}): RadiusAuthorization => ({ framedRoutes: [], classes: [], addressLists: [], ...over });

test('verifyLocal: secret checks (service any|l2tp, caller-id, disabled) then the password', () => {
  const s = lab();
  const pap = (user: string, password: string) => ({ method: 'pap' as const, user, password });
  const rows: Array<[string, ReturnType<typeof verifyLocal>['found'], string | undefined, boolean]> = [
    // [user/password, found, refusal code, verdict ok]
    ['Laptop/123', true, undefined, true],
    ['Laptop/124', true, 'wrong-password', false],
    ['pptp-only/p', true, 'service-not-allowed', false],
    ['pinned/p', true, 'caller-id-mismatch', false],
    ['off/p', false, undefined, false],
    ['nobody/p', false, undefined, false],
  ];
  for (const [up, found, code, good] of rows) {
    const [user, password] = up.split('/') as [string, string];
    const r = verifyLocal(s, pap(user, password), '192.0.2.10');
    assert.equal(r.found, found, up);
    if (r.found) {
      assert.equal(r.verdict.ok, good, up);
      assert.equal(r.refusal?.code, code, up);
    }
  }
  const disabled = verifyLocal(s, pap('off', 'p'), '192.0.2.10');
  assert.ok(!disabled.found && disabled.reason === 'user disabled');
  // caller-id matches the client's IP.
  const pinned = verifyLocal(s, pap('pinned', 'p'), '192.0.2.7');
  assert.ok(pinned.found && pinned.verdict.ok);
  // CHAP through the same path.
  const challenge = utf8('0123456789abcdef');
  const chap = verifyLocal(s, { method: 'chap', user: 'Laptop', id: 3, challenge, response: chapMd5Response(3, utf8('123'), challenge) }, '192.0.2.10');
  assert.ok(chap.found && chap.verdict.ok);
  assert.equal(useRadius(s), false);
});

test('precedence table: secret > profile named by the secret > server default-profile', () => {
  const s = lab();
  const rows: Array<{ user: string; local?: string; remote?: string; dns: string[]; profile: string; why: string }> = [
    { user: 'Laptop', local: 'ip:10.1.101.1', remote: 'ip:10.1.101.100', dns: ['10.0.0.53'], profile: 'default', why: 'seed manual: the secret holds both addresses; DNS from the default-profile' },
    { user: 'goldie', local: 'ip:10.8.255.1', remote: 'pool:vpn', dns: ['10.8.255.53'], profile: 'gold', why: 'profile values when the secret has none; remote-address names a pool' },
    { user: 'fixed', local: 'ip:10.8.255.1', remote: 'ip:10.8.9.9', dns: ['10.8.255.53'], profile: 'gold', why: '"a single IP in the secret beats the profile" pool' },
    { user: 'capped', local: 'ip:10.0.0.1', dns: ['10.0.0.53'], profile: 'default', why: 'nothing in secret or profile default: the server default-profile' },
  ];
  const spec = (a: SessionParameters['localAddress']): string | undefined => (a === undefined ? undefined : a.kind === 'ip' ? `ip:${a.ip}` : `pool:${a.pool}`);
  for (const row of rows) {
    const p = ok(s, { user: row.user });
    assert.equal(spec(p.localAddress), row.local, row.why);
    assert.equal(spec(p.remoteAddress), row.remote, row.why);
    assert.deepEqual(p.dnsServers, row.dns, row.why);
    assert.equal(p.profile, row.profile, row.why);
  }
  const gold = ok(s, { user: 'goldie' });
  assert.equal(gold.sessionTimeoutMs, 3_600_000);
  assert.equal(gold.idleTimeoutMs, 600_000, 'idle-timeout falls through to the default-profile');
  assert.deepEqual(gold.addressLists, ['vpn-users']);
  assert.deepEqual(gold.winsServers, ['10.0.0.54']);
  assert.equal(gold.rateLimit?.rx, 2_000_000);
  assert.equal(gold.rateLimit?.tx, 4_000_000);
  assert.equal(gold.onlyOne, true);
  // default-encryption is the server default-profile: use-encryption=yes falls through.
  assert.equal(gold.useEncryption, 'yes');
  assert.deepEqual(ok(s, { user: 'Home' }).routes, ['10.1.202.0/24 172.16.1.2 1']);
  const r = authorize(s, { user: 'nobody', callerId: 'x', active: [] });
  assert.ok(!r.ok && r.code === 'no-such-user');
});

test('RADIUS users: attributes > Mikrotik-Group profile > default-profile; a single IP beats a pool', () => {
  const s = lab();
  const plain = ok(s, { user: 'r1', radius: radius() });
  assert.equal(plain.source, 'radius');
  assert.equal(plain.profile, 'default-encryption');
  assert.deepEqual(plain.dnsServers, ['10.0.0.53']);
  assert.equal(plain.remoteAddress, undefined);
  const rich = ok(s, {
    user: 'r2',
    radius: radius({
      framedIpAddress: '10.7.0.5',
      framedPool: 'vpn',
      framedRoutes: ['192.168.7.0/24'],
      sessionTimeout: 120,
      idleTimeout: 30,
      rateLimit: '1M/2M 2M/4M 900k/1800k 10/10 8 512k',
      addressLists: ['radius-list'],
      primaryDns: '1.1.1.1',
      secondaryDns: '8.8.8.8',
      acctInterimInterval: 300,
      classes: [utf8('c1')],
      group: 'radius-group',
    }),
  });
  assert.deepEqual(rich.remoteAddress, { kind: 'ip', ip: '10.7.0.5' }, 'Framed-IP-Address beats Framed-Pool');
  assert.deepEqual(rich.localAddress, { kind: 'ip', ip: '10.0.0.1' });
  assert.deepEqual(rich.routes, ['192.168.7.0/24']);
  assert.equal(rich.sessionTimeoutMs, 120_000);
  assert.equal(rich.idleTimeoutMs, 30_000);
  assert.equal(rich.rateLimitText, '1M/2M 2M/4M 900k/1800k 10/10 8 512k');
  assert.deepEqual(rich.addressLists, ['radius-list']);
  assert.deepEqual(rich.dnsServers, ['1.1.1.1', '8.8.8.8']);
  assert.equal(rich.interimUpdateMs, 300_000);
  assert.equal(rich.classes.length, 1);
  assert.equal(rich.profile, 'radius-group');
  const pooled = ok(s, { user: 'r3', radius: radius({ framedPool: 'vpn', group: 'radius-group' }) });
  assert.deepEqual(pooled.remoteAddress, { kind: 'pool', pool: 'vpn' });
  assert.equal(pooled.rateLimit?.rx, 9_000_000, 'Mikrotik-Group profile rate-limit');
  assert.deepEqual(pooled.addressLists, ['from-group']);
  // An unknown Mikrotik-Group falls back to the default-profile.
  assert.equal(ok(s, { user: 'r4', radius: radius({ group: 'nope' }) }).profile, 'default-encryption');
});

test('server max-sessions, one-session-per-host and profile only-one refuse the new session', () => {
  const s = lab();
  const other = { user: 'someone', callerId: '192.0.2.99' };
  assert.ok(authorize(s, { user: 'goldie', callerId: '192.0.2.10', active: [other] }).ok);
  const dup = authorize(s, { user: 'goldie', callerId: '192.0.2.11', active: [{ user: 'goldie', callerId: '192.0.2.10' }] });
  assert.ok(!dup.ok && dup.code === 'only-one');
  assert.ok(authorize(s, { user: 'Laptop', callerId: '192.0.2.11', active: [{ user: 'Laptop', callerId: '192.0.2.10' }] }).ok, 'only-one default: no');
  setSingleton(s, 'interface l2tp-server server', { 'one-session-per-host': 'yes', 'max-sessions': '2' });
  const host = authorize(s, { user: 'Laptop', callerId: '192.0.2.99', active: [other] });
  assert.ok(!host.ok && host.code === 'one-session-per-host');
  const full = authorize(s, { user: 'Laptop', callerId: '192.0.2.1', active: [other, { user: 'x', callerId: '192.0.2.2' }] });
  assert.ok(!full.ok && full.code === 'max-sessions');
});

test('limit-bytes-in/out', () => {
  const p = ok(lab(), { user: 'capped' });
  assert.equal(p.limitBytesIn, 1000);
  assert.equal(p.limitBytesOut, 2000);
  assert.equal(bytesLimitReached(p, 999, 1999), false);
  assert.equal(bytesLimitReached(p, 1000, 0), true);
  assert.equal(bytesLimitReached(p, 0, 2000), true);
  assert.equal(bytesLimitReached(ok(lab(), { user: 'Laptop' }), 1e12, 1e12), false, '0 = unlimited');
});

test('assignAddresses: pools through next-pool, exhaustion refuses cleanly with nothing leaked', () => {
  const s = lab();
  const pools = new IpPools(poolDefsFromConfig(s));
  const p = ok(s, { user: 'goldie' });
  const a1 = assignAddresses(p, pools, '<l2tp-goldie>');
  assert.ok(!('ok' in a1));
  assert.deepEqual(a1, { localAddress: '10.8.255.1', remoteAddress: '10.8.0.1', leased: ['10.8.0.1'] });
  const p2 = { ...p, user: 'g2' };
  const a2 = assignAddresses(p2, pools, '<l2tp-g2>');
  assert.ok(!('ok' in a2) && a2.remoteAddress === '10.9.0.2', 'next-pool overflow, descending');
  assignAddresses({ ...p, user: 'g3' }, pools, '<l2tp-g3>');
  const fail = assignAddresses({ ...p, user: 'g4' }, pools, '<l2tp-g4>');
  assert.ok('ok' in fail && fail.code === 'POOL_EXHAUSTED');
  // local-address naming an exhausted pool gives back the remote address it took.
  pools.release('10.9.0.1');
  const both = { ...p, user: 'g5', localAddress: { kind: 'pool' as const, pool: 'vpn' } };
  const r = assignAddresses(both, pools, '<l2tp-g5>');
  assert.ok('ok' in r && !r.ok);
  assert.equal(pools.isLeased('10.9.0.1'), false);
  assert.deepEqual(pools.used().map((u) => u.info), ['goldie', 'g2'], 'g3 was released above');
});

test('rate-limit parsing: rx[/tx] [burst] [threshold] [time] [priority] [min], k/M/G', () => {
  assert.deepEqual(parseRateLimit('512k'), { rx: 512_000, tx: 512_000 });
  assert.deepEqual(parseRateLimit('1M/2M'), { rx: 1_000_000, tx: 2_000_000 });
  assert.deepEqual(parseRateLimit('1M/2M 2M/4M 900k/1800k 10/20 8 512k/1M'), {
    rx: 1_000_000, tx: 2_000_000, burstRx: 2_000_000, burstTx: 4_000_000, thresholdRx: 900_000, thresholdTx: 1_800_000,
    burstTimeRxMs: 10_000, burstTimeTxMs: 20_000, priority: 8, minRx: 512_000, minTx: 1_000_000,
  });
  assert.deepEqual(parseRateLimit('1.5G'), { rx: 1_500_000_000, tx: 1_500_000_000 });
  for (const bad of ['', 'fast', '1M/2M/3M', '1X', '1M 2M 3M 4M 9', '1M 2M 3M 4M 5 6 7']) assert.equal(parseRateLimit(bad), undefined, bad);
  // An invalid rate-limit in a profile is a warning, not a refusal.
  const s = lab();
  const p = s.findByName('ppp profile', 'gold')!;
  assert.ok(!isConfigError(s.set('ppp profile', [p.id], { 'rate-limit': 'fast' })));
  const params = ok(s, { user: 'goldie' });
  assert.equal(params.rateLimit, undefined);
  assert.equal(params.warnings.length, 1);
});
