/**
 * LAC and LNS engines talking over a simulated network on a virtual clock: establishment, tunnel
 * authentication (right, wrong and missing secrets), hidden AVPs, sessions, outgoing calls, data,
 * HELLO, retransmission limit, port floating and ephemeral ports, teardown and linger, loss and
 * bad input.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { utf8 } from '../core/bytes.js';
import { MemoryLogger } from '../core/log.js';
import { SeededRandom } from '../core/random.js';
import type { Instant } from '../core/time.js';
import { MessageType } from '../wire/l2tp/constants.js';
import { decodeControl, encodeControl } from '../wire/l2tp/message.js';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { readUdpDatagrams, vectorPath } from '../testing/pcap.js';
import { L2tpEngine } from './engine.js';
import type { Address, L2tpConfig, L2tpEvent } from './types.js';

const LAC: Address = { ip: '10.0.0.1', port: 40000 };
const LNS: Address = { ip: '10.0.0.2', port: 1701 };
/** Where the LNS's ephemeral sockets appear (port = 50000 + socket key). */
const EPHEMERAL_BASE = 50000;

interface Node {
  readonly engine: L2tpEngine;
  readonly addr: Address;
  readonly events: L2tpEvent[];
  readonly log: MemoryLogger;
}

interface Flight {
  at: Instant;
  from: Address;
  to: Address;
  bytes: Uint8Array;
}

/** Two engines on a lossy, duplicating, reordering link driven on virtual time. */
class Sim {
  now = 0;
  readonly flights: Flight[] = [];
  readonly rng: SeededRandom;
  delivered = 0;
  dropped = 0;
  /** Drop everything to this node (a vanished peer). */
  blackhole = new Set<string>();

  constructor(
    readonly lac: Node,
    readonly lns: Node,
    readonly opts: { loss?: number; dup?: number; reorderMs?: number; delayMs?: number; seed?: number } = {},
  ) {
    this.rng = new SeededRandom(opts.seed ?? 7);
  }

  private nodeFor(addr: Address): Node | undefined {
    if (addr.ip === this.lac.addr.ip) return this.lac;
    if (addr.ip === this.lns.addr.ip) return this.lns;
    return undefined;
  }

  /** Moves every transmit of both engines onto the wire. */
  collect(): void {
    for (const n of [this.lac, this.lns]) {
      for (let t = n.engine.pollTransmit(); t; t = n.engine.pollTransmit()) {
        const from: Address = n === this.lns && t.via !== 0 ? { ip: n.addr.ip, port: EPHEMERAL_BASE + t.via } : n.addr;
        this.put(from, t.to, t.bytes);
      }
      for (let e = n.engine.pollEvent(); e; e = n.engine.pollEvent()) n.events.push(e);
    }
  }

  private put(from: Address, to: Address, bytes: Uint8Array): void {
    if (this.opts.loss && this.rng.nextFloat() < this.opts.loss) {
      this.dropped++;
      return;
    }
    const delay = (this.opts.delayMs ?? 5) + (this.opts.reorderMs ? this.rng.nextFloat() * this.opts.reorderMs : 0);
    this.flights.push({ at: this.now + delay, from, to, bytes: bytes.slice() });
    if (this.opts.dup && this.rng.nextFloat() < this.opts.dup) {
      this.flights.push({ at: this.now + delay + 1, from, to, bytes: bytes.slice() });
    }
  }

