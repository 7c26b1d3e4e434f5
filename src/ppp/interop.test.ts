/**
 * Scripted conversations (smoltcp send!/recv! style) replaying what real peers send, from
 * INTEROP.md and the SoftEther captures in /work/shared/captures (bytes quoted in comments).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHex, hex, utf8, concat } from '../core/bytes.js';
import { MemoryLogger } from '../core/log.js';
import { SeededRandom } from '../core/random.js';
import { ControlCode, PppProtocol, decodeControl, decodeFrame, decodeOptions, encodeControl, encodeFrame } from '../wire/ppp/frame.js';
import { PppLink, type PppEvent, type PppLinkConfig } from './link.js';

interface Sent {
  protocol: number;
  code: number;
  id: number;
  data: string;
  options: Array<[number, string]>;
}

function drain(link: PppLink): Sent[] {
  const out: Sent[] = [];
  for (let f = link.pollTransmit(); f; f = link.pollTransmit()) {
    assert.equal(hex(f.subarray(0, 2)), 'ff03', 'we always send FF 03');
    const fr = decodeFrame(f);
    assert.ok(fr.ok);
    const c = decodeControl(fr.value.information);
    if (!c.ok) {
      out.push({ protocol: fr.value.protocol, code: -1, id: -1, data: hex(fr.value.information), options: [] });
      continue;
    }
    const o = decodeOptions(c.value.data);
    out.push({
      protocol: fr.value.protocol,
      code: c.value.code,
      id: c.value.id,
      data: hex(c.value.data),
      options: o.ok ? o.value.map((x) => [x.type, hex(x.data)] as [number, string]) : [],
    });
  }
  return out;
}

function events(link: PppLink): PppEvent[] {
  const out: PppEvent[] = [];
  for (let e = link.pollEvent(); e; e = link.pollEvent()) out.push(e);
  return out;
}

function frame(protocol: number, code: number, id: number, dataHex: string): Uint8Array {
  return encodeFrame(protocol, encodeControl({ code, id, data: fromHex(dataHex) }));
}
const lcp = (code: number, id: number, d: string) => frame(PppProtocol.LCP, code, id, d);
const ipcp = (code: number, id: number, d: string) => frame(PppProtocol.IPCP, code, id, d);

function server(over: Partial<PppLinkConfig> = {}) {
  const log = new MemoryLogger();
  const link = new PppLink(
    {
      role: 'server',
      mru: 1450,
      mtu: 1450,
      authentication: ['pap'],
      keepaliveTimeoutS: undefined,
      usePeerDns: false,
      ipv6: false,
      multilink: false,
      ...over,
    },
    { random: new SeededRandom(3), logger: log },
  );
  return { link, log };
}

/** Brings a server link to LCP Opened with a peer ConfReq `peerOpts`, returns our ConfReq. */
function openLcp(link: PppLink, peerOpts: string): Sent {
  link.lowerUp(0);
  const [req] = drain(link);
  assert.ok(req && req.code === ControlCode.ConfigureRequest);
  link.handleFrame(1, lcp(ControlCode.ConfigureRequest, 0x50, peerOpts));
  const ack = drain(link);
  assert.deepEqual(ack.map((s) => s.code), [ControlCode.ConfigureAck]);
  link.handleFrame(2, lcp(ControlCode.ConfigureAck, req.id, req.data));
  assert.equal(link.state.lcp, 'Opened');
  return req;
}

/** PAP login as user1 and authorize: returns what the server sent (PAP Ack, IPCP ConfReq). */
function papLogin(link: PppLink, dns: string[] = ['10.1.0.53', '8.8.8.8'], wins: string[] = []): Sent[] {
  const req = concat([Uint8Array.of(5), utf8('user1'), Uint8Array.of(5), utf8('pass1')]);
  link.handleFrame(3, frame(PppProtocol.PAP, 1, 7, hex(req)));
  const ev = events(link).find((e) => e.type === 'auth-check');
  assert.ok(ev && ev.type === 'auth-check' && ev.check.method === 'pap' && ev.check.user === 'user1');
  link.completeAuth(4, { ok: true, user: 'user1' });
  const evs = events(link);
  assert.ok(evs.some((e) => e.type === 'need-addresses' && e.user === 'user1'));
  link.authorize(5, { localAddress: '10.1.0.1', remoteAddress: '10.1.101.100', dns, wins });
  return drain(link);
}

