import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryRuntime } from '../config/runtime.js';
import { ConfigStore, type ChangeRecord } from '../config/store.js';
import { ControlConnection, ControlServer, LineSplitter, MAX_LINE_BYTES, parseRequest, type ControlHooks, type ControlReply } from './control.js';

function hooks(store: ConfigStore, log: string[], saveError?: { code: string; message: string }): ControlHooks {
  return {
    commit: (changes: readonly ChangeRecord[]) => {
      // What a real commit would save: the store as it is when the reply is still unsent.
      log.push(`commit ${changes.map((c) => `${c.op} ${c.menu}`).join(',')} :: ${store.items('ppp secret').length} secrets`);
      return saveError;
    },
    sessionOptions: () => ({ user: 'admin' }),
  };
}

function conn(log: string[] = [], runtime = new MemoryRuntime()): { c: ControlConnection; store: ConfigStore } {
  const store = new ConfigStore();
  return { c: new ControlConnection(store, runtime, hooks(store, log)), store };
}

test('parseRequest: valid requests and every kind of bad one', () => {
  assert.deepEqual(parseRequest('{"id":1,"op":"run","text":"/ppp secret print"}'), { id: 1, op: 'run', text: '/ppp secret print' });
  assert.deepEqual(parseRequest('{"id":"a","op":"complete","text":"/pp","cursor":3}'), { id: 'a', op: 'complete', text: '/pp', cursor: 3 });
  const bad: Array<[string, string]> = [
    ['not json', 'CTL_BAD_JSON'],
    ['[1,2]', 'CTL_BAD_REQUEST'],
    ['null', 'CTL_BAD_REQUEST'],
    ['"run"', 'CTL_BAD_REQUEST'],
    ['{"id":1}', 'CTL_BAD_OP'],
    ['{"id":1,"op":"shutdown"}', 'CTL_BAD_OP'],
    ['{"id":1,"op":"run","text":5}', 'CTL_BAD_REQUEST'],
    ['{"id":1,"op":"complete","text":"x","cursor":-1}', 'CTL_BAD_REQUEST'],
    ['{"id":1,"op":"complete","text":"x","cursor":1.5}', 'CTL_BAD_REQUEST'],
    ['{"op":"__proto__"}', 'CTL_BAD_OP'],
  ];
  for (const [line, code] of bad) {
    const r = parseRequest(line);
    assert.ok('error' in r, line);
    assert.equal(r.error.code, code, line);
  }
  const r = parseRequest('{"id":{"x":1},"op":"nope"}');
  assert.ok('error' in r && r.id === null);
});

test('run: output, prompt and menu kept per connection; commit happens before the reply, with the change in it', () => {
  const log: string[] = [];
  const { c } = conn(log);
  const first = c.handleLine(JSON.stringify({ id: 1, op: 'run', text: '/ppp secret' }));
  assert.deepEqual(first, { id: 1, lines: [], prompt: '[admin@MikroTik] /ppp secret> ' });
  assert.deepEqual(log, [], 'no change, no save');
  const add = c.handleLine(JSON.stringify({ id: 2, op: 'run', text: 'add name=Laptop password=123' }));
  assert.equal(add.error, undefined);
  assert.deepEqual(log, ['commit add ppp secret :: 1 secrets']);
  const print = c.handleLine(JSON.stringify({ id: 3, op: 'run', text: 'print' }));
  assert.match(print.lines.join('\n'), /Laptop/);
  assert.equal(print.prompt, '[admin@MikroTik] /ppp secret> ');
});

test('run: a failing script keeps and commits the commands before the error, reports it', () => {
  const log: string[] = [];
  const { c, store } = conn(log);
  const r = c.handleLine(JSON.stringify({ id: 7, op: 'run', text: '/ppp secret add name=a\n/ppp secret add name=b bogus=1\n/ppp secret add name=c' }));
  assert.equal(r.id, 7);
  assert.equal(r.error?.code, 'CON_EXPECTED_END');
  assert.equal(r.lines.at(-1), r.error?.message);
  assert.deepEqual(store.items('ppp secret').map((i) => i.values['name']), ['a']);
  assert.deepEqual(log, ['commit add ppp secret :: 1 secrets']);
  const failure = c.handleLine(JSON.stringify({ id: 8, op: 'run', text: '/ppp secret add name=a' }));
  assert.match(failure.error?.message ?? '', /^failure:/);
  assert.equal(log.length, 1, 'a refused command changes nothing and saves nothing');
});

