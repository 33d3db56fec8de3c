import type { Consent } from '../../src/consent/consent';

/** A consent as the store tests write it: every field set, `received`, Alice's TPP. */
export function sampleConsent(id: string, overrides: Partial<Consent> = {}): Consent {
  return {
    id,
    owner: {
      organizationIdentifier: 'PSDDE-BAFIN-111111',
      name: 'Bank of Alice',
      ncaName: 'BaFin',
      ncaId: 'DE-BAFIN',
      certificateThumbprint: 'thumb-alice',
    },
    tppRedirectUri: 'https://tpp.alice.example/cb',
    status: 'received',
    access: { accounts: [{ iban: 'DE37100200300000123401' }] },
    grant: undefined,
    psuId: undefined,
    recurringIndicator: true,
    validUntil: '2099-12-31',
    frequencyPerDay: 4,
    combinedServiceIndicator: false,
    createdAt: new Date('2026-11-22T10:00:00.000Z'),
    lastActionDate: '2026-11-22',
    ...overrides,
  };
}
