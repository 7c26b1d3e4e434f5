/**
 * CCP vocabulary (RFC 1962) and the MPPE/MPPC option's Supported Bits (RFC 3078 section 2): the
 * policy the option handler reads (`CcpSettings`, from the RouterOS profile's `use-encryption`) and
 * the record it writes (`CcpNegotiated`).
 *
 *   Supported Bits, 4 octets, most significant first (RFC 3078 section 2):
 *    3                   2                   1
 *    1 0 9 8 7 6 5 4 3 2 1 0 9 8 7 6 5 4 3 2 1 0 9 8 7 6 5 4 3 2 1 0
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                       |H|                     |M|S|L|D|     |C|
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   H stateless ("historyless") mode, M 56-bit, S 128-bit, L 40-bit, D obsolete, C MPPC.
 *
 * Invariant: bit values are plain unsigned 32-bit numbers (`>>> 0`).
 */
import type { MppeKeyBits } from '../../crypto/mppe-keys.js';

export const CcpOptionType = {
  /** RFC 1962 / RFC 2118 / RFC 3078: Microsoft PPC and PPE share option 18. */
  MppeMppc: 18,
} as const;

export const MppeBit = {
  H: 0x01000000,
  M: 0x80,
  S: 0x40,
  L: 0x20,
  D: 0x10,
  C: 0x01,
} as const;

export type UseEncryption = 'no' | 'yes' | 'required';

/**
 * Which mode we ask for. 'stateless' and 'stateful' are fixed; 'any' starts with stateless (as
 * RouterOS and Windows do) and follows the peer's Configure-Nak when it wants stateful.
 */
export type MppeModePolicy = 'stateless' | 'stateful' | 'any';

/** The encryption part of a PPP link configuration (RouterOS profile `use-encryption`). */
export interface MppePolicy {
  /** RouterOS `use-encryption` with `default` already resolved by the caller. */
  readonly use: UseEncryption;
  /** Key strengths we accept, any order; default all three (128 preferred, then 56, then 40). */
  readonly keyBits?: readonly MppeKeyBits[];
  /** Default 'any'. */
  readonly mode?: MppeModePolicy;
}

export interface CcpSettings {
  /** Mutable until the NCPs start: a server learns the user's profile only after authentication. */
  use: UseEncryption;
  readonly keyBits: readonly MppeKeyBits[];
  readonly mode: MppeModePolicy;
  /** Set by the link before CCP starts: authentication produced MPPE key material. */
  keysAvailable: boolean;
}

/** What the last negotiation agreed; undefined fields mean "not agreed". */
export interface CcpNegotiated {
  /** Supported Bits the peer acked in our request. */
  ours: number | undefined;
  /** Supported Bits of the peer's request that we acked. */
  peers: number | undefined;
}

export function freshCcpNegotiated(): CcpNegotiated {
  return { ours: undefined, peers: undefined };
}

export function ccpSettings(policy: MppePolicy): CcpSettings {
  const keyBits = policy.keyBits && policy.keyBits.length > 0 ? [...policy.keyBits] : [128, 56, 40];
  return { use: policy.use, keyBits: keyBits as MppeKeyBits[], mode: policy.mode ?? 'any', keysAvailable: false };
}

const STRENGTH_BITS: readonly { bits: MppeKeyBits; bit: number }[] = [
  { bits: 128, bit: MppeBit.S },
  { bits: 56, bit: MppeBit.M },
  { bits: 40, bit: MppeBit.L },
];

export function strengthBit(bits: MppeKeyBits): number {
  return bits === 128 ? MppeBit.S : bits === 56 ? MppeBit.M : MppeBit.L;
}

/** The strongest key length present in `supported` among `allowed` (128 > 56 > 40). */
export function strongestCommon(supported: number, allowed: readonly MppeKeyBits[]): MppeKeyBits | undefined {
  for (const s of STRENGTH_BITS) if ((supported & s.bit) !== 0 && allowed.includes(s.bits)) return s.bits;
  return undefined;
}

/** All strength bits for a list of key lengths. */
export function strengthMask(allowed: readonly MppeKeyBits[]): number {
  let m = 0;
  for (const b of allowed) m |= strengthBit(b);
  return m;
}

/** The agreed MPPE parameters: both directions acked the same single key length and mode. */
export interface MppeAgreement {
  readonly bits: MppeKeyBits;
  readonly stateless: boolean;
}

/**
 * Reads the outcome of a CCP negotiation. MPPE is usable only when both requests were acked, the
 * peer's (which we only ack with one key length) names a length our acked request also offered,
 * and both agree on the H bit; anything else is "no MPPE" with a reason.
 */
export function mppeAgreement(n: CcpNegotiated, allowed: readonly MppeKeyBits[]): MppeAgreement | { readonly reason: string } {
  if (n.ours === undefined && n.peers === undefined) return { reason: 'MPPE not negotiated' };
  if (n.ours === undefined) return { reason: 'peer refused our MPPE option' };
  if (n.peers === undefined) return { reason: 'peer did not request MPPE' };
  const bits = strongestCommon(n.peers, allowed);
  if (bits === undefined || (n.ours & strengthBit(bits)) === 0) return { reason: 'MPPE key lengths differ between directions' };
  const h1 = (n.ours & MppeBit.H) !== 0;
  const h2 = (n.peers & MppeBit.H) !== 0;
  if (h1 !== h2) return { reason: 'MPPE stateless/stateful mode differs between directions' };
  return { bits, stateless: h1 };
}

/** pppd-style text of Supported Bits, for logs: "+H -M +S -L -D -C". */
export function formatMppeBits(v: number): string {
  const f = (bit: number, name: string) => `${(v & bit) !== 0 ? '+' : '-'}${name}`;
  return [f(MppeBit.H, 'H'), f(MppeBit.M, 'M'), f(MppeBit.S, 'S'), f(MppeBit.L, 'L'), f(MppeBit.D, 'D'), f(MppeBit.C, 'C')].join(' ');
}
