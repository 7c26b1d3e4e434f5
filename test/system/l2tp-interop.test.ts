/**
 * The L2TP control plane against real third-party implementations, in network namespaces made by
 * each test (LAB.md): our LAC against xl2tpd as LNS (plain, with tunnel authentication, with
 * hidden AVPs, with a wrong secret), xl2tpd as LAC against our LNS, and our LAC against SoftEther.
 * Every capture is checked by tshark for malformed packets.
 *
 * Our side runs as `drivers/node-driver` inside its namespace: the real engine on real UDP.
 */
import assert from 'node:assert/strict';
import { systemTest, type Lab } from './lab/lab.js';
import type { Netns, VethPair } from './lab/netns.js';
import type { ProcessHandle } from './lab/proc.js';
import { startXl2tpd, type Xl2tpdOptions } from './lab/xl2tpd.js';
import { startSoftEther } from './lab/softether.js';
import { checkNoMalformed, decodeL2tp, startCapture, type Capture } from './lab/tshark.js';
import type { DriverConfig } from './drivers/node-driver.js';

const DRIVER = new URL('./drivers/node-driver.js', import.meta.url);

interface Topology {
  ours: Netns;
  peer: Netns;
  link: VethPair;
  capture: Capture;
}

async function topology(lab: Lab, tag: string, subnet: number): Promise<Topology> {
  const ours = await lab.netns(`${tag}o`);
  const peer = await lab.netns(`${tag}p`);
  const link = await lab.veth(ours, peer, { aAddr: `10.200.${subnet}.1/24`, bAddr: `10.200.${subnet}.2/24` });
  const capture = await startCapture(lab, ours, link.aIf);
  return { ours, peer, link, capture };
}

function startDriver(ns: Netns, cfg: DriverConfig): ProcessHandle {
  return ns.spawnNode(DRIVER, [JSON.stringify(cfg)]);
}

const ev = (name: string) => (m: Record<string, unknown>) => m['ev'] === name;

async function closeDriver(d: ProcessHandle): Promise<void> {
  d.writeLine('close');
  await d.waitForMessage(ev('exit'), 'driver exit', 8_000);
  await d.exited;
}

async function assertCleanCapture(t: Topology): Promise<void> {
  await t.capture.stop();
  const bad = await checkNoMalformed(t.capture.file);
  assert.deepEqual(bad, [], `tshark found malformed frames: ${JSON.stringify(bad)}`);
}

async function lacAgainstXl2tpd(lab: Lab, subnet: number, xl: Partial<Xl2tpdOptions>, ours: Partial<DriverConfig>): Promise<{ t: Topology; driver: ProcessHandle }> {
  const t = await topology(lab, 'xl', subnet);
  await startXl2tpd(lab, t.peer, { role: 'lns', listenAddr: t.link.bIp, ipRange: `10.200.${subnet + 100}.10-10.200.${subnet + 100}.20`, localIp: `10.200.${subnet + 100}.1`, ...xl });
  const driver = startDriver(t.ours, {
    mode: 'lac',
    listen: { address: t.link.aIp, port: 0 },
    connect: { ip: t.link.bIp, port: 1701 },
    sessions: 1,
    ...ours,
  });
  return { t, driver };
}

systemTest('our LAC establishes a tunnel and a session with xl2tpd (LNS), then handles its CDN', async (lab) => {
  const { t, driver } = await lacAgainstXl2tpd(lab, 11, {}, {});
  const up = await driver.waitForMessage(ev('tunnel-up'), 'tunnel-up', 10_000);
  assert.equal(up['peerHostName'], 'xl2tpd-lab');
  await driver.waitForMessage(ev('session-up'), 'session-up', 10_000);
  // xl2tpd starts pppd, which cannot run here; xl2tpd then sends CDN result 1 and keeps the tunnel.
  const down = await driver.waitForMessage(ev('session-down'), 'session-down (CDN from xl2tpd)', 10_000);
  assert.equal(down['code'], 'peer-cdn');
  assert.equal(driver.messages.some(ev('tunnel-down')), false, 'the tunnel survives the CDN');
  await closeDriver(driver);
  await assertCleanCapture(t);
  const frames = await decodeL2tp(t.capture.file);
  const names = frames.map((f) => f.msgName).filter((n) => n !== undefined && n !== 'ZLB');
  for (const n of ['SCCRQ', 'SCCRP', 'SCCCN', 'ICRQ', 'ICRP', 'ICCN', 'CDN', 'StopCCN']) assert.ok(names.includes(n), `${n} in ${names.join(',')}`);
});

