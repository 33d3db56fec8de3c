import { createHash } from 'node:crypto';

/**
 * What the PSU is authorising, carried through the authentication step so the factor can be bound to it
 * (PSD2 RTS Art. 5, dynamic linking). For a payment the PSU sees amount and payee before the final factor,
 * and the sandbox code is valid for exactly that payment, amount and payee; changing any invalidates it.
 */
export type AuthorisationSubject =
  | { kind: 'consent'; consentId: string }
  /** The PSU's own overview of their consents (/psu/consents), to see and withdraw them. */
  | { kind: 'consentDashboard' }
  | {
      kind: 'payment';
      paymentId: string;
      /** Decimal string with a dot, as Berlin Group transmits it. */
      amount: string;
      currency: string;
      creditorName: string;
      creditorIban: string;
    };

/** Amounts that differ only in notation (`12.5`, `12.50`) are the same amount. */
function canonicalAmount(amount: string): string {
  const match = /^(\d+)(?:\.(\d{1,5}))?$/.exec(amount.trim());
  if (match === null) throw new RangeError(`not an amount: ${amount}`);
  const whole = String(BigInt(match[1] ?? '0'));
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  return fraction === '' ? whole : `${whole}.${fraction}`;
}

/**
 * The bytes a linked code is computed over, or undefined for the plain factor (the dashboard, which
 * authorises nothing for a TPP). A payment's code binds its id and what the PSU saw, amount and payee
 * (dynamic linking), so a code shown for one payment authorises no other, not even an identical second
 * one; a consent's code binds the consent's id, so a code given for one consent signs in for no other.
 */
export function dynamicLinkingMessage(subject: AuthorisationSubject): Buffer | undefined {
  if (subject.kind === 'consentDashboard') return undefined;
  const canonical =
    subject.kind === 'consent'
      ? ['consent', subject.consentId]
      : [
          'payment',
          subject.paymentId,
          canonicalAmount(subject.amount),
          subject.currency.toUpperCase(),
          subject.creditorIban.replace(/\s+/g, '').toUpperCase(),
          subject.creditorName.trim(),
        ];
  return createHash('sha256').update(canonical.join('\n'), 'utf8').digest();
}

/**
 * RFC 9396 `authorization_details` for a bank's identity provider, so its own authentication step can show
 * and bind the same facts. The `type` values are ours; an IdP that does not support RFC 9396 ignores them.
 */
export function authorizationDetails(subject: AuthorisationSubject): Record<string, unknown>[] {
  if (subject.kind === 'consent') {
    return [{ type: 'psd2_account_information', consentId: subject.consentId }];
  }
  if (subject.kind === 'consentDashboard') return [{ type: 'psd2_consent_management' }];
  return [
    {
      type: 'psd2_payment_initiation',
      paymentId: subject.paymentId,
      instructedAmount: { currency: subject.currency, amount: subject.amount },
      creditorName: subject.creditorName,
      creditorAccount: { iban: subject.creditorIban },
    },
  ];
}
