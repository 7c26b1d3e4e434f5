/**
 * One L2TP tunnel (control connection): RFC 2661 section 7.2 state machine for LAC and LNS,
 * tunnel authentication (4.2, 5.1.1), HELLO keepalive (6.5), StopCCN teardown with the 5.7
 * linger, and the session table of the tunnel (section 7.3/7.4 handled with `Session`).
 *
 * States (RFC names):
 *   LAC:  idle -> wait-ctl-reply (SCCRQ sent) -> established (SCCRP ok, SCCCN sent)
 *   LNS:  idle -> wait-ctl-conn (SCCRQ ok, SCCRP sent) -> established (SCCCN ok)
 *   any:  -> closing (StopCCN sent or received; state lingers to re-ack retransmissions) -> gone
 *
 * Reliable delivery is the `ControlChannel` below; the tunnel hands it every received control
 * message (decoded or not: a malformed message still consumes its Ns) and acts on what the channel
 * delivers in order. The tunnel never does I/O: it writes datagrams into its host's transmit
 * queue and events into its host's event queue.
 *
 * Call order (from the engine): `receiveControl()` / commands / `handleTimeout()`, then `flush()`
 * to move the channel's datagrams into the transmit queue.
 */
import { equalBytes } from '../core/bytes.js';
import type { Logger } from '../core/log.js';
import { randomBytes, type Random } from '../core/random.js';
import { earliest, TimerTable, type Instant } from '../core/time.js';
import { chapMd5Response } from '../crypto/chap.js';
import { CdnResult, GeneralError, MessageType, StopCcnResult } from '../wire/l2tp/constants.js';
import {
  encodeControl,
  type Avps,
  type ControlDecodeResult,
  type ControlMessage,
  type L2tpDecodeError,
} from '../wire/l2tp/message.js';
import { ControlChannel } from './channel.js';
import { Session } from './session.js';
import type {
  Address,
  CallDirection,
  CallInfo,
  L2tpConfig,
  L2tpDownCode,
  L2tpEvent,
  ResultInfo,
  SocketKey,
  TunnelRole,
  TunnelState,
  Transmit,
} from './types.js';

/** RFC 2661 4.4.3: Framing Capabilities bits. */
const FRAMING_SYNC = 1;
const FRAMING_ASYNC = 2;
/** Protocol Version AVP: version 1, revision 0 (RFC 2661 4.4.3). */
const PROTOCOL_VERSION = { version: 1, revision: 0 } as const;
/** Tx Connect Speed we report for our virtual calls (bits/s; RouterOS reports 100 Mbit/s). */
const CONNECT_SPEED = 100_000_000;
/** Challenge length we send (RFC: "one or more octets of random data"; 16 like most stacks). */
const CHALLENGE_LENGTH = 16;

/** What a tunnel needs from the engine that owns it. */
export interface TunnelHost {
  readonly config: L2tpConfig;
  readonly random: Random;
  readonly logger: Logger;
  readonly traceMessages: boolean;
  emit(event: L2tpEvent): void;
  transmit(t: Transmit): void;
  /** A fresh session id, unique inside this tunnel, nonzero. */
  allocateSessionId(tunnel: Tunnel): number;
  /** The tunnel may be forgotten (linger over). */
  release(tunnel: Tunnel): void;
}

export interface OpenSessionOptions {
  readonly callingNumber?: string;
  readonly calledNumber?: string;
}

type TunnelTimer = 'hello' | 'linger';

export class Tunnel {
  state: TunnelState = 'idle';
  /** The peer's Assigned Tunnel ID: 0 until SCCRQ (LNS) or SCCRP (LAC) tells us. */
  peerId = 0;
  peerHostName = '';
  peerVendor: string | undefined;
  peerFirmware: number | undefined;
  /** When the last message (control or data) came in; drives HELLO. */
  lastRx: Instant;
  readonly createdAt: Instant;
  establishedAt: Instant | undefined;
  readonly sessions = new Map<number, Session>();
  readonly channel: ControlChannel<ControlDecodeResult>;
  private readonly timers = new TimerTable<TunnelTimer>();
  private secret: Uint8Array | undefined;
  /** The Challenge we sent; the peer's Challenge Response must match it. */
  private ourChallenge: Uint8Array | undefined;
  private nextCallSerial = 1;
  private downEmitted = false;
  private readonly label: string;

