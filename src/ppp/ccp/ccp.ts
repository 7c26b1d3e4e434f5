/**
 * CCP negotiator assembly (RFC 1962) with the one option we speak, MPPE (RFC 3078, opt-mppe.ts).
 * Every other compression option (Deflate, BSD-Compress, Predictor, MPPC-only requests...) is
 * unknown here and Configure-Rejected, so CCP can always open, possibly empty.
 *
 * CCP's own packets beyond Configure/Terminate/Code-Reject are Reset-Request (14) and Reset-Ack
 * (15) (RFC 1962 section 5); the link handles them (they touch the MPPE channel), see
 * `ccpResetCodes`.
 *
 * Call order: `createCcpNegotiator(settings, negotiated)` once per link; the link sets
 * `settings.keysAvailable` before CCP starts; after CCP opens, `mppeAgreement(negotiated, ...)`
 * says whether MPPE is on and with what parameters.
 */
import { ControlCode } from '../../wire/ppp/frame.js';
import { OptionNegotiator } from '../negotiator.js';
import { mppeOption } from './opt-mppe.js';
import type { CcpNegotiated, CcpSettings } from './types.js';

export * from './types.js';

export function createCcpNegotiator(settings: CcpSettings, negotiated: CcpNegotiated): OptionNegotiator {
  const mppe = mppeOption(settings, negotiated);
  return new OptionNegotiator([mppe], () => mppe.failure());
}

export const ccpResetCodes = { ResetRequest: ControlCode.ResetRequest, ResetAck: ControlCode.ResetAck } as const;
