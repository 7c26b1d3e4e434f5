/**
 * The PPP link engine: one PPP session over one L2TP session, server (authenticator, address
 * giver) or client (peer). I/O-free: frames in via `handleFrame`, frames out via `pollTransmit`,
 * events out via `pollEvent`, time in via `now` and `handleTimeout`/`nextTimeout`.
 *
 * RFC 1661 section 3 (link phases Dead -> Establish -> Authenticate -> Network -> Terminate),
 * section 4 (automaton, fsm.ts, shared by LCP and every NCP), sections 5.7-5.9 (Protocol-Reject,
 * Echo, Discard), RFC 1570 (Identification, Time-Remaining), RFC 1332/1877 (IPCP), RFC 5072
 * (IPV6CP); authentication engines from src/auth (RFC 1334, 1994, 2433, 2759).
 *
 * Behaviour worth knowing (see INTEROP.md):
 * - lowerUp sends our LCP Configure-Request at once and acks the peer's promptly (RouterOS does
 *   both; iOS ignores the CHAP Challenge until LCP is Opened in both directions).
 * - Frames always carry FF 03 and a 2-octet Protocol field, whatever ACFC/PFC the peer asked for:
 *   those options allow a sender to compress, never oblige it; SoftEther and others send FF 03 on
 *   L2TP and expect it. Received frames may use either form.
 * - Server: after authentication it emits `need-addresses` and waits for `authorize()`; NCP
 *   packets that arrive meanwhile are held (the latest per protocol) and replayed when the NCP
 *   starts, so RouterOS/Windows clients that pipeline IPCP right after Success do not wait 3 s.
 * - Unknown protocols (BCP, IPV6CP when IPv6 is off, CCP without `encryption` config, ...) get
 *   LCP Protocol-Reject in the LCP Opened state ("Protocol-Reject packets can only be sent in the
 *   LCP Opened state", RFC 1661 section 5.7); a received Protocol-Reject of an NCP is that NCP's
 *   RXJ- (SoftEther Protocol-Rejects CCP).
 * - Encryption (config `encryption`, RouterOS `use-encryption`): CCP (RFC 1962, src/ppp/ccp/) is
 *   one more entry of the NCP table, started with IPCP (RouterOS pipelines both). When it opens
 *   with MPPE agreed (RFC 3078), every IPv4/IPv6 datagram we send is encrypted by the MppeChannel
 *   (src/ppp/mppe.ts) and sent as protocol 0x00FD; received 0x00FD frames are decrypted in place
 *   (handleFrame may overwrite the frame's octets) and dispatched by their inner protocol.
 *   Unencrypted IP is then discarded both ways ("packets must not be sent unencrypted once MPPE is
 *   negotiated"). CCP Reset-Request (14) flushes our sender and is answered by Reset-Ack (15); a
 *   stateful receiver that lost sync sends Reset-Request, repeated at most every RESET_REPEAT_MS
 *   (250 ms) while frames keep failing. With `use: 'required'` IP is held (not sent, and 'ipcp-up' not
 *   emitted) until MPPE is up, and the link goes down with code 'negotiation-failed' and a reason
 *   starting "encryption required but not negotiated" when authentication gave no keys, CCP
 *   finishes (peer Reject or Protocol-Reject, timeout) or opens without MPPE. With 'no' CCP still
 *   runs but Configure-Rejects MPPE, so CCP opens empty and IPCP is never disturbed.
 * - Keepalive as RouterOS: after `keepaliveTimeoutS` seconds without any received frame, an
 *   Echo-Request every second; each unanswered one logs "LCP missed echo reply"; after five the
 *   link closes with code 'keepalive' (one Terminate-Request as a courtesy, then down at once).
 * - The session is down when LCP finishes (tlf) or the lower layer goes down; the 'down' event
 *   is emitted once, with the first cause recorded (stable `code`s: 'admin', 'peer-terminated',
 *   'auth-failed', 'keepalive', 'negotiation-failed', 'lcp-terminated', 'lower-down', 'rejected',
 *   'bad-assignment').
 *
 * Invariants: handleFrame never throws on any input (malformed packets are silently discarded and
 * logged at debug); a PppLink is used once (after 'down' it ignores input).
 * Call order: construct; lowerUp(now); then any of handleFrame / handleTimeout / completeAuth /
 * authorize / close / sendIp; after each call drain pollTransmit() and pollEvent().
 */
import { createAuthenticator, createPeer } from '../auth/index.js';
import { protocolFor } from '../auth/lcp-option.js';
import type { AuthCheck, AuthEngine, AuthMethod, AuthVerdict } from '../auth/types.js';
import { fromUtf8 } from '../core/bytes.js';
import type { Logger } from '../core/log.js';
import { randomBytes, type Random } from '../core/random.js';
import { TimerTable, earliest, type Instant } from '../core/time.js';
import { ControlCode, PppProtocol, decodeFrame, encodeControl, encodeFrame, protocolName, type ControlPacket } from '../wire/ppp/frame.js';
import { DEFAULT_FSM_OPTIONS, Fsm, type FsmEvent, type FsmFinish, type FsmHost, type FsmOptions, type FsmState } from './fsm.js';
import { createIpcpNegotiator } from './ipcp/ipcp.js';
import { formatIpv4, freshIpcpNegotiated, isZeroAddress, parseIpv4, type IpcpAssignment, type IpcpSettings } from './ipcp/types.js';
import { createIpv6cpNegotiator, type Ipv6cpNegotiated } from './ipv6cp/ipv6cp.js';
import { createLcpNegotiator, echoData, echoMagic, protocolRejectData, rejectedProtocol } from './lcp/lcp.js';
import { freshNegotiated, type LcpNegotiated, type LcpSettings } from './lcp/types.js';
import { ccpSettings, createCcpNegotiator, formatMppeBits, freshCcpNegotiated, mppeAgreement, type CcpNegotiated, type CcpSettings, type MppePolicy } from './ccp/ccp.js';
import { MppeChannel, mppeDecryptErrorName, mppeStartKeys } from './mppe.js';

