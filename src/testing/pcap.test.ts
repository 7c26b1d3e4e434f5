import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { hex } from '../core/bytes.js';
import { LinkType, readCapture, readUdpDatagrams, udpOf, vectorPath } from './pcap.js';


test('pcapng capture: every frame read, UDP payloads extracted with addresses', () => {
  const file = readFileSync(vectorPath('softether-sccrq.pcap'));
  const packets = readCapture(file);
  assert.equal(packets.length, 8);
  assert.ok(packets.every((p) => p.linkType === LinkType.Ethernet));
  const udp = readUdpDatagrams(file);
  assert.equal(udp.length, 8);
  const first = udp[0]!;
  assert.deepEqual(
    { frame: first.frame, src: first.srcAddr, sport: first.srcPort, dst: first.dstAddr, dport: first.dstPort },
    { frame: 1, src: '10.99.0.2', sport: 1701, dst: '10.99.0.1', dport: 1701 },
  );
  // L2TP control header of the SCCRQ: T L S Ver=2, Tunnel 0, Session 0, Ns 0, Nr 0.
  assert.equal(hex(first.payload.subarray(0, 2)), 'c802');
});

function classicPcap(linkType: number, frames: Uint8Array[], littleEndian = true): Uint8Array {
  const parts: number[] = [];
  const u32 = (v: number) => {
    const b = [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
    parts.push(...(littleEndian ? b.reverse() : b));
  };
  const u16 = (v: number) => {
    const b = [(v >>> 8) & 0xff, v & 0xff];
    parts.push(...(littleEndian ? b.reverse() : b));
  };
  u32(0xa1b2c3d4);
  u16(2);
  u16(4);
  u32(0);
  u32(0);
  u32(65535);
  u32(linkType);
  for (const f of frames) {
    u32(0);
    u32(0);
    u32(f.length);
    u32(f.length);
    parts.push(...f);
  }
  return Uint8Array.from(parts);
}

function ipv4Udp(payload: Uint8Array): Uint8Array {
  const ip = [0x45, 0, 0, 20 + 8 + payload.length, 0, 0, 0, 0, 64, 17, 0, 0, 192, 0, 2, 1, 192, 0, 2, 2];
  const udp = [0x06, 0xa5, 0x06, 0xa6, 0, 8 + payload.length, 0, 0];
  return Uint8Array.from([...ip, ...udp, ...payload]);
}

test('classic pcap in both byte orders, with Ethernet+VLAN, SLL, SLL2 and raw IP', () => {
  const payload = Uint8Array.of(1, 2, 3);
  const ip = ipv4Udp(payload);
  const eth = Uint8Array.from([...new Array<number>(12).fill(0), 0x81, 0x00, 0, 5, 0x08, 0x00, ...ip]);
  const sll = Uint8Array.from([0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00, ...ip]);
  const sll2 = Uint8Array.from([0x08, 0x00, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, ...ip]);
  const cases: Array<[number, Uint8Array]> = [
    [LinkType.Ethernet, eth],
    [LinkType.LinuxSll, sll],
    [LinkType.LinuxSll2, sll2],
    [LinkType.Raw, ip],
    [LinkType.Ipv4, ip],
  ];
  for (const le of [true, false]) {
    for (const [lt, frame] of cases) {
      const udp = readUdpDatagrams(classicPcap(lt, [frame, Uint8Array.of(0xff)], le));
      assert.equal(udp.length, 1, `link type ${lt}`);
      assert.deepEqual(
        { src: udp[0]!.srcAddr, sport: udp[0]!.srcPort, dst: udp[0]!.dstAddr, dport: udp[0]!.dstPort, payload: [...udp[0]!.payload] },
        { src: '192.0.2.1', sport: 1701, dst: '192.0.2.2', dport: 1702, payload: [1, 2, 3] },
      );
    }
  }
});

test('non-UDP and unknown link types are skipped; a non-capture file throws', () => {
  const tcp = ipv4Udp(Uint8Array.of(1));
  tcp[9] = 6;
  assert.equal(udpOf({ frame: 1, linkType: LinkType.Raw, data: tcp }), undefined);
  assert.equal(udpOf({ frame: 1, linkType: 999, data: ipv4Udp(Uint8Array.of(1)) }), undefined);
  assert.throws(() => readCapture(new Uint8Array(40)));
});
