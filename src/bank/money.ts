/**
 * Amounts as the contract transmits them (decimal strings with a dot) in minor units (cents) for exact
 * arithmetic. The sandbox's currencies have two decimals; an amount with a third non-zero decimal has no
 * minor-unit value and is refused by the caller.
 */

const AMOUNT = /^(-?)(\d{1,14})(?:\.(\d{1,3}))?$/;

export function toMinorUnits(amount: string): bigint | undefined {
  const match = AMOUNT.exec(amount);
  if (match === null) return undefined;
  const [, sign = '', whole = '0', fraction = ''] = match;
  if (fraction.length === 3 && !fraction.endsWith('0')) return undefined;
  const minor = BigInt(whole) * 100n + BigInt(fraction.slice(0, 2).padEnd(2, '0'));
  return sign === '-' ? -minor : minor;
}

export function fromMinorUnits(minor: bigint): string {
  const sign = minor < 0n ? '-' : '';
  const abs = minor < 0n ? -minor : minor;
  return `${sign}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}
