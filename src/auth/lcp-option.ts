/**
 * The LCP Authentication-Protocol configuration option (type 3) for our four methods.
 *
 * RFC 1661 section 6.2: the option data is the 2-octet Authentication-Protocol number followed by
 * protocol-specific data. RFC 1334 section 2.1: PAP is c023 with no data. RFC 1994 section 3:
 * CHAP is c223 followed by one Algorithm octet: 5 = MD5; RFC 2433 section 3 assigns 0x80 to
 * MS-CHAP (v1) and RFC 2759 section 3 assigns 0x81 to MS-CHAP-V2.
 *
 * The functions here see only the option Data (after the Type and Length octets); the LCP codec
 * in src/ppp owns the framing. No state; `methodFromLcpAuthOption` never throws.
 */
import type { AuthMethod } from './types.js';

export const PPP_PROTOCOL_PAP = 0xc023;
export const PPP_PROTOCOL_CHAP = 0xc223;

export const CHAP_ALGORITHM_MD5 = 5;
export const CHAP_ALGORITHM_MSCHAP1 = 0x80;
export const CHAP_ALGORITHM_MSCHAP2 = 0x81;

/** The PPP protocol number that carries `method`'s packets. */
export function protocolFor(method: AuthMethod): number {
  return method === 'pap' ? PPP_PROTOCOL_PAP : PPP_PROTOCOL_CHAP;
}

/** Option data: `c0 23` | `c2 23 05` | `c2 23 80` | `c2 23 81`. */
export function lcpAuthOptionData(method: AuthMethod): Uint8Array {
  switch (method) {
    case 'pap':
      return Uint8Array.of(0xc0, 0x23);
    case 'chap':
      return Uint8Array.of(0xc2, 0x23, CHAP_ALGORITHM_MD5);
    case 'mschap1':
      return Uint8Array.of(0xc2, 0x23, CHAP_ALGORITHM_MSCHAP1);
    case 'mschap2':
      return Uint8Array.of(0xc2, 0x23, CHAP_ALGORITHM_MSCHAP2);
  }
}

/**
 * The method an Authentication-Protocol option asks for, or undefined for anything we do not
 * implement (EAP c227, SHA-1 CHAP, malformed data) so LCP can Configure-Nak it.
 */
export function methodFromLcpAuthOption(data: Uint8Array): AuthMethod | undefined {
  if (data.length < 2) return undefined;
  const protocol = (data[0]! << 8) | data[1]!;
  if (protocol === PPP_PROTOCOL_PAP) return data.length === 2 ? 'pap' : undefined;
  if (protocol !== PPP_PROTOCOL_CHAP || data.length !== 3) return undefined;
  switch (data[2]) {
    case CHAP_ALGORITHM_MD5:
      return 'chap';
    case CHAP_ALGORITHM_MSCHAP1:
      return 'mschap1';
    case CHAP_ALGORITHM_MSCHAP2:
      return 'mschap2';
    default:
      return undefined;
  }
}
