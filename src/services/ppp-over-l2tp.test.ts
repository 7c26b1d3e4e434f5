/**
 * The whole stack below the platform: our PPP client over our LAC against our PPP server over our
 * LNS, on the in-memory network with a virtual clock. Every authentication method, wrong
 * passwords, disallowed methods, loss on the wire, keepalive expiry when the peer vanishes, and
 * admin disconnects with the CDN that follows.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { MemoryLogger } from '../core/log.js';
import { SeededRandom } from '../core/random.js';
import type { Instant } from '../core/time.js';
import { verifyWithPassword } from '../auth/index.js';
import type { AuthMethod } from '../auth/types.js';
import { MemoryNetwork, runNetwork, type Endpoint, type SimNode, type SimTransmit } from '../testing/memory-network.js';
import { PppOverL2tp, type ClientDialOptions, type ServerPppOptions, type ServiceEvent } from './ppp-over-l2tp.js';

const CLIENT: Endpoint = { ip: '192.0.2.10', port: 40001 };
const SERVER: Endpoint = { ip: '192.0.2.1', port: 1701 };
const USERS: Record<string, string> = { alice: 'wonderland', bob: 'builder' };

class Side implements SimNode {
  readonly events: ServiceEvent[] = [];
  readonly log = new MemoryLogger();
  readonly svc: PppOverL2tp;
  nextHost = 100;
  /** Answer auth checks (server). */
  answerAuth = true;

  constructor(
    readonly address: Endpoint,
    server: ServerPppOptions | undefined,
    seed: number,
  ) {
    this.svc = new PppOverL2tp({ hostName: address.ip, acceptTunnels: server !== undefined }, server, { random: new SeededRandom(seed), logger: this.log });
  }

  nextTimeout(): Instant | undefined {
    return this.svc.nextTimeout();
  }
  handleTimeout(now: Instant): void {
    this.svc.handleTimeout(now);
    this.drain(now);
  }
  pollTransmit(): SimTransmit | undefined {
    const t = this.svc.pollTransmit();
    return t ? { to: t.to, bytes: t.bytes } : undefined;
  }
  handleDatagram(now: Instant, from: Endpoint, bytes: Uint8Array): void {
    this.svc.handleDatagram(now, from, bytes);
    this.drain(now);
  }
  drain(now: Instant): void {
    for (let ev = this.svc.pollEvent(); ev; ev = this.svc.pollEvent()) {
      this.events.push(ev);
      if (ev.type === 'auth-check' && this.answerAuth) {
        const pw = USERS[ev.check.user];
        this.svc.completeAuth(now, ev.key, pw === undefined ? { ok: false, message: 'no such user' } : verifyWithPassword(ev.check, pw));
      }
      if (ev.type === 'need-addresses') {
        const n = this.nextHost++;
        const remote = n < 250 ? `10.1.101.${n}` : `10.2.${Math.floor(n / 250)}.${(n % 250) + 2}`;
        this.svc.authorize(now, ev.key, { localAddress: '10.1.101.1', remoteAddress: remote, dns: ['10.1.101.1'], wins: [] });
      }
    }
  }
  of<T extends ServiceEvent['type']>(type: T): Array<Extract<ServiceEvent, { type: T }>> {
    return this.events.filter((e): e is Extract<ServiceEvent, { type: T }> => e.type === type);
  }
}

function serverOptions(authentication: AuthMethod[]): ServerPppOptions {
  return { authentication, mru: 1450, mtu: 1450, keepaliveTimeoutS: 30, ipv6: false, hostName: 'lns' };
}

function dialOptions(user: string, password: string, allow: AuthMethod[]): ClientDialOptions {
  return { peer: SERVER, user, password, allow, mru: 1450, mtu: 1450, keepaliveTimeoutS: 60, usePeerDns: true, name: 'l2tp-out1' };
}

function setup(serverAuth: AuthMethod[], opts: { loss?: number; seed?: number } = {}): { net: MemoryNetwork; client: Side; server: Side } {
  const net = new MemoryNetwork({ seed: opts.seed ?? 5, delayMs: 2, lossProbability: opts.loss ?? 0, duplicateProbability: 0, reorderProbability: 0, reorderMaxExtraMs: 0 });
  return { net, client: new Side(CLIENT, undefined, 11), server: new Side(SERVER, serverOptions(serverAuth), 12) };
}

