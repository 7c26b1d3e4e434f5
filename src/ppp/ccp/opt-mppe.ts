/**
 * CCP option 18, MPPE (RFC 3078 section 2; MPPC of RFC 2118 shares the option and is refused).
 *
 * Our request: every allowed key length (S/M/L) plus H when we want stateless mode; never C or D.
 * The peer Naks it down to one length (and its mode): we adopt an allowed length; in mode 'any' we
 * also adopt its H bit, fixed modes keep theirs (the peer's Max-Failure then ends the option).
 *
 * The peer's request: we ack exactly one key length, the strongest both allow (128 > 56 > 40),
 * with our current mode's H bit and without C (MPPC) or D; anything else is Naked to that value.
 * When nothing is common we Nak with our strongest length (Windows over IPsec asks
 * `<mppe +H -M -S -L>`, no length at all). With use-encryption=no, or when authentication gave no
 * key material (PAP, CHAP-MD5), we neither request MPPE nor accept it: Configure-Reject, which lets
 * CCP open empty and leaves IPCP alone.
 *
 * Invariant: a peer request is acked only when it equals what we would Nak it to, so the acked
 * peer value always has a single key length.
 */
import { readU32, u32Bytes } from '../../wire/ppp/frame.js';
import { ACK, REJECT, nak, type OptionHandler } from '../negotiator.js';
import { CcpOptionType, MppeBit, strengthBit, strengthMask, strongestCommon, type CcpNegotiated, type CcpSettings } from './types.js';

export interface MppeOptionHandler extends OptionHandler {
  /** For the negotiator's fatalError: why the negotiation cannot succeed under `required`. */
  failure(): string | undefined;
}

export function mppeOption(settings: CcpSettings, negotiated: CcpNegotiated): MppeOptionHandler {
  let wishStateless = settings.mode !== 'stateful';
  let ourStrengths = strengthMask(settings.keyBits);
  let rejected = false;
  const enabled = () => settings.use !== 'no' && settings.keysAvailable;
  const hBit = () => (wishStateless ? MppeBit.H : 0);
  return {
    type: CcpOptionType.MppeMppc,
    name: 'mppe',
    reset() {
      wishStateless = settings.mode !== 'stateful';
      ourStrengths = strengthMask(settings.keyBits);
      rejected = false;
      negotiated.ours = undefined;
      negotiated.peers = undefined;
    },
    ourRequest: () => (enabled() && !rejected ? u32Bytes((ourStrengths | hBit()) >>> 0) : undefined),
    ackedByPeer(data) {
      negotiated.ours = data.length === 4 ? readU32(data) : undefined;
    },
    nakedByPeer(data) {
      const v = data.length === 4 ? readU32(data) : undefined;
      if (v === undefined || !enabled()) return;
      const s = strongestCommon(v, settings.keyBits);
      if (s !== undefined) ourStrengths = strengthBit(s);
      if (settings.mode === 'any') wishStateless = (v & MppeBit.H) !== 0;
    },
    rejectedByPeer() {
      rejected = true;
      negotiated.ours = undefined;
    },
    checkPeer(data) {
      const v = data.length === 4 ? readU32(data) : undefined;
      if (v === undefined || !enabled()) return REJECT;
      const s = strongestCommon(v, settings.keyBits) ?? strongestCommon(strengthMask(settings.keyBits), settings.keyBits);
      if (s === undefined) return REJECT;
      const desired = (strengthBit(s) | hBit()) >>> 0;
      return v === desired ? ACK : nak(u32Bytes(desired));
    },
    peerAcked(data) {
      negotiated.peers = data !== undefined && data.length === 4 ? readU32(data) : undefined;
    },
    failure() {
      if (settings.use === 'required' && rejected) return 'encryption required but not negotiated (peer rejected MPPE)';
      return undefined;
    },
  };
}
