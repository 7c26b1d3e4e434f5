/**
 * LCP Protocol-Field-Compression (type 7), RFC 1661 section 6.5. We ack the peer's request (our
 * decoder accepts 1-octet Protocol fields at any time) and never request it: we always send the
 * 2-octet field, which every peer must accept.
 */
import { ACK, REJECT, type OptionHandler } from '../negotiator.js';
import { LcpOptionType, type LcpNegotiated } from './types.js';

export function pfcOption(negotiated: LcpNegotiated): OptionHandler {
  return {
    type: LcpOptionType.PFC,
    name: 'pfc',
    checkPeer: (data) => (data.length === 0 ? ACK : REJECT),
    peerAcked(data) {
      negotiated.peerPfc = data !== undefined;
    },
  };
}
