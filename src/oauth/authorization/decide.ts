import type { OAuthContext } from '../oauth_context';
import { AuthorizationPageError } from '../oauth_error';
import { consentReview, namedIbans, type ConsentReview } from './consent_review';
import type { PaymentApprovalView } from '../payment_approval_view';
import { decidePayment } from './decide_payment';
import { assertTppAdmitted } from './check_tpp_admitted';
import { paymentIdOf } from './payment_subject';
import { claimSession, issueCode, loadConsent, loadSession } from './psu_session';

export interface DecideParams {
  sessionId: string | undefined;
  csrfToken: string | undefined;
  decision: string | undefined;
  accounts: string[];
  /** The payment page's dynamic link (see payment_approval_view.ts); ignored for consents. */
  dynamicLink?: string | undefined;
}

export type DecisionResult =
  | { kind: 'redirect'; location: string }
  | { kind: 'consent'; review: ConsentReview }
  | { kind: 'payment'; view: PaymentApprovalView };

/**
 * `POST /oauth2/authorize` with the decision. Order: session and CSRF, signed in, a payment's decision
 * to decide_payment.ts, else a known decision, consent still awaiting it and its TPP not blocked;
 * deny → rejected; approve → only the PSU's own accounts, at least one, the TPP still not blocked, then
 * the session is claimed (once), the consent approved and a code issued to the redirect target.
 */
export async function decide(ctx: OAuthContext, params: DecideParams): Promise<DecisionResult> {
  const session = await loadSession(ctx, params.sessionId, params.csrfToken);
  const psuId = session.psuId;
  if (psuId === null) {
    throw new AuthorizationPageError(403, 'Please sign in first.', 'decision before sign-in');
  }
  const paymentId = paymentIdOf(session.consentId);
  if (paymentId !== undefined) {
    return decidePayment(ctx, session, psuId, paymentId, {
      decision: params.decision,
      accounts: params.accounts,
      dynamicLink: params.dynamicLink,
    });
  }
  if (params.decision !== 'approve' && params.decision !== 'deny') {
    throw new AuthorizationPageError(400, 'Choose whether to allow or deny access.');
  }
  const consent = await loadConsent(ctx, session);
  const redirect = new URL(session.redirectUri);

  if (params.decision === 'deny') {
    await claimSession(ctx, session);
    await ctx.consents.reject(consent.consentId, psuId);
    ctx.logger?.info({ event: 'oauth.consent_denied', consentId: consent.consentId });
    redirect.searchParams.set('error', 'access_denied');
    redirect.searchParams.set('error_description', 'The PSU refused the consent');
    redirect.searchParams.set('state', session.state);
    redirect.searchParams.set('iss', ctx.issuer);
    return { kind: 'redirect', location: redirect.toString() };
  }

  const ownAccounts = await ctx.psus.accountsOf(psuId, consent);
  const own = new Set(ownAccounts.map((a) => a.iban));
  const named = namedIbans(consent);
  let granted: string[];
  if (named.length > 0) {
    // The PSU cannot approve a consent that names someone else's account; the page offered only "deny".
    if (named.some((iban) => !own.has(iban))) {
      throw new AuthorizationPageError(
        403,
        'This request names accounts that are not yours, so it cannot be approved.',
        'approve attempted on a consent naming foreign IBANs',
      );
    }
    granted = named;
  } else {
    const picked = [...new Set(params.accounts)];
    if (picked.some((iban) => !own.has(iban))) {
      throw new AuthorizationPageError(400, 'You can only share your own accounts.', 'foreign IBAN posted');
    }
    if (picked.length === 0) {
      const psu = { psuId, name: session.psuName ?? '' };
      return {
        kind: 'consent',
        review: { ...(await consentReview(ctx, session, consent, psu, [])), error: 'noAccountSelected' },
      };
    }
    granted = picked;
  }

  // The bank was asked for the PSU's accounts since the consent was loaded: the stop list is asked again.
  await assertTppAdmitted(ctx, { consent });
  await claimSession(ctx, session);
  await ctx.consents.approve(consent.consentId, psuId, granted);
  const issued = await issueCode(ctx, session, consent.consentId, psuId);
  ctx.logger?.info({ event: 'oauth.consent_approved', consentId: consent.consentId });
  return issued;
}
