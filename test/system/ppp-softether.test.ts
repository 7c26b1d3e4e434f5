/**
 * PPP over L2TP against SoftEther (raw L2TP), in network namespaces (LAB.md): our client logs in
 * with PAP and with MS-CHAPv2 and gets an address in 10.99.30.0/24 from IPCP; with all four
 * methods allowed it falls back to what SoftEther accepts; a wrong password fails with a clear
 * reason. SoftEther handles one tunnel at a time: each case closes cleanly and the server is
 * restarted between cases.
 */
import assert from 'node:assert/strict';
import { systemTest } from './lab/lab.js';
import type { ProcessHandle } from './lab/proc.js';
import { startSoftEther, type SoftEther } from './lab/softether.js';
import { checkNoMalformed, decodeL2tp, startCapture } from './lab/tshark.js';
import type { DriverConfig } from './drivers/node-driver.js';
import type { AuthMethod } from '../../src/auth/types.js';

const DRIVER = new URL('./drivers/node-driver.js', import.meta.url);
const ev = (name: string) => (m: Record<string, unknown>) => m['ev'] === name;

systemTest('our PPP client logs in to SoftEther with PAP, MS-CHAPv2 and fallback; wrong passwords fail clearly', async (lab) => {
  const ours = await lab.netns('ppo');
  const peer = await lab.netns('ppp');
  const link = await lab.veth(ours, peer, { aAddr: '10.200.21.1/24', bAddr: '10.200.21.2/24' });
  const capture = await startCapture(lab, ours, link.aIf);
  let se: SoftEther = await startSoftEther(lab, peer);

  const login = async (allow: AuthMethod[], password: string): Promise<ProcessHandle> => {
    const cfg: DriverConfig = {
      mode: 'lac',
      listen: { address: link.aIp, port: 0 },
      connect: { ip: link.bIp, port: 1701 },
      ppp: { user: 'user1', password, allow },
    };
    return ours.spawnNode(DRIVER, [JSON.stringify(cfg)]);
  };
  const close = async (d: ProcessHandle): Promise<void> => {
    d.writeLine('close');
    await d.waitForMessage(ev('exit'), 'driver exit', 8_000);
    await d.exited;
  };

  const cases: Array<{ allow: AuthMethod[]; method: string }> = [
    { allow: ['pap'], method: 'pap' },
    { allow: ['mschap2'], method: 'mschap2' },
    // SoftEther asks EAP, then MS-CHAPv2; with everything allowed we must land on a method it takes.
    { allow: ['pap', 'chap', 'mschap1', 'mschap2'], method: 'mschap2' },
  ];
  for (const c of cases) {
    const d = await login(c.allow, 'pass1');
    const auth = await d.waitForMessage(ev('authenticated'), `authenticated (${c.allow.join(',')})`, 20_000);
    assert.equal(auth['method'], c.method);
    const ipcp = await d.waitForMessage(ev('ipcp-up'), 'ipcp-up', 20_000);
    assert.match(String(ipcp['local']), /^10\.99\.30\.\d+$/, 'address from SoftEther DHCP range');
    assert.deepEqual(ipcp['dns'], ['10.99.30.1']);
    await close(d);
    se = await se.restart();
  }

  for (const allow of [['pap'], ['mschap2']] as AuthMethod[][]) {
    const d = await login(allow, 'wrong-password');
    const down = await d.waitForMessage(ev('session-down'), `session-down with wrong password (${allow[0]})`, 30_000);
    assert.match(String(down['code']), /auth|peer-terminated|lcp/, JSON.stringify(d.messages.filter((m) => m['ev'] !== 'ip-packet')));
    assert.ok(String(down['reason']).length > 0);
    assert.equal(d.messages.some(ev('ipcp-up')), false);
    await close(d);
    se = await se.restart();
  }
  const st = await se.stop();
  assert.equal(st.clean, true, 'SoftEther stops cleanly: no stale tunnel');
  await capture.stop();
  // SoftEther's own PAP Authenticate-Ack has Length 4 with no Msg-Length byte (LAB.md, INTEROP.md:
  // "use Length"), which tshark flags; every frame we sent must decode cleanly.
  const offences = await checkNoMalformed(capture.file);
  const frames = await decodeL2tp(capture.file);
  const srcOf = new Map(frames.map((f) => [f.frame, f.src]));
  const fromUs = offences.filter((o) => srcOf.get(o.frame) !== link.bIp || !o.protocols.endsWith(':pap'));
  assert.deepEqual(fromUs, [], "no malformed frame from us");
}, { timeoutMs: 300_000 });