/** Least time between two Reset-Requests for one loss of sync (see maybeSendResetRequest). */
const RESET_REPEAT_MS = 250;

export type { AuthCheck, AuthMethod, AuthVerdict } from '../auth/types.js';
import type { UseEncryption } from './ccp/types.js';
export type { MppePolicy, UseEncryption } from './ccp/types.js';

export type PppRole = 'server' | 'client';
export type PppPhase = 'dead' | 'establish' | 'authenticate' | 'network' | 'terminate';

export interface PppLinkConfig {
  role: PppRole;
  /** max-mru: our MRU. */
  mru: number;
  /** max-mtu: we never send frames larger than min(mtu, peer MRU). */
  mtu: number;
  /** Server: allowed methods; client: `allow=`. */
  authentication: AuthMethod[];
  /** Client credentials. */
  credentials?: { user: string; password: string };
  /** Seconds without received traffic before echoes start; undefined or 0 disables. */
  keepaliveTimeoutS: number | undefined;
  usePeerDns: boolean;
  ipv6: boolean;
  multilink: boolean;
  restartMs?: number;
  maxConfigure?: number;
  maxTerminate?: number;
  maxFailure?: number;
  /** Our host name for CHAP (RouterOS: the identity). */
  name?: string;
  /** CCP/MPPE policy (RouterOS use-encryption). Absent: CCP is Protocol-Rejected, as before. */
  encryption?: MppePolicy;
}

export interface PppAddressAssignment {
  localAddress: string;
  remoteAddress: string;
  dns: string[];
  wins: string[];
  /** Server: the user's `use-encryption`, when the link was built with an encryption policy. */
  encryption?: UseEncryption;
}

export type PppDownCode =
  | 'admin'
  | 'peer-terminated'
  | 'auth-failed'
  | 'keepalive'
  | 'negotiation-failed'
  | 'lcp-terminated'
  | 'lower-down'
  | 'rejected'
  | 'bad-assignment';

export type PppEvent =
  | { type: 'phase'; phase: PppPhase }
  | { type: 'auth-check'; check: AuthCheck }
  | { type: 'authenticated'; user: string; method: AuthMethod }
  | { type: 'need-addresses'; user: string }
  | { type: 'ipcp-up'; local: string; remote: string; dns: string[]; wins: string[] }
  | { type: 'ipv6cp-up'; localId: Uint8Array; remoteId: Uint8Array }
  | { type: 'ip-packet'; protocol: 'ipv4' | 'ipv6'; packet: Uint8Array }
  | { type: 'down'; reason: string; code: PppDownCode | string };

/** The authentication factories (src/auth/index.ts by default; tests may substitute). */
export interface PppAuthFactory {
  createAuthenticator(method: AuthMethod, deps: { random: Random; logger: Logger; name: string }): AuthEngine;
  createPeer(method: AuthMethod, creds: { user: string; password: string }, deps: { random: Random; logger: Logger }): AuthEngine;
}

export interface PppLinkDeps {
  random: Random;
  logger: Logger;
  auth?: PppAuthFactory;
}

export interface PppLinkState {
  readonly phase: PppPhase;
  readonly lcp: FsmState;
  readonly ipcp: FsmState;
  readonly ipv6cp: FsmState | undefined;
  /** Undefined when encryption is not configured (CCP is Protocol-Rejected). */
  readonly ccp: FsmState | undefined;
  /** RouterOS `encoding`: "MPPE128 stateless", "MPPE40 stateful", ... or '' without MPPE. */
  readonly encoding: string;
  readonly negotiated: {
    mru: number;
    peerMru: number;
    /** What we send at most: min(max-mtu, peer MRU). */
    mtu: number;
    authMethod?: AuthMethod;
    localMagic?: number;
    peerMagic?: number;
  };
}

/** RouterOS: echoes every second once idle; five unanswered close the link. */
export const ECHO_INTERVAL_MS = 1000;
export const ECHO_MAX_MISSES = 5;
const DRAIN_LIMIT = 1000;

interface NcpEntry {
  readonly protocol: number;
  readonly fsm: Fsm;
  /** The latest packet received before the NCP started (server waiting for authorize()). */
  held: Uint8Array | undefined;
  started: boolean;
}

type KeepaliveTimer = 'idle' | 'echo';

/** Reason prefix of a link that went down because MPPE could not be agreed under 'required'. */
export const ENCRYPTION_REQUIRED_REASON = 'encryption required but not negotiated';
/** RFC 3078 section 3 / RFC 1962: only PPP protocols 0x0021..0x00FA travel inside MPPE. */
const MPPE_MIN_PROTOCOL = 0x0021;
const MPPE_MAX_PROTOCOL = 0x00fa;
/** FF 03 00 FD: Address, Control and Protocol of an MPPE frame. */
const MPPE_FRAME_PREFIX = 4;

export class PppLink {
  private phase: PppPhase = 'dead';
  private readonly tx: Uint8Array[] = [];
  private readonly events: PppEvent[] = [];
  private readonly lcpNegotiated: LcpNegotiated = freshNegotiated();
  private readonly lcp: Fsm;
  private readonly ipcp: Fsm;
  private readonly ipv6cp: Fsm | undefined;
  private readonly ccp: Fsm | undefined;
  private readonly ccpSettings: CcpSettings | undefined;
  private readonly ccpNegotiated: CcpNegotiated = freshCcpNegotiated();
  /** Set while CCP is Opened with MPPE agreed. */
  private mppe: MppeChannel | undefined;
  /** 'required': IPCP opened before MPPE; 'ipcp-up' waits for it. */
  private ipcpUpPending = false;
  /** CCP reached an outcome: opened (with or without MPPE), or finished (rejected, failed). */
  private ccpSettled = false;
  private lastResetRequestAt: Instant | undefined;
  private ccpResetId = 0;
  private readonly ncps = new Map<number, NcpEntry>();
  private readonly ipcpSettings: IpcpSettings;
  private readonly ipcpNegotiated = freshIpcpNegotiated();
  private readonly ipv6cpNegotiated: Ipv6cpNegotiated = { localId: undefined, remoteId: undefined };
  private readonly auth: PppAuthFactory;
  private authEngine: AuthEngine | undefined;
  private authMethod: AuthMethod | undefined;
  private authUser = '';
  /** The verdict of a successful authentication (MPPE keys for the future CCP). */
  authVerdict: AuthVerdict | undefined;
  private readonly timers = new TimerTable<KeepaliveTimer>();
  private lastReceived: Instant = 0;
  /** Any frame received since the last Echo-Request went out. */
  private heardSinceEcho = false;
  private echoMisses = 0;
  private echoId = 0;
  private cause: { code: PppDownCode; reason: string } | undefined;
  private finished = false;

