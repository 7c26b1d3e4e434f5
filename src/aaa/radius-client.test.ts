import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { fromHex, hex, utf8 } from '../core/bytes.js';
import { MemoryLogger } from '../core/log.js';
import { SeededRandom } from '../core/random.js';
import type { Instant } from '../core/time.js';
import { chapMd5Response } from '../crypto/chap.js';
import { hashNtPasswordHash, ntChallengeResponse, ntPasswordHash, lmChallengeResponse } from '../crypto/mschap.js';
import { signResponseAuthenticator } from '../crypto/radius-crypto.js';
import type { AuthCheck } from '../auth/types.js';
import { ConfigStore } from '../config/store.js';
import { RadiusTwin } from '../testing/radius-twin.js';
import { RadiusCode } from '../wire/radius/dictionary.js';
import { attribute, decodePacket, encodePacket, getInteger, getOctets, getText } from '../wire/radius/packet.js';
import {
  RadiusClient,
  serversFromConfig,
  type RadiusClientEvent,
  type RadiusDatagram,
  type RadiusServer,
  type RadiusSessionInfo,
} from './radius-client.js';

const SECRET = 'testing123';
const S1: RadiusServer = { address: '10.0.0.1', secret: SECRET, authenticationPort: 1812, accountingPort: 1813, timeoutMs: 300 };
const S2: RadiusServer = { address: '10.0.0.2', secret: SECRET, authenticationPort: 1812, accountingPort: 1813, timeoutMs: 300 };
const SESSION: RadiusSessionInfo = { acctSessionId: '81000001', nasPort: 7, callingStationId: '192.0.2.10', calledStationId: '192.0.2.1' };

// RFC 2759 section 9.2 vector.
const V2 = {
  user: 'User',
  password: 'clientPass',
  authenticatorChallenge: fromHex('5B5D7C7D7B3F2F3E3C2C602132262628'),
  peerChallenge: fromHex('21402324255E262A28295F2B3A337C7E'),
  ntResponse: fromHex('82309ECD8D708B5EA08FAA3981CD83544233114A3D85D6DF'),
  authenticatorResponse: 'S=407A5589115FD0D6209F510FE9C04566932CDA56',
};

interface Harness {
  client: RadiusClient;
  twins: Map<string, RadiusTwin>;
  events: RadiusClientEvent[];
  sent: RadiusDatagram[];
  now: Instant;
  logger: MemoryLogger;
}

function harness(servers: RadiusServer[] = [S1, S2], opts: { signReplies?: boolean; requireMa?: boolean } = {}): Harness {
  const logger = new MemoryLogger();
  const client = new RadiusClient({
    random: new SeededRandom(7),
    nas: { nasIpAddress: '192.0.2.1', nasIdentifier: 'MikroTik' },
    servers,
    logger,
    ...(opts.requireMa !== undefined ? { requireMessageAuthenticator: opts.requireMa } : {}),
  });
  const users = {
    alice: { password: 'wonderland', reply: [attribute('Framed-IP-Address', '10.5.0.9'), attribute('Framed-Route', '192.168.9.0/24'), attribute('Session-Timeout', 3600), attribute('Class', utf8('gold')), attribute('Mikrotik-Rate-Limit', '1M/2M'), attribute('Mikrotik-Address-List', 'vpn'), attribute('MS-Primary-DNS-Server', '10.5.0.1'), attribute('Acct-Interim-Interval', 60)] },
    [V2.user]: { password: V2.password },
  };
  const twins = new Map<string, RadiusTwin>();
  for (const s of servers) twins.set(s.address, new RadiusTwin({ secret: s.secret, users, ...(opts.signReplies !== undefined ? { signReplies: opts.signReplies } : {}) }));
  return { client, twins, events: [], sent: [], now: 0, logger };
}

