/**
 * Distinguished names as TPPs write them in a keyId's `CA=` part, compared with a certificate's issuer as
 * names, not as strings. Three spellings are common:
 *
 * - RFC 4514, most specific first: `CN=Trent QWAC Issuing CA,O=Trent Trust Services,C=DE`
 * - OpenSSL's one-line form, in certificate order: `/C=DE/O=Trent Trust Services/CN=Trent QWAC Issuing CA`
 * - OpenSSL's and Java's comma form, either order: `C=DE, O=Trent Trust Services, CN=Trent QWAC Issuing CA`
 *
 * A parsed name matches an issuer when its RDNs, in the written order or reversed, equal the issuer's under
 * the same RFC 5280 7.1 folding the path validator uses (case and insignificant whitespace do not matter).
 * Reading the order both ways is safe here: the keyId only names the certificate that the request carries
 * anyway, together with its serial number; trust comes from that certificate's chain.
 */
import { canonicalise, type X500Name } from '../pki/certificate/x500_name';

/** Attribute type names (lower case) to OIDs: RFC 4514 §3, plus the names OpenSSL and Java print. */
const TYPE_OIDS: Readonly<Record<string, string>> = {
  cn: '2.5.4.3',
  commonname: '2.5.4.3',
  sn: '2.5.4.4',
  surname: '2.5.4.4',
  serialnumber: '2.5.4.5',
  c: '2.5.4.6',
  countryname: '2.5.4.6',
  l: '2.5.4.7',
  localityname: '2.5.4.7',
  st: '2.5.4.8',
  s: '2.5.4.8',
  stateorprovincename: '2.5.4.8',
  street: '2.5.4.9',
  streetaddress: '2.5.4.9',
  o: '2.5.4.10',
  organizationname: '2.5.4.10',
  ou: '2.5.4.11',
  organizationalunitname: '2.5.4.11',
  title: '2.5.4.12',
  postalcode: '2.5.4.17',
  name: '2.5.4.41',
  givenname: '2.5.4.42',
  gn: '2.5.4.42',
  initials: '2.5.4.43',
  generationqualifier: '2.5.4.44',
  dnqualifier: '2.5.4.46',
  pseudonym: '2.5.4.65',
  organizationidentifier: '2.5.4.97',
  dc: '0.9.2342.19200300.100.1.25',
  domaincomponent: '0.9.2342.19200300.100.1.25',
  uid: '0.9.2342.19200300.100.1.1',
  userid: '0.9.2342.19200300.100.1.1',
  emailaddress: '1.2.840.113549.1.9.1',
  e: '1.2.840.113549.1.9.1',
};

const DOTTED_OID = /^(?:oid\.)?([0-2](?:\.(?:0|[1-9]\d*))+)$/i;

export class DistinguishedNameSyntaxError extends Error {
  override readonly name = 'DistinguishedNameSyntaxError';
}

interface Attribute {
  type: string;
  /** Folded string value, or `#hex` for a value given as its BER encoding. */
  canonical: string;
}

export interface ParsedDistinguishedName {
  /** RDNs in the order written; attributes inside an RDN sorted like X500Name's. */
  rdns: Attribute[][];
}

function typeOid(raw: string): string {
  const text = raw.trim();
  const dotted = DOTTED_OID.exec(text);
  if (dotted?.[1] !== undefined) return dotted[1];
  const oid = TYPE_OIDS[text.toLowerCase()];
  if (oid === undefined)
    throw new DistinguishedNameSyntaxError(`unknown attribute type ${JSON.stringify(text)}`);
  return oid;
}

const HEX_PAIR = /^[0-9a-fA-F]{2}$/;

/**
 * One attribute value from `text` starting at `start`, up to an unescaped character in `stops`. Handles
 * RFC 4514 escapes (`\,` and `\4E` hex pairs, which may spell UTF-8 bytes), a `"quoted"` value (RFC 1779,
 * still printed by some tools) and a `#hex` BER value.
 */
