import { createHash } from 'node:crypto';
import { sql, type Kysely, type Selectable, type Transaction as KyselyTransaction } from 'kysely';
import { UNUSABLE_PASSWORD_HASH, verifyPsuPassword } from '../accounts/psu_password';
import { directStatementsOf, PreparedQuery, type ParamSlot } from '../store/prepared_query';
import { TurnBatch } from '../store/turn_batch';
import type {
  AccountsTable,
  BalancesTable,
  Database,
  SandboxPaymentsTable,
  TransactionsTable,
} from '../store/schema';
import type {
  Account,
  Balance,
  BalanceType,
  BankCallContext,
  BankConnector,
  BankPaymentStatus,
  FundsCheck,
  FundsConfirmation,
  PaymentExecution,
  PaymentOrder,
  Psu,
  SandboxPsuSignIn,
  Transaction,
  TransactionPage,
  TransactionQuery,
} from './bank_connector';
import { BankPaymentConflict } from './bank_errors';
import { fromMinorUnits, toMinorUnits } from './money';

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

function toExecution(row: Selectable<SandboxPaymentsTable>): PaymentExecution {
  const execution: PaymentExecution = {
    paymentId: row.payment_id,
    transactionStatus: row.status as BankPaymentStatus,
  };
  if (row.reason_code !== null) execution.reasonCode = row.reason_code;
  if (row.transaction_id !== null) execution.transactionId = row.transaction_id;
  return execution;
}

/** JSON with sorted keys, so the same order always has the same digest. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Balances a payment moves at once; closing and opening balances change only at the end of a day. */
const MOVED_BY_PAYMENTS = new Set(['expected', 'interimAvailable', 'interimBooked']);

export interface SandboxBankConnectorOptions {
  /** Today's date for execution decisions; default the real clock. */
  clock?: () => Date;
}

const MAX_CACHED_ACCOUNTS = 10_000;

/** Accounts whose balances one PostgreSQL statement reads at most. */
const MAX_ACCOUNTS_PER_BALANCES_READ = 256;

type BalanceRow = Selectable<BalancesTable>;

/** The balances of several accounts in one PostgreSQL statement, each account's rows by balance type. */
function balancesByTurn(db: Kysely<Database>): TurnBatch<string, readonly BalanceRow[]> {
  const query = new PreparedQuery(db, (q, p: ParamSlot<{ resourceIds: readonly string[] }>) =>
    q
      .selectFrom('balances')
      .selectAll()
      .where('resource_id', '=', sql<string>`any(${p('resourceIds')}::text[])`)
      .orderBy('resource_id')
      .orderBy('balance_type'),
  );
  return new TurnBatch({
    maxItems: MAX_ACCOUNTS_PER_BALANCES_READ,
    run: async (resourceIds) => {
      const rows = await query.execute({ resourceIds: [...new Set(resourceIds)] });
      const byAccount = new Map<string, BalanceRow[]>();
      for (const row of rows) {
        const list = byAccount.get(row.resource_id);
        if (list === undefined) byAccount.set(row.resource_id, [row]);
        else list.push(row);
      }
      return resourceIds.map((id) => byAccount.get(id) ?? []);
    },
  });
}

/**
 * Bob's Bank sandbox: the reference implementation of the bank port over a Kysely database (the
 * gateway's own store when embedded, its own SQLite file under `npm run sandbox-bank`). Payments debit
 * the account at once unless future-dated or standing orders, which are held (ACSP) and never executed
 * by the sandbox on its own.
 */
export class SandboxBankConnector implements BankConnector, SandboxPsuSignIn {
  // Run on every account read: compiled once.
  private readonly accountQuery: PreparedQuery<Database, { resourceId: string }, Selectable<AccountsTable>>;
  private readonly balancesQuery: PreparedQuery<Database, { resourceId: string }, BalanceRow>;
  /**
   * On PostgreSQL the balances reads of one event-loop turn share one statement (a round trip is most of
   * a read's cost there); SQLite reads in-process, one read at a time.
   */
  private readonly balancesBatch: TurnBatch<string, readonly BalanceRow[]> | undefined;

