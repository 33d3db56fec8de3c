import type { Kysely, Selectable } from 'kysely';
import type {
  Account,
  AccountService,
  Balance,
  BalanceType,
  Psu,
  Transaction,
  TransactionPage,
  TransactionQuery,
} from '../accounts/account_service';
import { UNUSABLE_PASSWORD_HASH, verifyPsuPassword } from '../accounts/psu_password';
import { PreparedQuery, type ParamSlot } from './prepared_query';
import type { AccountsTable, BalancesTable, Database, TransactionsTable } from './schema';

function toAccount(row: Selectable<AccountsTable>): Account {
  return {
    resourceId: row.resource_id,
    iban: row.iban,
    bic: row.bic,
    currency: row.currency,
    name: row.name,
    ownerName: row.owner_name,
    product: row.product,
    cashAccountType: row.cash_account_type,
    psuId: row.psu_id,
  };
}

function toTransaction(row: Selectable<TransactionsTable>): Transaction {
  const transaction: Transaction = {
    transactionId: row.transaction_id,
    bookingStatus: row.booking_status === 'pending' ? 'pending' : 'booked',
    valueDate: row.value_date,
    transactionAmount: { currency: row.currency, amount: row.amount },
    remittanceInformationUnstructured: row.remittance_information,
  };
  if (row.booking_date !== null) transaction.bookingDate = row.booking_date;
  if (row.creditor_name !== null) transaction.creditorName = row.creditor_name;
  if (row.creditor_iban !== null) transaction.creditorAccount = { iban: row.creditor_iban };
  if (row.debtor_name !== null) transaction.debtorName = row.debtor_name;
  if (row.debtor_iban !== null) transaction.debtorAccount = { iban: row.debtor_iban };
  if (row.end_to_end_id !== null) transaction.endToEndId = row.end_to_end_id;
  return transaction;
}

/** The sandbox bank's books, kept in the gateway's own store. */
export class KyselyAccountService implements AccountService {
  // Run on every account read: compiled once.
  private readonly accountQuery: PreparedQuery<Database, { resourceId: string }, Selectable<AccountsTable>>;
  private readonly balancesQuery: PreparedQuery<Database, { resourceId: string }, Selectable<BalancesTable>>;

  constructor(private readonly db: Kysely<Database>) {
    this.accountQuery = new PreparedQuery(db, (q, p: ParamSlot<{ resourceId: string }>) =>
      q.selectFrom('accounts').selectAll().where('resource_id', '=', p('resourceId')),
    );
    this.balancesQuery = new PreparedQuery(db, (q, p: ParamSlot<{ resourceId: string }>) =>
      q.selectFrom('balances').selectAll().where('resource_id', '=', p('resourceId')).orderBy('balance_type'),
    );
  }

  async accountsByIban(ibans: readonly string[]): Promise<Account[]> {
    if (ibans.length === 0) return [];
    const rows = await this.db
      .selectFrom('accounts')
      .selectAll()
      .where('iban', 'in', [...ibans])
      .orderBy('iban')
      .execute();
    return rows.map(toAccount);
  }

  async accountByResourceId(resourceId: string): Promise<Account | undefined> {
    const row = await this.accountQuery.executeTakeFirst({ resourceId });
    return row === undefined ? undefined : toAccount(row);
  }

  async balances(resourceId: string): Promise<Balance[]> {
    const rows = await this.balancesQuery.execute({ resourceId });
    return rows.map((row) => {
      const balance: Balance = {
        balanceType: row.balance_type as BalanceType,
        balanceAmount: { currency: row.currency, amount: row.amount },
      };
      if (row.credit_limit_included !== null)
        balance.creditLimitIncluded = Number(row.credit_limit_included) === 1;
      if (row.reference_date !== null) balance.referenceDate = row.reference_date;
      if (row.last_change_date_time !== null) balance.lastChangeDateTime = row.last_change_date_time;
      return balance;
    });
  }

  async transactions(resourceId: string, query: TransactionQuery): Promise<TransactionPage> {
    let base = this.db
      .selectFrom('transactions')
      .where('resource_id', '=', resourceId)
      .where('value_date', '>=', query.dateFrom)
      .where('value_date', '<=', query.dateTo);
    if (query.bookingStatus !== 'both') base = base.where('booking_status', '=', query.bookingStatus);
    const [countRow, rows] = await Promise.all([
      base.select((eb) => eb.fn.countAll<string | number>().as('total')).executeTakeFirst(),
      base
        .selectAll()
        .orderBy('value_date', 'desc')
        .orderBy('transaction_id', 'desc')
        .limit(query.limit)
        .offset(query.offset)
        .execute(),
    ]);
    return { transactions: rows.map(toTransaction), total: Number(countRow?.total ?? 0) };
  }

  async authenticatePsu(username: string, password: string): Promise<Psu | undefined> {
    const row = await this.db
      .selectFrom('psus')
      .selectAll()
      .where('psu_id', '=', username)
      .executeTakeFirst();
    // Unknown users still pay for one scrypt run, so timing does not reveal which usernames exist.
    const ok = await verifyPsuPassword(password, row?.password_hash ?? UNUSABLE_PASSWORD_HASH);
    return ok && row !== undefined ? { psuId: row.psu_id, displayName: row.display_name } : undefined;
  }

  async findPsu(psuId: string): Promise<Psu | undefined> {
    const row = await this.db.selectFrom('psus').selectAll().where('psu_id', '=', psuId).executeTakeFirst();
    return row === undefined ? undefined : { psuId: row.psu_id, displayName: row.display_name };
  }

  async accountsOfPsu(psuId: string): Promise<Account[]> {
    const rows = await this.db
      .selectFrom('accounts')
      .selectAll()
      .where('psu_id', '=', psuId)
      .orderBy('iban')
      .execute();
    return rows.map(toAccount);
  }
}