/** Delivers every datagram to its twin and the replies back; advances time until idle (bounded). */
function run(h: Harness, untilMs = 60_000): void {
  for (let steps = 0; steps < 10_000; steps++) {
    let progressed = false;
    for (let d = h.client.pollTransmit(); d; d = h.client.pollTransmit()) {
      progressed = true;
      h.sent.push(d);
      const reply = h.twins.get(d.to.ip)?.handle(d.bytes);
      if (reply) h.client.handleDatagram(h.now, { ip: d.to.ip, port: d.to.port }, reply);
    }
    for (let e = h.client.pollEvent(); e; e = h.client.pollEvent()) h.events.push(e);
    if (progressed) continue;
    const t = h.client.nextTimeout();
    if (t === undefined || t > untilMs) return;
    h.now = Math.max(h.now, t);
    h.client.handleTimeout(h.now);
  }
  assert.fail('did not settle');
}

function accessEvent(h: Harness): Extract<RadiusClientEvent, { type: 'access' }> {
  const e = h.events.find((x) => x.type === 'access');
  assert.ok(e && e.type === 'access');
  return e;
}

test('PAP accept: request attributes as RouterOS sends them, reply authorisation attributes', () => {
  const h = harness();
  const token = h.client.authenticate(0, { method: 'pap', user: 'alice', password: 'wonderland' }, SESSION);
  run(h);
  const e = accessEvent(h);
  assert.equal(e.token, token);
  assert.ok(e.verdict.ok);
  assert.equal(e.server, '10.0.0.1');
  const a = e.authorization;
  assert.ok(a);
  assert.equal(a.framedIpAddress, '10.5.0.9');
  assert.deepEqual(a.framedRoutes, ['192.168.9.0/24']);
  assert.equal(a.sessionTimeout, 3600);
  assert.deepEqual(a.classes.map((c) => hex(c)), [hex(utf8('gold'))]);
  assert.equal(a.rateLimit, '1M/2M');
  assert.deepEqual(a.addressLists, ['vpn']);
  assert.equal(a.primaryDns, '10.5.0.1');
  assert.equal(a.acctInterimInterval, 60);
  const req = h.twins.get('10.0.0.1')!.accessRequests[0]!;
  assert.equal(req.attributes[0]?.type, 80, 'Message-Authenticator first');
  assert.equal(getText(req, 'User-Name'), 'alice');
  assert.equal(getText(req, 'NAS-Identifier'), 'MikroTik');
  assert.equal(getInteger(req, 'NAS-Port'), 7);
  assert.equal(getInteger(req, 'NAS-Port-Type'), 5);
  assert.equal(getInteger(req, 'Service-Type'), 2);
  assert.equal(getInteger(req, 'Framed-Protocol'), 1);
  assert.equal(getText(req, 'Calling-Station-Id'), '192.0.2.10');
  assert.equal(getText(req, 'Called-Station-Id'), '192.0.2.1');
  assert.equal(getText(req, 'Acct-Session-Id'), '81000001');
  assert.equal(h.client.counters().accepts, 1);
  assert.equal(h.client.counters().pending, 0);
});

test('PAP reject carries the Reply-Message; wrong user too', () => {
  const h = harness();
  h.client.authenticate(0, { method: 'pap', user: 'alice', password: 'nope' }, SESSION);
  h.client.authenticate(0, { method: 'pap', user: 'mallory', password: 'x' }, SESSION);
  run(h);
  const verdicts = h.events.map((e) => (e.type === 'access' ? e.verdict : undefined));
  assert.equal(verdicts.length, 2);
  for (const v of verdicts) {
    assert.ok(v && !v.ok);
    assert.equal(v.message, 'invalid user name or password');
  }
  assert.equal(h.client.counters().rejects, 2);
});

test('CHAP: CHAP-Password is Identifier + Response, CHAP-Challenge carried', () => {
  const h = harness();
  const challenge = fromHex('00112233445566778899aabbccddeeff0011');
  const check: AuthCheck = { method: 'chap', user: 'alice', id: 0x42, challenge, response: chapMd5Response(0x42, utf8('wonderland'), challenge) };
  h.client.authenticate(0, check, SESSION);
  run(h);
  assert.ok(accessEvent(h).verdict.ok);
  const req = h.twins.get('10.0.0.1')!.accessRequests[0]!;
  assert.equal(getOctets(req, 'CHAP-Password')?.[0], 0x42);
  assert.equal(hex(getOctets(req, 'CHAP-Challenge')!), hex(challenge));
});

