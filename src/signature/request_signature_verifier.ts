/**
 * Verification of a Berlin Group NextGenPSD2 1.3 request signature ("Signing messages at application layer"),
 * in the order that makes each refusal name one cause:
 *
 * 1. `Signature` present (else SIGNATURE_MISSING), `TPP-Signature-Certificate` present (else
 *    CERTIFICATE_MISSING), `Digest` present;
 * 2. `Signature` parsed strictly; its `headers` list follows the Berlin Group rules;
 * 3. `Digest` matches the exact body bytes;
 * 4. the certificate is readable and `keyId` names it (serial as a number, issuer as a name);
 * 5. the certificate validates to the one anchor as a seal and is a PSD2 QSealC (CERTIFICATE_*), through
 *    the verifier that caches verdicts like the QWAC's;
 * 6. its organizationIdentifier is the one of the QWAC on the connection, its roles cover the endpoint;
 * 7. the algorithm fits its key and the signature over the signing string verifies.
 *
 * Every refusal is a GatewayError whose text says which check failed. No express here: the API layer hands
 * in the request's parts and the connection's identity.
 */
import { createHash } from 'node:crypto';
import {
  CertificateExpired,
  CertificateInvalid,
  CertificateMissing,
  CertificateRevoked,
  GatewayError,
  RoleInvalid,
  SignatureInvalid,
  SignatureMissing,
} from '../errors/gateway_error';
import type { CertificateRefusalCode, ClientIdentityVerifier } from '../pki/identity/client_identity';
import { ParsedCertificateCache, type ParsedCertificate } from '../pki/certificate/parsed_certificate';
import { decodePemBlocks } from '../pki/asn1/pem';
import type { PspRole, TppIdentity } from '../pki/identity/tpp_identity';
import { digestProblem } from './digest_header';
import { keyIdMismatch, parseKeyId } from './key_id';
import type { SignatureEvidence } from './signature_evidence';
import { schemesFor, verifyWithAny } from './signature_algorithm';
import { parseSignatureHeader, SignatureHeaderError, type SignatureParameters } from './signature_header';
import { signedHeaderListProblem } from './signed_header_rules';
import { headerValues, signingString, SigningStringError } from './signing_string';

export interface SignedRequest {
  method: string;
  /** Path and query as sent. */
  target: string;
  /** node's `rawHeaders`: name, value, name, value, … */
  rawHeaders: readonly string[];
  /** The body exactly as received; empty when there is none. */
  body: Uint8Array;
}

export interface SignatureContext {
  requestId: string;
  /** The TPP the connection's QWAC identified. */
  connection: TppIdentity;
  /** Intermediates the TPP presented on the connection: candidate issuers of its seal. */
  intermediates: readonly Uint8Array[];
  /** The PSD2 role the endpoint needs, when it needs one. */
  requiredRole?: PspRole;
}

export interface RequestSignatureVerifierOptions {
  /** Judges the seal certificate: the QSealC profile of the chain validator, cached. */
  sealVerifier: ClientIdentityVerifier;
  clock?: () => Date;
}

const CERTIFICATE_REFUSALS: Record<CertificateRefusalCode, new (text: string) => GatewayError> = {
  CERTIFICATE_INVALID: CertificateInvalid,
  CERTIFICATE_EXPIRED: CertificateExpired,
  CERTIFICATE_REVOKED: CertificateRevoked,
};

const invalid = (check: string): SignatureInvalid => new SignatureInvalid(`Signature invalid: ${check}`);

/** base64 DER, as Berlin Group sends it; PEM (with its armour) is accepted too, as some TPPs send that. */
function certificateBytes(value: string): Buffer {
  if (value.includes('-----BEGIN')) {
    const [first, ...rest] = decodePemBlocks(value, 'CERTIFICATE');
    if (first === undefined || rest.length > 0) throw new Error('expected exactly one PEM certificate');
    return first;
  }
  const compact = value.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) throw new Error('not base64');
  return Buffer.from(compact, 'base64');
}

function schemeName(scheme: { kind: string; hash: string }): string {
  return `${scheme.kind}-${scheme.hash}`;
}

export class RequestSignatureVerifier {
  private readonly certificates = new ParsedCertificateCache(1000);
  private readonly clock: () => Date;

