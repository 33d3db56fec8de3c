import type { AuthorisationSubject } from '../sca/authorisation_subject';
import type { Lang } from './page_text';

/**
 * What the PSU authorises with the final factor, as the sign-in step shows it (dynamic linking, PSD2 RTS
 * Art. 5): for a payment its amount and payee, shown before the one-time code is asked for. The sandbox
 * code is bound to exactly these (SandboxOneTimeCodes.codeFor / verify with the same subject); with the
 * bank's identity provider they travel as RFC 9396 authorization_details (IdpSignIn.start). The payments
 * pages build it from the payment with `authorisationView` and pass it to `signInForm`.
 */
export interface PaymentAuthorisationView {
  /** Decimal string with a dot, as Berlin Group transmits it. */
  amount: string;
  currency: string;
  creditorName: string;
  creditorIban: string;
}

/** The view of a subject that has something to show; consents and the dashboard have not. */
export function authorisationView(subject: AuthorisationSubject): PaymentAuthorisationView | undefined {
  if (subject.kind !== 'payment') return undefined;
  return {
    amount: subject.amount,
    currency: subject.currency,
    creditorName: subject.creditorName,
    creditorIban: subject.creditorIban.replace(/\s+/g, ''),
  };
}

/**
 * The amount as the PSU reads it in the page's language (`1.234,50 €`, `€1,234.50`). Grouped from the
 * decimal string itself: a binary float would round large or long amounts.
 */
export function formattedAmount(lang: Lang, amount: string, currency: string): string {
  const match = /^(\d+)(?:\.(\d+))?$/.exec(amount.trim());
  if (match === null) return `${amount} ${currency}`;
  const [group, decimal] = lang === 'de' ? ['.', ','] : [',', '.'];
  const whole = (match[1] ?? '0').replace(/\B(?=(\d{3})+(?!\d))/g, group);
  const fraction = (match[2] ?? '').padEnd(2, '0');
  return `${whole}${decimal}${fraction} ${currency.toUpperCase()}`;
}
