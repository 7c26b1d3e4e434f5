/**
 * LCP Maximum-Receive-Unit (type 1), RFC 1661 section 6.1.
 *
 * We request our max-mru (RouterOS default 1450). A Nak moves us to the hinted value if it lies in
 * [MIN_MRU, max-mru]; a hint above max-mru is answered by asking max-mru again (Max-Failure on
 * the peer's side ends that). The peer's MRU is acked when >= MIN_MRU (else Nak'd up to MIN_MRU);
 * we send at most min(max-mtu, peer MRU), so a large peer MRU is harmless.
 */
import { readU16, u16Bytes } from '../../wire/ppp/frame.js';
import { ACK, REJECT, nak, type OptionHandler } from '../negotiator.js';
import { DEFAULT_MRU, LcpOptionType, MIN_MRU, type LcpNegotiated, type LcpSettings } from './types.js';

export function mruOption(settings: LcpSettings, negotiated: LcpNegotiated): OptionHandler {
  let ours = settings.mru;
  let rejected = false;
  return {
    type: LcpOptionType.MRU,
    name: 'mru',
    reset() {
      ours = settings.mru;
      rejected = false;
    },
    ourRequest: () => (rejected ? undefined : u16Bytes(ours)),
    ackedByPeer(data) {
      negotiated.mru = readU16(data) ?? ours;
    },
    nakedByPeer(data) {
      const v = readU16(data);
      if (v !== undefined && data.length === 2) ours = Math.max(MIN_MRU, Math.min(v, settings.mru));
    },
    rejectedByPeer() {
      rejected = true;
      negotiated.mru = DEFAULT_MRU;
    },
    checkPeer(data) {
      const v = readU16(data);
      if (v === undefined || data.length !== 2) return REJECT;
      return v < MIN_MRU ? nak(u16Bytes(MIN_MRU)) : ACK;
    },
    peerAcked(data) {
      negotiated.peerMru = data ? (readU16(data) ?? DEFAULT_MRU) : DEFAULT_MRU;
    },
  };
}
