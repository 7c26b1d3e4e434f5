import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigStore } from '../config/store.js';
import { MemoryRuntime } from '../config/runtime.js';
import { executeCommand, type Command, type CommandContext } from './command.js';
import { collectRows } from './rows.js';

const ctx: CommandContext = { numbering: () => undefined };

function cmd(path: string, verb: string, args: Record<string, string> = {}, extra: Partial<Command> = {}): Command {
  return { path: path.split(' ').filter((w) => w !== ''), verb, args: new Map(Object.entries(args)), ...extra };
}

test('the API/REST path: add, print as-value, find, set by id, get, remove', () => {
  const store = new ConfigStore();
  const rt = new MemoryRuntime();
  const add = executeCommand(store, rt, cmd('ppp secret', 'add', { name: 'u1', password: 'p' }), ctx);
  assert.equal(add.error, undefined);
  assert.deepEqual(add.ids, ['*1']);
  assert.equal(add.changes[0]?.op, 'add');
  const printed = executeCommand(store, rt, cmd('ppp secret', 'print', {}, { flags: new Set(['as-value']) }), ctx);
  assert.match(printed.lines[0] ?? '', /^\.id=\*1;name=u1;/);
  assert.deepEqual(printed.numbering, { menu: 'ppp secret', ids: ['*1'] });
  const narrow = executeCommand(store, rt, cmd('ppp secret', 'print', { proplist: 'password,name' }, { flags: new Set(['as-value']) }), ctx);
  assert.deepEqual(narrow.lines, ['.id=*1;name=u1;password=p']);
  const found = executeCommand(store, rt, cmd('ppp secret', 'find', {}, { where: { kind: 'cmp', prop: 'name', op: '=', value: 'u1' } }), ctx);
  assert.deepEqual(found.ids, ['*1']);
  const set = executeCommand(store, rt, cmd('ppp secret', 'set', { service: 'l2tp' }, { items: [{ kind: 'id', id: '*1' }] }), ctx);
  assert.deepEqual(set.changes.map((c) => [c.op, c.before?.['service'], c.after?.['service']]), [['set', 'any', 'l2tp']]);
  const got = executeCommand(store, rt, cmd('ppp secret', 'get', {}, { items: [{ kind: 'name', name: 'u1' }], property: 'service' }), ctx);
  assert.deepEqual(got.lines, ['l2tp']);
  const rm = executeCommand(store, rt, cmd('ppp secret', 'remove', {}, { items: [{ kind: 'number', n: 0 }] }), ctx);
  assert.equal(rm.changes[0]?.op, 'remove');
  assert.equal(store.items('ppp secret').length, 0);
});

test('errors carry stable codes', () => {
  const store = new ConfigStore();
  const rt = new MemoryRuntime();
  assert.equal(executeCommand(store, rt, cmd('ppp secret', 'frobnicate'), ctx).error?.code, 'CMD_BAD_COMMAND');
  assert.equal(executeCommand(store, rt, cmd('ppp secret', 'set', { name: 'x' }), ctx).error?.code, 'CMD_MISSING_ITEM');
  assert.equal(executeCommand(store, rt, cmd('ppp secret', 'set', {}, { items: [{ kind: 'id', id: '*5' }] }), ctx).error?.code, 'CFG_NO_SUCH_ITEM');
  assert.equal(executeCommand(store, rt, cmd('ppp secret', 'add', { nosuch: '1', name: 'x' }), ctx).error?.code, 'CFG_UNKNOWN_PROPERTY');
  assert.equal(executeCommand(store, rt, cmd('nowhere', 'export'), ctx).error?.code, 'CMD_BAD_COMMAND');
  assert.equal(executeCommand(store, rt, cmd('ppp active', 'monitor', {}, { items: [{ kind: 'id', id: '*1' }] }), ctx).error?.code, 'CMD_BAD_COMMAND');
  assert.equal(executeCommand(store, rt, cmd('', 'export', { file: 'x' }), ctx).error?.code, 'CMD_NO_FILE');
});

test('numbers resolve through the context numbering', () => {
  const store = new ConfigStore();
  const rt = new MemoryRuntime();
  store.add('ppp secret', { name: 'a' });
  store.add('ppp secret', { name: 'b' });
  const reversed: CommandContext = { numbering: () => ['*2', '*1'] };
  executeCommand(store, rt, cmd('ppp secret', 'set', { comment: 'x' }, { items: [{ kind: 'number', n: 0 }] }), reversed);
  assert.equal(store.findByName('ppp secret', 'b')?.values['comment'], 'x');
});

test('rows merge configured items, runtime status and dynamic rows', () => {
  const store = new ConfigStore();
  const rt = new MemoryRuntime();
  store.add('interface l2tp-server', { name: 'static1', user: 'u1' });
  rt.statuses.set('interface l2tp-server#*1', { flags: 'R', values: { mtu: '1450' } });
  rt.tables.set('interface l2tp-server', [{ id: '*80000001', values: { name: '<l2tp-u2>', user: 'u2' }, flags: 'R' }]);
  const rows = collectRows(store, rt, 'interface l2tp-server');
  assert.deepEqual(rows.map((r) => [r.id, r.flags, r.values['mtu'] ?? '']), [
    ['*1', 'R', '1450'],
    ['*80000001', 'DR', ''],
  ]);
  const rm = executeCommand(store, rt, cmd('interface l2tp-server', 'remove', {}, { items: [{ kind: 'name', name: '<l2tp-u2>' }] }), ctx);
  assert.equal(rm.error?.code, 'CMD_DYNAMIC');
});

test('/queue simple: the dynamic queues of rate-limited sessions, RouterOS detail style; no add', () => {
  const store = new ConfigStore();
  const rt = new MemoryRuntime();
  rt.tables.set('queue simple', [
    {
      id: '*1000001',
      flags: 'D',
      values: {
        name: '<l2tp-alice>',
        target: '<l2tp-alice>',
        parent: 'none',
        priority: '8/8',
        queue: 'default-small/default-small',
        'limit-at': '0/0',
        'max-limit': '2M/1M',
        'burst-limit': '0/0',
        'burst-threshold': '0/0',
        'burst-time': '0s/0s',
      },
    },
  ]);
  const r = executeCommand(store, rt, cmd('queue simple', 'print', {}), ctx);
  assert.equal(r.error, undefined);
  const text = r.lines.join('\n');
  assert.match(text, /^Flags: D - dynamic/);
  assert.match(text, / 0 D name="<l2tp-alice>" target="<l2tp-alice>" parent="none" priority="8\/8"\s+queue="default-small\/default-small" limit-at="0\/0" max-limit="2M\/1M"\s+burst-limit="0\/0"/);
  assert.equal(executeCommand(store, rt, cmd('queue simple', 'add', { name: 'x' }), ctx).error?.code !== undefined, true);
});
