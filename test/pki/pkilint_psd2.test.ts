/**
 * Real-world PSD2 QWACs from digicert/pkilint's ETSI TS 119 495 corpus (read from ../shared/vectors, never
 * copied in). The expectations below were written by reading each file's certificate and pkilint's findings;
 * they are not a snapshot of our output. Every `.crttest` file must have a row, and each row's list of PSD2-data
 * findings is checked against the file, so the table cannot drift from the corpus silently.
 *
 * Scope: identityFromQwac only. All but one of these are CT pre-certificates (critical poison extension), which
 * path validation refuses; that is not this module's concern.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config/project_root';
import { decodePemBlocks } from '../../src/pki/asn1/pem';
import { ParsedCertificate } from '../../src/pki/certificate/parsed_certificate';
import { OID_QC_STATEMENTS, parseQcStatements } from '../../src/pki/qwac/qc_statements';
import { identityFromQwac } from '../../src/pki/qwac/qwac_identity';
import { attributeValues } from '../../src/pki/certificate/x500_name';
import { sharedVectorsDir } from '../helpers/shared_vectors';

const CORPUS = path.join(
  sharedVectorsDir() ?? path.resolve(PROJECT_ROOT, '..', 'shared', 'vectors'),
  'pkilint-psd2',
);

/**
 * pkilint findings about the PSD2 data we read: TS 119 495 §5.1.1 (statement present) and §5.2 (organization
 * identifier, roles, NCA), plus EN 319 412-1's organizationIdentifier scheme check.
 */
const PSD2_DATA_FINDING =
  /^etsi\.ts_119_495\.gen-5\.(1\.1|2)|^etsi\.en_319_412_1\.leg-5\.1\.4-03\.invalid_scheme$/;

const AI = ['0.4.0.19495.1.3', 'PSP_AI'];
const AS = ['0.4.0.19495.1.1', 'PSP_AS'];
const PI = ['0.4.0.19495.1.2', 'PSP_PI'];
const IC = ['0.4.0.19495.1.4', 'PSP_IC'];
const DNB = 'The Netherlands Bank';
const BAFIN = 'Federal Financial Supervisory Authority';
const ACPR = 'Prudential Supervisory and Resolution Authority';
const FINFSA = 'Finnish Financial Supervisory Authority';

interface Expectation {
  organizationIdentifier: string;
  /** undefined: the certificate has no PSD2 statement. */
  psd2?: { roles: string[][]; ncaName: string; ncaId: string };
  /** The PSD2-data findings pkilint reports for this file (exactly). */
  pkilintPsd2Findings: string[];
  /** 'accept', or the reason we refuse. */
  verdict: 'accept' | RegExp;
  /** Why our verdict differs from "refuse exactly when pkilint flags PSD2 data", where it does. */
  note?: string;
}

const NL_AI = { roles: [AI], ncaName: DNB, ncaId: 'NL-DNB' };
const MONEYMONK = 'PSDNL-DNB-R161162';
const PEAKS = 'PSDNL-DNB-R134428';
const NORDEA = 'PSDFI-FINFSA-2858394-9';

