/**
 * The reference userspace tunnels of the benchmark, each started between namespace A (client
 * side) and B (server side) over the veth, carrying the inner addresses `ips.a` <-> `ips.b`:
 *
 * - OpenVPN 2.6 over TUN, TLS point-to-point (static-key mode is deprecated in 2.6 and cannot do
 *   AES-GCM): self-signed EC certificates made here with openssl, `--peer-fingerprint` instead of
 *   a CA, `--dh none`, `--disable-dco` (keeps the data path in userspace, like ours), and
 *   `--reneg-bytes 0` (with cipher none OpenVPN otherwise renegotiates about every second and
 *   loses ~12%, LAB.md). Cipher `none` (with `--auth none`) or `AES-256-GCM`.
 * - wireguard-go, foreground (`WG_PROCESS_FOREGROUND=1`), configured with `wg set` and `ip`. Its
 *   control sockets live in /var/run/wireguard/<if>.sock, shared by all namespaces, so the two
 *   ends get distinct interface names (with this PID in them). MTU 1440: 1440 + 60 bytes of
 *   IPv4/UDP/WireGuard overhead fills the veth's 1500 exactly, so iperf3's 1428-byte datagrams
 *   are not fragmented (wireguard-go's default 1420 would fragment them).
 *
 * A started tunnel is `{ stop, pids }`: `pids` are the tunnel processes whose CPU is measured;
 * `stop` ends them by PID and removes the work directory.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VETH_A_IP, VETH_B_IP, type Netns } from './netns.js';
import { run, sleep, type Proc } from './proc.js';

export interface TunnelIps {
  /** Inner address in namespace A (the client end). */
  a: string;
  /** Inner address in namespace B (the server end; iperf3 -s and ping target). */
  b: string;
}

export interface RunningTunnel {
  stop(): Promise<void>;
  /** Tunnel processes (A side first) whose CPU the benchmark reports. */
  pids: number[];
  /** What actually runs, when it differs from the path's name (ours: daemon or driver). */
  label?: string;
  /** Facts worth keeping with the results (negotiated cipher, fallbacks taken). */
  notes?: string[];
  /** Recent output of the tunnel processes, for failure reports. */
  diagnostics?: () => string;
}

export type StartTunnel = (a: Netns, b: Netns, ips: TunnelIps) => Promise<RunningTunnel>;

async function selfSigned(dir: string, name: string): Promise<{ cert: string; key: string; fingerprint: string }> {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  await run(['openssl', 'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', `/CN=${name}`], { timeoutMs: 20_000 });
  const fp = await run(['openssl', 'x509', '-in', cert, '-noout', '-fingerprint', '-sha256'], { timeoutMs: 10_000 });
  const fingerprint = fp.stdout.trim().split('=')[1] ?? '';
  if (!/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/i.test(fingerprint)) throw new Error(`openssl fingerprint not understood: ${fp.stdout}`);
  return { cert, key, fingerprint };
}