test('Windows LCP: <mru 1400> <magic> <pcomp> <accomp> <callback CBCP> -> Reject callback only, then Ack', () => {
  const { link } = server({ authentication: ['mschap2', 'pap'] });
  link.lowerUp(0);
  const [req] = drain(link);
  assert.ok(req);
  assert.equal(req.code, ControlCode.ConfigureRequest);
  // Our request: MRU 1450, MS-CHAPv2 first, a Magic-Number.
  assert.deepEqual(
    req.options.map(([t, d]) => (t === 5 ? [t, d.length] : [t, d])),
    [
      [1, '05aa'],
      [3, 'c22381'],
      [5, 8],
    ],
  );
  const win = '01040578' + '05063c8a1f22' + '0702' + '0802' + '0d0306';
  link.handleFrame(1, lcp(ControlCode.ConfigureRequest, 1, win));
  assert.deepEqual(drain(link), [{ protocol: PppProtocol.LCP, code: ControlCode.ConfigureReject, id: 1, data: '0d0306', options: [[13, '06']] }]);
  link.handleFrame(2, lcp(ControlCode.ConfigureRequest, 2, '01040578' + '05063c8a1f22' + '0702' + '0802'));
  const ack = drain(link);
  assert.equal(ack.length, 1);
  assert.equal(ack[0]!.code, ControlCode.ConfigureAck);
  assert.equal(ack[0]!.data, '0104057805063c8a1f2207020802');
  link.handleFrame(3, lcp(ControlCode.ConfigureAck, req.id, req.data));
  assert.equal(link.state.lcp, 'Opened');
  assert.equal(link.state.negotiated.peerMru, 1400);
  assert.equal(link.state.negotiated.mtu, 1400);
  assert.equal(link.state.phase, 'authenticate');
  // The MS-CHAPv2 Challenge goes out at once.
  const ch = drain(link);
  assert.equal(ch[0]?.protocol, PppProtocol.CHAP);
  // Identification (code 12) "MSRASV5.20": accepted and logged, never Code-Rejected.
  link.handleFrame(4, lcp(ControlCode.Identification, 5, '3c8a1f22' + hex(utf8('MSRASV5.20'))));
  assert.deepEqual(drain(link), []);
});

test('Windows with multilink on its side: MRRU, Endpoint Discriminator and option 23 rejected (multilink off)', () => {
  const { link } = server();
  link.lowerUp(0);
  drain(link);
  const ml = '01040578' + '1104064e' + '1308013132333435' + '17040001';
  link.handleFrame(1, lcp(ControlCode.ConfigureRequest, 9, ml));
  const [rej] = drain(link);
  assert.equal(rej?.code, ControlCode.ConfigureReject);
  assert.deepEqual(
    rej?.options.map(([t]) => t),
    [17, 19, 23],
  );
});

test('multilink on: MRRU, Endpoint Discriminator and option 23 are acked', () => {
  const { link } = server({ multilink: true });
  link.lowerUp(0);
  drain(link);
  link.handleFrame(1, lcp(ControlCode.ConfigureRequest, 9, '1104064e' + '1305010203' + '17040001'));
  assert.equal(drain(link)[0]?.code, ControlCode.ConfigureAck);
});

test('client Naks our auth with EAP: server moves down its list (MS-CHAPv2 -> PAP)', () => {
  const { link } = server({ authentication: ['mschap2', 'pap'] });
  link.lowerUp(0);
  const [req] = drain(link);
  assert.ok(req);
  link.handleFrame(1, lcp(ControlCode.ConfigureNak, req.id, '0304c227'));
  const [req2] = drain(link);
  assert.deepEqual(req2?.options.find(([t]) => t === 3), [3, 'c023']);
  assert.notEqual(req2?.id, req.id);
});

