import { randomUUID } from 'node:crypto';
import type { FundsCheck } from '../../bank/bank_connector';
import type { FundsConfirmation } from '../../funds/funds_confirmation';
import type { AisHandler } from '../ais/ais_handler';
import { header } from '../ais/ais_handler';
import { getRequestId, requireTppIdentity } from '../request_context';

/** POST /v1/funds-confirmations (role PSP_IC, checked by the router). */
export function checkAvailabilityOfFunds(funds: FundsConfirmation): AisHandler {
  return async (context, _req, res) => {
    const answer = await funds.confirm(context.request.requestBody as FundsCheck, {
      requestId: header(context, 'X-Request-ID') ?? getRequestId(res) ?? randomUUID(),
      tppOrganizationIdentifier: requireTppIdentity(res).organizationIdentifier,
    });
    return { status: 200, body: answer };
  };
}
