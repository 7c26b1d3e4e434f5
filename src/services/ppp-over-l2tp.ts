/**
 * PPP over L2TP: ties the L2TP engine to one PPP link per session, for both roles.
 *
 *  - LNS side: every session the engine establishes (ICCN received) gets a server-role PppLink;
 *    its authentication checks and address requests leave as `auth-check` / `need-addresses`
 *    events, answered with `completeAuth()` / `authorize()` (local secrets answer at once,
 *    RADIUS later; the service never waits).
 *  - LAC side: `dial()` opens a tunnel (or reuses one to the same peer when asked) and a session,
 *    and runs a client-role PppLink with the given credentials.
 *
 * Rate limits (`setRateLimiters`): fast-path sessions keep them in the DataPath; MPPE sessions,
 * whose packets cross the PPP link, keep them here: tx is offered to the session's shaper before
 * encryption (what waits is encrypted when released, so MPPE's coherency count stays in order),
 * rx is policed after decryption. Both paths release shaped packets from `handleTimeout` at the
 * time `nextTimeout` names.
 *
 * When LCP goes down the session is closed with a CDN whose result tells why; when the L2TP
 * session or tunnel goes down the link is told `lowerDown`. Still I/O-free: the daemon drives this
 * object exactly like an engine (handleDatagram / handleTimeout / pollTransmit / pollEvent /
 * nextTimeout).
 */
import type { Logger } from '../core/log.js';
import { prefixLogger } from '../core/log.js';
import type { Random } from '../core/random.js';
import { DeadlineQueue } from '../core/deadlines.js';
import { earliest, type Instant } from '../core/time.js';
import type { AuthCheck, AuthMethod, AuthVerdict } from '../auth/types.js';
import { L2tpEngine } from '../l2tp/engine.js';
import type { Address, L2tpConfig, ResultInfo, SocketKey, Transmit } from '../l2tp/types.js';
import { PppLink, type PppAddressAssignment, type PppLinkConfig, type UseEncryption } from '../ppp/link.js';
import type { MppeModePolicy } from '../ppp/ccp/types.js';
import type { MppeKeyBits } from '../ppp/mppe.js';
import { CdnResult, StopCcnResult } from '../wire/l2tp/constants.js';
import { encodeDataHeader } from '../wire/l2tp/header.js';
import { clampMss } from '../wire/ip.js';
import { isPppControlFrame } from '../wire/ppp/frame.js';
import { DataPath, ENCAPSULATION_OVERHEAD, type DataCounters, type DataRoute, type SessionRateLimiters } from './datapath.js';

/** L2TP data header with the L bit, no sequence numbers (as SoftEther and RouterOS send). */
const L2TP_DATA_HEADER = 8;
/** L2TP header + FF 03 00 FD + MPPE header + 2-octet protocol, before the IP datagram. */
const MPPE_DATAGRAM_OVERHEAD = L2TP_DATA_HEADER + 4 + 2 + 2;

/** Room for one IP packet released by a link-path shaper (larger than any PPP MRU). */
const SHAPED_SCRATCH_BYTES = 65536;

/** Bytes of the slabs outgoing fast-path datagrams are cut from. */
const OUTPUT_SLAB_BYTES = 256 * 1024;

/** A session, named by its tunnel and session id. */
export type SessionKey = number;
export function sessionKey(tunnelId: number, sessionId: number): SessionKey {
  return tunnelId * 0x10000 + sessionId;
}

export interface ClientDialOptions {
  readonly peer: Address;
  readonly via?: SocketKey;
  readonly user: string;
  readonly password: string;
  readonly allow: AuthMethod[];
  readonly mru: number;
  readonly mtu: number;
  readonly keepaliveTimeoutS: number | undefined;
  readonly usePeerDns: boolean;
  readonly ipv6?: boolean;
  /** A name for logs (`l2tp-out1`). */
  readonly name: string;
  /** RouterOS `use-encryption` of the client's profile. */
  readonly encryption?: UseEncryption;
}

export interface ServerPppOptions {
  readonly authentication: AuthMethod[];
  readonly mru: number;
  readonly mtu: number;
  readonly keepaliveTimeoutS: number | undefined;
  readonly ipv6: boolean;
  readonly hostName: string;
  /** Run CCP (MPPE); each user's use-encryption is given at authorize(). */
  readonly encryption?: boolean;
}

