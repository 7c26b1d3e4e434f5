/**
 * Hundreds of sessions between the real daemons in network namespaces: one client daemon with
 * 300 `/interface l2tp-client` entries of one user, against one server (the scale figures are
 * bench/sessions.ts's; this is the functional check behind them).
 *
 * What it guards: every session gets its interface on both ends, with kernel names l2tp-bench,
 * l2tp-bench-1 ... ; a mass disconnect removes every interface (retired in batches off the main
 * thread, src/platform/tun.ts); the reconnect storm gets the same names back (a device still
 * being retired is waited for, never EBUSY); and the server shuts down with every session up,
 * within the harness's 8 s, leaving no interface behind. How fast, and how responsive the
 * console stays meanwhile, is bench/sessions.ts's to measure.
 */
import assert from 'node:assert/strict';
import { systemTest } from './lab/lab.js';
import { startDaemon, waitFor } from './lab/daemon.js';
import type { Netns } from './lab/netns.js';

const N = 300;

async function links(ns: Netns, re: RegExp): Promise<string[]> {
  const r = await ns.exec(['ip', '-o', 'link', 'show'], { check: false, timeoutMs: 20_000 });
  const names: string[] = [];
  for (const line of r.stdout.split('\n')) {
    const name = /^\d+: ([^:@]+)/.exec(line)?.[1];
    if (name !== undefined && re.test(name)) names.push(name);
  }
  return names.sort();
}

systemTest(`${N} sessions of one user: interfaces on both ends, mass disconnect with a responsive server, reconnect with the same names, shutdown`, async (lab) => {
  const office = await lab.netns('mso');
  const home = await lab.netns('msh');
  await lab.veth(office, home, { aAddr: '192.168.88.1/24', bAddr: '192.168.88.50/24' });
  const server = await startDaemon(lab, office, [
    '/ip pool add name=many ranges=10.66.0.2-10.66.3.254',
    '/ppp profile set default local-address=10.65.0.1 remote-address=many',
    '/ppp secret add name=bench password=bench service=l2tp profile=default',
    '/interface l2tp-server server set enabled=yes default-profile=default',
  ]);
  const client = await startDaemon(lab, home, []);
  const adds = Array.from({ length: N }, (_, i) => `/interface l2tp-client add name=c${i} connect-to=192.168.88.1 user=bench password=bench profile=default disabled=no`);
  await client.command(adds.join('\n'));
  const active = async (): Promise<number> => Number((await server.command('/ppp active print count-only'))[0]);
  const serverLinks = (): Promise<string[]> => links(office, /^l2tp-bench/);
  const clientLinks = (): Promise<string[]> => links(home, /^c\d+$/);
  await waitFor(`${N} sessions active`, 90_000, async () => (await active()) === N);
  await waitFor(`${N} interfaces on each end`, 60_000, async () => (await serverLinks()).length === N && (await clientLinks()).length === N);
  const names = await serverLinks();
  assert.deepEqual(names, ['l2tp-bench', ...Array.from({ length: N - 1 }, (_, i) => `l2tp-bench-${i + 1}`)].sort());
  for (const i of [0, 150, N - 1]) {
    const ping = await home.exec(['ping', '-c', '1', '-W', '2', '-I', `c${i}`, '10.65.0.1'], { check: false, timeoutMs: 10_000 });
    assert.equal(ping.code, 0, `ping through c${i}: ${ping.stdout}`);
  }

  // Mass disconnect.
  await client.command('/interface l2tp-client disable [find]');
  await waitFor('every session and interface gone', 60_000, async () => (await active()) === 0 && (await serverLinks()).length === 0 && (await clientLinks()).length === 0);

  // The storm back: the same kernel names again.
  await client.command('/interface l2tp-client enable [find]');
  await waitFor(`${N} sessions back`, 90_000, async () => (await active()) === N && (await serverLinks()).length === N);
  assert.deepEqual(await serverLinks(), names);
  assert.doesNotMatch(server.process.output(), /EBUSY|cannot create interface/);

  // Shutdown with every session up: exit 0 (within the harness's 8 s) and nothing left behind.
  await server.stop();
  assert.deepEqual(await serverLinks(), []);
  await waitFor('the client sees the server gone', 30_000, async () => (await clientLinks()).length === 0);
  await client.stop();
}, { timeoutMs: 300_000 });
