/**
 * IPCP IP-Address (type 3), RFC 1332 section 3.3.
 *
 * Server: requests its own (local) address; Naks any peer value other than the assigned remote
 * address (including 0.0.0.0, which asks us to assign one) with that address. Marked
 * `neverReject`: "Rejecting the address option makes Windows hang up" (INTEROP.md), so Max-Failure
 * never converts these Naks to Rejects.
 * Client: requests 0.0.0.0 (or the address last Nak'd to it) and accepts the server's Nak value;
 * acks the server's own address unless it is 0.0.0.0, which it cannot supply (Reject).
 */
import { equalBytes } from '../../core/bytes.js';
import { ACK, REJECT, nak, type OptionHandler } from '../negotiator.js';
import { IpcpOptionType, ZERO_ADDRESS, isZeroAddress, type IpcpNegotiated, type IpcpSettings } from './types.js';

export function addressOption(settings: IpcpSettings, negotiated: IpcpNegotiated): OptionHandler {
  let ours: Uint8Array = ZERO_ADDRESS;
  let rejected = false;
  return {
    type: IpcpOptionType.IPAddress,
    name: 'address',
    neverReject: true,
    reset() {
      rejected = false;
      ours = settings.role === 'server' ? (settings.assignment?.localAddress ?? ZERO_ADDRESS) : ZERO_ADDRESS;
    },
    ourRequest: () => (rejected ? undefined : ours),
    ackedByPeer(data) {
      negotiated.local = data.slice();
    },
    nakedByPeer(data) {
      // The client takes what the server offers; the server keeps its configured address.
      if (settings.role === 'client' && data.length === 4 && !isZeroAddress(data)) ours = data.slice();
    },
    rejectedByPeer() {
      rejected = true;
      if (settings.role === 'server' && settings.assignment) negotiated.local = settings.assignment.localAddress;
    },
    checkPeer(data) {
      if (data.length !== 4) return REJECT;
      if (settings.role === 'server') {
        const remote = settings.assignment?.remoteAddress;
        if (remote === undefined) return REJECT; // not reachable: IPCP starts only after authorize()
        return equalBytes(data, remote) ? ACK : nak(remote);
      }
      return isZeroAddress(data) ? REJECT : ACK;
    },
    peerAcked(data) {
      if (data) negotiated.remote = data.slice();
    },
  };
}
