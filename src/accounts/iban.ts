/**
 * ISO 13616 IBAN check (ISO 7064 mod 97-10). Shape only: no country length table, which the schema's
 * pattern and the bank's own account lookup make unnecessary here.
 */
const IBAN_SHAPE = /^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$/;

function mod97(digits: string): number {
  let remainder = 0;
  for (const ch of digits) remainder = (remainder * 10 + Number(ch)) % 97;
  return remainder;
}

function toDigits(text: string): string {
  return [...text].map((ch) => (/[A-Z]/.test(ch) ? String(ch.charCodeAt(0) - 55) : ch)).join('');
}

export function isValidIban(iban: string): boolean {
  if (!IBAN_SHAPE.test(iban)) return false;
  return mod97(toDigits(iban.slice(4) + iban.slice(0, 4))) === 1;
}

/** The two check digits for a country code and BBAN. */
export function ibanCheckDigits(country: string, bban: string): string {
  return String(98 - mod97(toDigits(`${bban}${country}00`))).padStart(2, '0');
}
