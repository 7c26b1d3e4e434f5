/**
 * Public types of the L2TP engine (RFC 2661): configuration, addresses, events, transmits.
 *
 * The engine (`engine.ts`) is I/O-free. The platform hands it datagrams with the local socket
 * they arrived on (`via`), and sends what `pollTransmit()` yields from that same socket. `via` is
 * `MAIN_SOCKET` for the listening/connecting socket; when the server answers from an ephemeral
 * port (the seed manual: "further traffic is using any available UDP port"), the engine asks the
 * platform to open a socket with a `socket-open` event and uses its key from then on.
 */
import type { Millis } from '../core/time.js';
import type { ControlMessage } from '../wire/l2tp/message.js';

export interface Address {
  readonly ip: string;
  readonly port: number;
}

/** Key of a local UDP socket: the main one, or one opened for a single tunnel. */
export type SocketKey = number;
export const MAIN_SOCKET: SocketKey = 0;

export function addressKey(a: Address): string {
  return `${a.ip}:${a.port}`;
}

export interface RetransmitConfig {
  /** First retransmission timeout (RFC 2661 5.8: "1 second recommended"). */
  readonly initialMs: Millis;
  /** Cap of the exponential backoff (RFC: "at least 8 seconds"). */
  readonly maxMs: Millis;
  /** Retransmissions of one message before the tunnel is declared dead (RFC suggests 5). */
  readonly maxRetransmits: number;
}

export interface L2tpConfig {
  /** Host Name AVP we send (RFC 2661 4.4.3, mandatory in SCCRQ/SCCRP). */
  readonly hostName: string;
  readonly vendorName: string;
  readonly firmwareRevision: number;
  /** Our receive window, advertised in the Receive Window Size AVP. */
  readonly receiveWindow: number;
  /** HELLO after this long without any message from the peer (RFC 2661 6.5). 0 disables. */
  readonly helloIntervalMs: Millis;
  readonly retransmit: RetransmitConfig;
  /** Delay before a ZLB ack, giving a reply the chance to piggy-back the ack. */
  readonly ackDelayMs: Millis;
  /**
   * How long a closed tunnel's state is kept to re-ack a retransmitted StopCCN (RFC 2661 5.7:
   * "a full retransmission cycle"; 31 s with the default backoff).
   */
  readonly lingerMs: Millis;
  /** Tunnel secret for a peer address, or undefined when none (tunnel authentication off). */
  readonly secretFor: (peer: Address) => Uint8Array | undefined;
  /** Hide the AVPs RFC 2661 4.3 allows to hide, when a secret is known. */
  readonly hideAvps: boolean;
  /** LNS: answer from a fresh ephemeral UDP port instead of the listening one. */
  readonly ephemeralPort: boolean;
  /** Accept an OCRQ (place the call as a LAC) instead of refusing it with a CDN. */
  readonly acceptOutgoingCalls: boolean;
  /** Accept SCCRQs (LNS role). A pure client sets false: SCCRQs are answered with StopCCN. */
  readonly acceptTunnels: boolean;
  /** Bounds that keep a flood of SCCRQ/ICRQ from growing state without limit. */
  readonly maxTunnels: number;
  readonly maxSessionsPerTunnel: number;
  /**
   * RFC 2661 4.2 says an unknown AVP with the M bit tears down the tunnel or session. Field
   * implementations sometimes set M on vendor AVPs by mistake; `true` logs and ignores them.
   */
  readonly permissiveMandatory: boolean;
  /** Bytes of Offset padding to put in outgoing data messages (0 = no O bit). */
  readonly dataOffset: number;
  /** Put the L (length) bit in outgoing data messages (SoftEther and RouterOS do). */
  readonly dataLengthBit: boolean;
}

export const defaultL2tpConfig: L2tpConfig = {
  hostName: 'l2tp',
  vendorName: 'l2tp',
  firmwareRevision: 0x0100,
  receiveWindow: 8,
  helloIntervalMs: 60_000,
  retransmit: { initialMs: 1000, maxMs: 8000, maxRetransmits: 5 },
  ackDelayMs: 100,
  lingerMs: 31_000,
  secretFor: () => undefined,
  hideAvps: false,
  ephemeralPort: false,
  acceptOutgoingCalls: false,
  acceptTunnels: true,
  maxTunnels: 10_000,
  maxSessionsPerTunnel: 10_000,
  permissiveMandatory: false,
  dataOffset: 0,
  dataLengthBit: true,
};

