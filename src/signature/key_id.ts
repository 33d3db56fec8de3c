/**
 * The keyId of a Berlin Group signature: `SN=<serial number in hex>,CA=<issuer distinguished name>`, naming
 * the certificate sent in TPP-Signature-Certificate. The serial is compared as a number (leading zeros and
 * case do not matter), the issuer as a name (distinguished_name_text.ts).
 */
import type { ParsedCertificate } from '../pki/certificate/parsed_certificate';
import {
  distinguishedNameMatches,
  DistinguishedNameSyntaxError,
  formatDistinguishedName,
  parseDistinguishedName,
  type ParsedDistinguishedName,
} from './distinguished_name_text';

export interface KeyId {
  serial: bigint;
  issuer: ParsedDistinguishedName;
}

const KEY_ID = /^SN=(?:0x)?([0-9A-Fa-f]+)\s*,\s*CA=(.+)$/s;

/** The parsed keyId, or why it is not one. */
export function parseKeyId(text: string): { ok: true; keyId: KeyId } | { ok: false; reason: string } {
  const match = KEY_ID.exec(text);
  if (match === null) return { ok: false, reason: 'keyId is not of the form SN=<hex serial>,CA=<issuer DN>' };
  try {
    return {
      ok: true,
      keyId: {
        serial: BigInt(`0x${match[1] as string}`),
        issuer: parseDistinguishedName(match[2] as string),
      },
    };
  } catch (error) {
    if (error instanceof DistinguishedNameSyntaxError)
      return { ok: false, reason: `keyId CA is not a distinguished name: ${error.message}` };
    throw error;
  }
}

/** Why `keyId` does not name `certificate`, or undefined when it does. */
export function keyIdMismatch(keyId: KeyId, certificate: ParsedCertificate): string | undefined {
  const serial = BigInt(`0x${certificate.serialHex || '0'}`);
  if (serial !== keyId.serial) {
    return `keyId SN=${keyId.serial.toString(16).toUpperCase()} is not the serial number of TPP-Signature-Certificate (${serial.toString(16).toUpperCase()})`;
  }
  if (!distinguishedNameMatches(keyId.issuer, certificate.issuer))
    return 'keyId CA is not the issuer of TPP-Signature-Certificate';
  return undefined;
}

/** The keyId a signer sends for `certificate`: hex serial and the issuer in RFC 4514 form. */
export function keyIdFor(certificate: ParsedCertificate): string {
  return `SN=${certificate.serialHex},CA=${formatDistinguishedName(certificate.issuer)}`;
}
