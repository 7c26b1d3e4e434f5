/**
 * The daemon process end to end, as a user drives it: `l2tp start` in a temporary data
 * directory, `l2tp exec` with the seed manual's examples verbatim (golden output), exit
 * statuses, restart persistence, export -> `--import` into a fresh directory, the control
 * socket's mode, SIGTERM, a second daemon refused, a corrupt configuration refused, the console
 * with piped input. No root and no namespaces needed: everything stays in the temporary
 * directory and on a unix socket.
 *
 * The CLI runs compiled (dist/src/cli/main.js) when this file is compiled, or from source
 * under tsx (src/cli/main.ts) when this file runs under tsx.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigStore } from '../../src/config/store.js';
import { projectRoot, resolveScript } from './lab/netns.js';
import { run, spawnProcess, type ProcessHandle, type RunResult } from './lab/proc.js';

const CLI = resolveScript(new URL('../../src/cli/main.js', import.meta.url));

function loader(): string[] {
  return CLI.endsWith('.ts') ? ['--import', import.meta.resolve('tsx')] : [];
}

const ENV = { ...process.env, L2TP_HISTORY_FILE: '', L2TP_DATA_DIR: '' };

function l2tp(args: readonly string[], input?: string): Promise<RunResult> {
  return run([process.execPath, ...loader(), CLI, ...args], { check: false, timeoutMs: 30_000, env: ENV, ...(input !== undefined ? { input } : {}) });
}

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'l2tp-sys-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function startDaemon(t: TestContext, dir: string, extra: readonly string[] = []): Promise<ProcessHandle> {
  const p = spawnProcess([process.execPath, '--enable-source-maps', ...loader(), CLI, 'start', '--no-network', '--data-dir', dir, ...extra], { name: 'l2tp start', env: ENV });
  t.after(() => p.stop('SIGKILL'));
  await p.waitForLine(/system,info l2tp \S+ started/, 20_000);
  return p;
}

/** `l2tp exec` that must succeed; returns stdout. */
async function ok(dir: string, text: string): Promise<string> {
  const r = await l2tp(['exec', '--data-dir', dir, text]);
  assert.equal(r.code, 0, `${text}\n${r.stdout}${r.stderr}`);
  assert.equal(r.stderr, '');
  return r.stdout;
}

const SERVER_PRINT = `             enabled: yes
             max-mtu: 1450
             max-mru: 1450
                mrru: disabled
      authentication: mschap1
                      mschap2
   keepalive-timeout: 30
        max-sessions: unlimited
     default-profile: default-encryption
           use-ipsec: no
        ipsec-secret:
      caller-id-type: ip-address
one-session-per-host: no
     allow-fast-path: no
`;

const SECRET_DETAIL = `Flags: X - disabled
 0   name="Laptop" service=l2tp caller-id="" password="123" profile=default
     local-address=10.1.101.1 remote-address=10.1.101.100 limit-bytes-in=0
     limit-bytes-out=0
`;

const PROFILE_PRINT = `Flags: * - default
Columns: NAME, LOCAL-ADDRESS, REMOTE-ADDRESS, USE-ENCRYPTION
#   NAME                LOCAL-ADDRESS  REMOTE-ADDRESS  USE-ENCRYPTION
0 * default             192.168.99.1   vpn-pool        default
1 * default-encryption                                 yes
`;

const CLIENT_PRINT = `Flags: X - disabled; R - running
 0    name="l2tp-out1" max-mtu=1450 max-mru=1450 mrru=disabled connect-to=192.168.80.1
      user="Home" password="123" profile=default-encryption keepalive-timeout=60
      use-peer-dns=no use-ipsec=no ipsec-secret="" allow-fast-path=no
      add-default-route=no dial-on-demand=no allow=pap,chap,mschap1,mschap2
`;

const SECRETS_PRINT = `Columns: NAME, SERVICE, PASSWORD, PROFILE, REMOTE-ADDRESS
# NAME    SERVICE  PASSWORD  PROFILE  REMOTE-ADDRESS
0 Laptop  l2tp     123       default  10.1.101.100
1 Home    l2tp     123       default  172.16.1.2
`;

