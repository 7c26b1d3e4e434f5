/**
 * Our RADIUS client and accounting engines against a real FreeRADIUS 3.2 (LAB.md), over real UDP
 * on 127.0.0.1 only: FreeRADIUS runs from a private copy of /etc/freeradius/3.0 in a temp dir,
 * with one virtual server of our own listening on 127.0.0.1 at a free port (auth) and port+1
 * (accounting), proxying off, reject_delay 0, EAP removed (the Debian package ships no
 * certificates until first use).
 *
 * Proves: PAP, CHAP, MS-CHAPv1 and MS-CHAPv2 logins accepted with a cleartext password (the
 * MS-CHAPv2 "S=" equals RFC 2759's GenerateAuthenticatorResponse and the MS-MPPE-Send/Recv-Key
 * equal our RFC 3079 server start keys); reply attributes (Framed-IP-Address, Framed-Route,
 * Session-Timeout, Class, Mikrotik-Rate-Limit) reach the authorisation; a wrong password gives
 * MS-CHAP-Error E=691; the first /radius entry being dead fails over to the second; Accounting
 * Start, Interim-Update and Stop land in the detail file with octets, gigawords, Class echo and
 * terminate cause; with FreeRADIUS stopped the Stop record waits in the queue and is delivered
 * once FreeRADIUS is back.
 *
 * The engines are I/O-free; this file is their driver: one dgram socket, a timer at
 * min(nextTimeout), `performance.now()` as the clock.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { randomBytes as nodeRandomBytes, randomFillSync } from 'node:crypto';

import { systemTest } from './lab/lab.js';
import { freePortPair, setupFreeRadius } from './lab/freeradius.js';
import { sleep } from './lab/proc.js';
import type { Random } from '../../src/core/random.js';
import { chapMd5Response } from '../../src/crypto/chap.js';
import {
  generateAuthenticatorResponse,
  generateNtResponse,
  hashNtPasswordHash,
  lmChallengeResponse,
  ntChallengeResponse,
  ntPasswordHash,
} from '../../src/crypto/mschap.js';
import { mppeStartKeysV2 } from '../../src/crypto/mppe-keys.js';
import { utf8, hex } from '../../src/core/bytes.js';
import type { AuthCheck } from '../../src/auth/types.js';
import { RadiusClient, type RadiusClientEvent, type RadiusServer, type RadiusSessionInfo } from '../../src/aaa/radius-client.js';
import { Accounting, type AccountingSession, type TrafficCounters } from '../../src/aaa/accounting.js';

const SECRET = 'testing123';
const LOOPBACK = '127.0.0.1';

const nodeRandom: Random = { fill: (b) => randomFillSync(b) };

const USERS = `alice Cleartext-Password := "wonderland"
\tFramed-IP-Address = 10.5.0.9,
\tFramed-Route = "192.168.9.0/24",
\tSession-Timeout = 3600,
\tMikrotik-Rate-Limit = "1M/2M",
\tClass = "gold"

User Cleartext-Password := "clientPass"

`;

/** Drives the I/O-free engines over one UDP socket on 127.0.0.1. */
class Driver {
  readonly client: RadiusClient;
  accounting: Accounting | undefined;
  readonly counters = new Map<string, TrafficCounters>();
  private readonly sock = createSocket('udp4');
  private timer: NodeJS.Timeout | undefined;
  private readonly waiters = new Map<number, (e: RadiusClientEvent) => void>();
  private closed = false;

  constructor(servers: RadiusServer[]) {
    this.client = new RadiusClient({ random: nodeRandom, nas: { nasIpAddress: LOOPBACK, nasIdentifier: 'l2tp-test' }, servers });
    this.sock.on('message', (msg, rinfo) => {
      this.client.handleDatagram(performance.now(), { ip: rinfo.address, port: rinfo.port }, new Uint8Array(msg));
      this.pump();
    });
  }

  async open(): Promise<void> {
    await new Promise<void>((resolve) => this.sock.bind(0, LOOPBACK, () => resolve()));
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.sock.close();
  }

  authenticate(check: AuthCheck, session: RadiusSessionInfo): Promise<Extract<RadiusClientEvent, { type: 'access' }>> {
    const token = this.client.authenticate(performance.now(), check, session);
    const p = new Promise<RadiusClientEvent>((resolve) => this.waiters.set(token, resolve));
    this.pump();
    return p.then((e) => {
      assert.equal(e.type, 'access');
      return e as Extract<RadiusClientEvent, { type: 'access' }>;
    });
  }