  constructor(
    readonly config: PppLinkConfig,
    private readonly deps: PppLinkDeps,
  ) {
    this.auth = deps.auth ?? { createAuthenticator, createPeer };
    const fsmOptions: FsmOptions = {
      restartMs: config.restartMs ?? DEFAULT_FSM_OPTIONS.restartMs,
      maxConfigure: config.maxConfigure ?? DEFAULT_FSM_OPTIONS.maxConfigure,
      maxTerminate: config.maxTerminate ?? DEFAULT_FSM_OPTIONS.maxTerminate,
      maxFailure: config.maxFailure ?? DEFAULT_FSM_OPTIONS.maxFailure,
    };
    const lcpSettings: LcpSettings = {
      role: config.role,
      mru: config.mru,
      mtu: config.mtu,
      authentication: config.authentication,
      hasCredentials: config.credentials !== undefined,
      multilink: config.multilink,
    };
    const log = deps.logger;
    const firstId = () => randomBytes(deps.random, 1)[0]!;
    this.lcp = new Fsm(
      'LCP',
      this.lcpHost(),
      createLcpNegotiator(lcpSettings, this.lcpNegotiated, deps.random, log),
      (p) => this.sendProtocol(PppProtocol.LCP, p),
      log,
      fsmOptions,
      firstId(),
    );
    this.ipcpSettings = { role: config.role, usePeerDns: config.usePeerDns, assignment: undefined };
    this.ipcp = new Fsm(
      'IPCP',
      this.ncpHost('IPCP'),
      createIpcpNegotiator(this.ipcpSettings, this.ipcpNegotiated),
      (p) => this.sendProtocol(PppProtocol.IPCP, p),
      log,
      fsmOptions,
      firstId(),
    );
    this.ncps.set(PppProtocol.IPCP, { protocol: PppProtocol.IPCP, fsm: this.ipcp, held: undefined, started: false });
    if (config.ipv6) {
      this.ipv6cp = new Fsm(
        'IPV6CP',
        this.ncpHost('IPV6CP'),
        createIpv6cpNegotiator(deps.random, this.ipv6cpNegotiated),
        (p) => this.sendProtocol(PppProtocol.IPV6CP, p),
        log,
        fsmOptions,
        firstId(),
      );
      this.ncps.set(PppProtocol.IPV6CP, { protocol: PppProtocol.IPV6CP, fsm: this.ipv6cp, held: undefined, started: false });
    }
    if (config.encryption) {
      this.ccpSettings = ccpSettings(config.encryption);
      this.ccp = new Fsm(
        'CCP',
        this.ccpHost(),
        createCcpNegotiator(this.ccpSettings, this.ccpNegotiated),
        (p) => this.sendProtocol(PppProtocol.CCP, p),
        log,
        fsmOptions,
        firstId(),
      );
      this.ncps.set(PppProtocol.CCP, { protocol: PppProtocol.CCP, fsm: this.ccp, held: undefined, started: false });
    }
  }

  get state(): PppLinkState {
    const n = this.lcpNegotiated;
    return {
      phase: this.phase,
      lcp: this.lcp.state,
      ipcp: this.ipcp.state,
      ipv6cp: this.ipv6cp?.state,
      ccp: this.ccp?.state,
      encoding: this.mppe?.encoding ?? '',
      negotiated: {
        mru: n.mru,
        peerMru: n.peerMru,
        mtu: Math.min(this.config.mtu, n.peerMru),
        ...(n.authMethod !== undefined ? { authMethod: n.authMethod } : {}),
        ...(n.localMagic !== undefined ? { localMagic: n.localMagic } : {}),
        ...(n.peerMagic !== undefined ? { peerMagic: n.peerMagic } : {}),
      },
    };
  }

  // ---- inputs -------------------------------------------------------------------------------

  lowerUp(now: Instant): void {
    if (this.finished || this.phase !== 'dead') return;
    this.lastReceived = now;
    this.setPhase('establish');
    this.lcp.open(now);
    this.lcp.up(now);
  }

  lowerDown(now: Instant): void {
    if (this.finished) return;
    // A cause LCP already knows (e.g. the peer's Terminate-Request before its CDN) comes first.
    if (this.lcp.finish) this.recordFinish(this.lcp.finish);
    this.recordCause('lower-down', 'lower layer down');
    for (const n of this.ncps.values()) n.fsm.down(now);
    this.lcp.down(now);
    this.finish();
  }

  handleFrame(now: Instant, frame: Uint8Array): void {
    if (this.finished || this.phase === 'dead') return;
    const decoded = decodeFrame(frame);
    if (!decoded.ok) {
      this.deps.logger.log(['ppp', 'debug'], `bad PPP frame discarded: ${decoded.error.message}`);
      return;
    }
    this.noteReceived(now);
    const { protocol, information } = decoded.value;
    switch (protocol) {
      case PppProtocol.LCP:
        this.lcp.receive(now, information);
        break;
      case PppProtocol.PAP:
      case PppProtocol.CHAP:
        this.receiveAuth(now, protocol, information);
        break;
      case PppProtocol.IPV4:
        if (this.plaintextRefused()) break;
        if (this.ipcp.state === 'Opened') this.events.push({ type: 'ip-packet', protocol: 'ipv4', packet: information });
        break;
      case PppProtocol.IPV6:
        if (this.plaintextRefused()) break;
        if (this.ipv6cp?.state === 'Opened') this.events.push({ type: 'ip-packet', protocol: 'ipv6', packet: information });
        else if (!this.ipv6cp) this.protocolReject(protocol, information);
        break;
      case PppProtocol.COMPRESSED_DATAGRAM:
        if (this.ccp) this.receiveEncrypted(now, information);
        else this.protocolReject(protocol, information);
        break;
      default: {
        const ncp = this.ncps.get(protocol);
        if (ncp) this.receiveNcp(now, ncp, information);
        else this.protocolReject(protocol, information);
      }
    }
  }