const TABLE: Record<string, Expectation> = {
  qevcp_w_eidas_pre_certificate__psd2_policy_oid_present: {
    organizationIdentifier: 'NTRNO-922988862',
    pkilintPsd2Findings: [],
    verdict: /qcStatements lack the PSD2 statement \(0\.4\.0\.19495\.2\): not a PSD2 certificate/,
    note: 'pkilint types this as a non-PSD2 QWAC (and objects to its PSD2 policy OID); without a PSD2 statement it carries no TPP identity',
  },
  qevcp_w_psd2_eidas_final_certificate__invalid_orgid_scheme: {
    organizationIdentifier: 'PADFR-ACPR-30748',
    psd2: { roles: [AI], ncaName: ACPR, ncaId: 'FR-ACPR' },
    pkilintPsd2Findings: [
      'etsi.en_319_412_1.leg-5.1.4-03.invalid_scheme',
      'etsi.ts_119_495.gen-5.2.1-3.invalid_psd_organization_id_format',
    ],
    verdict:
      /organizationIdentifier "PADFR-ACPR-30748" does not use the PSD registration scheme \(found "PAD"\)/,
  },
  qevcp_w_psd2_eidas_non_browser_pre_certificate__validity_period_too_long: {
    organizationIdentifier: MONEYMONK,
    psd2: NL_AI,
    pkilintPsd2Findings: [],
    verdict: 'accept',
  },
  qevcp_w_psd2_eidas_non_browser_pre_certificate__validity_period_too_long_with_psd2_policy: {
    organizationIdentifier: MONEYMONK,
    psd2: NL_AI,
    pkilintPsd2Findings: [],
    verdict: 'accept',
  },
  qevcp_w_psd2_eidas_pre_certificate__badurl: {
    organizationIdentifier: NORDEA,
    psd2: { roles: [AI, AS, IC, PI], ncaName: FINFSA, ncaId: 'FI-FINFSA' },
    pkilintPsd2Findings: [],
    verdict: 'accept',
  },
  qevcp_w_psd2_eidas_pre_certificate__iso639: {
    organizationIdentifier: NORDEA,
    psd2: { roles: [AI, AS, IC, PI], ncaName: FINFSA, ncaId: 'FI-FINFSA' },
    pkilintPsd2Findings: [],
    verdict: 'accept',
  },
  qevcp_w_psd2_eidas_pre_certificate__nca_id_badiso: {
    organizationIdentifier: PEAKS,
    psd2: { roles: [PI, AI], ncaName: DNB, ncaId: 'XY-DNB' },
    pkilintPsd2Findings: ['etsi.ts_119_495.gen-5.2.3-2.invalid_iso_country'],
    verdict: /PSD2 nCAId "XY-DNB": "XY" is not an ISO 3166-1 alpha-2 country code/,
  },
  qevcp_w_psd2_eidas_pre_certificate__nca_id_badstructure: {
    organizationIdentifier: PEAKS,
    psd2: { roles: [PI, AI], ncaName: DNB, ncaId: 'NLDNB' },
    pkilintPsd2Findings: ['etsi.ts_119_495.gen-5.2.3-2.invalid_structure'],
    verdict: /PSD2 nCAId "NLDNB" is not of the form <CC>-<NCA>/,
  },
  qevcp_w_psd2_eidas_pre_certificate__nca_id_invalidid: {
    organizationIdentifier: PEAKS,
    psd2: { roles: [PI, AI], ncaName: DNB, ncaId: 'NL-DMklS32X' },
    pkilintPsd2Findings: ['etsi.ts_119_495.gen-5.2.3-2.invalid_ca_identifier'],
    verdict: /NCA identifier "DMklS32X" is not 2 to 8 letters A-Z/,
  },
  qevcp_w_psd2_eidas_pre_certificate__nca_name_not_latin: {
    organizationIdentifier: PEAKS,
    psd2: { roles: [PI, AI], ncaName: 'The Netherlands BÖnk', ncaId: 'NL-DNB' },
    pkilintPsd2Findings: ['etsi.ts_119_495.gen-5.2.3-1.nca_name_non_latin'],
    verdict: 'accept',
    note: 'pkilint tests nCAName for ASCII, but "Ö" is a Latin letter; nCAName is display text, the identity rests on organizationIdentifier and nCAId',
  },
  qevcp_w_psd2_eidas_pre_certificate__obsolete_qualified_statement: {
    organizationIdentifier: 'PSDDE-BAFIN-102207',
    psd2: { roles: [AS, PI, AI, IC], ncaName: BAFIN, ncaId: 'DE-BAFIN' },
    pkilintPsd2Findings: [],
    verdict: 'accept',
    note: 'the obsolete statement pkilint flags (id-qcs-pkixQCSyntax-v1) is not PSD2 data; unknown statements are skipped',
  },
  qevcp_w_psd2_eidas_pre_certificate__psp_invalid_oid: {
    organizationIdentifier: MONEYMONK,
    psd2: { roles: [['0.4.0.19495.1.3.999', 'PSP_AI']], ncaName: DNB, ncaId: 'NL-DNB' },
    pkilintPsd2Findings: ['etsi.ts_119_495.gen-5.2-2.invalid_psp_oid'],
    verdict:
      /PSD2 role OID 0\.4\.0\.19495\.1\.3\.999 \(named "PSP_AI"\) is not one of PSP_AS, PSP_PI, PSP_AI, PSP_IC/,
  },
  qevcp_w_psd2_eidas_pre_certificate__psp_invalid_role: {
    organizationIdentifier: MONEYMONK,
    psd2: { roles: [['0.4.0.19495.1.3', 'PSP_AI_invalid']], ncaName: DNB, ncaId: 'NL-DNB' },
    pkilintPsd2Findings: ['etsi.ts_119_495.gen-5.2-2.invalid_psp_role'],
    verdict: /PSD2 role 0\.4\.0\.19495\.1\.3 is named "PSP_AI_invalid", but that OID is PSP_AI/,
  },
  qevcp_w_psd2_eidas_pre_certificate__psp_not_unspecified: {
    organizationIdentifier: MONEYMONK,
    psd2: { roles: [['0.4.0.19495.1.0', 'Unknown']], ncaName: DNB, ncaId: 'NL-DNB' },
    pkilintPsd2Findings: ['etsi.ts_119_495.gen-5.2-2.invalid_psp_role'],
    verdict:
      /PSD2 role OID 0\.4\.0\.19495\.1\.0 \(named "Unknown"\) is not one of PSP_AS, PSP_PI, PSP_AI, PSP_IC/,
    note: 'pkilint objects to the name (it would accept "Unspecified" for this OID); we refuse the OID itself, since an unspecified role grants no PSD2 service',
  },
  qevcp_w_psd2_eidas_pre_certificate__psp_role_mismatch: {
    organizationIdentifier: MONEYMONK,
    psd2: { roles: [['0.4.0.19495.1.3', 'PSP_AS']], ncaName: DNB, ncaId: 'NL-DNB' },
    pkilintPsd2Findings: ['etsi.ts_119_495.gen-5.2.2-5.psp_role_mismatch'],
    verdict: /PSD2 role 0\.4\.0\.19495\.1\.3 is named "PSP_AS", but that OID is PSP_AI/,
  },
  qevcp_w_psd2_eidas_pre_certificate__psp_roles_empty: {
    organizationIdentifier: 'PSDDE-BAFIN-106653',
    psd2: { roles: [], ncaName: BAFIN, ncaId: 'DE-BAFIN' },
    pkilintPsd2Findings: ['etsi.ts_119_495.gen-5.2.2-1.roles_of_psp_empty'],
    verdict: /PSD2 statement lists no roles \(rolesOfPSP is empty\)/,
  },
  qevcp_w_psd2_eidas_pre_certificate__psp_roles_good: {
    organizationIdentifier: MONEYMONK,
    psd2: NL_AI,
    pkilintPsd2Findings: [],
    verdict: 'accept',
  },
  qevcp_w_psd2_eidas_pre_certificate__qc_eupds_good: {
    organizationIdentifier: MONEYMONK,
    psd2: NL_AI,
    pkilintPsd2Findings: [],
    verdict: 'accept',
  },
  qevcp_w_psd2_eidas_pre_certificate__qc_eupds_missing: {
    organizationIdentifier: NORDEA,
    pkilintPsd2Findings: ['etsi.ts_119_495.gen-5.1.1.qc_eu_pds_missing'],
    verdict: /qcStatements lack the PSD2 statement \(0\.4\.0\.19495\.2\)/,
    note: 'despite its name, pkilint raises qc_eu_pds_missing when the PSD2 statement is absent (GEN-5.1.1), which it is here',
  },
  qevcp_w_psd2_eidas_pre_certificate__semantics_info_nra_missing: {
    organizationIdentifier: 'XX:GR-18050',
    psd2: { roles: [AS, PI, AI], ncaName: ACPR, ncaId: 'FR-ACPR' },
    pkilintPsd2Findings: ['etsi.ts_119_495.gen-5.2.1-3.invalid_psd_organization_id_format'],
    verdict: /organizationIdentifier "XX:GR-18050" does not use the PSD registration scheme \(found "XX:"\)/,
  },
  qevcp_w_psd2_eidas_pre_certificate__semantics_info_nra_uri_missing: {
    organizationIdentifier: 'XX:GR-18050',
    psd2: { roles: [AS, PI, AI], ncaName: ACPR, ncaId: 'FR-ACPR' },
    pkilintPsd2Findings: ['etsi.ts_119_495.gen-5.2.1-3.invalid_psd_organization_id_format'],
    verdict: /organizationIdentifier "XX:GR-18050" does not use the PSD registration scheme \(found "XX:"\)/,
  },
  qevcp_w_psd2_eidas_pre_certificate__validity_period_too_long: {
    organizationIdentifier: MONEYMONK,
    psd2: NL_AI,
    pkilintPsd2Findings: [],
    verdict: 'accept',
  },
  qevcp_w_psd2_eidas_pre_certificate__validity_period_too_long_with_psd2_policy: {
    organizationIdentifier: MONEYMONK,
    psd2: NL_AI,
    pkilintPsd2Findings: [],
    verdict: 'accept',
  },
};

