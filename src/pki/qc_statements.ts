/**
 * Decoding the qcStatements certificate extension (RFC 3739 §3.2.6, ETSI EN 319 412-5, ETSI TS 119 495).
 *
 * This runs on every new client certificate, before anyone has vouched for it, so the reader below is a small,
 * strict DER walker rather than a schema library: it never recurses, never allocates more than the input's own
 * size, and turns every malformation into a DerParseError that names the field and the byte offset.
 * Statements we do not know are skipped as opaque TLVs (their contents are never descended into), which is what
 * makes hostile nesting depth irrelevant.
 */

export const OID_QC_STATEMENTS = '1.3.6.1.5.5.7.1.3';
export const OID_QC_COMPLIANCE = '0.4.0.1862.1.1';
export const OID_QC_SSCD = '0.4.0.1862.1.4';
export const OID_QC_PDS = '0.4.0.1862.1.5';
export const OID_QC_TYPE = '0.4.0.1862.1.6';
export const OID_QC_CC_LEGISLATION = '0.4.0.1862.1.7';
export const OID_PSD2_STATEMENT = '0.4.0.19495.2';

const QC_TYPE_NAMES: Readonly<Record<string, QcTypeName>> = {
  '0.4.0.1862.1.6.1': 'esign',
  '0.4.0.1862.1.6.2': 'eseal',
  '0.4.0.1862.1.6.3': 'web',
};

export type QcTypeName = 'esign' | 'eseal' | 'web';

export interface Psd2Role {
  oid: string;
  name: string;
}

/** TS 119 495 §5.1 PSD2QcType, as encoded; no semantic checks (those belong to the QWAC profile). */
export interface Psd2Statement {
  roles: Psd2Role[];
  ncaName: string;
  ncaId: string;
}

export interface QcPdsLocation {
  url: string;
  language: string;
}

export interface QcStatements {
  /** Every statementId, in certificate order, known or not. */
  statementIds: string[];
  compliance: boolean;
  sscd: boolean;
  /** QcType entries: the three EN 319 412-5 names, or the dotted OID of anything else; undefined if absent. */
  types: (QcTypeName | string)[] | undefined;
  psd2: Psd2Statement | undefined;
  pds: QcPdsLocation[] | undefined;
  /** QcCClegislation country codes; undefined if absent. */
  legislation: string[] | undefined;
}

export class DerParseError extends Error {
  constructor(
    message: string,
    /** Byte offset into the extension value where the problem was found. */
    readonly offset: number,
  ) {
    super(`${message} (at byte ${offset})`);
    this.name = 'DerParseError';
  }
}

/** Universal tags this module reads. */
export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  TELETEX_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

const TAG_NAMES: Readonly<Record<number, string>> = {
  0x01: 'BOOLEAN',
  0x02: 'INTEGER',
  0x03: 'BIT STRING',
  0x04: 'OCTET STRING',
  0x05: 'NULL',
  0x06: 'OBJECT IDENTIFIER',
  0x0c: 'UTF8String',
  0x13: 'PrintableString',
  0x14: 'TeletexString',
  0x16: 'IA5String',
  0x17: 'UTCTime',
  0x18: 'GeneralizedTime',
  0x1c: 'UniversalString',
  0x1e: 'BMPString',
  0x30: 'SEQUENCE',
  0x31: 'SET',
};

export function describeTag(tag: number): string {
  const name = TAG_NAMES[tag];
  const hex = `0x${tag.toString(16).padStart(2, '0')}`;
  if (name) return `${name} (${hex})`;
  if ((tag & 0xc0) === 0x80) return `[${tag & 0x1f}] (${hex})`;
  return `tag ${hex}`;
}

/** One decoded TLV: `tag` is the identifier octet (multi-octet tags keep their first octet, flagged by 0x1f). */
export interface DerElement {
  tag: number;
  /** Offset of the identifier octet. */
  start: number;
  /** Offset of the first content octet. */
  contentStart: number;
  /** Offset just past the last content octet. */
  end: number;
}

/**
 * A cursor over one level of DER. Lengths are checked against the enclosing element before anything is read,
 * so a claimed length of 4 GiB costs nothing; indefinite and non-minimal lengths are refused (DER, X.690 §10.1).
 */
