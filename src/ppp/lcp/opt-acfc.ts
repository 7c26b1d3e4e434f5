/**
 * LCP Address-and-Control-Field-Compression (type 8), RFC 1661 section 6.6. Acked, never
 * requested: we always send FF 03 on L2TP (SoftEther and others expect it; RFC 2661 section 5.1
 * leaves it to PPP), and our decoder accepts frames with or without it.
 */
import { ACK, REJECT, type OptionHandler } from '../negotiator.js';
import { LcpOptionType, type LcpNegotiated } from './types.js';

export function acfcOption(negotiated: LcpNegotiated): OptionHandler {
  return {
    type: LcpOptionType.ACFC,
    name: 'acfc',
    checkPeer: (data) => (data.length === 0 ? ACK : REJECT),
    peerAcked(data) {
      negotiated.peerAcfc = data !== undefined;
    },
  };
}