  constructor(
    readonly id: number,
    readonly role: TunnelRole,
    /** Current peer address; the port floats (RFC 2661 8.1 / NAT): updated on every valid message. */
    public peer: Address,
    readonly via: SocketKey,
    private readonly host: TunnelHost,
    now: Instant,
  ) {
    const c = host.config;
    this.label = `tunnel ${id} (${peer.ip})`;
    this.channel = new ControlChannel<ControlDecodeResult>(
      {
        receiveWindow: c.receiveWindow,
        peerReceiveWindow: 4,
        retransmitInitialMs: c.retransmit.initialMs,
        retransmitMaxMs: c.retransmit.maxMs,
        maxRetransmits: c.retransmit.maxRetransmits,
        ackDelayMs: c.ackDelayMs,
      },
      0,
    );
    this.secret = c.secretFor(peer);
    this.lastRx = now;
    this.createdAt = now;
  }

  // ---------------------------------------------------------------------------------------------
  // Commands

  /** LAC: send SCCRQ. */
  startAsLac(now: Instant): void {
    const avps: Avps = { ...this.tunnelSetupAvps() };
    if (this.secret) {
      this.ourChallenge = randomBytes(this.host.random, CHALLENGE_LENGTH);
      avps.challenge = this.ourChallenge;
    }
    // xl2tpd answers a hidden AVP in SCCRQ with StopCCN "Invalid Hidden AVP", and the peer cannot
    // know our secret before it knows who we are: SCCRQ is never hidden.
    this.sendControl(now, MessageType.SCCRQ, 0, avps, false);
    this.transition('wait-ctl-reply', 'SCCRQ sent');
  }

  /** LAC: open an incoming call (ICRQ) now, or when the tunnel comes up. */
  openSession(now: Instant, opts: OpenSessionOptions = {}): Session | undefined {
    if (this.state === 'closing') return undefined;
    if (this.sessions.size >= this.host.config.maxSessionsPerTunnel) return undefined;
    const s = this.newSession(now, 'lac', 'incoming');
    s.call = {
      ...(opts.callingNumber !== undefined ? { callingNumber: opts.callingNumber } : {}),
      ...(opts.calledNumber !== undefined ? { calledNumber: opts.calledNumber } : {}),
      sequencingRequired: false,
    };
    if (this.state === 'established') this.sendIcrq(now, s);
    else s.transition('wait-tunnel', 'tunnel not yet established');
    return s;
  }

  /**
   * LNS: ask the LAC to place an outgoing call (RFC 2661 6.7 OCRQ, section 7.3 wait-tunnel ->
   * wait-reply -> wait-connect -> established).
   */
  placeOutgoingCall(now: Instant, calledNumber: string): Session | undefined {
    if (this.state === 'closing' || this.sessions.size >= this.host.config.maxSessionsPerTunnel) return undefined;
    const s = this.newSession(now, 'lns', 'outgoing');
    s.call = { calledNumber, sequencingRequired: false };
    if (this.state === 'established') this.sendOcrq(now, s);
    else s.transition('wait-tunnel', 'tunnel not yet established');
    return s;
  }

  /** Tear down one session with a CDN (RFC 2661 6.14). */
  closeSession(now: Instant, session: Session, result: ResultInfo, code: L2tpDownCode, why: string): void {
    if (!this.sessions.has(session.id)) return;
    if (session.peerId !== 0 && this.state === 'established') {
      this.sendControl(now, MessageType.CDN, session.peerId, {
        resultCode: result,
        assignedSessionId: session.id,
      });
    }
    this.dropSession(session, why, code, result);
  }

  /** Tear down the tunnel with a StopCCN (RFC 2661 6.4); sessions end with it. */
  close(now: Instant, result: ResultInfo, code: L2tpDownCode, why: string): void {
    if (this.state === 'closing') return;
    // An LNS still in idle (refusing the SCCRQ it is processing) knows the peer's tunnel id and
    // answers with StopCCN too; a LAC in idle has sent nothing yet.
    if (this.state !== 'idle' || this.peerId !== 0) {
      this.sendControl(now, MessageType.StopCCN, 0, { assignedTunnelId: this.id, resultCode: result });
    }
    this.enterClosing(now, why, code, result);
  }

  // ---------------------------------------------------------------------------------------------
  // Input

  /** A control message for this tunnel (header already checked by the engine). */
  receiveControl(now: Instant, from: Address, ns: number, nr: number, decoded: ControlDecodeResult): void {
    this.notePeer(from);
    this.lastRx = now;
    const isZlb = decoded.ok && decoded.message.type === undefined;
    const delivered = this.channel.receive(now, ns, nr, isZlb, decoded);
    for (const item of delivered) this.process(now, item);
    this.checkClosingDone(now);
  }