export class DerReader {
  private pos: number;

  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    private readonly limit = bytes.length,
    /** Prefix for error messages, e.g. `QCStatement #2`. */
    readonly context = 'DER',
  ) {
    this.pos = start;
  }

  get offset(): number {
    return this.pos;
  }

  hasMore(): boolean {
    return this.pos < this.limit;
  }

  fail(message: string, at = this.pos): never {
    throw new DerParseError(`${this.context}: ${message}`, at);
  }

  peekTag(): number | undefined {
    return this.pos < this.limit ? this.bytes[this.pos] : undefined;
  }

  /** Reads the next TLV header and skips over its contents. */
  next(what: string): DerElement {
    const start = this.pos;
    if (start >= this.limit) this.fail(`${what}: missing (input ends)`, start);
    const tag = this.bytes[start] as number;
    let p = start + 1;
    if ((tag & 0x1f) === 0x1f) {
      // High-tag-number form: only ever in opaque statementInfo we skip; bound it so it cannot run on.
      let octets = 0;
      for (;;) {
        if (p >= this.limit) this.fail(`${what}: truncated tag`, start);
        const b = this.bytes[p++] as number;
        if (++octets > 4) this.fail(`${what}: tag number too large`, start);
        if ((b & 0x80) === 0) break;
      }
    }
    if (p >= this.limit) this.fail(`${what}: truncated length`, start);
    const first = this.bytes[p++] as number;
    let length: number;
    if (first < 0x80) {
      length = first;
    } else if (first === 0x80) {
      this.fail(`${what}: indefinite length is not DER`, start);
    } else {
      const count = first & 0x7f;
      if (count > 4) this.fail(`${what}: length field of ${count} octets is too large`, start);
      if (p + count > this.limit) this.fail(`${what}: truncated length`, start);
      length = 0;
      for (let i = 0; i < count; i++) length = length * 256 + (this.bytes[p++] as number);
      if (length < 0x80 || (count > 1 && this.bytes[p - count] === 0)) {
        this.fail(`${what}: length not minimally encoded`, start);
      }
    }
    const end = p + length;
    if (end > this.limit) {
      this.fail(`${what}: length ${length} exceeds the ${this.limit - p} bytes available`, start);
    }
    this.pos = end;
    return { tag, start, contentStart: p, end };
  }

  /** Reads the next TLV and insists on its tag. */
  expect(tag: number, what: string): DerElement {
    const at = this.pos;
    const element = this.next(what);
    if (element.tag !== tag) {
      this.fail(`${what}: expected ${describeTag(tag)}, found ${describeTag(element.tag)}`, at);
    }
    return element;
  }

  /** A reader over the contents of a constructed element. */
  enter(element: DerElement, context = this.context): DerReader {
    return new DerReader(this.bytes, element.contentStart, element.end, context);
  }

  /** Fails unless this level has been read to its end: trailing data is how ambiguity gets smuggled in. */
  done(what: string): void {
    if (this.pos !== this.limit) this.fail(`unexpected data after ${what}`);
  }

  readOid(what: string): string {
    return this.decodeOid(this.expect(Tag.OID, what), what);
  }

  decodeOid(element: DerElement, what: string): string {
    const { contentStart, end } = element;
    if (end === contentStart) this.fail(`${what}: empty OBJECT IDENTIFIER`, element.start);
    if (end - contentStart > 128)
      this.fail(`${what}: OBJECT IDENTIFIER longer than 128 bytes`, element.start);
    let text = '';
    let value = 0;
    let big: bigint | undefined;
    let fresh = true;
    for (let i = contentStart; i < end; i++) {
      const b = this.bytes[i] as number;
      if (fresh && b === 0x80)
        this.fail(`${what}: OBJECT IDENTIFIER arc not minimally encoded`, element.start);
      fresh = false;
      // Plain numbers while exact (the usual case, and far cheaper); BigInt past 2^42, e.g. for 2.25.<uuid>.
      if (big !== undefined) big = big * 128n + BigInt(b & 0x7f);
      else if (value > 0x3ffffffffff) big = BigInt(value) * 128n + BigInt(b & 0x7f);
      else value = value * 128 + (b & 0x7f);
      if ((b & 0x80) !== 0) continue;
      if (text.length === 0) {
        // The first subidentifier packs two arcs: 40 * first + second, with first at most 2.
        if (big !== undefined) text = `2.${big - 80n}`;
        else text = value < 40 ? `0.${value}` : value < 80 ? `1.${value - 40}` : `2.${value - 80}`;
      } else {
        text += `.${big ?? value}`;
      }
      value = 0;
      big = undefined;
      fresh = true;
    }
    if (!fresh) this.fail(`${what}: truncated OBJECT IDENTIFIER`, element.start);
    return text;
  }

  /** UTF8String only: TS 119 495 fixes the type, and accepting others would admit look-alike encodings. */
  readUtf8(what: string): string {
    const element = this.expect(Tag.UTF8_STRING, what);
    return this.decodeString(element, what);
  }

  /** Decodes any of the X.520 DirectoryString types, plus IA5String and PrintableString. */
  decodeString(element: DerElement, what: string): string {
    const content = this.bytes.subarray(element.contentStart, element.end);
    switch (element.tag) {
      case Tag.UTF8_STRING:
        try {
          return UTF8.decode(content);
        } catch {
          return this.fail(`${what}: invalid UTF-8`, element.start);
        }
      case Tag.PRINTABLE_STRING:
        for (const b of content) {
          if (!PRINTABLE[b]) {
            this.fail(`${what}: character 0x${b.toString(16)} not allowed in PrintableString`, element.start);
          }
        }
        return latin1(content);
      case Tag.IA5_STRING:
        for (const b of content)
          if (b > 0x7f) this.fail(`${what}: non-ASCII byte in IA5String`, element.start);
        return latin1(content);
      case Tag.TELETEX_STRING:
        // T.61 in theory; in certificates in practice Latin-1.
        return latin1(content);
      case Tag.BMP_STRING: {
        if (content.length % 2 !== 0) this.fail(`${what}: BMPString of odd length`, element.start);
        let s = '';
        for (let i = 0; i < content.length; i += 2) {
          s += String.fromCharCode(((content[i] as number) << 8) | (content[i + 1] as number));
        }
        return s;
      }
      case Tag.UNIVERSAL_STRING: {
        if (content.length % 4 !== 0)
          this.fail(`${what}: UniversalString length not a multiple of 4`, element.start);
        let s = '';
        for (let i = 0; i < content.length; i += 4) {
          const cp =
            (content[i] as number) * 0x1000000 +
            ((content[i + 1] as number) << 16) +
            ((content[i + 2] as number) << 8) +
            (content[i + 3] as number);
          if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            this.fail(`${what}: invalid code point in UniversalString`, element.start);
          }
          s += String.fromCodePoint(cp);
        }
        return s;
      }
      default:
        return this.fail(`${what}: expected a string, found ${describeTag(element.tag)}`, element.start);
    }
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const PRINTABLE: boolean[] = (() => {
  const table: boolean[] = new Array<boolean>(256).fill(false);
  for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 '()+,-./:=?") {
    table[c.charCodeAt(0)] = true;
  }
  return table;
})();

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