  pump(): void {
    if (this.closed) return;
    const now = performance.now();
    for (let d = this.client.pollTransmit(); d; d = this.client.pollTransmit()) this.sock.send(d.bytes, d.to.port, d.to.ip);
    for (let e = this.client.pollEvent(); e; e = this.client.pollEvent()) {
      if (e.type === 'accounting') this.accounting?.handleTransportResult(now, e.token, e.delivered);
      const w = this.waiters.get(e.token);
      this.waiters.delete(e.token);
      w?.(e);
    }
    // Accounting may have queued more datagrams in the client.
    for (let d = this.client.pollTransmit(); d; d = this.client.pollTransmit()) this.sock.send(d.bytes, d.to.port, d.to.ip);
    if (this.timer) clearTimeout(this.timer);
    const next = [this.client.nextTimeout(), this.accounting?.nextTimeout()].filter((t): t is number => t !== undefined);
    if (next.length > 0) {
      this.timer = setTimeout(() => {
        const t = performance.now();
        this.client.handleTimeout(t);
        this.accounting?.handleTimeout(t);
        this.pump();
      }, Math.max(0, Math.min(...next) - now));
    }
  }
}

async function waitFor(what: string, probe: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const until = performance.now() + timeoutMs;
  while (performance.now() < until) {
    if (await probe()) return;
    await sleep(50);
  }
  assert.fail(`timed out waiting for ${what}`);
}

const session = (n: number): RadiusSessionInfo => ({ acctSessionId: `sys-${n}`, nasPort: n, callingStationId: '192.0.2.10', calledStationId: '192.0.2.1' });

