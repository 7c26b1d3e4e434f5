/**
 * Bad input: handleFrame never throws on arbitrary bytes, in any phase, and answers RFC-correctly:
 * Code-Reject for unknown codes, Protocol-Reject for unknown protocols (LCP Opened only), silent
 * discard of malformed packets (RFC 1661 sections 5, 5.6, 5.7).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { hex } from '../core/bytes.js';
import { nullLogger } from '../core/log.js';
import { SeededRandom } from '../core/random.js';
import { ControlCode, PppProtocol, decodeControl, decodeFrame, encodeControl, encodeFrame } from '../wire/ppp/frame.js';
import { PppLink, type PppLinkConfig } from './link.js';

const CONFIG: PppLinkConfig = {
  role: 'server',
  mru: 1450,
  mtu: 1450,
  authentication: ['pap'],
  keepaliveTimeoutS: 30,
  usePeerDns: false,
  ipv6: true,
  multilink: false,
};

function drain(link: PppLink): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let f = link.pollTransmit(); f && out.length < 1000; f = link.pollTransmit()) out.push(f);
  for (let e = link.pollEvent(), i = 0; e && i < 1000; e = link.pollEvent(), i++);
  return out;
}

/** A server link with LCP Opened (in the Authenticate phase). */
function opened(seed: number): PppLink {
  const link = new PppLink(CONFIG, { random: new SeededRandom(seed), logger: nullLogger });
  link.lowerUp(0);
  const [req] = drain(link);
  const f = decodeFrame(req!);
  assert.ok(f.ok);
  const c = decodeControl(f.value.information);
  assert.ok(c.ok);
  link.handleFrame(1, encodeFrame(PppProtocol.LCP, encodeControl({ code: ControlCode.ConfigureRequest, id: 1, data: Uint8Array.of(1, 4, 5, 0x78) })));
  link.handleFrame(1, encodeFrame(PppProtocol.LCP, encodeControl({ code: ControlCode.ConfigureAck, id: c.value.id, data: c.value.data })));
  assert.equal(link.state.lcp, 'Opened');
  drain(link);
  return link;
}

const KNOWN = new Set<number>([
  PppProtocol.LCP,
  PppProtocol.PAP,
  PppProtocol.CHAP,
  PppProtocol.IPCP,
  PppProtocol.IPV6CP,
  PppProtocol.IPV4,
  PppProtocol.IPV6,
]);

test('property: handleFrame never throws; every frame we send is well-formed', () => {
  fc.assert(
    fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), fc.integer({ min: 0, max: 3 }), (frames, start) => {
      const link = start === 0 ? new PppLink(CONFIG, { random: new SeededRandom(1), logger: nullLogger }) : opened(start);
      if (start === 0) link.lowerUp(0);
      let now = 10;
      for (const f of frames) {
        link.handleFrame(now, f);
        // Prefix with FF 03 and a known protocol half of the time to reach deeper code.
        link.handleFrame(now, encodeFrame(PppProtocol.LCP, f));
        link.handleFrame(now, encodeFrame(PppProtocol.IPCP, f));
        now += 1000;
        link.handleTimeout(now);
        for (const out of drain(link)) {
          const d = decodeFrame(out);
          assert.ok(d.ok);
          assert.equal(out[0], 0xff);
          if (d.value.protocol === PppProtocol.LCP || d.value.protocol === PppProtocol.IPCP) assert.ok(decodeControl(d.value.information).ok);
        }
      }
    }),
    { numRuns: 300 },
  );
});

test('property: unknown LCP codes get exactly one Code-Reject carrying the packet', () => {
  fc.assert(
    fc.property(fc.integer({ min: 14, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 40 }), (code, id, data) => {
      const link = opened(5);
      const pkt = encodeControl({ code, id, data });
      link.handleFrame(2, encodeFrame(PppProtocol.LCP, pkt));
      const out = drain(link);
      assert.equal(out.length, 1);
      const f = decodeFrame(out[0]!);
      assert.ok(f.ok && f.value.protocol === PppProtocol.LCP);
      const c = decodeControl(f.value.information);
      assert.ok(c.ok);
      assert.equal(c.value.code, ControlCode.CodeReject);
      assert.equal(hex(c.value.data), hex(pkt));
      assert.equal(link.state.lcp, 'Opened');
    }),
    { numRuns: 200 },
  );
});

test('property: unknown protocols get exactly one Protocol-Reject naming them (LCP Opened)', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ maxLength: 40 }), (raw, info) => {
      // A 2-octet protocol field whose first octet is even (odd would read as PFC-compressed).
      const protocol = raw & 0xfeff;
      fc.pre(!KNOWN.has(protocol));
      const link = opened(6);
      link.handleFrame(2, encodeFrame(protocol, info));
      const out = drain(link);
      assert.equal(out.length, 1);
      const f = decodeFrame(out[0]!);
      assert.ok(f.ok && f.value.protocol === PppProtocol.LCP);
      const c = decodeControl(f.value.information);
      assert.ok(c.ok);
      assert.equal(c.value.code, ControlCode.ProtocolReject);
      assert.equal(hex(c.value.data), hex(Uint8Array.of(protocol >> 8, protocol & 0xff)) + hex(info));
    }),
    { numRuns: 300 },
  );
});

test('property: malformed LCP packets (Length lies, options overflow) are silently discarded', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 13 }), fc.uint8Array({ maxLength: 30 }), fc.integer({ min: 1, max: 200 }), (code, data, extra) => {
      const link = opened(7);
      const pkt = encodeControl({ code, id: 9, data });
      const lying = pkt.slice();
      const len = pkt.length + extra;
      lying[2] = len >> 8;
      lying[3] = len & 0xff;
      link.handleFrame(2, encodeFrame(PppProtocol.LCP, lying));
      const short = pkt.slice();
      short[2] = 0;
      short[3] = 3;
      link.handleFrame(2, encodeFrame(PppProtocol.LCP, short));
      // A Configure-Request whose last option runs past the end.
      link.handleFrame(2, encodeFrame(PppProtocol.LCP, encodeControl({ code: ControlCode.ConfigureRequest, id: 3, data: Uint8Array.of(1, 4, 5) })));
      assert.deepEqual(drain(link), []);
      assert.equal(link.state.lcp, 'Opened');
    }),
    { numRuns: 200 },
  );
});