test('Windows IPCP: WINS rejected first, then Nak address + DNS, then Ack; never Reject the address', () => {
  const { link } = server();
  openLcp(link, '01040578' + '05063c8a1f22' + '0702' + '0802');
  const out = papLogin(link);
  assert.deepEqual(out.map((s) => [s.protocol, s.code]), [
    [PppProtocol.PAP, 2],
    [PppProtocol.IPCP, ControlCode.ConfigureRequest],
  ]);
  const ourIpcp = out[1]!;
  assert.deepEqual(ourIpcp.options, [[3, '0a010001']]);
  // <addr 0.0.0.0> <ms-dns1 0.0.0.0> <ms-wins 0.0.0.0> <ms-dns2 0.0.0.0> <ms-wins2 0.0.0.0>
  link.handleFrame(6, ipcp(ControlCode.ConfigureRequest, 1, '030600000000' + '810600000000' + '820600000000' + '830600000000' + '840600000000'));
  assert.deepEqual(drain(link), [
    { protocol: PppProtocol.IPCP, code: ControlCode.ConfigureReject, id: 1, data: '820600000000840600000000', options: [[130, '00000000'], [132, '00000000']] },
  ]);
  link.handleFrame(7, ipcp(ControlCode.ConfigureRequest, 2, '030600000000' + '810600000000' + '830600000000'));
  const [nak] = drain(link);
  assert.equal(nak?.code, ControlCode.ConfigureNak);
  assert.deepEqual(nak?.options, [
    [3, '0a016564'],
    [129, '0a010035'],
    [131, '08080808'],
  ]);
  link.handleFrame(8, ipcp(ControlCode.ConfigureRequest, 3, '03060a016564' + '81060a010035' + '830608080808'));
  assert.equal(drain(link)[0]?.code, ControlCode.ConfigureAck);
  link.handleFrame(9, ipcp(ControlCode.ConfigureAck, ourIpcp.id, ourIpcp.data));
  const up = events(link).find((e) => e.type === 'ipcp-up');
  assert.deepEqual(up, { type: 'ipcp-up', local: '10.1.0.1', remote: '10.1.101.100', dns: ['10.1.0.53', '8.8.8.8'], wins: [] });
  // IPV6CP with IPv6 off -> LCP Protocol-Reject naming 8057 and carrying the packet.
  const v6 = frame(PppProtocol.IPV6CP, 1, 1, '010a0011223344556677');
  link.handleFrame(10, v6);
  const [pr] = drain(link);
  assert.equal(pr?.protocol, PppProtocol.LCP);
  assert.equal(pr?.code, ControlCode.ProtocolReject);
  assert.equal(pr?.data, '8057' + hex(v6.subarray(4)));
  // CCP <mppe +H -M -S -L> -> Protocol-Reject 80fd; IPCP undisturbed.
  link.handleFrame(11, frame(PppProtocol.CCP, 1, 1, '120601000040'));
  const [pr2] = drain(link);
  assert.equal(pr2?.code, ControlCode.ProtocolReject);
  assert.equal(pr2?.data.slice(0, 4), '80fd');
  assert.equal(link.state.ipcp, 'Opened');
});

test('Max-Failure never turns the IP-Address Nak into a Reject (Windows hangs up on that)', () => {
  const { link } = server();
  openLcp(link, '01040578');
  papLogin(link);
  for (let i = 0; i < 12; i++) {
    link.handleFrame(10 + i, ipcp(ControlCode.ConfigureRequest, i, '030600000000' + '810600000000'));
    const [r] = drain(link);
    if (i < 5) assert.deepEqual(r?.options.map(([t]) => t), [3, 129]);
    else {
      // After Max-Failure (5) Naks the DNS Nak becomes a Reject; the address stays Nak'd once
      // the DNS option is gone.
      assert.equal(r?.code, ControlCode.ConfigureReject);
      assert.deepEqual(r?.options.map(([t]) => t), [129]);
    }
  }
  link.handleFrame(30, ipcp(ControlCode.ConfigureRequest, 99, '030600000000'));
  const [r] = drain(link);
  assert.equal(r?.code, ControlCode.ConfigureNak);
  assert.deepEqual(r?.options, [[3, '0a016564']]);
});

