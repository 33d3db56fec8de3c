/**
 * A small, strict DER reader. Path validation needs a handful of fields from every certificate on
 * every handshake; walking the bytes ourselves costs microseconds where a full ASN.1 object mapping
 * costs most of a millisecond, and strictness here (definite, minimal lengths; nothing trailing) is
 * what turns hostile input into a clean refusal instead of a half-parsed certificate.
 */

export class DerError extends Error {
  override readonly name = 'DerError';
}

export const Tag = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  ENUMERATED: 0x0a,
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

/** One TLV. `bytes` is the whole encoding (tag and length included), `value` the contents. */
export interface Tlv {
  tag: number;
  bytes: Uint8Array;
  value: Uint8Array;
}

/** Reads consecutive TLVs out of a buffer (the contents of a constructed value, or a whole object). */
export class DerReader {
  private offset = 0;

  constructor(private readonly data: Uint8Array) {}

  get done(): boolean {
    return this.offset >= this.data.length;
  }

  peekTag(): number | undefined {
    return this.data[this.offset];
  }

  read(expectedTag?: number): Tlv {
    const data = this.data;
    const start = this.offset;
    const tag = data[start];
    if (tag === undefined) throw new DerError('unexpected end of data');
    // Multi-byte tags never occur in the structures we read; refusing them keeps the reader simple.
    if ((tag & 0x1f) === 0x1f) throw new DerError('high tag numbers are not supported');
    if (expectedTag !== undefined && tag !== expectedTag) {
      throw new DerError(`expected tag 0x${expectedTag.toString(16)}, found 0x${tag.toString(16)}`);
    }
    let pos = start + 1;
    const first = data[pos++];
    if (first === undefined) throw new DerError('truncated length');
    let length: number;
    if (first < 0x80) {
      length = first;
    } else {
      const count = first & 0x7f;
      if (count === 0) throw new DerError('indefinite length is not DER');
      if (count > 4) throw new DerError('length too large');
      length = 0;
      for (let i = 0; i < count; i++) {
        const b = data[pos++];
        if (b === undefined) throw new DerError('truncated length');
        if (i === 0 && b === 0) throw new DerError('non-minimal length');
        length = length * 256 + b;
      }
      if (length < 0x80) throw new DerError('non-minimal length');
    }
    const end = pos + length;
    if (end > data.length) throw new DerError('value runs past the end of data');
    this.offset = end;
    return { tag, bytes: data.subarray(start, end), value: data.subarray(pos, end) };
  }

  /** Reads the next TLV only if it carries `tag`. */
  readOptional(tag: number): Tlv | undefined {
    return this.peekTag() === tag ? this.read(tag) : undefined;
  }

  end(): void {
    if (!this.done) throw new DerError('unexpected trailing data');
  }
}

/** Parses exactly one TLV filling the whole buffer. */
export function readSingle(data: Uint8Array, expectedTag?: number): Tlv {
  const reader = new DerReader(data);
  const tlv = reader.read(expectedTag);
  reader.end();
  return tlv;
}

/** The TLVs inside a constructed value. */
export function children(tlv: Tlv): Tlv[] {
  const reader = new DerReader(tlv.value);
  const out: Tlv[] = [];
  while (!reader.done) out.push(reader.read());
  return out;
}

export function decodeOid(value: Uint8Array): string {
  if (value.length === 0) throw new DerError('empty OID');
  const arcs: number[] = [];
  let current = 0;
  let started = false;
  for (let i = 0; i < value.length; i++) {
    const b = value[i] as number;
    if (!started && b === 0x80) throw new DerError('non-minimal OID arc');
    started = true;
    current = current * 128 + (b & 0x7f);
    if (current > Number.MAX_SAFE_INTEGER / 128) throw new DerError('OID arc too large');
    if ((b & 0x80) === 0) {
      arcs.push(current);
      current = 0;
      started = false;
    }
  }
  if (started) throw new DerError('truncated OID');
  const first = arcs.shift() as number;
  const head = first < 40 ? [0, first] : first < 80 ? [1, first - 40] : [2, first - 80];
  return [...head, ...arcs].join('.');
}

export function readOid(reader: DerReader): string {
  return decodeOid(reader.read(Tag.OID).value);
}

export function decodeBoolean(value: Uint8Array): boolean {
  if (value.length !== 1) throw new DerError('BOOLEAN must be one byte');
  if (value[0] === 0xff) return true;
  if (value[0] === 0x00) return false;
  throw new DerError('BOOLEAN must be 0x00 or 0xFF in DER');
}

/** A non-negative INTEGER small enough for a JS number (pathLenConstraint, versions, skip counts). */
export function decodeSmallUnsigned(value: Uint8Array): number {
  if (value.length === 0) throw new DerError('empty INTEGER');
  if ((value[0] as number) & 0x80) throw new DerError('negative INTEGER where a count is expected');
  if (value.length > 1 && value[0] === 0 && ((value[1] as number) & 0x80) === 0) {
    throw new DerError('non-minimal INTEGER');
  }
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

function digits(text: string, from: number, count: number): number {
  const part = text.slice(from, from + count);
  if (!/^[0-9]+$/.test(part) || part.length !== count) throw new DerError('malformed time');
  return Number(part);
}

/** UTCTime or GeneralizedTime in the forms RFC 5280 allows (Z, seconds, no fractions). */
export function decodeTime(tlv: Tlv): Date {
  const text = Buffer.from(tlv.value).toString('latin1');
  let year: number;
  let rest: number;
  if (tlv.tag === Tag.UTC_TIME) {
    if (text.length !== 13) throw new DerError('UTCTime must be YYMMDDHHMMSSZ');
    const yy = digits(text, 0, 2);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
    rest = 2;
  } else if (tlv.tag === Tag.GENERALIZED_TIME) {
    if (text.length !== 15) throw new DerError('GeneralizedTime must be YYYYMMDDHHMMSSZ');
    year = digits(text, 0, 4);
    rest = 4;
  } else {
    throw new DerError('expected a time');
  }
  if (text[text.length - 1] !== 'Z') throw new DerError('time must be in UTC (Z)');
  const month = digits(text, rest, 2);
  const day = digits(text, rest + 2, 2);
  const hour = digits(text, rest + 4, 2);
  const minute = digits(text, rest + 6, 2);
  const second = digits(text, rest + 8, 2);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) {
    throw new DerError('time out of range');
  }
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  const date = new Date(ms);
  if (date.getUTCDate() !== day) throw new DerError('time out of range');
  return date;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