export type ServiceEvent =
  | { type: 'tunnel-up'; tunnelId: number; peer: Address; role: 'lac' | 'lns'; peerHostName: string }
  | { type: 'tunnel-down'; tunnelId: number; peer: Address; role: 'lac' | 'lns'; reason: string; code: string }
  | { type: 'session-up'; key: SessionKey; tunnelId: number; sessionId: number; role: 'lac' | 'lns'; peer: Address; callingNumber?: string }
  | { type: 'auth-check'; key: SessionKey; check: AuthCheck; peer: Address }
  | { type: 'authenticated'; key: SessionKey; user: string; method: AuthMethod }
  | { type: 'need-addresses'; key: SessionKey; user: string }
  | { type: 'ipcp-up'; key: SessionKey; local: string; remote: string; dns: string[]; wins: string[] }
  | { type: 'ip-packet'; key: SessionKey; protocol: 'ipv4' | 'ipv6'; packet: Uint8Array }
  | { type: 'session-down'; key: SessionKey; reason: string; code: string; counters?: Readonly<DataCounters> }
  | { type: 'socket-open'; socket: SocketKey }
  | { type: 'socket-close'; socket: SocketKey };

interface LinkEntry {
  readonly key: SessionKey;
  readonly tunnelId: number;
  readonly sessionId: number;
  readonly link: PppLink;
  readonly role: 'lac' | 'lns';
  readonly peer: Address;
  up: boolean;
  /** Why the PPP link went down, when it did. */
  linkDown?: { reason: string; code: string };
  /** Traffic counters at the end (accounting Stop). */
  finalCounters?: Readonly<DataCounters> | undefined;
  /** TCP MSS to clamp to on the link's path; 0 = no clamping; undefined = not decided yet. */
  mss?: number;
  /** MPPE sessions: where their data messages go, with the 8-octet L2TP data header prebuilt. */
  mppeRoute?: { readonly to: Address; readonly via: SocketKey; readonly header: Uint8Array };
  /** Rate limits on the link's path (the fast path keeps its own in the DataPath). */
  limits?: SessionRateLimiters;
}

interface PendingDial {
  readonly tunnelId: number;
  readonly opts: ClientDialOptions;
  sessionId: number | undefined;
}

export class PppOverL2tp {
  readonly l2tp: L2tpEngine;
  private readonly links = new Map<SessionKey, LinkEntry>();
  /** LAC dials by our tunnel id, until their session is up. */
  private readonly dials = new Map<number, PendingDial>();
  private readonly events: ServiceEvent[] = [];
  private eventHead = 0;
  /** Links touched since the last pump: only these are drained (no scan of every session). */
  private readonly dirty = new Set<LinkEntry>();
  /**
   * The data-plane fast path: once a session's IPCP is up (and no MPPE runs on it), IP packets
   * cross between `sendIp` / `ipSink` and L2TP data messages without events or PPP engine calls.
   */
  readonly dataPath = new DataPath<SessionKey>();
  /** Receives IP packets out of sessions directly (the daemon's TUN writer); else `ip-packet` events. */
  ipSink: ((key: SessionKey, protocol: 'ipv4' | 'ipv6', packet: Uint8Array) => void) | undefined;
  /** Sends fast-path datagrams directly (the daemon's sockets); else they join pollTransmit(). */
  dataOut: ((t: Transmit) => void) | undefined;
  private now: Instant = 0;
  /** Counters of sessions on the PPP link's path (MPPE), in the fast path's shape. */
  private readonly linkCounters = new Map<SessionKey, DataCounters>();
  /** Each link's next deadline (keepalive, restart timers): no scan of every session per packet. */
  private readonly deadlines = new DeadlineQueue<LinkEntry>();

  constructor(
    l2tpConfig: Partial<L2tpConfig>,
    private server: ServerPppOptions | undefined,
    private readonly deps: { random: Random; logger: Logger },
  ) {
    this.l2tp = new L2tpEngine(l2tpConfig, {
      random: deps.random,
      logger: deps.logger,
      dataSink: (tunnelId, sessionId, payload) => this.onData(tunnelId, sessionId, payload),
    });
  }

  setServerOptions(server: ServerPppOptions | undefined): void {
    this.server = server;
  }

  /** RouterOS `change-tcp-mss` per session: clamp TCP MSS to the tunnel MTU - 40 (default yes). */
  mssClampFor: (key: SessionKey) => boolean = () => true;