test('run: a save failure is reported to the client as an error', () => {
  const store = new ConfigStore();
  const c = new ControlConnection(store, new MemoryRuntime(), hooks(store, [], { code: 'CONFIG_WRITE', message: 'failure: configuration not saved: disk full' }));
  const r = c.handleLine(JSON.stringify({ id: 1, op: 'run', text: '/ip pool add name=p ranges=10.0.0.1-10.0.0.9' }));
  assert.equal(r.error?.code, 'CONFIG_WRITE');
  assert.equal(r.lines.at(-1), 'failure: configuration not saved: disk full');
});

test('complete, help, prompt', () => {
  const { c } = conn();
  const comp = c.handleLine(JSON.stringify({ id: 1, op: 'complete', text: '/ppp se', cursor: 7 }));
  assert.ok(comp.completions?.includes('secret'), JSON.stringify(comp));
  const atCursor = c.handleLine(JSON.stringify({ id: 2, op: 'complete', text: '/ppp se print', cursor: 7 }));
  assert.deepEqual(atCursor.completions, comp.completions);
  const help = c.handleLine(JSON.stringify({ id: 3, op: 'help', text: '/ppp secret add ' }));
  assert.ok(help.lines.some((l) => l.startsWith('password')), help.lines.join('\n'));
  assert.deepEqual(c.handleLine('{"id":4,"op":"prompt"}'), { id: 4, lines: [], prompt: '[admin@MikroTik] > ' });
});

test('repeat: offered for monitor/print interval= without changes, re-run from the starting menu', () => {
  const runtime = new MemoryRuntime();
  runtime.tables.set('ppp active', [{ id: '*1', values: { name: 'u1', service: 'l2tp' } }]);
  const { c } = conn([], runtime);
  assert.equal(c.handleLine('{"id":1,"op":"repeat"}').error?.code, 'CTL_NO_REPEAT');
  const first = c.handleLine(JSON.stringify({ id: 2, op: 'run', text: '/ppp active; print interval=2s' }));
  assert.equal(first.repeatMs, 2000);
  runtime.tables.set('ppp active', [{ id: '*2', values: { name: 'u2', service: 'l2tp' } }]);
  const again = c.handleLine('{"id":3,"op":"repeat"}');
  assert.equal(again.repeatMs, 2000);
  assert.match(again.lines.join('\n'), /u2/);
  assert.equal(again.prompt, '[admin@MikroTik] /ppp active> ');
  // A run that changed configuration is never offered for repeating.
  const withChange = c.handleLine(JSON.stringify({ id: 4, op: 'run', text: '/ip pool add name=p ranges=10.0.0.1-10.0.0.2; /ppp active print interval=1' }));
  assert.equal(withChange.error, undefined);
  assert.equal(withChange.repeatMs, undefined);
  assert.equal(c.handleLine('{"id":5,"op":"repeat"}').error?.code, 'CTL_NO_REPEAT');
});

test('property: any request line gets exactly one well-formed reply and never throws', () => {
  const { c, store } = conn();
  const before = store.serialize();
  const line = fc.oneof(
    fc.string(),
    fc.json(),
    fc.record({
      id: fc.oneof(fc.integer(), fc.string(), fc.constant(null)),
      op: fc.constantFrom('run', 'complete', 'help', 'prompt', 'repeat', 'x'),
      text: fc.oneof(fc.string(), fc.constantFrom('print', '/ppp secret print detail', '[find', '"', '\\', 'remove 0', 'set 0 name=')),
      cursor: fc.oneof(fc.nat(50), fc.integer()),
    }).map((o) => JSON.stringify(o)),
  );
  fc.assert(
    fc.property(line, (l) => {
      const r: ControlReply = c.handleLine(l);
      assert.ok(Array.isArray(r.lines));
      assert.equal(typeof r.prompt, 'string');
      JSON.stringify(r);
    }),
    { numRuns: 400 },
  );
  // Nothing above adds items (the texts have no add); the configuration is unchanged.
  assert.equal(store.serialize(), before);
});