  constructor(private readonly options: RequestSignatureVerifierOptions) {
    this.clock = options.clock ?? (() => new Date());
  }

  /** The evidence of a verified signature; throws the GatewayError of the first failed check. */
  async verify(request: SignedRequest, context: SignatureContext): Promise<SignatureEvidence> {
    const values = headerValues(request.rawHeaders);
    const single = (name: string): string | undefined => {
      const list = values.get(name);
      if (list === undefined) return undefined;
      if (list.length > 1) throw invalid(`the request sends ${name} more than once`);
      return list[0];
    };

    const signatureHeader = single('signature');
    if (signatureHeader === undefined)
      throw new SignatureMissing('This bank requires signed requests: the Signature header is missing');
    const certificateHeader = single('tpp-signature-certificate');
    if (certificateHeader === undefined) {
      throw new CertificateMissing(
        'The TPP-Signature-Certificate header is missing: a signed request carries its seal certificate',
      );
    }
    const digestHeader = single('digest');
    if (digestHeader === undefined) throw invalid('the Digest header is missing');

    let parameters: SignatureParameters;
    try {
      parameters = parseSignatureHeader(signatureHeader);
    } catch (error) {
      if (error instanceof SignatureHeaderError) throw invalid(error.message);
      throw error;
    }
    const listProblem = signedHeaderListProblem(parameters.headers, (name) => values.has(name));
    if (listProblem !== undefined) throw invalid(listProblem);

    const digestMismatch = digestProblem(digestHeader, request.body);
    if (digestMismatch !== undefined) throw invalid(digestMismatch);

    let der: Buffer;
    let certificate: ParsedCertificate;
    try {
      der = certificateBytes(certificateHeader);
      certificate = this.certificates.get(der);
    } catch (error) {
      throw new CertificateInvalid(
        `TPP-Signature-Certificate is not a base64 DER certificate (${(error as Error).message})`,
      );
    }
    const keyId = parseKeyId(parameters.keyId);
    if (!keyId.ok) throw invalid(keyId.reason);
    const mismatch = keyIdMismatch(keyId.keyId, certificate);
    if (mismatch !== undefined) throw invalid(mismatch);

    const seal = await this.options.sealVerifier.verify(
      { leaf: der, intermediates: [...context.intermediates] },
      this.clock(),
    );
    if (!seal.ok) throw new CERTIFICATE_REFUSALS[seal.code](`Seal certificate: ${seal.reason}`);
    const sealer = seal.identity;
    if (sealer.organizationIdentifier !== context.connection.organizationIdentifier) {
      throw new CertificateInvalid(
        `Seal certificate belongs to ${sealer.organizationIdentifier}, not to ${context.connection.organizationIdentifier} who holds this connection`,
      );
    }
    if (context.requiredRole !== undefined && !sealer.roles.includes(context.requiredRole)) {
      throw new RoleInvalid(
        `The seal certificate's PSD2 roles (${sealer.roles.join(', ')}) do not include ${context.requiredRole}, which this endpoint requires`,
      );
    }

    const key = certificate.verificationKey();
    if (key === undefined) throw new CertificateInvalid('Seal certificate: its public key cannot be loaded');
    const choice = schemesFor(parameters.algorithm, key);
    if (!choice.ok) throw invalid(choice.reason);
    let text: string;
    try {
      text = signingString(parameters.headers, values);
    } catch (error) {
      if (error instanceof SigningStringError) throw invalid(error.message);
      throw error;
    }
    const scheme = verifyWithAny(choice.schemes, Buffer.from(text, 'utf8'), parameters.signature, key);
    if (scheme === undefined) {
      throw invalid(
        `the signature does not verify with the seal's key over the signed headers (${parameters.headers.join(' ')})`,
      );
    }

    return {
      requestId: context.requestId,
      verifiedAt: this.clock().toISOString(),
      method: request.method,
      target: request.target,
      organizationIdentifier: sealer.organizationIdentifier,
      keyId: parameters.keyId,
      algorithm: parameters.algorithm,
      scheme: schemeName(scheme),
      signedHeaders: parameters.headers,
      signingString: text,
      digest: digestHeader,
      signature: parameters.signatureBase64,
      certificateThumbprintS256: createHash('sha256').update(der).digest('base64url'),
      certificate: der.toString('base64'),
    };
  }
}