test('no DNS configured: DNS rejected; IP-Compression (VJ) rejected', () => {
  const { link } = server();
  openLcp(link, '01040578');
  papLogin(link, [], []);
  link.handleFrame(6, ipcp(ControlCode.ConfigureRequest, 1, '030600000000' + '0206002d0f01' + '810600000000'));
  const [rej] = drain(link);
  assert.equal(rej?.code, ControlCode.ConfigureReject);
  assert.deepEqual(rej?.options.map(([t]) => t), [2, 129]);
});

test('macOS/iOS LCP <asyncmap 0x0> <magic> <pcomp> <accomp>: acked at once, before our request is acked', () => {
  const { link } = server();
  link.lowerUp(0);
  drain(link);
  link.handleFrame(1, lcp(ControlCode.ConfigureRequest, 1, '020600000000' + '050612345678' + '0702' + '0802'));
  const [ack] = drain(link);
  assert.equal(ack?.code, ControlCode.ConfigureAck);
  assert.equal(link.state.lcp, 'Ack-Sent');
});

test('macOS IPCP <addr 0> <ms-dns1 0> <ms-dns3 0> with one DNS configured: secondary rejected, then Nak', () => {
  const { link } = server();
  openLcp(link, '020600000000');
  papLogin(link, ['10.1.0.53']);
  link.handleFrame(6, ipcp(ControlCode.ConfigureRequest, 1, '030600000000' + '810600000000' + '830600000000'));
  const [rej] = drain(link);
  assert.deepEqual([rej?.code, rej?.options.map(([t]) => t)], [ControlCode.ConfigureReject, [131]]);
  link.handleFrame(7, ipcp(ControlCode.ConfigureRequest, 2, '030600000000' + '810600000000'));
  const [nak] = drain(link);
  assert.deepEqual(nak?.options, [
    [3, '0a016564'],
    [129, '0a010035'],
  ]);
});

test('Magic-Number: zero and our own value (looped link) are Nak’d with a new value', () => {
  const { link, log } = server();
  link.lowerUp(0);
  const [req] = drain(link);
  const ours = req!.options.find(([t]) => t === 5)![1];
  link.handleFrame(1, lcp(ControlCode.ConfigureRequest, 1, '050600000000'));
  const [n1] = drain(link);
  assert.equal(n1?.code, ControlCode.ConfigureNak);
  assert.notEqual(n1?.options[0]?.[1], '00000000');
  link.handleFrame(2, lcp(ControlCode.ConfigureRequest, 2, '0506' + ours));
  const [n2] = drain(link);
  assert.equal(n2?.code, ControlCode.ConfigureNak);
  assert.notEqual(n2?.options[0]?.[1], ours);
  assert.ok(log.has(/looped back/));
});

test('LCP: unknown code -> Code-Reject; Echo-Request -> Echo-Reply with our magic; Discard-Request silent', () => {
  const { link } = server();
  const req = openLcp(link, '01040578');
  const ours = req.options.find(([t]) => t === 5)![1];
  drain(link);
  link.handleFrame(5, lcp(0x30, 9, 'abcd'));
  const [cj] = drain(link);
  assert.equal(cj?.code, ControlCode.CodeReject);
  assert.equal(cj?.data, '3009' + '0006' + 'abcd');
  link.handleFrame(6, lcp(ControlCode.EchoRequest, 4, '00000000' + '41686f'));
  assert.deepEqual(drain(link).map((s) => [s.code, s.id, s.data]), [[ControlCode.EchoReply, 4, ours + '41686f']]);
  link.handleFrame(7, lcp(ControlCode.DiscardRequest, 5, '00000000'));
  assert.deepEqual(drain(link), []);
});