  setAcceptTunnels(accept: boolean): void {
    this.l2tp.setAcceptTunnels(accept);
  }

  // ---------------------------------------------------------------------------------------------
  // Inputs

  /**
   * MPPE mode every new link asks for (CCP, RFC 3078): undefined keeps the links' default ('any':
   * stateless first, as RouterOS and Windows, following a peer that wants stateful). Not a
   * RouterOS setting; the daemon sets it from L2TP_MPPE_MODE (docs/mppe.md).
   */
  mppeMode: MppeModePolicy | undefined;
  /**
   * MPPE key lengths new links accept (undefined: 128, 56 and 40, strongest first). Not a RouterOS
   * setting either (RouterOS offers MPPE128 only); the daemon sets it from L2TP_MPPE_BITS.
   */
  mppeKeyBits: readonly MppeKeyBits[] | undefined;

  private mppeModePolicy(): { mode?: MppeModePolicy; keyBits?: readonly MppeKeyBits[] } {
    return {
      ...(this.mppeMode !== undefined ? { mode: this.mppeMode } : {}),
      ...(this.mppeKeyBits !== undefined ? { keyBits: this.mppeKeyBits } : {}),
    };
  }

  handleDatagram(now: Instant, from: Address, bytes: Uint8Array, via?: SocketKey): void {
    this.now = now;
    this.l2tp.handleDatagram(now, from, bytes, via);
    this.pump(now);
  }

  handleTimeout(now: Instant): void {
    this.l2tp.handleTimeout(now);
    for (const e of this.deadlines.popDue(now)) {
      if (this.links.get(e.key) !== e) continue;
      // Data on the fast path proves the peer alive without a call into PPP per packet.
      const lastRx = this.dataPath.counters(e.key)?.lastRx;
      if (lastRx !== undefined) e.link.noteReceived(lastRx);
      e.link.handleTimeout(now);
      this.dirty.add(e);
    }
    // Rate-limited sessions: packets the tx shaper held back leave when their tokens are there.
    this.dataPath.releaseShaped(now, this.allocShaped, this.emitShaped);
    this.releaseLinkShaped(now);
    this.pump(now);
  }

  nextTimeout(): Instant | undefined {
    let link: Instant | undefined;
    for (const e of this.linkBacklog) link = earliest(link, e.limits?.txShaper?.nextRelease());
    return earliest(this.l2tp.nextTimeout(), this.deadlines.peek(), this.dataPath.nextShapedRelease(), link);
  }

  /**
   * A session's rate limiters (rx policer, tx shaper), wherever its data runs: the DataPath for
   * fast-path sessions, the link's path for MPPE ones. False when there is no such session.
   */
  setRateLimiters(key: SessionKey, limiters: SessionRateLimiters): boolean {
    if (this.dataPath.has(key)) return this.dataPath.setRateLimiters(key, limiters);
    const e = this.links.get(key);
    if (!e) return false;
    e.limits = limiters;
    if (limiters.txShaper !== undefined && limiters.txShaper.queued > 0) this.linkBacklog.add(e);
    else this.linkBacklog.delete(e);
    return true;
  }

  rateLimiters(key: SessionKey): SessionRateLimiters | undefined {
    if (this.dataPath.has(key)) return this.dataPath.rateLimiters(key);
    const e = this.links.get(key);
    return e ? (e.limits ?? {}) : undefined;
  }

  /** Link-path sessions: sends what their tx shapers release by `now` (bounded by the queues). */
  private releaseLinkShaped(now: Instant): void {
    for (const e of this.linkBacklog) {
      const shaper = e.limits?.txShaper;
      if (shaper === undefined || this.links.get(e.key) !== e) {
        this.linkBacklog.delete(e);
        continue;
      }
      for (let n = shaper.releasable(now); n > 0; n = shaper.releasable(now)) {
        shaper.popInto(this.shapedScratch, 0);
        const packet = this.shapedScratch.subarray(0, n);
        this.sendOnLink(now, e, packet, packet[0]! >>> 4 === 6 ? 'ipv6' : 'ipv4', false);
      }
      if (shaper.queued === 0) this.linkBacklog.delete(e);
    }
  }

