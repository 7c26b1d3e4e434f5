/**
 * The L2TP engine: the table of tunnels and sessions behind one or more UDP sockets, for both
 * roles (LAC: `connect()`, LNS: answering SCCRQ). RFC 2661 sections 3 (header), 5 (control
 * connection), 7 (state machines), 8.1 (UDP, port floating).
 *
 * I/O-free (ARCHITECTURE.md, quinn-proto contract):
 *   engine.handleDatagram(now, from, bytes, via)   // from the platform's UDP socket `via`
 *   engine.handleTimeout(now)                      // when nextTimeout() has passed
 *   engine.pollTransmit()                          // -> { to, via, bytes } to send, or undefined
 *   engine.pollEvent()                             // -> L2tpEvent, or undefined
 *   engine.nextTimeout()                           // -> Instant, or undefined
 * Commands (`connect`, `openSession`, `closeSession`, `closeTunnel`, `sendData`) queue output the
 * same way. Call pollTransmit/pollEvent until undefined after every input or command.
 *
 * Demultiplexing: a message is routed by the Tunnel ID in its header (our id); the sender's IP
 * must be the tunnel's peer IP (the port may change: port floating). Tunnel ID 0 is only valid
 * for SCCRQ; a retransmitted SCCRQ (same peer address and Assigned Tunnel ID) reaches the tunnel
 * it created instead of a new one.
 *
 * Bad input never throws out of `handleDatagram`: it is counted in `stats` and logged at most
 * once per peer per `BAD_INPUT_LOG_INTERVAL_MS`.
 *
 * Data path: data messages are decoded with the zero-copy header view; the payload is a
 * subarray of the received datagram, handed to `dataSink` when one is given (no event object per
 * packet), else queued as a `session-data` event. Receiving data does not touch the deadlines
 * (the HELLO timer re-arms itself lazily from the last receive time).
 */
import { RateLimitedLog, type Logger } from '../core/log.js';
import { DeadlineQueue } from '../core/deadlines.js';
import { randomInt, type Random } from '../core/random.js';
import type { Instant } from '../core/time.js';
import { CdnResult, GeneralError, MessageType, StopCcnResult } from '../wire/l2tp/constants.js';
import { decodeHeaderInto, emptyHeader, encodeData } from '../wire/l2tp/header.js';
import { decodeControl, encodeControl } from '../wire/l2tp/message.js';
import type { Session } from './session.js';
import { Tunnel, type OpenSessionOptions, type TunnelHost } from './tunnel.js';
import {
  addressKey,
  defaultL2tpConfig,
  MAIN_SOCKET,
  type Address,
  type L2tpConfig,
  type L2tpEvent,
  type L2tpStats,
  type ResultInfo,
  type SocketKey,
  type Transmit,
} from './types.js';

const BAD_INPUT_LOG_INTERVAL_MS = 10_000;
const MAX_ID_ATTEMPTS = 64;

export type DataSink = (tunnelId: number, sessionId: number, payload: Uint8Array) => void;

export interface L2tpEngineDeps {
  readonly random: Random;
  readonly logger: Logger;
  /**
   * Fast path for received PPP frames; when absent, frames become `session-data` events. The
   * payload is a view of the received datagram: the daemon may hand the engine datagrams that
   * live in a reused receive buffer, so a sink must copy what it keeps beyond the call.
   */
  readonly dataSink?: DataSink;
  /** Emit a `message` event for every control message sent and received (tests, debugging). */
  readonly traceMessages?: boolean;
}

/** A read-only view of a tunnel for status displays. */
export interface TunnelInfo {
  readonly id: number;
  readonly peerId: number;
  readonly role: 'lac' | 'lns';
  readonly state: string;
  readonly peer: Address;
  readonly peerHostName: string;
  readonly sessions: number;
  readonly establishedAt: Instant | undefined;
}

