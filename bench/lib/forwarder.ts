/**
 * Starts bench/forwarder-node.ts in both namespaces: the static L2TP data forwarder (DataPath +
 * batched TUN + node:dgram, no control plane), a ceiling for the daemon's data path built from
 * the same blocks. TUN `fwda` in A, `fwdb` in B, point-to-point addresses `ips.a` <-> `ips.b`.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { VETH_A_IP, VETH_B_IP, type Netns } from './netns.js';
import type { Proc } from './proc.js';
import type { RunningTunnel, TunnelIps } from './tunnels.js';

const SCRIPT = join(resolve(dirname(fileURLToPath(import.meta.url)), '..'), 'forwarder-node.ts');
export const FORWARDER_MTU = 1450;

export async function startForwarder(a: Netns, b: Netns, ips: TunnelIps): Promise<RunningTunnel> {
  const procs: Proc[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(procs.map((p) => p.stop(3000)));
  };
  try {
    const tsx = import.meta.resolve('tsx');
    // Tunnel/session ids: A is 11/21, B is 12/22; each side addresses the other's.
    const sides = [
      { ns: a, dev: 'fwda', me: VETH_A_IP, peer: VETH_B_IP, ids: ['11', '21', '12', '22'], ip: ips.a, peerIp: ips.b },
      { ns: b, dev: 'fwdb', me: VETH_B_IP, peer: VETH_A_IP, ids: ['12', '22', '11', '21'], ip: ips.b, peerIp: ips.a },
    ];
    for (const s of sides) {
      const p = s.ns.spawn(`forwarder-${s.dev}`, [process.execPath, '--import', tsx, SCRIPT, s.dev, s.me, s.peer, ...s.ids, String(FORWARDER_MTU)]);
      procs.push(p);
      await p.waitFor(/"ev":"ready"/, 20_000);
      await s.ns.exec(['ip', 'addr', 'add', s.ip, 'peer', s.peerIp, 'dev', s.dev]);
      await s.ns.exec(['ip', 'link', 'set', s.dev, 'up']);
    }
    return {
      stop,
      pids: procs.map((p) => p.pid),
      diagnostics: () => procs.map((p) => `--- ${p.name}:\n${p.text.slice(-1000)}`).join('\n'),
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
