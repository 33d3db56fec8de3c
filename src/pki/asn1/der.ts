/**
 * The gateway's one DER reader (ITU-T X.690 distinguished encoding rules, as RFC 5280 requires of
 * certificates and CRLs). Every certificate, CRL and extension the gateway reads goes through it, so
 * a byte string means one thing wherever it is read.
 *
 * Path validation needs a handful of fields from every certificate on every new connection; walking
 * the bytes ourselves costs microseconds where a full ASN.1 object mapping costs most of a
 * millisecond, and strictness here is what turns hostile input into a clean refusal instead of a
 * half-parsed certificate. The reader never recurses on its own: a caller descends only into the
 * elements it understands, so unknown content of any nesting depth is skipped as one opaque TLV.
 *
 * What is accepted, and why (each refusal is a DerError naming the field and, where known, the byte):
 * - Identifiers: low tag numbers, and the high-tag-number form (X.690 8.1.2.4) in its minimal form
 *   for numbers 31 and up, at most four subsequent octets. High tags only occur inside content we
 *   skip (an unknown qcStatement's statementInfo), but skipping needs them decoded.
 * - Universal types other than SEQUENCE and SET (and three never seen in certificates) must be
 *   primitive: a constructed string or INTEGER is BER only (X.690 10.2).
 * - Lengths: definite (8.1.3.6 indefinite form is BER only, 10.1), in the fewest octets (10.1), at
 *   most four length octets (a longer minimal length exceeds any input we are given), never past
 *   the end of the enclosing element. Nothing may trail the last element of a constructed value.
 * - BOOLEAN: exactly 0x00 or 0xFF (11.1).
 * - INTEGER: non-empty and in the fewest octets (8.3.2, already a BER rule).
 * - OBJECT IDENTIFIER: non-empty, each arc in the fewest octets (8.19.2: no leading 0x80), the last
 *   octet ends an arc. Arcs of any size are decoded exactly (2.25.<UUID> uses 128-bit arcs; RFC
 *   5280 sets no limit), with BigInt only past 2^53.
 * - Time (RFC 5280 4.1.2.5, also used for CRLs by 5.1.2.4-6): UTCTime exactly YYMMDDHHMMSSZ, years
 *   50-99 meaning 19YY; GeneralizedTime exactly YYYYMMDDHHMMSSZ. Seconds are required, the zone is
 *   always Z, fractional seconds are refused (4.1.2.5.2: "MUST NOT include fractional seconds"), and
 *   so is any impossible calendar date. GeneralizedTime before 2050 is accepted: the rule that such
 *   dates be UTCTime binds the CA, and the instant the bytes name is unambiguous either way.
 * - Strings: UTF8String must be valid UTF-8; PrintableString, IA5String, NumericString and
 *   VisibleString hold only their characters; BMPString and UniversalString must be whole, valid
 *   code points (no surrogates). TeletexString is read as Latin-1 (what issuing software means by it
 *   in practice; T.61's escape sequences are not interpreted). Strings must be primitive (10.2): a
 *   constructed string has a different identifier octet and so never matches the tag asked for.
 */

export class DerError extends Error {
  override readonly name = 'DerError';

  constructor(
    /** What is wrong, without the position. */
    readonly reason: string,
    /** Byte offset of the offending element from the start of the input, where known. */
    readonly offset?: number,
  ) {
    super(offset === undefined ? reason : `${reason} (at byte ${offset})`);
  }
}

/** Universal tags, by their identifier octet (constructed bit included for SEQUENCE and SET). */
export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
  UTF8_STRING: 0x0c,
  NUMERIC_STRING: 0x12,
  PRINTABLE_STRING: 0x13,
  TELETEX_STRING: 0x14,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  VISIBLE_STRING: 0x1a,
  UNIVERSAL_STRING: 0x1c,
  BMP_STRING: 0x1e,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

