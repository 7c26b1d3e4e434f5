/**
 * LCP Callback (type 13), RFC 1570 section 2.3. Windows asks `<callback CBCP>` (operation 6);
 * callback makes no sense for a VPN, so it is always Configure-Rejected (Windows then goes on).
 */
import { REJECT, type OptionHandler } from '../negotiator.js';
import { LcpOptionType } from './types.js';

export function callbackOption(): OptionHandler {
  return { type: LcpOptionType.Callback, name: 'callback', checkPeer: () => REJECT };
}