test('MS-CHAPv1: MS-CHAP-Response layout, MS-CHAP-MPPE-Keys NT-Key back as MPPE inputs', () => {
  const h = harness();
  const challenge = fromHex('102DB5DF085D3041');
  const check: AuthCheck = {
    method: 'mschap1',
    user: 'alice',
    challenge,
    ntResponse: ntChallengeResponse(challenge, 'wonderland'),
    lmResponse: lmChallengeResponse(challenge, 'wonderland'),
    useNt: true,
  };
  h.client.authenticate(0, check, SESSION);
  run(h);
  const v = accessEvent(h).verdict;
  assert.ok(v.ok);
  assert.ok(v.mppe && 'masterKeyInputs' in v.mppe);
  assert.equal(hex(v.mppe.masterKeyInputs.passwordHashHash), hex(hashNtPasswordHash(ntPasswordHash('wonderland'))));
  const req = h.twins.get('10.0.0.1')!.accessRequests[0]!;
  const resp = getOctets(req, 'MS-CHAP-Response')!;
  assert.equal(resp.length, 50);
  assert.equal(resp[1], 1, 'Flags: use NT-Response');
  assert.equal(hex(resp.subarray(26)), hex(check.ntResponse));
});

test('MS-CHAPv2 (RFC 2759 9.2 vector): S= from MS-CHAP2-Success, MPPE keys decrypt to the RFC 3079 3.5.3 key', () => {
  const h = harness();
  h.client.authenticate(
    0,
    { method: 'mschap2', user: V2.user, authenticatorChallenge: V2.authenticatorChallenge, peerChallenge: V2.peerChallenge, ntResponse: V2.ntResponse, flags: 0 },
    SESSION,
  );
  run(h);
  const v = accessEvent(h).verdict;
  assert.ok(v.ok);
  assert.equal(v.authenticatorResponse, V2.authenticatorResponse);
  assert.ok(v.mppe && 'sendKey' in v.mppe);
  // RFC 3079 3.5.3: the server's 128-bit SendStartKey.
  assert.equal(hex(v.mppe.sendKey).toUpperCase(), '8B7CDC149B993A1BA118CB153F56DCCB');
  assert.equal(v.mppe.recvKey.length, 16);
  const req = h.twins.get('10.0.0.1')!.accessRequests[0]!;
  const r = getOctets(req, 'MS-CHAP2-Response')!;
  assert.equal(hex(r.subarray(2, 18)), hex(V2.peerChallenge));
  assert.equal(hex(r.subarray(18, 26)), '0000000000000000');
  assert.equal(hex(r.subarray(26)), hex(V2.ntResponse));
  // Wrong password: MS-CHAP-Error text reaches the verdict.
  const h2 = harness();
  h2.client.authenticate(0, { method: 'mschap2', user: V2.user, authenticatorChallenge: V2.authenticatorChallenge, peerChallenge: V2.peerChallenge, ntResponse: new Uint8Array(24), flags: 0 }, SESSION);
  run(h2);
  const bad = accessEvent(h2).verdict;
  assert.ok(!bad.ok);
  assert.equal(bad.message, 'E=691 R=0');
});

test('timeout, retransmission with the same bytes, failover to the second server', () => {
  const h = harness();
  h.twins.get('10.0.0.1')!.down = true;
  h.client.authenticate(0, { method: 'pap', user: 'alice', password: 'wonderland' }, SESSION);
  run(h);
  const e = accessEvent(h);
  assert.ok(e.verdict.ok);
  assert.equal(e.server, '10.0.0.2');
  const toFirst = h.sent.filter((d) => d.to.ip === '10.0.0.1');
  assert.equal(toFirst.length, 3, 'three tries at the first server');
  assert.ok(toFirst.every((d) => hex(d.bytes) === hex(toFirst[0]!.bytes)), 'retransmissions are identical');
  assert.equal(h.now, 900, 'failover after 3 x 300 ms');
  const c = h.client.counters();
  assert.equal(c.resends, 2);
  assert.equal(c.accepts, 1);
});

