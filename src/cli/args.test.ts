import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ArgError, parseArgs, resolveDataDir } from './args.js';
import { completionWord, questionMarkIsLiteral } from './console.js';

test('commands and options', () => {
  assert.deepEqual(parseArgs(['start']), { kind: 'start', network: true });
  assert.deepEqual(parseArgs(['start', '--data-dir', '/d', '--import', 'x.rsc']), { kind: 'start', dataDir: '/d', importFile: 'x.rsc', network: true });
  assert.deepEqual(parseArgs(['--data-dir=/d', 'start']), { kind: 'start', dataDir: '/d', network: true });
  assert.deepEqual(parseArgs(['start', '--no-network']), { kind: 'start', network: false });
  assert.ok(parseArgs(['exec', '--no-network', '/x']) instanceof ArgError);
  assert.deepEqual(parseArgs(['exec', '/ppp secret print']), { kind: 'exec', text: '/ppp secret print' });
  assert.deepEqual(parseArgs(['exec', '--data-dir', '/d', '/ppp', 'secret', 'print']), { kind: 'exec', dataDir: '/d', text: '/ppp secret print' });
  assert.deepEqual(parseArgs(['exec', '/ppp secret print', '--data-dir', '/d']), { kind: 'exec', dataDir: '/d', text: '/ppp secret print' });
  assert.deepEqual(parseArgs(['exec', '--', '--weird']), { kind: 'exec', text: '--weird' });
  assert.deepEqual(parseArgs(['exec']), { kind: 'exec' });
  assert.deepEqual(parseArgs(['console', '--data-dir', '/d']), { kind: 'console', dataDir: '/d' });
  assert.deepEqual(parseArgs(['--help']), { kind: 'help' });
  assert.deepEqual(parseArgs(['-h']), { kind: 'help' });
  assert.deepEqual(parseArgs(['help']), { kind: 'help' });
  assert.deepEqual(parseArgs(['start', '--help']), { kind: 'help' });
  assert.deepEqual(parseArgs(['--version']), { kind: 'version' });
  assert.deepEqual(parseArgs(['-V']), { kind: 'version' });
});

test('usage errors', () => {
  const cases: string[][] = [
    [],
    ['stop'],
    ['start', '--data-dir'],
    ['start', '--data-dir='],
    ['start', '--bogus'],
    ['start', '-x'],
    ['start', 'extra'],
    ['console', 'extra'],
    ['exec', '--import', 'x', 'print'],
    ['start', '--data-dir', 'a', '--data-dir', 'b'],
  ];
  for (const argv of cases) assert.ok(parseArgs(argv) instanceof ArgError, argv.join(' '));
});

test('data directory: option, env, root default, XDG, home', () => {
  const base = { env: {}, uid: 1000, home: '/home/u' };
  assert.equal(resolveDataDir('/opt', { ...base, env: { L2TP_DATA_DIR: '/env' } }), '/opt');
  assert.equal(resolveDataDir(undefined, { ...base, env: { L2TP_DATA_DIR: '/env' } }), '/env');
  assert.equal(resolveDataDir(undefined, { ...base, uid: 0 }), '/var/lib/l2tp');
  assert.equal(resolveDataDir(undefined, { ...base, uid: 0, env: { L2TP_DATA_DIR: '/env' } }), '/env');
  assert.equal(resolveDataDir(undefined, { ...base, env: { XDG_STATE_HOME: '/x/state' } }), '/x/state/l2tp');
  assert.equal(resolveDataDir(undefined, { ...base, env: { XDG_STATE_HOME: 'relative' } }), '/home/u/.local/state/l2tp');
  assert.equal(resolveDataDir(undefined, base), '/home/u/.local/state/l2tp');
});

test('console helpers: literal ? and the word a completion replaces', () => {
  assert.equal(questionMarkIsLiteral('/ppp secret add '), false);
  assert.equal(questionMarkIsLiteral('add comment="what'), true);
  assert.equal(questionMarkIsLiteral('add comment="a" '), false);
  assert.equal(questionMarkIsLiteral('add comment=a\\'), true);
  assert.equal(completionWord('/ppp se'), 'se');
  assert.equal(completionWord('/ppp secret add na'), 'na');
  assert.equal(completionWord('set [find na'), 'na');
  assert.equal(completionWord('/pp'), '/pp');
  assert.equal(completionWord('print '), '');
});