  /** Data frames handled outside the engine (fast path) still count as traffic for keepalive. */
  noteReceived(now: Instant): void {
    this.lastReceived = now;
    this.heardSinceEcho = true;
  }

  completeAuth(now: Instant, verdict: AuthVerdict): void {
    if (this.finished || !this.authEngine?.completeCheck) return;
    this.authEngine.completeCheck(now, verdict);
    this.drainAuth(now);
  }

  authorize(now: Instant, a: PppAddressAssignment): void {
    if (this.finished || this.config.role !== 'server' || this.phase !== 'network') {
      this.deps.logger.log(['ppp', 'debug'], `authorize() ignored in phase ${this.phase}`);
      return;
    }
    const local = parseIpv4(a.localAddress);
    const remote = parseIpv4(a.remoteAddress);
    const dns = a.dns.slice(0, 2).map(parseIpv4);
    const wins = a.wins.slice(0, 2).map(parseIpv4);
    if (!local || !remote || isZeroAddress(remote) || dns.some((d) => !d) || wins.some((w) => !w)) {
      this.deps.logger.log(['ppp', 'error'], `bad address assignment ${JSON.stringify(a)}`);
      this.terminate(now, 'bad-assignment', 'bad address assignment');
      return;
    }
    const assignment: IpcpAssignment = {
      localAddress: local,
      remoteAddress: remote,
      dns: dns.filter((d): d is Uint8Array => d !== undefined),
      wins: wins.filter((w): w is Uint8Array => w !== undefined),
    };
    this.ipcpSettings.assignment = assignment;
    // The user's profile (known only now) decides use-encryption; CCP has not started yet.
    if (a.encryption !== undefined && this.ccpSettings) this.ccpSettings.use = a.encryption;
    this.startNcps(now);
  }

  close(now: Instant, reason: string): void {
    if (this.finished) return;
    this.terminate(now, 'admin', reason);
  }

  sendIp(packet: Uint8Array, protocol: 'ipv4' | 'ipv6'): void {
    if (this.finished) return;
    if (protocol === 'ipv4' ? this.ipcp.state !== 'Opened' : this.ipv6cp?.state !== 'Opened') return;
    const proto = protocol === 'ipv4' ? PppProtocol.IPV4 : PppProtocol.IPV6;
    const ch = this.mppe;
    if (ch) {
      // One allocation: the frame itself; the channel writes header and ciphertext into it.
      const frame = new Uint8Array(MPPE_FRAME_PREFIX + 2 + 2 + packet.length);
      frame[0] = 0xff;
      frame[1] = 0x03;
      frame[2] = PppProtocol.COMPRESSED_DATAGRAM >>> 8;
      frame[3] = PppProtocol.COMPRESSED_DATAGRAM & 0xff;
      ch.encryptDatagram(proto, packet, frame, MPPE_FRAME_PREFIX);
      this.tx.push(frame);
      return;
    }
    // 'required': hold IP (drop it) until MPPE is up.
    if (this.ccpSettings?.use === 'required') return;
    this.tx.push(encodeFrame(proto, packet));
  }

  handleTimeout(now: Instant): void {
    if (this.finished) return;
    this.lcp.handleTimeout(now);
    for (const n of this.ncps.values()) n.fsm.handleTimeout(now);
    const a = this.authEngine;
    if (a) {
      const t = a.nextTimeout();
      if (t !== undefined && t <= now) {
        a.handleTimeout(now);
        this.drainAuth(now);
      }
    }
    for (const name of this.timers.expired(now)) {
      if (this.finished) break;
      if (name === 'idle') this.idleExpired(now);
      else this.echoExpired(now);
    }
  }

  nextTimeout(): Instant | undefined {
    if (this.finished) return undefined;
    let t = earliest(this.lcp.nextTimeout(), this.authEngine?.nextTimeout(), this.timers.next());
    for (const n of this.ncps.values()) t = earliest(t, n.fsm.nextTimeout());
    return t;
  }

  pollTransmit(): Uint8Array | undefined {
    return this.tx.shift();
  }

  pollEvent(): PppEvent | undefined {
    return this.events.shift();
  }

  // ---- LCP ---------------------------------------------------------------------------------

  private lcpHost(): FsmHost {
    return {
      thisLayerUp: (now) => this.lcpUp(now),
      thisLayerDown: (now) => this.lcpDown(now),
      thisLayerStarted: () => {},
      thisLayerFinished: () => {
        this.recordFinish(this.lcp.finish);
        this.finish();
      },
      receiveExtended: (now, p, state) => this.lcpExtended(now, p, state),
      sendEchoReply: (_now, req) => {
        const magic = echoMagic(req.data);
        const ours = this.lcpNegotiated.localMagic;
        if (ours !== undefined && magic === ours) this.deps.logger.log(['ppp', 'lcp', 'warning'], 'LCP: Echo-Request carries our own Magic-Number, link may be looped back');
        this.sendProtocol(PppProtocol.LCP, encodeControl({ code: ControlCode.EchoReply, id: req.id, data: echoData(ours, req.data.subarray(4)) }));
      },
    };
  }