describe('PPP over L2TP, our client against our server', () => {
  for (const method of ['pap', 'chap', 'mschap1', 'mschap2'] as const) {
    it(`logs in with ${method} and gets an address and DNS`, () => {
      const { net, client, server } = setup([method]);
      client.svc.dial(0, dialOptions('alice', 'wonderland', ['pap', 'chap', 'mschap1', 'mschap2']));
      const r = runNetwork(net, [client, server], { timeLimit: 30_000, until: () => client.of('ipcp-up').length > 0 && server.of('ipcp-up').length > 0 });
      assert.equal(r.reason, 'until');
      assert.equal(client.of('authenticated')[0]?.method, method);
      const up = client.of('ipcp-up')[0]!;
      assert.equal(up.local, '10.1.101.100');
      assert.equal(up.remote, '10.1.101.1');
      assert.deepEqual(up.dns, ['10.1.101.1']);
      assert.equal(server.of('ipcp-up')[0]?.remote, '10.1.101.100');
      // an IP packet each way through L2TP data messages
      const packet = Uint8Array.from([0x45, 0, 0, 20, 0, 0, 0, 0, 64, 17, 0, 0, 10, 1, 101, 100, 10, 1, 101, 1]);
      client.svc.sendIp(r.now, up.key, packet, 'ipv4');
      server.svc.sendIp(r.now, server.of('ipcp-up')[0]!.key, packet, 'ipv4');
      runNetwork(net, [client, server], { start: r.now, timeLimit: r.now + 1000, until: () => client.of('ip-packet').length > 0 && server.of('ip-packet').length > 0 });
      assert.deepEqual([...server.of('ip-packet')[0]!.packet], [...packet]);
      assert.deepEqual([...client.of('ip-packet')[0]!.packet], [...packet]);
    });
  }

  it('refuses a wrong password and hangs up the tunnel', () => {
    for (const method of ['pap', 'chap', 'mschap1', 'mschap2'] as const) {
      const { net, client, server } = setup([method]);
      client.svc.dial(0, dialOptions('alice', 'nope', [method]));
      runNetwork(net, [client, server], { timeLimit: 60_000, until: () => client.of('tunnel-down').length > 0 });
      assert.equal(client.of('ipcp-up').length, 0, method);
      assert.equal(client.of('session-down')[0]?.code, 'auth-failed', `${method}: ${JSON.stringify(client.of('session-down'))}`);
      assert.equal(server.of('session-down')[0]?.code !== undefined, true);
      assert.equal(client.of('tunnel-down').length, 1, 'the LAC tunnel closes with its only session');
    }
  });

  it('fails with a clear reason when no method is allowed on both sides', () => {
    const { net, client, server } = setup(['mschap2']);
    client.svc.dial(0, dialOptions('alice', 'wonderland', ['pap']));
    runNetwork(net, [client, server], { timeLimit: 60_000, until: () => client.of('session-down').length > 0 && server.of('session-down').length > 0 });
    assert.equal(client.of('ipcp-up').length, 0);
    assert.ok(server.log.has(/authentication protocol negotiation failed/) || client.log.has(/authentication protocol negotiation failed/));
  });

  it('logs in through 20% loss on the wire', () => {
    const { net, client, server } = setup(['mschap2'], { loss: 0.2, seed: 3 });
    client.svc.dial(0, dialOptions('bob', 'builder', ['mschap2']));
    const r = runNetwork(net, [client, server], { timeLimit: 120_000, until: () => client.of('ipcp-up').length > 0 && server.of('ipcp-up').length > 0 });
    assert.equal(r.reason, 'until');
  });

  it('drops the session by LCP keepalive when the client vanishes, and frees the tunnel', () => {
    const { net, client, server } = setup(['pap']);
    client.svc.dial(0, dialOptions('alice', 'wonderland', ['pap']));
    const r = runNetwork(net, [client, server], { timeLimit: 30_000, until: () => server.of('ipcp-up').length > 0 });
    // The client disappears: only the server keeps running.
    const r2 = runNetwork(net, [server], { start: r.now, timeLimit: r.now + 120_000, until: () => server.of('session-down').length > 0 });
    assert.equal(r2.reason, 'until');
    assert.equal(server.of('session-down')[0]!.code, 'keepalive');
    assert.equal(server.log.entries.filter((e) => /LCP missed echo reply/.test(e.message)).length, 5);
  });

  it('disconnects a session from the server (admin), the client sees the link go down', () => {
    const { net, client, server } = setup(['chap']);
    client.svc.dial(0, dialOptions('alice', 'wonderland', ['chap']));
    const r = runNetwork(net, [client, server], { timeLimit: 30_000, until: () => server.of('ipcp-up').length > 0 && client.of('ipcp-up').length > 0 });
    server.svc.disconnect(r.now, server.of('ipcp-up')[0]!.key, 'removed by admin');
    runNetwork(net, [client, server], { start: r.now, timeLimit: r.now + 30_000, until: () => client.of('session-down').length > 0 && server.of('session-down').length > 0 });
    assert.equal(server.of('session-down')[0]!.code, 'admin');
    assert.equal(client.of('session-down')[0]!.code, 'peer-terminated');
  });

  it('brings up 300 sessions (one tunnel each) against one server', () => {
    const { net, client, server } = setup(['mschap2']);
    for (let i = 0; i < 300; i++) client.svc.dial(i, dialOptions('alice', 'wonderland', ['mschap2']));
    const r = runNetwork(net, [client, server], { timeLimit: 120_000, until: () => server.of('ipcp-up').length === 300 && client.of('ipcp-up').length === 300 });
    assert.equal(r.reason, 'until');
    assert.equal(new Set(client.of('ipcp-up').map((e) => e.local)).size, 300, 'every session has its own address');
    assert.equal(server.svc.l2tp.tunnelCount, 300);
  });
});
