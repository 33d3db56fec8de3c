import type { BankCallContext, BankConnector, FundsCheck } from '../bank/bank_connector';
import { toMinorUnits } from '../bank/money';
import { isValidIban } from '../accounts/iban';
import { FormatError, NoPiisActivation } from '../errors/gateway_error';

/**
 * Confirmation of funds (PIIS) under the bank-held consent model of Berlin Group 1.3: the PSU tells the
 * bank, not the TPP, which accounts may be checked, and the bank answers only for those. Chosen over the
 * TPP-created PIIS consent of version 2 because 1.3 defines no consent resource for it, so the TPP has
 * nothing to create and the PSU nothing to authorise per TPP; the permission lives where the account
 * does. An account without the permission and an account that does not exist get one answer, 400
 * NO_PIIS_ACTIVATION, so the endpoint cannot be used to learn whether an IBAN is held here.
 */
export class FundsConfirmation {
  constructor(private readonly bank: Pick<BankConnector, 'confirmFunds'>) {}

  async confirm(check: FundsCheck, context: BankCallContext): Promise<{ fundsAvailable: boolean }> {
    if (!isValidIban(check.account.iban)) {
      throw new FormatError({ text: 'body.account.iban is not a valid IBAN', path: 'body.account.iban' });
    }
    const minor = toMinorUnits(check.instructedAmount.amount);
    if (minor === undefined || minor <= 0n) {
      throw new FormatError({
        text: 'body.instructedAmount.amount must be a positive amount with at most two decimals',
        path: 'body.instructedAmount.amount',
      });
    }
    const answer = await this.bank.confirmFunds(check, context);
    if (!answer.allowed) {
      throw new NoPiisActivation({
        text: 'Funds confirmation is not activated for this account',
        path: 'body.account.iban',
      });
    }
    return { fundsAvailable: answer.fundsAvailable };
  }
}