function readValue(text: string, start: number, stops: string): { canonical: string; end: number } {
  let i = start;
  while (text[i] === ' ') i++;
  if (text[i] === '#') {
    let j = i + 1;
    while (j < text.length && /[0-9a-fA-F]/.test(text[j] as string)) j++;
    const hex = text.slice(i + 1, j);
    if (hex.length === 0 || hex.length % 2 !== 0)
      throw new DistinguishedNameSyntaxError('malformed #hex value');
    while (text[j] === ' ') j++;
    if (j < text.length && !stops.includes(text[j] as string))
      throw new DistinguishedNameSyntaxError('text after a #hex value');
    return { canonical: `#${hex.toLowerCase()}`, end: j };
  }
  const bytes: number[] = [];
  const pushText = (s: string): void => {
    for (const b of Buffer.from(s, 'utf8')) bytes.push(b);
  };
  if (text[i] === '"') {
    let j = i + 1;
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\\') j++;
      pushText(text[j] ?? '');
    }
    if (text[j] !== '"') throw new DistinguishedNameSyntaxError('unterminated quoted value');
    j++;
    while (text[j] === ' ') j++;
    if (j < text.length && !stops.includes(text[j] as string))
      throw new DistinguishedNameSyntaxError('text after a quoted value');
    return { canonical: canonicalise(decodeUtf8(bytes)), end: j };
  }
  let j = i;
  for (; j < text.length && !stops.includes(text[j] as string); j++) {
    const ch = text[j] as string;
    if (ch !== '\\') {
      pushText(ch);
      continue;
    }
    const pair = text.slice(j + 1, j + 3);
    if (HEX_PAIR.test(pair)) {
      bytes.push(Number.parseInt(pair, 16));
      j += 2;
    } else if (j + 1 < text.length) {
      pushText(text[j + 1] as string);
      j += 1;
    } else {
      throw new DistinguishedNameSyntaxError('value ends with a lone backslash');
    }
  }
  return { canonical: canonicalise(decodeUtf8(bytes)), end: j };
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(bytes: number[]): string {
  try {
    return UTF8.decode(Uint8Array.from(bytes));
  } catch {
    throw new DistinguishedNameSyntaxError('escaped bytes are not UTF-8');
  }
}

/** `type=value` pairs separated by `rdnSeparators`, `+` joining the attributes of one RDN. */
function parseSequence(text: string, start: number, rdnSeparators: string): Attribute[][] {
  const rdns: Attribute[][] = [];
  let current: Attribute[] = [];
  let i = start;
  const stops = `${rdnSeparators}+`;
  for (;;) {
    const eq = text.indexOf('=', i);
    if (eq < 0)
      throw new DistinguishedNameSyntaxError(`expected type=value at ${JSON.stringify(text.slice(i))}`);
    const type = typeOid(text.slice(i, eq));
    const value = readValue(text, eq + 1, stops);
    current.push({ type, canonical: value.canonical });
    const sep = text[value.end];
    if (sep === '+') {
      i = value.end + 1;
      continue;
    }
    rdns.push(current.sort((a, b) => (a.type + a.canonical < b.type + b.canonical ? -1 : 1)));
    current = [];
    if (sep === undefined) return rdns;
    i = value.end + 1;
    while (text[i] === ' ') i++;
    if (i >= text.length) throw new DistinguishedNameSyntaxError('name ends with a separator');
  }
}

/** Parses any of the three spellings; throws DistinguishedNameSyntaxError on anything else. */
export function parseDistinguishedName(text: string): ParsedDistinguishedName {
  const trimmed = text.trim();
  if (trimmed === '') throw new DistinguishedNameSyntaxError('empty name');
  if (trimmed.startsWith('/')) return { rdns: parseSequence(trimmed, 1, '/') };
  // RFC 4514 separates RDNs with `,`; RFC 1779 also allowed `;`.
  return { rdns: parseSequence(trimmed, 0, ',;') };
}

function keyOf(rdns: readonly Attribute[][]): string {
  return rdns.map((rdn) => rdn.map((a) => `${a.type}=${JSON.stringify(a.canonical)}`).join('+')).join(',');
}

/** Whether `parsed`, read in either order, is the name `name`. */
export function distinguishedNameMatches(parsed: ParsedDistinguishedName, name: X500Name): boolean {
  return keyOf(parsed.rdns) === name.key || keyOf([...parsed.rdns].reverse()) === name.key;
}

const SHORT_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.5': 'serialNumber',
  '2.5.4.97': 'organizationIdentifier',
  '0.9.2342.19200300.100.1.25': 'DC',
};

/** RFC 4514 §2.4 escaping of one value. */
function escapeValue(value: string): string {
  return value
    .replace(/[\\,+"<>;=]/g, (c) => `\\${c}`)
    .replace(/^([ #])/, '\\$1')
    .replace(/ $/, '\\ ');
}

/** `name` in RFC 4514 form (most specific RDN first), as a signer writes it into a keyId. */
export function formatDistinguishedName(name: X500Name): string {
  return [...name.rdns]
    .reverse()
    .map((rdn) =>
      rdn
        .map((a) => {
          const type = SHORT_NAMES[a.type] ?? a.type;
          return `${type}=${a.display.startsWith('#') ? a.display : escapeValue(a.display)}`;
        })
        .join('+'),
    )
    .join(',');
}
