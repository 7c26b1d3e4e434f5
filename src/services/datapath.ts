/**
 * The data-plane fast path between TUN packets and L2TP data messages. I/O-free: bytes in,
 * bytes out, `now` passed in; the daemon owns the sockets and the TUN devices.
 *
 * Outbound (TUN -> peer), `encapsulate`: an IPv4/IPv6 packet read from a session's TUN becomes
 *
 *   +---------------------------+-------+----------+------------------+
 *   | L2TP data header, 8 bytes | FF 03 | Protocol | IP packet        |
 *   | T=0 L=1 Ver=2, Length,    |       | 0x0021 / |                  |
 *   | peer Tunnel ID, Session ID|       | 0x0057   |                  |
 *   +---------------------------+-------+----------+------------------+
 *
 *   - RFC 2661 section 5.1 (PPP frame without HDLC flag/FCS) and 3.1 (header). The L bit is set
 *     and no Ns/Nr are sent, as RouterOS and SoftEther do on the wire (see captures/); the data
 *     channel is unsequenced unless the peer asks for sequencing, which neither does.
 *   - FF 03 and the 2-octet Protocol are always sent (RFC 1661 6.5/6.6 allow compression, never
 *     oblige it; ppp/link.ts makes the same choice).
 *   - Packets larger than the session MTU are dropped and counted, not fragmented: the TUN MTU is
 *     the tunnel MTU, so the kernel already fragments or sends ICMP "packet too big" before a
 *     packet gets here; anything larger is a misconfiguration.
 *
 * Inbound (peer -> TUN), `decapsulate`: the PPP frame of an L2TP data message (the caller has
 * decoded the L2TP header with wire/l2tp/header.ts and found the session). FF 03 may be present or
 * absent (ACFC), the Protocol 1 or 2 octets (PFC, RFC 1661 6.5: an odd first octet is a 1-octet
 * field). IPv4 / IPv6 come back as a view over the caller's buffer, trimmed to the IP Total
 * Length; every other protocol (LCP, PAP/CHAP/EAP, IPCP/IPV6CP/CCP, and 0x00fd compressed
 * datagrams, which the MPPE channel will decrypt) is `control`: the caller hands the frame to the
 * session's PppLink, which also Protocol-Rejects what it does not know.
 *
 * TCP MSS clamping (RouterOS `change-tcp-mss`, RFC 6691): when the route has `mss`, SYN and
 * SYN-ACK segments are clamped in both directions, in place (IPv4 to `mss`, IPv6 to `mss - 20`
 * since `mss` is MTU - 40 and IPv6 needs MTU - 60); see wire/ip.ts.
 *
 * Rate limiting (issue 6): each session has an optional `DataRateLimiter` per direction, asked
 * `admit(now, bytes)` once per packet before the packet is counted as sent/received (policing:
 * refused = dropped). Outbound may instead have a `DataShaper` (services/rate-limit.ts), offered
 * each packet after the MSS clamp: 'send' goes out now, 'queued' was copied into the shaper's ring
 * (nothing sent, nothing dropped), 'drop' is counted. Sessions with packets waiting are kept in a
 * backlog; the owner asks `nextShapedRelease()` for its timeout and then `releaseShaped(now, ...)`
 * writes each released packet, counted as sent then, into a buffer it provides.
 *
 * Invariants / performance:
 * - No allocation per packet in steady state: the L2TP+PPP header is prebuilt per session at
 *   `register` and copied (12 bytes) in front of each packet; counters are plain number fields;
 *   `decapsulate` returns one of a few result objects owned by this DataPath and reused, so a
 *   result is VALID ONLY UNTIL THE NEXT CALL (copy the fields out if kept). The only per-packet
 *   object is the `packet` subarray of an inbound IP packet (the brief's contract); a batch writer
 *   that wants none can use `offset`/`length` instead.
 * - Never throws on wire input; every dropped packet is counted with a reason.
 * - `encapsulate` may rewrite the MSS option of the caller's `ipPacket` in place (clamping
 *   before the copy avoids a second view of the output buffer).
 *
 * Call order: `register(key, route)` when the session's NCP opens (and again if the route
 * changes), then any number of `encapsulate` / `encapsulateInPlace` / `decapsulate`;
 * `unregister(key)` when the session goes down. Keepalive: the driver passes
 * `counters(key).lastRx` to `PppLink.noteReceived` before asking the link for timeouts, so data
 * traffic keeps LCP echoes quiet without a per-packet call into the PPP engine.
 */
