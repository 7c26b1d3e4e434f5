/**
 * LCP Multilink MRRU (type 17), RFC 1990 section 5.1.1. Windows with multilink enabled sends
 * `<mrru 1614>`: rejected unless multilink is enabled in the configuration (default off); when on,
 * any 2-octet value is acked (multilink framing itself is later work).
 */
import { ACK, REJECT, type OptionHandler } from '../negotiator.js';
import { LcpOptionType, type LcpSettings } from './types.js';

export function mrruOption(settings: LcpSettings): OptionHandler {
  return {
    type: LcpOptionType.MRRU,
    name: 'mrru',
    checkPeer: (data) => (settings.multilink && data.length === 2 ? ACK : REJECT),
  };
}