  private readonly clock: () => Date;
  /**
   * Accounts by resourceId. The sandbox writes its accounts once, when its fixture is loaded, and never
   * changes them (payments move balances), so a copy needs no invalidation; on PostgreSQL it saves a
   * round trip on every account read.
   */
  private readonly accounts = new Map<string, Account>();

  constructor(
    private readonly db: Kysely<Database>,
    options: SandboxBankConnectorOptions = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
    this.accountQuery = new PreparedQuery(db, (q, p: ParamSlot<{ resourceId: string }>) =>
      q.selectFrom('accounts').selectAll().where('resource_id', '=', p('resourceId')),
    );
    this.balancesQuery = new PreparedQuery(db, (q, p: ParamSlot<{ resourceId: string }>) =>
      q.selectFrom('balances').selectAll().where('resource_id', '=', p('resourceId')).orderBy('balance_type'),
    );
    this.balancesBatch = directStatementsOf(db)?.dialect === 'postgres' ? balancesByTurn(db) : undefined;
  }

  async accountsByIban(ibans: readonly string[], _context?: BankCallContext): Promise<Account[]> {
    if (ibans.length === 0) return [];
    const rows = await this.db
      .selectFrom('accounts')
      .selectAll()
      .where('iban', 'in', [...ibans])
      .orderBy('iban')
      .execute();
    return rows.map(toAccount);
  }

  async accountByResourceId(resourceId: string, _context?: BankCallContext): Promise<Account | undefined> {
    const known = this.accounts.get(resourceId);
    if (known !== undefined) return known;
    const row = await this.accountQuery.executeTakeFirst({ resourceId });
    if (row === undefined) return undefined;
    const account = toAccount(row);
    if (this.accounts.size >= MAX_CACHED_ACCOUNTS) this.accounts.clear();
    this.accounts.set(resourceId, account);
    return account;
  }