const TAG_NAMES: Readonly<Record<number, string>> = {
  [Tag.BOOLEAN]: 'BOOLEAN',
  [Tag.INTEGER]: 'INTEGER',
  [Tag.BIT_STRING]: 'BIT STRING',
  [Tag.OCTET_STRING]: 'OCTET STRING',
  [Tag.NULL]: 'NULL',
  [Tag.OID]: 'OBJECT IDENTIFIER',
  [Tag.ENUMERATED]: 'ENUMERATED',
  [Tag.UTF8_STRING]: 'UTF8String',
  [Tag.NUMERIC_STRING]: 'NumericString',
  [Tag.PRINTABLE_STRING]: 'PrintableString',
  [Tag.TELETEX_STRING]: 'TeletexString',
  [Tag.IA5_STRING]: 'IA5String',
  [Tag.UTC_TIME]: 'UTCTime',
  [Tag.GENERALIZED_TIME]: 'GeneralizedTime',
  [Tag.VISIBLE_STRING]: 'VisibleString',
  [Tag.UNIVERSAL_STRING]: 'UniversalString',
  [Tag.BMP_STRING]: 'BMPString',
  [Tag.SEQUENCE]: 'SEQUENCE',
  [Tag.SET]: 'SET',
};

/**
 * Universal types that may be constructed: SEQUENCE, SET, and the rarely seen EXTERNAL, EMBEDDED PDV
 * and CHARACTER STRING. Every other universal type is primitive in DER (X.690 10.2 for strings).
 */
const CONSTRUCTED_UNIVERSAL: ReadonlySet<number> = new Set([8, 11, 16, 17, 29]);

/** `SEQUENCE (0x30)`, `[3] (0xa3)`, `tag 0x7f`: for error messages. */
export function describeTag(tag: number): string {
  const hex = `0x${tag.toString(16).padStart(2, '0')}`;
  const name = TAG_NAMES[tag];
  if (name) return `${name} (${hex})`;
  if ((tag & 0xc0) === 0x80 && (tag & 0x1f) !== 0x1f) return `[${tag & 0x1f}] (${hex})`;
  return `tag ${hex}`;
}

/**
 * One TLV. `tag` is the identifier octet (for the high-tag-number form its first octet, whose low
 * five bits are all ones and so never equal a low tag). Positions index `source`; `bytes` (the whole
 * encoding) and `value` (the contents) are views made on demand, so skipping costs no allocation.
 */
export class Tlv {
  constructor(
    readonly tag: number,
    /** The buffer the positions index. */
    readonly source: Uint8Array,
    readonly start: number,
    readonly contentStart: number,
    readonly end: number,
    /** Offset of `source[0]` within the outermost input. */
    readonly base: number,
  ) {}

  /** Offset of the identifier octet from the start of the outermost input. */
  get offset(): number {
    return this.base + this.start;
  }

  get bytes(): Uint8Array {
    return this.source.subarray(this.start, this.end);
  }

  get value(): Uint8Array {
    return this.source.subarray(this.contentStart, this.end);
  }
}

export interface DerReaderOptions {
  /** Prefix for error messages, e.g. `qcStatements: QCStatement #2`. */
  context?: string | undefined;
  /** Offset of `data` within the outermost input, so errors name absolute positions. */
  base?: number;
}

/** Reads consecutive TLVs out of a buffer (the contents of a constructed value, or a whole object). */
export class DerReader {
  private pos: number;
  private readonly limit: number;
  readonly context: string | undefined;
  private readonly base: number;
  private readonly data: Uint8Array;

  constructor(data: Uint8Array, options: DerReaderOptions = {}, start = 0, limit = data.length) {
    this.data = data;
    this.context = options.context;
    this.base = options.base ?? 0;
    this.pos = start;
    this.limit = limit;
  }

  /** A reader over the contents of `tlv`, on the same buffer (no copy, absolute offsets kept). */
  static of(tlv: Tlv, context?: string): DerReader {
    return new DerReader(tlv.source, { context, base: tlv.base }, tlv.contentStart, tlv.end);
  }

  get done(): boolean {
    return this.pos >= this.limit;
  }

  /** Absolute offset of the next element. */
  get offset(): number {
    return this.base + this.pos;
  }

  peekTag(): number | undefined {
    return this.pos < this.limit ? this.data[this.pos] : undefined;
  }

  fail(message: string, at = this.offset): never {
    throw new DerError(this.context === undefined ? message : `${this.context}: ${message}`, at);
  }

