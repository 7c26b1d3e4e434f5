/**
 * An in-memory RADIUS server twin for engine tests: users with cleartext passwords, answering
 * Access-Requests for PAP (RFC 2865 5.2), CHAP (RFC 2865 5.3), MS-CHAPv1 and MS-CHAPv2 (RFC 2548)
 * the way FreeRADIUS does with `Cleartext-Password` (see ../shared/LAB.md):
 *   - MS-CHAPv2 accept: MS-CHAP2-Success (Ident + "S=..."), MS-MPPE-Send-Key / Recv-Key holding
 *     the RFC 3079 start keys of the NAS (server) side, salted-encrypted (RFC 2548 2.4.2/2.4.3);
 *   - MS-CHAPv1 accept: MS-CHAP-MPPE-Keys (LM-Key, NT-Key; RFC 2548 2.4.1);
 *   - MS-CHAP reject: MS-CHAP-Error "E=691 R=0"; other rejects: Reply-Message;
 *   - Accounting-Request: verified (RFC 2866 section 3), recorded, answered.
 * Per-user reply attributes (Framed-IP-Address, ...) are added to an Access-Accept.
 *
 * `handle(bytes)` returns the reply datagram or undefined (dropped: bad authenticator, bad
 * Message-Authenticator, `down`). Tests route the client's datagrams here themselves, so loss,
 * outages and spoofing are explicit. `dynamicRequest` builds Disconnect/CoA-Requests (RFC 5176)
 * as a RADIUS server would send them to the NAS.
 *
 * Not I/O: pure functions of the bytes in and the injected Random (salts).
 */
import { concat, fromUtf8, utf8 } from '../core/bytes.js';
import { SeededRandom, type Random } from '../core/random.js';
import { hashNtPasswordHash, lmPasswordHash, ntPasswordHash } from '../crypto/mschap.js';
import { mppeStartKeysV2 } from '../crypto/mppe-keys.js';
import {
  encryptMppeKey,
  hideUserPassword,
  randomSalts,
  signAccountingRequest,
  signMessageAuthenticator,
  signResponseAuthenticator,
  unhideUserPassword,
  verifyAccountingRequest,
  verifyMessageAuthenticator,
} from '../crypto/radius-crypto.js';
import { verifyWithPassword } from '../auth/verify.js';
import type { AuthCheck } from '../auth/types.js';
import { RadiusCode } from '../wire/radius/dictionary.js';
import {
  attribute,
  decodePacket,
  encodePacket,
  findAttribute,
  getOctets,
  getText,
  type RadiusAttribute,
  type RadiusPacket,
} from '../wire/radius/packet.js';

export interface TwinUser {
  readonly password: string;
  /** Extra attributes for an Access-Accept (e.g. attribute('Framed-IP-Address', '10.0.0.5')). */
  readonly reply?: readonly RadiusAttribute[];
}

export interface RadiusTwinOptions {
  readonly secret: string;
  readonly users: Readonly<Record<string, TwinUser>>;
  readonly random?: Random;
  /** Add Message-Authenticator to replies (FreeRADIUS >= 3.2.5 does; 3.2.1 does not). Default true. */
  readonly signReplies?: boolean;
}

export class RadiusTwin {
  /** When true every datagram is dropped (server stopped). */
  down = false;
  readonly accessRequests: RadiusPacket[] = [];
  readonly accountingRecords: RadiusPacket[] = [];
  /** Datagrams dropped for a bad authenticator or Message-Authenticator. */
  dropped = 0;
  private readonly secret: Uint8Array;
  private readonly random: Random;
  private readonly signReplies: boolean;

  constructor(private readonly options: RadiusTwinOptions) {
    this.secret = utf8(options.secret);
    this.random = options.random ?? new SeededRandom(1812);
    this.signReplies = options.signReplies ?? true;
  }

  handle(bytes: Uint8Array): Uint8Array | undefined {
    if (this.down) return undefined;
    const decoded = decodePacket(bytes);
    if (!decoded.ok) return this.drop();
    const p = decoded.packet;
    if (findAttribute(p, 'Message-Authenticator') && !verifyMessageAuthenticator(bytes, this.secret)) return this.drop();
    if (p.code === RadiusCode.AccountingRequest) {
      if (!verifyAccountingRequest(bytes, this.secret)) return this.drop();
      this.accountingRecords.push(p);
      return this.reply(p, RadiusCode.AccountingResponse, []);
    }
    if (p.code !== RadiusCode.AccessRequest) return this.drop();
    this.accessRequests.push(p);
    return this.access(p);
  }

  private drop(): undefined {
    this.dropped++;
    return undefined;
  }

