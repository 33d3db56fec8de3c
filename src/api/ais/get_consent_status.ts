import { requireTppIdentity } from '../request_context';
import { param, type AisHandler, type AisHandlerDeps } from './ais_handler';

/** GET /v1/consents/{consentId}/status. */
export function getConsentStatus(deps: AisHandlerDeps): AisHandler {
  return async (context, _req, res) => {
    const consent = await deps.consents.getForTpp(
      param(context, 'consentId'),
      requireTppIdentity(res),
      'path',
    );
    return { status: 200, body: { consentStatus: consent.status } };
  };
}
