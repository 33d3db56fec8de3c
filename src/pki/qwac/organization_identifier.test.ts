import { isIso3166Alpha2, parseNcaId, parseOrganizationIdentifier } from './organization_identifier';

describe('parseOrganizationIdentifier', () => {
  it.each([
    ['PSDDE-BAFIN-123456', 'DE', 'BAFIN', '123456'],
    ['PSDNL-DNB-R161162', 'NL', 'DNB', 'R161162'],
    // Hyphens after the second belong to the authorisation number (its characters are unrestricted).
    ['PSDFI-FINFSA-2858394-9', 'FI', 'FINFSA', '2858394-9'],
    ['PSDES-BDE-3DFD21', 'ES', 'BDE', '3DFD21'],
    ['PSDFR-ACPR-30748', 'FR', 'ACPR', '30748'],
    ['PSDCZ-CNB-64948242', 'CZ', 'CNB', '64948242'],
    ['PSDDE-ABCDEFGH-1', 'DE', 'ABCDEFGH', '1'],
    ['PSDGR-BOG-x y/z', 'GR', 'BOG', 'x y/z'],
  ])('accepts %s', (value, country, nca, authorizationNumber) => {
    expect(parseOrganizationIdentifier(value)).toEqual({
      ok: true,
      value: { scheme: 'PSD', country, nca, authorizationNumber },
    });
  });

  it.each([
    ['empty', '', /is empty/],
    [
      'wrong scheme (pkilint corpus)',
      'PADFR-ACPR-30748',
      /does not use the PSD registration scheme \(found "PAD"\)/,
    ],
    [
      'national scheme (pkilint corpus)',
      'XX:GR-18050',
      /does not use the PSD registration scheme \(found "XX:"\)/,
    ],
    ['NTR scheme', 'NTRNO-922988862', /does not use the PSD registration scheme/],
    [
      'VAT scheme (GEN-5.2.1-4 allows it; our profile does not)',
      'VATDE-123456789',
      /PSD registration scheme/,
    ],
    ['lower-case scheme', 'psdDE-BAFIN-1', /PSD registration scheme/],
    ['no NCA part', 'PSDDE-123456', /not of the form PSD<CC>-<NCA>-<authorisation number>/],
    ['no hyphens', 'PSDDEBAFIN123456', /not of the form/],
    ['three-letter country', 'PSDDEU-BAFIN-1', /country code "DEU" is not two letters A-Z/],
    ['lower-case country', 'PSDde-BAFIN-1', /country code "de" is not two letters/],
    ['unassigned country', 'PSDXY-DNB-1', /"XY" is not an ISO 3166-1 alpha-2 country code/],
    ['reserved EU code', 'PSDEU-EBA-1', /"EU" is not an ISO 3166-1 alpha-2/],
    ['one-letter NCA', 'PSDDE-B-1', /NCA identifier "B" is not 2 to 8 letters A-Z/],
    ['nine-letter NCA', 'PSDDE-ABCDEFGHI-1', /NCA identifier "ABCDEFGHI"/],
    ['NCA with digits', 'PSDNL-DNB2-1', /NCA identifier "DNB2"/],
    ['lower-case NCA', 'PSDDE-Bafin-1', /NCA identifier "Bafin"/],
    ['empty authorisation number', 'PSDDE-BAFIN-', /empty authorisation number/],
    ['control character', 'PSDDE-BAFIN-12\n34', /control character/],
    ['overlong', `PSDDE-BAFIN-${'1'.repeat(300)}`, /longer than 256 characters/],
  ])('refuses %s', (_label, value, reason) => {
    const result = parseOrganizationIdentifier(value);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });
});

describe('parseNcaId', () => {
  it.each([
    ['DE-BAFIN', 'DE', 'BAFIN'],
    ['NL-DNB', 'NL', 'DNB'],
    ['FI-FINFSA', 'FI', 'FINFSA'],
    ['FR-ACPR', 'FR', 'ACPR'],
  ])('accepts %s', (value, country, nca) => {
    expect(parseNcaId(value)).toEqual({ ok: true, value: { country, nca } });
  });

  it.each([
    ['no separator (pkilint corpus)', 'NLDNB', /nCAId "NLDNB" is not of the form <CC>-<NCA>/],
    ['unassigned country (pkilint corpus)', 'XY-DNB', /"XY" is not an ISO 3166-1 alpha-2 country code/],
    [
      'mixed case and digits (pkilint corpus)',
      'NL-DMklS32X',
      /NCA identifier "DMklS32X" is not 2 to 8 letters/,
    ],
    ['two separators', 'DE-BA-FIN', /not of the form/],
    ['empty', '', /not of the form/],
    ['NCA too long', 'DE-ABCDEFGHI', /NCA identifier "ABCDEFGHI"/],
    ['"NA" (TS 119 495 PSP_CB/PSP_PA only; not a PSD2 TPP)', 'NA', /not of the form/],
  ])('refuses %s', (_label, value, reason) => {
    const result = parseNcaId(value);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
  });
});

describe('isIso3166Alpha2', () => {
  it.each([
    ['DE', true],
    ['GR', true],
    ['NO', true],
    ['EL', false],
    ['UK', false],
    ['XK', false],
    ['de', false],
  ])('%s -> %s', (code, expected) => {
    expect(isIso3166Alpha2(code)).toBe(expected);
  });
});
