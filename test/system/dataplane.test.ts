/**
 * The data plane in network namespaces, with the real daemon (`l2tp start`, configured with
 * `l2tp exec` and RouterOS commands): our client and our server carry real IP through TUN
 * interfaces. Ping both ways, a TCP transfer with a checksum, counters, routes present while
 * connected and removed after, dial-on-demand, and the seed manual's remote-office (proxy-ARP)
 * and site-to-site examples with three namespaces. Under a UDP flood (MPPE on, RouterOS default
 * profiles) the session survives: LCP echoes are answered and data flows again afterwards.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tcpTransfer } from './lab/traffic.js';
import { systemTest } from './lab/lab.js';
import { startDaemon, waitFor } from './lab/daemon.js';
import type { Netns } from './lab/netns.js';



async function ping(ns: Netns, ip: string): Promise<boolean> {
  const r = await ns.exec(['ping', '-c', '3', '-i', '0.2', '-W', '2', ip], { check: false, timeoutMs: 10_000 });
  return r.code === 0;
}

systemTest('our client and server carry IP through TUN: ping both ways, TCP with checksum, routes added and removed', async (lab) => {
  const office = await lab.netns('dpo');
  const home = await lab.netns('dph');
  const lan = await lab.veth(office, home, { aAddr: '192.168.80.1/24', bAddr: '192.168.80.50/24' });
  void lan;
  const server = await startDaemon(lab, office, [
      '/interface l2tp-server server set enabled=yes authentication=mschap2',
      '/ppp secret add name=Home service=l2tp password=123 local-address=172.16.1.1 remote-address=172.16.1.2 routes="10.1.202.0/24 172.16.1.2 1"',
    ]);
  const client = await startDaemon(lab, home, ['/interface l2tp-client add name=l2tp-out1 connect-to=192.168.80.1 user=Home password=123 disabled=no', '/ip route add dst-address=10.1.101.0/24 gateway=l2tp-out1']);
  await waitFor('client connected', 20_000, async () => (await client.command('/interface l2tp-client monitor 0 once')).some((l) => /status: connected/.test(l)));

  const monitor = await client.command('/interface l2tp-client monitor 0 once');
  assert.ok(monitor.some((l) => /local-address: 172\.16\.1\.2/.test(l)), monitor.join('\n'));
  assert.ok((await server.command('/ppp active print')).some((l) => /Home/.test(l)));

  // Kernel state while connected
  const homeLinks = await home.exec(['ip', '-o', 'addr', 'show', 'dev', 'l2tp-out1']);
  assert.match(homeLinks.stdout, /inet 172\.16\.1\.2 peer 172\.16\.1\.1\/32/);
  assert.match((await home.exec(['ip', 'route'])).stdout, /10\.1\.101\.0\/24 dev l2tp-out1/);
  assert.match((await office.exec(['ip', 'route'])).stdout, /10\.1\.202\.0\/24 via 172\.16\.1\.2 dev l2tp-Home/);

  assert.ok(await ping(home, '172.16.1.1'), 'client pings the server through the tunnel');
  assert.ok(await ping(office, '172.16.1.2'), 'server pings the client through the tunnel');

  // TCP: 4 MiB from home to office through the tunnel, checksummed on both ends.
  const payload = randomBytes(4 * 1024 * 1024);
  await tcpTransfer(home, office, '172.16.1.1', 5001, payload);

  // Counters: the server received the 4 MiB on the session's interface.
  const stats = await server.command('/interface print stats');
  const row = stats.find((l) => l.includes('<l2tp-Home>')) ?? '';
  const rxByte = Number(row.split(/\s+/).filter((f) => /^\d+$/.test(f))[1]);
  assert.ok(rxByte > payload.length, stats.join('\n'));
  assert.ok((await server.command('/ppp active print stats')).join('\n').match(/\d+\/\d+/));

  // Disconnect: routes and interfaces go away.
  await client.command('/interface l2tp-client disable 0');
  await waitFor('client interface removed', 10_000, async () => !(await home.exec(['ip', 'link'])).stdout.includes('l2tp-out1'));
  assert.doesNotMatch((await home.exec(['ip', 'route'])).stdout, /10\.1\.101\.0/);
  await waitFor('server session gone', 10_000, async () => !(await office.exec(['ip', 'link'])).stdout.includes('l2tp-Home'));
  assert.doesNotMatch((await office.exec(['ip', 'route'])).stdout, /10\.1\.202\.0/);

  await client.stop();
  await server.stop();
}, { timeoutMs: 180_000 });

systemTest('dial-on-demand: the placeholder route brings the link up on the first packet', async (lab) => {
  const office = await lab.netns('ddo');
  const home = await lab.netns('ddh');
  await lab.veth(office, home, { aAddr: '192.168.81.1/24', bAddr: '192.168.81.50/24' });
  const server = await startDaemon(lab, office, ['/interface l2tp-server server set enabled=yes', '/ppp secret add name=Home password=123 local-address=172.16.2.1 remote-address=172.16.2.2']);
  const client = await startDaemon(lab, home, ['/interface l2tp-client add name=l2tp-out1 connect-to=192.168.81.1 user=Home password=123 dial-on-demand=yes add-default-route=yes disabled=no']);
  await waitFor('placeholder interface', 10_000, async () => /inet 10\.112\.112\.\d+ peer 10\.112\.112\.\d+/.test((await home.exec(['ip', '-o', 'addr', 'show'])).stdout));
  assert.match((await home.exec(['ip', 'route'])).stdout, /default dev l2tp-out1/);
  // No traffic, no session.
  await new Promise((r) => setTimeout(r, 1500));
  assert.ok(!(await server.command('/ppp active print')).some((l) => /Home/.test(l)), 'not dialed without traffic');
  // Traffic dials; the first packets were queued and answered.
  const r = await home.exec(['ping', '-c', '6', '-i', '0.5', '-W', '3', '172.16.2.1'], { check: false, timeoutMs: 20_000 });
  assert.match(r.stdout, /[1-6] received/);
  assert.ok((await client.command('/interface l2tp-client monitor 0 once')).some((l) => /status: connected/.test(l)));
  assert.match((await home.exec(['ip', '-o', 'addr', 'show', 'dev', 'l2tp-out1'])).stdout, /inet 172\.16\.2\.2 peer 172\.16\.2\.1/);
  await client.stop();
  await server.stop();
}, { timeoutMs: 120_000 });

systemTest('remote office (seed manual): the laptop reaches an office LAN host through proxy-ARP', async (lab) => {
  const laptop = await lab.netns('rol');
  const office = await lab.netns('roo');
  const host = await lab.netns('roh');
  await lab.veth(laptop, office, { aAddr: '192.168.82.50/24', bAddr: '192.168.82.1/24', bName: 'ether1' });
  await lab.veth(office, host, { aAddr: '10.1.101.1/24', bAddr: '10.1.101.10/24', aName: 'ether2' });
  await host.exec(['ip', 'route', 'add', 'default', 'via', '10.1.101.1']);
  const server = await startDaemon(lab, office, [
      '/ppp secret add name=Laptop service=l2tp password=123 local-address=10.1.101.1 remote-address=10.1.101.100',
      '/interface l2tp-server server set enabled=yes',
      '/interface ethernet set ether2 arp=proxy-arp',
    ]);
  // Kernel settings are applied right after the command returns (asynchronously): poll.
  await waitFor('proxy ARP on ether2', 5_000, async () => (await office.exec(['cat', '/proc/sys/net/ipv4/conf/ether2/proxy_arp'])).stdout.trim() === '1');
  const client = await startDaemon(lab, laptop, ['/interface l2tp-client add name=l2tp-out1 connect-to=192.168.82.1 user=Laptop password=123 disabled=no', '/ip route add dst-address=10.1.101.0/24 gateway=l2tp-out1']);
  await waitFor('laptop connected', 20_000, async () => (await client.command('/interface l2tp-client monitor 0 once')).some((l) => /status: connected/.test(l)));
  assert.ok(await ping(laptop, '10.1.101.10'), 'the laptop reaches the office LAN host');
  // The LAN host sees the laptop as a neighbour on its own LAN (answered by the router's proxy ARP).
  assert.match((await host.exec(['ip', 'neigh', 'show', '10.1.101.100'])).stdout, /10\.1\.101\.100 dev/);
  await client.stop();
  await server.stop();
}, { timeoutMs: 120_000 });

systemTest('site-to-site (seed manual): two LANs routed through the tunnel with routes= and a static route', async (lab) => {
  const lanHost = await lab.netns('ssl');
  const office = await lab.netns('sso');
  const home = await lab.netns('ssh');
  await lab.veth(lanHost, office, { aAddr: '10.1.101.10/24', bAddr: '10.1.101.1/24' });
  await lanHost.exec(['ip', 'route', 'add', 'default', 'via', '10.1.101.1']);
  await lab.veth(office, home, { aAddr: '192.168.83.1/24', bAddr: '192.168.83.50/24' });
  // The home LAN: an address on the home router's loopback stands for it.
  await home.exec(['ip', 'addr', 'add', '10.1.202.1/24', 'dev', 'lo']);
  const server = await startDaemon(lab, office, [
      '/ppp secret add name=Home service=l2tp password=123 local-address=172.16.1.1 remote-address=172.16.1.2 routes="10.1.202.0/24 172.16.1.2 1"',
      '/interface l2tp-server server set enabled=yes',
    ]);
  const client = await startDaemon(lab, home, ['/interface l2tp-client add user=Home password=123 connect-to=192.168.83.1 disabled=no', '/ip route add dst-address=10.1.101.0/24 gateway=l2tp-out1']);
  await waitFor('home connected', 20_000, async () => (await client.command('/interface l2tp-client monitor 0 once')).some((l) => /status: connected/.test(l)));
  assert.ok(await ping(lanHost, '10.1.202.1'), 'office LAN host reaches the home LAN');
  const r = await home.exec(['ping', '-c', '3', '-i', '0.2', '-W', '2', '-I', '10.1.202.1', '10.1.101.10'], { check: false, timeoutMs: 10_000 });
  assert.equal(r.code, 0, 'home LAN reaches the office LAN host');
  await client.stop();
  await server.stop();
}, { timeoutMs: 120_000 });

systemTest('under a UDP flood through the tunnel the control plane keeps flowing: LCP echoes answered, no drop, ping after', async (lab) => {
  const office = await lab.netns('dfo');
  const home = await lab.netns('dfh');
  await lab.veth(office, home, { aAddr: '192.168.81.1/24', bAddr: '192.168.81.50/24' });
  // keepalive-timeout=2: the client, which receives nothing but LCP echo replies during a one-way
  // flood, sends an echo every second after 2 s of silence and gives up after 5 unanswered ones.
  const server = await startDaemon(lab, office, [
    '/interface l2tp-server server set enabled=yes authentication=mschap2 keepalive-timeout=2',
    '/ppp secret add name=Home service=l2tp password=123 local-address=172.16.9.1 remote-address=172.16.9.2',
  ]);
  const client = await startDaemon(lab, home, ['/interface l2tp-client add name=l2tp-out1 connect-to=192.168.81.1 user=Home password=123 keepalive-timeout=2 disabled=no']);
  await waitFor('client connected', 20_000, async () => (await client.command('/interface l2tp-client monitor 0 once')).some((l) => /status: connected/.test(l)));
  assert.ok(await ping(home, '172.16.9.1'));

  const iperfServer = office.spawn(['iperf3', '-s', '-1', '-B', '172.16.9.1'], { name: 'iperf3-s' });
  lab.defer('iperf3 server', async () => {
    await iperfServer.stop('SIGTERM', 3_000);
  });
  await new Promise((r) => setTimeout(r, 500));
  // 8 s of unpaced 1400-byte datagrams: far more than the tunnel carries on this machine.
  const flood = await home.exec(['iperf3', '-c', '172.16.9.1', '-u', '-b', '0', '-l', '1400', '-t', '8', '--connect-timeout', '5000'], {
    check: false,
    timeoutMs: 30_000,
  });
  assert.equal(flood.code, 0, `iperf3 flood finished: ${flood.stdout}${flood.stderr}`);

  const logs = client.process.output() + server.process.output();
  assert.doesNotMatch(logs, /missed echo|logged out|disconnected|terminating/i, logs.slice(-3000));
  const monitor = await client.command('/interface l2tp-client monitor 0 once');
  assert.ok(monitor.some((l) => /status: connected/.test(l)), monitor.join('\n'));
  assert.ok(await ping(home, '172.16.9.1'), 'the tunnel still carries ping after the flood');
  assert.equal((await server.command('/ppp active print count-only'))[0], '1');
  await client.stop();
  await server.stop();
}, { timeoutMs: 120_000 });

systemTest('use-peer-dns: the client host resolves through the DNS server the server hands out, restored after', async (lab) => {
  const office = await lab.netns('dno');
  const home = await lab.netns('dnh');
  await lab.veth(office, home, { aAddr: '192.168.83.1/24', bAddr: '192.168.83.50/24' });
  // `ip netns exec` bind-mounts /etc/netns/<ns>/resolv.conf over /etc/resolv.conf: the client
  // daemon's resolver is this file, never the host's.
  const etc = join('/etc/netns', home.name);
  await mkdir(etc, { recursive: true });
  lab.defer('netns resolv.conf', async () => {
    await rm(etc, { recursive: true, force: true });
  });
  const original = 'search lan.example\nnameserver 192.0.2.53\n';
  await writeFile(join(etc, 'resolv.conf'), original);
  const server = await startDaemon(lab, office, [
    '/ppp profile add name=vpn dns-server=10.99.0.53,10.99.0.54 use-encryption=yes',
    '/interface l2tp-server server set enabled=yes authentication=mschap2',
    '/ppp secret add name=Home service=l2tp password=123 profile=vpn local-address=172.16.7.1 remote-address=172.16.7.2',
  ]);
  const client = await startDaemon(lab, home, ['/interface l2tp-client add name=l2tp-out1 connect-to=192.168.83.1 user=Home password=123 use-peer-dns=yes disabled=no']);
  await waitFor('client connected', 20_000, async () => (await client.command('/interface l2tp-client monitor 0 once')).some((l) => /status: connected/.test(l)));
  await waitFor('resolver updated', 5_000, async () => (await readFile(join(etc, 'resolv.conf'), 'utf8')).includes('10.99.0.53'));
  const conf = (await home.exec(['cat', '/etc/resolv.conf'])).stdout;
  assert.deepEqual(
    conf.split('\n').filter((l) => l.startsWith('nameserver')),
    ['nameserver 10.99.0.53', 'nameserver 10.99.0.54', 'nameserver 192.0.2.53'],
    conf,
  );
  assert.match(conf, /search lan\.example/);
  const dnsPrint = await client.command('/ip dns print');
  assert.match(dnsPrint.join('\n'), /dynamic-servers: 10\.99\.0\.53\s+10\.99\.0\.54/);

  await client.command('/interface l2tp-client disable 0');
  await waitFor('resolver restored', 10_000, async () => (await readFile(join(etc, 'resolv.conf'), 'utf8')) === original);
  assert.ok((await client.command('/ip dns print')).some((l) => /dynamic-servers: *$/.test(l)));
  await client.stop();
  await server.stop();
}, { timeoutMs: 120_000 });
