import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigStore } from './store.js';
import { ConfigError } from './values.js';

function ok<T>(x: T | ConfigError): T {
  if (x instanceof ConfigError) throw new Error(`unexpected error ${x.code}: ${x.message}`);
  return x;
}

test('built-in profiles exist with RouterOS ids and cannot be removed or renamed', () => {
  const s = new ConfigStore();
  const profiles = s.items('ppp profile');
  assert.deepEqual(profiles.map((p) => [p.id, p.values['name'], p.values['use-encryption']]), [
    ['*0', 'default', 'default'],
    ['*FFFFFFFE', 'default-encryption', 'yes'],
  ]);
  const r = s.remove('ppp profile', ['*0']);
  assert.ok(r instanceof ConfigError && r.code === 'CFG_BUILTIN');
  const n = s.set('ppp profile', ['*0'], { name: 'x' });
  assert.ok(n instanceof ConfigError && n.code === 'CFG_BUILTIN');
});

test('add fills defaults, auto-names l2tp clients, assigns hex ids', () => {
  const s = new ConfigStore();
  const a = ok(s.add('interface l2tp-client', { 'connect-to': '10.1.101.100', user: 'Home' }));
  assert.equal(a.id, '*1');
  const item = s.get('interface l2tp-client', a.id);
  assert.equal(item?.values['name'], 'l2tp-out1');
  assert.equal(item?.values['disabled'], 'yes');
  assert.equal(item?.values['max-mtu'], '1450');
  assert.equal(item?.values['profile'], 'default-encryption');
  assert.equal(item?.values['allow'], 'pap,chap,mschap1,mschap2');
  const b = ok(s.add('interface l2tp-client', { 'connect-to': '10.1.101.1' }));
  assert.equal(s.get('interface l2tp-client', b.id)?.values['name'], 'l2tp-out2');
  assert.deepEqual(a.changes[0]?.op, 'add');
});

test('ids are hexadecimal', () => {
  const s = new ConfigStore();
  let last = '';
  for (let i = 0; i < 10; i++) last = ok(s.add('ppp secret', { name: `u${i}` })).id;
  assert.equal(last, '*A');
});

test('values are canonicalised, aliases and prefixes accepted', () => {
  const s = new ConfigStore();
  ok(s.set('interface l2tp-server server', [], { 'use-ipsec': 'require', authentication: 'mschap2,pap', 'keepalive-timeout': 'dis' }));
  const v = s.settings('interface l2tp-server server');
  assert.equal(v['use-ipsec'], 'required');
  assert.equal(v['authentication'], 'pap,mschap2');
  assert.equal(v['keepalive-timeout'], 'disabled');
  ok(s.set('ppp aaa', [], { 'interim-update': '00:01:30' }));
  assert.equal(s.settings('ppp aaa')['interim-update'], '1m30s');
});

test('a failing multi-property set changes nothing', () => {
  const s = new ConfigStore();
  const { id } = ok(s.add('ppp secret', { name: 'u', password: 'p' }));
  const before = s.serialize();
  const r = s.set('ppp secret', [id], { password: 'new', 'remote-address': '10.0.0.300x' });
  assert.ok(r instanceof ConfigError);
  assert.equal(s.serialize(), before);
  const r2 = s.set('ppp secret', [id], { password: 'new', profile: 'nope' });
  assert.ok(r2 instanceof ConfigError && r2.code === 'CFG_NO_MATCH');
  assert.equal(r2.message, 'input does not match any value of profile');
  assert.equal(s.serialize(), before);
});

test('names are unique; references must exist; referenced items cannot be removed', () => {
  const s = new ConfigStore();
  ok(s.add('ip pool', { name: 'vpn-pool', ranges: '192.168.99.2-192.168.99.100' }));
  const dup = s.add('ip pool', { name: 'vpn-pool', ranges: '10.0.0.1-10.0.0.2' });
  assert.ok(dup instanceof ConfigError && dup.code === 'CFG_DUPLICATE_NAME');
  const missing = s.set('ppp profile', ['*0'], { 'remote-address': 'nopool' });
  assert.ok(missing instanceof ConfigError && missing.code === 'CFG_NO_MATCH');
  ok(s.set('ppp profile', ['*0'], { 'local-address': '192.168.99.1', 'remote-address': 'vpn-pool' }));
  const pool = s.findByName('ip pool', 'vpn-pool');
  assert.ok(pool);
  const rm = s.remove('ip pool', [pool.id]);
  assert.ok(rm instanceof ConfigError && rm.code === 'CFG_IN_USE');
});

test('renaming a profile rewrites its references', () => {
  const s = new ConfigStore();
  const p = ok(s.add('ppp profile', { name: 'p1' }));
  ok(s.add('ppp secret', { name: 'u', profile: 'p1' }));
  ok(s.set('interface l2tp-server server', [], { 'default-profile': 'p1' }));
  const ch = ok(s.set('ppp profile', [p.id], { name: 'p2' }));
  assert.equal(ch.length, 3);
  assert.equal(s.findByName('ppp secret', 'u')?.values['profile'], 'p2');
  assert.equal(s.settings('interface l2tp-server server')['default-profile'], 'p2');
});

test('required properties and read-only properties', () => {
  const s = new ConfigStore();
  const r = s.add('ip pool', { name: 'x' });
  assert.ok(r instanceof ConfigError && r.code === 'CFG_MISSING_VALUE');
  assert.equal(r.message, 'failure: ranges must be set');
  const ro = s.add('ppp secret', { name: 'x', 'last-caller-id': 'y' });
  assert.ok(ro instanceof ConfigError && ro.code === 'CFG_READ_ONLY');
});

test('ip address computes network', () => {
  const s = new ConfigStore();
  const a = ok(s.add('ip address', { address: '10.5.8.120/24', interface: 'ether1' }));
  assert.equal(s.get('ip address', a.id)?.values['network'], '10.5.8.0');
});

test('enable/disable produce set change records', () => {
  const s = new ConfigStore();
  const { id } = ok(s.add('interface l2tp-client', { 'connect-to': '1.1.1.1' }));
  const ch = ok(s.enable('interface l2tp-client', [id]));
  assert.equal(ch[0]?.before?.['disabled'], 'yes');
  assert.equal(ch[0]?.after?.['disabled'], 'no');
});

test('serialize/deserialize round-trips and rejects corrupt input', () => {
  const s = new ConfigStore();
  ok(s.add('ip pool', { name: 'p', ranges: '10.0.0.2-10.0.0.9' }));
  ok(s.add('ppp secret', { name: 'u', password: 'x', 'remote-address': 'p' }));
  const text = s.serialize();
  const back = ConfigStore.deserialize(text);
  assert.ok(back instanceof ConfigStore);
  assert.equal(back.serialize(), text);
  for (const bad of ['', '{', '[]', '{"format":"x"}', text.replace('"version": 1', '"version": 9'), text.replace('10.0.0.9', '10.0.0.999'), text.replace('"remote-address": "p"', '"remote-address": "q"')]) {
    const r = ConfigStore.deserialize(bad);
    assert.ok(r instanceof ConfigError && r.code === 'CFG_CORRUPT', bad.slice(0, 40));
    assert.match(r.message, /^corrupt configuration: /);
  }
});
