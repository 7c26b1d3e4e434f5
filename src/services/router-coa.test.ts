/**
 * RADIUS CoA (RFC 5176) on live sessions, router and AAA together on the in-memory network: an
 * office server and a home client connected without MPPE (the fast path carries the data), a
 * CoA-Request from the `/radius` server's address on the incoming socket, and what changes:
 * the session's rate-limit (shaped tx throughput, `/queue simple` row), its address lists, its
 * session-timeout (the session ends on the new deadline); unsupported or unmatched -> CoA-NAK.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { utf8 } from '../core/bytes.js';
import type { Instant } from '../core/time.js';
import { verifyResponseAuthenticator } from '../crypto/radius-crypto.js';
import { dynamicRequest } from '../testing/radius-twin.js';
import { runNetwork, type Endpoint, type SimNode, type SimTransmit } from '../testing/memory-network.js';
import { RadiusCode } from '../wire/radius/dictionary.js';
import { attribute, decodePacket, getInteger, type RadiusAttribute } from '../wire/radius/packet.js';
import { COA_SOCKET } from './aaa.js';
import type { L2tpRouter } from './router.js';
import { RouterNode, routerPair } from '../testing/router-testkit.js';

const RADIUS = { ip: '192.168.80.9', port: 3799 };
const SECRET = 'coa-secret';

class CoaRouterNode extends RouterNode {
  /** Replies on the CoA socket, kept apart from L2TP's datagrams. */
  readonly coaReplies: Uint8Array[] = [];
  override pollTransmit(): SimTransmit | undefined {
    for (let t = this.router.pollTransmit(); t; t = this.router.pollTransmit()) {
      if (t.via === COA_SOCKET) this.coaReplies.push(t.bytes);
      else return { to: t.to, bytes: t.bytes };
    }
    return undefined;
  }
  /** Session keys of the interfaces brought up (sockets and interfaces are not modelled). */
  get interfaceKeys(): number[] {
    return this.commands.flatMap((c) => (c.type === 'interface-up' ? [c.key] : []));
  }
}

/** Offers `packetBytes`-byte IPv4 packets into a session every `everyMs` from `start` on. */
class TrafficSource implements SimNode {
  readonly address: Endpoint = { ip: '127.0.0.99', port: 9 };
  private next: Instant;
  private readonly packet: Uint8Array;
  constructor(
    private readonly router: L2tpRouter,
    private readonly key: number,
    start: Instant,
    private readonly everyMs: number,
    packetBytes: number,
  ) {
    this.next = start;
    this.packet = new Uint8Array(packetBytes);
    this.packet.set([0x45, 0, packetBytes >>> 8, packetBytes & 0xff, 0, 0, 0, 0, 64, 17]);
  }
  nextTimeout(): Instant {
    return this.next;
  }
  handleTimeout(now: Instant): void {
    this.router.sendIp(now, this.key, this.packet, 'ipv4');
    this.next = now + this.everyMs;
  }
  pollTransmit(): undefined {
    return undefined;
  }
  handleDatagram(): void {}
}

function connected(opts: { mppe?: boolean } = {}) {
  const profile = opts.mppe ? 'default-encryption' : 'default';
  const { net, office, home } = routerPair((a, seed) => new CoaRouterNode(a, seed));
  office.change(0, (s) => s.set('interface l2tp-server server', [''], { enabled: 'yes', authentication: 'mschap2' }));
  office.change(0, (s) => s.set('ppp profile', [s.findByName('ppp profile', profile)!.id], { 'rate-limit': '1M/1M', 'address-list': 'customers' }));
  office.change(0, (s) => s.add('ppp secret', { name: 'Home', password: '123', profile, 'local-address': '172.16.1.1', 'remote-address': '172.16.1.2' }));
  office.change(0, (s) => s.add('radius', { address: RADIUS.ip, secret: SECRET, service: 'ppp' }));
  office.change(0, (s) => s.set('radius incoming', [''], { accept: 'yes' }));
  const clientId = home.addClient(0, { user: 'Home', password: '123', profile });
  const r = runNetwork(net, [office, home], { timeLimit: 30_000, until: () => home.router.monitor('interface l2tp-client', clientId)?.['status'] === 'connected' });
  assert.equal(r.reason, 'until');
  const key = office.interfaceKeys[0];
  assert.ok(key !== undefined);
  assert.equal(office.router.service.dataPath.has(key), !opts.mppe, 'MPPE sessions run on the link path, others on the fast path');
  let received = 0;
  home.router.ipSink = (_k, _p, packet) => (received += packet.length);
  return { net, office, home, clientId, key, now: r.now, received: () => received };
}

