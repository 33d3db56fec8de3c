/**
 * Everything the suite assumes about the deployment's API surface, in one place. The suite is
 * black-box: when a deployment uses another path, scope syntax or form field name, this table is what
 * changes, not the cases.
 */
export interface GatewayContract {
  consentsPath: string;
  accountsPath: string;
  metadataPath: string;
  /** Used when the metadata document lacks the endpoint. */
  authorizePath: string;
  tokenPath: string;
  revokePath: string;
  /** Where the PSU's browser is sent back; also sent as TPP-Redirect-URI when creating a consent. */
  redirectUri: string;
  /** Berlin Group OAuth SCA: the consent is named in the scope. */
  scopeFor(consentId: string): string;
  /** The request that a client-certificate case sends: it only needs to reach the trust decision. */
  trustProbe: { method: string; path: string };
  psuForm: {
    username: string;
    password: string;
    /** The second factor's field; filled when the page has it and the suite knows a TOTP seed. */
    oneTimeCode: string;
    decision: string;
    approve: string;
    deny: string;
  };
  /** Body of POST /v1/consents. */
  consentBody(params: { frequencyPerDay: number }): Record<string, unknown>;
  /** Upper bound on same-origin redirects followed while acting as the PSU. */
  maxPsuSteps: number;
  /** PIS: where single SEPA credit transfers are initiated. */
  paymentsPath: string;
  /** PIS: the payment is named in the scope, as a consent is. */
  paymentScopeFor(paymentId: string): string;
  /** Body of a payment initiation; the debtor account must be the PSU's (the suite acts as that PSU). */
  paymentBody(params: { amount: string }): Record<string, unknown>;
  /** PIIS. */
  fundsConfirmationsPath: string;
}

function isoDate(daysAhead: number): string {
  return new Date(Date.now() + daysAhead * 86_400_000).toISOString().slice(0, 10);
}

export const DEFAULT_CONTRACT: GatewayContract = {
  consentsPath: '/v1/consents',
  accountsPath: '/v1/accounts',
  metadataPath: '/.well-known/oauth-authorization-server',
  authorizePath: '/oauth2/authorize',
  tokenPath: '/oauth2/token',
  revokePath: '/oauth2/revoke',
  redirectUri: 'https://tpp.example/callback',
  scopeFor: (consentId) => `AIS:${consentId}`,
  trustProbe: { method: 'GET', path: '/v1/accounts' },
  psuForm: {
    username: 'username',
    password: 'password',
    oneTimeCode: 'otp',
    decision: 'decision',
    approve: 'approve',
    deny: 'deny',
  },
  consentBody: ({ frequencyPerDay }) => ({
    access: { allPsd2: 'allAccounts' },
    recurringIndicator: true,
    validUntil: isoDate(30),
    frequencyPerDay,
    combinedServiceIndicator: false,
  }),
  maxPsuSteps: 6,
  paymentsPath: '/v1/payments/sepa-credit-transfers',
  paymentScopeFor: (paymentId) => `PIS:${paymentId}`,
  paymentBody: ({ amount }) => ({
    // The sandbox's published current account of its first PSU (fixtures/sandbox_bank.json).
    debtorAccount: { iban: 'DE37100200300000123401' },
    instructedAmount: { currency: 'EUR', amount },
    creditorAccount: { iban: 'DE89370400440532013000' },
    creditorName: 'Conformance Creditor',
    remittanceInformationUnstructured: 'conformance suite',
  }),
  fundsConfirmationsPath: '/v1/funds-confirmations',
};

/**
 * A deployment may insist that redirect URIs point at a host the TPP's certificate names (ours does), so
 * the suite sends the PSU back to the first dNSName of the identity that creates consents.
 */
export function contractForTpp(contract: GatewayContract, tppDnsNames: readonly string[]): GatewayContract {
  const host = tppDnsNames.find((name) => !name.startsWith('*.'));
  return host === undefined ? contract : { ...contract, redirectUri: `https://${host}/callback` };
}