  private readonly allocShaped = (n: number): Uint8Array => this.takeOutput(n);
  /** Link-path sessions whose tx shaper holds packets. */
  private readonly linkBacklog = new Set<LinkEntry>();
  private readonly shapedScratch = new Uint8Array(SHAPED_SCRATCH_BYTES);
  private readonly emitShaped = (route: DataRoute, bytes: Uint8Array): void => this.sendDatagram({ to: route.peer, via: route.via, bytes });

  pollTransmit(): Transmit | undefined {
    return this.l2tp.pollTransmit();
  }

  pollEvent(): ServiceEvent | undefined {
    if (this.eventHead >= this.events.length) {
      this.events.length = 0;
      this.eventHead = 0;
      return undefined;
    }
    return this.events[this.eventHead++];
  }

  // ---------------------------------------------------------------------------------------------
  // Commands

  /** LAC: connect to an L2TP server and log in. Returns our tunnel id. */
  dial(now: Instant, opts: ClientDialOptions): number | undefined {
    const tunnelId = this.l2tp.connect(now, opts.peer, opts.via);
    if (tunnelId === undefined) return undefined;
    const sessionId = this.l2tp.openSession(now, tunnelId);
    this.dials.set(tunnelId, { tunnelId, opts, sessionId });
    this.pump(now);
    return tunnelId;
  }

  completeAuth(now: Instant, key: SessionKey, verdict: AuthVerdict): void {
    const e = this.links.get(key);
    if (!e) return;
    e.link.completeAuth(now, verdict);
    this.dirty.add(e);
    this.pump(now);
  }

  authorize(now: Instant, key: SessionKey, a: PppAddressAssignment): void {
    const e = this.links.get(key);
    if (!e) return;
    e.link.authorize(now, a);
    this.dirty.add(e);
    this.pump(now);
  }

  /** Disconnect one session: LCP Terminate, then CDN once LCP is down. */
  disconnect(now: Instant, key: SessionKey, reason: string): void {
    const e = this.links.get(key);
    if (!e) return;
    e.link.close(now, reason);
    this.dirty.add(e);
    this.pump(now);
  }

  /** Hang up a LAC tunnel entirely (client disabled). */
  hangUp(now: Instant, tunnelId: number, reason: string): void {
    this.dials.delete(tunnelId);
    this.l2tp.closeTunnel(now, tunnelId, { result: StopCcnResult.ClearConnection, message: reason }, reason);
    this.pump(now);
  }

  sendIp(now: Instant, key: SessionKey, packet: Uint8Array, protocol: 'ipv4' | 'ipv6'): void {
    const route = this.dataPath.route(key);
    if (route) {
      // Fast path. Each datagram gets its own bytes (a socket may still hold the previous ones
      // while the kernel sends), cut from a slab that is never reused: no zeroing, no per-packet
      // allocation; a full slab is left to the garbage collector and a new one started.
      const out = this.takeOutput(packet.length + ENCAPSULATION_OVERHEAD);
      const n = this.dataPath.encapsulate(key, packet, out, now);
      if (n > 0) {
        this.sendDatagram({ to: route.peer, via: route.via, bytes: out.subarray(0, n) });
      }
      return;
    }
    const e = this.links.get(key);
    if (!e) return;
    const limits = e.limits;
    if (limits !== undefined) {
      // The link's path polices / shapes like the fast path (the shaper copies what waits).
      const refused = limits.tx !== undefined && !limits.tx.admit(now, packet.length);
      const verdict = refused ? 'drop' : (limits.txShaper?.offer(now, packet) ?? 'send');
      if (verdict === 'queued') {
        this.linkBacklog.add(e);
        return;
      }
      if (verdict === 'drop') {
        const c = this.linkCountersOf(key);
        c.txDrops++;
        c.lastDrop = 'rate-limit';
        return;
      }
    }
    this.sendOnLink(now, e, packet, protocol, true);
  }

  /** An IP packet into the PPP link (MPPE straight into a datagram, else a frame and a pump). */
  private sendOnLink(now: Instant, e: LinkEntry, packet: Uint8Array, protocol: 'ipv4' | 'ipv6', pumpAfter: boolean): void {
    const c = this.linkCountersOf(e.key);
    c.txPackets++;
    c.txBytes += packet.length;
    c.lastActivity = now;
    this.clampOnLinkPath(e, packet, protocol, c);
    const r = e.mppeRoute;
    if (r) {
      // MPPE data path: L2TP header, then the link encrypts straight into the datagram.
      const out = this.takeOutput(MPPE_DATAGRAM_OVERHEAD + packet.length);
      const n = e.link.encryptIpInto(packet, protocol, out, r.header.length);
      if (n > 0) {
        const total = r.header.length + n;
        out.set(r.header, 0);
        out[2] = total >>> 8;
        out[3] = total & 0xff;
        this.sendDatagram({ to: r.to, via: r.via, bytes: out.subarray(0, total) });
      }
      return;
    }
    e.link.sendIp(packet, protocol);
    this.dirty.add(e);
    if (pumpAfter) this.pump(now);
  }

