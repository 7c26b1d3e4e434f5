import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { formatDuration, parseDuration, parseValue, ConfigError, type ValueType } from './values.js';
import { MENUS, EXPORT_ORDER, getMenu, menuKey } from './schema.js';

test('durations parse RouterOS forms and print RouterOS style', () => {
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('90'), 90_000);
  assert.equal(parseDuration('00:01:30'), 90_000);
  assert.equal(parseDuration('100ms'), 100);
  assert.equal(parseDuration('1x'), undefined);
  assert.equal(formatDuration(7 * 3600_000 + 24 * 60_000 + 18_000), '7h24m18s');
  assert.equal(formatDuration(26 * 3600_000), '1d2h');
  assert.equal(formatDuration(30_000), '30s');
  assert.equal(formatDuration(0), '0s');
  assert.equal(formatDuration(1500), '1s500ms');
});

test('enum matching: exact, alias, prefix, ambiguous, none', () => {
  const t: ValueType = { kind: 'enum', values: ['no', 'yes', 'required'], aliases: { require: 'required' } };
  assert.equal(parseValue('use-ipsec', t, 'require'), 'required');
  assert.equal(parseValue('use-ipsec', t, 'req'), 'required');
  const amb = parseValue('x', { kind: 'enum', values: ['default', 'disabled'] }, 'd');
  assert.ok(amb instanceof ConfigError);
  assert.equal(amb.message, 'ambiguous value of x, more than one possible value matches input');
  const none = parseValue('use-ipsec', t, 'maybe');
  assert.ok(none instanceof ConfigError);
  assert.equal(none.message, 'input does not match any value of use-ipsec');
});

test('typed values', () => {
  assert.equal(parseValue('a', { kind: 'ip-prefix' }, '10.1.101.7/24'), '10.1.101.0/24');
  assert.equal(parseValue('a', { kind: 'ip-prefix' }, '1.1.1.1'), '1.1.1.1/32');
  assert.equal(parseValue('a', { kind: 'ip-address-mask' }, '1.1.1.1/24'), '1.1.1.1/24');
  assert.equal(parseValue('r', { kind: 'ranges' }, '192.168.99.2-192.168.99.100'), '192.168.99.2-192.168.99.100');
  assert.ok(parseValue('r', { kind: 'ranges' }, '192.168.99.200-192.168.99.100') instanceof ConfigError);
  assert.equal(parseValue('m', { kind: 'int-or', word: 'disabled', min: 512, max: 65535 }, '1600'), '1600');
  assert.ok(parseValue('m', { kind: 'int-or', word: 'disabled', min: 512, max: 65535 }, '100') instanceof ConfigError);
  assert.equal(parseValue('x', { kind: 'ip-or-pool' }, 'vpn-pool'), 'vpn-pool');
  assert.ok(parseValue('x', { kind: 'ip-or-pool' }, '10.1.1.300') instanceof ConfigError);
  const bad = parseValue('max-mtu', { kind: 'int', min: 32, max: 65535 }, 'abc');
  assert.ok(bad instanceof ConfigError && bad.message === 'invalid value for argument max-mtu');
  assert.equal(parseValue('b', { kind: 'bool' }, 'true'), 'yes');
});

test('schema: defaults are canonical, names unique, export order covers writable menus', () => {
  for (const m of MENUS) {
    const names = new Set<string>();
    for (const p of m.properties) {
      assert.ok(!names.has(p.name), `${menuKey(m.path)} ${p.name} duplicated`);
      names.add(p.name);
      if (p.default !== undefined) assert.equal(parseValue(p.name, p.type, p.default), p.default, `${menuKey(m.path)} ${p.name}`);
      if (p.type.kind === 'ref') assert.ok(getMenu(p.type.menu)?.nameProperty, p.name);
    }
    if (m.kind !== 'runtime') assert.ok(EXPORT_ORDER.includes(menuKey(m.path)), menuKey(m.path));
  }
});

test('canonical values are fixed points (property)', () => {
  const types: ValueType[] = MENUS.flatMap((m) => m.properties.map((p) => p.type));
  fc.assert(
    fc.property(fc.constantFrom(...types), fc.string({ maxLength: 30 }), (t, s) => {
      const v = parseValue('p', t, s);
      if (v instanceof ConfigError) return;
      assert.equal(parseValue('p', t, v), v);
    }),
    { numRuns: 3000 },
  );
});

test('ROUTEROS.md defaults', () => {
  const c = getMenu('interface l2tp-client');
  const d = (n: string) => c?.properties.find((p) => p.name === n)?.default;
  assert.equal(d('disabled'), 'yes');
  assert.equal(d('keepalive-timeout'), '60');
  assert.equal(d('max-mtu'), '1450');
  assert.equal(d('profile'), 'default-encryption');
  const s = getMenu('interface l2tp-server server');
  const ds = (n: string) => s?.properties.find((p) => p.name === n)?.default;
  assert.equal(ds('keepalive-timeout'), '30');
  assert.equal(ds('max-sessions'), 'unlimited');
  assert.equal(ds('authentication'), 'mschap1,mschap2');
});

test('ip-range: one address, prefix or range, canonical like RouterOS prints it', () => {
  const t = { kind: 'ip-range' } as const;
  assert.equal(parseValue('address', t, '10.0.0.5'), '10.0.0.5');
  assert.equal(parseValue('address', t, '10.0.0.5/32'), '10.0.0.5');
  assert.equal(parseValue('address', t, '10.1.2.3/24'), '10.1.2.0/24');
  assert.equal(parseValue('address', t, '10.0.0.1-10.0.0.9'), '10.0.0.1-10.0.0.9');
  assert.equal(parseValue('address', t, '10.0.0.4-10.0.0.4'), '10.0.0.4');
  for (const bad of ['10.0.0.9-10.0.0.1', '10.0.0.0/33', 'x', '', '10.0.0.1,10.0.0.2']) {
    assert.ok(parseValue('address', t, bad) instanceof ConfigError, bad);
  }
});