  async balances(resourceId: string, _context?: BankCallContext): Promise<Balance[]> {
    const rows =
      this.balancesBatch !== undefined
        ? await this.balancesBatch.submit(resourceId)
        : await this.balancesQuery.execute({ resourceId });
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

  async transactions(
    resourceId: string,
    query: TransactionQuery,
    _context?: BankCallContext,
  ): Promise<TransactionPage> {
    let base = this.db
      .selectFrom('transactions')
      .where('resource_id', '=', resourceId)
      .where('value_date', '>=', query.dateFrom === '' ? '0000-00-00' : query.dateFrom)
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

  async findPsu(psuId: string, _context?: BankCallContext): Promise<Psu | undefined> {
    const row = await this.db.selectFrom('psus').selectAll().where('psu_id', '=', psuId).executeTakeFirst();
    return row === undefined ? undefined : { psuId: row.psu_id, displayName: row.display_name };
  }

  async accountsOfPsu(psuId: string, _context?: BankCallContext): Promise<Account[]> {
    const rows = await this.db
      .selectFrom('accounts')
      .selectAll()
      .where('psu_id', '=', psuId)
      .orderBy('iban')
      .execute();
    return rows.map(toAccount);
  }

  async executePayment(order: PaymentOrder, _context?: BankCallContext): Promise<PaymentExecution> {
    const digest = createHash('sha256').update(canonicalJson(order)).digest('hex');
    const known = await this.paymentRow(order.paymentId);
    if (known !== undefined) return this.repeated(known, digest);
    try {
      return await this.db.transaction().execute((trx) => this.execute(trx, order, digest));
    } catch (error) {
      // A concurrent request with the same key committed first (PostgreSQL: unique violation).
      const raced = await this.paymentRow(order.paymentId);
      if (raced !== undefined) return this.repeated(raced, digest);
      throw error;
    }
  }

  async paymentStatus(paymentId: string, _context?: BankCallContext): Promise<PaymentExecution | undefined> {
    const row = await this.paymentRow(paymentId);
    return row === undefined ? undefined : toExecution(row);
  }

  async cancelPayment(paymentId: string, _context?: BankCallContext): Promise<PaymentExecution | undefined> {
    // Only a held order moves; an executed or rejected one keeps its final status.
    await this.db
      .updateTable('sandbox_payments')
      .set({ status: 'CANC' })
      .where('payment_id', '=', paymentId)
      .where('status', '=', 'ACSP')
      .execute();
    return this.paymentStatus(paymentId);
  }

  /** The PSU's permission names the TPP asking (the call context's organizationIdentifier); none, none. */
  async confirmFunds(check: FundsCheck, context?: BankCallContext): Promise<FundsConfirmation> {
    const tpp = context?.tppOrganizationIdentifier;
    if (tpp === undefined) return { allowed: false };
    const row = await this.db
      .selectFrom('sandbox_funds_permissions')
      .innerJoin('accounts', 'accounts.iban', 'sandbox_funds_permissions.iban')
      .select(['accounts.resource_id', 'accounts.currency'])
      .where('sandbox_funds_permissions.iban', '=', check.account.iban)
      .where('sandbox_funds_permissions.tpp_organization_identifier', '=', tpp)
      .executeTakeFirst();
    if (row === undefined) return { allowed: false };
    const wanted = toMinorUnits(check.instructedAmount.amount);
    if (check.instructedAmount.currency !== row.currency || wanted === undefined)
      return { allowed: true, fundsAvailable: false };
    const available = await this.available(this.db, row.resource_id);
    return { allowed: true, fundsAvailable: available !== undefined && available >= wanted };
  }

  /**
   * `psd2-gateway sandbox-funds allow`: the account's PSU lets this TPP confirm funds on it. `unknown` when
   * the sandbox holds no such account (a permission for it would match nothing).
   */
  async allowFundsConfirmation(iban: string, tpp: string): Promise<'allowed' | 'alreadyAllowed' | 'unknown'> {
    const account = await this.db
      .selectFrom('accounts')
      .select('iban')
      .where('iban', '=', iban)
      .executeTakeFirst();
    if (account === undefined) return 'unknown';
    const result = await this.db
      .insertInto('sandbox_funds_permissions')
      .values({ iban, tpp_organization_identifier: tpp })
      .onConflict((oc) => oc.columns(['iban', 'tpp_organization_identifier']).doNothing())
      .executeTakeFirst();
    return (result.numInsertedOrUpdatedRows ?? 0n) > 0n ? 'allowed' : 'alreadyAllowed';
  }

  /** `psd2-gateway sandbox-funds revoke`: whether there was such a permission. */
  async revokeFundsConfirmation(iban: string, tpp: string): Promise<boolean> {
    const result = await this.db
      .deleteFrom('sandbox_funds_permissions')
      .where('iban', '=', iban)
      .where('tpp_organization_identifier', '=', tpp)
      .executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  /** Every permission, with the account's PSU, by IBAN then TPP. */
  async fundsConfirmationPermissions(): Promise<{ iban: string; psuId: string; tpp: string }[]> {
    const rows = await this.db
      .selectFrom('sandbox_funds_permissions')
      .innerJoin('accounts', 'accounts.iban', 'sandbox_funds_permissions.iban')
      .select([
        'sandbox_funds_permissions.iban as iban',
        'accounts.psu_id as psuId',
        'sandbox_funds_permissions.tpp_organization_identifier as tpp',
      ])
      .orderBy('sandbox_funds_permissions.iban')
      .orderBy('sandbox_funds_permissions.tpp_organization_identifier')
      .execute();
    return rows;
  }

  async ping(): Promise<void> {
    await this.db.selectFrom('psus').select('psu_id').limit(1).execute();
  }

  /** The store belongs to whoever opened it. */
  async close(): Promise<void> {}

  private paymentRow(paymentId: string): Promise<Selectable<SandboxPaymentsTable> | undefined> {
    return this.db
      .selectFrom('sandbox_payments')
      .selectAll()
      .where('payment_id', '=', paymentId)
      .executeTakeFirst();
  }

  private repeated(row: Selectable<SandboxPaymentsTable>, digest: string): PaymentExecution {
    if (row.order_digest !== digest)
      throw new BankPaymentConflict(`payment ${row.payment_id} was executed with another order`);
    return toExecution(row);
  }

  /** Available to spend: interimAvailable already includes the credit line. */
  private async available(db: Kysely<Database>, resourceId: string): Promise<bigint | undefined> {
    const row = await db
      .selectFrom('balances')
      .select('amount')
      .where('resource_id', '=', resourceId)
      .where('balance_type', '=', 'interimAvailable')
      .executeTakeFirst();
    return row === undefined ? undefined : toMinorUnits(row.amount);
  }

  private async execute(
    trx: KyselyTransaction<Database>,
    order: PaymentOrder,
    digest: string,
  ): Promise<PaymentExecution> {
    const now = this.clock();
    const today = now.toISOString().slice(0, 10);
    const record = async (
      status: BankPaymentStatus,
      extra: { resourceId?: string; reasonCode?: string; transactionId?: string } = {},
    ): Promise<PaymentExecution> => {
      // Inserted first within the transaction: a concurrent duplicate waits on the key, then fails.
      await trx
        .insertInto('sandbox_payments')
        .values({
          payment_id: order.paymentId,
          order_digest: digest,
          resource_id: extra.resourceId ?? null,
          status,
          reason_code: extra.reasonCode ?? null,
          transaction_id: extra.transactionId ?? null,
          created_at: now.toISOString(),
        })
        .execute();
      const execution: PaymentExecution = { paymentId: order.paymentId, transactionStatus: status };
      if (extra.reasonCode !== undefined) execution.reasonCode = extra.reasonCode;
      if (extra.transactionId !== undefined) execution.transactionId = extra.transactionId;
      return execution;
    };

    const account = await trx
      .selectFrom('accounts')
      .selectAll()
      .where('iban', '=', order.debtorAccount.iban)
      .executeTakeFirst();
    if (account === undefined) return record('RJCT', { reasonCode: 'AC01' });
    const resourceId = account.resource_id;
    if (account.psu_id !== order.psuId) return record('RJCT', { resourceId, reasonCode: 'AG01' });
    if (order.instructedAmount.currency !== account.currency)
      return record('RJCT', { resourceId, reasonCode: 'AM03' });
    const amount = toMinorUnits(order.instructedAmount.amount);
    if (amount === undefined || amount <= 0n) return record('RJCT', { resourceId, reasonCode: 'AM12' });
    const held =
      order.standingOrder !== undefined ||
      (order.requestedExecutionDate !== undefined && order.requestedExecutionDate > today);
    if (held) return record('ACSP', { resourceId });

    // Serialises payments from one account (PostgreSQL row lock; SQLite has one writer anyway).
    await trx
      .updateTable('accounts')
      .set({ resource_id: resourceId })
      .where('resource_id', '=', resourceId)
      .execute();
    const available = await this.available(trx, resourceId);
    if (available === undefined || available < amount)
      return record('RJCT', { resourceId, reasonCode: 'AM04' });

    const transactionId = `pmt-${order.paymentId}`;
    const result = await record('ACSC', { resourceId, transactionId });
    const balances = await trx
      .selectFrom('balances')
      .select(['balance_type', 'amount'])
      .where('resource_id', '=', resourceId)
      .execute();
    for (const balance of balances) {
      if (!MOVED_BY_PAYMENTS.has(balance.balance_type)) continue;
      const before = toMinorUnits(balance.amount);
      if (before === undefined) continue;
      await trx
        .updateTable('balances')
        .set({
          amount: fromMinorUnits(before - amount),
          last_change_date_time: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
        })
        .where('resource_id', '=', resourceId)
        .where('balance_type', '=', balance.balance_type)
        .execute();
    }
    await trx
      .insertInto('transactions')
      .values({
        transaction_id: transactionId,
        resource_id: resourceId,
        booking_status: 'booked',
        booking_date: today,
        value_date: today,
        amount: fromMinorUnits(-amount),
        currency: account.currency,
        creditor_name: order.creditorName,
        creditor_iban: order.creditorAccount.iban,
        debtor_name: null,
        debtor_iban: null,
        remittance_information: order.remittanceInformationUnstructured ?? '',
        end_to_end_id: order.endToEndIdentification ?? null,
      })
      .execute();
    return result;
  }
}