  shutdown(now: Instant): void {
    this.l2tp.closeAll(now);
    this.pump(now);
  }

  link(key: SessionKey): PppLink | undefined {
    return this.links.get(key)?.link;
  }

  // ---------------------------------------------------------------------------------------------

  private slab = new Uint8Array(OUTPUT_SLAB_BYTES);
  private slabUsed = 0;

  /** A data-path datagram: straight to the sockets when the daemon gave a sink, else queued. */
  private sendDatagram(t: Transmit): void {
    if (this.dataOut) this.dataOut(t);
    else this.l2tp.queueTransmit(t);
  }

  private takeOutput(n: number): Uint8Array {
    if (this.slabUsed + n > this.slab.length) {
      this.slab = new Uint8Array(Math.max(OUTPUT_SLAB_BYTES, n));
      this.slabUsed = 0;
    }
    const out = this.slab.subarray(this.slabUsed, this.slabUsed + n);
    this.slabUsed += n;
    return out;
  }

  /** A PPP frame from an L2TP data message (the engine's data sink). */
  private onData(tunnelId: number, sessionId: number, payload: Uint8Array): void {
    const key = sessionKey(tunnelId, sessionId);
    const e = this.links.get(key);
    if (!e) return;
    if (this.dataPath.has(key)) {
      const r = this.dataPath.decapsulate(key, payload, this.now);
      if (r.kind === 'ipv4' || r.kind === 'ipv6') {
        if (this.ipSink) this.ipSink(key, r.kind, r.packet);
        else this.events.push({ type: 'ip-packet', key, protocol: r.kind, packet: r.packet.slice() });
        return;
      }
      if (r.kind === 'drop') return;
    }
    if (e.mppeRoute && payload.length > 4 && payload[0] === 0xff && payload[1] === 0x03 && payload[2] === 0x00 && payload[3] === 0xfd) {
      const ip = e.link.receiveEncryptedIp(this.now, payload.subarray(4));
      const rx = e.limits?.rx;
      if (ip && rx !== undefined && !rx.admit(this.now, ip.packet.length)) {
        // Decrypted first (MPPE's coherency count must see every packet), then policed.
        const c = this.linkCountersOf(key);
        c.rxDrops++;
        c.lastDrop = 'rate-limit';
      } else if (ip) {
        const c = this.linkCountersOf(key);
        c.rxPackets++;
        c.rxBytes += ip.packet.length;
        c.lastActivity = this.now;
        this.clampOnLinkPath(e, ip.packet, ip.protocol, c);
        if (this.ipSink) this.ipSink(key, ip.protocol, ip.packet);
        else this.events.push({ type: 'ip-packet', key, protocol: ip.protocol, packet: ip.packet.slice() });
      }
      // A lost-sync frame may have queued a CCP Reset-Request.
      this.dirty.add(e);
      return;
    }
    // The payload may be a view of the socket's reused receive buffer (valid during this call
    // only); the PPP engine may keep parts of a control frame, so it gets its own copy.
    e.link.handleFrame(this.now, payload.slice());
    this.dirty.add(e);
  }

  /** Session counters of the fast path (bytes, packets, drops, last activity). */
  counters(key: SessionKey): Readonly<DataCounters> | undefined {
    return this.dataPath.counters(key) ?? this.linkCounters.get(key);
  }

  /** change-tcp-mss on the PPP link's path (MPPE sessions), as the fast path does. */
  private clampOnLinkPath(e: LinkEntry, packet: Uint8Array, protocol: 'ipv4' | 'ipv6', c: DataCounters): void {
    if (e.mss === undefined) {
      // Decided once per session (the link's state getter builds an object: not per packet).
      const st = e.link.state;
      e.mss = this.mssClampFor(e.key) ? st.negotiated.mtu - (st.encoding !== '' ? 4 : 0) - 40 : 0;
    }
    if (e.mss > 0 && clampMss(packet, protocol === 'ipv4' ? e.mss : e.mss - 20)) c.mssClamped++;
  }

