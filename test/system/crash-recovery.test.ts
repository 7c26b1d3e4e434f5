/**
 * A crashed daemon (SIGKILL, no chance to clean up) and the next start on the same data
 * directories, with the real daemons in network namespaces (issue 5: "left-overs from a crashed
 * daemon cleaned at start").
 *
 * What the kernel cleans by itself: the TUN interfaces are not persistent, so they and every
 * route through them go with the last file descriptor. What outlives the process and is ours to
 * clean at the next start: the client host's resolv.conf rewritten for use-peer-dns (restored from
 * the copy in the data directory) and the server's nftables address-list set still holding the
 * dead session's address (reconciled with the configuration).
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { systemTest } from './lab/lab.js';
import { startDaemon, waitFor, type Daemon } from './lab/daemon.js';
import type { Netns } from './lab/netns.js';

async function setOf(ns: Netns, list: string): Promise<string> {
  const r = await ns.exec(['nft', 'list', 'set', 'inet', 'l2tp', list], { check: false, timeoutMs: 10_000 });
  return r.code === 0 ? r.stdout : '';
}

async function connected(client: Daemon): Promise<void> {
  await waitFor('client connected', 30_000, async () => (await client.command('/interface l2tp-client monitor 0 once')).some((l) => /status: connected/.test(l)));
}

async function kill(d: Daemon): Promise<void> {
  d.process.signal('SIGKILL');
  const st = await d.process.exited;
  assert.equal(st.signal, 'SIGKILL');
}

systemTest('a killed daemon leaves no interface or route; the next start restores resolv.conf and the address-list set', async (lab) => {
  const office = await lab.netns('cro');
  const home = await lab.netns('crh');
  await lab.veth(office, home, { aAddr: '192.168.85.1/24', bAddr: '192.168.85.50/24' });
  // `ip netns exec` bind-mounts /etc/netns/<ns>/resolv.conf over /etc/resolv.conf.
  const etc = join('/etc/netns', home.name);
  await mkdir(etc, { recursive: true });
  lab.defer('netns resolv.conf', async () => {
    await rm(etc, { recursive: true, force: true });
  });
  const original = 'nameserver 192.0.2.53\n';
  const resolv = (): Promise<string> => readFile(join(etc, 'resolv.conf'), 'utf8');
  await writeFile(join(etc, 'resolv.conf'), original);

  const server = await startDaemon(lab, office, [
    '/interface l2tp-server server set enabled=yes authentication=mschap2',
    '/ppp profile add name=vpnp dns-server=10.99.0.53 address-list=vpn',
    '/ppp secret add name=Home service=l2tp password=123 profile=vpnp local-address=172.16.9.1 remote-address=172.16.9.2 routes="10.1.209.0/24 172.16.9.2 1"',
  ]);
  const client = await startDaemon(lab, home, [
    '/interface l2tp-client add name=l2tp-out1 connect-to=192.168.85.1 user=Home password=123 use-peer-dns=yes add-default-route=yes disabled=no',
  ]);
  await connected(client);
  await waitFor('peer DNS in resolv.conf', 10_000, async () => (await resolv()).includes('10.99.0.53'));
  await waitFor('session in set vpn', 10_000, async () => /172\.16\.9\.2/.test(await setOf(office, 'vpn')));
  assert.match((await office.exec(['ip', 'route'])).stdout, /10\.1\.209\.0\/24 via 172\.16\.9\.2 dev l2tp-Home/);
  assert.match((await home.exec(['ip', 'route'])).stdout, /default dev l2tp-out1/);

  await kill(client);
  await kill(server);

  // The kernel took the interfaces and their routes with the processes.
  for (const ns of [office, home]) {
    await waitFor(`no l2tp interface in ${ns.name}`, 10_000, async () => !/l2tp-/.test((await ns.exec(['ip', 'link'])).stdout));
  }
  assert.doesNotMatch((await office.exec(['ip', 'route'])).stdout, /10\.1\.209\.0|l2tp/);
  assert.doesNotMatch((await home.exec(['ip', 'route'])).stdout, /default|l2tp/);
  // What outlives a crash: the rewritten resolv.conf and the dead session's set element.
  assert.match(await resolv(), /10\.99\.0\.53/);
  assert.match(await setOf(office, 'vpn'), /172\.16\.9\.2/);

  // The client starts again first, with the server still down: resolv.conf is put back at once.
  const client2 = await startDaemon(lab, home, [], { dataDir: client.dataDir });
  await waitFor('resolv.conf restored at start', 10_000, async () => (await resolv()) === original);
  await client2.command('/interface l2tp-client disable 0');
  // The server starts again with no session: the dead session's address leaves the set.
  const server2 = await startDaemon(lab, office, [], { dataDir: server.dataDir });
  await waitFor('stale session address removed from set vpn', 10_000, async () => !/172\.16\.9\.2/.test(await setOf(office, 'vpn')));

  // And both carry a session again, from their saved configuration.
  await client2.command('/interface l2tp-client enable 0');
  await connected(client2);
  const ping = await home.exec(['ping', '-c', '3', '-i', '0.2', '-W', '2', '172.16.9.1'], { check: false, timeoutMs: 10_000 });
  assert.equal(ping.code, 0, ping.stdout);
  await waitFor('session in set vpn again', 10_000, async () => /172\.16\.9\.2/.test(await setOf(office, 'vpn')));
  await waitFor('peer DNS again', 10_000, async () => (await resolv()).includes('10.99.0.53'));

  await client2.command('/interface l2tp-client disable 0');
  await waitFor('resolv.conf restored on disconnect', 10_000, async () => (await resolv()) === original);
  await waitFor('session left set vpn', 15_000, async () => !/172\.16\.9\.2/.test(await setOf(office, 'vpn')));
  await client2.stop();
  await server2.stop();
}, { timeoutMs: 180_000 });