  /** Runs until `until` (virtual ms) or until nothing is pending. */
  run(until: Instant, stop?: () => boolean): void {
    this.collect();
    for (let guard = 0; guard < 1_000_000; guard++) {
      if (stop?.()) return;
      const nextFlight = this.flights.reduce<Instant | undefined>((m, f) => (m === undefined || f.at < m ? f.at : m), undefined);
      const timers = [this.lac.engine.nextTimeout(), this.lns.engine.nextTimeout()].filter((t): t is number => t !== undefined);
      const candidates = [...timers, ...(nextFlight !== undefined ? [nextFlight] : [])];
      if (candidates.length === 0) return;
      const next = Math.max(this.now, Math.min(...candidates));
      if (next > until) {
        this.now = until;
        return;
      }
      this.now = next;
      const due = this.flights.filter((f) => f.at <= this.now);
      for (const f of due) this.flights.splice(this.flights.indexOf(f), 1);
      for (const f of due) {
        const n = this.nodeFor(f.to);
        if (!n || this.blackhole.has(n.addr.ip)) continue;
        this.delivered++;
        const via = n === this.lns && f.to.port >= EPHEMERAL_BASE ? f.to.port - EPHEMERAL_BASE : 0;
        n.engine.handleDatagram(this.now, f.from, f.bytes, via);
      }
      for (const n of [this.lac, this.lns]) {
        const t = n.engine.nextTimeout();
        if (t !== undefined && t <= this.now) n.engine.handleTimeout(this.now);
      }
      this.collect();
    }
    throw new Error('simulation did not settle');
  }
}

function node(addr: Address, config: Partial<L2tpConfig>, seed: number): Node {
  const log = new MemoryLogger();
  const engine = new L2tpEngine({ hostName: addr.ip, ...config }, { random: new SeededRandom(seed), logger: log });
  return { engine, addr, events: [], log };
}

function pair(lacCfg: Partial<L2tpConfig> = {}, lnsCfg: Partial<L2tpConfig> = {}, net: ConstructorParameters<typeof Sim>[2] = {}): Sim {
  return new Sim(node(LAC, { acceptTunnels: false, ...lacCfg }, 1), node(LNS, lnsCfg, 2), net);
}

const of = <T extends L2tpEvent['type']>(n: Node, type: T): Array<Extract<L2tpEvent, { type: T }>> =>
  n.events.filter((e): e is Extract<L2tpEvent, { type: T }> => e.type === type);

function secret(s: string): Partial<L2tpConfig> {
  return { secretFor: () => utf8(s) };
}