// ---- SoftEther (server) against our client, bytes from captures/softether-ppp-pap.pcap ----

test('SoftEther script: EAP Nak, Magic-Number rejected, PAP, IPCP Nak from the capture, ipcp-up', () => {
  const log = new MemoryLogger();
  const link = new PppLink(
    {
      role: 'client',
      mru: 1450,
      mtu: 1450,
      authentication: ['mschap2', 'pap'],
      credentials: { user: 'user1', password: 'pass1' },
      keepaliveTimeoutS: 60,
      usePeerDns: true,
      ipv6: true,
      multilink: false,
    },
    { random: new SeededRandom(11), logger: log },
  );
  link.lowerUp(0);
  const [req] = drain(link);
  assert.ok(req);
  assert.deepEqual(req.options.map(([t]) => t), [1, 5]);
  // Frame 12: SoftEther's ConfReq asks EAP: ff03c021 01 00 0008 0304c227 -> we Nak toward MS-CHAPv2.
  link.handleFrame(1, fromHex('ff03c021010000080304c227'));
  assert.deepEqual(drain(link).map((s) => [s.code, s.id, s.data]), [[ControlCode.ConfigureNak, 0, '0305c22381']]);
  // SoftEther Echo-Request before LCP is open (frame 14): silently discarded.
  link.handleFrame(2, fromHex('ff03c021090000180000000041686f2042616b61204d616e756b6500'));
  assert.deepEqual(drain(link), []);
  // Frame 16 shape: Configure-Reject of our Magic-Number -> we stop sending it.
  link.handleFrame(3, lcp(ControlCode.ConfigureReject, req.id, hex(fromHex('0506')) + req.options.find(([t]) => t === 5)![1]));
  const [req2] = drain(link);
  assert.deepEqual(req2?.options, [[1, '05aa']]);
  // SoftEther acks it, then (frame 21 shape) asks PAP: ff03c021 01 02 0008 0304c023.
  link.handleFrame(4, lcp(ControlCode.ConfigureAck, req2!.id, req2!.data));
  link.handleFrame(5, fromHex('ff03c021010200080304c023'));
  const out = drain(link);
  assert.deepEqual(out.map((s) => [s.protocol, s.code]), [
    [PppProtocol.LCP, ControlCode.ConfigureAck],
    [PppProtocol.PAP, 1],
  ]);
  assert.equal(link.state.negotiated.localMagic, undefined);
  assert.equal(out[1]!.data, '057573657231057061737331', 'PAP Authenticate-Request as in frame 23');
  // Frame 27: PAP Authenticate-Ack with Length 4 and no Msg-Length octet: ff03c023 02 04 0004.
  link.handleFrame(6, fromHex(`ff03c02302${hex(Uint8Array.of(out[1]!.id))}0004`));
  const ipcpOut = drain(link);
  const ipcpReq = ipcpOut.find((s) => s.protocol === PppProtocol.IPCP);
  const v6Req = ipcpOut.find((s) => s.protocol === PppProtocol.IPV6CP);
  assert.ok(ipcpReq && v6Req);
  assert.deepEqual(ipcpReq.options, [
    [3, '00000000'],
    [129, '00000000'],
    [131, '00000000'],
  ]);
  // SoftEther has one DNS: Reject the secondary, then the Nak of frame 29:
  // 03 05 0010 03060a631e0a 81060a631e01
  link.handleFrame(7, ipcp(ControlCode.ConfigureReject, ipcpReq.id, '830600000000'));
  const [ipcpReq2] = drain(link);
  assert.deepEqual(ipcpReq2?.options.map(([t]) => t), [3, 129]);
  link.handleFrame(8, ipcp(ControlCode.ConfigureNak, ipcpReq2!.id, '03060a631e0a81060a631e01'));
  const [ipcpReq3] = drain(link);
  assert.equal(ipcpReq3?.data, '03060a631e0a81060a631e01', 'frame 30');
  // Frame 31: SoftEther's own IPCP request <addr 10.99.30.1> -> Ack (frame 32).
  link.handleFrame(9, fromHex('ff0380210104000a03060a631e01'));
  assert.deepEqual(drain(link).map((s) => [s.code, s.data]), [[ControlCode.ConfigureAck, '03060a631e01']]);
  // Frame 33 shape: SoftEther acks our request.
  link.handleFrame(10, ipcp(ControlCode.ConfigureAck, ipcpReq3!.id, ipcpReq3!.data));
  // SoftEther Protocol-Rejects IPV6CP (as it does CCP): IPV6CP stops, the link stays.
  link.handleFrame(11, lcp(ControlCode.ProtocolReject, 3, '8057' + hex(encodeControl({ code: 1, id: v6Req.id, data: fromHex(v6Req.data) }))));
  const evs = events(link);
  assert.deepEqual(
    evs.find((e) => e.type === 'ipcp-up'),
    { type: 'ipcp-up', local: '10.99.30.10', remote: '10.99.30.1', dns: ['10.99.30.1'], wins: [] },
  );
  assert.ok(evs.some((e) => e.type === 'authenticated' && e.method === 'pap'));
  assert.equal(link.state.ipv6cp, 'Stopped');
  assert.equal(evs.find((e) => e.type === 'down'), undefined);
  // Frame 40: Terminate-Request ff03c021 05 07 0004 -> Terminate-Ack with id 7 (frame 41).
  link.handleFrame(12, fromHex('ff03c02105070004'));
  assert.deepEqual(drain(link).map((s) => [s.code, s.id]), [[ControlCode.TerminateAck, 7]]);
  link.handleTimeout(12 + 3000);
  assert.deepEqual(events(link).find((e) => e.type === 'down'), { type: 'down', reason: 'peer terminated the link', code: 'peer-terminated' });
});

