import { ResourceUnknown, StatusInvalid } from '../../errors/gateway_error';
import { authorisationIdOf, scaStatusOf } from '../../payment/payment_sca';
import type { AisHandler } from '../ais/ais_handler';
import { param } from '../ais/ais_handler';
import { pathPayment, paymentPath, type PisHandlerDeps } from './pis_handler';

/**
 * The `…/{paymentId}/authorisations` sub-resources. The PSU authorises through the OAuth SCA approach
 * (scope `PIS:<paymentId>`), so starting an authorisation hands the TPP the authorization server; the one
 * authorisation a payment has is described in src/payment/payment_sca.ts.
 */

/** POST …/{paymentId}/authorisations: the (single) authorisation of a payment still awaiting it. */
export function startPaymentAuthorisation(deps: PisHandlerDeps): AisHandler {
  return async (context, _req, res) => {
    const payment = await pathPayment(deps, context, res);
    if (payment.status !== 'RCVD') {
      throw new StatusInvalid({
        text: 'The payment is not awaiting authorisation',
        detail: `status ${payment.status}`,
      });
    }
    const authorisationId = authorisationIdOf(payment.id);
    const self = `${paymentPath(payment)}/authorisations/${authorisationId}`;
    return {
      status: 201,
      headers: { Location: `${deps.publicUrl}${self}`, 'ASPSP-SCA-Approach': 'OAUTH' },
      body: {
        scaStatus: scaStatusOf(payment),
        authorisationId,
        _links: {
          scaOAuth: { href: `${deps.publicUrl}/.well-known/oauth-authorization-server` },
          scaStatus: { href: self },
        },
      },
    };
  };
}

/** GET …/{paymentId}/authorisations. */
export function getPaymentAuthorisationIds(deps: PisHandlerDeps): AisHandler {
  return async (context, _req, res) => {
    const payment = await pathPayment(deps, context, res);
    return { status: 200, body: { authorisationIds: [authorisationIdOf(payment.id)] } };
  };
}

/** GET …/{paymentId}/authorisations/{authorisationId}: another id is answered like an unknown one. */
export function getPaymentAuthorisationScaStatus(deps: PisHandlerDeps): AisHandler {
  return async (context, _req, res) => {
    const payment = await pathPayment(deps, context, res);
    if (param(context, 'authorisationId') !== authorisationIdOf(payment.id)) {
      throw new ResourceUnknown({ text: 'The authorisation is unknown', path: 'authorisationId' }, 403);
    }
    return { status: 200, body: { scaStatus: scaStatusOf(payment) } };
  };
}

/**
 * POST …/{paymentId}/cancellation-authorisations. No cancellation at this bank needs the PSU's
 * authorisation: DELETE cancels at once (RCVD, an order the bank holds) or refuses with 405
 * CANCELLATION_INVALID, so there is never a cancellation awaiting authorisation.
 */
export function startPaymentCancellationAuthorisation(deps: PisHandlerDeps): AisHandler {
  return async (context, _req, res) => {
    const payment = await pathPayment(deps, context, res);
    throw new StatusInvalid({
      text: 'No cancellation of this payment awaits authorisation',
      detail: `status ${payment.status}`,
    });
  };
}

/** GET …/{paymentId}/cancellation-authorisations: always empty (see above). */
export function getPaymentCancellationAuthorisationIds(deps: PisHandlerDeps): AisHandler {
  return async (context, _req, res) => {
    await pathPayment(deps, context, res);
    return { status: 200, body: { authorisationIds: [] } };
  };
}

/** GET …/{paymentId}/cancellation-authorisations/{authorisationId}: none exists. */
export function getPaymentCancellationAuthorisationScaStatus(deps: PisHandlerDeps): AisHandler {
  return async (context, _req, res) => {
    await pathPayment(deps, context, res);
    throw new ResourceUnknown({ text: 'The authorisation is unknown', path: 'authorisationId' }, 403);
  };
}
