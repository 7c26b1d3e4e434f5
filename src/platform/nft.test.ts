import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AddressListSync, addressListScript, nftSetName, runNft, setNamesOf } from './nft.js';

test('set names: identifiers kept, others mapped to something nft accepts', () => {
  assert.equal(nftSetName('vpn'), 'vpn');
  assert.equal(nftSetName('my-list.2'), 'my-list.2');
  assert.equal(nftSetName('with space'), 'with_space');
  assert.equal(nftSetName('9lives'), 'l_9lives');
  assert.equal(nftSetName('a"b;c\n'), 'a_b_c_');
});

test('script: table and interval sets created, flushed and refilled in one transaction; bad elements dropped', () => {
  const s = addressListScript({ vpn: ['10.0.0.0/16', '172.16.1.2', '10.1.0.1-10.1.0.9', '1.2.3.4; flush ruleset'], empty: [] }, ['old', 'vpn', 'bad name']);
  assert.equal(
    s,
    [
      'add table inet l2tp',
      'add set inet l2tp vpn { type ipv4_addr; flags interval; auto-merge; }',
      'flush set inet l2tp vpn',
      'add element inet l2tp vpn { 10.0.0.0/16, 172.16.1.2, 10.1.0.1-10.1.0.9 }',
      'add set inet l2tp empty { type ipv4_addr; flags interval; auto-merge; }',
      'flush set inet l2tp empty',
      'flush set inet l2tp old',
      '',
    ].join('\n'),
  );
  assert.deepEqual(setNamesOf('table inet l2tp {\n\tset vpn {\n\t\ttype ipv4_addr\n\t}\n\tset a-b {\n\t}\n}\n'), ['vpn', 'a-b']);
});

test('a missing nft binary: one warning, then nothing more', async () => {
  const warnings: string[] = [];
  const sync = new AddressListSync({ nftPath: '/nonexistent/nft', warn: (m) => warnings.push(m) });
  await sync.apply({ vpn: ['10.0.0.1'] });
  await sync.apply({ vpn: ['10.0.0.2'] });
  assert.equal(warnings.length, 1);
  assert.match(warnings[0] ?? '', /kept in the configuration only/);
  assert.ok(sync.disabled);
});

test('no lists at start and no nft: silent (address lists unused), the warning waits for a list', async () => {
  const warnings: string[] = [];
  const sync = new AddressListSync({ nftPath: '/nonexistent/nft', warn: (m) => warnings.push(m) });
  await sync.apply({});
  assert.deepEqual(warnings, []);
  assert.equal(sync.disabled, false);
  await sync.apply({ vpn: ['10.0.0.1'] });
  assert.equal(warnings.length, 1);
  assert.ok(sync.disabled);
});

const root = process.getuid?.() === 0;
let hasNft = false;
try {
  execFileSync('nft', ['--version'], { stdio: 'ignore' });
  hasNft = true;
} catch {
  hasNft = false;
}

test('real nft in a private network namespace: sets follow, stale sets of an earlier run are flushed, keyword names reported', { skip: !(root && hasNft) && 'needs root and nft' }, async () => {
  const ns = `nfttest${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'nft-'));
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    const wrapper = join(dir, 'nft');
    writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${ns} nft "$@"\n`);
    chmodSync(wrapper, 0o755);
    const opts = { nftPath: wrapper };
    // An earlier run left a set behind.
    await runNft(['-f', '-'], addressListScript({ gone: ['10.9.9.9'] }), opts);
    const warnings: string[] = [];
    const sync = new AddressListSync({ ...opts, warn: (m) => warnings.push(m) });
    await sync.apply({ vpn: ['10.0.0.0/16', '10.0.1.5', '172.16.1.2'] });
    const listing = await runNft(['list', 'table', 'inet', 'l2tp'], undefined, opts);
    assert.match(listing, /set vpn \{[^}]*elements = \{ 10\.0\.0\.0\/16, 172\.16\.1\.2 \}/s);
    assert.doesNotMatch(listing, /10\.9\.9\.9/);
    await sync.apply({ vpn: [], counter: ['10.0.0.3'] });
    const after = await runNft(['list', 'set', 'inet', 'l2tp', 'vpn'], undefined, opts);
    assert.doesNotMatch(after, /elements/);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? '', /address-list counter/);
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('real nft: the empty first apply at start creates no table, and empties the sets of a crashed run', { skip: !(root && hasNft) && 'needs root and nft' }, async () => {
  const ns = `nfttest0${process.pid}`;
  const dir = mkdtempSync(join(tmpdir(), 'nft-'));
  execFileSync('ip', ['netns', 'add', ns]);
  try {
    const wrapper = join(dir, 'nft');
    writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${ns} nft "$@"\n`);
    chmodSync(wrapper, 0o755);
    const opts = { nftPath: wrapper, warn: () => {} };
    // Nothing there, nothing wanted: no table appears in the host's ruleset.
    await new AddressListSync(opts).apply({});
    assert.equal((await runNft(['list', 'ruleset'], undefined, opts)).trim(), '');
    // A crashed run left its dynamic entry in set vpn; the next start wants no lists at all.
    await runNft(['-f', '-'], addressListScript({ vpn: ['172.16.9.2'] }), opts);
    await new AddressListSync(opts).apply({});
    assert.doesNotMatch(await runNft(['list', 'set', 'inet', 'l2tp', 'vpn'], undefined, opts), /172\.16\.9\.2|elements/);
  } finally {
    execFileSync('ip', ['netns', 'del', ns]);
    rmSync(dir, { recursive: true, force: true });
  }
});