describe('L2TP engine: LAC and LNS', () => {
  it('establishes a tunnel and a session, carries data both ways, and tears down cleanly', () => {
    const sim = pair();
    const tid = sim.lac.engine.connect(sim.now, LNS)!;
    sim.run(5_000);
    assert.equal(of(sim.lac, 'tunnel-up').length, 1);
    assert.equal(of(sim.lns, 'tunnel-up').length, 1);
    assert.equal(sim.lac.engine.tunnelInfo(tid)?.state, 'established');
    const sid = sim.lac.engine.openSession(sim.now, tid)!;
    sim.run(sim.now + 5_000);
    const lacUp = of(sim.lac, 'session-up');
    const lnsUp = of(sim.lns, 'session-up');
    assert.equal(lacUp.length, 1);
    assert.equal(lnsUp.length, 1);
    assert.equal(lacUp[0]!.peerSessionId, lnsUp[0]!.sessionId);
    assert.equal(lnsUp[0]!.peerSessionId, sid);

    // data both ways
    assert.equal(sim.lac.engine.sendData(tid, sid, Uint8Array.of(0xff, 0x03, 0xc0, 0x21, 1, 2, 3)), true);
    const lnsT = lnsUp[0]!.tunnelId;
    const lnsS = lnsUp[0]!.sessionId;
    assert.equal(sim.lns.engine.sendData(lnsT, lnsS, Uint8Array.of(9, 8, 7)), true);
    sim.run(sim.now + 100);
    const lnsData = of(sim.lns, 'session-data');
    const lacData = of(sim.lac, 'session-data');
    assert.deepEqual([...lnsData[0]!.payload], [0xff, 0x03, 0xc0, 0x21, 1, 2, 3]);
    assert.deepEqual([...lacData[0]!.payload], [9, 8, 7]);

    // CDN from the LAC
    sim.lac.engine.closeSession(sim.now, tid, sid, { result: 3, message: 'bye' });
    sim.run(sim.now + 2_000);
    assert.equal(of(sim.lac, 'session-down')[0]?.code, 'local-close');
    const down = of(sim.lns, 'session-down')[0]!;
    assert.equal(down.code, 'peer-cdn');
    assert.equal(down.result?.result, 3);
    assert.equal(sim.lac.engine.sendData(tid, sid, Uint8Array.of(1)), false);

    // StopCCN from the LNS
    sim.lns.engine.closeTunnel(sim.now, lnsT, { result: 6, message: 'shutting down' });
    sim.run(sim.now + 2_000);
    assert.equal(of(sim.lac, 'tunnel-down')[0]?.code, 'peer-stopccn');
    assert.equal(of(sim.lac, 'tunnel-down')[0]?.result?.result, 6);
    assert.equal(of(sim.lns, 'tunnel-down')[0]?.code, 'local-close');
    // state lingers (RFC 2661 5.7), then goes
    assert.equal(sim.lac.engine.tunnelCount, 1);
    sim.run(sim.now + 40_000);
    assert.equal(sim.lac.engine.tunnelCount, 0);
    assert.equal(sim.lns.engine.tunnelCount, 0);
  });

  it('opens several sessions in one tunnel, queued before the tunnel is up', () => {
    const sim = pair();
    const tid = sim.lac.engine.connect(sim.now, LNS)!;
    const ids = [1, 2, 3, 4, 5].map(() => sim.lac.engine.openSession(sim.now, tid)!);
    assert.equal(new Set(ids).size, 5);
    sim.run(10_000);
    assert.equal(of(sim.lac, 'session-up').length, 5);
    assert.equal(of(sim.lns, 'session-up').length, 5);
  });

  it('authenticates the tunnel in both directions with a shared secret (and hidden AVPs)', () => {
    for (const hide of [false, true]) {
      const sim = pair({ ...secret('s3cret'), hideAvps: hide }, { ...secret('s3cret'), hideAvps: hide });
      const tid = sim.lac.engine.connect(sim.now, LNS)!;
      sim.lac.engine.openSession(sim.now, tid);
      sim.run(5_000);
      assert.equal(of(sim.lac, 'tunnel-up').length, 1, `hide=${hide}`);
      assert.equal(of(sim.lns, 'tunnel-up').length, 1);
      assert.equal(of(sim.lns, 'session-up').length, 1);
    }
  });

  it('refuses a LAC with the wrong secret: StopCCN result 4 from the LAC side check', () => {
    const sim = pair(secret('right'), secret('wrong'));
    sim.lac.engine.connect(sim.now, LNS);
    sim.run(5_000);
    assert.equal(of(sim.lac, 'tunnel-up').length, 0);
    const lacDown = of(sim.lac, 'tunnel-down')[0]!;
    assert.equal(lacDown.code, 'auth-failed');
    assert.equal(lacDown.result?.result, 4);
    const lnsDown = of(sim.lns, 'tunnel-down')[0]!;
    assert.equal(lnsDown.code, 'peer-stopccn');
    assert.equal(lnsDown.result?.result, 4);
  });

  it('refuses a LAC without a secret when the LNS challenges it', () => {
    const sim = pair({}, secret('x'));
    sim.lac.engine.connect(sim.now, LNS);
    sim.run(5_000);
    assert.equal(of(sim.lac, 'tunnel-down')[0]?.code, 'auth-failed');
    assert.equal(of(sim.lns, 'tunnel-down')[0]?.result?.result, 4);
    assert.equal(of(sim.lns, 'tunnel-up').length, 0);
  });

  it('refuses a LAC whose challenge it cannot answer (no secret on the LNS)', () => {
    const sim = pair(secret('x'), {});
    sim.lac.engine.connect(sim.now, LNS);
    sim.run(5_000);
    assert.equal(of(sim.lns, 'tunnel-down')[0]?.code, 'auth-failed');
    assert.equal(of(sim.lac, 'tunnel-down')[0]?.code, 'peer-stopccn');
    assert.equal(of(sim.lac, 'tunnel-down')[0]?.result?.result, 4);
  });

  it('refuses an outgoing call with a CDN by default, and connects it when accepted', () => {
    for (const accept of [false, true]) {
      const sim = pair({ acceptOutgoingCalls: accept });
      sim.lac.engine.connect(sim.now, LNS);
      sim.run(5_000);
      const lnsTid = of(sim.lns, 'tunnel-up')[0]!.tunnelId;
      const sid = sim.lns.engine.placeOutgoingCall(sim.now, lnsTid, '5551234');
      assert.ok(sid);
      sim.run(sim.now + 5_000);
      if (accept) {
        assert.equal(of(sim.lns, 'session-up')[0]?.direction, 'outgoing');
        assert.equal(of(sim.lac, 'session-up')[0]?.direction, 'outgoing');
        assert.equal(of(sim.lac, 'session-up')[0]?.call.calledNumber, '5551234');
      } else {
        const d = of(sim.lns, 'session-down')[0]!;
        assert.equal(d.code, 'peer-cdn');
        assert.equal(d.result?.result, 5);
        assert.equal(of(sim.lac, 'session-up').length, 0);
      }
    }
  });

  it('sends HELLO when idle and drops a vanished peer after the retransmission limit', () => {
    const sim = pair({ helloIntervalMs: 10_000 }, { helloIntervalMs: 60_000 });
    const tid = sim.lac.engine.connect(sim.now, LNS)!;
    sim.run(1_000);
    assert.equal(sim.lac.engine.tunnelInfo(tid)?.state, 'established');
    const before = sim.delivered;
    sim.run(sim.now + 10_500);
    assert.ok(sim.delivered > before, 'a HELLO went out and was acked');
    assert.equal(of(sim.lac, 'tunnel-down').length, 0);
    sim.blackhole.add(LNS.ip);
    sim.run(sim.now + 120_000);
    const down = of(sim.lac, 'tunnel-down')[0]!;
    assert.equal(down.code, 'retransmit-limit');
    assert.equal(sim.lac.engine.tunnelCount, 0);
  });

  it('answers from an ephemeral port when asked, and the LAC follows the new port', () => {
    const sim = pair({}, { ephemeralPort: true });
    const tid = sim.lac.engine.connect(sim.now, LNS)!;
    sim.lac.engine.openSession(sim.now, tid);
    sim.run(5_000);
    assert.equal(of(sim.lns, 'socket-open').length, 1);
    assert.equal(of(sim.lac, 'session-up').length, 1);
    assert.equal(of(sim.lac, 'tunnel-up')[0]!.peer.port, EPHEMERAL_BASE + of(sim.lns, 'socket-open')[0]!.socket);
    sim.lac.engine.closeTunnel(sim.now, tid);
    sim.run(sim.now + 60_000);
    assert.equal(of(sim.lns, 'socket-close').length, 1);
  });

  it('reaches established tunnels and sessions through 20% loss, duplication and reordering', () => {
    const sim = pair({}, {}, { loss: 0.2, dup: 0.1, reorderMs: 30, seed: 99 });
    const tids = [0, 1, 2, 3, 4].map(() => sim.lac.engine.connect(sim.now, LNS)!);
    for (const t of tids) for (let i = 0; i < 3; i++) sim.lac.engine.openSession(sim.now, t);
    sim.run(120_000, () => of(sim.lac, 'session-up').length === 15 && of(sim.lns, 'session-up').length === 15);
    assert.equal(of(sim.lac, 'tunnel-up').length, 5);
    assert.equal(of(sim.lns, 'tunnel-up').length, 5);
    assert.equal(of(sim.lac, 'session-up').length, 15);
    assert.equal(of(sim.lns, 'session-up').length, 15);
    assert.ok(sim.dropped > 0);
    assert.equal(of(sim.lac, 'tunnel-down').length, 0);
  });

  it('does not create a second tunnel for a retransmitted SCCRQ', () => {
    const sim = pair({}, {}, { dup: 1 });
    sim.lac.engine.connect(sim.now, LNS);
    sim.run(5_000);
    assert.equal(sim.lns.engine.tunnelCount, 1);
    assert.equal(of(sim.lns, 'tunnel-up').length, 1);
  });

  it('tears the tunnel down on an unknown mandatory AVP with StopCCN result 2 error 8', () => {
    const sim = pair();
    const tid = sim.lac.engine.connect(sim.now, LNS)!;
    sim.run(5_000);
    const lnsTid = of(sim.lns, 'tunnel-up')[0]!.tunnelId;
    // A HELLO from the "LAC" with an unknown mandatory AVP, Ns = 2 (SCCRQ=0, SCCCN=1).
    const bytes = encodeControl({ tunnelId: lnsTid, sessionId: 0, type: MessageType.HELLO, avps: {} }, {});
    const withAvp = new Uint8Array(bytes.length + 6);
    withAvp.set(bytes);
    withAvp.set([0x80, 0x06, 0x00, 0x00, 0x00, 0x63], bytes.length); // M=1, len 6, vendor 0, type 99
    withAvp[2] = 0;
    withAvp[3] = withAvp.length;
    withAvp[9] = 2;
    withAvp[11] = 1;
    sim.lns.engine.handleDatagram(sim.now, LAC, withAvp);
    sim.run(sim.now + 3_000);
    const d = of(sim.lns, 'tunnel-down')[0]!;
    assert.equal(d.code, 'unknown-mandatory-avp');
    assert.equal(d.result?.result, 2);
    assert.equal(d.result?.error, 8);
    assert.equal(of(sim.lac, 'tunnel-down')[0]?.result?.error, 8);
    void tid;
  });

  it('counts and survives garbage, wrong peers and unknown tunnels without throwing', () => {
    const sim = pair();
    const tid = sim.lac.engine.connect(sim.now, LNS)!;
    sim.lac.engine.openSession(sim.now, tid);
    sim.run(5_000);
    const lnsTid = of(sim.lns, 'tunnel-up')[0]!.tunnelId;
    const e = sim.lns.engine;
    e.handleDatagram(sim.now, LAC, new Uint8Array(0));
    e.handleDatagram(sim.now, LAC, Uint8Array.of(0xc8, 0x03, 0, 12, 0, 9, 0, 0, 0, 0, 0, 0)); // version 3
    e.handleDatagram(sim.now, LAC, Uint8Array.of(0x40, 0x02, 0, 10, 0x12, 0x34, 0, 1, 1, 2)); // data, unknown tunnel
    e.handleDatagram(sim.now, { ip: '10.9.9.9', port: 1701 }, Uint8Array.of(0xc8, 0x02, 0, 12, lnsTid >> 8, lnsTid & 0xff, 0, 0, 0, 0, 0, 0));
    assert.ok(e.stats.malformed >= 2);
    assert.ok(e.stats.unknownTunnel >= 1);
    assert.equal(e.stats.wrongPeer, 1);
    sim.run(sim.now + 1_000);
    assert.equal(of(sim.lns, 'tunnel-down').length, 0);
  });

  it('never throws and never grows without bound on random and mutated datagrams', () => {
    const sim = pair();
    const tid = sim.lac.engine.connect(sim.now, LNS)!;
    sim.lac.engine.openSession(sim.now, tid);
    sim.run(5_000);
    const lnsTid = of(sim.lns, 'tunnel-up')[0]!.tunnelId;
    const seedMsg = encodeControl({ tunnelId: lnsTid, sessionId: 0, type: MessageType.HELLO, avps: {} }, {});
    const sccrq = encodeControl(
      { tunnelId: 0, sessionId: 0, type: MessageType.SCCRQ, avps: { protocolVersion: { version: 1, revision: 0 }, hostName: 'x', framingCapabilities: 3, assignedTunnelId: 7 } },
      {},
    );
    const e = sim.lns.engine;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc.tuple(fc.constantFrom(seedMsg, sccrq), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 })).map(([base, muts]) => {
            const b = base.slice();
            for (const [i, v] of muts) b[i % b.length] = v;
            return b;
          }),
        ),
        fc.integer({ min: 1, max: 65535 }),
        (bytes, port) => {
          sim.now += 10;
          e.handleDatagram(sim.now, { ip: LAC.ip, port }, bytes);
          e.handleTimeout(sim.now);
          while (e.pollTransmit());
          while (e.pollEvent());
        },
      ),
      { numRuns: 3000, seed: 42 },
    );
    assert.ok(e.tunnelCount <= e.config.maxTunnels);
    assert.ok(e.tunnelCount < 3100);
  });

  it('answers real SCCRQs from the captures (xl2tpd, SoftEther clients) with an SCCRP', () => {
    const dir = dirname(vectorPath('xl2tpd-noauth-session.pcap'));
    let answered = 0;
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.pcap'))) {
      for (const d of readUdpDatagrams(readFileSync(`${dir}/${name}`))) {
        const m = decodeControl(d.payload, {});
        if (!m.ok || m.message.type !== MessageType.SCCRQ) continue;
        const lns = node(LNS, { secretFor: () => utf8('tunnelsecret') }, 3);
        lns.engine.handleDatagram(0, { ip: d.srcAddr, port: d.srcPort }, d.payload);
        const t = lns.engine.pollTransmit();
        assert.ok(t, `${name} frame ${d.frame}: no answer`);
        const reply = decodeControl(t.bytes, { secret: utf8('tunnelsecret') });
        assert.ok(reply.ok);
        assert.equal(reply.message.type, MessageType.SCCRP, `${name} frame ${d.frame}`);
        assert.equal(reply.message.tunnelId, m.message.avps.assignedTunnelId);
        answered++;
      }
    }
    assert.ok(answered >= 3, `answered ${answered} SCCRQs`);
  });

  it('survives mutated datagrams seeded from the real captures (bounded fuzz)', () => {
    const dir = dirname(vectorPath('xl2tpd-noauth-session.pcap'));
    const seeds: Uint8Array[] = [];
    for (const name of readdirSync(dir).filter((n) => n.endsWith('.pcap'))) {
      for (const d of readUdpDatagrams(readFileSync(`${dir}/${name}`))) seeds.push(d.payload);
    }
    assert.ok(seeds.length > 100);
    const lns = node(LNS, { secretFor: () => utf8('tunnelsecret'), maxTunnels: 200 }, 4);
    const e = lns.engine;
    let now = 0;
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: seeds.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.integer({ min: -8, max: 8 }),
        (i, muts, cut) => {
          let b = seeds[i]!.slice();
          for (const [at, v] of muts) b[at % b.length] = v;
          if (cut < 0) b = b.subarray(0, Math.max(0, b.length + cut));
          now += 50;
          e.handleDatagram(now, { ip: '198.51.100.7', port: 1701 + (i % 4) }, b);
          e.handleTimeout(now);
          while (e.pollTransmit());
          while (e.pollEvent());
        },
      ),
      { numRuns: 5000, seed: 2661 },
    );
    assert.ok(e.tunnelCount <= 200);
    // every half-open tunnel is eventually released: run the clock forward
    for (let k = 0; k < 200; k++) {
      now += 5_000;
      e.handleTimeout(now);
      while (e.pollTransmit());
      while (e.pollEvent());
    }
    assert.equal(e.tunnelCount, 0);
  });
});
