/**
 * LCP Magic-Number (type 5), RFC 1661 section 6.4, with looped-back link detection.
 *
 * - We request a random nonzero Magic-Number (from the injected Random).
 * - Peer's value 0: "A Magic-Number of zero is illegal and MUST always be Nak'd, if it is not
 *   Rejected outright" -> Nak with a random suggestion.
 * - Peer's value equal to ours: possibly a looped-back link -> Nak with a different random value
 *   and choose a new value of our own; each such event is counted (`loops`) and logged.
 * - Our value Nak'd: choose a new one, different from the previous.
 * - Our value Rejected (SoftEther does this): stop sending it; echoes then carry magic 0.
 */
import type { Logger } from '../../core/log.js';
import { randomU32, type Random } from '../../core/random.js';
import { readU32, u32Bytes } from '../../wire/ppp/frame.js';
import { ACK, REJECT, nak, type OptionHandler } from '../negotiator.js';
import { LcpOptionType, type LcpNegotiated } from './types.js';

export function newMagic(random: Random, avoid: number | undefined): number {
  // Bounded: a 32-bit generator returning 0 or `avoid` 16 times in a row is broken anyway.
  for (let i = 0; i < 16; i++) {
    const v = randomU32(random);
    if (v !== 0 && v !== avoid) return v;
  }
  return ((avoid ?? 0) + 1) >>> 0 || 1;
}

export function magicOption(random: Random, negotiated: LcpNegotiated, logger: Logger): OptionHandler & { loops(): number } {
  let ours: number | undefined;
  let rejected = false;
  let loops = 0;
  return {
    type: LcpOptionType.MagicNumber,
    name: 'magic',
    loops: () => loops,
    reset() {
      ours = newMagic(random, undefined);
      rejected = false;
      negotiated.localMagic = undefined;
    },
    ourRequest() {
      if (rejected) return undefined;
      ours ??= newMagic(random, undefined);
      return u32Bytes(ours);
    },
    ackedByPeer(data) {
      negotiated.localMagic = readU32(data);
    },
    nakedByPeer() {
      ours = newMagic(random, ours);
    },
    rejectedByPeer() {
      rejected = true;
      negotiated.localMagic = undefined;
    },
    checkPeer(data) {
      const v = readU32(data);
      if (v === undefined || data.length !== 4) return REJECT;
      if (v === 0) return nak(u32Bytes(newMagic(random, ours)));
      if (ours !== undefined && !rejected && v === ours) {
        loops++;
        logger.log(['ppp', 'lcp', 'warning'], `LCP: peer's Magic-Number equals ours (${loops}), link may be looped back`);
        const suggestion = newMagic(random, ours);
        ours = newMagic(random, suggestion);
        return nak(u32Bytes(suggestion));
      }
      return ACK;
    },
    peerAcked(data) {
      negotiated.peerMagic = data ? readU32(data) : undefined;
    },
  };
}
