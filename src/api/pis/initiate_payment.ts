import { FormatError } from '../../errors/gateway_error';
import type { PaymentInitiationBody } from '../../payment/payment';
import { offeredProduct } from '../../payment/payment_product';
import type { AisHandler } from '../ais/ais_handler';
import { header, param } from '../ais/ais_handler';
import { requireTppIdentity } from '../request_context';
import { paymentPath, serviceOf, type PisHandlerDeps } from './pis_handler';

/**
 * POST /v1/payments/{payment-product} and /v1/periodic-payments/{payment-product}. The product was checked
 * before the body, and the body has passed the schema; the rest is PaymentInitiation's.
 */
export function initiatePayment(deps: PisHandlerDeps): AisHandler {
  return async (context, _req, res) => {
    const tpp = requireTppIdentity(res);
    const service = serviceOf(context);
    const product = offeredProduct(service, param(context, 'payment-product'));
    const requestId = header(context, 'X-Request-ID');
    if (requestId === undefined)
      throw new FormatError({ text: 'X-Request-ID is required', path: 'header.X-Request-ID' });
    const redirect = header(context, 'TPP-Redirect-URI');
    // Optional for payments (the PSU may be sent back by other means), checked like a consent's when sent.
    const checked =
      redirect === undefined
        ? undefined
        : await deps.redirectUriPolicy.check(redirect, tpp, {
            dnsNames: deps.tppDnsNames?.(res),
            commonName: tpp.commonName,
          });
    const warning = checked?.warning;
    const { payment, response } = await deps.initiation.initiate({
      service,
      product,
      owner: {
        organizationIdentifier: tpp.organizationIdentifier,
        name: tpp.name,
        ncaName: tpp.ncaName,
        ncaId: tpp.ncaId,
        certificateThumbprint: tpp.thumbprintS256,
      },
      requestId: requestId.toLowerCase(),
      body: context.request.requestBody as PaymentInitiationBody,
      tppRedirectUri: checked?.uri,
      respond: (paymentId) => {
        const self = paymentPath({ id: paymentId, service, product });
        return {
          transactionStatus: 'RCVD',
          paymentId,
          _links: {
            self: { href: self },
            status: { href: `${self}/status` },
            scaOAuth: { href: `${deps.publicUrl}/.well-known/oauth-authorization-server` },
          },
          // Part of the stored response, so a replayed initiation repeats the warning.
          ...(warning !== undefined
            ? {
                tppMessages: [
                  {
                    category: 'WARNING',
                    code: 'FORMAT_ERROR',
                    path: 'header.TPP-Redirect-URI',
                    text: warning,
                  },
                ],
              }
            : {}),
        };
      },
    });
    return {
      status: 201,
      headers: { Location: `${deps.publicUrl}${paymentPath(payment)}`, 'ASPSP-SCA-Approach': 'OAUTH' },
      body: response,
    };
  };
}