export class L2tpEngine {
  readonly config: L2tpConfig;
  readonly stats: L2tpStats = {
    datagrams: 0,
    dataMessages: 0,
    controlMessages: 0,
    malformed: 0,
    unknownTunnel: 0,
    unknownSession: 0,
    wrongPeer: 0,
    refusedTunnels: 0,
    tunnelsCreated: 0,
    sessionsCreated: 0,
  };
  private readonly tunnels = new Map<number, Tunnel>();
  /** `ip:port:assignedTunnelId` of the SCCRQ that created a tunnel -> that tunnel. */
  private readonly bySccrq = new Map<string, Tunnel>();
  private readonly sccrqKeyOf = new Map<Tunnel, string>();
  private readonly transmits: Transmit[] = [];
  private transmitHead = 0;
  private readonly events: L2tpEvent[] = [];
  private eventHead = 0;
  private readonly badInput: RateLimitedLog;
  private readonly host: TunnelHost;
  /** Each tunnel's next deadline: O(log n) updates, O(1) nextTimeout() with thousands of tunnels. */
  private readonly deadlines = new DeadlineQueue<Tunnel>();
  /** Reused by `handleDatagram` for every received header (see decodeHeaderInto). */
  private readonly scratchHeader = emptyHeader();
  private nextSocketKey = 1;
  /** Whether SCCRQs are answered; starts from the configuration, changed live by the server. */
  private acceptTunnels: boolean;
  private now: Instant = 0;