let nextId = 1;
/** Sends a CoA-Request to the office and returns the reply's code and Error-Cause. */
function coa(office: CoaRouterNode, now: Instant, attrs: RadiusAttribute[]): { code: number; errorCause?: number } {
  const req = dynamicRequest(RadiusCode.CoaRequest, nextId++ & 0xff, attrs, SECRET);
  office.router.handleDatagram(now, RADIUS, req, COA_SOCKET);
  office.pollTransmit(); // moves CoA replies aside
  const reply = office.coaReplies.pop();
  assert.ok(reply, 'a reply');
  assert.ok(verifyResponseAuthenticator(reply, req.subarray(4, 20), utf8(SECRET)));
  const p = decodePacket(reply);
  assert.ok(p.ok);
  const cause = getInteger(p.packet, 'Error-Cause');
  return { code: p.packet.code, ...(cause !== undefined ? { errorCause: cause } : {}) };
}

/** Bits per second delivered to the home router over `ms` of offered 8 Mbit/s. */
function measure(s: ReturnType<typeof connected>, start: Instant, ms: number): { bps: number; end: Instant } {
  const source = new TrafficSource(s.office.router, s.key, start, 1, 1000); // 1000 B/ms = 8 Mbit/s
  const before = s.received();
  const r = runNetwork(s.net, [s.office, s.home, source], { start, timeLimit: start + ms, maxSteps: 200_000 });
  return { bps: ((s.received() - before) * 8 * 1000) / ms, end: r.now };
}