systemTest(
  'RADIUS client and accounting against FreeRADIUS on 127.0.0.1: four auth methods, failover, accounting through an outage',
  async (lab) => {
    const fr = await setupFreeRadius(lab, { users: USERS });
    await fr.start();
    const deadPort = await freePortPair(); // nothing listens there: the first /radius entry is dead
    const server = (port: number): RadiusServer => ({ address: LOOPBACK, secret: SECRET, authenticationPort: port, accountingPort: port + 1, timeoutMs: 300 });
    const driver = new Driver([server(fr.port)]);
    await driver.open();
    lab.defer('driver socket', () => driver.close());

    // PAP with reply attributes.
    const pap = await driver.authenticate({ method: 'pap', user: 'alice', password: 'wonderland' }, session(1));
    assert.ok(pap.verdict.ok, JSON.stringify(pap.verdict));
    assert.equal(pap.authorization?.framedIpAddress, '10.5.0.9');
    assert.deepEqual(pap.authorization?.framedRoutes, ['192.168.9.0/24']);
    assert.equal(pap.authorization?.sessionTimeout, 3600);
    assert.equal(pap.authorization?.rateLimit, '1M/2M');
    assert.deepEqual(pap.authorization?.classes.map((c) => hex(c)), [hex(utf8('gold'))]);
    const papBad = await driver.authenticate({ method: 'pap', user: 'alice', password: 'nope' }, session(2));
    assert.equal(papBad.verdict.ok, false);

    // CHAP.
    const challenge = nodeRandomBytes(16);
    const chap = await driver.authenticate({ method: 'chap', user: 'alice', id: 9, challenge, response: chapMd5Response(9, utf8('wonderland'), challenge) }, session(3));
    assert.ok(chap.verdict.ok, JSON.stringify(chap.verdict));

    // MS-CHAPv1: NT-Key of MS-CHAP-MPPE-Keys is our PasswordHashHash.
    const c8 = nodeRandomBytes(8);
    const v1 = await driver.authenticate(
      { method: 'mschap1', user: 'alice', challenge: c8, ntResponse: ntChallengeResponse(c8, 'wonderland'), lmResponse: lmChallengeResponse(c8, 'wonderland'), useNt: true },
      session(4),
    );
    assert.ok(v1.verdict.ok, JSON.stringify(v1.verdict));
    assert.ok(v1.verdict.ok && v1.verdict.mppe && 'masterKeyInputs' in v1.verdict.mppe, 'MS-CHAP-MPPE-Keys present');
    assert.equal(hex(v1.verdict.mppe.masterKeyInputs.passwordHashHash), hex(hashNtPasswordHash(ntPasswordHash('wonderland'))));

    // MS-CHAPv2: S= and MPPE keys as RFC 2759 / RFC 3079 compute them.
    const ac = nodeRandomBytes(16);
    const pc = nodeRandomBytes(16);
    const nt = generateNtResponse(ac, pc, 'User', 'clientPass');
    const v2 = await driver.authenticate({ method: 'mschap2', user: 'User', authenticatorChallenge: ac, peerChallenge: pc, ntResponse: nt, flags: 0 }, session(5));
    assert.ok(v2.verdict.ok, JSON.stringify(v2.verdict));
    assert.equal(v2.verdict.authenticatorResponse, generateAuthenticatorResponse('clientPass', nt, pc, ac, 'User'));
    const keys = mppeStartKeysV2(hashNtPasswordHash(ntPasswordHash('clientPass')), nt, 128, true);
    assert.ok(v2.verdict.mppe && 'sendKey' in v2.verdict.mppe, 'MS-MPPE-Send/Recv-Key present');
    assert.equal(hex(v2.verdict.mppe.sendKey), hex(keys.sendStartKey), 'MS-MPPE-Send-Key = server send start key');
    assert.equal(hex(v2.verdict.mppe.recvKey), hex(keys.receiveStartKey), 'MS-MPPE-Recv-Key = server receive start key');
    const v2Bad = await driver.authenticate({ method: 'mschap2', user: 'User', authenticatorChallenge: ac, peerChallenge: pc, ntResponse: new Uint8Array(24), flags: 0 }, session(6));
    assert.ok(!v2Bad.verdict.ok);
    assert.match(v2Bad.verdict.message, /E=691/);
    assert.equal(driver.client.counters().badReplies, 0);

    // Failover: the first server is dead, the second (FreeRADIUS) answers.
    driver.client.setServers([server(deadPort), server(fr.port)]);
    const t0 = performance.now();
    const fo = await driver.authenticate({ method: 'pap', user: 'alice', password: 'wonderland' }, session(7));
    assert.ok(fo.verdict.ok);
    assert.ok(performance.now() - t0 >= 850, 'three tries of 300 ms at the dead server first');
    assert.ok(driver.client.counters().resends >= 2);
    driver.client.setServers([server(fr.port)]);

    // Accounting: Start, Interim-Update, Stop.
    driver.accounting = new Accounting({
      transport: driver.client,
      nasIdentifier: 'l2tp-test',
      nasIpAddress: LOOPBACK,
      readCounters: (id) => driver.counters.get(id),
      retryDelayMs: 500,
      maxRetryDelayMs: 1000,
    });
    const acctSession = (id: string, interimUpdateMs: number): AccountingSession => ({
      acctSessionId: id,
      user: 'alice',
      nasPort: 1,
      callingStationId: '192.0.2.10',
      framedIpAddress: '10.5.0.9',
      classes: [utf8('gold')],
      authentic: 'RADIUS',
      interimUpdateMs,
    });
    driver.counters.set('acct-1', { inputOctets: 1234, outputOctets: 5678, inputPackets: 10, outputPackets: 20 });
    driver.accounting.start(performance.now(), acctSession('acct-1', 1000));
    driver.pump();
    await waitFor('Interim-Update in the detail file', async () => /Acct-Status-Type = Interim-Update/.test(await fr.detail()), 10_000);
    driver.accounting.stop(performance.now(), 'acct-1', { inputOctets: 2 ** 32 + 100, outputOctets: 5678, inputPackets: 11, outputPackets: 21 }, 'admin-reset');
    driver.pump();
    await waitFor('Stop in the detail file', async () => /Acct-Status-Type = Stop/.test(await fr.detail()), 10_000);
    const detail = await fr.detail();
    assert.match(detail, /Acct-Status-Type = Start/);
    assert.match(detail, /Acct-Session-Id = "acct-1"/);
    assert.match(detail, /Acct-Input-Octets = 1234/);
    assert.match(detail, /Acct-Input-Octets = 100\b/);
    assert.match(detail, /Acct-Input-Gigawords = 1\b/);
    assert.match(detail, /Acct-Terminate-Cause = Admin-Reset/);
    assert.match(detail, /Class = 0x676f6c64/);
    assert.match(detail, /NAS-Port-Type = Virtual/);

    // Outage: FreeRADIUS stops; a Start and a Stop wait in the queue; delivered once it is back.
    await fr.stop();
    driver.accounting.start(performance.now(), acctSession('acct-2', 0));
    driver.accounting.stop(performance.now() + 1, 'acct-2', { inputOctets: 42, outputOctets: 43, inputPackets: 1, outputPackets: 1 }, 'lost-carrier');
    driver.pump();
    await waitFor('a failed delivery', () => driver.accounting!.counters().failures > 0, 10_000);
    assert.ok(driver.accounting.counters().queued >= 1);
    await fr.start();
    await waitFor('queue drained after the restart', () => driver.accounting!.counters().queued === 0, 15_000);
    await waitFor('acct-2 Stop in the detail file', async () => /Acct-Session-Id = "acct-2"[\s\S]*Acct-Terminate-Cause = Lost-Carrier|Acct-Terminate-Cause = Lost-Carrier[\s\S]*Acct-Session-Id = "acct-2"/.test(await fr.detail()), 5_000);
    assert.match(await fr.detail(), /Acct-Delay-Time = [1-9]/, 'a delayed record says so');
  },
  { needs: ['freeradius'], timeoutMs: 90_000 },
);