const EXPORT_BODY = `/ip pool
add name=vpn-pool ranges=192.168.99.2-192.168.99.100
/ppp profile
set [ find name=default ] local-address=192.168.99.1 remote-address=vpn-pool
/interface l2tp-client
add connect-to=192.168.80.1 disabled=no name=l2tp-out1 user=Home
/interface l2tp-server server
set enabled=yes
/ip route
add dst-address=10.1.101.0/24 gateway=l2tp-out1
/ppp secret
add local-address=10.1.101.1 name=Laptop remote-address=10.1.101.100 \\
    service=l2tp
add local-address=172.16.1.1 name=Home remote-address=172.16.1.2 \\
    routes="10.1.202.0/24 172.16.1.2 1" service=l2tp
`;

/** The export without its dated header line. */
function body(exportText: string): string {
  const lines = exportText.split('\n');
  assert.match(lines[0] ?? '', /^# \d{4}-\d\d-\d\d \d\d:\d\d:\d\d by l2tp \S+$/);
  return lines.slice(1).join('\n');
}

test('--help, --version, usage errors, exec without a daemon', { timeout: 60_000 }, async (t) => {
  const help = await l2tp(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /l2tp start +\[--data-dir DIR\] \[--import FILE\.rsc\]/);
  const pkg = JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string };
  const version = await l2tp(['--version']);
  assert.equal(version.code, 0);
  assert.equal(version.stdout, `l2tp ${pkg.version}\n`);
  const bad = await l2tp(['frobnicate']);
  assert.equal(bad.code, 64);
  assert.match(bad.stderr, /unknown command "frobnicate"/);
  const dir = tempDir(t);
  const none = await l2tp(['exec', '--data-dir', dir, '/ppp secret print']);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /daemon is not running/);
  assert.equal(none.stdout, '');
});

