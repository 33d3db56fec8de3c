import type { AccountService } from '../accounts/account_service';
import type { Psu, PsuAccount, PsuDirectory } from '../oauth/consent_port';

/** The bank's customers as the OAuth sign-in page sees them. */
export class PsuDirectoryAdapter implements PsuDirectory {
  constructor(private readonly accounts: AccountService) {}

  async authenticate(username: string, password: string): Promise<Psu | undefined> {
    const psu = await this.accounts.authenticatePsu(username, password);
    return psu === undefined ? undefined : { psuId: psu.psuId, name: psu.displayName };
  }

  async accountsOf(psuId: string): Promise<PsuAccount[]> {
    const accounts = await this.accounts.accountsOfPsu(psuId);
    return accounts.map((a) => ({ iban: a.iban, currency: a.currency, name: a.name }));
  }
}
