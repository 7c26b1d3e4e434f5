// Our client PppLink against our server PppLink with CCP/MPPE, wired back to back on a virtual
// clock: every key length and mode, the use-encryption matrix, loss in stateful mode, and the
// guarantee that CCP trouble never disturbs IPCP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';

import { verifyWithPassword } from '../../auth/index.js';
import type { AuthMethod } from '../../auth/types.js';
import { hex } from '../../core/bytes.js';
import { MemoryLogger, prefixLogger } from '../../core/log.js';
import { SeededRandom } from '../../core/random.js';
import { earliest, type Instant } from '../../core/time.js';
import { ControlCode, PppProtocol, decodeFrame } from '../../wire/ppp/frame.js';
import { ENCRYPTION_REQUIRED_REASON, PppLink, type PppEvent, type PppLinkConfig } from '../link.js';
import type { MppePolicy } from './types.js';

const SECRETS: Record<string, string> = { user1: 'pass1' };

function serverConfig(encryption: MppePolicy | undefined, over: Partial<PppLinkConfig> = {}): PppLinkConfig {
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
    ...(encryption ? { encryption } : {}),
    ...over,
  };
}

function clientConfig(encryption: MppePolicy | undefined, over: Partial<PppLinkConfig> = {}): PppLinkConfig {
  return {
    role: 'client',
    mru: 1450,
    mtu: 1450,
    authentication: ['mschap2', 'mschap1', 'chap', 'pap'],
    credentials: { user: 'user1', password: 'pass1' },
    keepaliveTimeoutS: 60,
    usePeerDns: false,
    ipv6: false,
    multilink: false,
    ...(encryption ? { encryption } : {}),
    ...over,
  };
}

interface Side {
  link: PppLink;
  events: PppEvent[];
}

type Dir = 'c2s' | 's2c';

