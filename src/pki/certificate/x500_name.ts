/**
 * X.500 distinguished names as path validation needs them: a canonical key for comparing names the
 * way RFC 5280 7.1 allows (case and insignificant whitespace in string attributes do not matter, so
 * a CA that re-encodes its name from PrintableString to UTF8String still matches), the RDN list for
 * directoryName constraints, and a short human rendering for refusal reasons.
 */
import {
  DerError,
  DerReader,
  STRING_TAGS,
  Tag,
  children,
  decodeString,
  readOid,
  toHex,
  type Tlv,
} from '../asn1/der';

export interface AttributeValue {
  type: string;
  /** The value's identifier octet (UTF8String 0x0c, PrintableString 0x13, …). */
  tag: number;
  /** Normalised string for string types; `#hex` of the whole encoding otherwise. */
  canonical: string;
  /** Human-readable value (raw string, or `#hex`). */
  display: string;
  /** The decoded value when it is one of the string types; undefined for any other type. */
  text: string | undefined;
}

export interface X500Name {
  /** The DER of the Name, as it appeared. */
  der: Uint8Array;
  rdns: AttributeValue[][];
  /** Equal for names that match under RFC 5280 7.1. */
  key: string;
  isEmpty: boolean;
}

const SHORT_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.97': 'organizationIdentifier',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.2.840.113549.1.9.1': 'emailAddress',
};

export const OID_EMAIL_ADDRESS = '1.2.840.113549.1.9.1';

/** RFC 5280 7.1 comparison form of a string attribute value: case, and insignificant whitespace, folded. */
export function canonicalise(text: string): string {
  // ASCII needs no Unicode normalisation; skipping it is the fast path.
  const normalised = /^[\x00-\x7f]*$/.test(text) ? text : text.normalize('NFKC');
  return normalised.trim().replace(/\s+/g, ' ').toLowerCase();
}

export function parseName(tlv: Tlv): X500Name {
  if (tlv.tag !== Tag.SEQUENCE) throw new DerError('Name must be a SEQUENCE');
  const rdns: AttributeValue[][] = [];
  for (const set of children(tlv)) {
    if (set.tag !== Tag.SET) throw new DerError('RDN must be a SET');
    const attributes: AttributeValue[] = [];
    for (const atv of children(set)) {
      if (atv.tag !== Tag.SEQUENCE) throw new DerError('AttributeTypeAndValue must be a SEQUENCE');
      const reader = DerReader.of(atv);
      const type = readOid(reader, 'attribute type');
      const value = reader.read(undefined, `attribute ${type} value`);
      reader.end(`attribute ${type} value`);
      if (STRING_TAGS.has(value.tag)) {
        const text = decodeString(value, `attribute ${type} value`);
        attributes.push({ type, tag: value.tag, canonical: canonicalise(text), display: text, text });
      } else {
        const hex = `#${toHex(value.bytes)}`;
        attributes.push({ type, tag: value.tag, canonical: hex, display: hex, text: undefined });
      }
    }
    if (attributes.length === 0) throw new DerError('empty RDN');
    attributes.sort((a, b) => (a.type + a.canonical < b.type + b.canonical ? -1 : 1));
    rdns.push(attributes);
  }
  const key = rdns
    .map((rdn) => rdn.map((a) => `${a.type}=${JSON.stringify(a.canonical)}`).join('+'))
    .join(',');
  return { der: tlv.bytes, rdns, key, isEmpty: rdns.length === 0 };
}

function rdnKey(rdn: AttributeValue[]): string {
  return rdn.map((a) => `${a.type}=${JSON.stringify(a.canonical)}`).join('+');
}

/** True when `prefix`'s RDNs begin `name` (directoryName subtree membership, RFC 5280 4.2.1.10). */
export function nameHasPrefix(name: X500Name, prefix: X500Name): boolean {
  if (prefix.rdns.length > name.rdns.length) return false;
  return prefix.rdns.every((rdn, i) => rdnKey(rdn) === rdnKey(name.rdns[i] as AttributeValue[]));
}

/** `CN=…, O=…` in the order the certificate encodes them (as `openssl x509 -subject` prints). */
export function formatName(name: X500Name): string {
  if (name.isEmpty) return '(empty name)';
  return name.rdns
    .map((rdn) => rdn.map((a) => `${SHORT_NAMES[a.type] ?? a.type}=${a.display}`).join('+'))
    .join(', ');
}

/** The shortest label that still identifies a certificate in a refusal reason: its CN, or the whole name. */
export function describeName(name: X500Name): string {
  for (let i = name.rdns.length - 1; i >= 0; i--) {
    const cn = name.rdns[i]?.find((a) => a.type === '2.5.4.3');
    if (cn) return `CN=${cn.display}`;
  }
  return formatName(name);
}

/** Every value of attribute `type` in `name`, in encoding order. */
export function attributeValues(name: X500Name, type: string): AttributeValue[] {
  return name.rdns.flatMap((rdn) => rdn.filter((a) => a.type === type));
}
