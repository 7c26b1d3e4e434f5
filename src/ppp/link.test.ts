import { test } from 'node:test';
import assert from 'node:assert/strict';
import { verifyWithPassword } from '../auth/index.js';
import type { AuthMethod } from '../auth/types.js';
import { MemoryLogger, prefixLogger } from '../core/log.js';
import { SeededRandom } from '../core/random.js';
import { earliest, type Instant } from '../core/time.js';
import { PppLink, type PppEvent, type PppLinkConfig } from './link.js';

const SECRETS: Record<string, string> = { user1: 'pass1' };

export function serverConfig(over: Partial<PppLinkConfig> = {}): PppLinkConfig {
  return {
    role: 'server',
    mru: 1450,
    mtu: 1450,
    authentication: ['mschap2', 'mschap1', 'chap', 'pap'],
    keepaliveTimeoutS: 30,
    usePeerDns: false,
    ipv6: false,
    multilink: false,
    name: 'MikroTik',
    ...over,
  };
}

export function clientConfig(over: Partial<PppLinkConfig> = {}): PppLinkConfig {
  return {
    role: 'client',
    mru: 1450,
    mtu: 1450,
    authentication: ['mschap2', 'mschap1', 'chap', 'pap'],
    credentials: { user: 'user1', password: 'pass1' },
    keepaliveTimeoutS: 60,
    usePeerDns: true,
    ipv6: false,
    multilink: false,
    ...over,
  };
}

interface Side {
  link: PppLink;
  events: PppEvent[];
  log: MemoryLogger;
}

/** Two links wired back to back on a virtual clock; the "service" answers checks and addresses. */
function wire(serverCfg: PppLinkConfig, clientCfg: PppLinkConfig, seed = 7) {
  const log = new MemoryLogger();
  const server: Side = { link: new PppLink(serverCfg, { random: new SeededRandom(seed), logger: prefixLogger(log, 'S: ') }), events: [], log };
  const client: Side = { link: new PppLink(clientCfg, { random: new SeededRandom(seed + 1), logger: prefixLogger(log, 'C: ') }), events: [], log };
  let now: Instant = 0;
  let dropClientToServer = false;
  let dropServerToClient = false;
  const pump = () => {
    for (let i = 0; i < 10_000; i++) {
      let moved = false;
      for (let f = server.link.pollTransmit(); f; f = server.link.pollTransmit()) {
        moved = true;
        if (!dropServerToClient) client.link.handleFrame(now, f);
      }
      for (let f = client.link.pollTransmit(); f; f = client.link.pollTransmit()) {
        moved = true;
        if (!dropClientToServer) server.link.handleFrame(now, f);
      }
      for (let e = server.link.pollEvent(); e; e = server.link.pollEvent()) {
        moved = true;
        server.events.push(e);
        if (e.type === 'auth-check') {
          const pw = SECRETS[e.check.user];
          server.link.completeAuth(now, pw === undefined ? { ok: false, message: 'no such user' } : verifyWithPassword(e.check, pw));
        }
        if (e.type === 'need-addresses')
          server.link.authorize(now, { localAddress: '10.1.0.1', remoteAddress: '10.1.101.100', dns: ['10.1.0.53', '8.8.8.8'], wins: [] });
      }
      for (let e = client.link.pollEvent(); e; e = client.link.pollEvent()) {
        moved = true;
        client.events.push(e);
      }
      if (!moved) return;
    }
    throw new Error('pump did not settle');
  };
  const run = (untilMs: number) => {
    pump();
    for (let i = 0; i < 100_000; i++) {
      const t = earliest(server.link.nextTimeout(), client.link.nextTimeout());
      if (t === undefined || t > untilMs) break;
      now = Math.max(now, t);
      server.link.handleTimeout(now);
      client.link.handleTimeout(now);
      pump();
    }
    now = Math.max(now, untilMs);
  };
  const start = () => {
    server.link.lowerUp(now);
    client.link.lowerUp(now);
    pump();
  };
  return {
    server,
    client,
    log,
    start,
    pump,
    run,
    get now() {
      return now;
    },
    set dropClientToServer(v: boolean) {
      dropClientToServer = v;
    },
    set dropServerToClient(v: boolean) {
      dropServerToClient = v;
    },
  };
}