test('seed manual examples through l2tp exec: golden output, exit statuses, restart, SIGTERM', { timeout: 180_000 }, async (t) => {
  const dir = tempDir(t);
  let daemon = await startDaemon(t, dir);
  const sock = join(dir, 'control.sock');
  assert.equal(statSync(sock).mode & 0o777, 0o600, 'control socket only for the daemon user');
  assert.ok(statSync(sock).isSocket());
  assert.equal(statSync(dir).mode & 0o777, 0o700);

  // Connecting Remote Client (seed manual), verbatim.
  assert.equal(await ok(dir, '/interface l2tp-server server set enabled=yes'), '');
  assert.equal(await ok(dir, '/interface l2tp-server server print'), SERVER_PRINT);
  assert.equal(await ok(dir, '/ppp secret add name=Laptop service=l2tp password=123 local-address=10.1.101.1 remote-address=10.1.101.100'), '');
  assert.equal(await ok(dir, '/ppp secret print detail'), SECRET_DETAIL);
  // Basic L2TP/IpSec setup's pool and profile (the manual's `range=` is a prefix of `ranges`).
  assert.equal(await ok(dir, '/ip pool add name=vpn-pool range=192.168.99.2-192.168.99.100'), '');
  assert.equal(await ok(dir, '/ppp profile set default local-address=192.168.99.1 remote-address=vpn-pool'), '');
  assert.equal(await ok(dir, '/ppp profile print'), PROFILE_PRINT);
  // Site-to-Site, both sides on one box (configuration only), several commands in one exec.
  assert.equal(
    await ok(dir, '/ppp secret add name=Home service=l2tp password=123 local-address=172.16.1.1 remote-address=172.16.1.2 routes="10.1.202.0/24 172.16.1.2 1"\n/interface l2tp-client add user=Home password=123 connect-to=192.168.80.1 disabled=no'),
    '',
  );
  assert.equal(await ok(dir, '/interface l2tp-client print'), CLIENT_PRINT);
  assert.equal(await ok(dir, '/ip route; add dst-address=10.1.101.0/24 gateway=l2tp-out1'), '');
  assert.equal(await ok(dir, '/ppp secret print'), SECRETS_PRINT);
  assert.equal(body(await ok(dir, '/export')), EXPORT_BODY);

  // Exit statuses: failure:, syntax errors, unknown commands are 1, with the console's text.
  const dup = await l2tp(['exec', '--data-dir', dir, '/ppp secret add name=Laptop password=x']);
  assert.equal(dup.code, 1);
  assert.match(dup.stdout, /^failure: /m);
  const syntax = await l2tp(['exec', '--data-dir', dir, '/ppp secret add name=user1 password=123 add name=user2 password=234']);
  assert.equal(syntax.code, 1);
  assert.equal(syntax.stdout, 'expected end of command (line 1 column 41)\n');
  const badValue = await l2tp(['exec', '--data-dir', dir, '/interface l2tp-server server set max-mtu=abc']);
  assert.equal(badValue.code, 1);
  assert.notEqual(badValue.stdout, '');
  // A script that fails midway keeps the commands before the error (RouterOS semantics).
  const partial = await l2tp(['exec', '--data-dir', dir, '/ip pool add name=kept ranges=10.9.0.1-10.9.0.9; /ip pool add name=broken ranges=nonsense; /ip pool add name=never ranges=10.9.1.1-10.9.1.9']);
  assert.equal(partial.code, 1);
  assert.match(partial.stdout, /invalid value|failure/);
  assert.match(await ok(dir, '/ip pool print'), /kept/);
  assert.equal(await ok(dir, '/ip pool print count-only'), '2\n');
  // A script from stdin.
  const piped = await l2tp(['exec', '--data-dir', dir], '/ip pool\nprint count-only\n');
  assert.equal(piped.code, 0);
  assert.equal(piped.stdout, '2\n');

  // Garbage on the raw socket gets an error reply and does not hurt the daemon.
  const reply = await new Promise<string>((resolve, reject) => {
    const s = createConnection({ path: sock });
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      if (buf.includes('\n')) {
        s.destroy();
        resolve(buf);
      }
    });
    s.on('error', reject);
    s.write('{not json\n');
  });
  assert.match(reply, /"code":"CTL_BAD_JSON"/);

  // A second daemon on the same directory refuses to start.
  const second = await l2tp(['start', '--no-network', '--data-dir', dir]);
  assert.equal(second.code, 1);
  assert.match(second.stderr, new RegExp(`another l2tp daemon \\(pid ${daemon.pid}\\) is running`));
  assert.equal(statSync(sock).isSocket(), true, 'the refused daemon left the socket alone');

  // SIGTERM: exit 0, configuration saved, socket and pid file gone.
  const status = await daemon.stop('SIGTERM', 10_000);
  assert.deepEqual(status, { code: 0, signal: null }, daemon.output());
  assert.match(daemon.stdout, /SIGTERM received/);
  assert.match(daemon.stdout, /stopped, configuration saved/);
  assert.ok(daemon.stdout.split('\n').filter((l) => l !== '').every((l) => /^\d\d:\d\d:\d\d [a-z,]+ /.test(l)), daemon.stdout);
  assert.equal(existsSync(sock), false);
  assert.equal(existsSync(join(dir, 'l2tp.pid')), false);
  assert.ok(ConfigStore.deserialize(readFileSync(join(dir, 'config.json'), 'utf8')) instanceof ConfigStore);

  // Restart: everything is still there.
  daemon = await startDaemon(t, dir);
  assert.equal(await ok(dir, '/ppp secret print detail').then((s) => s.split('\n').slice(0, 4).join('\n') + '\n'), SECRET_DETAIL);
  assert.equal(await ok(dir, '/ppp profile print'), PROFILE_PRINT);
  assert.equal(await ok(dir, '/interface l2tp-server server print'), SERVER_PRINT);
  assert.match(await ok(dir, '/log print'), /system,info l2tp \S+ started, data directory /);
  assert.deepEqual(await daemon.stop('SIGINT', 10_000), { code: 0, signal: null });
});

