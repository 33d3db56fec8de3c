/**
 * Which headers a Berlin Group NextGenPSD2 1.3 signature must cover ("Signing messages at application
 * layer"): always `digest` and `x-request-id`; `psu-id`, `psu-corporate-id` and `tpp-redirect-uri` exactly when
 * the request carries them; `date` may be signed (later guideline versions sign it) but need not be. Nothing
 * else: a header the standard does not list would make the proof depend on something the bank does not check.
 */
export const ALWAYS_SIGNED = ['digest', 'x-request-id'] as const;
export const SIGNED_WHEN_SENT = ['psu-id', 'psu-corporate-id', 'tpp-redirect-uri'] as const;
export const MAY_BE_SIGNED = ['date'] as const;

const ALLOWED: ReadonlySet<string> = new Set([...ALWAYS_SIGNED, ...SIGNED_WHEN_SENT, ...MAY_BE_SIGNED]);

/** Why the list is unacceptable, or undefined. `sent` says whether the request carries a header. */
export function signedHeaderListProblem(
  listed: readonly string[],
  sent: (name: string) => boolean,
): string | undefined {
  const seen = new Set<string>();
  for (const name of listed) {
    if (seen.has(name)) return `headers lists ${name} twice`;
    seen.add(name);
    if (!ALLOWED.has(name)) {
      return `headers lists ${name}, which is not among the headers a signature covers (${[...ALLOWED].join(', ')})`;
    }
  }
  for (const name of ALWAYS_SIGNED) {
    if (!seen.has(name)) return `headers does not list ${name}, which every signature must cover`;
  }
  for (const name of SIGNED_WHEN_SENT) {
    if (sent(name) && !seen.has(name)) return `the request sends ${name} but headers does not list it`;
  }
  return undefined;
}

/** The names a signer lists for a request that sends the headers `sent` answers true for. */
export function headersToSign(sent: (name: string) => boolean): string[] {
  return [
    ...ALWAYS_SIGNED,
    ...SIGNED_WHEN_SENT.filter((name) => sent(name)),
    ...MAY_BE_SIGNED.filter((name) => sent(name)),
  ];
}
