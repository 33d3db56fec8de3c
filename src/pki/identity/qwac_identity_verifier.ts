import type { ChainPurpose, ChainValidator } from '../path/chain_validator';
import type { CandidateChain, ClientIdentityVerdict, ClientIdentityVerifier } from './client_identity';
import type { ParsedCertificate } from '../certificate/parsed_certificate';
import { identityFromQwac, type QualifiedCertificateKind } from '../qwac/qwac_identity';

/** How long a refusal may be reused at most; the cache caps it further. */
const REFUSAL_VALIDITY_MS = 60_000;

/** What a TPP certificate is for: the chain purpose it is validated for and the QcType it must declare. */
export interface TppCertificateProfile {
  purpose: ChainPurpose;
  kind: QualifiedCertificateKind;
}

/** The TLS client certificate: a QWAC validated for clientAuth. */
export const QWAC_PROFILE: TppCertificateProfile = { purpose: 'clientAuth', kind: 'web' };
/** The certificate of a request signature: a QSealC validated for sealing (keyUsage, no EKU). */
export const QSEAL_PROFILE: TppCertificateProfile = { purpose: 'seal', kind: 'eseal' };

/**
 * A client is a TPP when its chain validates by signature to the anchor for the profile's purpose and its leaf is
 * a well-formed PSD2 certificate of the profile's kind. The PSD2 data is read only from a leaf whose chain already
 * proved itself. The same class judges QWACs and QSealCs, so both go through the one validator.
 */
export class QwacIdentityVerifier implements ClientIdentityVerifier {
  constructor(
    private readonly validator: ChainValidator,
    private readonly profile: TppCertificateProfile = QWAC_PROFILE,
  ) {}

  async verify(chain: CandidateChain, at: Date): Promise<ClientIdentityVerdict> {
    const refusalUntil = new Date(at.getTime() + REFUSAL_VALIDITY_MS);
    const result = await this.validator.validate({
      leaf: chain.leaf,
      intermediates: chain.intermediates,
      at,
      purpose: this.profile.purpose,
    });
    if (!result.valid) {
      const { code, reason, leafDecides, detail } = result;
      return {
        ok: false,
        code,
        reason,
        validUntil: refusalUntil,
        ...(leafDecides ? { leafDecides } : {}),
        ...(detail !== undefined ? { detail } : {}),
      };
    }
    // The leaf as path validation parsed it: the PSD2 data is read from the same object, not parsed again.
    const leaf = result.certificates[0] as ParsedCertificate;
    const qwac = identityFromQwac(leaf, this.profile.kind);
    // The QWAC profile reads the leaf only: another path to the same leaf cannot change it.
    if (!qwac.ok)
      return { ok: false, code: qwac.code, reason: qwac.reason, validUntil: refusalUntil, leafDecides: true };
    const dnsNames = (leaf.subjectAltNames ?? []).flatMap((name) =>
      name.type === 'dns' ? [name.value] : [],
    );
    const subjectAltName = leaf.subjectAltNames !== undefined;
    return {
      ok: true,
      identity: { ...qwac.identity, dnsNames, subjectAltName },
      validUntil: result.validUntil,
    };
  }
}