/**
 * Decodes the DER value of a qcStatements extension (the contents of extnValue's OCTET STRING).
 * Throws DerParseError, and nothing else, on any malformed input; its message names the field and byte offset.
 */
export function parseQcStatements(extnValue: Uint8Array): QcStatements {
  const outer = new DerReader(extnValue, 0, extnValue.length, 'qcStatements');
  const list = outer.expect(Tag.SEQUENCE, 'QCStatements');
  outer.done('QCStatements');

  const result: QcStatements = {
    statementIds: [],
    compliance: false,
    sscd: false,
    types: undefined,
    psd2: undefined,
    pds: undefined,
    legislation: undefined,
  };

  const statements = outer.enter(list);
  for (let index = 0; statements.hasMore(); index++) {
    const statement = statements.enter(
      statements.expect(Tag.SEQUENCE, `QCStatement #${index}`),
      `qcStatements: QCStatement #${index}`,
    );
    const id = statement.readOid('statementId');
    result.statementIds.push(id);
    const info = statement.hasMore() ? statement.next('statementInfo') : undefined;
    statement.done('statementInfo');

    const reader = new DerReader(extnValue, 0, extnValue.length, `qcStatements: ${describeStatement(id)}`);
    switch (id) {
      case OID_QC_COMPLIANCE:
        result.compliance = true;
        break;
      case OID_QC_SSCD:
        result.sscd = true;
        break;
      case OID_QC_TYPE:
        if (result.types) reader.fail('statement appears more than once', statements.offset);
        result.types = parseQcType(reader, info);
        break;
      case OID_PSD2_STATEMENT:
        if (result.psd2) reader.fail('statement appears more than once', statements.offset);
        result.psd2 = parsePsd2(reader, info);
        break;
      case OID_QC_PDS:
        if (result.pds) reader.fail('statement appears more than once', statements.offset);
        result.pds = parsePds(reader, info);
        break;
      case OID_QC_CC_LEGISLATION:
        if (result.legislation) reader.fail('statement appears more than once', statements.offset);
        result.legislation = parseLegislation(reader, info);
        break;
      default:
        // Unknown statements (semantics information, retention period, limits, ...) are not ours to judge.
        break;
    }
  }
  return result;
}

