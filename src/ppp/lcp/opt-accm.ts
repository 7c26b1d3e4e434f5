/**
 * LCP Async-Control-Character-Map (type 2), RFC 1662 section 7.1. Meaningless on L2TP (no async
 * HDLC framing), but macOS/iOS ask `<asyncmap 0x0>`: ack any well-formed value, never request it.
 */
import { ACK, REJECT, type OptionHandler } from '../negotiator.js';
import { LcpOptionType } from './types.js';

export function accmOption(): OptionHandler {
  return {
    type: LcpOptionType.ACCM,
    name: 'accm',
    checkPeer: (data) => (data.length === 4 ? ACK : REJECT),
  };
}