  private lcpUp(now: Instant): void {
    const n = this.lcpNegotiated;
    this.deps.logger.log(['ppp', 'lcp', 'debug'], `LCP opened: mru ${n.mru} peer-mru ${n.peerMru} auth ${n.authMethod ?? 'none'}`);
    this.lastReceived = now;
    this.startKeepalive(now);
    const method = n.authMethod;
    if (this.config.role === 'server' && this.config.authentication.length > 0 && method === undefined) {
      this.terminate(now, 'negotiation-failed', 'authentication protocol negotiation failed');
      return;
    }
    if (method === undefined) {
      this.authMethod = undefined;
      this.enterNetwork(now, this.config.credentials?.user ?? '');
      return;
    }
    this.authMethod = method;
    this.setPhase('authenticate');
    if (this.config.role === 'server') {
      this.authEngine = this.auth.createAuthenticator(method, { random: this.deps.random, logger: this.deps.logger, name: this.config.name ?? 'l2tp' });
    } else {
      const creds = this.config.credentials;
      if (!creds) {
        this.terminate(now, 'auth-failed', 'no credentials to authenticate with');
        return;
      }
      this.authEngine = this.auth.createPeer(method, creds, { random: this.deps.random, logger: this.deps.logger });
    }
    this.authEngine.start(now);
    this.drainAuth(now);
  }

  private lcpDown(now: Instant): void {
    // Leaving Opened: the network layers and authentication go with it (RFC 1661 section 3.7).
    this.timers.clear();
    this.authEngine = undefined;
    for (const n of this.ncps.values()) {
      n.fsm.down(now);
      n.held = undefined;
      n.started = false;
    }
    const s = this.lcp.state;
    this.setPhase(s === 'Closing' || s === 'Stopping' || this.cause ? 'terminate' : 'establish');
  }

  private lcpExtended(now: Instant, p: ControlPacket, state: FsmState): FsmEvent | undefined {
    const log = this.deps.logger;
    switch (p.code) {
      case ControlCode.ProtocolReject: {
        // "Protocol-Reject packets received in any state other than the LCP Opened state SHOULD
        // be silently discarded" (RFC 1661 section 5.7).
        if (state !== 'Opened') return 'RXR';
        const proto = rejectedProtocol(p.data);
        if (proto === undefined) return 'RXR';
        log.log(['ppp', 'lcp', 'info'], `LCP: peer rejected protocol ${protocolName(proto)}`);
        if (proto === PppProtocol.LCP) {
          this.recordCause('rejected', 'peer rejected LCP');
          return 'RXJ-';
        }
        if (this.authMethod !== undefined && proto === protocolFor(this.authMethod)) {
          this.recordCause('auth-failed', `peer rejected ${protocolName(proto)}`);
          return 'RXJ-';
        }
        const ncp = this.ncps.get(proto);
        if (ncp) ncp.fsm.protocolRejected(now);
        return 'RXJ+';
      }
      case ControlCode.EchoRequest:
      case ControlCode.EchoReply:
      case ControlCode.DiscardRequest:
        return 'RXR';
      case ControlCode.Identification:
        if (state === 'Opened' || state === 'Ack-Sent' || state === 'Ack-Rcvd' || state === 'Req-Sent')
          log.log(['ppp', 'lcp', 'info'], `LCP: peer identification "${printable(p.data.subarray(4))}"`);
        return 'RXR';
      case ControlCode.TimeRemaining: {
        const secs = p.data.length >= 8 ? ((p.data[4]! << 24) | (p.data[5]! << 16) | (p.data[6]! << 8) | p.data[7]!) >>> 0 : undefined;
        log.log(['ppp', 'lcp', 'info'], `LCP: peer says ${secs ?? '?'} seconds remaining`);
        return 'RXR';
      }
      default:
        return undefined;
    }
  }

  private protocolReject(protocol: number, information: Uint8Array): void {
    if (this.lcp.state !== 'Opened') return;
    this.deps.logger.log(['ppp', 'debug'], `sending Protocol-Reject for ${protocolName(protocol)}`);
    const data = protocolRejectData(protocol, information, this.lcpNegotiated.peerMru);
    this.sendProtocol(PppProtocol.LCP, encodeControl({ code: ControlCode.ProtocolReject, id: this.nextEchoId(), data }));
  }

  // ---- authentication ------------------------------------------------------------------------

  private receiveAuth(now: Instant, protocol: number, information: Uint8Array): void {
    const engine = this.authEngine;
    if (!engine || this.authMethod === undefined || protocolFor(this.authMethod) !== protocol) {
      if (this.authMethod === undefined && this.phase === 'network') this.protocolReject(protocol, information);
      return;
    }
    engine.handlePacket(now, information);
    this.drainAuth(now);
  }

  private drainAuth(now: Instant): void {
    for (let i = 0; i < DRAIN_LIMIT; i++) {
      const engine = this.authEngine;
      const method = this.authMethod;
      if (!engine || method === undefined) return;
      const out = engine.pollTransmit();
      if (out) {
        this.sendProtocol(protocolFor(method), out);
        continue;
      }
      const ev = engine.pollEvent();
      if (!ev) return;
      switch (ev.type) {
        case 'check':
          this.events.push({ type: 'auth-check', check: ev.check });
          break;
        case 'success': {
          if (this.phase !== 'authenticate') break;
          this.authVerdict = ev.verdict;
          const user = this.config.role === 'server' ? ev.user : (this.config.credentials?.user ?? ev.user);
          this.deps.logger.log(['ppp', 'info'], `${user} authenticated (${method})`);
          this.events.push({ type: 'authenticated', user, method });
          this.enterNetwork(now, user);
          break;
        }
        case 'failure':
          this.deps.logger.log(['ppp', 'info'], `authentication failed: ${ev.message}`);
          this.terminate(now, 'auth-failed', ev.message);
          return;
      }
    }
  }

  // ---- network phase -------------------------------------------------------------------------

  private enterNetwork(now: Instant, user: string): void {
    this.authUser = user;
    this.setPhase('network');
    const cs = this.ccpSettings;
    if (cs) {
      const v = this.authVerdict;
      cs.keysAvailable = v !== undefined && v.ok && v.mppe !== undefined;
      if (cs.use === 'required' && !cs.keysAvailable) {
        this.terminate(now, 'negotiation-failed', `${ENCRYPTION_REQUIRED_REASON}: authentication gave no MPPE keys`);
        return;
      }
    }
    if (this.config.role === 'server') this.events.push({ type: 'need-addresses', user });
    else this.startNcps(now);
  }

