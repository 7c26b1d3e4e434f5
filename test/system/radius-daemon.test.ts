/**
 * Our server authenticating our client's logins with a real FreeRADIUS (LAB.md), everything in
 * network namespaces made here: the office namespace runs FreeRADIUS on its own 127.0.0.1 and
 * our daemon as L2TP server with `/ppp aaa use-radius=yes`; the home namespace runs our daemon
 * as client. Proves: PAP, CHAP, MS-CHAPv1 and MS-CHAPv2 logins through RADIUS (R flag in
 * /ppp active); the RADIUS-assigned Framed-IP-Address and Framed-Route on the session;
 * Accounting Start and Stop with the traffic's octets in FreeRADIUS's detail file; a
 * Disconnect-Request from radclient ends the session; a CoA-Request from radclient with
 * Mikrotik-Rate-Limit and Session-Timeout shapes the session's traffic (iperf3 before and after)
 * and ends it on the new timeout, and one with an unsupported attribute is NAKed with
 * Error-Cause Unsupported-Attribute; with FreeRADIUS stopped a login fails
 * cleanly and the accounting Stop of a session that ended meanwhile is delivered once it is back.
 */
import assert from 'node:assert/strict';
import { systemTest, type Lab } from './lab/lab.js';
import { startDaemon, waitFor } from './lab/daemon.js';
import type { Netns } from './lab/netns.js';
import { setupFreeRadius, RADIUS_SECRET } from './lab/freeradius.js';

const RADIUS_PORT = 1812;

const USERS = `alice Cleartext-Password := "wonderland"
\tFramed-IP-Address = 10.5.0.9,
\tFramed-Route = "192.168.9.0/24",
\tClass = "gold"

`;

async function daemon(lab: Lab, ns: Netns): Promise<(line: string) => Promise<string>> {
  const d = await startDaemon(lab, ns, []);
  return async (line) => (await d.command(line)).join('\n');
}

