import type { ChainValidator } from '../path/chain_validator';
import type { CandidateChain, ClientIdentityVerdict, ClientIdentityVerifier } from './client_identity';
import type { ParsedCertificate } from '../certificate/parsed_certificate';
import { identityFromQwac } from '../qwac/qwac_identity';

/** How long a refusal may be reused at most; the cache caps it further. */
const REFUSAL_VALIDITY_MS = 60_000;

/**
 * A client is a TPP when its chain validates by signature to the anchor for clientAuth and its leaf is a
 * well-formed PSD2 QWAC. The PSD2 data is read only from a leaf whose chain already proved itself.
 */
export class QwacIdentityVerifier implements ClientIdentityVerifier {
  constructor(private readonly validator: ChainValidator) {}

  async verify(chain: CandidateChain, at: Date): Promise<ClientIdentityVerdict> {
    const refusalUntil = new Date(at.getTime() + REFUSAL_VALIDITY_MS);
    const result = await this.validator.validate({
      leaf: chain.leaf,
      intermediates: chain.intermediates,
      at,
      purpose: 'clientAuth',
    });
    if (!result.valid)
      return { ok: false, code: result.code, reason: result.reason, validUntil: refusalUntil };
    // The leaf as path validation parsed it: the PSD2 data is read from the same object, not parsed again.
    const leaf = result.certificates[0] as ParsedCertificate;
    const qwac = identityFromQwac(leaf);
    if (!qwac.ok) return { ok: false, code: qwac.code, reason: qwac.reason, validUntil: refusalUntil };
    const dnsNames = (leaf.subjectAltNames ?? []).flatMap((name) =>
      name.type === 'dns' ? [name.value] : [],
    );
    return { ok: true, identity: { ...qwac.identity, dnsNames }, validUntil: result.validUntil };
  }
}
