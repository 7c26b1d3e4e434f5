import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LogBuffer, formatLogLine, logRuntime, logTime, oneLine, timeOfDay } from './log-buffer.js';

const T0 = new Date(2026, 0, 31, 9, 5, 7).getTime(); // local time

test('stdout line: HH:MM:SS topics message, one line per entry', () => {
  assert.equal(formatLogLine(T0, ['l2tp', 'ppp', 'info', 'account'], 'user1 logged in, 10.1.101.100'), '09:05:07 l2tp,ppp,info,account user1 logged in, 10.1.101.100');
  assert.equal(oneLine('a\nb\r\nc'), 'a | b | c');
  const lines: string[] = [];
  const b = new LogBuffer({ clock: () => T0, sink: (l) => lines.push(l) });
  b.log(['system', 'error'], 'Error: x\n    at y');
  assert.deepEqual(lines, ['09:05:07 system,error Error: x |     at y']);
});

test('ring keeps the last N entries with stable ids; rows have the /log columns', () => {
  let now = T0;
  const b = new LogBuffer({ capacity: 3, clock: () => now });
  for (let i = 1; i <= 5; i++) {
    now = T0 + i * 1000;
    b.log(['l2tp', 'info'], `m${i}`);
  }
  assert.deepEqual(b.entries().map((e) => [e.id, e.message]), [['*3', 'm3'], ['*4', 'm4'], ['*5', 'm5']]);
  assert.deepEqual(b.rows()[0], { id: '*3', values: { time: '09:05:10', topics: 'l2tp,info', message: 'm3' } });
  const rt = logRuntime(b);
  assert.equal(rt.rows('log').length, 3);
  assert.deepEqual(rt.rows('ppp active'), []);
  assert.equal(rt.command('log', 'remove', [], new Map()).error?.code, 'RUNTIME_UNSUPPORTED');
});

test('default capacity is 1000 and memory stays bounded', () => {
  const b = new LogBuffer({ clock: () => T0 });
  for (let i = 0; i < 2500; i++) b.log(['info'], `m${i}`);
  const e = b.entries();
  assert.equal(e.length, 1000);
  assert.equal(e[0]?.message, 'm1500');
  assert.equal(e[999]?.message, 'm2499');
});

test('log time: today as HH:MM:SS, older days with the month', () => {
  assert.equal(timeOfDay(T0), '09:05:07');
  assert.equal(logTime(T0, T0 + 3600_000), '09:05:07');
  assert.equal(logTime(T0, T0 + 2 * 86_400_000), 'jan/31 09:05:07');
});

test('a throwing sink does not lose the entry or reach the caller', () => {
  const b = new LogBuffer({
    clock: () => T0,
    sink: () => {
      throw new Error('EPIPE');
    },
  });
  b.log(['info'], 'kept');
  assert.equal(b.entries()[0]?.message, 'kept');
});