import type { Instant } from '../core/time.js';
import { clampMss, ipv4HeaderError, ipv4TotalLength, ipv6HeaderError, ipv6TotalLength } from '../wire/ip.js';
import { HeaderFlag } from '../wire/l2tp/header.js';
import { L2TP_VERSION } from '../wire/l2tp/constants.js';
import { PPP_ADDRESS, PPP_CONTROL, PppProtocol } from '../wire/ppp/frame.js';

/** Bytes of the L2TP data header we send: flags, Length, Tunnel ID, Session ID (RFC 2661 3.1). */
export const DATA_HEADER_LENGTH = 8;
/** Bytes of the PPP header we send: FF 03 and a 2-octet Protocol. */
export const PPP_HEADER_LENGTH = 4;
/** Everything `encapsulate` puts in front of the IP packet. */
export const ENCAPSULATION_OVERHEAD = DATA_HEADER_LENGTH + PPP_HEADER_LENGTH;
/** IPv6 needs 20 bytes more header than IPv4 for the same segment size (RFC 6691). */
const IPV6_MSS_DELTA = 20;

export interface DataPeer {
  readonly ip: string;
  readonly port: number;
}

export interface DataRoute {
  /** Where the L2TP data messages go. */
  readonly peer: DataPeer;
  /** Which local UDP socket sends them (the engine's socket id). */
  readonly via: number;
  readonly peerTunnelId: number;
  readonly peerSessionId: number;
  /** Largest IP packet carried: min(max-mtu, peer's MRU). */
  readonly mtu: number;
  /** IPv4 MSS to clamp SYNs to (RouterOS change-tcp-mss: MTU - 40); undefined: no clamping. */
  readonly mss: number | undefined;
}

/** Per-session counters, for `/interface print stats`, `/ppp active print stats` and idle-time. */
export interface DataCounters {
  /** IP packets and bytes (IP length) sent into the tunnel. */
  txPackets: number;
  txBytes: number;
  /** Outbound packets dropped (oversize, not IP, no room, rate limit). */
  txDrops: number;
  /** IP packets and bytes received from the tunnel and handed out for the TUN. */
  rxPackets: number;
  rxBytes: number;
  /** Inbound frames dropped (bad frame, bad IP header, rate limit). */
  rxDrops: number;
  /** PPP control frames (LCP, auth, NCP, CCP, compressed) passed to the PPP link. */
  rxControl: number;
  /** SYN / SYN-ACK segments whose MSS was lowered, both directions. */
  mssClamped: number;
  /** Last time any frame (data or control) came from the peer: keepalive input. */
  lastRx: Instant | undefined;
  /** Last time an IP packet was sent or received: idle-time / idle-timeout input. */
  lastActivity: Instant | undefined;
  /** Last drop reason, for diagnostics. */
  lastDrop: DropReason | undefined;
}

export type DropReason =
  | 'unknown-session'
  | 'oversize'
  | 'not-ip'
  | 'bad-ip-header'
  | 'bad-frame'
  | 'no-room'
  | 'rate-limit';

/** Hook for per-session rate limiting (issue 6): a token bucket answers whether a packet may pass. */
export interface DataRateLimiter {
  admit(now: Instant, bytes: number): boolean;
}

/** What a shaper did with an offered packet. */
export type ShaperVerdict = 'send' | 'queued' | 'drop';