export type TunnelRole = 'lac' | 'lns';

/** Tunnel states, RFC 2661 section 7.2 names; `closing` holds state during the 5.7 linger. */
export type TunnelState = 'idle' | 'wait-ctl-reply' | 'wait-ctl-conn' | 'established' | 'closing';

/** Session states, RFC 2661 sections 7.3 and 7.4 names. */
export type SessionState =
  | 'idle'
  | 'wait-tunnel'
  | 'wait-reply'
  | 'wait-connect'
  | 'wait-cs-answer'
  | 'established';

/** Why a session exists: an incoming call (ICRQ) or an outgoing call (OCRQ). */
export type CallDirection = 'incoming' | 'outgoing';

/** What the peer told us about the call, handed to the PPP layer above. */
export interface CallInfo {
  readonly callingNumber?: string;
  readonly calledNumber?: string;
  readonly callSerialNumber?: number;
  readonly txConnectSpeed?: number;
  readonly rxConnectSpeed?: number;
  readonly framingType?: number;
  readonly bearerType?: number;
  readonly sequencingRequired: boolean;
  /** Proxy LCP and authentication AVPs (RFC 2661 4.4.5), as a Cisco LAC sends in ICCN. */
  readonly proxy?: {
    readonly initialReceivedLcpConfReq?: Uint8Array;
    readonly lastSentLcpConfReq?: Uint8Array;
    readonly lastReceivedLcpConfReq?: Uint8Array;
    readonly authenType?: number;
    readonly authenName?: string;
    readonly authenChallenge?: Uint8Array;
    readonly authenId?: number;
    readonly authenResponse?: Uint8Array;
  };
}

/** Result of a StopCCN or CDN, sent or received (RFC 2661 4.4.2). */
export interface ResultInfo {
  readonly result: number;
  readonly error?: number;
  readonly message?: string;
}

export type L2tpEvent =
  | { readonly type: 'tunnel-up'; readonly tunnelId: number; readonly peerTunnelId: number; readonly role: TunnelRole; readonly peer: Address; readonly peerHostName: string; readonly peerVendor?: string }
  | { readonly type: 'tunnel-down'; readonly tunnelId: number; readonly role: TunnelRole; readonly peer: Address; readonly reason: string; readonly code: L2tpDownCode; readonly result?: ResultInfo }
  | { readonly type: 'session-up'; readonly tunnelId: number; readonly sessionId: number; readonly peerSessionId: number; readonly role: TunnelRole; readonly direction: CallDirection; readonly peer: Address; readonly call: CallInfo }
  | { readonly type: 'session-down'; readonly tunnelId: number; readonly sessionId: number; readonly reason: string; readonly code: L2tpDownCode; readonly result?: ResultInfo }
  | { readonly type: 'session-data'; readonly tunnelId: number; readonly sessionId: number; readonly payload: Uint8Array }
  | { readonly type: 'socket-open'; readonly socket: SocketKey }
  | { readonly type: 'socket-close'; readonly socket: SocketKey }
  | { readonly type: 'message'; readonly tunnelId: number; readonly direction: 'rx' | 'tx'; readonly message: ControlMessage };

/** Stable reasons for a tunnel or session going down (never match on text). */
export type L2tpDownCode =
  | 'local-close'
  | 'peer-stopccn'
  | 'peer-cdn'
  | 'retransmit-limit'
  | 'auth-failed'
  | 'protocol-error'
  | 'unknown-mandatory-avp'
  | 'tunnel-down'
  | 'refused'
  | 'limit';

export interface Transmit {
  readonly to: Address;
  readonly via: SocketKey;
  readonly bytes: Uint8Array;
}

/** Counters of what the engine saw; bad input is counted, never thrown. */
export interface L2tpStats {
  datagrams: number;
  dataMessages: number;
  controlMessages: number;
  malformed: number;
  unknownTunnel: number;
  unknownSession: number;
  wrongPeer: number;
  refusedTunnels: number;
  tunnelsCreated: number;
  sessionsCreated: number;
}
