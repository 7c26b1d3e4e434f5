import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigStore } from '../../config/store.js';
import { MemoryRuntime } from '../../config/runtime.js';
import { ConsoleSession } from './session.js';
import { formatDetail, formatMonitor, formatSettings, formatTable, quote, quoteIfNeeded } from './format.js';
import { getMenu } from '../../config/schema.js';
import { type RowView } from '../rows.js';

function session(runtime = new MemoryRuntime()): ConsoleSession {
  return new ConsoleSession(new ConfigStore(), runtime);
}

function out(s: ConsoleSession, line: string): string {
  const r = s.run(line);
  assert.equal(r.error, undefined, r.error?.message);
  return r.lines.join('\n');
}

test('ROUTEROS.md: v7 l2tp-client print, byte for byte', () => {
  const rt = new MemoryRuntime();
  const s = session(rt);
  out(s, '/interface l2tp-client add name=l2tp-mk2 connect-to=192.168.88.147 user=l2tp-mk2 password=12345 disabled=no');
  rt.statuses.set('interface l2tp-client#*1', { flags: 'R' });
  assert.equal(
    out(s, '/interface l2tp-client print'),
    [
      'Flags: X - disabled; R - running',
      ' 0  R name="l2tp-mk2" max-mtu=1450 max-mru=1450 mrru=disabled connect-to=192.168.88.147',
      '      user="l2tp-mk2" password="12345" profile=default-encryption keepalive-timeout=60',
      '      use-peer-dns=no use-ipsec=no ipsec-secret="" allow-fast-path=no',
      '      add-default-route=no dial-on-demand=no allow=pap,chap,mschap1,mschap2',
    ].join('\n'),
  );
});

test('ROUTEROS.md: l2tp-server table with a dynamic row', () => {
  const rt = new MemoryRuntime();
  rt.tables.set('interface l2tp-server', [
    {
      id: '*80000001',
      values: { name: '<l2tp-user1>', user: 'user1', mtu: '1450', 'client-address': '10.99.0.2', uptime: '44m8s', encoding: 'MPPE128 stateless' },
      flags: 'R',
    },
  ]);
  const s = session(rt);
  // Column widths follow the widest cell + 2 (ROUTEROS.md's sample was cut from a longer list,
  // so its NAME and USER columns are wider than its one row needs).
  assert.equal(
    out(s, '/interface l2tp-server print'),
    [
      'Flags: D - dynamic; R - running',
      'Columns: NAME, USER, MTU, CLIENT-ADDRESS, UPTIME, ENCODING',
      '#    NAME          USER   MTU   CLIENT-ADDRESS  UPTIME  ENCODING',
      '0 DR <l2tp-user1>  user1  1450  10.99.0.2       44m8s   MPPE128 stateless',
    ].join('\n'),
  );
  const set = s.run('/interface l2tp-server set 0 user=x');
  assert.equal(set.error?.code, 'CMD_DYNAMIC');
});

test('ROUTEROS.md: settings object with list values one per line', () => {
  const s = session();
  out(s, '/interface l2tp-server server set enabled=yes authentication=pap,chap,mschap1,mschap2');
  const text = out(s, '/interface l2tp-server server print');
  const lines = text.split('\n');
  assert.deepEqual(lines.slice(0, 11), [
    '             enabled: yes',
    '             max-mtu: 1450',
    '             max-mru: 1450',
    '                mrru: disabled',
    '      authentication: pap',
    '                      chap',
    '                      mschap1',
    '                      mschap2',
    '   keepalive-timeout: 30',
    '        max-sessions: unlimited',
    '     default-profile: default-encryption',
  ]);
});

test('monitor output is right-aligned like settings', () => {
  assert.deepEqual(formatMonitor({ status: 'connected', uptime: '7h24m18s', 'idle-time': '6h21m4s', encoding: 'MPPE128 stateless', mtu: '1450', mru: '1450' }), [
    '   status: connected',
    '   uptime: 7h24m18s',
    'idle-time: 6h21m4s',
    ' encoding: MPPE128 stateless',
    '      mtu: 1450',
    '      mru: 1450',
  ]);
  assert.deepEqual(formatSettings({ a: 'x,y', bb: '' }, ['a', 'bb'], new Set(['a'])), [' a: x', '    y', 'bb:']);
});

test('detail: disabled flag slot, comment line, wrapping, terse', () => {
  const def = getMenu('ppp secret');
  assert.ok(def);
  const rows: RowView[] = [
    { id: '*1', values: { name: 'u', service: 'any', comment: 'hello world' }, flags: 'X', dynamic: false, builtin: false },
    { id: '*2', values: { name: 'v w', service: 'any' }, flags: '', dynamic: false, builtin: false },
  ];
  assert.deepEqual(formatDetail(def, rows), [
    'Flags: X - disabled',
    ' 0 X ;;; hello world',
    '     name="u" service=any',
    ' 1   name="v w" service=any',
  ]);
  assert.deepEqual(formatDetail(def, rows, { terse: true }), [
    ' 0 X comment="hello world" name=u service=any',
    ' 1   name="v w" service=any',
  ]);
  assert.deepEqual(formatTable(def, rows), [
    'Flags: X - disabled',
    'Columns: NAME, SERVICE',
    '#   NAME  SERVICE',
    '0   ;;; hello world',
    '0 X u     any',
    '1   v w   any',
  ]);
});

test('print variants: count-only, as-value, brief, where, stats', () => {
  const rt = new MemoryRuntime();
  rt.tables.set('ppp active', [
    { id: '*1', values: { name: 'user1', service: 'l2tp', 'caller-id': '10.1.101.100', address: '10.99.0.2', uptime: '1m', encoding: 'MPPE128 stateless', bytes: '100/200', packets: '1/2' } },
    { id: '*2', values: { name: 'user2', service: 'l2tp', 'caller-id': '10.1.101.101', address: '10.99.0.3', uptime: '2m', encoding: '' }, flags: 'R' },
  ]);
  const s = session(rt);
  assert.equal(out(s, '/ppp active print count-only'), '2');
  assert.equal(out(s, '/ppp active print count-only where radius'), '1');
  assert.equal(out(s, '/ppp active print as-value where name=user2').split('\n').length, 1);
  assert.match(out(s, '/ppp active print as-value where name=user2'), /^\.id=\*2;name=user2;service=l2tp;/);
  assert.equal(
    out(s, '/ppp active print stats'),
    ['Flags: R - radius', 'Columns: NAME, BYTES, PACKETS', '#   NAME   BYTES    PACKETS', '0   user1  100/200  1/2', '1 R user2'].join('\n'),
  );
  assert.match(out(s, '/interface l2tp-client print brief'), /^Columns: NAME/);
  assert.equal(out(s, '/ppp active print count-only where uptime>90s'), '1');
});

test('log print', () => {
  const rt = new MemoryRuntime();
  rt.tables.set('log', [{ id: '*1', values: { time: '12:00:01', topics: 'l2tp,ppp,info,account', message: 'user1 logged in, 10.1.101.100' } }]);
  assert.equal(out(session(rt), '/log print'), '12:00:01 l2tp,ppp,info,account user1 logged in, 10.1.101.100');
});

test('quoting', () => {
  assert.equal(quoteIfNeeded('abc'), 'abc');
  assert.equal(quoteIfNeeded(''), '""');
  assert.equal(quoteIfNeeded('a b'), '"a b"');
  assert.equal(quote('a"b\\c$d\ne'), '"a\\"b\\\\c\\$d\\ne"');
});