/** Two links back to back; `drop` may discard a frame; every frame is recorded (a copy). */
function wire(serverCfg: PppLinkConfig, clientCfg: PppLinkConfig, seed = 11) {
  const log = new MemoryLogger();
  const server: Side = { link: new PppLink(serverCfg, { random: new SeededRandom(seed), logger: prefixLogger(log, 'S: ') }), events: [] };
  const client: Side = { link: new PppLink(clientCfg, { random: new SeededRandom(seed + 1), logger: prefixLogger(log, 'C: ') }), events: [] };
  const frames: { dir: Dir; bytes: Uint8Array }[] = [];
  let drop: (dir: Dir, frame: Uint8Array) => boolean = () => false;
  let now: Instant = 0;
  const deliver = (dir: Dir, f: Uint8Array) => {
    // Copy: the receiving link decrypts MPPE frames in place.
    frames.push({ dir, bytes: f.slice() });
    if (drop(dir, f)) return;
    (dir === 'c2s' ? server : client).link.handleFrame(now, f);
  };
  const pump = () => {
    for (let i = 0; i < 10_000; i++) {
      let moved = false;
      for (let f = server.link.pollTransmit(); f; f = server.link.pollTransmit()) {
        moved = true;
        deliver('s2c', f);
      }
      for (let f = client.link.pollTransmit(); f; f = client.link.pollTransmit()) {
        moved = true;
        deliver('c2s', f);
      }
      for (let e = server.link.pollEvent(); e; e = server.link.pollEvent()) {
        moved = true;
        server.events.push(e);
        if (e.type === 'auth-check') {
          const pw = SECRETS[e.check.user];
          server.link.completeAuth(now, pw === undefined ? { ok: false, message: 'no such user' } : verifyWithPassword(e.check, pw));
        }
        if (e.type === 'need-addresses') server.link.authorize(now, { localAddress: '10.1.0.1', remoteAddress: '10.1.101.100', dns: [], wins: [] });
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
    run(100);
  };
  return {
    server,
    client,
    log,
    frames,
    start,
    pump,
    run,
    set drop(f: (dir: Dir, frame: Uint8Array) => boolean) {
      drop = f;
    },
  };
}

function find<T extends PppEvent['type']>(events: PppEvent[], type: T): Extract<PppEvent, { type: T }> | undefined {
  return events.find((e): e is Extract<PppEvent, { type: T }> => e.type === type);
}

function ipPackets(side: Side): Uint8Array[] {
  return side.events.flatMap((e) => (e.type === 'ip-packet' ? [e.packet] : []));
}

function protocolOf(f: Uint8Array): number | undefined {
  const d = decodeFrame(f);
  return d.ok ? d.value.protocol : undefined;
}

/** A recognisable IPv4-looking datagram. */
function datagram(n: number, size = 60): Uint8Array {
  const p = new Uint8Array(size).fill(0x5a);
  p[0] = 0x45;
  p[2] = size >> 8;
  p[3] = size & 0xff;
  p[4] = n & 0xff;
  p[5] = (n >> 8) & 0xff;
  return p;
}

function containsBytes(hay: Uint8Array, needle: Uint8Array): boolean {
  return hex(hay).includes(hex(needle));
}

/** Sends `count` datagrams each way; asserts they arrive and the wire carried only 0x00FD data. */
function exchange(w: ReturnType<typeof wire>, count: number): void {
  const before = w.frames.length;
  const sBefore = ipPackets(w.server).length;
  const cBefore = ipPackets(w.client).length;
  for (let n = 0; n < count; n++) {
    w.client.link.sendIp(datagram(n), 'ipv4');
    w.server.link.sendIp(datagram(n + 1000), 'ipv4');
    w.pump();
  }
  assert.deepEqual(
    ipPackets(w.server).slice(sBefore).map(hex),
    Array.from({ length: count }, (_, n) => hex(datagram(n))),
    'server received every datagram',
  );
  assert.deepEqual(
    ipPackets(w.client).slice(cBefore).map(hex),
    Array.from({ length: count }, (_, n) => hex(datagram(n + 1000))),
    'client received every datagram',
  );
  const data = w.frames.slice(before).filter((f) => protocolOf(f.bytes) !== PppProtocol.CCP && protocolOf(f.bytes) !== PppProtocol.LCP);
  assert.equal(data.length, 2 * count);
  for (const f of data) {
    assert.equal(protocolOf(f.bytes), PppProtocol.COMPRESSED_DATAGRAM, 'data travels as protocol 0x00fd');
    assert.ok(!containsBytes(f.bytes, Uint8Array.of(0x5a, 0x5a, 0x5a, 0x5a, 0x5a, 0x5a)), 'no plaintext on the wire');
  }
}

for (const bits of [40, 56, 128] as const) {
  for (const mode of ['stateless', 'stateful'] as const) {
    for (const method of ['mschap2', 'mschap1'] as AuthMethod[]) {
      test(`MPPE${bits} ${mode} over ${method}: both sides agree, IP passes encrypted both ways`, () => {
        const policy: MppePolicy = { use: 'required', keyBits: [bits], mode };
        const w = wire(serverConfig(policy, { authentication: [method] }), clientConfig(policy, { authentication: [method] }));
        w.start();
        const expected = `MPPE${bits} ${mode}`;
        assert.equal(w.server.link.state.encoding, expected, w.log.messages().join('\n'));
        assert.equal(w.client.link.state.encoding, expected);
        assert.equal(w.server.link.state.ccp, 'Opened');
        assert.ok(find(w.server.events, 'ipcp-up'));
        assert.ok(find(w.client.events, 'ipcp-up'));
        // 300 packets cross a stateful flag packet (coherency count 0xFF).
        exchange(w, 300);
        assert.equal(find(w.server.events, 'down'), undefined);
      });
    }
  }
}

test('defaults (all key lengths, mode any) on both sides: MPPE128 stateless, as RouterOS shows it', () => {
  const w = wire(serverConfig({ use: 'yes' }), clientConfig({ use: 'yes' }));
  w.start();
  assert.equal(w.server.link.state.encoding, 'MPPE128 stateless');
  assert.equal(w.client.link.state.encoding, 'MPPE128 stateless');
  exchange(w, 5);
});

test('negotiation picks the strongest common length and follows a fixed stateful peer', () => {
  const w = wire(serverConfig({ use: 'yes' }), clientConfig({ use: 'yes', keyBits: [56, 40], mode: 'stateful' }));
  w.start();
  assert.equal(w.server.link.state.encoding, 'MPPE56 stateful', w.log.messages().join('\n'));
  assert.equal(w.client.link.state.encoding, 'MPPE56 stateful');
  exchange(w, 3);
});

test('use-encryption matrix: who encrypts, who stays up', () => {
  type U = MppePolicy['use'] | 'none';
  const cases: { s: U; c: U; encoding: string; down?: 'server' | 'client' }[] = [
    { s: 'yes', c: 'yes', encoding: 'MPPE128 stateless' },
    { s: 'required', c: 'yes', encoding: 'MPPE128 stateless' },
    { s: 'yes', c: 'required', encoding: 'MPPE128 stateless' },
    { s: 'yes', c: 'no', encoding: '' },
    { s: 'no', c: 'yes', encoding: '' },
    { s: 'no', c: 'no', encoding: '' },
    { s: 'yes', c: 'none', encoding: '' },
    { s: 'none', c: 'yes', encoding: '' },
    { s: 'required', c: 'no', encoding: '', down: 'server' },
    { s: 'no', c: 'required', encoding: '', down: 'client' },
    { s: 'required', c: 'none', encoding: '', down: 'server' },
    { s: 'none', c: 'required', encoding: '', down: 'client' },
  ];
  for (const k of cases) {
    const pol = (u: U): MppePolicy | undefined => (u === 'none' ? undefined : { use: u });
    const w = wire(serverConfig(pol(k.s)), clientConfig(pol(k.c)));
    w.start();
    w.run(60_000);
    const label = `server ${k.s}, client ${k.c}`;
    if (k.down) {
      const who = k.down === 'server' ? w.server : w.client;
      const down = find(who.events, 'down');
      assert.ok(down, `${label}: ${k.down} goes down\n${w.log.messages().join('\n')}`);
      assert.equal(down.code, 'negotiation-failed', label);
      assert.ok(down.reason.startsWith(ENCRYPTION_REQUIRED_REASON), `${label}: ${down.reason}`);
      // 'required' never lets IPCP report the link usable without MPPE.
      assert.equal(find(who.events, 'ipcp-up'), undefined, label);
      continue;
    }
    assert.equal(find(w.server.events, 'down'), undefined, `${label}\n${w.log.messages().join('\n')}`);
    assert.equal(find(w.client.events, 'down'), undefined, label);
    assert.equal(w.server.link.state.encoding, k.encoding, label);
    assert.equal(w.client.link.state.encoding, k.encoding, label);
    assert.ok(find(w.server.events, 'ipcp-up') && find(w.client.events, 'ipcp-up'), label);
    w.client.link.sendIp(datagram(1), 'ipv4');
    w.server.link.sendIp(datagram(2), 'ipv4');
    w.pump();
    assert.equal(ipPackets(w.server).length, 1, label);
    assert.equal(ipPackets(w.client).length, 1, label);
  }
});

test('required without MPPE key material (PAP): down at once with a clear reason', () => {
  const w = wire(serverConfig({ use: 'required' }, { authentication: ['pap'] }), clientConfig({ use: 'yes' }, { authentication: ['pap'] }));
  w.start();
  w.run(10_000);
  const down = find(w.server.events, 'down');
  assert.equal(down?.code, 'negotiation-failed');
  assert.equal(down?.reason, `${ENCRYPTION_REQUIRED_REASON}: authentication gave no MPPE keys`);
  assert.equal(find(w.server.events, 'need-addresses'), undefined);
});

test('use=yes with PAP: CCP opens without MPPE, IPCP unaffected', () => {
  const w = wire(serverConfig({ use: 'yes' }, { authentication: ['pap'] }), clientConfig({ use: 'yes' }, { authentication: ['pap'] }));
  w.start();
  assert.equal(w.server.link.state.encoding, '');
  assert.equal(w.server.link.state.ccp, 'Opened');
  assert.ok(find(w.client.events, 'ipcp-up'));
});

test('stateful loss: the receiver sends Reset-Request, the sender flushes, traffic recovers', () => {
  const policy: MppePolicy = { use: 'required', keyBits: [128], mode: 'stateful' };
  const w = wire(serverConfig(policy), clientConfig(policy));
  w.start();
  exchange(w, 3);
  let dropped = 0;
  w.drop = (dir, f) => {
    if (dir === 'c2s' && protocolOf(f) === PppProtocol.COMPRESSED_DATAGRAM && dropped < 2) {
      dropped++;
      return true;
    }
    return false;
  };
  for (let n = 0; n < 20; n++) {
    w.client.link.sendIp(datagram(500 + n), 'ipv4');
    w.pump();
  }
  const got = ipPackets(w.server).slice(3).map((p) => p[4]! | (p[5]! << 8));
  // 500 and 501 lost; 502 arrives after the gap and is discarded (no key sync); it triggers the
  // Reset-Request, so 503 is flushed and everything from there on arrives.
  assert.deepEqual(got, Array.from({ length: 17 }, (_, n) => 503 + n));
  const ccp = w.frames.filter((f) => protocolOf(f.bytes) === PppProtocol.CCP).map((f) => ({ dir: f.dir, code: f.bytes[4] }));
  assert.deepEqual(
    ccp.filter((c) => c.code === ControlCode.ResetRequest || c.code === ControlCode.ResetAck),
    [
      { dir: 's2c', code: ControlCode.ResetRequest },
      { dir: 'c2s', code: ControlCode.ResetAck },
    ],
  );
  assert.ok(w.log.has(/S: .*sending CCP Reset-Request/));
});

test('stateful: a lost Reset-Request (or its flushed answer) is repeated 250 ms on while packets keep failing, not before', () => {
  const policy: MppePolicy = { use: 'yes', keyBits: [128], mode: 'stateful' };
  const w = wire(serverConfig(policy), clientConfig(policy));
  w.start();
  let lostData = false;
  let lostReset = false;
  w.drop = (dir, f) => {
    if (!lostData && dir === 'c2s' && protocolOf(f) === PppProtocol.COMPRESSED_DATAGRAM) return (lostData = true);
    if (!lostReset && dir === 's2c' && protocolOf(f) === PppProtocol.CCP && f[4] === ControlCode.ResetRequest) return (lostReset = true);
    return false;
  };
  const resets = (): number => w.frames.filter((f) => f.dir === 's2c' && protocolOf(f.bytes) === PppProtocol.CCP && f.bytes[4] === ControlCode.ResetRequest).length;
  for (let n = 0; n < 3; n++) {
    w.client.link.sendIp(datagram(n), 'ipv4');
    w.pump();
  }
  assert.equal(ipPackets(w.server).length, 0);
  assert.equal(resets(), 1, 'one Reset-Request for the loss (and it was lost)');
  // (start() ran the wire to t=100 ms; run() takes absolute times)
  w.run(300);
  w.client.link.sendIp(datagram(3), 'ipv4');
  w.pump();
  assert.equal(resets(), 1, 'not repeated within 250 ms');
  w.run(400);
  for (let n = 4; n < 7; n++) {
    w.client.link.sendIp(datagram(n), 'ipv4');
    w.pump();
  }
  // n=4 fails and repeats the Reset-Request; 5 and 6 arrive.
  assert.equal(resets(), 2);
  assert.deepEqual(ipPackets(w.server).map((p) => p[4]), [5, 6]);
});

test('stateless loss needs no Reset-Request', () => {
  const policy: MppePolicy = { use: 'required', keyBits: [128], mode: 'stateless' };
  const w = wire(serverConfig(policy), clientConfig(policy));
  w.start();
  let k = 0;
  w.drop = (dir, f) => dir === 'c2s' && protocolOf(f) === PppProtocol.COMPRESSED_DATAGRAM && k++ % 3 === 0;
  for (let n = 0; n < 30; n++) {
    w.client.link.sendIp(datagram(n), 'ipv4');
    w.pump();
  }
  assert.equal(ipPackets(w.server).length, 20);
  assert.ok(!w.frames.some((f) => protocolOf(f.bytes) === PppProtocol.CCP && f.bytes[4] === ControlCode.ResetRequest));
});

test('once MPPE is up, plaintext IP from the peer is discarded; under required nothing leaves unencrypted', () => {
  const policy: MppePolicy = { use: 'yes' };
  const w = wire(serverConfig(policy), clientConfig(policy));
  w.start();
  w.server.link.handleFrame(1000, Uint8Array.of(0xff, 0x03, 0x00, 0x21, 0x45, 0, 0, 20));
  w.pump();
  assert.equal(ipPackets(w.server).length, 0);
});

test('required: IPCP opening before CCP holds ipcp-up and IP until MPPE is up', () => {
  const policy: MppePolicy = { use: 'required' };
  const w = wire(serverConfig(policy), clientConfig(policy));
  // Hold back the client's CCP packets so IPCP finishes first.
  let holdCcp = true;
  const held: Uint8Array[] = [];
  w.drop = (dir, f) => {
    if (holdCcp && dir === 'c2s' && protocolOf(f) === PppProtocol.CCP) {
      held.push(f.slice());
      return true;
    }
    return false;
  };
  w.start();
  assert.equal(w.server.link.state.ipcp, 'Opened');
  assert.notEqual(w.server.link.state.ccp, 'Opened');
  assert.equal(find(w.server.events, 'ipcp-up'), undefined, 'ipcp-up waits for MPPE');
  const sent = w.frames.length;
  w.server.link.sendIp(datagram(1), 'ipv4');
  w.pump();
  assert.equal(w.frames.length, sent, 'no IP frame before MPPE');
  holdCcp = false;
  w.run(4000); // the client retransmits its CCP Configure-Request
  assert.equal(w.server.link.state.encoding, 'MPPE128 stateless');
  assert.ok(find(w.server.events, 'ipcp-up'));
  exchange(w, 2);
});

test('Protocol-Reject of CCP (peer without CCP) never disturbs IPCP under use=yes', () => {
  const w = wire(serverConfig({ use: 'yes' }), clientConfig(undefined));
  w.start();
  w.run(30_000);
  assert.equal(w.server.link.state.ccp, 'Stopped');
  assert.equal(w.server.link.state.ipcp, 'Opened');
  assert.equal(find(w.server.events, 'down'), undefined);
  w.client.link.sendIp(datagram(7), 'ipv4');
  w.pump();
  assert.equal(ipPackets(w.server).length, 1);
  // And the client side of the same: a plain client answers 0x00fd with Protocol-Reject.
  assert.ok(w.frames.some((f) => f.dir === 'c2s' && protocolOf(f.bytes) === PppProtocol.LCP && f.bytes[4] === ControlCode.ProtocolReject));
});

test('property: random 0x00fd frames never throw, and genuine traffic recovers afterwards', () => {
  fc.assert(
    fc.property(fc.boolean(), fc.array(fc.uint8Array({ minLength: 0, maxLength: 40 }), { maxLength: 8 }), (stateless, junk) => {
      const policy: MppePolicy = { use: 'required', keyBits: [128], mode: stateless ? 'stateless' : 'stateful' };
      const w = wire(serverConfig(policy), clientConfig(policy));
      w.start();
      for (const j of junk) w.server.link.handleFrame(200, Uint8Array.from([0xff, 0x03, 0x00, 0xfd, ...j]));
      w.pump();
      w.run(4000); // a lost Reset-Request may need the Restart interval
      for (let n = 0; n < 4; n++) {
        w.client.link.sendIp(datagram(n), 'ipv4');
        w.pump();
      }
      const got = ipPackets(w.server).map((p) => p[4]);
      // Junk can desynchronise a stateful receiver for one packet (then Reset-Request) at most.
      return find(w.server.events, 'down') === undefined && got.length >= 3 && got.at(-1) === 3;
    }),
    { numRuns: 60 },
  );
});
