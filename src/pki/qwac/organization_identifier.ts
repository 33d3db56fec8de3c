/**
 * The PSD2 forms of a TPP's identity: the subject organizationIdentifier (ETSI TS 119 495 §5.2.1, GEN-5.2.1-3,
 * building on the legal person semantics identifier of ETSI EN 319 412-1 §5.1.4) and the nCAId of the PSD2
 * QCStatement (TS 119 495 §5.2.3, GEN-5.2.3-2).
 *
 * organizationIdentifier = "PSD" + ISO 3166-1 alpha-2 country of the competent authority + "-" + competent
 * authority id (2 to 8 letters A-Z, no separator) + "-" + authorisation number (the standard puts no restriction
 * on its characters). nCAId = country + "-" + competent authority id, with the same parts.
 *
 * Profile choice: GEN-5.2.1-4 lets a PSD2 certificate carry another EN 319 412-1 scheme (VAT, NTR, ...) when no
 * authorisation number exists. The gateway uses organizationIdentifier as the OAuth client_id and ties it to the
 * nCAId, which only the PSD form allows, so any other scheme is refused.
 */

export interface OrganizationIdentifier {
  scheme: 'PSD';
  country: string;
  nca: string;
  authorizationNumber: string;
}

export interface NcaId {
  country: string;
  nca: string;
}

export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * Our own ceiling, not the standard's: the value becomes a client_id and a database key, and nothing a real
 * authority issues comes close.
 */
const MAX_ORGANIZATION_IDENTIFIER_LENGTH = 256;

/** The 249 officially assigned ISO 3166-1 alpha-2 codes (reserved codes such as EU, UK, EL or XK are not). */
const ISO_3166_ALPHA2 = new Set(
  (
    'AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR BS BT BV BW BY ' +
    'BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK ' +
    'FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR ' +
    'IS IT JE JM JO JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ' +
    'ML MM MN MO MP MQ MR MS MT MU MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM ' +
    'PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF ' +
    'TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA VC VE VG VI VN VU WF WS YE YT ZA ZM ZW'
  ).split(' '),
);

export function isIso3166Alpha2(code: string): boolean {
  return ISO_3166_ALPHA2.has(code);
}

const NCA_PATTERN = /^[A-Z]{2,8}$/;
// C0 and C1 controls and DEL: "no restrictions" in the standard, but these would corrupt logs and headers.
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f]/;

/** Values come from certificates nobody has vouched for yet: escape them and keep messages short. */
export function quote(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value);
}

function checkCountryAndNca(country: string, nca: string, where: string): string | undefined {
  if (!/^[A-Z]{2}$/.test(country)) return `${where}: country code ${quote(country)} is not two letters A-Z`;
  if (!isIso3166Alpha2(country))
    return `${where}: ${quote(country)} is not an ISO 3166-1 alpha-2 country code`;
  if (!NCA_PATTERN.test(nca)) return `${where}: NCA identifier ${quote(nca)} is not 2 to 8 letters A-Z`;
  return undefined;
}

/** Parses and validates a PSD2 subject organizationIdentifier such as `PSDDE-BAFIN-123456`. */
export function parseOrganizationIdentifier(value: string): ParseResult<OrganizationIdentifier> {
  const where = 'organizationIdentifier';
  if (value.length === 0) return { ok: false, reason: `${where} is empty` };
  if (value.length > MAX_ORGANIZATION_IDENTIFIER_LENGTH) {
    return { ok: false, reason: `${where} is longer than ${MAX_ORGANIZATION_IDENTIFIER_LENGTH} characters` };
  }
  const scheme = value.slice(0, 3);
  if (scheme !== 'PSD') {
    return {
      ok: false,
      reason: `${where} ${quote(value)} does not use the PSD registration scheme (found ${quote(scheme)})`,
    };
  }
  // The country and NCA parts contain no hyphen, so the first two hyphens are the separators and any further
  // ones belong to the authorisation number.
  const firstHyphen = value.indexOf('-', 3);
  const secondHyphen = firstHyphen < 0 ? -1 : value.indexOf('-', firstHyphen + 1);
  if (firstHyphen < 0 || secondHyphen < 0) {
    return {
      ok: false,
      reason: `${where} ${quote(value)} is not of the form PSD<CC>-<NCA>-<authorisation number>`,
    };
  }
  const country = value.slice(3, firstHyphen);
  const nca = value.slice(firstHyphen + 1, secondHyphen);
  const authorizationNumber = value.slice(secondHyphen + 1);
  const problem = checkCountryAndNca(country, nca, `${where} ${quote(value)}`);
  if (problem) return { ok: false, reason: problem };
  if (authorizationNumber.length === 0) {
    return { ok: false, reason: `${where} ${quote(value)} has an empty authorisation number` };
  }
  if (CONTROL_CHARACTER.test(authorizationNumber)) {
    return { ok: false, reason: `${where} authorisation number contains a control character` };
  }
  return { ok: true, value: { scheme: 'PSD', country, nca, authorizationNumber } };
}

/** Parses and validates the nCAId of a PSD2 QCStatement, such as `DE-BAFIN`. */
export function parseNcaId(value: string): ParseResult<NcaId> {
  const where = `nCAId ${quote(value)}`;
  const parts = value.split('-');
  if (parts.length !== 2) return { ok: false, reason: `${where} is not of the form <CC>-<NCA>` };
  const [country = '', nca = ''] = parts;
  const problem = checkCountryAndNca(country, nca, where);
  return problem ? { ok: false, reason: problem } : { ok: true, value: { country, nca } };
}