  private startNcps(now: Instant): void {
    for (const n of this.ncps.values()) {
      if (n.started) continue;
      n.started = true;
      n.fsm.open(now);
      n.fsm.up(now);
      const held = n.held;
      n.held = undefined;
      if (held) n.fsm.receive(now, held);
    }
  }

  private receiveNcp(now: Instant, ncp: NcpEntry, information: Uint8Array): void {
    // RFC 1661 section 3.5/3.6: NCP packets before the Network phase are silently discarded.
    if (this.phase !== 'network') return;
    if (!ncp.started) {
      ncp.held = information.slice();
      return;
    }
    ncp.fsm.receive(now, information);
  }

  private ncpHost(name: 'IPCP' | 'IPV6CP'): FsmHost {
    return {
      thisLayerUp: () => (name === 'IPCP' ? this.ipcpUp() : this.ipv6cpUp()),
      thisLayerDown: () => this.deps.logger.log(['ppp', 'debug'], `${name} down`),
      thisLayerStarted: () => {},
      thisLayerFinished: (now) => {
        const fsm = name === 'IPCP' ? this.ipcp : this.ipv6cp;
        const why = fsm?.finish?.reason ?? `${name} finished`;
        this.deps.logger.log(['ppp', 'info'], `${name} finished: ${why}`);
        // Without IPv4 the session is useless (RouterOS hangs up too); IPv6 is optional.
        if (name === 'IPCP' && this.phase === 'network' && !this.cause) this.terminate(now, 'negotiation-failed', `IPCP negotiation failed: ${why}`);
      },
    };
  }

  private ipcpUp(): void {
    if (this.ccpSettings?.use === 'required' && !this.mppe) {
      // Data must not flow before MPPE; tell the service about IPCP once CCP has opened.
      this.ipcpUpPending = true;
      return;
    }
    if (this.ccp && this.ccpSettings?.use === 'yes' && !this.mppe && !this.ccpSettled) {
      // use-encryption=yes: whether data is encrypted is known only when CCP settles (opens, or
      // is rejected); the service must not start plaintext data that MPPE would then forbid.
      this.ipcpUpPending = true;
      return;
    }
    this.ipcpUpPending = false;
    const n = this.ipcpNegotiated;
    const server = this.config.role === 'server';
    const local = server ? (this.ipcpSettings.assignment?.localAddress ?? n.local) : n.local;
    const nonzero = (xs: readonly Uint8Array[]) => xs.filter((x) => !isZeroAddress(x)).map(formatIpv4);
    const ev = { type: 'ipcp-up', local: formatIpv4(local), remote: formatIpv4(n.remote), dns: nonzero(n.dns), wins: nonzero(n.wins) } as const;
    this.deps.logger.log(['ppp', 'ipcp', 'info'], `IPCP up ${this.authUser} local ${ev.local} remote ${ev.remote}`);
    this.events.push(ev);
  }

  private ipv6cpUp(): void {
    const n = this.ipv6cpNegotiated;
    if (!n.localId || !n.remoteId) return;
    this.events.push({ type: 'ipv6cp-up', localId: n.localId, remoteId: n.remoteId });
  }

  // ---- CCP and MPPE --------------------------------------------------------------------------

  private ccpHost(): FsmHost {
    return {
      thisLayerUp: (now) => this.ccpUp(now),
      thisLayerDown: () => {
        if (this.mppe) this.deps.logger.log(['ppp', 'info'], 'MPPE down');
        this.mppe = undefined;
      },
      thisLayerStarted: () => {},
      thisLayerFinished: (now) => {
        const why = this.ccp?.finish?.reason ?? 'CCP finished';
        this.deps.logger.log(['ppp', 'info'], `CCP finished: ${why}`);
        this.ccpSettled = true;
        if (this.ccpSettings?.use === 'required' && this.phase === 'network' && !this.cause) {
          this.terminate(now, 'negotiation-failed', `${ENCRYPTION_REQUIRED_REASON}: ${why}`);
          return;
        }
        if (this.ipcpUpPending && this.ipcp.state === 'Opened') this.ipcpUp();
      },
      receiveExtended: (_now, p, state) => {
        switch (p.code) {
          case ControlCode.ResetRequest:
            // RFC 1962 section 5.1: the compressor resets and answers Reset-Ack with the same
            // Identifier; for MPPE the reset is a key change signalled by the flushed bit.
            if (state === 'Opened' && this.mppe) {
              this.mppe.peerResetRequested();
              this.sendProtocol(PppProtocol.CCP, encodeControl({ code: ControlCode.ResetAck, id: p.id, data: new Uint8Array(0) }));
            }
            return 'RXR';
          case ControlCode.ResetAck:
            return 'RXR';
          default:
            return undefined;
        }
      },
    };
  }

  private ccpUp(now: Instant): void {
    const settings = this.ccpSettings;
    if (!settings) return;
    const n = this.ccpNegotiated;
    const log = this.deps.logger;
    const a = mppeAgreement(n, settings.keyBits);
    if ('reason' in a) {
      const ours = n.ours === undefined ? 'none' : formatMppeBits(n.ours);
      const peers = n.peers === undefined ? 'none' : formatMppeBits(n.peers);
      log.log(['ppp', 'info'], `CCP opened without MPPE (${a.reason}; ours ${ours}, peer's ${peers})`);
      this.ccpSettled = true;
      if (settings.use === 'required') this.terminate(now, 'negotiation-failed', `${ENCRYPTION_REQUIRED_REASON}: ${a.reason}`);
      else if (this.ipcpUpPending && this.ipcp.state === 'Opened') this.ipcpUp();
      return;
    }
    const v = this.authVerdict;
    const material = v?.ok ? v.mppe : undefined;
    const keys = material ? mppeStartKeys(material, a.bits, this.config.role) : undefined;
    if (!keys) {
      log.log(['ppp', 'error'], 'CCP agreed MPPE but no usable key material');
      this.terminate(now, 'negotiation-failed', `${ENCRYPTION_REQUIRED_REASON}: no usable MPPE keys`);
      return;
    }
    this.mppe = new MppeChannel({ bits: a.bits, stateless: a.stateless, ...keys, plaintextCheck: plausibleMppePlaintext });
    this.ccpSettled = true;
    this.lastResetRequestAt = undefined;
    log.log(['ppp', 'info'], `MPPE up: ${this.mppe.encoding}`);
    if (this.ipcpUpPending && this.ipcp.state === 'Opened') this.ipcpUp();
  }