  /** Data arrived for this tunnel: only the HELLO clock cares, kept cheap for the data path. */
  noteData(now: Instant, from: Address): void {
    this.lastRx = now;
    if (from.port !== this.peer.port) this.notePeer(from);
  }

  private notePeer(from: Address): void {
    if (from.port !== this.peer.port) {
      // Port floating: the peer answers SCCRQ from a new port, or a NAT rebinds (RFC 2661 8.1).
      this.host.logger.log(['l2tp', 'debug'], `${this.label}: peer port ${this.peer.port} -> ${from.port}`);
      this.peer = { ip: this.peer.ip, port: from.port };
    }
  }

  handleTimeout(now: Instant): void {
    this.channel.handleTimeout(now);
    for (let ev = this.channel.pollEvent(); ev; ev = this.channel.pollEvent()) {
      if (ev.type === 'failed') {
        this.host.logger.log(['l2tp', 'info'], `${this.label}: no acknowledgement after ${this.host.config.retransmit.maxRetransmits} retransmissions, tunnel down`);
        if (this.state !== 'closing') {
          this.enterClosing(now, 'peer does not acknowledge (retransmission limit)', 'retransmit-limit');
        }
        this.release();
        return;
      }
    }
    for (const t of this.timers.expired(now)) {
      if (t === 'hello') this.onHelloTimer(now);
      else if (t === 'linger') {
        this.release();
        return;
      }
    }
    this.checkClosingDone(now);
  }

  nextTimeout(): Instant | undefined {
    return earliest(this.channel.nextTimeout(), this.timers.next());
  }

