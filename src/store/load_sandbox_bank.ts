import type { Kysely } from 'kysely';
import { hashPsuPassword } from '../accounts/psu_password';
import type { SandboxBank } from '../accounts/sandbox_bank';
import type { Database } from './schema';

const CHUNK = 200;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/**
 * Writes the sandbox bank into an empty store in one transaction. Returns false, changing nothing, when
 * PSUs already exist: the bank's books are loaded once and then belong to the store.
 */
export async function loadSandboxBank(db: Kysely<Database>, bank: SandboxBank): Promise<boolean> {
  const present = await db.selectFrom('psus').select('psu_id').limit(1).executeTakeFirst();
  if (present !== undefined) return false;
  const psuRows = await Promise.all(
    bank.psus.map(async (psu) => ({
      psu_id: psu.psuId,
      display_name: psu.displayName,
      password_hash: await hashPsuPassword(psu.password),
    })),
  );
  try {
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('psus').values(psuRows).execute();
      await trx
        .insertInto('accounts')
        .values(
          bank.accounts.map((a) => ({
            resource_id: a.resourceId,
            psu_id: a.psuId,
            iban: a.iban,
            bic: a.bic,
            currency: a.currency,
            name: a.name,
            owner_name: a.ownerName,
            product: a.product,
            cash_account_type: a.cashAccountType,
            credit_limit: a.creditLimit,
          })),
        )
        .execute();
      const permissions = bank.accounts.flatMap((a) =>
        a.fundsConfirmation.map((tpp) => ({ iban: a.iban, tpp_organization_identifier: tpp })),
      );
      if (permissions.length > 0)
        await trx.insertInto('sandbox_funds_permissions').values(permissions).execute();
      for (const [resourceId, balances] of bank.balances) {
        await trx
          .insertInto('balances')
          .values(
            balances.map((b) => ({
              resource_id: resourceId,
              balance_type: b.balanceType,
              amount: b.balanceAmount.amount,
              currency: b.balanceAmount.currency,
              reference_date: b.referenceDate ?? null,
              last_change_date_time: b.lastChangeDateTime ?? null,
              credit_limit_included:
                b.creditLimitIncluded === undefined ? null : b.creditLimitIncluded ? 1 : 0,
            })),
          )
          .execute();
      }
      for (const [resourceId, transactions] of bank.transactions) {
        for (const chunk of chunks(transactions)) {
          await trx
            .insertInto('transactions')
            .values(
              chunk.map((t) => ({
                transaction_id: t.transactionId,
                resource_id: resourceId,
                booking_status: t.bookingStatus,
                booking_date: t.bookingDate ?? null,
                value_date: t.valueDate,
                amount: t.transactionAmount.amount,
                currency: t.transactionAmount.currency,
                creditor_name: t.creditorName ?? null,
                creditor_iban: t.creditorAccount?.iban ?? null,
                debtor_name: t.debtorName ?? null,
                debtor_iban: t.debtorAccount?.iban ?? null,
                remittance_information: t.remittanceInformationUnstructured,
                end_to_end_id: t.endToEndId ?? null,
              })),
            )
            .execute();
        }
      }
    });
  } catch (error) {
    // Another gateway instance sharing the database may have loaded it first.
    const loaded = await db.selectFrom('psus').select('psu_id').limit(1).executeTakeFirst();
    if (loaded !== undefined) return false;
    throw error;
  }
  return true;
}
