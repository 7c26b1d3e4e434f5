/**
 * LCP Endpoint Discriminator (type 19), RFC 1990 section 5.1.3: class octet plus address.
 * Rejected unless multilink is enabled (Windows sends it with multilink on).
 */
import { ACK, REJECT, type OptionHandler } from '../negotiator.js';
import { LcpOptionType, type LcpSettings } from './types.js';

export function endpointDiscriminatorOption(settings: LcpSettings): OptionHandler {
  return {
    type: LcpOptionType.EndpointDiscriminator,
    name: 'endpoint-discriminator',
    checkPeer: (data) => (settings.multilink && data.length >= 1 ? ACK : REJECT),
  };
}