function find<T extends PppEvent['type']>(events: PppEvent[], type: T): Extract<PppEvent, { type: T }> | undefined {
  return events.find((e): e is Extract<PppEvent, { type: T }> => e.type === type);
}

for (const method of ['pap', 'chap', 'mschap1', 'mschap2'] as AuthMethod[]) {
  test(`our client against our server with ${method}: reaches ipcp-up with addresses`, () => {
    const w = wire(serverConfig({ authentication: [method] }), clientConfig({ authentication: [method] }));
    w.start();
    w.run(100);
    const sUp = find(w.server.events, 'ipcp-up');
    const cUp = find(w.client.events, 'ipcp-up');
    assert.ok(sUp, `server ipcp-up; log:\n${w.log.messages().join('\n')}`);
    assert.ok(cUp, 'client ipcp-up');
    assert.deepEqual(sUp, { type: 'ipcp-up', local: '10.1.0.1', remote: '10.1.101.100', dns: ['10.1.0.53', '8.8.8.8'], wins: [] });
    assert.deepEqual(cUp, { type: 'ipcp-up', local: '10.1.101.100', remote: '10.1.0.1', dns: ['10.1.0.53', '8.8.8.8'], wins: [] });
    assert.deepEqual(find(w.server.events, 'authenticated'), { type: 'authenticated', user: 'user1', method });
    assert.deepEqual(find(w.client.events, 'authenticated'), { type: 'authenticated', user: 'user1', method });
    assert.deepEqual(
      w.server.events.filter((e) => e.type === 'phase').map((e) => (e.type === 'phase' ? e.phase : '')),
      ['establish', 'authenticate', 'network'],
    );
    assert.equal(w.server.link.state.negotiated.authMethod, method);
    assert.equal(w.server.link.state.negotiated.peerMru, 1450);
    assert.equal(w.server.link.state.lcp, 'Opened');
    // Data flows both ways once IPCP is up.
    w.client.link.sendIp(Uint8Array.of(0x45, 0, 0, 20), 'ipv4');
    w.pump();
    assert.deepEqual(find(w.server.events, 'ip-packet'), { type: 'ip-packet', protocol: 'ipv4', packet: Uint8Array.of(0x45, 0, 0, 20) });
  });
}

test('server prefers mschap2; a client allowing only pap naks toward pap and the server follows', () => {
  const w = wire(serverConfig(), clientConfig({ authentication: ['pap'] }));
  w.start();
  w.run(100);
  assert.equal(w.server.link.state.negotiated.authMethod, 'pap');
  assert.ok(find(w.server.events, 'ipcp-up'));
});

test('no common authentication method: close with a clear log', () => {
  const w = wire(serverConfig({ authentication: ['mschap2'] }), clientConfig({ authentication: ['pap'] }));
  w.start();
  w.run(20_000);
  assert.ok(w.log.has(/S: .*authentication protocol negotiation failed/));
  const down = find(w.server.events, 'down');
  assert.equal(down?.code, 'negotiation-failed');
  assert.equal(down?.reason, 'authentication protocol negotiation failed');
});

test('wrong password: down with auth-failed on the server', () => {
  const w = wire(serverConfig({ authentication: ['mschap2'] }), clientConfig({ credentials: { user: 'user1', password: 'nope' } }));
  w.start();
  w.run(30_000);
  assert.equal(find(w.server.events, 'down')?.code, 'auth-failed');
  assert.ok(find(w.client.events, 'down'));
  assert.equal(find(w.server.events, 'ipcp-up'), undefined);
});

