import { requireTppIdentity } from '../request_context';
import { param, type AisHandler, type AisHandlerDeps } from './ais_handler';

/** DELETE /v1/consents/{consentId}: received or valid → terminatedByTpp; then tokens are revoked via the hook. */
export function deleteConsent(deps: AisHandlerDeps): AisHandler {
  return async (context, _req, res) => {
    const consent = await deps.consents.terminateByTpp(param(context, 'consentId'), requireTppIdentity(res));
    if (deps.onConsentDeleted !== undefined) await deps.onConsentDeleted(consent.id);
    return { status: 204 };
  };
}