  /** The next TLV; with `expectedTag`, refused unless it carries that identifier octet. */
  read(expectedTag?: number, what = 'element'): Tlv {
    const data = this.data;
    const limit = this.limit;
    const start = this.pos;
    const at = this.base + start;
    if (start >= limit) return this.fail(`${what}: missing (input ends)`, at);
    const tag = data[start] as number;
    let pos = start + 1;
    if ((tag & 0x1f) === 0x1f) {
      let number = 0;
      for (let octets = 1; ; octets++) {
        if (pos >= limit) return this.fail(`${what}: truncated tag`, at);
        const b = data[pos++] as number;
        if (octets === 1 && b === 0x80) return this.fail(`${what}: tag number not minimally encoded`, at);
        if (octets > 4) return this.fail(`${what}: tag number too large`, at);
        number = number * 128 + (b & 0x7f);
        if ((b & 0x80) === 0) break;
      }
      if (number < 31) return this.fail(`${what}: tag number ${number} must use the short form`, at);
    }
    if (expectedTag !== undefined && tag !== expectedTag) {
      return this.fail(`${what}: expected ${describeTag(expectedTag)}, found ${describeTag(tag)}`, at);
    }
    if ((tag & 0xe0) === 0x20 && !CONSTRUCTED_UNIVERSAL.has(tag & 0x1f)) {
      return this.fail(`${what}: constructed encoding of ${describeTag(tag & 0x1f)} is not DER`, at);
    }
    if (pos >= limit) return this.fail(`${what}: truncated length`, at);
    const first = data[pos++] as number;
    let length: number;
    if (first < 0x80) {
      length = first;
    } else {
      const count = first & 0x7f;
      if (count === 0) return this.fail(`${what}: indefinite length is not DER`, at);
      if (count > 4) return this.fail(`${what}: length field of ${count} octets is too large`, at);
      if (pos + count > limit) return this.fail(`${what}: truncated length`, at);
      if (data[pos] === 0) return this.fail(`${what}: length not minimally encoded`, at);
      length = 0;
      for (let i = 0; i < count; i++) length = length * 256 + (data[pos++] as number);
      if (length < 0x80) return this.fail(`${what}: length not minimally encoded`, at);
    }
    const end = pos + length;
    if (end > limit) {
      return this.fail(`${what}: length ${length} exceeds the ${limit - pos} bytes available`, at);
    }
    this.pos = end;
    return new Tlv(tag, data, start, pos, end, this.base);
  }

  /** Reads the next TLV only if it carries `tag`. */
  readOptional(tag: number, what?: string): Tlv | undefined {
    return this.peekTag() === tag ? this.read(tag, what) : undefined;
  }

  /** Fails unless every byte was read: trailing data is how ambiguity gets smuggled in. */
  end(what?: string): void {
    if (!this.done)
      this.fail(what === undefined ? 'unexpected trailing data' : `unexpected data after ${what}`);
  }
}

/** Parses exactly one TLV filling the whole buffer. */
export function readSingle(data: Uint8Array, expectedTag?: number, what?: string): Tlv {
  const reader = new DerReader(data);
  const tlv = reader.read(expectedTag, what);
  reader.end(what);
  return tlv;
}

/** The TLVs inside a constructed value. */
export function children(tlv: Tlv): Tlv[] {
  const reader = DerReader.of(tlv);
  const out: Tlv[] = [];
  while (!reader.done) out.push(reader.read());
  return out;
}