  /** Plaintext IP is refused once MPPE is up, and always under 'required'. */
  private plaintextRefused(): boolean {
    if (this.mppe || this.ccpSettings?.use === 'required') {
      this.deps.logger.log(['ppp', 'debug'], 'unencrypted IP discarded (MPPE in force)');
      return true;
    }
    return false;
  }

  private receiveEncrypted(now: Instant, information: Uint8Array): void {
    const r = this.decryptIp(now, information);
    if (r) this.events.push({ type: 'ip-packet', protocol: r.protocol, packet: r.packet });
  }

  /**
   * The data path's entry for MPPE frames (protocol 0x00FD, `information` after the protocol
   * field): decrypts in place and returns the IP datagram, or undefined when the frame is
   * discarded (lost sync: a Reset-Request goes out as usual). No event is queued.
   */
  receiveEncryptedIp(now: Instant, information: Uint8Array): { protocol: 'ipv4' | 'ipv6'; packet: Uint8Array } | undefined {
    if (this.finished || !this.ccp) return undefined;
    this.noteReceived(now);
    return this.decryptIp(now, information);
  }

  /**
   * The data path's MPPE send: writes FF 03, protocol 0x00FD and the encrypted datagram into
   * `out` at `offset`; returns the bytes written, or 0 when MPPE is not up or IPCP not open.
   */
  encryptIpInto(packet: Uint8Array, protocol: 'ipv4' | 'ipv6', out: Uint8Array, offset: number): number {
    const ch = this.mppe;
    if (this.finished || !ch) return 0;
    if (protocol === 'ipv4' ? this.ipcp.state !== 'Opened' : this.ipv6cp?.state !== 'Opened') return 0;
    if (out.length < offset + MPPE_FRAME_PREFIX + 4 + packet.length) return 0;
    out[offset] = 0xff;
    out[offset + 1] = 0x03;
    out[offset + 2] = PppProtocol.COMPRESSED_DATAGRAM >>> 8;
    out[offset + 3] = PppProtocol.COMPRESSED_DATAGRAM & 0xff;
    const n = ch.encryptDatagram(protocol === 'ipv4' ? PppProtocol.IPV4 : PppProtocol.IPV6, packet, out, offset + MPPE_FRAME_PREFIX);
    return MPPE_FRAME_PREFIX + n;
  }

  private decryptIp(now: Instant, information: Uint8Array): { protocol: 'ipv4' | 'ipv6'; packet: Uint8Array } | undefined {
    const ch = this.mppe;
    const log = this.deps.logger;
    if (!ch) {
      log.log(['ppp', 'debug'], 'MPPE frame before MPPE is up, discarded');
      return undefined;
    }
    // Decrypt in place: the plaintext (protocol + datagram) lands over the MPPE header.
    const n = ch.decrypt(information, information, 0);
    if (n < 0) {
      log.log(['ppp', 'debug'], `MPPE frame discarded: ${mppeDecryptErrorName(n)}`);
      this.maybeSendResetRequest(now, ch);
      return undefined;
    }
    const plain = information.subarray(0, n);
    const first = plain[0]!;
    // RFC 1661 section 6.5: a 1-octet (PFC) Protocol field is odd; a 2-octet one starts even.
    const compressed = (first & 1) === 1;
    const protocol = compressed ? first : n < 2 ? -1 : (first << 8) | plain[1]!;
    const data = plain.subarray(compressed ? 1 : 2);
    // MPPE has no checksum: a wrong key, a lost stream position, or a forged/corrupted frame all
    // decrypt to noise. Only a plausible IPv4/IPv6 datagram counts as decrypted; anything else
    // (including protocols outside 0x0021..0x00FA, which are never encrypted) is treated as lost
    // sync, which also undoes any key change the frame caused.
    const ip = plausibleIp(protocol, data);
    if (ip === undefined) {
      const name = protocol < MPPE_MIN_PROTOCOL || protocol > MPPE_MAX_PROTOCOL ? 'no datagram' : protocolName(protocol);
      log.log(['ppp', 'debug'], `MPPE plaintext is not a plausible datagram (${name}): discarded, lost sync`);
      ch.receiver.markLost();
      this.maybeSendResetRequest(now, ch);
      return undefined;
    }
    if (ip === 'ipv4' ? this.ipcp.state === 'Opened' : this.ipv6cp?.state === 'Opened') return { protocol: ip, packet: data };
    return undefined;
  }

  /**
   * RFC 1962 section 5.1 Reset-Request: at once on a new loss, then again when a frame is still
   * refused RESET_REPEAT_MS later. The answer is the sender's next (flushed) packet; if that is
   * lost too, nothing else resynchronises the receiver, and waiting the 3 s Restart interval (or
   * pppd's 1 s) stalled a 5%-lossy link for seconds. Paced, so forged frames cannot make us
   * send more than a few a second.
   */
  private maybeSendResetRequest(now: Instant, ch: MppeChannel): void {
    const ccp = this.ccp;
    if (ch.stateless || !ccp || ccp.state !== 'Opened') return;
    const last = this.lastResetRequestAt;
    const again = ch.receiver.resynchronizing && last !== undefined && now - last >= Math.min(RESET_REPEAT_MS, ccp.options.restartMs);
    if (!ch.resetRequest && !again) return;
    this.lastResetRequestAt = now;
    this.ccpResetId = (this.ccpResetId + 1) & 0xff;
    this.deps.logger.log(['ppp', 'debug'], 'MPPE lost sync: sending CCP Reset-Request');
    this.sendProtocol(PppProtocol.CCP, encodeControl({ code: ControlCode.ResetRequest, id: this.ccpResetId, data: new Uint8Array(0) }));
  }

  // ---- keepalive -----------------------------------------------------------------------------