/** Outbound shaping (issue 6): a bounded FIFO the data path drains when tokens allow. */
export interface DataShaper {
  /** Packets waiting. */
  readonly queued: number;
  /** 'send' (tokens taken), 'queued' (the packet was copied: the caller's bytes may be reused), 'drop'. */
  offer(now: Instant, packet: Uint8Array): ShaperVerdict;
  /** The head packet's length with its tokens taken, or 0 when it must still wait (or none). */
  releasable(now: Instant): number;
  /** Copies the head packet to `out[offset..]`, removes it, returns its length. */
  popInto(out: Uint8Array, offset: number): number;
  /** When the head packet may go; undefined when nothing waits. */
  nextRelease(): Instant | undefined;
}

/** The limiters installed on a session. */
export interface SessionRateLimiters {
  readonly rx?: DataRateLimiter | undefined;
  readonly tx?: DataRateLimiter | undefined;
  readonly txShaper?: DataShaper | undefined;
}

export interface DecapsulatedIp {
  readonly kind: 'ipv4' | 'ipv6';
  /** The IP packet: a view over the caller's payload buffer, trimmed to the IP Total Length. */
  readonly packet: Uint8Array;
  /** Where the IP packet starts inside `payload` (payload-relative), and its length. */
  readonly offset: number;
  readonly length: number;
}
export interface DecapsulatedControl {
  readonly kind: 'control';
  /** PPP Protocol field value of the frame (0xc021 LCP, 0x00fd compressed, ...). */
  readonly protocol: number;
}
export interface DecapsulatedDrop {
  readonly kind: 'drop';
  readonly reason: DropReason;
}
/** Result of `decapsulate`. The object is reused: valid only until the next call. */
export type Decapsulated = DecapsulatedIp | DecapsulatedControl | DecapsulatedDrop;

interface MutableIp {
  kind: 'ipv4' | 'ipv6';
  packet: Uint8Array;
  offset: number;
  length: number;
}

interface Session {
  route: DataRoute;
  /** Prebuilt L2TP data header + FF 03, Length field left 0 (written per packet). */
  readonly header: Uint8Array;
  readonly counters: DataCounters;
  txLimiter: DataRateLimiter | undefined;
  rxLimiter: DataRateLimiter | undefined;
  txShaper: DataShaper | undefined;
}

/** Counters of traffic for no registered session. */
export interface DataPathTotals {
  unknownSessionTx: number;
  unknownSessionRx: number;
}

function freshCounters(): DataCounters {
  return {
    txPackets: 0,
    txBytes: 0,
    txDrops: 0,
    rxPackets: 0,
    rxBytes: 0,
    rxDrops: 0,
    rxControl: 0,
    mssClamped: 0,
    lastRx: undefined,
    lastActivity: undefined,
    lastDrop: undefined,
  };
}

function buildHeader(route: DataRoute): Uint8Array {
  const h = new Uint8Array(ENCAPSULATION_OVERHEAD);
  const flags = HeaderFlag.Length | L2TP_VERSION; // T=0 (data), L=1, S=0, O=0, P=0
  h[0] = flags >>> 8;
  h[1] = flags & 0xff;
  // h[2], h[3]: Length, per packet.
  h[4] = (route.peerTunnelId >>> 8) & 0xff;
  h[5] = route.peerTunnelId & 0xff;
  h[6] = (route.peerSessionId >>> 8) & 0xff;
  h[7] = route.peerSessionId & 0xff;
  h[8] = PPP_ADDRESS;
  h[9] = PPP_CONTROL;
  // h[10], h[11]: PPP Protocol, per packet.
  return h;
}