  /** Move the channel's datagrams (new, retransmitted, ZLB) into the host's transmit queue. */
  flush(now: Instant): void {
    for (let b = this.channel.pollTransmit(now); b; b = this.channel.pollTransmit(now)) {
      this.host.transmit({ to: this.peer, via: this.via, bytes: b });
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Message processing (in order, after the channel)

  private process(now: Instant, item: ControlDecodeResult): void {
    if (this.state === 'closing') {
      // RFC 2661 5.7: after StopCCN only acks matter; the channel already acked this message.
      return;
    }
    if (!item.ok) {
      this.onDecodeError(now, item.error);
      return;
    }
    const msg = item.message;
    if (msg.type === undefined) return; // ZLB: the channel consumed its Nr
    if (this.host.traceMessages) this.host.emit({ type: 'message', tunnelId: this.id, direction: 'rx', message: msg });
    for (const u of msg.unknown) {
      this.host.logger.log(['l2tp', 'debug'], `${this.label}: ignoring unknown AVP vendor=${u.vendorId} type=${u.type}${u.mandatory ? ' (M bit, permissive)' : ''}`);
    }
    switch (msg.type) {
      case MessageType.SCCRQ:
        return this.onSccrq(now, msg);
      case MessageType.SCCRP:
        return this.onSccrp(now, msg);
      case MessageType.SCCCN:
        return this.onScccn(now, msg);
      case MessageType.StopCCN:
        return this.onStopccn(now, msg);
      case MessageType.HELLO:
        return; // acknowledged by the channel; the HELLO clock was reset on receipt
      case MessageType.ICRQ:
        return this.onIcrq(now, msg);
      case MessageType.ICRP:
        return this.onIcrp(now, msg);
      case MessageType.ICCN:
        return this.onIccn(now, msg);
      case MessageType.OCRQ:
        return this.onOcrq(now, msg);
      case MessageType.OCRP:
        return this.onOcrp(now, msg);
      case MessageType.OCCN:
        return this.onOccn(now, msg);
      case MessageType.CDN:
        return this.onCdn(now, msg);
      case MessageType.WEN:
      case MessageType.SLI:
        // INTEROP.md: accept and ignore WEN (call errors) and SLI (ACCM, meaningless on L2TP).
        this.host.logger.log(['l2tp', 'debug'], `${this.label}: ${MessageType[msg.type]} for session ${msg.sessionId} ignored`);
        return;
      default:
        return;
    }
  }

  private onDecodeError(now: Instant, err: L2tpDecodeError): void {
    this.host.logger.log(['l2tp', 'warning'], `${this.label}: bad control message: ${err.message}`);
    if (err.action === 'stopccn') {
      this.close(
        now,
        { result: err.resultCode ?? StopCcnResult.GeneralError, error: err.errorCode ?? GeneralError.NoError, message: err.message },
        err.code === 'L2TP_UNKNOWN_MANDATORY_AVP' ? 'unknown-mandatory-avp' : 'protocol-error',
        err.message,
      );
    } else if (err.action === 'cdn') {
      const s = err.sessionId !== undefined ? this.sessions.get(err.sessionId) : undefined;
      if (s) {
        this.closeSession(
          now,
          s,
          { result: err.resultCode ?? CdnResult.GeneralError, error: err.errorCode ?? GeneralError.NoError, message: err.message },
          err.code === 'L2TP_UNKNOWN_MANDATORY_AVP' ? 'unknown-mandatory-avp' : 'protocol-error',
          err.message,
        );
      }
    }
  }

  /** LNS: the SCCRQ that created this tunnel (a duplicate never reaches here: the channel drops it). */
  private onSccrq(now: Instant, msg: ControlMessage): void {
    if (this.role !== 'lns' || this.state !== 'idle') {
      // RFC 2661 7.2: SCCRQ in any other state is a protocol error; without tie-breaking
      // support (we never race an SCCRQ with the same peer as LNS), clear the tunnel.
      return this.fsmError(now, 'SCCRQ');
    }
    const a = msg.avps;
    this.peerId = a.assignedTunnelId ?? 0;
    this.channel.setPeerTunnelId(this.peerId);
    if (a.receiveWindowSize !== undefined) this.channel.setPeerReceiveWindow(a.receiveWindowSize);
    this.peerHostName = a.hostName ?? '';
    this.peerVendor = a.vendorName;
    this.peerFirmware = a.firmwareRevision;
    if (!this.versionOk(now, a)) return;

    const avps: Avps = { ...this.tunnelSetupAvps() };
    if (a.challenge) {
      if (!this.secret) {
        return this.authFail(now, 'peer sent a Challenge but no tunnel secret is configured for it');
      }
      avps.challengeResponse = chapMd5Response(MessageType.SCCRP, this.secret, a.challenge);
    }
    if (this.secret) {
      this.ourChallenge = randomBytes(this.host.random, CHALLENGE_LENGTH);
      avps.challenge = this.ourChallenge;
    }
    this.sendControl(now, MessageType.SCCRP, 0, avps);
    this.transition('wait-ctl-conn', 'SCCRQ accepted, SCCRP sent');
  }

  /** LAC: the answer to our SCCRQ. */
  private onSccrp(now: Instant, msg: ControlMessage): void {
    if (this.role !== 'lac' || this.state !== 'wait-ctl-reply') return this.fsmError(now, 'SCCRP');
    const a = msg.avps;
    this.peerId = a.assignedTunnelId ?? 0;
    this.channel.setPeerTunnelId(this.peerId);
    if (a.receiveWindowSize !== undefined) this.channel.setPeerReceiveWindow(a.receiveWindowSize);
    this.peerHostName = a.hostName ?? '';
    this.peerVendor = a.vendorName;
    this.peerFirmware = a.firmwareRevision;
    if (!this.versionOk(now, a)) return;
    if (this.ourChallenge && this.secret) {
      const expected = chapMd5Response(MessageType.SCCRP, this.secret, this.ourChallenge);
      if (!a.challengeResponse) return this.authFail(now, 'SCCRP has no Challenge Response to our Challenge');
      if (!equalBytes(a.challengeResponse, expected)) return this.authFail(now, 'wrong Challenge Response in SCCRP (tunnel secrets differ)');
    }
    const avps: Avps = {};
    if (a.challenge) {
      if (!this.secret) return this.authFail(now, 'peer requires tunnel authentication but no tunnel secret is configured');
      avps.challengeResponse = chapMd5Response(MessageType.SCCCN, this.secret, a.challenge);
    }
    this.sendControl(now, MessageType.SCCCN, 0, avps);
    this.becomeEstablished(now, 'SCCRP accepted, SCCCN sent');
  }

  /** LNS: the end of the three-way handshake. */
  private onScccn(now: Instant, msg: ControlMessage): void {
    if (this.role !== 'lns' || this.state !== 'wait-ctl-conn') return this.fsmError(now, 'SCCCN');
    if (this.ourChallenge && this.secret) {
      const expected = chapMd5Response(MessageType.SCCCN, this.secret, this.ourChallenge);
      const got = msg.avps.challengeResponse;
      if (!got) return this.authFail(now, 'SCCCN has no Challenge Response to our Challenge');
      if (!equalBytes(got, expected)) return this.authFail(now, 'wrong Challenge Response in SCCCN (tunnel secrets differ)');
    }
    this.becomeEstablished(now, 'SCCCN accepted');
  }

  private onStopccn(now: Instant, msg: ControlMessage): void {
    const r = msg.avps.resultCode;
    const result: ResultInfo = r ?? { result: 0 };
    const text = describeResult('StopCCN', result);
    this.host.logger.log(['l2tp', 'info'], `${this.label}: peer closed the tunnel: ${text}`);
    // RFC 2661 5.7: acknowledge the StopCCN at once, then linger to re-ack retransmissions.
    this.channel.flushAck();
    this.enterClosing(now, `peer sent ${text}`, 'peer-stopccn', result);
  }

  private onIcrq(now: Instant, msg: ControlMessage): void {
    const a = msg.avps;
    if (this.state !== 'established') return this.fsmError(now, 'ICRQ');
    if (a.assignedSessionId === undefined) return;
    if (this.role !== 'lns') {
      // We placed this tunnel as a LAC; an ICRQ from the LNS asks us to act as LNS for a call,
      // which this side is not configured for. RFC 2661 6.14: refuse with a CDN.
      return this.refuseCall(now, a.assignedSessionId, CdnResult.PermanentLackOfResources, 'incoming calls are not accepted on a LAC tunnel');
    }
    if (this.sessions.size >= this.host.config.maxSessionsPerTunnel) {
      return this.refuseCall(now, a.assignedSessionId, CdnResult.TemporaryLackOfResources, 'session limit reached');
    }
    const s = this.newSession(now, 'lns', 'incoming');
    s.peerId = a.assignedSessionId;
    s.call = callInfo(msg.avps, undefined);
    this.sendControl(now, MessageType.ICRP, s.peerId, { assignedSessionId: s.id });
    s.transition('wait-connect', 'ICRQ accepted, ICRP sent');
  }

  private onIcrp(now: Instant, msg: ControlMessage): void {
    const s = this.expectSession(now, msg, 'ICRP', 'lac', 'incoming', 'wait-reply');
    if (!s) return;
    const id = msg.avps.assignedSessionId;
    if (id === undefined || id === 0) return this.sessionFsmError(now, s, 'ICRP without Assigned Session ID');
    s.peerId = id;
    this.sendControl(now, MessageType.ICCN, s.peerId, {
      txConnectSpeed: CONNECT_SPEED,
      framingType: FRAMING_SYNC,
    });
    s.call = { ...s.call, txConnectSpeed: CONNECT_SPEED, framingType: FRAMING_SYNC };
    this.sessionUp(now, s, 'ICRP accepted, ICCN sent');
  }

  private onIccn(now: Instant, msg: ControlMessage): void {
    const s = this.expectSession(now, msg, 'ICCN', 'lns', 'incoming', 'wait-connect');
    if (!s) return;
    s.call = callInfo(msg.avps, s.call);
    this.sessionUp(now, s, 'ICCN received');
  }

  /** RFC 2661 6.7: the peer asks us to place an outgoing call. */
  private onOcrq(now: Instant, msg: ControlMessage): void {
    const a = msg.avps;
    if (this.state !== 'established') return this.fsmError(now, 'OCRQ');
    if (a.assignedSessionId === undefined) return;
    if (!this.host.config.acceptOutgoingCalls || this.role !== 'lac') {
      return this.refuseCall(now, a.assignedSessionId, CdnResult.PermanentLackOfResources, 'outgoing calls are not supported');
    }
    // We are a virtual LAC: there is no telephone line to dial, the "call" is connected at once.
    const s = this.newSession(now, 'lac', 'outgoing');
    s.peerId = a.assignedSessionId;
    s.call = callInfo(a, undefined);
    this.sendControl(now, MessageType.OCRP, s.peerId, { assignedSessionId: s.id });
    this.sendControl(now, MessageType.OCCN, s.peerId, { txConnectSpeed: CONNECT_SPEED, framingType: FRAMING_SYNC });
    this.sessionUp(now, s, 'OCRQ accepted, OCRP and OCCN sent');
  }

  private onOcrp(now: Instant, msg: ControlMessage): void {
    const s = this.expectSession(now, msg, 'OCRP', 'lns', 'outgoing', 'wait-reply');
    if (!s) return;
    const id = msg.avps.assignedSessionId;
    if (id === undefined || id === 0) return this.sessionFsmError(now, s, 'OCRP without Assigned Session ID');
    s.peerId = id;
    s.transition('wait-connect', 'OCRP received');
  }

  private onOccn(now: Instant, msg: ControlMessage): void {
    const s = this.expectSession(now, msg, 'OCCN', 'lns', 'outgoing', 'wait-connect');
    if (!s) return;
    s.call = callInfo(msg.avps, s.call);
    this.sessionUp(now, s, 'OCCN received');
  }

  private onCdn(_now: Instant, msg: ControlMessage): void {
    let s = this.sessions.get(msg.sessionId);
    if (!s && msg.sessionId === 0 && msg.avps.assignedSessionId !== undefined) {
      // Some peers put Session ID 0 in the header of a CDN; find the session by the peer's
      // Assigned Session ID instead.
      for (const c of this.sessions.values()) if (c.peerId !== 0 && c.peerId === msg.avps.assignedSessionId) s = c;
    }
    if (!s) return this.unknownSession(msg);
    const result: ResultInfo = msg.avps.resultCode ?? { result: 0 };
    const text = describeResult('CDN', result);
    this.host.logger.log(['l2tp', 'info'], `${this.label}: session ${s.id} closed by peer: ${text}`);
    this.dropSession(s, `peer sent ${text}`, 'peer-cdn', result);
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  private tunnelSetupAvps(): Avps {
    const c = this.host.config;
    return {
      protocolVersion: PROTOCOL_VERSION,
      hostName: c.hostName,
      framingCapabilities: FRAMING_SYNC | FRAMING_ASYNC,
      bearerCapabilities: 0,
      firmwareRevision: c.firmwareRevision,
      vendorName: c.vendorName,
      assignedTunnelId: this.id,
      receiveWindowSize: c.receiveWindow,
    };
  }

  private versionOk(now: Instant, a: Avps): boolean {
    const v = a.protocolVersion;
    if (v && v.version === PROTOCOL_VERSION.version && v.revision === PROTOCOL_VERSION.revision) return true;
    this.close(
      now,
      {
        result: StopCcnResult.UnsupportedProtocolVersion,
        // RFC 2661 4.4.2: for result 5 the Error Code carries the highest version we support.
        error: (PROTOCOL_VERSION.version << 8) | PROTOCOL_VERSION.revision,
        message: 'unsupported protocol version',
      },
      'protocol-error',
      `unsupported protocol version ${v ? `${v.version}.${v.revision}` : '(none)'}`,
    );
    return false;
  }

  private authFail(now: Instant, why: string): void {
    this.host.logger.log(['l2tp', 'info'], `${this.label}: tunnel authentication failed: ${why}`);
    this.close(now, { result: StopCcnResult.NotAuthorized, error: GeneralError.NoError, message: why }, 'auth-failed', why);
  }

  private fsmError(now: Instant, what: string): void {
    const why = `unexpected ${what} in state ${this.state}`;
    this.close(now, { result: StopCcnResult.FsmError, error: GeneralError.NoError, message: why }, 'protocol-error', why);
  }

  private sessionFsmError(now: Instant, s: Session, what: string): void {
    const why = `unexpected ${what} in session state ${s.state}`;
    this.closeSession(now, s, { result: CdnResult.GeneralError, error: GeneralError.NoError, message: why }, 'protocol-error', why);
  }

  /** The session a reply is for, if it exists and is in the state that expects that reply. */
  private expectSession(now: Instant, msg: ControlMessage, what: string, role: TunnelRole, direction: CallDirection, state: Session['state']): Session | undefined {
    const s = this.sessions.get(msg.sessionId);
    if (!s) {
      this.unknownSession(msg);
      return undefined;
    }
    if (s.role !== role || s.direction !== direction || s.state !== state) {
      this.sessionFsmError(now, s, what);
      return undefined;
    }
    return s;
  }

  private unknownSession(msg: ControlMessage): void {
    this.host.logger.log(['l2tp', 'debug'], `${this.label}: ${msg.type !== undefined ? MessageType[msg.type] : 'ZLB'} for unknown session ${msg.sessionId} ignored`);
  }

  /** Refuse a call the peer asked for: CDN to the peer's session id, with an id of ours. */
  private refuseCall(now: Instant, peerSessionId: number, result: number, why: string): void {
    this.host.logger.log(['l2tp', 'info'], `${this.label}: call refused: ${why}`);
    this.sendControl(now, MessageType.CDN, peerSessionId, {
      resultCode: { result, error: GeneralError.NoError, message: why },
      assignedSessionId: this.host.allocateSessionId(this),
    });
  }

  private newSession(now: Instant, role: TunnelRole, direction: CallDirection): Session {
    const id = this.host.allocateSessionId(this);
    const s = new Session(id, role, direction, this.nextCallSerial++, this.host.logger, this.label, now);
    this.sessions.set(id, s);
    return s;
  }

  private sendIcrq(now: Instant, s: Session): void {
    this.sendControl(now, MessageType.ICRQ, 0, {
      assignedSessionId: s.id,
      callSerialNumber: s.callSerialNumber,
      bearerType: 0,
      ...(s.call.callingNumber !== undefined ? { callingNumber: s.call.callingNumber } : {}),
      ...(s.call.calledNumber !== undefined ? { calledNumber: s.call.calledNumber } : {}),
    });
    s.transition('wait-reply', 'ICRQ sent');
  }

  private sendOcrq(now: Instant, s: Session): void {
    this.sendControl(now, MessageType.OCRQ, 0, {
      assignedSessionId: s.id,
      callSerialNumber: s.callSerialNumber,
      minimumBps: 0,
      maximumBps: CONNECT_SPEED,
      bearerType: 0,
      framingType: FRAMING_SYNC,
      calledNumber: s.call.calledNumber ?? '',
    });
    s.transition('wait-reply', 'OCRQ sent');
  }

  private sessionUp(now: Instant, s: Session, why: string): void {
    s.transition('established', why);
    this.host.emit({
      type: 'session-up',
      tunnelId: this.id,
      sessionId: s.id,
      peerSessionId: s.peerId,
      role: s.role,
      direction: s.direction,
      peer: this.peer,
      call: s.call,
    });
    void now;
  }

  private dropSession(s: Session, why: string, code: L2tpDownCode, result?: ResultInfo): void {
    if (!this.sessions.delete(s.id)) return;
    s.transition('idle', why);
    this.host.emit({
      type: 'session-down',
      tunnelId: this.id,
      sessionId: s.id,
      reason: why,
      code,
      ...(result ? { result } : {}),
    });
  }

  private becomeEstablished(now: Instant, why: string): void {
    this.transition('established', why);
    this.establishedAt = now;
    this.armHello(now);
    this.host.emit({
      type: 'tunnel-up',
      tunnelId: this.id,
      peerTunnelId: this.peerId,
      role: this.role,
      peer: this.peer,
      peerHostName: this.peerHostName,
      ...(this.peerVendor !== undefined ? { peerVendor: this.peerVendor } : {}),
    });
    for (const s of this.sessions.values()) {
      if (s.state !== 'wait-tunnel') continue;
      if (s.direction === 'incoming') this.sendIcrq(now, s);
      else this.sendOcrq(now, s);
    }
  }

  private enterClosing(now: Instant, why: string, code: L2tpDownCode, result?: ResultInfo): void {
    this.transition('closing', why);
    this.timers.stop('hello');
    this.timers.set('linger', now + this.host.config.lingerMs);
    for (const s of [...this.sessions.values()]) this.dropSession(s, 'tunnel down', 'tunnel-down');
    if (!this.downEmitted) {
      this.downEmitted = true;
      this.host.emit({
        type: 'tunnel-down',
        tunnelId: this.id,
        role: this.role,
        peer: this.peer,
        reason: why,
        code,
        ...(result ? { result } : {}),
      });
    }
  }

  /**
   * We sent StopCCN: once it is acknowledged there is nothing left to say, but the peer may still
   * retransmit messages it sent before our StopCCN; keep answering until the linger ends. We
   * received StopCCN: we linger the full period to re-ack retransmitted StopCCNs (RFC 2661 5.7).
   */
  private checkClosingDone(_now: Instant): void {
    // The linger timer bounds the state; nothing to shorten here: an acknowledged StopCCN and a
    // quiet peer still keep a few bytes of state until the linger ends, which is what 5.7 asks.
  }

  private release(): void {
    this.timers.clear();
    this.host.release(this);
  }

  private armHello(now: Instant): void {
    const interval = this.host.config.helloIntervalMs;
    if (interval > 0) this.timers.set('hello', now + interval);
  }

  private onHelloTimer(now: Instant): void {
    if (this.state !== 'established') return;
    const interval = this.host.config.helloIntervalMs;
    const due = this.lastRx + interval;
    if (due > now) {
      // Traffic arrived since the timer was armed (data does not re-arm it, to stay cheap).
      this.timers.set('hello', due);
      return;
    }
    // RFC 2661 6.5: HELLO when nothing was received for a while; its ack (or lack of it, through
    // the channel's retransmission limit) tells whether the peer is still there.
    if (this.channel.isIdle) this.sendControl(now, MessageType.HELLO, 0, {});
    this.timers.set('hello', now + interval);
  }

  private sendControl(now: Instant, type: MessageType, sessionId: number, avps: Avps, hide?: boolean): void {
    const c = this.host.config;
    const wantHide = hide ?? (c.hideAvps && this.secret !== undefined);
    const bytes = encodeControl(
      { tunnelId: this.peerId, sessionId, type, avps },
      { ...(this.secret ? { secret: this.secret } : {}), hide: wantHide, random: this.host.random },
    );
    if (this.host.traceMessages) {
      this.host.emit({
        type: 'message',
        tunnelId: this.id,
        direction: 'tx',
        message: { tunnelId: this.peerId, sessionId, ns: 0, nr: 0, type, avps, unknown: [] },
      });
    }
    this.host.logger.log(['l2tp', 'debug'], `${this.label}: sending ${MessageType[type]}`);
    this.channel.send(now, bytes);
  }

  private transition(to: TunnelState, why: string): void {
    if (to === this.state) return;
    this.host.logger.log(['l2tp', 'debug'], `${this.label}: state ${this.state}=>${to} (${why})`);
    this.state = to;
  }
}

function callInfo(a: Avps, prev: CallInfo | undefined): CallInfo {
  const proxy =
    a.initialReceivedLcpConfReq || a.lastSentLcpConfReq || a.lastReceivedLcpConfReq || a.proxyAuthenType !== undefined
      ? {
          ...(a.initialReceivedLcpConfReq ? { initialReceivedLcpConfReq: a.initialReceivedLcpConfReq } : {}),
          ...(a.lastSentLcpConfReq ? { lastSentLcpConfReq: a.lastSentLcpConfReq } : {}),
          ...(a.lastReceivedLcpConfReq ? { lastReceivedLcpConfReq: a.lastReceivedLcpConfReq } : {}),
          ...(a.proxyAuthenType !== undefined ? { authenType: a.proxyAuthenType } : {}),
          ...(a.proxyAuthenName !== undefined ? { authenName: a.proxyAuthenName } : {}),
          ...(a.proxyAuthenChallenge ? { authenChallenge: a.proxyAuthenChallenge } : {}),
          ...(a.proxyAuthenId !== undefined ? { authenId: a.proxyAuthenId } : {}),
          ...(a.proxyAuthenResponse ? { authenResponse: a.proxyAuthenResponse } : {}),
        }
      : prev?.proxy;
  const pick = <K extends keyof CallInfo>(k: K, v: CallInfo[K] | undefined): Partial<CallInfo> =>
    v !== undefined ? ({ [k]: v } as Partial<CallInfo>) : prev?.[k] !== undefined ? ({ [k]: prev[k] } as Partial<CallInfo>) : {};
  return {
    ...pick('callingNumber', a.callingNumber),
    ...pick('calledNumber', a.calledNumber),
    ...pick('callSerialNumber', a.callSerialNumber),
    ...pick('txConnectSpeed', a.txConnectSpeed),
    ...pick('rxConnectSpeed', a.rxConnectSpeed),
    ...pick('framingType', a.framingType),
    ...pick('bearerType', a.bearerType),
    sequencingRequired: a.sequencingRequired === true || prev?.sequencingRequired === true,
    ...(proxy ? { proxy } : {}),
  };
}

export function describeResult(what: 'StopCCN' | 'CDN', r: ResultInfo): string {
  const names = what === 'StopCCN' ? STOPCCN_NAMES : CDN_NAMES;
  let s = `result ${r.result}${names[r.result] ? ` (${names[r.result]})` : ''}`;
  if (r.error !== undefined && r.error !== 0) s += `, error ${r.error}${ERROR_NAMES[r.error] ? ` (${ERROR_NAMES[r.error]})` : ''}`;
  if (r.message) s += `: ${r.message}`;
  return s;
}

const STOPCCN_NAMES: Record<number, string> = {
  0: 'reserved',
  1: 'general request to clear control connection',
  2: 'general error',
  3: 'control channel already exists',
  4: 'requester is not authorized',
  5: 'unsupported protocol version',
  6: 'requester is being shut down',
  7: 'finite state machine error',
};
const CDN_NAMES: Record<number, string> = {
  0: 'reserved',
  1: 'lost carrier',
  2: 'general error',
  3: 'administrative reasons',
  4: 'temporary lack of facilities',
  5: 'permanent lack of facilities',
  6: 'invalid destination',
  7: 'no carrier',
  8: 'busy',
  9: 'no dial tone',
  10: 'timeout',
  11: 'no appropriate framing',
};
const ERROR_NAMES: Record<number, string> = {
  1: 'no control connection',
  2: 'length is wrong',
  3: 'value out of range',
  4: 'insufficient resources',
  5: 'invalid session id',
  6: 'generic vendor error',
  7: 'try another',
  8: 'unknown mandatory AVP',
};
