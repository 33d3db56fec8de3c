import type { Kysely, Selectable } from 'kysely';
import type { PaymentProduct } from '../bank/bank_connector';
import type { Payment, PaymentInitiationBody, PaymentService, TransactionStatus } from '../payment/payment';
import type { PaymentRepository, PaymentTransitionParams } from '../payment/payment_repository';
import { ownerColumns, ownerFromColumns } from './tpp_owner_columns';
import type { Database, PaymentsTable } from './schema';

function toPayment(row: Selectable<PaymentsTable>): Payment {
  return {
    id: row.id,
    service: row.payment_service as PaymentService,
    product: row.payment_product as PaymentProduct,
    owner: ownerFromColumns(row),
    requestId: row.x_request_id,
    requestDigest: row.request_digest,
    body: JSON.parse(row.body) as PaymentInitiationBody,
    tppRedirectUri: row.tpp_redirect_uri ?? undefined,
    status: row.status as TransactionStatus,
    reasonCode: row.reason_code ?? undefined,
    psuId: row.psu_id ?? undefined,
    debtorIban: row.debtor_iban ?? undefined,
    bankTransactionId: row.bank_transaction_id ?? undefined,
    initiationResponse: row.initiation_response,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

export class KyselyPaymentRepository implements PaymentRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async insertOnce(payment: Payment): Promise<Payment> {
    await this.db
      .insertInto('payments')
      .values({
        id: payment.id,
        payment_service: payment.service,
        payment_product: payment.product,
        ...ownerColumns(payment.owner),
        x_request_id: payment.requestId,
        request_digest: payment.requestDigest,
        body: JSON.stringify(payment.body),
        tpp_redirect_uri: payment.tppRedirectUri ?? null,
        status: payment.status,
        reason_code: payment.reasonCode ?? null,
        psu_id: payment.psuId ?? null,
        debtor_iban: payment.debtorIban ?? null,
        bank_transaction_id: payment.bankTransactionId ?? null,
        initiation_response: payment.initiationResponse,
        created_at: payment.createdAt.toISOString(),
        updated_at: payment.updatedAt.toISOString(),
      })
      // Losing the race to a parallel retry is not an error: the winner's row is the answer.
      .onConflict((oc) => oc.columns(['tpp_organization_identifier', 'x_request_id']).doNothing())
      .execute();
    const row = await this.db
      .selectFrom('payments')
      .selectAll()
      .where('tpp_organization_identifier', '=', payment.owner.organizationIdentifier)
      .where('x_request_id', '=', payment.requestId)
      .executeTakeFirstOrThrow();
    return toPayment(row);
  }

  async findById(id: string): Promise<Payment | undefined> {
    const row = await this.db.selectFrom('payments').selectAll().where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toPayment(row);
  }

  async idsAwaitingExecution(limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('payments')
      .select('id')
      .where('status', '=', 'ACTC')
      .orderBy('updated_at')
      .limit(limit)
      .execute();
    return rows.map((r) => r.id);
  }

  /**
   * `tpp block`: every payment of the blocked TPP (by organizationIdentifier, or by the certificate that
   * initiated it) still awaiting the PSU becomes RJCT, in one statement. Returns how many did.
   */
  async rejectAwaitingOfTpp(subject: string, at: Date): Promise<number> {
    const result = await this.db
      .updateTable('payments')
      .set({ status: 'RJCT', updated_at: at.toISOString() })
      .where('status', '=', 'RCVD')
      .where((eb) =>
        eb.or([
          eb('tpp_organization_identifier', '=', subject),
          eb('tpp_certificate_thumbprint', '=', subject),
        ]),
      )
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async transition(id: string, params: PaymentTransitionParams): Promise<Payment | undefined> {
    if (params.from.length === 0) return undefined;
    const row = await this.db
      .updateTable('payments')
      .set({
        status: params.to,
        updated_at: params.at.toISOString(),
        ...(params.reasonCode !== undefined ? { reason_code: params.reasonCode } : {}),
        ...(params.psuId !== undefined ? { psu_id: params.psuId } : {}),
        ...(params.debtorIban !== undefined ? { debtor_iban: params.debtorIban } : {}),
        ...(params.bankTransactionId !== undefined ? { bank_transaction_id: params.bankTransactionId } : {}),
      })
      .where('id', '=', id)
      .where('status', 'in', [...params.from])
      .returningAll()
      .executeTakeFirst();
    return row === undefined ? undefined : toPayment(row);
  }
}