export class DataPath<K = number> {
  private readonly sessions = new Map<K, Session>();
  /** Sessions whose shaper holds packets. */
  private readonly backlog = new Set<Session>();
  readonly totals: DataPathTotals = { unknownSessionTx: 0, unknownSessionRx: 0 };
  // Reused results of decapsulate (see the module header).
  private readonly ipResult: MutableIp = { kind: 'ipv4', packet: new Uint8Array(0), offset: 0, length: 0 };
  private readonly controlResult: { kind: 'control'; protocol: number } = { kind: 'control', protocol: 0 };
  private readonly dropResults: { readonly [R in DropReason]: DecapsulatedDrop } = {
    'unknown-session': { kind: 'drop', reason: 'unknown-session' },
    oversize: { kind: 'drop', reason: 'oversize' },
    'not-ip': { kind: 'drop', reason: 'not-ip' },
    'bad-ip-header': { kind: 'drop', reason: 'bad-ip-header' },
    'bad-frame': { kind: 'drop', reason: 'bad-frame' },
    'no-room': { kind: 'drop', reason: 'no-room' },
    'rate-limit': { kind: 'drop', reason: 'rate-limit' },
  };

  /** Adds a session's route, or replaces it (counters and limiters are kept). */
  register(key: K, route: DataRoute): void {
    const existing = this.sessions.get(key);
    if (existing) {
      existing.route = route;
      existing.header.set(buildHeader(route));
      return;
    }
    this.sessions.set(key, { route, header: buildHeader(route), counters: freshCounters(), txLimiter: undefined, rxLimiter: undefined, txShaper: undefined });
  }

  /** Forgets a session; returns its final counters (for accounting), or undefined if unknown. */
  unregister(key: K): Readonly<DataCounters> | undefined {
    const s = this.sessions.get(key);
    if (!s) return undefined;
    this.sessions.delete(key);
    this.backlog.delete(s); // waiting packets die with the session
    return s.counters;
  }

  has(key: K): boolean {
    return this.sessions.has(key);
  }

  route(key: K): DataRoute | undefined {
    return this.sessions.get(key)?.route;
  }

  /** Live counters of a session (the same object keeps counting), or undefined. */
  counters(key: K): Readonly<DataCounters> | undefined {
    return this.sessions.get(key)?.counters;
  }

  keys(): IterableIterator<K> {
    return this.sessions.keys();
  }

  /**
   * Installs (or removes, with undefined) the rate limiters of a session. A tx shaper that is
   * replaced drops what it held; keep the same shaper object to keep its queue.
   */
  setRateLimiters(key: K, limiters: SessionRateLimiters): boolean {
    const s = this.sessions.get(key);
    if (!s) return false;
    s.txLimiter = limiters.tx;
    s.rxLimiter = limiters.rx;
    s.txShaper = limiters.txShaper;
    if (s.txShaper === undefined || s.txShaper.queued === 0) this.backlog.delete(s);
    else this.backlog.add(s);
    return true;
  }

  /** The limiters of a session (undefined when there is no such session). */
  rateLimiters(key: K): SessionRateLimiters | undefined {
    const s = this.sessions.get(key);
    return s ? { rx: s.rxLimiter, tx: s.txLimiter, txShaper: s.txShaper } : undefined;
  }

  /** The earliest time a shaped packet may leave; undefined when none waits. */
  nextShapedRelease(): Instant | undefined {
    let min: Instant | undefined;
    for (const s of this.backlog) {
      const t = s.txShaper?.nextRelease();
      if (t !== undefined && (min === undefined || t < min)) min = t;
    }
    return min;
  }

  /**
   * Sends what the shapers let go by `now`: each released packet is encapsulated into
   * `alloc(length)` (exactly the datagram's length) and handed to `emit` with the session's
   * route. Bounded by the packets queued.
   */
  releaseShaped(now: Instant, alloc: (length: number) => Uint8Array, emit: (route: DataRoute, datagram: Uint8Array) => void): void {
    for (const s of this.backlog) {
      const shaper = s.txShaper;
      if (shaper === undefined) {
        this.backlog.delete(s);
        continue;
      }
      for (let n = shaper.releasable(now); n > 0; n = shaper.releasable(now)) {
        const total = ENCAPSULATION_OVERHEAD + n;
        const out = alloc(total);
        shaper.popInto(out, ENCAPSULATION_OVERHEAD);
        out.set(s.header, 0);
        out[2] = total >>> 8;
        out[3] = total & 0xff;
        const protocol = out[ENCAPSULATION_OVERHEAD]! >>> 4 === 6 ? PppProtocol.IPV6 : PppProtocol.IPV4;
        out[10] = protocol >>> 8;
        out[11] = protocol & 0xff;
        const c = s.counters;
        c.txPackets++;
        c.txBytes += n;
        c.lastActivity = now;
        emit(s.route, out);
      }
      if (shaper.queued === 0) this.backlog.delete(s);
    }
  }

