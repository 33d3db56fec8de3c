import type { ConsentService } from '../consent/consent_service';
import type { ConsentAuthorisationPort, ConsentForAuthorisation } from '../oauth/consent_port';

const ibans = (refs: readonly { iban: string }[] | undefined): string[] | undefined =>
  refs?.map((r) => r.iban);

/** Lets the OAuth pages read and decide consents without knowing how consents are stored. */
export class ConsentAuthorisationAdapter implements ConsentAuthorisationPort {
  constructor(private readonly consents: ConsentService) {}

  async findForAuthorisation(consentId: string): Promise<ConsentForAuthorisation | undefined> {
    const consent = await this.consents.findById(consentId);
    if (consent === undefined) return undefined;
    const access: ConsentForAuthorisation['access'] = {};
    const accounts = ibans(consent.access.accounts);
    const balances = ibans(consent.access.balances);
    const transactions = ibans(consent.access.transactions);
    if (accounts !== undefined) access.accounts = accounts;
    if (balances !== undefined) access.balances = balances;
    if (transactions !== undefined) access.transactions = transactions;
    if (consent.access.availableAccounts !== undefined)
      access.availableAccounts = consent.access.availableAccounts;
    if (consent.access.allPsd2 !== undefined) access.allPsd2 = consent.access.allPsd2;
    return {
      consentId: consent.id,
      status: consent.status,
      tppOrganizationIdentifier: consent.owner.organizationIdentifier,
      tppName: consent.owner.name,
      tppNcaName: consent.owner.ncaName,
      tppNcaId: consent.owner.ncaId,
      tppCertificateThumbprint: consent.owner.certificateThumbprint,
      tppRedirectUri: consent.tppRedirectUri,
      access,
      validUntil: consent.validUntil,
      frequencyPerDay: consent.frequencyPerDay,
      recurringIndicator: consent.recurringIndicator,
    };
  }

  async approve(consentId: string, psuId: string, grantedIbans: string[]): Promise<void> {
    await this.consents.authorise(consentId, psuId, grantedIbans);
  }

  async reject(consentId: string, psuId: string): Promise<void> {
    await this.consents.reject(consentId, psuId);
  }
}
