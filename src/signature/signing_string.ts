/**
 * The signing string of draft-cavage-http-signatures-10 §2.3: for each name in `headers`, in that order, the
 * lower-cased name, `: `, and the header's value (several instances joined by `, ` in the order sent), lines
 * joined by `\n` with no trailing newline. Berlin Group does not sign `(request-target)`, so it is not built.
 */

/** Header values by lower-case name, in the order sent, from node's `rawHeaders` (name, value, name, …). */
export function headerValues(rawHeaders: readonly string[]): Map<string, string[]> {
  const values = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = (rawHeaders[i] as string).toLowerCase();
    const value = (rawHeaders[i + 1] as string).trim();
    const list = values.get(name);
    if (list) list.push(value);
    else values.set(name, [value]);
  }
  return values;
}

export class SigningStringError extends Error {
  override readonly name = 'SigningStringError';
}

export function signingString(
  names: readonly string[],
  values: ReadonlyMap<string, readonly string[]>,
): string {
  return names
    .map((name) => {
      const sent = values.get(name);
      if (sent === undefined || sent.length === 0)
        throw new SigningStringError(`headers lists ${name}, but the request does not send it`);
      return `${name}: ${sent.join(', ')}`;
    })
    .join('\n');
}