test('all servers down: one timeout verdict with retry, counted', () => {
  const h = harness();
  for (const t of h.twins.values()) t.down = true;
  h.client.authenticate(0, { method: 'pap', user: 'alice', password: 'wonderland' }, SESSION);
  run(h);
  const e = accessEvent(h);
  assert.ok(!e.verdict.ok);
  assert.equal(e.timedOut, true);
  assert.equal(e.verdict.retry, true);
  assert.equal(h.sent.length, 6);
  assert.equal(h.client.counters().timeouts, 1);
  assert.equal(h.client.nextTimeout(), undefined);
  // No servers configured at all: an immediate timeout verdict.
  const none = harness([]);
  none.client.authenticate(0, { method: 'pap', user: 'alice', password: 'x' }, SESSION);
  run(none);
  assert.equal(accessEvent(none).timedOut, true);
});

test('spoofed, malformed, truncated, wrong-id and wrong-secret replies are dropped and counted, never accepted', () => {
  const h = harness([S1]);
  h.client.authenticate(0, { method: 'pap', user: 'alice', password: 'wonderland' }, SESSION);
  const d = h.client.pollTransmit()!;
  const from = { ip: d.to.ip, port: d.to.port };
  const good = h.twins.get('10.0.0.1')!.handle(d.bytes)!;
  const req = decodePacket(d.bytes);
  assert.ok(req.ok);
  // An attacker without the secret forges an Access-Accept for the right id.
  const forged = encodePacket({ code: RadiusCode.AccessAccept, identifier: req.packet.identifier, authenticator: req.packet.authenticator, attributes: [] });
  signResponseAuthenticator(forged, utf8('guessed-secret'));
  const wrongId = good.slice();
  wrongId[1] = (wrongId[1]! + 1) & 0xff;
  const flipped = good.slice();
  flipped[flipped.length - 1]! ^= 0x01;
  const badMa = good.slice();
  badMa[22]! ^= 0xff; // inside the Message-Authenticator value, then re-sign the outer authenticator
  badMa.set(req.packet.authenticator, 4);
  signResponseAuthenticator(badMa, utf8(SECRET));
  const asRequest = d.bytes; // an Access-Request reflected back
  for (const bytes of [forged, wrongId, flipped, badMa, asRequest, good.subarray(0, 19), good.subarray(0, good.length - 1), new Uint8Array(0)]) {
    h.client.handleDatagram(1, from, bytes);
  }
  // The right reply from the wrong source port is not accepted either.
  h.client.handleDatagram(1, { ip: from.ip, port: 9999 }, good);
  assert.equal(h.client.pollEvent(), undefined);
  assert.equal(h.client.counters().badReplies, 9);
  h.client.handleDatagram(2, from, good);
  const e = h.client.pollEvent();
  assert.ok(e && e.type === 'access' && e.verdict.ok);
  // A duplicate of the good reply, after completion, is dropped.
  h.client.handleDatagram(3, from, good);
  assert.equal(h.client.pollEvent(), undefined);
  assert.equal(h.client.counters().badReplies, 10);
  assert.ok(h.logger.has(/dropped reply/));
});

test('Message-Authenticator required: an unsigned reply is dropped; accepted when not required', () => {
  const strict = harness([S1], { signReplies: false, requireMa: true });
  strict.client.authenticate(0, { method: 'pap', user: 'alice', password: 'wonderland' }, SESSION);
  run(strict);
  assert.equal(accessEvent(strict).timedOut, true);
  assert.equal(strict.client.counters().badReplies, 3);
  const lax = harness([S1], { signReplies: false });
  lax.client.authenticate(0, { method: 'pap', user: 'alice', password: 'wonderland' }, SESSION);
  run(lax);
  assert.ok(accessEvent(lax).verdict.ok);
});

