import { randomBytes } from 'node:crypto';
import { DerError } from '../asn1/der';
import { parseQcStatements } from './qc_statements';
import {
  ALICE_ROLES,
  OID,
  aliceQcStatements,
  ia5,
  oid,
  printable,
  psd2Statement,
  qcType,
  seq,
  statement,
  tlv,
  utf8,
} from '../../../test/pki/qwac_test_certificates';

/** Runs `parse` and returns the DerError it threw; fails the test on success or any other error. */
function parseError(input: Uint8Array): DerError {
  try {
    parseQcStatements(input);
  } catch (error) {
    expect(error).toBeInstanceOf(DerError);
    return error as DerError;
  }
  throw new Error('expected a DerError, but parsing succeeded');
}

describe('parseQcStatements', () => {
  it('decodes an Alice-like QWAC, scanning past an unrelated leading statement', () => {
    expect(parseQcStatements(aliceQcStatements())).toEqual({
      statementIds: [OID.semanticsV2, OID.qcCompliance, OID.qcType, OID.qcPds, OID.psd2],
      compliance: true,
      sscd: false,
      types: ['web'],
      psd2: {
        roles: [
          { oid: OID.pspAi, name: 'PSP_AI' },
          { oid: OID.pspPi, name: 'PSP_PI' },
        ],
        ncaName: 'Federal Financial Supervisory Authority',
        ncaId: 'DE-BAFIN',
      },
      pds: [{ url: 'https://pds.trent.example/en', language: 'en' }],
      legislation: undefined,
    });
  });

  it.each([
    ['esign', OID.qcTypeEsign, 'esign'],
    ['eseal', OID.qcTypeEseal, 'eseal'],
    ['web', OID.qcTypeWeb, 'web'],
    ['an unknown type, as its OID', '0.4.0.1862.1.6.9', '0.4.0.1862.1.6.9'],
  ])('names QcType %s', (_label, typeOid, expected) => {
    expect(parseQcStatements(seq(qcType(typeOid))).types).toEqual([expected]);
  });

  it('reports QcSSCD and QcCClegislation', () => {
    const qc = parseQcStatements(
      seq(statement(OID.qcSscd), statement(OID.qcCClegislation, seq(printable('DE'), printable('AT')))),
    );
    expect(qc).toMatchObject({ sscd: true, compliance: false, legislation: ['DE', 'AT'], types: undefined });
  });

  it('accepts an empty statement list, and an empty roles list (refusing those is the profile’s job)', () => {
    expect(parseQcStatements(seq()).statementIds).toEqual([]);
    expect(parseQcStatements(seq(psd2Statement([], 'X', 'DE-BAFIN'))).psd2?.roles).toEqual([]);
  });

  it('decodes large OID arcs exactly', () => {
    const big = '2.25.329800735698586629295641978511506172918';
    expect(parseQcStatements(seq(statement(big))).statementIds).toEqual([big]);
  });

  it('scans thousands of unknown statements', () => {
    const many = Array.from({ length: 5000 }, (_, i) => statement(`1.2.3.${i}`, utf8('x')));
    const input = seq(...many, statement(OID.qcCompliance));
    const qc = parseQcStatements(input);
    expect(qc.statementIds).toHaveLength(5001);
    expect(qc.compliance).toBe(true);
  });

  describe('refuses malformed input with a precise DerError', () => {
    const roleSeq = (roleOid: Uint8Array, name: Uint8Array): Uint8Array => seq(seq(roleOid, name));
    it.each<[string, Uint8Array, RegExp]>([
      ['empty input', new Uint8Array(0), /QCStatements: missing/],
      ['not a SEQUENCE', utf8('hello'), /expected SEQUENCE \(0x30\), found UTF8String \(0x0c\)/],
      [
        'trailing bytes after the list',
        Uint8Array.from([...seq(), 0x00]),
        /unexpected data after QCStatements/,
      ],
      ['statement that is not a SEQUENCE', seq(oid(OID.qcCompliance)), /QCStatement #0: expected SEQUENCE/],
      ['statementId not an OID', seq(seq(utf8('x'))), /statementId: expected OBJECT IDENTIFIER/],
      ['two statementInfo elements', seq(seq(oid('1.2.3'), utf8('a'), utf8('b'))), /unexpected data after/],
      ['indefinite length', Uint8Array.from([0x30, 0x80, 0x00, 0x00]), /indefinite length is not DER/],
      [
        'length beyond the input',
        Uint8Array.from([0x30, 0x05, 0x30]),
        /length 5 exceeds the 1 bytes available/,
      ],
      ['4 GiB length field', Uint8Array.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), /exceeds the 0 bytes/],
      [
        '9-octet length field',
        Uint8Array.from([0x30, 0x89, 1, 2, 3, 4, 5, 6, 7, 8, 9]),
        /9 octets is too large/,
      ],
      ['non-minimal length', Uint8Array.from([0x30, 0x81, 0x00]), /not minimally encoded/],
      ['truncated OID', seq(seq(tlv(0x06, [0x2b, 0x86]))), /truncated OBJECT IDENTIFIER/],
      ['OID with a padded arc', seq(seq(tlv(0x06, [0x2b, 0x80, 0x01]))), /not minimally encoded/],
      ['empty OID', seq(seq(tlv(0x06))), /empty OBJECT IDENTIFIER/],
      ['QcType without info', seq(statement(OID.qcType)), /QcType: statementInfo .* missing/],
      [
        'QcType info is an OID',
        seq(statement(OID.qcType, oid(OID.qcTypeWeb))),
        /QcType: .*expected SEQUENCE/,
      ],
      [
        'QcType entry not an OID',
        seq(statement(OID.qcType, seq(utf8('web')))),
        /type #0: expected OBJECT IDENT/,
      ],
      ['duplicate QcType', seq(qcType(OID.qcTypeWeb), qcType(OID.qcTypeEseal)), /QcType: .*more than once/],
      [
        'duplicate PSD2 statement',
        seq(...[0, 1].map(() => psd2Statement(ALICE_ROLES, 'N', 'DE-BAFIN'))),
        /once/,
      ],
      ['PSD2 without info', seq(statement(OID.psd2)), /PSD2 statement: statementInfo \(PSD2QcType\) missing/],
      ['PSD2 info a string', seq(statement(OID.psd2, utf8('PSP_AI'))), /PSD2QcType\): expected SEQUENCE/],
      [
        'PSD2 roles not a SEQUENCE',
        seq(statement(OID.psd2, seq(utf8('PSP_AI'), utf8('N'), utf8('DE-BAFIN')))),
        /rolesOfPSP: expected SEQUENCE/,
      ],
      [
        'role name PrintableString',
        seq(statement(OID.psd2, seq(roleSeq(oid(OID.pspAi), printable('PSP_AI')), utf8('N'), utf8('DE-X')))),
        /roleOfPspName: expected UTF8String \(0x0c\), found PrintableString/,
      ],
      [
        'role OID a string',
        seq(
          statement(OID.psd2, seq(roleSeq(utf8('0.4.0.19495.1.3'), utf8('PSP_AI')), utf8('N'), utf8('DE-X'))),
        ),
        /rolesOfPSP #0 roleOfPspOid: expected OBJECT IDENTIFIER/,
      ],
      ['nCAId missing', seq(statement(OID.psd2, seq(seq(), utf8('N')))), /nCAId: missing/],
      [
        'extra field after nCAId',
        seq(statement(OID.psd2, seq(seq(), utf8('N'), utf8('DE-X'), utf8('extra')))),
        /unexpected data after nCAId/,
      ],
      [
        'nCAName invalid UTF-8',
        seq(statement(OID.psd2, seq(seq(), tlv(0x0c, [0xc3, 0x28]), utf8('DE-X')))),
        /nCAName: invalid UTF-8/,
      ],
      [
        'QcPDS language not PrintableString',
        seq(statement(OID.qcPds, seq(seq(ia5('https://x'), utf8('en'))))),
        /PdsLocation #0 language: expected PrintableString/,
      ],
    ])('%s', (_label, input, message) => {
      expect(parseError(input).message).toMatch(message);
    });
  });

  it('refuses 10,000-deep nesting inside statementInfo without descending into it', () => {
    let nested: Uint8Array = utf8('x');
    for (let i = 0; i < 10_000; i++) nested = seq(nested);
    // As an unknown statement the blob is skipped whole; as PSD2 data it fails at the first wrong element.
    expect(parseQcStatements(seq(statement('1.2.3.4', nested))).statementIds).toEqual(['1.2.3.4']);
    expect(parseError(seq(statement(OID.psd2, nested))).message).toMatch(
      /rolesOfPSP #0 roleOfPspOid: expected OBJECT IDENTIFIER \(0x06\), found SEQUENCE/,
    );
  });

  it('refuses 10,000-deep nesting of the statement list itself', () => {
    let nested: Uint8Array = seq();
    for (let i = 0; i < 10_000; i++) nested = seq(nested);
    expect(parseError(nested).message).toMatch(/statementId: expected OBJECT IDENTIFIER/);
  });

  it('throws only DerError for every truncation of a real statement list', () => {
    const full = aliceQcStatements();
    for (let length = 0; length < full.length; length++) {
      expect(() => parseQcStatements(full.subarray(0, length))).toThrow(DerError);
    }
  });

  it('throws only DerError (or succeeds) on random and bit-flipped input', () => {
    const full = aliceQcStatements();
    for (let i = 0; i < 2000; i++) {
      const input = i % 2 === 0 ? randomBytes(1 + (i % 300)) : Uint8Array.from(full);
      if (i % 2 === 1) {
        const at = i % input.length;
        input[at] = (input[at] as number) ^ (1 << (i % 8));
      }
      try {
        parseQcStatements(input);
      } catch (error) {
        expect(error).toBeInstanceOf(DerError);
      }
    }
  });
});
