import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { ConfigStore, type ChangeRecord } from '../config/store.js';
import { ControlClient } from '../cli/client.js';
import { createConfigOnlyApp, type App, type AppFactory } from './app.js';
import { exportDate, startDaemon, type DaemonOptions } from './daemon.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'l2tp-daemon-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString('utf8')));
  return { stream, text: () => text };
}

function opts(dataDir: string, extra: Partial<DaemonOptions> = {}): DaemonOptions & { out: ReturnType<typeof capture>; err: ReturnType<typeof capture> } {
  const out = capture();
  const err = capture();
  return { dataDir, version: '9.9.9', stdout: out.stream, stderr: err.stream, out, err, ...extra };
}

test('export header date format', () => {
  assert.equal(exportDate(new Date(2026, 0, 2, 3, 4, 5)), '2026-01-02 03:04:05');
});

test('start, change over the socket (saved before the reply, applied to the app), stop saves and cleans up', async (t) => {
  const dir = tempDir(t);
  const applied: ChangeRecord[][] = [];
  let shutdowns = 0;
  const factory: AppFactory = (ctx) => {
    const base = createConfigOnlyApp(ctx);
    const app: App = {
      ...base,
      applyChanges: (changes) => {
        // By the time the app hears of a change, it is already on disk.
        const onDisk = ConfigStore.deserialize(readFileSync(join(dir, 'config.json'), 'utf8'));
        assert.ok(onDisk instanceof ConfigStore);
        assert.equal(onDisk.items('ip pool').length, ctx.store.items('ip pool').length);
        applied.push([...changes]);
      },
      shutdown: () => {
        shutdowns++;
        return Promise.resolve();
      },
    };
    return app;
  };
  const o = opts(dir, { appFactory: factory });
  const d = await startDaemon(o);
  assert.ok(typeof d !== 'number', o.err.text());
  t.after(() => d.stop());
  assert.equal(statSync(d.socketPath).mode & 0o777, 0o600);
  assert.ok(existsSync(join(dir, 'l2tp.pid')));
  const c = await ControlClient.connect(d.socketPath);
  const r = await c.request('run', '/ip pool add name=vpn-pool ranges=192.168.99.2-192.168.99.100');
  assert.equal(r.error, undefined);
  assert.deepEqual(applied.map((a) => a.map((x) => `${x.op} ${x.menu}`)), [['add ip pool']]);
  const log = await c.request('run', '/log print');
  assert.match(log.lines.join('\n'), /system,info l2tp 9\.9\.9 started/);
  c.close();
  assert.equal(await d.stop(), 0);
  assert.equal(await d.stopped, 0);
  assert.equal(shutdowns, 1);
  assert.equal(existsSync(d.socketPath), false);
  assert.equal(existsSync(join(dir, 'l2tp.pid')), false);
  const saved = ConfigStore.deserialize(readFileSync(join(dir, 'config.json'), 'utf8'));
  assert.ok(saved instanceof ConfigStore);
  assert.equal(saved.findByName('ip pool', 'vpn-pool')?.values['ranges'], '192.168.99.2-192.168.99.100');
  assert.match(o.out.text(), /^\d\d:\d\d:\d\d system,info l2tp 9\.9\.9 started, data directory /m);
  assert.match(o.out.text(), /stopped, configuration saved/);
});

test('a corrupt configuration is refused with the file named and left untouched', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'config.json');
  writeFileSync(path, '{"format":"l2tp-config","version":1,"lists":');
  const o = opts(dir);
  assert.equal(await startDaemon(o), 1);
  assert.match(o.err.text(), new RegExp(`cannot load configuration file ${path.replace(/[.]/g, '\\.')}: .*corrupt`));
  assert.equal(readFileSync(path, 'utf8'), '{"format":"l2tp-config","version":1,"lists":');
  assert.equal(existsSync(join(dir, 'l2tp.pid')), false, 'the lock is released');
  assert.equal(existsSync(join(dir, 'control.sock')), false);
});

