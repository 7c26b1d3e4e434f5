/**
 * `/ip firewall address-list` and on-up/on-down scripts with the real daemon in network
 * namespaces: a client logs in, its address appears in the nftables set `inet l2tp <list>` of
 * the server's namespace (the profile's `address-list`, and a list the on-up script fills), and
 * leaves both after the disconnect (dynamic entry gone, on-down script removes its entry).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { systemTest } from './lab/lab.js';
import { startDaemon, waitFor } from './lab/daemon.js';
import type { Netns } from './lab/netns.js';

async function setOf(ns: Netns, list: string): Promise<string> {
  const r = await ns.exec(['nft', 'list', 'set', 'inet', 'l2tp', list], { check: false, timeoutMs: 10_000 });
  return r.code === 0 ? r.stdout : '';
}

/** `list address` of each `/ip firewall address-list` item in the saved config.json. */
async function savedEntries(dataDir: string): Promise<string[]> {
  const config = JSON.parse(await readFile(join(dataDir, 'config.json'), 'utf8')) as { lists: Record<string, { values: Record<string, string> }[]> };
  return (config.lists['ip firewall address-list'] ?? []).map((i) => `${i.values['list']} ${i.values['address']}`);
}

systemTest('address lists become nftables sets; on-up and on-down scripts run with the session variables', async (lab) => {
  const office = await lab.netns('alo');
  const home = await lab.netns('alh');
  await lab.veth(office, home, { aAddr: '192.168.84.1/24', bAddr: '192.168.84.50/24' });
  const server = await startDaemon(lab, office, [
    '/interface l2tp-server server set enabled=yes authentication=mschap2',
    '/ppp profile add name=vpnp use-encryption=yes address-list=vpn ' +
      'on-up=":log info \\"up \\$user \\$\\"remote-address\\" via \\$interface\\"; /ip firewall address-list add list=scripted address=\\$\\"remote-address\\" comment=\\$user" ' +
      'on-down="/ip firewall address-list remove [ find list=scripted ]"',
    '/ppp secret add name=Home service=l2tp password=123 profile=vpnp local-address=172.16.5.1 remote-address=172.16.5.2',
    '/ip firewall address-list add list=vpn address=10.50.0.0/16 comment=static',
  ]);
  await waitFor('static entry in the kernel', 10_000, async () => /10\.50\.0\.0\/16/.test(await setOf(office, 'vpn')));

  const client = await startDaemon(lab, home, ['/interface l2tp-client add name=l2tp-out1 connect-to=192.168.84.1 user=Home password=123 disabled=no']);
  await waitFor('client connected', 20_000, async () => (await client.command('/interface l2tp-client monitor 0 once')).some((l) => /status: connected/.test(l)));

  await waitFor('session address in set vpn', 10_000, async () => /172\.16\.5\.2/.test(await setOf(office, 'vpn')));
  await waitFor('on-up script filled set scripted', 10_000, async () => /172\.16\.5\.2/.test(await setOf(office, 'scripted')));
  assert.match(await setOf(office, 'vpn'), /10\.50\.0\.0\/16/);
  // The script's change is on disk at once, not only at the next console change or at shutdown.
  await waitFor('on-up change saved', 5_000, async () => (await savedEntries(server.dataDir)).includes('scripted 172.16.5.2'));
  const printed = (await server.command('/ip firewall address-list print')).join('\n');
  assert.match(printed, /D\s+vpn\s+172\.16\.5\.2/, printed);
  assert.match(printed, /scripted\s+172\.16\.5\.2/, printed);
  // The dynamic entry is never exported; the script's static one is configuration.
  const exported = (await server.command('/ip firewall address-list export')).join('\n');
  assert.doesNotMatch(exported, /list=vpn[^\n]*172\.16\.5\.2|172\.16\.5\.2[^\n]*list=vpn/, exported);
  assert.match(server.process.output(), /script,info up Home 172\.16\.5\.2 via <l2tp-Home>/);

  await client.command('/interface l2tp-client disable 0');
  await waitFor('session address left set vpn', 15_000, async () => !/172\.16\.5\.2/.test(await setOf(office, 'vpn')));
  await waitFor('on-down script emptied set scripted', 10_000, async () => !/172\.16\.5\.2/.test(await setOf(office, 'scripted')));
  assert.match(await setOf(office, 'vpn'), /10\.50\.0\.0\/16/);
  assert.doesNotMatch((await server.command('/ip firewall address-list print')).join('\n'), /172\.16\.5\.2/);
  await waitFor('on-down change saved', 5_000, async () => !(await savedEntries(server.dataDir)).includes('scripted 172.16.5.2'));
  // :log typed at the console goes to the daemon's log.
  await server.command(':log info "hello from exec"');
  assert.match(server.process.output(), /script,info hello from exec/);

  await client.stop();
  await server.stop();
}, { timeoutMs: 120_000 });