  private linkCountersOf(key: SessionKey): DataCounters {
    let c = this.linkCounters.get(key);
    if (!c) {
      c = { txPackets: 0, txBytes: 0, txDrops: 0, rxPackets: 0, rxBytes: 0, rxDrops: 0, rxControl: 0, mssClamped: 0, lastRx: undefined, lastActivity: undefined, lastDrop: undefined };
      this.linkCounters.set(key, c);
    }
    return c;
  }

  /** Move everything between the engine and the links until nothing moves. */
  private pump(now: Instant): void {
    for (let guard = 0; guard < 1000; guard++) {
      let moved = false;
      for (let ev = this.l2tp.pollEvent(); ev; ev = this.l2tp.pollEvent()) {
        moved = true;
        switch (ev.type) {
          case 'tunnel-up':
            this.events.push({ type: 'tunnel-up', tunnelId: ev.tunnelId, peer: ev.peer, role: ev.role, peerHostName: ev.peerHostName });
            break;
          case 'tunnel-down':
            this.dials.delete(ev.tunnelId);
            this.events.push({ type: 'tunnel-down', tunnelId: ev.tunnelId, peer: ev.peer, role: ev.role, reason: ev.reason, code: ev.code });
            break;
          case 'session-up':
            this.onSessionUp(now, ev.tunnelId, ev.sessionId, ev.role, ev.peer, ev.call.callingNumber);
            break;
          case 'session-down': {
            const key = sessionKey(ev.tunnelId, ev.sessionId);
            const e = this.links.get(key);
            if (e) {
              this.links.delete(key);
              this.deadlines.delete(e);
              e.finalCounters ??= this.dataPath.unregister(key) ?? this.linkCounters.get(key);
              this.linkCounters.delete(key);
              e.link.lowerDown(now);
              this.drainLink(now, e);
              // When PPP already knew why (the peer terminated LCP, authentication failed), that
              // is the root cause the user needs; the CDN that follows is only its consequence.
              const reason = e.linkDown?.reason ?? ev.reason;
              const code = e.linkDown?.code ?? ev.code;
              this.events.push({ type: 'session-down', key, reason, code, ...(e.finalCounters ? { counters: e.finalCounters } : {}) });
            }
            break;
          }
          case 'session-data': {
            const e = this.links.get(sessionKey(ev.tunnelId, ev.sessionId));
            if (e) {
              e.link.handleFrame(now, ev.payload);
              this.dirty.add(e);
            }
            break;
          }
          case 'socket-open':
          case 'socket-close':
            this.events.push(ev);
            break;
          case 'message':
            break;
        }
      }
      const touched = [...this.dirty];
      this.dirty.clear();
      for (const e of touched) {
        if (this.drainLink(now, e)) moved = true;
        this.deadlines.set(e, this.links.get(e.key) === e ? e.link.nextTimeout() : undefined);
      }
      if (!moved) return;
    }
  }

  private onSessionUp(now: Instant, tunnelId: number, sessionId: number, role: 'lac' | 'lns', peer: Address, callingNumber?: string): void {
    const key = sessionKey(tunnelId, sessionId);
    let config: PppLinkConfig;
    let name: string;
    if (role === 'lac') {
      const d = this.dials.get(tunnelId);
      if (!d) {
        this.l2tp.closeSession(now, tunnelId, sessionId, { result: CdnResult.AdminDisconnect, message: 'no PPP client for this call' });
        return;
      }
      this.dials.delete(tunnelId);
      const o = d.opts;
      name = o.name;
      config = {
        role: 'client',
        mru: o.mru,
        mtu: o.mtu,
        authentication: o.allow,
        credentials: { user: o.user, password: o.password },
        keepaliveTimeoutS: o.keepaliveTimeoutS,
        usePeerDns: o.usePeerDns,
        ipv6: o.ipv6 ?? false,
        multilink: false,
        ...(o.encryption !== undefined ? { encryption: { use: o.encryption, ...this.mppeModePolicy() } } : {}),
      };
    } else {
      const s = this.server;
      if (!s) {
        this.l2tp.closeSession(now, tunnelId, sessionId, { result: CdnResult.PermanentLackOfResources, message: 'PPP server not enabled' });
        return;
      }
      name = `${peer.ip}`;
      config = {
        role: 'server',
        mru: s.mru,
        mtu: s.mtu,
        authentication: s.authentication,
        keepaliveTimeoutS: s.keepaliveTimeoutS,
        usePeerDns: false,
        ipv6: s.ipv6,
        multilink: false,
        name: s.hostName,
        ...(s.encryption ? { encryption: { use: 'yes' as const, ...this.mppeModePolicy() } } : {}),
      };
    }
    const link = new PppLink(config, { random: this.deps.random, logger: prefixLogger(this.deps.logger, `${name}: `) });
    const entry: LinkEntry = { key, tunnelId, sessionId, link, role, peer, up: true };
    this.links.set(key, entry);
    this.events.push({ type: 'session-up', key, tunnelId, sessionId, role, peer, ...(callingNumber !== undefined ? { callingNumber } : {}) });
    link.lowerUp(now);
    this.dirty.add(entry);
  }