systemTest('RADIUS through our server: every method, Framed-IP/Route, accounting, Disconnect-Request, outage, CoA', async (lab, t) => {
  const office = await lab.netns('rdo');
  const home = await lab.netns('rdh');
  await lab.veth(office, home, { aAddr: '192.168.84.1/24', bAddr: '192.168.84.50/24' });
  const radius = await setupFreeRadius(lab, { users: USERS, ns: office, port: RADIUS_PORT });
  await radius.start();

  const server = await daemon(lab, office);
  for (const line of [
    '/interface l2tp-server server set enabled=yes authentication=pap,chap,mschap1,mschap2',
    '/ppp profile set default-encryption local-address=10.5.0.1',
    '/ppp aaa set use-radius=yes accounting=yes',
    `/radius add address=127.0.0.1 secret=${RADIUS_SECRET} service=ppp authentication-port=${RADIUS_PORT} accounting-port=${RADIUS_PORT + 1} timeout=1s`,
    '/radius incoming set accept=yes',
  ])
    await server(line);
  const client = await daemon(lab, home);
  const connected = async (): Promise<boolean> => /status: connected/.test(await client('/interface l2tp-client monitor 0 once'));

  await client('/interface l2tp-client add name=l2tp-out1 connect-to=192.168.84.1 user=alice password=wonderland allow=pap disabled=yes');
  for (const method of ['pap', 'chap', 'mschap1', 'mschap2']) {
    await client(`/interface l2tp-client set 0 allow=${method} disabled=no`);
    await waitFor(`${method} login through RADIUS`, 20_000, connected);
    const active = await server('/ppp active print detail');
    assert.match(active, /name="alice"/);
    assert.match(active, /address=10\.5\.0\.9/, 'Framed-IP-Address');
    assert.match(active, /^\s*\d+\s+R\b/m, 'R flag: authenticated by RADIUS');
    assert.match((await office.exec(['ip', 'route'])).stdout, /192\.168\.9\.0\/24 .*dev l2tp-alice/, 'Framed-Route installed');
    await client('/interface l2tp-client set 0 disabled=yes');
    await waitFor('session gone', 10_000, async () => !/alice/.test(await server('/ppp active print')));
  }

  // Accounting with traffic.
  const stops = async (): Promise<number> => (await radius.detail()).match(/Acct-Status-Type = Stop/g)?.length ?? 0;
  await client('/interface l2tp-client set 0 disabled=no');
  await waitFor('login', 20_000, connected);
  const sessionId = /session-id="?0x([0-9A-F]+)/.exec(await server('/ppp active print detail'))?.[1];
  assert.ok(sessionId, 'session-id shown in /ppp active');
  const ping = await home.exec(['ping', '-c', '20', '-i', '0.05', '-s', '1000', '10.5.0.1'], { check: false, timeoutMs: 20_000 });
  assert.equal(ping.code, 0, ping.stdout);
  await client('/interface l2tp-client set 0 disabled=yes');
  // The detail file: one block per record, separated by a blank line.
  const stopOf = async (): Promise<string | undefined> =>
    (await radius.detail()).split(/\n\n+/).find((b) => b.includes(`Acct-Session-Id = "${sessionId}"`) && b.includes('Acct-Status-Type = Stop'));
  await waitFor('accounting Stop of the session in the detail file', 15_000, async () => (await stopOf()) !== undefined);
  const stop = (await stopOf())!;
  const inOctets = Number(/Acct-Input-Octets = (\d+)/.exec(stop)?.[1] ?? 0);
  assert.ok(inOctets >= 20 * 1000, `input octets of the session: ${stop}`);
  assert.match(stop, /Class = 0x676f6c64/, 'Class echoed');
  assert.match(await radius.detail(), new RegExp(`Acct-Session-Id = "${sessionId}"[\\s\\S]*?Acct-Status-Type = Start|Acct-Status-Type = Start[\\s\\S]*?Acct-Session-Id = "${sessionId}"`));

  // Disconnect-Request from radclient.
  await client('/interface l2tp-client set 0 disabled=no');
  await waitFor('login', 20_000, connected);
  const dr = await office.exec(['sh', '-c', `echo 'User-Name = "alice"' | radclient -x -r 1 -t 3 127.0.0.1:1700 disconnect ${RADIUS_SECRET}`], { check: false, timeoutMs: 15_000 });
  assert.match(dr.stdout, /Disconnect-ACK/, dr.stdout + dr.stderr);
  await waitFor('session ended by Disconnect-Request', 10_000, async () => !/alice/.test(await server('/ppp active print')));
  await client('/interface l2tp-client set 0 disabled=yes');

  // CoA-Request from radclient (RFC 5176): a new rate-limit and session-timeout on the live
  // session. Without MPPE, so the fast path (where the rate-limit lives) carries the data.
  await server('/ppp profile set default-encryption use-encryption=no');
  await client('/interface l2tp-client set 0 profile=default disabled=no');
  await waitFor('login without MPPE', 20_000, connected);
  const iperfServer = home.spawn(['iperf3', '-s', '-B', '10.5.0.9'], { name: 'iperf3-s' });
  lab.defer('iperf3 server', async () => {
    await iperfServer.stop('SIGTERM', 3_000);
  });
  await new Promise((r) => setTimeout(r, 500));
  /** TCP from the office to the client for 3 s: the router's tx, the shaped direction. */
  const throughput = async (): Promise<number> => {
    const r = await office.exec(['iperf3', '-c', '10.5.0.9', '-t', '3', '-J', '--connect-timeout', '5000'], { check: false, timeoutMs: 20_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout) as { end: { sum_received: { bits_per_second: number } } };
    return report.end.sum_received.bits_per_second;
  };
  const before = await throughput();
  const coa = async (attrs: string): Promise<string> => {
    const r = await office.exec(['sh', '-c', `printf '${attrs}' | radclient -x -r 1 -t 3 127.0.0.1:1700 coa ${RADIUS_SECRET}`], { check: false, timeoutMs: 15_000 });
    return r.stdout + r.stderr;
  };
  const nak = await coa('User-Name = "alice"\\nFilter-Id = "web-only"\\n');
  assert.match(nak, /CoA-NAK/, nak);
  assert.match(nak, /Error-Cause = Unsupported-Attribute/, nak);
  const coaSentAt = Date.now();
  const ack = await coa('User-Name = "alice"\\nMikrotik-Rate-Limit = "8M/2M"\\nSession-Timeout = 15\\n');
  assert.match(ack, /CoA-ACK/, ack);
  assert.match(await server('/log print'), /CoA for alice: applied session-timeout=15 rate-limit=8M\/2M/);
  const after = await throughput();
  t.diagnostic(`iperf3 office -> client: ${Math.round(before / 1e6)} Mbit/s unlimited, ${(after / 1e6).toFixed(2)} Mbit/s after the CoA (tx 2M)`);
  // 2 Mbit/s of IP on the router's tx (TCP goodput a little below it); far from the unlimited run.
  assert.ok(after > 1_000_000 && after < 2_400_000, `shaped to 2M: ${after} bit/s (unlimited: ${before})`);
  assert.ok(before > 4 * after, `unlimited ${before} bit/s vs shaped ${after} bit/s`);
  // The new Session-Timeout ends the session about 15 s after the CoA, with that terminate cause.
  await waitFor('session ended by the CoA Session-Timeout', 25_000, async () => !/alice/.test(await server('/ppp active print')));
  const lasted = Date.now() - coaSentAt;
  assert.ok(lasted >= 14_000, `ended ${lasted} ms after the CoA`);
  await waitFor('accounting Stop with Session-Timeout', 15_000, async () => /Acct-Terminate-Cause = Session-Timeout/.test(await radius.detail()));
  await client('/interface l2tp-client set 0 disabled=yes');

  // Outage: a session is up, FreeRADIUS stops, the session ends (its Stop is queued), a new
  // login fails cleanly; FreeRADIUS comes back and the queued Stop is delivered.
  await client('/interface l2tp-client set 0 disabled=no');
  await waitFor('login', 20_000, connected);
  const stopsBefore = await stops();
  await radius.stop();
  await client('/interface l2tp-client set 0 disabled=yes');
  await waitFor('session gone', 10_000, async () => !/alice/.test(await server('/ppp active print')));
  await client('/interface l2tp-client set 0 disabled=no');
  await new Promise((r) => setTimeout(r, 8_000));
  assert.equal(await connected(), false, 'no login while RADIUS is down');
  assert.match(await server('/log print'), /alice authentication failed/);
  await client('/interface l2tp-client set 0 disabled=yes');
  await radius.start();
  await waitFor('queued accounting delivered after the outage', 30_000, async () => (await stops()) > stopsBefore);
}, { timeoutMs: 300_000 });
