/**
 * The three services the EBA Guidelines on reporting (EBA/GL/2018/07 and the RTS Art. 32) ask availability
 * and performance figures for, and which request paths belong to each.
 */
export const EBA_SERVICES = ['AIS', 'PIS', 'PIIS'] as const;
export type EbaService = (typeof EBA_SERVICES)[number];

const SERVICE_PATHS: readonly [RegExp, EbaService][] = [
  [/^\/v1\/(consents|accounts|card-accounts)(\/|$)/, 'AIS'],
  [/^\/v1\/(payments|bulk-payments|periodic-payments|signing-baskets)(\/|$)/, 'PIS'],
  [/^\/v1\/funds-confirmations(\/|$)/, 'PIIS'],
];

export function serviceOfPath(path: string): EbaService | undefined {
  for (const [pattern, service] of SERVICE_PATHS) if (pattern.test(path)) return service;
  return undefined;
}