interface Vector {
  der: Uint8Array;
  findingCodes: string[];
}

function readVector(name: string): Vector {
  const text = readFileSync(path.join(CORPUS, `${name}.crttest`), 'latin1');
  const [der] = decodePemBlocks(text, 'CERTIFICATE');
  if (!der) throw new Error(`${name}: no certificate`);
  const csv = text.slice(text.indexOf('-----END CERTIFICATE-----')).split('\n').slice(1);
  // Columns: node_path,validator,severity,code,message; only the message may contain quoted commas.
  const findingCodes = csv
    .map((line) => line.split(',')[3])
    .filter((code): code is string => code !== undefined && code !== 'code');
  return { der, findingCodes };
}

const present = existsSync(CORPUS);
if (!present) {
  if (process.env.CI === 'true')
    throw new Error(`pkilint PSD2 corpus not found at ${CORPUS} (required in CI)`);
  console.log(
    `pkilint_psd2.test.ts: skipped, corpus not found at ${CORPUS} (a fresh clone has no ../shared)`,
  );
}
const describeCorpus = present ? describe : describe.skip;

describeCorpus('pkilint ETSI TS 119 495 corpus', () => {
  it('has a table row for every corpus file, and a file for every row', () => {
    const files = readdirSync(CORPUS)
      .filter((f) => f.endsWith('.crttest'))
      .map((f) => f.slice(0, -'.crttest'.length))
      .sort();
    expect(files).toEqual(Object.keys(TABLE).sort());
  });

  describe.each(Object.entries(TABLE))('%s', (name, expected) => {
    let vector: Vector;
    beforeAll(() => {
      vector = readVector(name);
    });

    it('lists exactly the PSD2-data findings the table names', () => {
      const psd2Findings = [...new Set(vector.findingCodes.filter((c) => PSD2_DATA_FINDING.test(c)))].sort();
      expect(psd2Findings).toEqual([...expected.pkilintPsd2Findings].sort());
    });

    it('parses its QCStatements and organizationIdentifier as the table says', () => {
      const certificate = ParsedCertificate.parse(vector.der);
      expect(attributeValues(certificate.subject, '2.5.4.97').map((v) => v.text)).toEqual([
        expected.organizationIdentifier,
      ]);
      const extension = certificate.extensions.find((e) => e.oid === OID_QC_STATEMENTS);
      expect(extension).toBeDefined();
      const qc = parseQcStatements(extension?.value ?? new Uint8Array(0));
      expect(qc.compliance).toBe(true);
      expect(qc.types).toEqual(['web']);
      if (expected.psd2) {
        expect(qc.psd2).toEqual({
          roles: expected.psd2.roles.map(([oid, roleName]) => ({ oid, name: roleName })),
          ncaName: expected.psd2.ncaName,
          ncaId: expected.psd2.ncaId,
        });
      } else {
        expect(qc.psd2).toBeUndefined();
      }
    });

    it(`identityFromQwac: ${expected.verdict === 'accept' ? 'accepts' : 'refuses'}`, () => {
      const result = identityFromQwac(ParsedCertificate.parse(vector.der));
      if (expected.verdict === 'accept') {
        expect(result).toMatchObject({
          ok: true,
          identity: {
            organizationIdentifier: expected.organizationIdentifier,
            ncaId: expected.psd2?.ncaId,
            ncaName: expected.psd2?.ncaName,
            roles: expected.psd2?.roles.map(([, roleName]) => roleName),
          },
        });
      } else {
        expect(result.ok).toBe(false);
        if (!result.ok) expect(result.reason).toMatch(expected.verdict);
      }
    });

    it('refuses whenever pkilint flags PSD2 data, except where the table explains why not', () => {
      const refused = !identityFromQwac(ParsedCertificate.parse(vector.der)).ok;
      const flagged = expected.pkilintPsd2Findings.length > 0;
      if (refused !== flagged) expect(expected.note).toBeDefined();
    });
  });
});