test('--import: applied and saved before start; a failing import is fatal and saves nothing', async (t) => {
  const dir = tempDir(t);
  const good = opts(dir, { importText: { name: 'setup.rsc', text: '/ip pool\nadd name=p1 ranges=10.0.0.1-10.0.0.5\n' } });
  const d = await startDaemon(good);
  assert.ok(typeof d !== 'number', good.err.text());
  assert.equal(await d.stop(), 0);
  const before = readFileSync(join(dir, 'config.json'), 'utf8');
  assert.match(before, /p1/);

  // A whole configuration (more than an event script's 1000 commands) imports, and :log in it
  // reaches the daemon's log.
  const many = Array.from({ length: 1500 }, (_, i) => `/ppp secret add name=u${i} password=p${i}`).join('\n');
  const big = opts(dir, { importText: { name: 'big.rsc', text: `${many}\n:log info "imported all"\n` } });
  const d2 = await startDaemon(big);
  assert.ok(typeof d2 !== 'number', big.err.text());
  assert.equal(await d2.stop(), 0);
  assert.match(big.out.text(), /imported all/);
  const after = readFileSync(join(dir, 'config.json'), 'utf8');
  assert.match(after, /"u1499"/);

  const bad = opts(dir, { importText: { name: 'bad.rsc', text: '/ip pool add name=p2 ranges=10.0.1.1-10.0.1.5\n/ip pool add name=p3 bogus=1\n' } });
  assert.equal(await startDaemon(bad), 1);
  assert.match(bad.err.text(), /import bad\.rsc failed: expected end of command \(line 2 column \d+\); nothing was saved/);
  assert.equal(readFileSync(join(dir, 'config.json'), 'utf8'), after, 'p2 was not saved');
});

test('app start-up changes are saved; a failing app start is reported', async (t) => {
  const dir = tempDir(t);
  const o = opts(dir, {
    appFactory: (ctx) => ({
      ...createConfigOnlyApp(ctx),
      start: () => {
        const r = ctx.store.add('interface ethernet', { name: 'eth9' });
        return Promise.resolve('code' in r ? [] : r.changes);
      },
    }),
  });
  const d = await startDaemon(o);
  assert.ok(typeof d !== 'number', o.err.text());
  // Saved at start, not only at stop.
  assert.match(readFileSync(join(dir, 'config.json'), 'utf8'), /eth9/);
  await d.stop();

  const f = opts(dir, { appFactory: (ctx) => ({ ...createConfigOnlyApp(ctx), start: () => Promise.reject(new Error('no TUN')) }) });
  assert.equal(await startDaemon(f), 1);
  assert.match(f.err.text(), /start-up failed: no TUN/);
  assert.equal(existsSync(join(dir, 'l2tp.pid')), false);
});

test('persist: a change the app makes itself (a script, a timeout) is on disk when persist returns; :log from the console reaches the daemon log', async (t) => {
  const dir = tempDir(t);
  let persist: (() => void) | undefined;
  let store: ConfigStore | undefined;
  const o = opts(dir, {
    appFactory: (ctx) => {
      persist = ctx.persist;
      store = ctx.store;
      return createConfigOnlyApp(ctx);
    },
  });
  const d = await startDaemon(o);
  assert.ok(typeof d !== 'number', o.err.text());
  t.after(() => d.stop());
  assert.ok(persist && store, 'the daemon supplies persist to the app');
  const r = store.add('ip firewall address-list', { list: 'scripted', address: '172.16.5.2' });
  assert.ok(!('code' in r));
  persist();
  // Synchronously on disk (atomic write + fsync): nothing later is needed to keep it.
  const saved = ConfigStore.deserialize(readFileSync(join(dir, 'config.json'), 'utf8'));
  assert.ok(saved instanceof ConfigStore);
  assert.deepEqual(saved.items('ip firewall address-list').map((i) => i.values['address']), ['172.16.5.2']);

  const c = await ControlClient.connect(d.socketPath);
  const put = await c.request('run', ':log info "hello from exec"');
  assert.equal(put.error, undefined);
  const log = await c.request('run', '/log print');
  assert.match(log.lines.join('\n'), /script,info hello from exec/);
  c.close();
  assert.match(o.out.text(), /script,info hello from exec/);
  assert.equal(await d.stop(), 0);
});