  constructor(config: Partial<L2tpConfig>, private readonly deps: L2tpEngineDeps) {
    this.config = { ...defaultL2tpConfig, ...config };
    this.acceptTunnels = this.config.acceptTunnels;
    this.badInput = new RateLimitedLog(deps.logger, BAD_INPUT_LOG_INTERVAL_MS);
    this.host = {
      config: this.config,
      random: deps.random,
      logger: deps.logger,
      traceMessages: deps.traceMessages === true,
      emit: (e) => this.events.push(e),
      transmit: (t) => this.transmits.push(t),
      allocateSessionId: (t) => this.allocateSessionId(t),
      release: (t) => this.release(t),
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Inputs

  handleDatagram(now: Instant, from: Address, bytes: Uint8Array, via: SocketKey = MAIN_SOCKET): void {
    this.now = now;
    this.stats.datagrams++;
    // One scratch header per engine: no allocation per datagram. Its fields are read into
    // locals at once, before anything below could re-enter the engine.
    const header = this.scratchHeader;
    const error = decodeHeaderInto(bytes, header);
    if (error !== undefined) {
      this.stats.malformed++;
      this.bad(now, from, `malformed L2TP header: ${error.message}`);
      return;
    }
    const tunnelId = header.tunnelId;
    if (!header.isControl) {
      this.handleData(now, from, bytes, tunnelId, header.sessionId, header.payloadOffset, header.payloadEnd);
      return;
    }
    const ns = header.ns ?? 0;
    const nr = header.nr ?? 0;
    this.stats.controlMessages++;
    const tunnel = tunnelId === 0 ? undefined : this.tunnels.get(tunnelId);
    if (tunnelId !== 0 && !tunnel) {
      this.stats.unknownTunnel++;
      this.bad(now, from, `control message for unknown tunnel ${tunnelId}`);
      return;
    }
    if (tunnel && tunnel.peer.ip !== from.ip) {
      this.stats.wrongPeer++;
      this.bad(now, from, `control message for tunnel ${tunnel.id} from ${from.ip}, expected ${tunnel.peer.ip}`);
      return;
    }
    const secret = tunnel ? this.config.secretFor(tunnel.peer) : this.config.secretFor(from);
    const decoded = decodeControl(bytes, secret ? { secret } : {});
    if (tunnel) {
      tunnel.receiveControl(now, from, ns, nr, decoded);
      this.settle(now, tunnel);
      return;
    }
    // Tunnel ID 0: only an SCCRQ may open a tunnel.
    if (!decoded.ok) {
      this.stats.malformed++;
      this.bad(now, from, `bad control message for tunnel 0: ${decoded.error.message}`);
      return;
    }
    const msg = decoded.message;
    if (msg.type !== MessageType.SCCRQ) {
      if (msg.type !== undefined) this.bad(now, from, `${MessageType[msg.type] ?? msg.type} for tunnel 0 ignored`);
      return;
    }
    const assigned = msg.avps.assignedTunnelId ?? 0;
    const key = `${addressKey(from)}:${assigned}`;
    const existing = this.bySccrq.get(key);
    if (existing) {
      // A retransmitted SCCRQ: the channel recognises the duplicate and re-acks it.
      existing.receiveControl(now, from, ns, nr, decoded);
      this.settle(now, existing);
      return;
    }
    if (!this.acceptTunnels || this.tunnels.size >= this.config.maxTunnels || assigned === 0) {
      this.stats.refusedTunnels++;
      this.refuseSccrq(from, via, assigned, ns, !this.acceptTunnels ? 'not accepting tunnels' : assigned === 0 ? 'no Assigned Tunnel ID' : 'tunnel limit reached');
      return;
    }
    const id = this.allocateTunnelId();
    if (id === undefined) {
      this.refuseSccrq(from, via, assigned, ns, 'no free tunnel id');
      return;
    }
    let tunnelVia = via;
    if (this.config.ephemeralPort) {
      tunnelVia = this.nextSocketKey++;
      this.events.push({ type: 'socket-open', socket: tunnelVia });
    }
    const t = new Tunnel(id, 'lns', from, tunnelVia, this.host, now);
    this.tunnels.set(id, t);
    this.bySccrq.set(key, t);
    this.sccrqKeyOf.set(t, key);
    this.stats.tunnelsCreated++;
    this.deps.logger.log(['l2tp', 'info'], `tunnel ${id}: SCCRQ from ${addressKey(from)} (${msg.avps.hostName ?? '?'})`);
    t.receiveControl(now, from, ns, nr, decoded);
    this.settle(now, t);
  }

  private handleData(
    now: Instant,
    from: Address,
    bytes: Uint8Array,
    tunnelId: number,
    sessionId: number,
    start: number,
    end: number,
  ): void {
    const t = this.tunnels.get(tunnelId);
    if (!t || t.peer.ip !== from.ip) {
      this.stats.unknownTunnel++;
      this.bad(now, from, `data for unknown tunnel ${tunnelId}`);
      return;
    }
    const s = t.sessions.get(sessionId);
    if (!s || !s.established) {
      this.stats.unknownSession++;
      this.bad(now, from, `data for unknown session ${tunnelId}/${sessionId}`);
      return;
    }
    this.stats.dataMessages++;
    t.noteData(now, from);
    const payload = bytes.subarray(start, end);
    if (this.deps.dataSink) this.deps.dataSink(tunnelId, sessionId, payload);
    else this.events.push({ type: 'session-data', tunnelId, sessionId, payload });
  }

  handleTimeout(now: Instant): void {
    this.now = now;
    for (const t of this.deadlines.popDue(now)) {
      if (this.tunnels.get(t.id) !== t) continue;
      t.handleTimeout(now);
      this.settle(now, t);
    }
  }

  /** After anything happened to a tunnel: send what it queued, and file its next deadline. */
  private settle(now: Instant, t: Tunnel): void {
    t.flush(now);
    if (this.tunnels.get(t.id) === t) this.deadlines.set(t, t.nextTimeout());
    else this.deadlines.delete(t);
  }

  // ---------------------------------------------------------------------------------------------
  // Commands

  /** Server enabled or disabled: whether new SCCRQs are answered (existing tunnels stay). */
  setAcceptTunnels(accept: boolean): void {
    this.acceptTunnels = accept;
  }

  /** LAC: open a control connection to an LNS. Returns our tunnel id. */
  connect(now: Instant, peer: Address, via: SocketKey = MAIN_SOCKET): number | undefined {
    this.now = now;
    const id = this.allocateTunnelId();
    if (id === undefined) return undefined;
    const t = new Tunnel(id, 'lac', peer, via, this.host, now);
    this.tunnels.set(id, t);
    this.stats.tunnelsCreated++;
    t.startAsLac(now);
    this.settle(now, t);
    return id;
  }

  /** LAC: place an incoming call in a tunnel (sent when the tunnel is up). Returns our session id. */
  openSession(now: Instant, tunnelId: number, opts: OpenSessionOptions = {}): number | undefined {
    this.now = now;
    const t = this.tunnels.get(tunnelId);
    if (!t) return undefined;
    const s = t.openSession(now, opts);
    this.settle(now, t);
    if (s) this.stats.sessionsCreated++;
    return s?.id;
  }

  /** LNS: ask the LAC at the other end of a tunnel to place an outgoing call (OCRQ). */
  placeOutgoingCall(now: Instant, tunnelId: number, calledNumber: string): number | undefined {
    this.now = now;
    const t = this.tunnels.get(tunnelId);
    if (!t) return undefined;
    const s = t.placeOutgoingCall(now, calledNumber);
    this.settle(now, t);
    if (s) this.stats.sessionsCreated++;
    return s?.id;
  }

  closeSession(now: Instant, tunnelId: number, sessionId: number, result: ResultInfo = { result: CdnResult.AdminDisconnect }, why = 'closed locally'): void {
    this.now = now;
    const t = this.tunnels.get(tunnelId);
    const s = t?.sessions.get(sessionId);
    if (!t || !s) return;
    t.closeSession(now, s, result, 'local-close', why);
    this.settle(now, t);
  }

  closeTunnel(now: Instant, tunnelId: number, result: ResultInfo = { result: StopCcnResult.ClearConnection }, why = 'closed locally'): void {
    this.now = now;
    const t = this.tunnels.get(tunnelId);
    if (!t) return;
    t.close(now, result, 'local-close', why);
    this.settle(now, t);
  }

  /** Close every tunnel with StopCCN (daemon shutdown). */
  closeAll(now: Instant, message = 'shutting down'): void {
    for (const t of [...this.tunnels.values()]) {
      this.closeTunnel(now, t.id, { result: StopCcnResult.ShuttingDown, error: GeneralError.NoError, message }, message);
    }
  }

  /**
   * Send a PPP frame in a data message. Returns false when the session is not established.
   * `priority` sets the P bit (link control frames, so that the peer can keep them under load).
   * (The fast data plane will use `dataRoute()` and its own buffers instead.)
   */
  sendData(tunnelId: number, sessionId: number, payload: Uint8Array, priority = false): boolean {
    const t = this.tunnels.get(tunnelId);
    const s = t?.sessions.get(sessionId);
    if (!t || !s || !s.established || t.state !== 'established') return false;
    const seq = s.call.sequencingRequired ? { ns: s.dataNs, nr: s.dataNr } : undefined;
    if (seq) s.dataNs = (s.dataNs + 1) & 0xffff;
    const bytes = encodeData(
      {
        tunnelId: t.peerId,
        sessionId: s.peerId,
        length: this.config.dataLengthBit,
        ...(seq ? { sequence: seq } : {}),
        ...(this.config.dataOffset > 0 ? { offset: this.config.dataOffset } : {}),
        // RFC 2661 3.1: the P bit asks for preferential queuing (e.g. LCP echoes under load).
        ...(priority ? { priority: true } : {}),
      },
      payload,
    );
    this.transmits.push({ to: t.peer, via: t.via, bytes });
    return true;
  }

  /** Queues a datagram built elsewhere (the data plane's fast path) for `pollTransmit()`. */
  queueTransmit(t: Transmit): void {
    this.transmits.push(t);
  }

  /** Where data for a session goes: for a data plane that encodes into its own buffers. */
  dataRoute(tunnelId: number, sessionId: number): { to: Address; via: SocketKey; peerTunnelId: number; peerSessionId: number } | undefined {
    const t = this.tunnels.get(tunnelId);
    const s = t?.sessions.get(sessionId);
    if (!t || !s || !s.established) return undefined;
    return { to: t.peer, via: t.via, peerTunnelId: t.peerId, peerSessionId: s.peerId };
  }

  // ---------------------------------------------------------------------------------------------
  // Outputs

  pollTransmit(): Transmit | undefined {
    if (this.transmitHead >= this.transmits.length) {
      if (this.transmits.length) {
        this.transmits.length = 0;
        this.transmitHead = 0;
      }
      return undefined;
    }
    return this.transmits[this.transmitHead++];
  }

  pollEvent(): L2tpEvent | undefined {
    if (this.eventHead >= this.events.length) {
      if (this.events.length) {
        this.events.length = 0;
        this.eventHead = 0;
      }
      return undefined;
    }
    return this.events[this.eventHead++];
  }

  nextTimeout(): Instant | undefined {
    return this.deadlines.peek();
  }

  // ---------------------------------------------------------------------------------------------
  // Status

  tunnelInfo(id: number): TunnelInfo | undefined {
    const t = this.tunnels.get(id);
    if (!t) return undefined;
    return {
      id: t.id,
      peerId: t.peerId,
      role: t.role,
      state: t.state,
      peer: t.peer,
      peerHostName: t.peerHostName,
      sessions: t.sessions.size,
      establishedAt: t.establishedAt,
    };
  }

  tunnelIds(): number[] {
    return [...this.tunnels.keys()];
  }

  session(tunnelId: number, sessionId: number): Session | undefined {
    return this.tunnels.get(tunnelId)?.sessions.get(sessionId);
  }

  get tunnelCount(): number {
    return this.tunnels.size;
  }

  // ---------------------------------------------------------------------------------------------
  // Internals

  private refuseSccrq(to: Address, via: SocketKey, peerTunnelId: number, ns: number, why: string): void {
    this.bad(this.now, to, `SCCRQ refused: ${why}`);
    if (peerTunnelId === 0) return;
    // A stateless StopCCN (RFC 2661 6.4): it acks the SCCRQ (Nr = its Ns + 1) and is never
    // retransmitted; a peer that misses it retransmits its SCCRQ and is refused again.
    const bytes = encodeControl(
      {
        tunnelId: peerTunnelId,
        sessionId: 0,
        type: MessageType.StopCCN,
        avps: { assignedTunnelId: 0, resultCode: { result: StopCcnResult.GeneralError, error: GeneralError.InsufficientResources, message: why } },
      },
      {},
    );
    bytes[10] = ((ns + 1) >> 8) & 0xff;
    bytes[11] = (ns + 1) & 0xff;
    this.transmits.push({ to, via, bytes });
  }

  private allocateTunnelId(): number | undefined {
    for (let i = 0; i < MAX_ID_ATTEMPTS; i++) {
      const id = randomInt(this.deps.random, 1, 0xffff);
      if (!this.tunnels.has(id)) return id;
    }
    for (let id = 1; id <= 0xffff; id++) if (!this.tunnels.has(id)) return id;
    return undefined;
  }

  private allocateSessionId(t: Tunnel): number {
    for (let i = 0; i < MAX_ID_ATTEMPTS; i++) {
      const id = randomInt(this.deps.random, 1, 0xffff);
      if (!t.sessions.has(id)) return id;
    }
    for (let id = 1; id <= 0xffff; id++) if (!t.sessions.has(id)) return id;
    return 0;
  }

  private release(t: Tunnel): void {
    if (this.tunnels.get(t.id) !== t) return;
    this.tunnels.delete(t.id);
    const key = this.sccrqKeyOf.get(t);
    if (key !== undefined) {
      this.bySccrq.delete(key);
      this.sccrqKeyOf.delete(t);
    }
    this.deadlines.delete(t);
    if (t.via !== MAIN_SOCKET && t.role === 'lns') this.events.push({ type: 'socket-close', socket: t.via });
  }

  private bad(now: Instant, from: Address, message: string): void {
    this.badInput.log(now, from.ip, ['l2tp', 'warning'], `${addressKey(from)}: ${message}`);
  }
}