test('SoftEther wrong PAP password: it sends Terminate-Request, no Nak -> client down peer-terminated', () => {
  const link = new PppLink(
    {
      role: 'client',
      mru: 1450,
      mtu: 1450,
      authentication: ['pap'],
      credentials: { user: 'user1', password: 'bad' },
      keepaliveTimeoutS: undefined,
      usePeerDns: true,
      ipv6: false,
      multilink: false,
    },
    { random: new SeededRandom(5), logger: new MemoryLogger() },
  );
  link.lowerUp(0);
  const [req] = drain(link);
  link.handleFrame(1, lcp(ControlCode.ConfigureAck, req!.id, req!.data));
  link.handleFrame(1, fromHex('ff03c021010200080304c023'));
  drain(link);
  assert.equal(link.state.phase, 'authenticate');
  link.handleFrame(2, fromHex('ff03c02105030004'));
  assert.deepEqual(drain(link).map((s) => [s.code, s.id]), [[ControlCode.TerminateAck, 3]]);
  link.lowerDown(3); // SoftEther follows with CDN
  assert.equal(events(link).find((e) => e.type === 'down')?.code, 'peer-terminated');
});

test('IPCP ConfReq pipelined before authorize() (RADIUS still deciding) is held and answered at once', () => {
  const { link } = server();
  openLcp(link, '01040578');
  const req = concat([Uint8Array.of(5), utf8('user1'), Uint8Array.of(5), utf8('pass1')]);
  link.handleFrame(3, frame(PppProtocol.PAP, 1, 7, hex(req)));
  events(link);
  link.completeAuth(4, { ok: true, user: 'user1' });
  drain(link);
  link.handleFrame(5, ipcp(ControlCode.ConfigureRequest, 1, '030600000000'));
  assert.deepEqual(drain(link), [], 'nothing until the addresses are known');
  link.authorize(6, { localAddress: '10.1.0.1', remoteAddress: '10.1.101.100', dns: [], wins: [] });
  assert.deepEqual(drain(link).map((s) => [s.protocol, s.code]), [
    [PppProtocol.IPCP, ControlCode.ConfigureRequest],
    [PppProtocol.IPCP, ControlCode.ConfigureNak],
  ]);
});
