import type { Consent, ConsentAccess } from '../../consent/consent';
import { requireTppIdentity } from '../request_context';
import { param, type AisHandler, type AisHandlerDeps } from './ais_handler';

/** A bank-offered consent (empty lists) shows the accounts the PSU chose once it is authorised. */
function accessView(consent: Consent): ConsentAccess {
  const { access, grant } = consent;
  const bankOffered = (['accounts', 'balances', 'transactions'] as const).some(
    (k) => access[k]?.length === 0,
  );
  if (grant === undefined || !bankOffered) return access;
  const refs = (ibans: string[]) => ibans.map((iban) => ({ iban }));
  return {
    ...(access.accounts !== undefined ? { accounts: refs(grant.accounts) } : {}),
    ...(access.balances !== undefined ? { balances: refs(grant.balances) } : {}),
    ...(access.transactions !== undefined ? { transactions: refs(grant.transactions) } : {}),
  };
}

/** GET /v1/consents/{consentId}. */
export function getConsentInformation(deps: AisHandlerDeps): AisHandler {
  return async (context, _req, res) => {
    const consent = await deps.consents.getForTpp(
      param(context, 'consentId'),
      requireTppIdentity(res),
      'path',
    );
    return {
      status: 200,
      body: {
        access: accessView(consent),
        recurringIndicator: consent.recurringIndicator,
        validUntil: consent.validUntil,
        frequencyPerDay: consent.frequencyPerDay,
        lastActionDate: consent.lastActionDate,
        consentStatus: consent.status,
      },
    };
  };
}