test('LineSplitter: lines across chunks, CRLF, over-long lines dropped once', () => {
  const s = new LineSplitter(10);
  assert.deepEqual(s.push(Buffer.from('ab')), []);
  assert.deepEqual(s.push(Buffer.from('c\r\nde\n')), [{ line: 'abc' }, { line: 'de' }]);
  assert.deepEqual(s.push(Buffer.from('0123456789A')), [{ tooLong: true }]);
  assert.deepEqual(s.push(Buffer.from('BCDEF')), []);
  assert.deepEqual(s.push(Buffer.from('G\nok\n')), [{ line: 'ok' }]);
  assert.deepEqual(s.push(Buffer.from('0123456789\n')), [{ line: '0123456789' }], 'exactly the cap is fine');
});

function request(socket: Socket, payload: string): Promise<ControlReply> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer): void => {
      buf += d.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        socket.off('data', onData);
        resolve(JSON.parse(buf.slice(0, nl)) as ControlReply);
      }
    };
    socket.on('data', onData);
    socket.once('error', reject);
    socket.write(payload);
  });
}

test('server: unix socket mode 0600, bad input answered, connection stays usable, sessions separate', { timeout: 20_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'l2tp-control-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'control.sock');
  const store = new ConfigStore();
  const log: string[] = [];
  const server = await ControlServer.listen(path, { store, runtime: new MemoryRuntime(), ...hooks(store, log) });
  t.after(() => server.close());
  {
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.ok(statSync(path).isSocket());
    const a = createConnection({ path });
    const b = createConnection({ path });
    await Promise.all([new Promise((r) => a.once('connect', r)), new Promise((r) => b.once('connect', r))]);
    assert.equal((await request(a, 'garbage\n')).error?.code, 'CTL_BAD_JSON');
    // Over 1 MiB without a newline, sent in pieces: one error reply, then business as usual.
    a.write('x'.repeat(500_000));
    const tooLong = await request(a, 'x'.repeat(MAX_LINE_BYTES - 500_000 + 10));
    assert.equal(tooLong.error?.code, 'CTL_TOO_LONG');
    a.write('x'.repeat(300_000) + '\n');
    const ok = await request(a, '{"id":9,"op":"run","text":"/ppp secret"}\n');
    assert.equal(ok.id, 9);
    assert.equal(ok.prompt, '[admin@MikroTik] /ppp secret> ');
    const other = await request(b, '{"id":1,"op":"prompt"}\n');
    assert.equal(other.prompt, '[admin@MikroTik] > ', 'each connection has its own menu');
    // Two requests in one write get two replies in order.
    const both = await new Promise<string[]>((resolve) => {
      let buf = '';
      b.on('data', (d: Buffer) => {
        buf += d.toString('utf8');
        const lines = buf.split('\n').filter((l) => l !== '');
        if (lines.length >= 2) resolve(lines);
      });
      b.write('{"id":1,"op":"run","text":"/ip pool add name=p ranges=10.0.0.1-10.0.0.2"}\n{"id":2,"op":"run","text":"/ip pool print count-only"}\n');
    });
    assert.deepEqual(both.map((l) => (JSON.parse(l) as ControlReply).id), [1, 2]);
    assert.deepEqual((JSON.parse(both[1] ?? '{}') as ControlReply).lines, ['1']);
    assert.equal(log.length, 1);
    a.destroy();
    b.destroy();
  }
  await server.close();
  assert.throws(() => statSync(path), /ENOENT/, 'the socket file is removed at close');
});
