/**
 * The `Signature` request header of draft-cavage-http-signatures-10 §4.1, as Berlin Group NextGenPSD2 1.3
 * uses it: `keyId="…",algorithm="…",headers="…",signature="…"`.
 *
 * Parsed strictly: each parameter once, each value a quoted string, nothing but the four parameters Berlin
 * Group defines (the draft lets unknown parameters be ignored; a bank that must be able to prove what was
 * signed has no use for parts it does not understand), `headers` as single-space-separated lower-case names.
 */
export interface SignatureParameters {
  keyId: string;
  algorithm: string;
  /** Header names in signing order, lower case. */
  headers: string[];
  /** The decoded signature bytes. */
  signature: Buffer;
  /** The signature exactly as sent (base64), for the evidence record. */
  signatureBase64: string;
}

export class SignatureHeaderError extends Error {
  override readonly name = 'SignatureHeaderError';
}

const PARAMETERS = ['keyId', 'algorithm', 'headers', 'signature'] as const;
type ParameterName = (typeof PARAMETERS)[number];

/** `name="value"` followed by a comma or the end; optional whitespace around the comma. */
const PARAMETER = /[ \t]*([A-Za-z]+)="([^"\\]*)"[ \t]*(,|$)/y;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const HEADER_NAME = /^(?:\([a-z-]+\)|[!#$%&'*+.^_`|~0-9a-z-]+)$/;

export function parseSignatureHeader(value: string): SignatureParameters {
  const found = new Map<ParameterName, string>();
  let offset = 0;
  while (offset < value.length) {
    PARAMETER.lastIndex = offset;
    const match = PARAMETER.exec(value);
    if (match === null) {
      throw new SignatureHeaderError(
        `Signature header is not a list of name="value" parameters (at ${JSON.stringify(value.slice(offset, offset + 20))})`,
      );
    }
    const [, name = '', parameterValue = '', separator] = match;
    if (!(PARAMETERS as readonly string[]).includes(name)) {
      throw new SignatureHeaderError(
        `Signature parameter ${JSON.stringify(name)} is not one of keyId, algorithm, headers, signature`,
      );
    }
    if (found.has(name as ParameterName))
      throw new SignatureHeaderError(`Signature parameter ${name} appears more than once`);
    found.set(name as ParameterName, parameterValue);
    offset = PARAMETER.lastIndex;
    if (separator === ',' && offset >= value.length)
      throw new SignatureHeaderError('Signature header ends with a comma');
  }
  for (const name of PARAMETERS) {
    if (!found.has(name)) throw new SignatureHeaderError(`Signature parameter ${name} is missing`);
  }
  const keyId = found.get('keyId') as string;
  const algorithm = found.get('algorithm') as string;
  const headersText = found.get('headers') as string;
  const signatureBase64 = found.get('signature') as string;
  if (keyId === '') throw new SignatureHeaderError('Signature parameter keyId is empty');
  if (algorithm === '') throw new SignatureHeaderError('Signature parameter algorithm is empty');
  const headers = headersText.split(' ');
  for (const header of headers) {
    if (!HEADER_NAME.test(header)) {
      throw new SignatureHeaderError(
        `Signature parameter headers must list lower-case header names separated by single spaces (got ${JSON.stringify(headersText)})`,
      );
    }
  }
  if (signatureBase64 === '' || !BASE64.test(signatureBase64))
    throw new SignatureHeaderError('Signature parameter signature is not base64');
  return { keyId, algorithm, headers, signature: Buffer.from(signatureBase64, 'base64'), signatureBase64 };
}
