/**
 * Shared LCP vocabulary: option type numbers (RFC 1661 section 6, RFC 1570, RFC 1990, RFC 2125),
 * the settings the LCP option handlers read, and the record of negotiated values they write.
 *
 * Invariant: `LcpNegotiated` is written only by the option handlers (on Ack) and reset at the start
 * of each LCP negotiation; the link reads it.
 */
import type { AuthMethod } from '../../auth/types.js';

export const LcpOptionType = {
  MRU: 1,
  ACCM: 2,
  AuthenticationProtocol: 3,
  QualityProtocol: 4,
  MagicNumber: 5,
  PFC: 7,
  ACFC: 8,
  Callback: 13,
  MRRU: 17,
  ShortSequence: 18,
  EndpointDiscriminator: 19,
  LinkDiscriminator: 23,
} as const;

/** RFC 1661 section 6.1: the default MRU is 1500 octets. */
export const DEFAULT_MRU = 1500;
/** The smallest MRU we accept from or agree to with a peer (a floor against silly values). */
export const MIN_MRU = 128;

export interface LcpSettings {
  readonly role: 'server' | 'client';
  /** Our MRU (RouterOS max-mru). */
  readonly mru: number;
  /** Our MTU (RouterOS max-mtu): we never send more than min(mtu, peer's MRU). */
  readonly mtu: number;
  /** Server: allowed methods; client: methods we accept (`allow=`). */
  readonly authentication: readonly AuthMethod[];
  /** Client: whether we have credentials to authenticate with. */
  readonly hasCredentials: boolean;
  readonly multilink: boolean;
}

export interface LcpNegotiated {
  /** Our MRU as acked by the peer (DEFAULT_MRU if we did not or could not ask). */
  mru: number;
  /** The peer's MRU (DEFAULT_MRU unless it asked). */
  peerMru: number;
  /** Server: the method the peer acked; client: the method we acked. */
  authMethod: AuthMethod | undefined;
  /** Our Magic-Number as acked; undefined when the peer rejected it (SoftEther). */
  localMagic: number | undefined;
  peerMagic: number | undefined;
  /** The peer may send us compressed Protocol / Address-Control fields. */
  peerPfc: boolean;
  peerAcfc: boolean;
}

export function freshNegotiated(): LcpNegotiated {
  return {
    mru: DEFAULT_MRU,
    peerMru: DEFAULT_MRU,
    authMethod: undefined,
    localMagic: undefined,
    peerMagic: undefined,
    peerPfc: false,
    peerAcfc: false,
  };
}
