/**
 * IPV6CP negotiator assembly, RFC 5072 section 4: Interface-Identifier only; IPv6-Compression-
 * Protocol (type 2) is not offered and is Configure-Rejected as unknown.
 */
import type { Random } from '../../core/random.js';
import { OptionNegotiator } from '../negotiator.js';
import { interfaceIdOption, type Ipv6cpNegotiated } from './opt-interface-id.js';

export type { Ipv6cpNegotiated } from './opt-interface-id.js';

export function createIpv6cpNegotiator(random: Random, negotiated: Ipv6cpNegotiated): OptionNegotiator {
  return new OptionNegotiator([interfaceIdOption(random, negotiated)]);
}