  /**
   * Writes the L2TP data message carrying `ipPacket` into `out` at offset 0 and returns its
   * length, or 0 when nothing is to be sent now: the packet was dropped (counted) or the tx shaper
   * queued a copy (sent later by `releaseShaped`). `ipPacket` may be changed in place (MSS).
   */
  encapsulate(key: K, ipPacket: Uint8Array, out: Uint8Array, now: Instant): number {
    const s = this.sessions.get(key);
    if (s === undefined) {
      this.totals.unknownSessionTx++;
      return 0;
    }
    const n = ipPacket.length;
    const total = ENCAPSULATION_OVERHEAD + n;
    if (out.length < total) return this.txDrop(s, 'no-room');
    const protocol = this.admitTx(s, ipPacket, n, now);
    if (protocol === 0) return 0;
    out.set(s.header, 0);
    out[2] = total >>> 8;
    out[3] = total & 0xff;
    out[10] = protocol >>> 8;
    out[11] = protocol & 0xff;
    out.set(ipPacket, ENCAPSULATION_OVERHEAD);
    return total;
  }

  /**
   * Zero-copy variant: the IP packet sits at `buf[offset .. offset + length)` with at least
   * ENCAPSULATION_OVERHEAD bytes of headroom before it; the headers are written into that
   * headroom. Returns where the L2TP message starts (it ends at offset + length), or -1 when the
   * packet is dropped (counted) or queued by the tx shaper.
   */
  encapsulateInPlace(key: K, buf: Uint8Array, offset: number, length: number, now: Instant): number {
    const s = this.sessions.get(key);
    if (s === undefined) {
      this.totals.unknownSessionTx++;
      return -1;
    }
    const start = offset - ENCAPSULATION_OVERHEAD;
    if (start < 0 || length < 0 || offset + length > buf.length) {
      this.txDrop(s, 'no-room');
      return -1;
    }
    // The packet view is only needed for the MSS clamp and the version check.
    const protocol = this.admitTx(s, buf.subarray(offset, offset + length), length, now);
    if (protocol === 0) return -1;
    const total = ENCAPSULATION_OVERHEAD + length;
    buf.set(s.header, start);
    buf[start + 2] = total >>> 8;
    buf[start + 3] = total & 0xff;
    buf[start + 10] = protocol >>> 8;
    buf[start + 11] = protocol & 0xff;
    return start;
  }

  /** Checks, clamps, rate-limits and counts an outbound packet; its PPP protocol, or 0 if dropped. */
  private admitTx(s: Session, ipPacket: Uint8Array, n: number, now: Instant): number {
    if (n > s.route.mtu) return this.txDrop(s, 'oversize');
    const version = n === 0 ? 0 : ipPacket[0]! >>> 4;
    let protocol: number;
    if (version === 4) protocol = PppProtocol.IPV4;
    else if (version === 6) protocol = PppProtocol.IPV6;
    else return this.txDrop(s, 'not-ip');
    if (s.txLimiter !== undefined && !s.txLimiter.admit(now, n)) return this.txDrop(s, 'rate-limit');
    const mss = s.route.mss;
    if (mss !== undefined && clampMss(ipPacket, version === 4 ? mss : mss - IPV6_MSS_DELTA)) s.counters.mssClamped++;
    if (s.txShaper !== undefined) {
      // After the clamp: a queued copy must already carry the clamped MSS.
      const verdict = s.txShaper.offer(now, ipPacket);
      if (verdict === 'drop') return this.txDrop(s, 'rate-limit');
      if (verdict === 'queued') {
        this.backlog.add(s);
        return 0; // not sent now, not dropped: releaseShaped sends and counts it
      }
    }
    const c = s.counters;
    c.txPackets++;
    c.txBytes += n;
    c.lastActivity = now;
    return protocol;
  }