  /** Moves a link's frames to L2TP and its events out; true when anything moved. */
  private drainLink(now: Instant, e: LinkEntry): boolean {
    let moved = false;
    for (let f = e.link.pollTransmit(); f; f = e.link.pollTransmit()) {
      moved = true;
      this.l2tp.sendData(e.tunnelId, e.sessionId, f, isPppControlFrame(f));
    }
    for (let ev = e.link.pollEvent(); ev; ev = e.link.pollEvent()) {
      moved = true;
      switch (ev.type) {
        case 'auth-check':
          this.events.push({ type: 'auth-check', key: e.key, check: ev.check, peer: e.peer });
          break;
        case 'authenticated':
          this.events.push({ type: 'authenticated', key: e.key, user: ev.user, method: ev.method });
          break;
        case 'need-addresses':
          this.events.push({ type: 'need-addresses', key: e.key, user: ev.user });
          break;
        case 'ipcp-up': {
          const route = this.l2tp.dataRoute(e.tunnelId, e.sessionId);
          // MPPE encrypts inside the PPP link: such sessions stay on the link's path.
          if (route && e.link.state.encoding === '') {
            const mtu = e.link.state.negotiated.mtu;
            this.dataPath.register(e.key, { ...route, peer: route.to, mtu, mss: this.mssClampFor(e.key) ? mtu - 40 : undefined });
          } else if (route) {
            const header = new Uint8Array(L2TP_DATA_HEADER);
            encodeDataHeader(header, { tunnelId: route.peerTunnelId, sessionId: route.peerSessionId, length: true }, 0);
            e.mppeRoute = { to: route.to, via: route.via, header };
          }
          this.events.push({ type: 'ipcp-up', key: e.key, local: ev.local, remote: ev.remote, dns: ev.dns, wins: ev.wins });
          break;
        }
        case 'ip-packet': {
          const c = this.linkCountersOf(e.key);
          c.rxPackets++;
          c.rxBytes += ev.packet.length;
          c.lastActivity = this.now;
          this.clampOnLinkPath(e, ev.packet, ev.protocol, c);
          if (this.ipSink) this.ipSink(e.key, ev.protocol, ev.packet);
          else this.events.push({ type: 'ip-packet', key: e.key, protocol: ev.protocol, packet: ev.packet });
          break;
        }
        case 'down': {
          e.linkDown ??= { reason: ev.reason, code: ev.code };
          e.finalCounters ??= this.dataPath.unregister(e.key) ?? this.linkCounters.get(e.key);
          this.linkCounters.delete(e.key);
          this.linkBacklog.delete(e);
          if (this.links.get(e.key) === e) {
            this.links.delete(e.key);
            const result: ResultInfo = { result: CdnResult.AdminDisconnect, message: ev.reason };
            this.l2tp.closeSession(now, e.tunnelId, e.sessionId, result, ev.reason);
            this.events.push({ type: 'session-down', key: e.key, reason: ev.reason, code: ev.code, ...(e.finalCounters ? { counters: e.finalCounters } : {}) });
            // A LAC tunnel carries only this client's session: close it too (RouterOS does).
            if (e.role === 'lac') this.l2tp.closeTunnel(now, e.tunnelId, { result: StopCcnResult.ClearConnection, message: ev.reason }, ev.reason);
          }
          break;
        }
        default:
          break;
      }
    }
    return moved;
  }
}