  private keepaliveMs(): number | undefined {
    const s = this.config.keepaliveTimeoutS;
    return s !== undefined && s > 0 ? s * 1000 : undefined;
  }

  private startKeepalive(now: Instant): void {
    const ms = this.keepaliveMs();
    if (ms === undefined) return;
    this.echoMisses = 0;
    this.timers.stop('echo');
    this.timers.set('idle', now + ms);
  }

  private idleExpired(now: Instant): void {
    const ms = this.keepaliveMs();
    if (ms === undefined || this.lcp.state !== 'Opened') return;
    // Lazy idle timer: data frames only store lastReceived; re-arm if traffic came meanwhile.
    if (now < this.lastReceived + ms) {
      this.timers.set('idle', this.lastReceived + ms);
      return;
    }
    this.echoMisses = 0;
    this.sendEcho(now);
  }

  private echoExpired(now: Instant): void {
    const ms = this.keepaliveMs();
    if (ms === undefined || this.lcp.state !== 'Opened') return;
    if (this.heardSinceEcho) {
      this.echoMisses = 0;
      this.timers.set('idle', this.lastReceived + ms);
      return;
    }
    this.echoMisses++;
    this.deps.logger.log(['ppp', 'lcp', 'info'], 'LCP missed echo reply');
    if (this.echoMisses >= ECHO_MAX_MISSES) {
      this.abort(now, 'keepalive', 'keepalive timeout: no echo reply');
      return;
    }
    this.sendEcho(now);
  }

  private sendEcho(now: Instant): void {
    this.heardSinceEcho = false;
    this.sendProtocol(PppProtocol.LCP, encodeControl({ code: ControlCode.EchoRequest, id: this.nextEchoId(), data: echoData(this.lcpNegotiated.localMagic) }));
    this.timers.set('echo', now + ECHO_INTERVAL_MS);
  }

  private nextEchoId(): number {
    this.echoId = (this.echoId + 1) & 0xff;
    return this.echoId;
  }

  // ---- ending --------------------------------------------------------------------------------

  private recordCause(code: PppDownCode, reason: string): void {
    this.cause ??= { code, reason };
  }

  private recordFinish(f: FsmFinish | undefined): void {
    if (!f) return this.recordCause('lcp-terminated', 'LCP terminated');
    switch (f.code) {
      case 'peer-terminated':
        return this.recordCause('peer-terminated', 'peer terminated the link');
      case 'timeout':
        return this.recordCause('negotiation-failed', 'LCP negotiation timed out');
      case 'rejected':
        return this.recordCause('rejected', f.reason);
      case 'negotiation-failed':
        return this.recordCause('negotiation-failed', f.reason);
      case 'closed':
        return this.recordCause('lcp-terminated', f.reason);
    }
  }

  /** Graceful: LCP Terminate-Request, 'down' when LCP finishes. */
  private terminate(now: Instant, code: PppDownCode, reason: string): void {
    this.recordCause(code, reason);
    if (this.phase !== 'dead') this.setPhase('terminate');
    this.lcp.close(now, { code: 'closed', reason });
  }

  /** Immediate: one Terminate-Request as a courtesy, then down without waiting (dead peer). */
  private abort(now: Instant, code: PppDownCode, reason: string): void {
    this.recordCause(code, reason);
    this.lcp.close(now, { code: 'closed', reason });
    for (const n of this.ncps.values()) n.fsm.down(now);
    this.lcp.down(now);
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.timers.clear();
    this.authEngine = undefined;
    this.setPhase('dead');
    const cause = this.cause ?? { code: 'lcp-terminated', reason: 'LCP terminated' };
    this.deps.logger.log(['ppp', 'info'], `link down: ${cause.reason}`);
    this.events.push({ type: 'down', reason: cause.reason, code: cause.code });
  }

  // ---- helpers -------------------------------------------------------------------------------

  private setPhase(p: PppPhase): void {
    if (this.phase === p) return;
    this.phase = p;
    this.events.push({ type: 'phase', phase: p });
  }

  private sendProtocol(protocol: number, payload: Uint8Array): void {
    this.tx.push(encodeFrame(protocol, payload));
  }
}

/**
 * The IP version a decrypted MPPE payload plausibly carries: protocol 0x0021 with an IPv4 header
 * (version 4, IHL >= 5, Total Length within the data) or 0x0057 with an IPv6 header (version 6,
 * 40 + Payload Length within the data); otherwise undefined.
 */
/**
 * Whether `d` starts a plausible IPv4/IPv6 datagram of `length` octets (`d` may be a prefix: only
 * octets 0..5 are read, and only when present).
 */
function plausibleIp(protocol: number, d: Uint8Array, length = d.length): 'ipv4' | 'ipv6' | undefined {
  if (protocol === PppProtocol.IPV4) {
    if (length < 20 || d.length < 4 || d[0]! >> 4 !== 4 || (d[0]! & 0x0f) < 5) return undefined;
    const total = (d[2]! << 8) | d[3]!;
    return total >= 20 && total <= length ? 'ipv4' : undefined;
  }
  if (protocol === PppProtocol.IPV6) {
    if (length < 40 || d.length < 6 || d[0]! >> 4 !== 6) return undefined;
    return 40 + ((d[4]! << 8) | d[5]!) <= length ? 'ipv6' : undefined;
  }
  return undefined;
}

/**
 * MppePlaintextCheck for the stateful resynchronization: the first plaintext octets (Protocol
 * field, PFC or not, then the datagram) start a plausible IP datagram of the plaintext's length.
 */
function plausibleMppePlaintext(prefix: Uint8Array, length: number): boolean {
  if (prefix.length < 1) return false;
  const first = prefix[0]!;
  const compressed = (first & 1) === 1;
  if (!compressed && prefix.length < 2) return false;
  const protocol = compressed ? first : (first << 8) | prefix[1]!;
  const skip = compressed ? 1 : 2;
  return plausibleIp(protocol, prefix.subarray(skip), length - skip) !== undefined;
}

function printable(b: Uint8Array): string {
  return fromUtf8(b).replace(/[^\x20-\x7e]/g, '?').slice(0, 128);
}