test('identifiers: 256 outstanding per server, the 257th waits for a free one', () => {
  const h = harness([S1]);
  for (let i = 0; i < 300; i++) h.client.authenticate(0, { method: 'pap', user: 'alice', password: 'wonderland' }, SESSION);
  const first: RadiusDatagram[] = [];
  for (let d = h.client.pollTransmit(); d; d = h.client.pollTransmit()) first.push(d);
  assert.equal(first.length, 256);
  assert.equal(new Set(first.map((d) => d.bytes[1])).size, 256);
  assert.equal(h.client.counters().pending, 300);
  const reply = h.twins.get('10.0.0.1')!.handle(first[0]!.bytes)!;
  h.client.handleDatagram(1, { ip: '10.0.0.1', port: 1812 }, reply);
  const next = h.client.pollTransmit();
  assert.ok(next, 'a waiting request takes the freed identifier');
  assert.equal(next.bytes[1], first[0]!.bytes[1]);
  run(h);
  assert.equal(h.events.filter((e) => e.type === 'access' && e.verdict.ok).length, 300);
});

test('identifiers: requests waiting for one still end when the server never answers', () => {
  const h = harness([S1]);
  h.twins.get('10.0.0.1')!.down = true;
  for (let i = 0; i < 300; i++) h.client.authenticate(0, { method: 'pap', user: 'alice', password: 'wonderland' }, SESSION);
  run(h);
  const ends = h.events.filter((e) => e.type === 'access' && e.timedOut);
  assert.equal(ends.length, 300);
  assert.equal(h.client.counters().pending, 0);
});

test('accounting transport: Acct-Delay-Time from createdAt, delivered event; cancelled request ignores its reply', () => {
  const h = harness([S1]);
  const token = h.client.sendAccounting(5000, [attribute('Acct-Status-Type', 'Start'), attribute('Acct-Session-Id', 'x1')], 2000);
  run(h);
  const e = h.events[0];
  assert.ok(e && e.type === 'accounting' && e.delivered && e.token === token);
  const rec = h.twins.get('10.0.0.1')!.accountingRecords[0]!;
  assert.equal(getInteger(rec, 'Acct-Delay-Time'), 3);
  assert.equal(h.sent[0]!.to.port, 1813);
  const t2 = h.client.sendAccounting(6000, [attribute('Acct-Status-Type', 'Stop')]);
  const d = h.client.pollTransmit()!;
  h.client.cancel(t2);
  h.client.handleDatagram(6001, d.to, h.twins.get('10.0.0.1')!.handle(d.bytes)!);
  assert.equal(h.client.pollEvent(), undefined);
  assert.equal(h.client.counters().pending, 0);
});

test('serversFromConfig reads enabled /radius entries with service=ppp', () => {
  const store = new ConfigStore();
  store.add('radius', { address: '10.0.0.1', secret: 's1', service: 'ppp', timeout: '1s' });
  store.add('radius', { address: '10.0.0.2', secret: 's2', service: 'login' });
  store.add('radius', { address: '10.0.0.3', secret: 's3', service: 'ppp,login', disabled: 'yes' });
  store.add('radius', { address: '10.0.0.4', secret: 's4', service: 'ppp', 'authentication-port': '11812' });
  const s = serversFromConfig(store);
  assert.deepEqual(s.map((x) => [x.address, x.secret, x.authenticationPort, x.accountingPort, x.timeoutMs]), [
    ['10.0.0.1', 's1', 1812, 1813, 1000],
    ['10.0.0.4', 's4', 11812, 1813, 100],
  ]);
});

test('property: handleDatagram never throws and never produces an event for random octets', () => {
  const h = harness([S1]);
  h.client.authenticate(0, { method: 'pap', user: 'alice', password: 'wonderland' }, SESSION);
  const d = h.client.pollTransmit()!;
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, keepHeader) => {
      const b = bytes.slice();
      if (keepHeader && b.length >= 20) {
        b[0] = RadiusCode.AccessAccept;
        b[1] = d.bytes[1]!;
        b[2] = b.length >> 8;
        b[3] = b.length & 0xff;
      }
      h.client.handleDatagram(1, d.to, b);
      assert.equal(h.client.pollEvent(), undefined);
    }),
    { numRuns: 2000 },
  );
});