describe('router: RADIUS CoA changes a live session', () => {
  it('Mikrotik-Rate-Limit: the shaped tx rate changes at once; /queue simple shows the new limit', (t) => {
    const s = connected();
    const q0 = s.office.router.rows('queue simple');
    assert.equal(q0.length, 1);
    assert.equal(q0[0]!.values['name'], '<l2tp-Home>');
    assert.equal(q0[0]!.values['max-limit'], '1M/1M');
    const m1 = measure(s, s.now, 2000);
    // 1 Mbit/s of IP plus one bucket in 2 s; nothing near the 8 Mbit/s offered.
    assert.ok(m1.bps > 900_000 && m1.bps < 1_300_000, `at 1M: ${m1.bps}`);
    assert.deepEqual(coa(s.office, m1.end, [attribute('User-Name', 'Home'), attribute('Mikrotik-Rate-Limit', '4M/256k')]), { code: RadiusCode.CoaAck });
    assert.equal(s.office.router.rows('queue simple')[0]!.values['max-limit'], '4M/256k');
    const m2 = measure(s, m1.end, 4000);
    assert.ok(m2.bps > 200_000 && m2.bps < 330_000, `at 256k: ${m2.bps}`);
    // Shaping: what the session counts as sent is what arrived (released packets are counted then).
    const c = s.office.router.service.counters(s.key)!;
    assert.equal(c.txBytes, s.received());
    assert.ok(s.office.log.has(/CoA for Home: applied rate-limit=4M\/256k/));
    t.diagnostic(`shaped: ${Math.round(m1.bps)} bit/s at 1M, ${Math.round(m2.bps)} bit/s at 256k`);
  });

  it('MPPE session (link path): the CoA rate-limit shapes there too', (t) => {
    const s = connected({ mppe: true });
    assert.equal(s.office.router.rows('ppp active')[0]!.values['encoding'], 'MPPE128 stateless');
    const m1 = measure(s, s.now, 2000);
    assert.ok(m1.bps > 900_000 && m1.bps < 1_300_000, `at 1M: ${m1.bps}`);
    assert.deepEqual(coa(s.office, m1.end, [attribute('User-Name', 'Home'), attribute('Mikrotik-Rate-Limit', '4M/256k')]), { code: RadiusCode.CoaAck });
    const m2 = measure(s, m1.end, 4000);
    assert.ok(m2.bps > 200_000 && m2.bps < 330_000, `at 256k: ${m2.bps}`);
    assert.equal(s.office.router.service.counters(s.key)!.txBytes, s.received(), 'every packet sent arrived decrypted, in order');
    t.diagnostic(`MPPE shaped: ${Math.round(m1.bps)} bit/s at 1M, ${Math.round(m2.bps)} bit/s at 256k`);
  });

  it('Session-Timeout, Idle-Timeout, Acct-Interim-Interval, Mikrotik-Address-List in one CoA (ACK), then the session ends on the new timeout', () => {
    const s = connected();
    assert.deepEqual(s.office.router.addressListEntries(), [{ list: 'customers', address: '172.16.1.2', comment: 'Home' }]);
    const sessionId = s.office.router.aaa.acctSessionId(s.key)!;
    const r = coa(s.office, s.now, [
      attribute('Acct-Session-Id', sessionId),
      attribute('Session-Timeout', 5),
      attribute('Idle-Timeout', 600),
      attribute('Acct-Interim-Interval', 60),
      attribute('Mikrotik-Address-List', 'throttled,customers'),
    ]);
    assert.deepEqual(r, { code: RadiusCode.CoaAck });
    const p = s.office.router.aaa.params(s.key)!;
    assert.equal(p.sessionTimeoutMs, 5000);
    assert.equal(p.idleTimeoutMs, 600_000);
    assert.equal(p.interimUpdateMs, 60_000);
    assert.deepEqual(
      [...s.office.router.addressListEntries()].sort((a, b) => a.list.localeCompare(b.list)),
      [
        { list: 'customers', address: '172.16.1.2', comment: 'Home' },
        { list: 'throttled', address: '172.16.1.2', comment: 'Home' },
      ],
    );
    const end = runNetwork(s.net, [s.office, s.home], { start: s.now, timeLimit: s.now + 20_000, until: () => s.office.router.rows('ppp active').length === 0 });
    assert.equal(end.reason, 'until');
    assert.ok(end.now - s.now >= 5000 && end.now - s.now < 6000, `ended after ${end.now - s.now} ms`);
    assert.ok(s.office.log.has(/Home: session timeout/));
    assert.deepEqual(s.office.router.addressListEntries(), []);
  });

  it('refusals: unsupported attribute 401, no session 503, invalid rate-limit 407, and nothing changes', () => {
    const s = connected();
    assert.deepEqual(coa(s.office, s.now, [attribute('User-Name', 'Home'), attribute('Mikrotik-Rate-Limit', '64k/64k'), attribute('Filter-Id', 'x')]), {
      code: RadiusCode.CoaNak,
      errorCause: 401,
    });
    assert.deepEqual(coa(s.office, s.now, [attribute('User-Name', 'Nobody'), attribute('Session-Timeout', 1)]), { code: RadiusCode.CoaNak, errorCause: 503 });
    assert.deepEqual(coa(s.office, s.now, [attribute('Framed-IP-Address', '172.16.1.2'), attribute('Mikrotik-Rate-Limit', '64q')]), { code: RadiusCode.CoaNak, errorCause: 407 });
    assert.equal(s.office.router.rows('queue simple')[0]!.values['max-limit'], '1M/1M');
    assert.equal(s.office.router.aaa.params(s.key)!.rateLimitText, '1M/1M');
    // Bad authenticator: dropped, counted, no reply.
    const forged = dynamicRequest(RadiusCode.CoaRequest, 99, [attribute('User-Name', 'Home'), attribute('Session-Timeout', 1)], 'wrong');
    s.office.router.handleDatagram(s.now, RADIUS, forged, COA_SOCKET);
    s.office.pollTransmit();
    assert.equal(s.office.coaReplies.length, 0);
    assert.equal(s.office.router.rows('ppp active').length, 1);
  });
});
