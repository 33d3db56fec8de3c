/**
 * Decoding the qcStatements certificate extension (RFC 3739 §3.2.6, ETSI EN 319 412-5, ETSI TS 119 495).
 *
 * Read with the gateway's one DER reader (./der): it never recurses on its own, never allocates more than the
 * input's own size, and turns every malformation into a DerError that names the field and the byte offset.
 * Statements we do not know are skipped as opaque TLVs (their contents are never descended into), which is what
 * makes hostile nesting depth irrelevant.
 */
import { DerError, DerReader, Tag, describeTag, readOid, readString, type Tlv } from '../asn1/der';

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

/**
 * Decodes the DER value of a qcStatements extension (the contents of extnValue's OCTET STRING).
 * Throws DerError, and nothing else, on any malformed input; its message names the field and byte offset.
 */
export function parseQcStatements(extnValue: Uint8Array): QcStatements {
  const outer = new DerReader(extnValue, { context: 'qcStatements' });
  const list = outer.read(Tag.SEQUENCE, 'QCStatements');
  outer.end('QCStatements');

  const result: QcStatements = {
    statementIds: [],
    compliance: false,
    sscd: false,
    types: undefined,
    psd2: undefined,
    pds: undefined,
    legislation: undefined,
  };

  const statements = DerReader.of(list, 'qcStatements');
  for (let index = 0; !statements.done; index++) {
    const statement = DerReader.of(
      statements.read(Tag.SEQUENCE, `QCStatement #${index}`),
      `qcStatements: QCStatement #${index}`,
    );
    const id = readOid(statement, 'statementId');
    result.statementIds.push(id);
    const info = statement.done ? undefined : statement.read(undefined, 'statementInfo');
    statement.end('statementInfo');

    const reader = new Statement(`qcStatements: ${describeStatement(id)}`, statements.offset);
    switch (id) {
      case OID_QC_COMPLIANCE:
        result.compliance = true;
        break;
      case OID_QC_SSCD:
        result.sscd = true;
        break;
      case OID_QC_TYPE:
        if (result.types) reader.fail('statement appears more than once');
        result.types = parseQcType(reader, info);
        break;
      case OID_PSD2_STATEMENT:
        if (result.psd2) reader.fail('statement appears more than once');
        result.psd2 = parsePsd2(reader, info);
        break;
      case OID_QC_PDS:
        if (result.pds) reader.fail('statement appears more than once');
        result.pds = parsePds(reader, info);
        break;
      case OID_QC_CC_LEGISLATION:
        if (result.legislation) reader.fail('statement appears more than once');
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

/** Where one statement's errors are reported: its name, and the offset just past it. */
class Statement {
  constructor(
    readonly context: string,
    private readonly end: number,
  ) {}

  fail(message: string, at = this.end): never {
    throw new DerError(`${this.context}: ${message}`, at);
  }

  /** A reader over statementInfo, which must be present and carry `tag`. */
  info(info: Tlv | undefined, tag: number, what: string): DerReader {
    if (!info) return this.fail(`${what} missing`);
    if (info.tag !== tag)
      this.fail(`${what}: expected ${describeTag(tag)}, found ${describeTag(info.tag)}`, info.offset);
    return DerReader.of(info, this.context);
  }
}

function parseQcType(statement: Statement, info: Tlv | undefined): string[] {
  const list = statement.info(info, Tag.SEQUENCE, 'statementInfo (SEQUENCE OF QcType OID)');
  const types: string[] = [];
  while (!list.done) {
    const oid = readOid(list, `type #${types.length}`);
    types.push(QC_TYPE_NAMES[oid] ?? oid);
  }
  return types;
}

/** UTF8String only: TS 119 495 fixes the type, and accepting others would admit look-alike encodings. */
function readUtf8(reader: DerReader, what: string): string {
  return readString(reader, Tag.UTF8_STRING, what);
}

function parsePsd2(statement: Statement, info: Tlv | undefined): Psd2Statement {
  const body = statement.info(info, Tag.SEQUENCE, 'statementInfo (PSD2QcType)');
  const rolesList = DerReader.of(body.read(Tag.SEQUENCE, 'rolesOfPSP'), statement.context);
  const roles: Psd2Role[] = [];
  while (!rolesList.done) {
    const what = `rolesOfPSP #${roles.length}`;
    const role = DerReader.of(rolesList.read(Tag.SEQUENCE, what), statement.context);
    const oid = readOid(role, `${what} roleOfPspOid`);
    const name = readUtf8(role, `${what} roleOfPspName`);
    role.end(`${what} roleOfPspName`);
    roles.push({ oid, name });
  }
  const ncaName = readUtf8(body, 'nCAName');
  const ncaId = readUtf8(body, 'nCAId');
  body.end('nCAId');
  return { roles, ncaName, ncaId };
}

function parsePds(statement: Statement, info: Tlv | undefined): QcPdsLocation[] {
  const list = statement.info(info, Tag.SEQUENCE, 'statementInfo (PdsLocations)');
  const locations: QcPdsLocation[] = [];
  while (!list.done) {
    const what = `PdsLocation #${locations.length}`;
    const location = DerReader.of(list.read(Tag.SEQUENCE, what), statement.context);
    const url = readString(location, Tag.IA5_STRING, `${what} url`);
    const language = readString(location, Tag.PRINTABLE_STRING, `${what} language`);
    location.end(`${what} language`);
    locations.push({ url, language });
  }
  return locations;
}

function parseLegislation(statement: Statement, info: Tlv | undefined): string[] {
  const list = statement.info(info, Tag.SEQUENCE, 'statementInfo (QcCClegislation)');
  const countries: string[] = [];
  while (!list.done) countries.push(readString(list, Tag.PRINTABLE_STRING, `country #${countries.length}`));
  return countries;
}
