import { randomUUID } from 'node:crypto';
import type { BankConnector, SandboxPsuSignIn } from '../bank/bank_connector';
import type { ConsentForAuthorisation, Psu, PsuAccount, PsuDirectory } from '../oauth/consent_port';

/**
 * The bank's customers as the OAuth sign-in page sees them. Passwords exist only in the embedded sandbox;
 * without `signIn` nobody signs in with a password.
 */
export class PsuDirectoryAdapter implements PsuDirectory {
  readonly passwordSignIn: boolean;

  constructor(
    private readonly bank: Pick<BankConnector, 'accountsOfPsu'>,
    private readonly signIn: SandboxPsuSignIn | undefined,
  ) {
    this.passwordSignIn = signIn !== undefined;
  }

  async authenticate(username: string, password: string): Promise<Psu | undefined> {
    const psu = await this.signIn?.authenticatePsu(username, password);
    return psu === undefined ? undefined : { psuId: psu.psuId, name: psu.displayName };
  }

  async accountsOf(psuId: string, consent: ConsentForAuthorisation): Promise<PsuAccount[]> {
    const accounts = await this.bank.accountsOfPsu(psuId, {
      requestId: randomUUID(),
      tppOrganizationIdentifier: consent.tppOrganizationIdentifier,
      consentId: consent.consentId,
    });
    return accounts.map((a) => ({ iban: a.iban, currency: a.currency, name: a.name }));
  }
}
