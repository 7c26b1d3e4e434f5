/**
 * IPCP Primary/Secondary DNS Server Address (types 129/131), RFC 1877 section 1.1, and the shared
 * logic for the NBNS (WINS) options (opt-wins.ts), which RFC 1877 defines the same way.
 *
 * Server: the client asks `<ms-dns1 0.0.0.0>`; Nak with the configured address; Ack when it
 * already matches; Reject when none is configured (Windows and macOS then go on without it).
 * Client: requests 0.0.0.0 when use-peer-dns (DNS only; never WINS) and takes the Nak'd value;
 * stops on Reject. A server asking us for a name server is rejected (we have none to give).
 */
import { equalBytes } from '../../core/bytes.js';
import { ACK, REJECT, nak, type OptionHandler } from '../negotiator.js';
import { IpcpOptionType, ZERO_ADDRESS, type IpcpNegotiated, type IpcpSettings } from './types.js';

export function nameServerOption(
  kind: 'dns' | 'wins',
  index: 0 | 1,
  settings: IpcpSettings,
  negotiated: IpcpNegotiated,
): OptionHandler {
  const type =
    kind === 'dns'
      ? index === 0
        ? IpcpOptionType.PrimaryDns
        : IpcpOptionType.SecondaryDns
      : index === 0
        ? IpcpOptionType.PrimaryNbns
        : IpcpOptionType.SecondaryNbns;
  let ours: Uint8Array = ZERO_ADDRESS;
  let rejected = false;
  const wanted = () => settings.role === 'client' && kind === 'dns' && settings.usePeerDns;
  return {
    type,
    name: `${kind}${index + 1}`,
    reset() {
      ours = ZERO_ADDRESS;
      rejected = false;
    },
    ourRequest: () => (wanted() && !rejected ? ours : undefined),
    ackedByPeer(data) {
      if (data.length === 4) negotiated[kind][index] = data.slice();
    },
    nakedByPeer(data) {
      if (wanted() && data.length === 4) ours = data.slice();
    },
    rejectedByPeer() {
      rejected = true;
    },
    checkPeer(data) {
      if (settings.role !== 'server' || data.length !== 4) return REJECT;
      const configured = settings.assignment?.[kind][index];
      if (configured === undefined) return REJECT;
      return equalBytes(data, configured) ? ACK : nak(configured);
    },
    peerAcked(data) {
      if (settings.role === 'server' && data) negotiated[kind][index] = data.slice();
    },
  };
}

export function dnsOption(index: 0 | 1, settings: IpcpSettings, negotiated: IpcpNegotiated): OptionHandler {
  return nameServerOption('dns', index, settings, negotiated);
}