/** One arc: exact as a number while it fits, BigInt beyond, so no arc is ever rounded or refused. */
function arcValue(value: Uint8Array, from: number, to: number): number | bigint {
  if (to - from <= 7) {
    let n = 0;
    for (let i = from; i < to; i++) n = n * 128 + ((value[i] as number) & 0x7f);
    return n;
  }
  // Packing the 7-bit groups into one binary literal keeps a hostile 10 kB arc linear, not quadratic.
  let bits = '';
  for (let i = from; i < to; i++) bits += ((value[i] as number) & 0x7f).toString(2).padStart(7, '0');
  const big = BigInt(`0b${bits}`);
  return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

export function decodeOid(value: Uint8Array, what = 'OBJECT IDENTIFIER'): string {
  return oidText(value, 0, value.length, what);
}

function oidText(value: Uint8Array, from: number, to: number, what: string): string {
  if (to === from) throw new DerError(`${what}: empty OBJECT IDENTIFIER`);
  let text = '';
  let start = from;
  for (let i = from; i < to; i++) {
    const b = value[i] as number;
    if (i === start && b === 0x80) throw new DerError(`${what}: OBJECT IDENTIFIER arc not minimally encoded`);
    if (b & 0x80) continue;
    const arc = arcValue(value, start, i + 1);
    if (start === from) {
      // The first subidentifier packs two arcs as 40 * first + second, the first at most 2.
      if (typeof arc === 'bigint') text = `2.${arc - 80n}`;
      else text = arc < 40 ? `0.${arc}` : arc < 80 ? `1.${arc - 40}` : `2.${arc - 80}`;
    } else {
      text += `.${arc}`;
    }
    start = i + 1;
  }
  if (start !== to) throw new DerError(`${what}: truncated OBJECT IDENTIFIER`);
  return text;
}

export function readOid(reader: DerReader, what = 'OBJECT IDENTIFIER'): string {
  const tlv = reader.read(Tag.OID, what);
  return withContext(reader, tlv, () => oidText(tlv.source, tlv.contentStart, tlv.end, what));
}

/** Reads a string element (with `expectedTag`, only that string type) and decodes it. */
export function readString(reader: DerReader, expectedTag: number | undefined, what: string): string {
  const tlv = reader.read(expectedTag, what);
  return withContext(reader, tlv, () => decodeString(tlv, what));
}

/** Runs a decoder on `tlv`, re-raising its DerError with the reader's context and the element's offset. */
function withContext<T>(reader: DerReader, tlv: Tlv, decode: () => T): T {
  try {
    return decode();
  } catch (error) {
    if (error instanceof DerError) return reader.fail(error.reason, tlv.offset);
    throw error;
  }
}

export function decodeBoolean(value: Uint8Array): boolean {
  if (value.length !== 1) throw new DerError('BOOLEAN must be one byte');
  if (value[0] === 0xff) return true;
  if (value[0] === 0x00) return false;
  throw new DerError('BOOLEAN must be 0x00 or 0xFF in DER');
}

/** Whether INTEGER contents are non-empty and minimal (X.690 8.3.2). */
export function integerProblem(value: Uint8Array): string | undefined {
  if (value.length === 0) return 'empty INTEGER';
  const [first, second] = value as unknown as [number, number | undefined];
  if (second !== undefined && ((first === 0 && (second & 0x80) === 0) || (first === 0xff && second & 0x80))) {
    return 'INTEGER not minimally encoded';
  }
  return undefined;
}

/** A non-negative INTEGER small enough for a JS number (pathLenConstraint, versions, skip counts). */
export function decodeSmallUnsigned(value: Uint8Array): number {
  const problem = integerProblem(value);
  if (problem) throw new DerError(problem);
  if ((value[0] as number) & 0x80) throw new DerError('negative INTEGER where a count is expected');
  if (value.length > 6) throw new DerError('INTEGER too large');
  let n = 0;
  for (const b of value) n = n * 256 + b;
  return n;
}

/** BIT STRING contents: the unused-bits count and the bytes. */
export function decodeBitString(value: Uint8Array): { unusedBits: number; bytes: Uint8Array } {
  const unusedBits = value[0];
  if (unusedBits === undefined || unusedBits > 7) throw new DerError('malformed BIT STRING');
  if (value.length === 1 && unusedBits !== 0) throw new DerError('malformed BIT STRING');
  return { unusedBits, bytes: value.subarray(1) };
}

const UTC_TIME = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;
const GENERALIZED_TIME = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/;

/** UTCTime or GeneralizedTime in the one form RFC 5280 4.1.2.5 allows for each (see the header). */
export function decodeTime(tlv: Tlv, what = 'time'): Date {
  if (tlv.tag !== Tag.UTC_TIME && tlv.tag !== Tag.GENERALIZED_TIME) {
    throw new DerError(
      `${what}: expected UTCTime or GeneralizedTime, found ${describeTag(tlv.tag)}`,
      tlv.offset,
    );
  }
  const text = latin1(tlv.value);
  const utc = tlv.tag === Tag.UTC_TIME;
  const match = (utc ? UTC_TIME : GENERALIZED_TIME).exec(text);
  if (!match) {
    const form = utc ? 'YYMMDDHHMMSSZ' : 'YYYYMMDDHHMMSSZ';
    throw new DerError(`${what}: ${describeTag(tlv.tag)} ${JSON.stringify(text)} is not ${form}`, tlv.offset);
  }
  const [year, month, day, hour, minute, second] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const fullYear = utc ? (year >= 50 ? 1900 + year : 2000 + year) : year;
  const date = new Date(Date.UTC(fullYear, month - 1, day, hour, minute, second));
  // Date.UTC rolls 31 February into March and 24:00 into the next day; a round trip catches both.
  if (
    date.getUTCFullYear() !== fullYear ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day ||
    date.getUTCHours() !== hour ||
    date.getUTCMinutes() !== minute ||
    date.getUTCSeconds() !== second
  ) {
    throw new DerError(`${what}: impossible date ${JSON.stringify(text)}`, tlv.offset);
  }
  return date;
}

/** The string types decodeString accepts (X.520 DirectoryString and the ASCII subsets). */
export const STRING_TAGS: ReadonlySet<number> = new Set<number>([
  Tag.UTF8_STRING,
  Tag.NUMERIC_STRING,
  Tag.PRINTABLE_STRING,
  Tag.TELETEX_STRING,
  Tag.IA5_STRING,
  Tag.VISIBLE_STRING,
  Tag.UNIVERSAL_STRING,
  Tag.BMP_STRING,
]);

const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function charset(chars: string): boolean[] {
  const table = new Array<boolean>(128).fill(false);
  for (const c of chars) table[c.charCodeAt(0)] = true;
  return table;
}
const PRINTABLE = charset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 '()+,-./:=?");
const NUMERIC = charset('0123456789 ');

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}

