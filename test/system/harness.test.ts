/**
 * Smoke tests of the lab harness itself (test/system/lab): namespaces and veth, running Node
 * code inside a namespace, xl2tpd and SoftEther answering a hand-made SCCRQ, tshark capturing
 * that exchange without malformed packets. If these fail, no interop test can be trusted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { systemTest, type Lab } from './lab/lab.js';
import { canRunSystemTests, labScript, type Netns, type VethPair } from './lab/netns.js';
import type { ProcessHandle } from './lab/proc.js';
import { startXl2tpd } from './lab/xl2tpd.js';
import { startSoftEther } from './lab/softether.js';
import { startCapture, decodeL2tp, checkNoMalformed } from './lab/tshark.js';

async function startProbe(ns: Netns, ip: string, port = 0, flags: string[] = []): Promise<{ probe: ProcessHandle; port: number }> {
  const probe = ns.spawnNode(labScript('udp-probe'), [ip, String(port), ...flags]);
  const ready = await probe.waitForMessage((m) => m['event'] === 'ready', 'ready', 15_000);
  const local = ready['local'] as { port: number };
  return { probe, port: local.port };
}

systemTest('two namespaces reach each other over a veth pair (UDP echo from Node in each)', async (lab) => {
  const a = await lab.netns('ha');
  const b = await lab.netns('hb');
  const link = await lab.veth(a, b, { aAddr: '10.200.1.1/24', bAddr: '10.200.1.2/24' });
  const addrs = await a.exec(['ip', '-o', '-4', 'addr', 'show', 'dev', link.aIf]);
  assert.match(addrs.stdout, /10\.200\.1\.1\/24/);
  const responder = await startProbe(b, link.bIp, 7000, ['--echo']);
  const client = await startProbe(a, link.aIp);
  client.probe.send({ send: 'deadbeef', to: { ip: link.bIp, port: responder.port } });
  const back = await client.probe.waitForMessage((m) => m['event'] === 'datagram', 'echo reply', 5_000);
  assert.equal(back['hex'], 'deadbeef');
  assert.deepEqual(back['from'], { ip: link.bIp, port: 7000 });
  // The test process itself is in the root namespace: 10.200.1.2 does not exist here.
  const routes = await b.exec(['ip', 'route']);
  assert.doesNotMatch(routes.stdout, /default/, 'the namespace has no way out');
}, { needs: ['ip'] });

// ---------------------------------------------------------------------------------------------
// A hand-made L2TP control conversation (RFC 2661), independent of src/wire on purpose: the
// harness must be trustworthy before our codec is.

/** Control message header flags: T=1 (control), L=1, S=1, Ver=2 (RFC 2661 section 3.1). */
const CONTROL_FLAGS = 0xc802;
const AVP_MANDATORY = 0x8000;
const MSG = { SCCRQ: 1, SCCRP: 2, SCCCN: 3, StopCCN: 4 } as const;
const AVP = { MessageType: 0, ResultCode: 1, ProtocolVersion: 2, FramingCapabilities: 3, HostName: 7, AssignedTunnelId: 9 } as const;

function avp(type: number, value: Uint8Array): Uint8Array {
  // M bit set, H=0, 10-bit length covering the 6-byte AVP header (RFC 2661 section 4.1).
  const out = new Uint8Array(6 + value.length);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, AVP_MANDATORY | out.length);
  dv.setUint16(2, 0); // Vendor ID 0: IETF
  dv.setUint16(4, type);
  out.set(value, 6);
  return out;
}
const u16 = (v: number): Uint8Array => new Uint8Array([v >> 8, v & 0xff]);
const u32 = (v: number): Uint8Array => new Uint8Array([v >>> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff]);

