/**
 * Our daemon as L2TP client of SoftEther (raw L2TP) in network namespaces: it logs in, gets an
 * address from SoftEther's DHCP range and pings 10.99.30.1 through `l2tp-out1` (LAB.md).
 */
import assert from 'node:assert/strict';
import { systemTest } from './lab/lab.js';
import { startDaemon, waitFor } from './lab/daemon.js';
import { startSoftEther } from './lab/softether.js';

systemTest('our client against SoftEther: IP through l2tp-out1 (ping 10.99.30.1)', async (lab) => {
  const ours = await lab.netns('dso');
  const peer = await lab.netns('dsp');
  const link = await lab.veth(ours, peer, { aAddr: '10.200.41.1/24', bAddr: '10.200.41.2/24' });
  const se = await startSoftEther(lab, peer);
  const client = await startDaemon(lab, ours, [`/interface l2tp-client add name=l2tp-out1 connect-to=${link.bIp} user=user1 password=pass1 disabled=no`]);
  const monitor = async (): Promise<string> => (await client.command('/interface l2tp-client monitor 0 once')).join('\n');
  await waitFor('connected to SoftEther', 30_000, async () => /status: connected/.test(await monitor()));
  assert.match(await monitor(), /local-address: 10\.99\.30\.\d+/);
  const ping = await ours.exec(['ping', '-c', '3', '-i', '0.3', '-W', '3', '-I', 'l2tp-out1', '10.99.30.1'], { check: false, timeoutMs: 20_000 });
  assert.equal(ping.code, 0, ping.stdout + ping.stderr);
  // Hang up cleanly (StopCCN acknowledged) so no stale tunnel is left in SoftEther.
  await client.command('/interface l2tp-client disable 0');
  await waitFor('interface removed', 10_000, async () => !(await ours.exec(['ip', 'link'])).stdout.includes('l2tp-out1'));
  await new Promise((r) => setTimeout(r, 1000));
  await client.stop();
  const st = await se.stop();
  assert.equal(st.clean, true, 'SoftEther stopped cleanly');
}, { timeoutMs: 180_000 });