test('IPv6CP between our links: interface identifiers negotiated, nonzero and distinct', () => {
  const w = wire(serverConfig({ ipv6: true }), clientConfig({ ipv6: true }));
  w.start();
  w.run(100);
  const s = find(w.server.events, 'ipv6cp-up');
  const c = find(w.client.events, 'ipv6cp-up');
  assert.ok(s && c);
  assert.deepEqual(s.localId, c.remoteId);
  assert.deepEqual(s.remoteId, c.localId);
  assert.notDeepEqual(s.localId, s.remoteId);
});

test('IPv6 off on the server: client IPV6CP gets Protocol-Reject, IPCP still comes up', () => {
  const w = wire(serverConfig({ ipv6: false }), clientConfig({ ipv6: true }));
  w.start();
  w.run(100);
  assert.ok(find(w.client.events, 'ipcp-up'));
  assert.equal(find(w.client.events, 'ipv6cp-up'), undefined);
  assert.equal(w.client.link.state.ipv6cp, 'Stopped');
  assert.equal(find(w.client.events, 'down'), undefined);
});

test('admin close: Terminate-Request/Ack, both sides down with meaningful codes', () => {
  const w = wire(serverConfig({ authentication: ['pap'] }), clientConfig());
  w.start();
  w.run(100);
  w.server.link.close(w.now, 'disconnected by admin');
  w.pump();
  w.run(w.now + 10_000);
  assert.deepEqual(find(w.server.events, 'down'), { type: 'down', reason: 'disconnected by admin', code: 'admin' });
  assert.equal(find(w.client.events, 'down')?.code, 'peer-terminated');
  assert.equal(w.server.link.state.phase, 'dead');
});

test('keepalive: silent peer -> five "LCP missed echo reply" then down(keepalive)', () => {
  const w = wire(serverConfig({ authentication: ['pap'], keepaliveTimeoutS: 10 }), clientConfig({ keepaliveTimeoutS: undefined }));
  w.start();
  w.run(100);
  assert.ok(find(w.server.events, 'ipcp-up'));
  const upAt = w.now;
  w.dropClientToServer = true;
  w.run(upAt + 9_000);
  assert.equal(find(w.server.events, 'down'), undefined);
  w.run(upAt + 60_000);
  const misses = w.log.messages().filter((m) => m === 'S: LCP missed echo reply');
  assert.equal(misses.length, 5);
  assert.deepEqual(find(w.server.events, 'down'), { type: 'down', reason: 'keepalive timeout: no echo reply', code: 'keepalive' });
  assert.equal(w.server.link.nextTimeout(), undefined);
});

test('keepalive: an answering peer keeps the link up; traffic resets the idle timer', () => {
  const w = wire(serverConfig({ authentication: ['pap'], keepaliveTimeoutS: 10 }), clientConfig({ keepaliveTimeoutS: 10 }));
  w.start();
  w.run(300_000);
  assert.equal(find(w.server.events, 'down'), undefined);
  assert.equal(find(w.client.events, 'down'), undefined);
  assert.equal(w.log.has(/missed echo/), false);
});

test('lower down: one down event with lower-down code', () => {
  const w = wire(serverConfig({ authentication: ['pap'] }), clientConfig());
  w.start();
  w.run(100);
  w.server.link.lowerDown(w.now);
  w.server.link.lowerDown(w.now);
  const downs = [];
  for (let e = w.server.link.pollEvent(); e; e = w.server.link.pollEvent()) if (e.type === 'down') downs.push(e);
  assert.deepEqual(downs, [{ type: 'down', reason: 'lower layer down', code: 'lower-down' }]);
});

test('no answer to LCP: negotiation-failed after Max-Configure restarts', () => {
  const w = wire(serverConfig(), clientConfig());
  w.dropServerToClient = true;
  w.dropClientToServer = true;
  w.start();
  w.run(60_000);
  assert.deepEqual(find(w.server.events, 'down'), { type: 'down', reason: 'LCP negotiation timed out', code: 'negotiation-failed' });
});
