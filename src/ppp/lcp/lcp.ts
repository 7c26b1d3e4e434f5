/**
 * LCP negotiator assembly (RFC 1661 section 6 and the options of RFC 1570, RFC 1990, RFC 2125)
 * and the LCP-only packets of RFC 1661 sections 5.7-5.9 and RFC 1570 (Protocol-Reject, Echo,
 * Discard, Identification, Time-Remaining) as small pure builders/parsers.
 *
 * Options we request: MRU (max-mru), Magic-Number, and (server) Authentication-Protocol.
 * Options we ack from the peer: MRU, ACCM, Magic-Number (unless looped), PFC, ACFC,
 * Authentication-Protocol (client, when allowed). Rejected: Callback, and MRRU / Endpoint
 * Discriminator / Link Discriminator unless multilink is enabled; any unknown type.
 * The order of handlers is the order of options in our Configure-Request.
 */
import type { Logger } from '../../core/log.js';
import type { Random } from '../../core/random.js';
import { u32Bytes, readU16, readU32 } from '../../wire/ppp/frame.js';
import { OptionNegotiator } from '../negotiator.js';
import { acfcOption } from './opt-acfc.js';
import { accmOption } from './opt-accm.js';
import { authOption } from './opt-auth.js';
import { callbackOption } from './opt-callback.js';
import { endpointDiscriminatorOption } from './opt-endpoint.js';
import { linkDiscriminatorOption } from './opt-link-discriminator.js';
import { magicOption } from './opt-magic.js';
import { mrruOption } from './opt-mrru.js';
import { mruOption } from './opt-mru.js';
import { pfcOption } from './opt-pfc.js';
import type { LcpNegotiated, LcpSettings } from './types.js';

export function createLcpNegotiator(
  settings: LcpSettings,
  negotiated: LcpNegotiated,
  random: Random,
  logger: Logger,
): OptionNegotiator {
  const auth = authOption(settings, negotiated);
  return new OptionNegotiator(
    [
      mruOption(settings, negotiated),
      accmOption(),
      auth,
      magicOption(random, negotiated, logger),
      pfcOption(negotiated),
      acfcOption(negotiated),
      callbackOption(),
      mrruOption(settings),
      endpointDiscriminatorOption(settings),
      linkDiscriminatorOption(settings),
    ],
    () => auth.failure(),
  );
}

/** Echo-Request/Reply and Discard-Request data: Magic-Number (0 when none) then anything. */
export function echoData(magic: number | undefined, extra: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(4 + extra.length);
  out.set(u32Bytes(magic ?? 0), 0);
  out.set(extra, 4);
  return out;
}

export function echoMagic(data: Uint8Array): number | undefined {
  return readU32(data);
}

/**
 * Protocol-Reject data (RFC 1661 section 5.7): Rejected-Protocol then Rejected-Information,
 * "truncated to comply with the peer's established MRU".
 */
export function protocolRejectData(protocol: number, information: Uint8Array, peerMru: number): Uint8Array {
  // 4 octets of LCP header + 2 of Rejected-Protocol precede the information.
  const room = Math.max(0, peerMru - 6);
  const info = information.length > room ? information.subarray(0, room) : information;
  const out = new Uint8Array(2 + info.length);
  out[0] = protocol >>> 8;
  out[1] = protocol & 0xff;
  out.set(info, 2);
  return out;
}

export function rejectedProtocol(data: Uint8Array): number | undefined {
  return readU16(data);
}
