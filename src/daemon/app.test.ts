import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryRuntime, emptyRuntime } from '../config/runtime.js';
import { ConfigStore } from '../config/store.js';
import { nullLogger } from '../core/log.js';
import { composeRuntime, createConfigOnlyApp } from './app.js';
import { LogBuffer, logRuntime } from './log-buffer.js';

test('composeRuntime: rows concatenated, statuses merged, first monitor, first supporting command', () => {
  const a = new MemoryRuntime();
  const b = new MemoryRuntime();
  a.tables.set('ppp active', [{ id: '*1', values: { name: 'u1' } }]);
  b.tables.set('ppp active', [{ id: '*2', values: { name: 'u2' } }]);
  a.statuses.set('interface l2tp-client#*5', { values: { mtu: '1450' }, flags: 'R' });
  b.statuses.set('interface l2tp-client#*5', { values: { uptime: '5s' }, flags: 'R' });
  b.monitors.set('interface l2tp-client#*5', { status: 'connected' });
  const log = new LogBuffer({ clock: () => 0 });
  log.log(['info'], 'hello');
  const rt = composeRuntime(logRuntime(log), a, b);
  assert.deepEqual(rt.rows('ppp active').map((r) => r.id), ['*1', '*2']);
  assert.equal(rt.rows('log').length, 1);
  assert.deepEqual(rt.status('interface l2tp-client', '*5'), { values: { mtu: '1450', uptime: '5s' }, flags: 'R' });
  assert.equal(rt.status('interface l2tp-client', '*6'), undefined);
  assert.deepEqual(rt.monitor('interface l2tp-client', '*5'), { status: 'connected' });
  assert.equal(rt.monitor('interface l2tp-client', '*6'), undefined);
  // The log provider does not support remove; the first MemoryRuntime does.
  assert.deepEqual(rt.command('ppp active', 'remove', ['*1'], new Map()), {});
  assert.deepEqual(a.commands.map((c) => c.ids), [['*1']]);
  assert.equal(b.commands.length, 0);
  assert.equal(composeRuntime().command('x', 'y', [], new Map()).error?.code, 'RUNTIME_UNSUPPORTED');
  assert.equal(composeRuntime(emptyRuntime), emptyRuntime);
});

test('config-only app: nothing to start or stop, /log answered', async () => {
  const log = new LogBuffer({ clock: () => 0 });
  const app = createConfigOnlyApp({ store: new ConfigStore(), logger: nullLogger, logRuntime: logRuntime(log), dataDir: '/nonexistent' });
  assert.deepEqual(await app.start(), []);
  app.applyChanges([]);
  log.log(['info'], 'x');
  assert.equal(app.runtime.rows('log').length, 1);
  await app.shutdown();
});