  private txDrop(s: Session, reason: DropReason): 0 {
    s.counters.txDrops++;
    s.counters.lastDrop = reason;
    return 0;
  }

  /**
   * Classifies the PPP frame of an L2TP data message for session `key`. IP packets come back as a
   * view (MSS-clamped in place when configured); everything else is `control` (give the frame to
   * the PPP link) or `drop` (counted). The result object is reused: valid until the next call.
   */
  decapsulate(key: K, payload: Uint8Array, now: Instant): Decapsulated {
    const s = this.sessions.get(key);
    let off = 0;
    const len = payload.length;
    if (len >= 1 && payload[0] === PPP_ADDRESS) {
      if (len < 2 || payload[1] !== PPP_CONTROL) return this.rxDrop(s, 'bad-frame');
      off = 2;
    }
    if (off >= len) return this.rxDrop(s, 'bad-frame');
    let protocol = payload[off]!;
    if ((protocol & 1) === 1) {
      off += 1; // PFC: 1-octet Protocol (RFC 1661 6.5)
    } else {
      if (off + 2 > len) return this.rxDrop(s, 'bad-frame');
      protocol = (protocol << 8) | payload[off + 1]!;
      off += 2;
    }
    if (protocol !== PppProtocol.IPV4 && protocol !== PppProtocol.IPV6) {
      if (s !== undefined) {
        s.counters.rxControl++;
        s.counters.lastRx = now;
      }
      this.controlResult.protocol = protocol;
      return this.controlResult;
    }
    if (s === undefined) {
      this.totals.unknownSessionRx++;
      return this.dropResults['unknown-session'];
    }
    s.counters.lastRx = now; // any frame from the peer proves the link alive (keepalive)
    let ipLength: number;
    if (protocol === PppProtocol.IPV4) {
      // A view is needed for the header checks below; allocated only for IP frames.
      const ip = payload.subarray(off);
      if (ipv4HeaderError(ip) !== undefined) return this.rxDrop(s, 'bad-ip-header');
      ipLength = ipv4TotalLength(ip);
      return this.acceptRx(s, payload, off, ipLength, 'ipv4', ip, now);
    }
    const ip = payload.subarray(off);
    if (ipv6HeaderError(ip) !== undefined) return this.rxDrop(s, 'bad-ip-header');
    ipLength = ipv6TotalLength(ip);
    return this.acceptRx(s, payload, off, ipLength, 'ipv6', ip, now);
  }

  private acceptRx(s: Session, payload: Uint8Array, off: number, ipLength: number, kind: 'ipv4' | 'ipv6', ip: Uint8Array, now: Instant): Decapsulated {
    // No MTU check inbound. RFC 1661 section 6.1: "If smaller packets are requested, an
    // implementation MUST still be able to receive the full 1500 octet information field".
    if (s.rxLimiter !== undefined && !s.rxLimiter.admit(now, ipLength)) return this.rxDrop(s, 'rate-limit');
    // Trailing bytes after the IP Total Length (padding some stacks add) are not part of the packet.
    const packet = ipLength === ip.length ? ip : payload.subarray(off, off + ipLength);
    const mss = s.route.mss;
    if (mss !== undefined && clampMss(packet, kind === 'ipv4' ? mss : mss - IPV6_MSS_DELTA)) s.counters.mssClamped++;
    const c = s.counters;
    c.rxPackets++;
    c.rxBytes += ipLength;
    c.lastActivity = now;
    const r = this.ipResult;
    r.kind = kind;
    r.packet = packet;
    r.offset = off;
    r.length = ipLength;
    return r;
  }

  private rxDrop(s: Session | undefined, reason: DropReason): DecapsulatedDrop {
    if (s !== undefined) {
      s.counters.rxDrops++;
      s.counters.lastDrop = reason;
    }
    return this.dropResults[reason];
  }
}
