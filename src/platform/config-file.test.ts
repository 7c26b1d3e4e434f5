import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CONFIG_FILE,
  CONFIG_TMP_FILE,
  DataDirError,
  PID_FILE,
  acquireDataDirLock,
  ensureDataDir,
  readConfigFile,
  readUserFile,
  writeConfigFile,
  writeUserFile,
} from './config-file.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'l2tp-cfgfile-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('missing file is a fresh start; written text reads back; file is 0600', (t) => {
  const dir = tempDir(t);
  assert.deepEqual(readConfigFile(dir), { kind: 'missing' });
  assert.equal(writeConfigFile(dir, '{"a":1}\n'), undefined);
  const r = readConfigFile(dir);
  assert.ok(!(r instanceof DataDirError) && r.kind === 'text');
  assert.equal(r.text, '{"a":1}\n');
  assert.equal(statSync(join(dir, CONFIG_FILE)).mode & 0o777, 0o600);
  assert.equal(existsSync(join(dir, CONFIG_TMP_FILE)), false, 'the temporary file is renamed away');
});

test('replace is whole: a second write replaces the first entirely (shorter text, no leftovers)', (t) => {
  const dir = tempDir(t);
  writeConfigFile(dir, 'x'.repeat(10_000));
  writeConfigFile(dir, 'short');
  assert.equal(readFileSync(join(dir, CONFIG_FILE), 'utf8'), 'short');
});

test('a config.json.tmp left by a crash is ignored and removed at read', (t) => {
  const dir = tempDir(t);
  writeConfigFile(dir, 'good');
  writeFileSync(join(dir, CONFIG_TMP_FILE), 'half-writ');
  const r = readConfigFile(dir);
  assert.ok(!(r instanceof DataDirError) && r.kind === 'text' && r.text === 'good');
  assert.equal(existsSync(join(dir, CONFIG_TMP_FILE)), false);
  // And with no config.json at all, the leftover is still not taken for a configuration.
  rmSync(join(dir, CONFIG_FILE));
  writeFileSync(join(dir, CONFIG_TMP_FILE), '{"format":"l2tp-config"}');
  assert.deepEqual(readConfigFile(dir), { kind: 'missing' });
});

test('a failed write leaves the old configuration untouched and reports the file', (t) => {
  const dir = tempDir(t);
  writeConfigFile(dir, 'old');
  // Make the temporary name unusable (a directory): open() fails before anything is renamed.
  mkdirSync(join(dir, CONFIG_TMP_FILE));
  const err = writeConfigFile(dir, 'new');
  assert.ok(err instanceof DataDirError);
  assert.equal(err.code, 'CONFIG_WRITE');
  assert.ok(err.message.includes(join(dir, CONFIG_FILE)), err.message);
  assert.equal(readFileSync(join(dir, CONFIG_FILE), 'utf8'), 'old');
});

test('an unreadable configuration is an error naming the file, and it is left in place', (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, CONFIG_FILE)); // EISDIR on read: unreadable whoever we are (also as root)
  const r = readConfigFile(dir);
  assert.ok(r instanceof DataDirError);
  assert.equal(r.code, 'CONFIG_UNREADABLE');
  assert.match(r.message, /config\.json/);
  assert.match(r.message, /EISDIR/);
  assert.ok(statSync(join(dir, CONFIG_FILE)).isDirectory());
});

test('ensureDataDir creates nested directories private to the user', (t) => {
  const dir = join(tempDir(t), 'a', 'b');
  assert.equal(ensureDataDir(dir), undefined);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  assert.equal(ensureDataDir(dir), undefined, 'idempotent');
});

test('lock: taken, refused while the holder lives, released, stale ones taken over', (t) => {
  const dir = tempDir(t);
  const lock = acquireDataDirLock(dir);
  assert.ok(!(lock instanceof DataDirError));
  assert.equal(readFileSync(join(dir, PID_FILE), 'utf8').trim(), String(process.pid));
  lock.release();
  assert.equal(existsSync(join(dir, PID_FILE)), false);
  lock.release(); // idempotent

  // Held by a live process (our parent stands in for another daemon).
  writeFileSync(join(dir, PID_FILE), `${process.ppid}\n`);
  const refused = acquireDataDirLock(dir);
  assert.ok(refused instanceof DataDirError);
  assert.equal(refused.code, 'DATADIR_LOCKED');
  assert.match(refused.message, new RegExp(`pid ${process.ppid}`));

  // A dead pid (beyond pid_max) is stale.
  writeFileSync(join(dir, PID_FILE), '999999999\n');
  const taken = acquireDataDirLock(dir);
  assert.ok(!(taken instanceof DataDirError));
  taken.release();

  // Our own pid (a container restart reusing pids) is stale too.
  writeFileSync(join(dir, PID_FILE), `${process.pid}\n`);
  const own = acquireDataDirLock(dir);
  assert.ok(!(own instanceof DataDirError));
  own.release();
});

test('lock: an empty pid file is a daemon starting (fresh) or a crash (old)', (t) => {
  const dir = tempDir(t);
  const path = join(dir, PID_FILE);
  writeFileSync(path, '');
  const busy = acquireDataDirLock(dir);
  assert.ok(busy instanceof DataDirError && busy.code === 'DATADIR_LOCKED');
  const old = new Date(Date.now() - 60_000);
  utimesSync(path, old, old);
  const taken = acquireDataDirLock(dir);
  assert.ok(!(taken instanceof DataDirError));
  taken.release();
});

test('release does not remove a pid file that another daemon has taken since', (t) => {
  const dir = tempDir(t);
  const lock = acquireDataDirLock(dir);
  assert.ok(!(lock instanceof DataDirError));
  writeFileSync(join(dir, PID_FILE), '12345\n');
  lock.release();
  assert.equal(readFileSync(join(dir, PID_FILE), 'utf8'), '12345\n');
});

test('user files: kept under files/, .rsc added, names that escape refused', (t) => {
  const dir = tempDir(t);
  assert.equal(writeUserFile(dir, 'backup', '/ip pool\n'), undefined);
  assert.equal(readFileSync(join(dir, 'files', 'backup.rsc'), 'utf8'), '/ip pool\n');
  assert.equal(readUserFile(dir, 'backup'), '/ip pool\n');
  assert.equal(readUserFile(dir, 'backup.rsc'), '/ip pool\n');
  assert.equal(writeUserFile(dir, 'config.json', 'x'), undefined);
  assert.equal(existsSync(join(dir, CONFIG_FILE)), false, 'export file=config.json cannot clobber the configuration');
  for (const bad of ['../x', '/etc/passwd', '.hidden', '', 'a/b']) {
    assert.equal(writeUserFile(dir, bad, 'x'), 'invalid file name', bad);
    assert.equal(readUserFile(dir, bad), undefined, bad);
  }
  assert.equal(readUserFile(dir, 'nope'), undefined);
});
