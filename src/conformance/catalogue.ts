/** Every case in run order. Order matters only in that the error-format audit comes last. */
import type { ClientCaseRow } from './client_cases';
import type { ConformanceCase } from './conformance_case';
import { frequencyCases, validationCases } from './cases/api_cases';
import { consentLifecycleCases, crossTppCases } from './cases/consent_cases';
import { fundsConfirmationCases, paymentCases } from './cases/payment_cases';
import { signatureCases } from './cases/signature_cases';
import { tlsCases } from './cases/tls_cases';
import { tokenCases } from './cases/token_cases';
import { clientCertificateCases, headerSpoofingCases, roleCases } from './cases/trust_cases';

export function catalogue(clientCases: readonly ClientCaseRow[]): ConformanceCase[] {
  const cases = [
    ...tlsCases(),
    ...clientCertificateCases(clientCases),
    ...headerSpoofingCases(),
    ...roleCases(),
    ...consentLifecycleCases(),
    ...crossTppCases(),
    ...tokenCases(),
    ...frequencyCases(),
    ...paymentCases(),
    ...fundsConfirmationCases(),
    ...validationCases(),
    ...signatureCases(),
  ];
  const seen = new Set<string>();
  for (const c of cases) {
    if (seen.has(c.id)) throw new Error(`duplicate case id ${c.id}`);
    seen.add(c.id);
  }
  return cases;
}
