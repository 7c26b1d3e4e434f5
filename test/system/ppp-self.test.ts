/**
 * Our PPP client over our LAC against our PPP server over our LNS, each in its own network
 * namespace on real UDP (no TUN yet): every authentication method logs in and gets an address,
 * a wrong password is refused, and the server answers from an ephemeral port when asked.
 */
import assert from 'node:assert/strict';
import { systemTest } from './lab/lab.js';
import type { ProcessHandle } from './lab/proc.js';
import type { DriverConfig } from './drivers/node-driver.js';
import type { AuthMethod } from '../../src/auth/types.js';

const DRIVER = new URL('./drivers/node-driver.js', import.meta.url);
const ev = (name: string) => (m: Record<string, unknown>) => m['ev'] === name;

async function close(d: ProcessHandle): Promise<void> {
  d.writeLine('close');
  await d.waitForMessage(ev('exit'), 'driver exit', 8_000);
  await d.exited;
}

systemTest('our client logs in to our server in namespaces with every method; wrong password refused', async (lab) => {
  const cli = await lab.netns('sfc');
  const srv = await lab.netns('sfs');
  const link = await lab.veth(cli, srv, { aAddr: '10.200.31.1/24', bAddr: '10.200.31.2/24' });
  const server = srv.spawnNode(DRIVER, [
    JSON.stringify({
      mode: 'lns',
      listen: { address: link.bIp, port: 1701 },
      ephemeralPort: true,
      server: { users: { user1: 'pass1' }, authentication: ['pap', 'chap', 'mschap1', 'mschap2'], local: '10.1.101.1', remotePrefix: '10.1.101.' },
    } satisfies DriverConfig),
  ]);
  await server.waitForMessage(ev('listening'), 'server listening', 10_000);
  const dial = (allow: AuthMethod[], password: string): ProcessHandle =>
    cli.spawnNode(DRIVER, [
      JSON.stringify({ mode: 'lac', listen: { address: link.aIp, port: 0 }, connect: { ip: link.bIp, port: 1701 }, ppp: { user: 'user1', password, allow } } satisfies DriverConfig),
    ]);
  for (const method of ['pap', 'chap', 'mschap1', 'mschap2'] as AuthMethod[]) {
    const c = dial([method], 'pass1');
    const up = await c.waitForMessage(ev('ipcp-up'), `ipcp-up (${method})`, 15_000);
    assert.match(String(up['local']), /^10\.1\.101\.1\d\d$/);
    assert.equal(up['remote'], '10.1.101.1');
    const tunnel = c.messages.find(ev('tunnel-up'))!;
    assert.notEqual((tunnel['peer'] as { port: number }).port, 1701, 'the server answered from an ephemeral port');
    await close(c);
  }
  const bad = dial(['mschap2'], 'wrong');
  const down = await bad.waitForMessage(ev('session-down'), 'session-down', 20_000);
  assert.equal(down['code'], 'auth-failed');
  await close(bad);
  await close(server);
  assert.ok(server.messages.filter(ev('ipcp-up')).length >= 4);
});