function describeStatement(id: string): string {
  switch (id) {
    case OID_QC_TYPE:
      return 'QcType';
    case OID_PSD2_STATEMENT:
      return 'PSD2 statement';
    case OID_QC_PDS:
      return 'QcPDS';
    case OID_QC_CC_LEGISLATION:
      return 'QcCClegislation';
    default:
      return id;
  }
}

function requireInfo(reader: DerReader, info: DerElement | undefined, tag: number, what: string): DerReader {
  if (!info) return reader.fail(`${what} missing`);
  if (info.tag !== tag) {
    reader.fail(`${what}: expected ${describeTag(tag)}, found ${describeTag(info.tag)}`, info.start);
  }
  return reader.enter(info);
}

function parseQcType(reader: DerReader, info: DerElement | undefined): string[] {
  const list = requireInfo(reader, info, Tag.SEQUENCE, 'statementInfo (SEQUENCE OF QcType OID)');
  const types: string[] = [];
  while (list.hasMore()) {
    const oid = list.readOid(`type #${types.length}`);
    types.push(QC_TYPE_NAMES[oid] ?? oid);
  }
  return types;
}

function parsePsd2(reader: DerReader, info: DerElement | undefined): Psd2Statement {
  const body = requireInfo(reader, info, Tag.SEQUENCE, 'statementInfo (PSD2QcType)');
  const rolesList = body.enter(body.expect(Tag.SEQUENCE, 'rolesOfPSP'));
  const roles: Psd2Role[] = [];
  while (rolesList.hasMore()) {
    const what = `rolesOfPSP #${roles.length}`;
    const role = rolesList.enter(rolesList.expect(Tag.SEQUENCE, what));
    const oid = role.readOid(`${what} roleOfPspOid`);
    const name = role.readUtf8(`${what} roleOfPspName`);
    role.done(`${what} roleOfPspName`);
    roles.push({ oid, name });
  }
  const ncaName = body.readUtf8('nCAName');
  const ncaId = body.readUtf8('nCAId');
  body.done('nCAId');
  return { roles, ncaName, ncaId };
}

function parsePds(reader: DerReader, info: DerElement | undefined): QcPdsLocation[] {
  const list = requireInfo(reader, info, Tag.SEQUENCE, 'statementInfo (PdsLocations)');
  const locations: QcPdsLocation[] = [];
  while (list.hasMore()) {
    const what = `PdsLocation #${locations.length}`;
    const location = list.enter(list.expect(Tag.SEQUENCE, what));
    const url = location.decodeString(location.expect(Tag.IA5_STRING, `${what} url`), `${what} url`);
    const language = location.decodeString(
      location.expect(Tag.PRINTABLE_STRING, `${what} language`),
      `${what} language`,
    );
    location.done(`${what} language`);
    locations.push({ url, language });
  }
  return locations;
}

function parseLegislation(reader: DerReader, info: DerElement | undefined): string[] {
  const list = requireInfo(reader, info, Tag.SEQUENCE, 'statementInfo (QcCClegislation)');
  const countries: string[] = [];
  while (list.hasMore()) {
    const what = `country #${countries.length}`;
    countries.push(list.decodeString(list.expect(Tag.PRINTABLE_STRING, what), what));
  }
  return countries;
}