systemTest('our LAC authenticates the tunnel with xl2tpd (challenge = yes), both directions', async (lab) => {
  const { t, driver } = await lacAgainstXl2tpd(lab, 12, { secret: 'tunnelpw', challenge: true }, { secret: 'tunnelpw' });
  await driver.waitForMessage(ev('tunnel-up'), 'tunnel-up', 10_000);
  await driver.waitForMessage(ev('session-up'), 'session-up', 10_000);
  await closeDriver(driver);
  await assertCleanCapture(t);
  const frames = await decodeL2tp(t.capture.file);
  const sccrq = frames.find((f) => f.msgName === 'SCCRQ');
  const sccrp = frames.find((f) => f.msgName === 'SCCRP');
  assert.ok(sccrq?.avpTypes.includes(11), 'our SCCRQ carries a Challenge');
  assert.ok(sccrp?.avpTypes.includes(13), 'xl2tpd answers it with a Challenge Response');
  assert.ok(sccrp?.avpTypes.includes(11), 'and challenges us');
  const scccn = frames.find((f) => f.msgName === 'SCCCN');
  assert.ok(scccn?.avpTypes.includes(13), 'our SCCCN answers the challenge');
});

systemTest('our LAC with hidden AVPs against xl2tpd (hidden bit = yes)', async (lab) => {
  const { t, driver } = await lacAgainstXl2tpd(lab, 13, { secret: 'hidepw', challenge: true, hiddenBit: true }, { secret: 'hidepw', hide: true });
  await driver.waitForMessage(ev('tunnel-up'), 'tunnel-up', 10_000);
  await driver.waitForMessage(ev('session-up'), 'session-up', 10_000);
  await closeDriver(driver);
  await assertCleanCapture(t);
  const frames = await decodeL2tp(t.capture.file);
  assert.ok(frames.some((f) => f.src === t.link.aIp && f.hidden), 'we sent hidden AVPs');
});

systemTest('a wrong tunnel secret is refused and the tunnel torn down with a result code', async (lab) => {
  const { t, driver } = await lacAgainstXl2tpd(lab, 14, { secret: 'right', challenge: true }, { secret: 'wrong' });
  const down = await driver.waitForMessage(ev('tunnel-down'), 'tunnel-down', 15_000);
  assert.ok(down['code'] === 'auth-failed' || down['code'] === 'peer-stopccn', String(down['code']));
  assert.equal(driver.messages.some(ev('tunnel-up')), false);
  const result = down['result'] as { result: number } | undefined;
  assert.equal(result?.result, 4, 'StopCCN result 4: not authorized');
  await closeDriver(driver);
  await assertCleanCapture(t);
});

systemTest('xl2tpd as LAC establishes a tunnel and a session with our LNS (tunnel secret)', async (lab) => {
  const t = await topology(lab, 'xr', 15);
  const driver = startDriver(t.ours, { mode: 'lns', listen: { address: t.link.aIp, port: 1701 }, secret: 'lacpw' });
  await driver.waitForMessage(ev('listening'), 'listening', 10_000);
  const xl = await startXl2tpd(lab, t.peer, { role: 'lac', listenAddr: t.link.bIp, lnsAddr: t.link.aIp, secret: 'lacpw', challenge: true });
  await xl.dial();
  const up = await driver.waitForMessage(ev('tunnel-up'), 'tunnel-up', 10_000);
  assert.equal(up['role'], 'lns');
  await driver.waitForMessage(ev('session-up'), 'session-up', 10_000);
  await closeDriver(driver);
  await assertCleanCapture(t);
});

systemTest('our LAC against SoftEther (raw L2TP): tunnel and session established, clean close', async (lab) => {
  const t = await topology(lab, 'se', 16);
  const se = await startSoftEther(lab, t.peer);
  const driver = startDriver(t.ours, {
    mode: 'lac',
    listen: { address: t.link.aIp, port: 0 },
    connect: { ip: t.link.bIp, port: 1701 },
    sessions: 1,
  });
  const up = await driver.waitForMessage(ev('tunnel-up'), 'tunnel-up', 15_000);
  assert.equal(up['peerVendor'], 'L2TP');
  await driver.waitForMessage(ev('session-up'), 'session-up', 10_000);
  await closeDriver(driver);
  const stopped = await se.stop();
  assert.equal(stopped.clean, true, 'SoftEther stopped cleanly: no stale tunnel left');
  await assertCleanCapture(t);
}, { timeoutMs: 180_000 });
