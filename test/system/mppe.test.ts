/**
 * MPPE between our client and our server, the real daemons in network namespaces: with
 * `use-encryption=required` on both profiles the link comes up as MPPE128, ping and a TCP
 * transfer with a checksum cross it, and the veth carries no plaintext of the payload; a
 * mismatch (server required, client's profile no) fails with a clear reason on both sides.
 * Then every key length and mode (RouterOS has no knob for them; the daemons take
 * L2TP_MPPE_BITS and L2TP_MPPE_MODE) carries ping and a checksummed TCP transfer, and a stateful
 * link that loses 5% of its datagrams (an nftables rule; this kernel has no netem) recovers
 * through CCP Reset-Requests.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { tcpTransfer } from './lab/traffic.js';
import { systemTest } from './lab/lab.js';
import { startDaemon, waitFor } from './lab/daemon.js';
import { startCapture } from './lab/tshark.js';
import { run } from './lab/proc.js';


systemTest('MPPE required on both sides: encrypted link carries ping and TCP; a mismatch fails clearly', async (lab) => {
  const office = await lab.netns('mpo');
  const home = await lab.netns('mph');
  const link = await lab.veth(office, home, { aAddr: '192.168.85.1/24', bAddr: '192.168.85.50/24' });
  const server = await startDaemon(lab, office, [
    '/ppp profile add name=secure use-encryption=required',
    '/ppp secret add name=Home password=123 profile=secure local-address=172.16.5.1 remote-address=172.16.5.2',
    '/interface l2tp-server server set enabled=yes authentication=mschap2',
  ]);
  const capture = await startCapture(lab, office, link.aIf);
  const client = await startDaemon(lab, home, [
    '/ppp profile add name=secure use-encryption=required',
    '/interface l2tp-client add name=l2tp-out1 connect-to=192.168.85.1 user=Home password=123 profile=secure disabled=no',
  ]);
  const monitor = async (): Promise<string> => (await client.command('/interface l2tp-client monitor 0 once')).join('\n');
  await waitFor('encrypted link up', 20_000, async () => /status: connected/.test(await monitor()));
  assert.match(await monitor(), /encoding: MPPE128 stateless/);
  assert.match(await monitor(), /mtu: 1446/);
  assert.match((await server.command('/ppp active print detail')).join('\n'), /encoding="?MPPE128 stateless/);

  const ping = await home.exec(['ping', '-c', '5', '-i', '0.2', '-W', '2', '172.16.5.1'], { check: false, timeoutMs: 15_000 });
  assert.equal(ping.code, 0, ping.stdout);

  // 2 MiB with a marker pattern: the capture must not contain it in clear.
  const marker = Buffer.from('PLAINTEXT-MARKER-0123456789');
  const payload = Buffer.concat([...Array.from({ length: 2048 }, () => Buffer.concat([marker, randomBytes(997)]))]);
  await tcpTransfer(home, office, '172.16.5.1', 5002, payload);
  await capture.stop();
  const grep = await run(['tshark', '-r', capture.file, '-Y', `frame contains "${marker.toString()}"`], { check: false });
  assert.equal(grep.stdout.trim(), '', 'no plaintext on the wire');

  // Mismatch: the client's profile says no, the server requires MPPE.
  await client.command('/ppp profile set secure use-encryption=no');
  await client.command('/interface l2tp-client set 0 disabled=yes');
  await client.command('/interface l2tp-client set 0 disabled=no');
  await waitFor('refusal logged', 20_000, async () => /encryption required but not negotiated/.test((await server.command('/log print')).join('\n')));
  assert.doesNotMatch(await monitor(), /status: connected/);
  await client.stop();
  await server.stop();
}, { timeoutMs: 180_000 });

systemTest('every MPPE key length and mode between our daemons: 40/56/128-bit, stateless and stateful, ping and TCP', async (lab) => {
  const office = await lab.netns('mko');
  const home = await lab.netns('mkh');
  await lab.veth(office, home, { aAddr: '192.168.86.1/24', bAddr: '192.168.86.50/24' });
  for (const bits of ['40', '56', '128'] as const) {
    for (const mode of ['stateless', 'stateful'] as const) {
      const env = { L2TP_MPPE_BITS: bits, L2TP_MPPE_MODE: mode };
      const server = await startDaemon(
        lab,
        office,
        [
          '/ppp profile add name=secure use-encryption=required',
          '/ppp secret add name=Home password=123 profile=secure local-address=172.16.6.1 remote-address=172.16.6.2',
          '/interface l2tp-server server set enabled=yes authentication=mschap2',
        ],
        { env },
      );
      const client = await startDaemon(
        lab,
        home,
        ['/ppp profile add name=secure use-encryption=required', '/interface l2tp-client add name=l2tp-out1 connect-to=192.168.86.1 user=Home password=123 profile=secure disabled=no'],
        { env },
      );
      const encoding = `MPPE${bits} ${mode}`;
      const monitor = async (): Promise<string> => (await client.command('/interface l2tp-client monitor 0 once')).join('\n');
      await waitFor(`${encoding} link up`, 20_000, async () => /status: connected/.test(await monitor()));
      assert.match(await monitor(), new RegExp(`encoding: ${encoding}`));
      assert.match((await server.command('/ppp active print detail')).join('\n'), new RegExp(`encoding="?${encoding}`));
      const ping = await home.exec(['ping', '-c', '3', '-i', '0.2', '-W', '2', '172.16.6.1'], { check: false, timeoutMs: 15_000 });
      assert.equal(ping.code, 0, `${encoding}: ${ping.stdout}`);
      await tcpTransfer(home, office, '172.16.6.1', 5003, randomBytes(1024 * 1024));
      await client.stop();
      await server.stop();
    }
  }
}, { timeoutMs: 240_000 });

systemTest('stateful MPPE through a lossy link (nftables drops 5% of L2TP datagrams): Reset-Requests resynchronise, ping and TCP get through', async (lab) => {
  const office = await lab.netns('mlo');
  const home = await lab.netns('mlh');
  await lab.veth(office, home, { aAddr: '192.168.87.1/24', bAddr: '192.168.87.50/24' });
  const env = { L2TP_MPPE_MODE: 'stateful', L2TP_DEBUG: '1' };
  const server = await startDaemon(
    lab,
    office,
    [
      '/ppp profile add name=secure use-encryption=required',
      '/ppp secret add name=Home password=123 profile=secure local-address=172.16.8.1 remote-address=172.16.8.2',
      '/interface l2tp-server server set enabled=yes authentication=mschap2',
    ],
    { env },
  );
  const client = await startDaemon(
    lab,
    home,
    ['/ppp profile add name=secure use-encryption=required', '/interface l2tp-client add name=l2tp-out1 connect-to=192.168.87.1 user=Home password=123 profile=secure disabled=no'],
    { env },
  );
  const monitor = async (): Promise<string> => (await client.command('/interface l2tp-client monitor 0 once')).join('\n');
  await waitFor('stateful link up', 20_000, async () => /status: connected/.test(await monitor()));
  assert.match(await monitor(), /encoding: MPPE128 stateful/);

  // Loss on the way into the server: what the client sends (data and control alike).
  await office.exec(['nft', '-f', '-'], {
    input: 'table inet losstest {\n  chain in {\n    type filter hook input priority -10;\n    udp dport 1701 numgen random mod 100 < 5 counter drop\n  }\n}\n',
  });
  const ping = await home.exec(['ping', '-c', '60', '-i', '0.05', '-W', '1', '172.16.8.1'], { check: false, timeoutMs: 30_000 });
  const received = Number(/(\d+) received/.exec(ping.stdout)?.[1] ?? '0');
  assert.ok(received >= 30, `ping through the lossy stateful link: ${received}/60\n${ping.stdout}`);
  await tcpTransfer(home, office, '172.16.8.1', 5004, randomBytes(512 * 1024), 90_000);
  const dropped = Number(/counter packets (\d+)/.exec((await office.exec(['nft', 'list', 'table', 'inet', 'losstest'])).stdout)?.[1] ?? '0');
  assert.ok(dropped > 0, 'the rule dropped datagrams');
  const log = (await server.command('/log print')).join('\n');
  assert.match(log, /MPPE lost sync: sending CCP Reset-Request/);

  // Loss gone: every ping answered, still the same session. The last lossy datagram may have
  // left the server's receiver discarding; the first clean packet then costs one Reset-Request
  // round, so wait for one answer before counting.
  await office.exec(['nft', 'delete', 'table', 'inet', 'losstest']);
  await waitFor('the link answers again', 10_000, async () => (await home.exec(['ping', '-c', '1', '-W', '1', '172.16.8.1'], { check: false, timeoutMs: 5000 })).code === 0);
  const clean = await home.exec(['ping', '-c', '10', '-i', '0.1', '-W', '2', '172.16.8.1'], { check: false, timeoutMs: 15_000 });
  assert.match(clean.stdout, /10 received/, clean.stdout);
  assert.match(await monitor(), /status: connected/);
  await client.stop();
  await server.stop();
}, { timeoutMs: 180_000 });
