import type { ConsentAccess } from '../../consent/consent';
import { requireTppIdentity } from '../request_context';
import { header, type AisHandler, type AisHandlerDeps } from './ais_handler';

interface ConsentsBody {
  access: ConsentAccess;
  recurringIndicator: boolean;
  validUntil: string;
  frequencyPerDay: number;
  combinedServiceIndicator?: boolean;
}

/** POST /v1/consents. The body has passed schema validation; semantic checks live in ConsentService. */
export function createConsent(deps: AisHandlerDeps): AisHandler {
  return async (context, _req, res) => {
    const tpp = requireTppIdentity(res);
    const body = context.request.requestBody as ConsentsBody;
    const dnsNames = deps.tppDnsNames?.(res);
    const { consent, warning } = await deps.consents.create({
      tpp,
      ...(dnsNames !== undefined ? { tppDnsNames: dnsNames } : {}),
      tppRedirectUri: header(context, 'TPP-Redirect-URI'),
      access: body.access,
      recurringIndicator: body.recurringIndicator,
      validUntil: body.validUntil,
      frequencyPerDay: body.frequencyPerDay,
      combinedServiceIndicator: body.combinedServiceIndicator ?? false,
    });
    const self = `/v1/consents/${consent.id}`;
    return {
      status: 201,
      headers: { Location: `${deps.publicUrl}${self}`, 'ASPSP-SCA-Approach': 'OAUTH' },
      body: {
        consentStatus: consent.status,
        consentId: consent.id,
        _links: {
          self: { href: self },
          status: { href: `${self}/status` },
          scaOAuth: { href: `${deps.publicUrl}/.well-known/oauth-authorization-server` },
        },
        ...(warning !== undefined
          ? {
              tppMessages: [
                { category: 'WARNING', code: 'FORMAT_ERROR', path: 'header.TPP-Redirect-URI', text: warning },
              ],
            }
          : {}),
      },
    };
  };
}
