/**
 * IPCP negotiator assembly, RFC 1332 (IP-Address; IP-Compression-Protocol VJ is not offered and,
 * like the deprecated IP-Addresses option 1, falls to "unknown" and is Configure-Rejected) and
 * RFC 1877 (DNS and NBNS servers). Order of our request: address, then primary/secondary DNS.
 */
import { OptionNegotiator } from '../negotiator.js';
import { addressOption } from './opt-address.js';
import { dnsOption } from './opt-dns.js';
import { winsOption } from './opt-wins.js';
import type { IpcpNegotiated, IpcpSettings } from './types.js';

export function createIpcpNegotiator(settings: IpcpSettings, negotiated: IpcpNegotiated): OptionNegotiator {
  return new OptionNegotiator([
    addressOption(settings, negotiated),
    dnsOption(0, settings, negotiated),
    winsOption(0, settings, negotiated),
    dnsOption(1, settings, negotiated),
    winsOption(1, settings, negotiated),
  ]);
}