function checkChars(tlv: Tlv, what: string, allowed: (b: number) => boolean): string {
  for (const b of tlv.value) {
    if (!allowed(b)) {
      throw new DerError(
        `${what}: character 0x${b.toString(16)} is not allowed in ${describeTag(tlv.tag)}`,
        tlv.offset,
      );
    }
  }
  return latin1(tlv.value);
}

function codePoints(tlv: Tlv, what: string, width: 2 | 4): string {
  const v = tlv.value;
  if (v.length % width !== 0)
    throw new DerError(`${what}: ${describeTag(tlv.tag)} of partial characters`, tlv.offset);
  let s = '';
  for (let i = 0; i < v.length; i += width) {
    let cp = 0;
    for (let j = 0; j < width; j++) cp = cp * 256 + (v[i + j] as number);
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
      throw new DerError(`${what}: invalid code point in ${describeTag(tlv.tag)}`, tlv.offset);
    }
    s += String.fromCodePoint(cp);
  }
  return s;
}

/** Decodes any of STRING_TAGS, refusing content its type cannot hold. */
export function decodeString(tlv: Tlv, what = 'string'): string {
  switch (tlv.tag) {
    case Tag.UTF8_STRING:
      try {
        return UTF8.decode(tlv.value);
      } catch {
        throw new DerError(`${what}: invalid UTF-8`, tlv.offset);
      }
    case Tag.PRINTABLE_STRING:
      return checkChars(tlv, what, (b) => PRINTABLE[b] === true);
    case Tag.NUMERIC_STRING:
      return checkChars(tlv, what, (b) => NUMERIC[b] === true);
    case Tag.IA5_STRING:
      return checkChars(tlv, what, (b) => b < 0x80);
    case Tag.VISIBLE_STRING:
      return checkChars(tlv, what, (b) => b >= 0x20 && b < 0x7f);
    case Tag.TELETEX_STRING:
      return latin1(tlv.value);
    case Tag.BMP_STRING:
      return codePoints(tlv, what, 2);
    case Tag.UNIVERSAL_STRING:
      return codePoints(tlv, what, 4);
    default:
      throw new DerError(`${what}: expected a string, found ${describeTag(tlv.tag)}`, tlv.offset);
  }
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
