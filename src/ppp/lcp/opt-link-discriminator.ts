/**
 * LCP Link Discriminator (type 23), RFC 2125 section 5.2 (BACP), 2-octet value. Windows sends it
 * when multilink is on; rejected unless multilink is enabled.
 */
import { ACK, REJECT, type OptionHandler } from '../negotiator.js';
import { LcpOptionType, type LcpSettings } from './types.js';

export function linkDiscriminatorOption(settings: LcpSettings): OptionHandler {
  return {
    type: LcpOptionType.LinkDiscriminator,
    name: 'link-discriminator',
    checkPeer: (data) => (settings.multilink && data.length === 2 ? ACK : REJECT),
  };
}