function controlMessage(tunnelId: number, ns: number, nr: number, avps: Uint8Array[]): Uint8Array {
  const body = avps.reduce((n, a) => n + a.length, 0);
  const out = new Uint8Array(12 + body);
  const dv = new DataView(out.buffer);
  dv.setUint16(0, CONTROL_FLAGS);
  dv.setUint16(2, out.length);
  dv.setUint16(4, tunnelId);
  dv.setUint16(6, 0); // Session ID 0: tunnel-level message
  dv.setUint16(8, ns);
  dv.setUint16(10, nr);
  let at = 12;
  for (const a of avps) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

/** SCCRQ with exactly the AVPs RFC 2661 section 6.1 requires. */
function sccrq(ourTunnelId: number): Uint8Array {
  return controlMessage(0, 0, 0, [
    avp(AVP.MessageType, u16(MSG.SCCRQ)),
    avp(AVP.ProtocolVersion, new Uint8Array([1, 0])), // version 1, revision 0
    avp(AVP.HostName, new TextEncoder().encode('lab-harness')),
    avp(AVP.FramingCapabilities, u32(0x3)), // synchronous and asynchronous
    avp(AVP.AssignedTunnelId, u16(ourTunnelId)),
  ]);
}

interface Parsed {
  tunnelId: number;
  ns: number;
  nr: number;
  msgType: number | undefined;
  assignedTunnelId: number | undefined;
}

/** Just enough of a control-message parser for these smoke tests; undefined if not control. */
function parseControl(hexText: string): Parsed | undefined {
  const b = Uint8Array.from(hexText.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
  if (b.length < 12) return undefined;
  const dv = new DataView(b.buffer);
  if ((dv.getUint16(0) & 0xc80f) !== CONTROL_FLAGS) return undefined;
  const length = Math.min(dv.getUint16(2), b.length);
  const p: Parsed = { tunnelId: dv.getUint16(4), ns: dv.getUint16(8), nr: dv.getUint16(10), msgType: undefined, assignedTunnelId: undefined };
  for (let at = 12; at + 6 <= length; ) {
    const len = dv.getUint16(at) & 0x3ff;
    if (len < 6 || at + len > length) break;
    const hidden = (dv.getUint16(at) & 0x4000) !== 0;
    if (dv.getUint16(at + 2) === 0 && !hidden && len >= 8) {
      const type = dv.getUint16(at + 4);
      if (type === AVP.MessageType) p.msgType = dv.getUint16(at + 6);
      if (type === AVP.AssignedTunnelId) p.assignedTunnelId = dv.getUint16(at + 6);
    }
    at += len;
  }
  return p;
}

function received(probe: ProcessHandle, pred: (p: Parsed) => boolean, what: string, timeoutMs = 5_000): Promise<Parsed> {
  return probe
    .waitForMessage(
      (m) => {
        if (m['event'] !== 'datagram' || typeof m['hex'] !== 'string') return false;
        const p = parseControl(m['hex']);
        return p !== undefined && pred(p);
      },
      what,
      timeoutMs,
    )
    .then((m) => parseControl(m['hex'] as string)!);
}

/**
 * SCCRQ -> SCCRP, then a clean close: SCCCN (acknowledged), StopCCN (RFC 2661 section 5.7), and
 * a ZLB for the peer's StopCCN if it sends one. Returns the SCCRP.
 */
async function handshakeAndClose(probe: ProcessHandle, peer: { ip: string; port: number }): Promise<Parsed> {
  const ourTunnelId = 0x4c41; // "LA"
  probe.send({ send: Buffer.from(sccrq(ourTunnelId)).toString('hex'), to: peer });
  const sccrp = await received(probe, (p) => p.msgType === MSG.SCCRP, 'SCCRP');
  assert.equal(sccrp.tunnelId, ourTunnelId, 'SCCRP is addressed to our Assigned Tunnel ID');
  assert.equal(sccrp.nr, 1, 'SCCRP acknowledges our SCCRQ');
  const peerTunnelId = sccrp.assignedTunnelId;
  assert.ok(peerTunnelId !== undefined && peerTunnelId !== 0, 'SCCRP assigns a tunnel id');
  probe.send({ send: Buffer.from(controlMessage(peerTunnelId, 1, 1, [avp(AVP.MessageType, u16(MSG.SCCCN))])).toString('hex'), to: peer });
  await received(probe, (p) => p.msgType === undefined && p.nr >= 2, 'ZLB for SCCCN');
  const stop = controlMessage(peerTunnelId, 2, 1, [
    avp(AVP.MessageType, u16(MSG.StopCCN)),
    avp(AVP.AssignedTunnelId, u16(ourTunnelId)),
    avp(AVP.ResultCode, u16(1)), // 1: General request to clear control connection
  ]);
  probe.send({ send: Buffer.from(stop).toString('hex'), to: peer });
  const answer = await received(probe, (p) => p.nr >= 3, 'acknowledgement of StopCCN');
  if (answer.msgType === MSG.StopCCN) {
    // SoftEther answers StopCCN with its own StopCCN (LAB.md): acknowledge it with a ZLB.
    probe.send({ send: Buffer.from(controlMessage(peerTunnelId, 3, (answer.ns + 1) & 0xffff, [])).toString('hex'), to: peer });
  }
  return sccrp;
}

async function twoNamespaces(lab: Lab): Promise<{ lac: Netns; lns: Netns; link: VethPair }> {
  const lac = await lab.netns('hlac');
  const lns = await lab.netns('hlns');
  const link = await lab.veth(lac, lns, { aAddr: '10.200.2.2/24', bAddr: '10.200.2.1/24' });
  return { lac, lns, link };
}

systemTest('xl2tpd LNS answers a hand-made SCCRQ with an SCCRP; the capture is clean', async (lab) => {
  const { lac, lns, link } = await twoNamespaces(lab);
  const capture = await startCapture(lab, lns, link.bIf);
  const xl = await startXl2tpd(lab, lns, { role: 'lns', listenAddr: link.bIp, ipRange: '10.200.60.10-10.200.60.20', localIp: '10.200.60.1', hostname: 'lab-xl2tpd-lns' });
  const { probe } = await startProbe(lac, link.aIp, 1701);
  const sccrp = await handshakeAndClose(probe, { ip: link.bIp, port: 1701 });
  await xl.waitForLog(/Connection established|StopCCN|control_finish|Received/i, 5_000).catch(() => undefined);
  await capture.stop();
  const frames = await decodeL2tp(capture.file);
  const names = frames.map((f) => f.msgName);
  assert.deepEqual(names.slice(0, 2), ['SCCRQ', 'SCCRP'], `frames: ${names.join(' ')}`);
  assert.equal(frames[1]?.hostName, 'lab-xl2tpd-lns');
  assert.equal(frames[1]?.vendorName, 'xelerance.com');
  assert.equal(frames[1]?.assignedTunnelId, sccrp.assignedTunnelId);
  assert.ok(names.includes('StopCCN'), `frames: ${names.join(' ')}`);
  assert.deepEqual(await checkNoMalformed(capture.file), []);
}, { needs: ['ip', 'xl2tpd', 'tshark'] });

systemTest('SoftEther answers the same SCCRQ with an SCCRP, closes cleanly, and stops on SIGTERM', async (lab, t) => {
  const { lac, lns, link } = await twoNamespaces(lab);
  const capture = await startCapture(lab, lns, link.bIf);
  const se = await startSoftEther(lab, lns);
  t.diagnostic(`softether start: pid file ${se.timings.pidMs} ms, admin port ${se.timings.adminMs} ms, vpncmd ${se.timings.configureMs} ms, UDP 1701 ${se.timings.readyMs} ms`);
  const { probe } = await startProbe(lac, link.aIp, 1701);
  const sccrp = await handshakeAndClose(probe, { ip: link.bIp, port: 1701 });
  assert.ok(sccrp.assignedTunnelId !== undefined);
  const stop = await se.stop();
  t.diagnostic(`softether stop: ${stop.ms} ms, clean=${stop.clean}`);
  assert.equal(stop.clean, true, 'SIGTERM sufficed: no stale tunnel left it spinning');
  await capture.stop();
  const frames = await decodeL2tp(capture.file);
  const names = frames.map((f) => f.msgName);
  assert.deepEqual(names.slice(0, 2), ['SCCRQ', 'SCCRP'], `frames: ${names.join(' ')}`);
  assert.equal(frames[1]?.vendorName, 'L2TP');
  assert.ok(names.includes('StopCCN'), `frames: ${names.join(' ')}`);
  assert.deepEqual(await checkNoMalformed(capture.file), []);
  assert.match(await se.serverLog(), /L2TP|IPsec/);
}, { needs: ['ip', 'vpnserver', 'vpncmd', 'tshark'] });

systemTest('xl2tpd as LAC dials (control FIFO) an xl2tpd LNS with a tunnel secret; the capture is clean', async (lab) => {
  const { lac, lns, link } = await twoNamespaces(lab);
  const capture = await startCapture(lab, lns, link.bIf);
  await startXl2tpd(lab, lns, { role: 'lns', listenAddr: link.bIp, secret: 'labsecret', hostname: 'lab-lns' });
  const client = await startXl2tpd(lab, lac, { role: 'lac', listenAddr: link.aIp, lnsAddr: link.bIp, secret: 'labsecret', hostname: 'lab-lac' });
  await client.dial();
  // pppd cannot run here (no /dev/ppp): the call is set up, then torn down with a CDN.
  await client.waitForLog(/Connection established|Call established/, 10_000);
  await capture.stop();
  const names = (await decodeL2tp(capture.file)).map((f) => f.msgName);
  for (const m of ['SCCRQ', 'SCCRP', 'SCCCN', 'ICRQ', 'ICRP', 'ICCN']) assert.ok(names.includes(m), `${m} in ${names.join(' ')}`);
  assert.deepEqual(await checkNoMalformed(capture.file), []);
}, { needs: ['ip', 'xl2tpd', 'tshark'] });

test('canRunSystemTests names what is missing', () => {
  const r = canRunSystemTests(['ip', 'no-such-binary-for-l2tp-lab']);
  assert.equal(r.ok, false);
  if (!r.ok) assert.match(r.reason, /no-such-binary-for-l2tp-lab|root|Linux/);
});
