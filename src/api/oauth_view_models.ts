import type { SignInPrompt, ConsentReview } from '../oauth/authorization/consent_review';
import { namedIbans } from '../oauth/authorization/consent_review';
import type { RequestingTpp } from '../oauth/authorization/authorisation_target';
import type { PsuAccount } from '../oauth/consent_port';
import { authorisationView, type PaymentAuthorisationView } from './authorisation_view';

/**
 * View models of the PSU's pages, built from what the authorisation steps return. The pages
 * (oauth_pages.ts) render them and nothing else.
 */

/** Who is asking, as recorded on the consent from the TPP's QWAC. */
export interface TppView {
  name: string;
  organizationIdentifier: string;
  ncaName: string;
  ncaId: string;
}

export interface SignInView {
  csrfToken: string;
  tpp: TppView;
  /** False: no password form, the page says the bank's identity provider is required. */
  passwordSignIn: boolean;
  /** A payment's amount and payee, shown before the one-time code bound to them. */
  authorising?: PaymentAuthorisationView;
  error?: 'credentials' | 'locked';
  retryAfterMinutes?: number;
}

export interface NamedAccountView {
  iban: string;
  /** Undefined when the account is not the PSU's. */
  account: PsuAccount | undefined;
  details: boolean;
  balances: boolean;
  transactions: boolean;
}

export type ConsentAccessView =
  /** The consent names IBANs, all of them the PSU's. */
  | { kind: 'named'; accounts: NamedAccountView[] }
  /** The consent names IBANs that are not the PSU's: the PSU can only refuse. */
  | { kind: 'notYours'; ibans: string[] }
  /** availableAccounts / allPsd2 / bank-offered: the PSU picks. */
  | {
      kind: 'choose';
      scope: 'availableAccounts' | 'allPsd2' | 'bankOffered';
      accounts: PsuAccount[];
      selected: string[];
    };

export interface ConsentView {
  csrfToken: string;
  tpp: TppView;
  psuName: string;
  /** Where the decision will send the browser; the page's CSP must allow it as a form target. */
  redirectUri: string;
  access: ConsentAccessView;
  validUntil: string;
  frequencyPerDay: number;
  recurringIndicator: boolean;
  error?: 'noAccountSelected';
}

export function tppView(consent: RequestingTpp): TppView {
  return {
    name: consent.tppName,
    organizationIdentifier: consent.tppOrganizationIdentifier,
    ncaName: consent.tppNcaName,
    ncaId: consent.tppNcaId,
  };
}

export function signInView(prompt: SignInPrompt): SignInView {
  const authorising = authorisationView(prompt.subject);
  return {
    csrfToken: prompt.csrfToken,
    tpp: tppView(prompt.requester),
    passwordSignIn: prompt.passwordSignIn,
    ...(authorising !== undefined ? { authorising } : {}),
    ...(prompt.error !== undefined ? { error: prompt.error } : {}),
    ...(prompt.retryAfterMinutes !== undefined ? { retryAfterMinutes: prompt.retryAfterMinutes } : {}),
  };
}

function accessView(review: ConsentReview): ConsentAccessView {
  const { consent, accounts } = review;
  const byIban = new Map(accounts.map((a) => [a.iban, a]));
  const named = namedIbans(consent);
  if (named.length === 0) {
    return {
      kind: 'choose',
      scope:
        consent.access.allPsd2 !== undefined
          ? 'allPsd2'
          : consent.access.availableAccounts !== undefined
            ? 'availableAccounts'
            : 'bankOffered',
      accounts,
      selected: review.selected,
    };
  }
  if (named.some((iban) => !byIban.has(iban))) {
    return { kind: 'notYours', ibans: named.filter((iban) => !byIban.has(iban)) };
  }
  const has = (list: string[] | undefined, iban: string): boolean => list?.includes(iban) ?? false;
  return {
    kind: 'named',
    accounts: named.map((iban) => ({
      iban,
      account: byIban.get(iban),
      details: true,
      balances: has(consent.access.balances, iban),
      transactions: has(consent.access.transactions, iban),
    })),
  };
}

export function consentView(review: ConsentReview): ConsentView {
  return {
    csrfToken: review.csrfToken,
    tpp: tppView(review.consent),
    psuName: review.psuName,
    redirectUri: review.redirectUri,
    access: accessView(review),
    validUntil: review.consent.validUntil,
    frequencyPerDay: review.consent.frequencyPerDay,
    recurringIndicator: review.consent.recurringIndicator,
    ...(review.error !== undefined ? { error: review.error } : {}),
  };
}
