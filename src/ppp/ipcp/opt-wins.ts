/**
 * IPCP Primary/Secondary NBNS (WINS) Server Address (types 130/132), RFC 1877 section 1.2.
 * Windows asks `<ms-wins 0.0.0.0>`: Nak with the configured server, Reject when none (the usual
 * case). Same logic as DNS (opt-dns.ts); the client never asks for WINS.
 */
import type { OptionHandler } from '../negotiator.js';
import { nameServerOption } from './opt-dns.js';
import type { IpcpNegotiated, IpcpSettings } from './types.js';

export function winsOption(index: 0 | 1, settings: IpcpSettings, negotiated: IpcpNegotiated): OptionHandler {
  return nameServerOption('wins', index, settings, negotiated);
}