  private access(p: RadiusPacket): Uint8Array {
    const name = getText(p, 'User-Name') ?? '';
    const user = this.options.users[name];
    const check = checkOf(p, name, this.secret);
    const isMsChap = check?.method === 'mschap1' || check?.method === 'mschap2';
    const reject = (): Uint8Array =>
      this.reply(p, RadiusCode.AccessReject, isMsChap
        ? [attribute('MS-CHAP-Error', concat([Uint8Array.of(0), utf8('E=691 R=0')]))]
        : [attribute('Reply-Message', 'invalid user name or password')]);
    if (!user || !check) return reject();
    const verdict = verifyWithPassword(check, user.password);
    if (!verdict.ok) return reject();
    const extra: RadiusAttribute[] = [...(user.reply ?? [])];
    if (check.method === 'mschap2' && verdict.authenticatorResponse !== undefined) {
      extra.push(attribute('MS-CHAP2-Success', concat([Uint8Array.of(0), utf8(verdict.authenticatorResponse)])));
      const phh = hashNtPasswordHash(ntPasswordHash(user.password));
      const keys = mppeStartKeysV2(phh, check.ntResponse, 128, true);
      const [s1, s2] = randomSalts(this.random, 2);
      extra.push(attribute('MS-MPPE-Send-Key', encryptMppeKey(keys.sendStartKey, this.secret, p.authenticator, s1!)));
      extra.push(attribute('MS-MPPE-Recv-Key', encryptMppeKey(keys.receiveStartKey, this.secret, p.authenticator, s2!)));
      extra.push(attribute('MS-MPPE-Encryption-Policy', 'Encryption-Allowed'));
      extra.push(attribute('MS-MPPE-Encryption-Types', 'RC4-40or128-bit-Allowed'));
    }
    if (check.method === 'mschap1') {
      const plain = new Uint8Array(32);
      plain.set(lmPasswordHash(user.password).subarray(0, 8), 0);
      plain.set(hashNtPasswordHash(ntPasswordHash(user.password)), 8);
      extra.push(attribute('MS-CHAP-MPPE-Keys', hideUserPassword(plain, this.secret, p.authenticator)));
    }
    return this.reply(p, RadiusCode.AccessAccept, extra);
  }

  private reply(request: RadiusPacket, code: number, attrs: readonly RadiusAttribute[]): Uint8Array {
    const list = this.signReplies ? [attribute('Message-Authenticator', new Uint8Array(16)), ...attrs] : [...attrs];
    const bytes = encodePacket({ code, identifier: request.identifier, authenticator: request.authenticator, attributes: list });
    if (this.signReplies) signMessageAuthenticator(bytes, this.secret, request.authenticator);
    signResponseAuthenticator(bytes, this.secret);
    return bytes;
  }
}

/** The AuthCheck an Access-Request carries, as a server reads it. */
function checkOf(p: RadiusPacket, user: string, secret: Uint8Array): AuthCheck | undefined {
  const hidden = getOctets(p, 'User-Password');
  if (hidden) {
    const pw = unhideUserPassword(hidden, secret, p.authenticator);
    return pw.ok ? { method: 'pap', user, password: fromUtf8(pw.value) } : undefined;
  }
  const chap = getOctets(p, 'CHAP-Password');
  if (chap && chap.length === 17) {
    // RFC 2865 5.3: without CHAP-Challenge the Request Authenticator is the challenge.
    const challenge = getOctets(p, 'CHAP-Challenge') ?? p.authenticator;
    return { method: 'chap', user, id: chap[0]!, challenge, response: chap.slice(1) };
  }
  const challenge = getOctets(p, 'MS-CHAP-Challenge');
  const v1 = getOctets(p, 'MS-CHAP-Response');
  if (challenge && v1 && v1.length === 50) {
    return { method: 'mschap1', user, challenge, lmResponse: v1.slice(2, 26), ntResponse: v1.slice(26, 50), useNt: v1[1] === 1 };
  }
  const v2 = getOctets(p, 'MS-CHAP2-Response');
  if (challenge && v2 && v2.length === 50) {
    return { method: 'mschap2', user, authenticatorChallenge: challenge, peerChallenge: v2.slice(2, 18), ntResponse: v2.slice(26, 50), flags: v2[1]! };
  }
  return undefined;
}

/**
 * A Disconnect-Request or CoA-Request (RFC 5176 section 3) as a RADIUS server sends it: the
 * Request Authenticator is computed like an Accounting-Request's (RFC 5176 3.5).
 */
export function dynamicRequest(code: number, identifier: number, attributes: readonly RadiusAttribute[], secret: string): Uint8Array {
  const bytes = encodePacket({ code, identifier, authenticator: new Uint8Array(16), attributes });
  signAccountingRequest(bytes, utf8(secret));
  return bytes;
}
