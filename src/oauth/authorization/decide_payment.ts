import type { OAuthContext } from '../oauth_context';
import { AuthorizationPageError } from '../oauth_error';
import type { PsuSession } from '../oauth_repository';
import { dynamicLinkOf, paymentApprovalView, type PaymentApprovalView } from '../payment_approval_view';
import type { PaymentForAuthorisation } from '../payment_port';
import { secretToken } from '../secret_token';
import { assertTppAdmitted } from './check_tpp_admitted';
import { loadPayment, paymentPort } from './payment_subject';
import { claimSession, issueCode } from './psu_session';

/** What the payment page needs once the PSU has signed in. */
export async function paymentReview(
  ctx: OAuthContext,
  session: PsuSession,
  payment: PaymentForAuthorisation,
  psu: { psuId: string; name: string },
  error?: 'noAccountSelected',
): Promise<PaymentApprovalView> {
  return paymentApprovalView({
    csrfToken: session.csrfToken,
    redirectUri: session.redirectUri,
    psuName: psu.name,
    payment,
    accounts: await paymentPort(ctx).debtorAccountsOf(psu.psuId, payment),
    ...(error !== undefined ? { error } : {}),
  });
}

export interface PaymentDecision {
  decision: string | undefined;
  accounts: string[];
  /** The payment page's dynamic link (see payment_approval_view.ts). */
  dynamicLink: string | undefined;
}

/**
 * `POST /oauth2/authorize` with the decision on a payment (the session and sign-in were checked by
 * decide.ts). Order: a known decision, the payment still awaiting it and its TPP not blocked; deny → RJCT;
 * approve → the page's dynamic link still matches amount and payee, the debtor account is the PSU's (named
 * by the TPP, or exactly one chosen), the TPP still not blocked, then the session is claimed (once), the
 * payment approved and a code issued.
 */
export async function decidePayment(
  ctx: OAuthContext,
  session: PsuSession,
  psuId: string,
  paymentId: string,
  params: PaymentDecision,
): Promise<{ kind: 'redirect'; location: string } | { kind: 'payment'; view: PaymentApprovalView }> {
  if (params.decision !== 'approve' && params.decision !== 'deny') {
    throw new AuthorizationPageError(400, 'Choose whether to approve or deny the payment.');
  }
  const payments = paymentPort(ctx);
  const payment = await loadPayment(ctx, session, paymentId);
  const redirect = new URL(session.redirectUri);
  const notAwaiting = new AuthorizationPageError(
    400,
    'This payment has already been answered or cancelled, so it cannot be authorised again.',
    `payment ${paymentId} no longer RCVD`,
  );

  if (params.decision === 'deny') {
    await claimSession(ctx, session);
    if ((await payments.reject(paymentId, psuId)) === 'notAwaiting') throw notAwaiting;
    ctx.logger?.info({ event: 'oauth.payment_denied', paymentId });
    redirect.searchParams.set('error', 'access_denied');
    redirect.searchParams.set('error_description', 'The PSU refused the payment');
    redirect.searchParams.set('state', session.state);
    redirect.searchParams.set('iss', ctx.issuer);
    return { kind: 'redirect', location: redirect.toString() };
  }

  if (params.dynamicLink === undefined || !secretToken.equals(params.dynamicLink, dynamicLinkOf(payment))) {
    throw new AuthorizationPageError(
      400,
      'The payment shown to you does not match the payment to be made. Nothing was paid. Return to the app you came from and start again.',
      'dynamic link missing or different',
    );
  }
  const accounts = await payments.debtorAccountsOf(psuId, payment);
  let debtorIban: string;
  if (payment.debtorIban !== undefined) {
    if (!accounts.some((a) => a.iban === payment.debtorIban)) {
      throw new AuthorizationPageError(
        403,
        'This payment would be made from an account that is not yours, so it cannot be approved.',
        'approve attempted on a payment naming a foreign debtor account',
      );
    }
    debtorIban = payment.debtorIban;
  } else {
    const picked = [...new Set(params.accounts)];
    const [chosen] = picked;
    if (chosen === undefined) {
      const psu = { psuId, name: session.psuName ?? '' };
      return { kind: 'payment', view: await paymentReview(ctx, session, payment, psu, 'noAccountSelected') };
    }
    if (picked.length > 1 || !accounts.some((a) => a.iban === chosen)) {
      throw new AuthorizationPageError(
        400,
        'Choose one of your own accounts.',
        'foreign or several IBANs posted',
      );
    }
    debtorIban = chosen;
  }

  // Approval executes the payment: the stop list is asked again after the bank call above.
  await assertTppAdmitted(ctx, { payment });
  await claimSession(ctx, session);
  if ((await payments.approve(paymentId, psuId, debtorIban)) === 'notAwaiting') throw notAwaiting;
  const issued = await issueCode(ctx, session, session.consentId, psuId);
  ctx.logger?.info({ event: 'oauth.payment_approved', paymentId });
  return issued;
}