test('export, then --import into a fresh data directory, reproduces the same export', { timeout: 120_000 }, async (t) => {
  const a = tempDir(t);
  const b = tempDir(t);
  const first = await startDaemon(t, a);
  await ok(
    a,
    [
      '/interface l2tp-server server set enabled=yes use-ipsec=required ipsec-secret=mySecret default-profile=default',
      '/ip pool add name=vpn-pool range=192.168.99.2-192.168.99.100',
      '/ppp profile set default local-address=192.168.99.1 remote-address=vpn-pool',
      '/ppp secret',
      'add name=user1 password=123',
      'add name=user2 password=234 comment="second user"',
      '/interface l2tp-client add connect-to=1.1.1.1 disabled=no name=l2tp-out1 password=password user=l2tp-test',
      '/system identity set name=RemoteOffice',
    ].join('\n'),
  );
  const exported = await ok(a, '/export show-sensitive');
  const plain = await ok(a, '/export');
  assert.match(exported, /ipsec-secret=mySecret/);
  assert.doesNotMatch(plain, /mySecret/, 'secrets hidden without show-sensitive');
  // `export file=` writes into the data directory's files/ folder.
  await ok(a, '/export show-sensitive file=backup');
  assert.equal(body(readFileSync(join(a, 'files', 'backup.rsc'), 'utf8')), body(exported));
  await first.stop();

  const script = join(b, 'setup.rsc');
  writeFileSync(script, exported);
  const second = await startDaemon(t, join(b, 'data'), ['--import', script]);
  assert.equal(body(await ok(join(b, 'data'), '/export show-sensitive')), body(exported));
  assert.equal(body(await ok(join(b, 'data'), '/export')), body(plain));
  const prompt = await l2tp(['console', '--data-dir', join(b, 'data')], '/ppp secret\nprint count-only\n');
  assert.equal(prompt.code, 0);
  assert.match(prompt.stdout, /\[admin@RemoteOffice\] > /);
  assert.match(prompt.stdout, /\[admin@RemoteOffice\] \/ppp secret> 2\n/);
  await second.stop();
});

test('a failing --import is fatal and saves nothing', { timeout: 60_000 }, async (t) => {
  const dir = tempDir(t);
  const script = join(dir, 'bad.rsc');
  writeFileSync(script, '/ip pool add name=p1 ranges=10.0.0.1-10.0.0.9\n/ip pool add name=p2 rangez=1\n');
  const r = await l2tp(['start', '--no-network', '--data-dir', join(dir, 'data'), '--import', script]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /import bad\.rsc failed: .*line 2.*nothing was saved/);
  assert.equal(existsSync(join(dir, 'data', 'config.json')), false);
  const missing = await l2tp(['start', '--no-network', '--data-dir', join(dir, 'data'), '--import', join(dir, 'nope.rsc')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /cannot read .*nope\.rsc/);
});

test('a corrupt config.json is refused, named, and never replaced', { timeout: 60_000 }, async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'config.json');
  const corrupt = '{"format":"l2tp-config","version":1,"nextId":2,"lists":{"ppp secret":[{"id":"*1","values":{"name":';
  writeFileSync(path, corrupt);
  const r = await l2tp(['start', '--no-network', '--data-dir', dir]);
  assert.equal(r.code, 1);
  assert.ok(r.stderr.includes(`cannot load configuration file ${path}`), r.stderr);
  assert.match(r.stderr, /not starting \(the file is left as it is\)/);
  assert.equal(readFileSync(path, 'utf8'), corrupt);
  assert.equal(existsSync(join(dir, 'control.sock')), false);
  assert.equal(existsSync(join(dir, 'l2tp.pid')), false);
});

test('the console with piped input: prompt, menu navigation kept, errors, /quit', { timeout: 60_000 }, async (t) => {
  const dir = tempDir(t);
  const d = await startDaemon(t, dir);
  const r = await l2tp(['console', '--data-dir', dir], '/ip pool\nadd name=p ranges=10.0.0.1-10.0.0.9\nprint count-only\nbogus\n..\n/quit\nprint\n');
  assert.equal(r.code, 1, 'a failed command makes a piped console exit 1');
  assert.equal(
    r.stdout,
    '[admin@MikroTik] > [admin@MikroTik] /ip pool> [admin@MikroTik] /ip pool> 1\n' +
      '[admin@MikroTik] /ip pool> bad command name bogus (line 1 column 1)\n' +
      '[admin@MikroTik] /ip pool> [admin@MikroTik] /ip> ',
  );
  await d.stop();
});