export function openvpn(cipher: 'none' | 'AES-256-GCM'): StartTunnel {
  return async (a, b, ips) => {
    const dir = await mkdtemp(join(tmpdir(), 'bench-ovpn-'));
    const procs: Proc[] = [];
    const stop = async (): Promise<void> => {
      await Promise.all(procs.map((p) => p.stop()));
      await rm(dir, { recursive: true, force: true });
    };
    try {
      const ca = await selfSigned(dir, 'bench-a');
      const cb = await selfSigned(dir, 'bench-b');
      const args = (self: { cert: string; key: string }, peerFp: string, local: string, remote: string, me: string, peer: string, dev: string, role: string): string[] => [
        'openvpn',
        '--dev-type', 'tun',
        '--dev', dev,
        '--proto', 'udp',
        '--local', local,
        '--lport', '1194',
        '--remote', remote, '1194',
        role,
        '--cert', self.cert,
        '--key', self.key,
        '--peer-fingerprint', peerFp,
        '--dh', 'none',
        '--ifconfig', me, peer,
        '--data-ciphers', cipher,
        ...(cipher === 'none' ? ['--auth', 'none'] : []),
        '--disable-dco',
        '--reneg-bytes', '0',
        '--reneg-sec', '0',
        '--verb', '3',
      ];
      procs.push(b.spawn('openvpn-b', args(cb, ca.fingerprint, VETH_B_IP, VETH_A_IP, ips.b, ips.a, 'ovpnb', '--tls-server')));
      procs.push(a.spawn('openvpn-a', args(ca, cb.fingerprint, VETH_A_IP, VETH_B_IP, ips.a, ips.b, 'ovpna', '--tls-client')));
      await Promise.all(procs.map((p) => p.waitFor(/Initialization Sequence Completed/, 30_000)));
      // Record what the data channel really negotiated (a silent fallback would skew the figures).
      const notes = [...new Set([...procs[1]!.text.matchAll(/Data Channel: .*|Outgoing Data Channel: .*/g)].map((m) => m[0].trim()))];
      return { stop, pids: [procs[1]!.pid, procs[0]!.pid], notes, diagnostics: () => procs.map((p) => `${p.name}: ${p.text.slice(-800)}`).join('\n') };
    } catch (err) {
      await stop();
      throw err;
    }
  };
}

export const WIREGUARD_MTU = 1440;

export const wireguardGo: StartTunnel = async (a, b, ips) => {
  const dir = await mkdtemp(join(tmpdir(), 'bench-wg-'));
  const procs: Proc[] = [];
  const ifA = `wga${process.pid}`.slice(0, 15);
  const ifB = `wgb${process.pid}`.slice(0, 15);
  const stop = async (): Promise<void> => {
    await Promise.all(procs.map((p) => p.stop()));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const keys: Record<string, { priv: string; pub: string }> = {};
    for (const side of ['a', 'b']) {
      const priv = join(dir, `${side}.key`);
      await run(['sh', '-c', `umask 077; wg genkey > '${priv}'`], { timeoutMs: 10_000 });
      const pub = await run(['sh', '-c', `wg pubkey < '${priv}'`], { timeoutMs: 10_000 });
      keys[side] = { priv, pub: pub.stdout.trim() };
    }
    const env = { ...process.env, WG_PROCESS_FOREGROUND: '1', LOG_LEVEL: 'error' };
    procs.push(a.spawn('wireguard-go-a', ['wireguard-go', ifA], env));
    procs.push(b.spawn('wireguard-go-b', ['wireguard-go', ifB], env));
    // Ready when the UAPI socket exists (bounded).
    for (const name of [ifA, ifB]) {
      const sock = `/var/run/wireguard/${name}.sock`;
      const deadline = Date.now() + 10_000;
      while (!existsSync(sock)) {
        if (Date.now() > deadline) throw new Error(`wireguard-go did not create ${sock}`);
        await sleep(50);
      }
    }
    const sides = [
      { ns: a, dev: ifA, me: keys['a']!, peer: keys['b']!, ip: ips.a, peerIp: ips.b, endpoint: VETH_B_IP },
      { ns: b, dev: ifB, me: keys['b']!, peer: keys['a']!, ip: ips.b, peerIp: ips.a, endpoint: VETH_A_IP },
    ];
    for (const s of sides) {
      await s.ns.exec(['wg', 'set', s.dev, 'private-key', s.me.priv, 'listen-port', '51820', 'peer', s.peer.pub, 'endpoint', `${s.endpoint}:51820`, 'allowed-ips', `${s.peerIp}/32`]);
      await s.ns.exec(['ip', 'addr', 'add', `${s.ip}/24`, 'dev', s.dev]);
      await s.ns.exec(['ip', 'link', 'set', s.dev, 'mtu', String(WIREGUARD_MTU), 'up']);
    }
    return { stop, pids: procs.map((p) => p.pid) };
  } catch (err) {
    await stop();
    throw err;
  }
};
