import type { Consent } from '../consent/consent';
import type { ConsentService } from '../consent/consent_service';
import { GatewayError } from '../errors/gateway_error';
import type { PsuConsentPort, PsuConsentSummary } from '../psu/consent_dashboard';

/** The consent store as the PSU's dashboard sees it: consents the PSU decided, newest first. */
export class PsuConsentAdapter implements PsuConsentPort {
  constructor(private readonly consents: ConsentService) {}

  async consentsOfPsu(psuId: string): Promise<PsuConsentSummary[]> {
    const all = await this.consents.list({ psuId });
    // Refused requests were never consents the PSU gave.
    const given = all.filter((c) => c.status !== 'rejected' && c.status !== 'received').reverse();
    return Promise.all(given.map(async (c) => this.summary(c, await this.consents.lastUsedDay(c.id))));
  }

  async withdraw(consentId: string, psuId: string): Promise<boolean> {
    try {
      await this.consents.revokeByPsu(consentId, psuId);
      return true;
    } catch (error) {
      // Not the PSU's, or no longer valid: nothing to withdraw.
      if (error instanceof GatewayError) return false;
      throw error;
    }
  }

  private summary(c: Consent, lastUsedDay: string | undefined): PsuConsentSummary {
    const grant = c.grant;
    const ibans =
      grant === undefined ? [] : [...new Set([...grant.accounts, ...grant.balances, ...grant.transactions])];
    return {
      consentId: c.id,
      status: c.status,
      tppName: c.owner.name,
      tppOrganizationIdentifier: c.owner.organizationIdentifier,
      tppNcaName: c.owner.ncaName,
      accounts: ibans.map((iban) => ({
        iban,
        balances: grant?.balances.includes(iban) ?? false,
        transactions: grant?.transactions.includes(iban) ?? false,
      })),
      listOnly: grant?.listOnly ?? false,
      validUntil: c.validUntil,
      frequencyPerDay: c.frequencyPerDay,
      recurringIndicator: c.recurringIndicator,
      lastUsedDay,
      givenOn: c.createdAt.toISOString().slice(0, 10),
    };
  }
}
