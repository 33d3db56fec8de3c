import type { BookingStatus } from '../../bank/bank_connector';
import { grantAllows } from '../../consent/consent_grant';
import { utcDay } from '../../consent/consent';
import { ConsentInvalid, PeriodInvalid } from '../../errors/gateway_error';
import {
  accountInConsent,
  openRead,
  param,
  query,
  wantsBalances,
  type AisHandler,
  type AisHandlerDeps,
} from './ais_handler';

export const TRANSACTION_PAGE_SIZE = 50;

/**
 * GET /v1/accounts/{account-id}/transactions. Newest first, fixed pages of 50; paging links carry the
 * same filters so a TPP follows them without rebuilding queries.
 */
export function getTransactionList(deps: AisHandlerDeps): AisHandler {
  return async (context, req, res) => {
    const gate = await openRead(deps, context, req, res);
    const { consent } = gate;
    const resourceId = param(context, 'account-id');
    const account = await accountInConsent(deps, gate, resourceId, 'transactions');
    const bookingStatus = (query(context, 'bookingStatus') ?? 'booked') as BookingStatus;
    const dateFrom = query(context, 'dateFrom') ?? '';
    const dateTo = query(context, 'dateTo') ?? utcDay(deps.clock());
    if (dateFrom > dateTo)
      throw new PeriodInvalid({ text: 'dateFrom is after dateTo', path: 'query.dateFrom' });
    const withBalance = wantsBalances(context);
    if (withBalance && !grantAllows(consent.grant, account.iban, 'balances')) {
      throw new ConsentInvalid('The consent does not grant access to balances of this account');
    }
    const page = Number(query(context, 'page') ?? '0');
    await gate.admit();

    const result = await deps.accounts.transactions(
      account.resourceId,
      {
        bookingStatus,
        dateFrom,
        dateTo,
        offset: page * TRANSACTION_PAGE_SIZE,
        limit: TRANSACTION_PAGE_SIZE,
      },
      gate.bank,
    );
    const lastPage = Math.max(0, Math.ceil(result.total / TRANSACTION_PAGE_SIZE) - 1);
    const base = `/v1/accounts/${encodeURIComponent(account.resourceId)}`;
    const href = (p: number) => {
      const search = new URLSearchParams({ bookingStatus, dateFrom, dateTo, page: String(p) });
      if (withBalance) search.set('withBalance', 'true');
      return { href: `${base}/transactions?${search.toString()}` };
    };
    const links: Record<string, { href: string }> = {
      account: { href: base },
      first: href(0),
      last: href(lastPage),
    };
    if (page < lastPage) links.next = href(page + 1);
    if (page > 0) links.previous = href(Math.min(page - 1, lastPage));

    // bookingStatus tells our two lists apart; it is not a Berlin Group transaction field.
    const wire = (status: 'booked' | 'pending') =>
      result.transactions
        .filter((t) => t.bookingStatus === status)
        .map(({ bookingStatus: _, ...rest }) => rest);
    const report: Record<string, unknown> = {};
    if (bookingStatus !== 'pending') report.booked = wire('booked');
    if (bookingStatus !== 'booked') report.pending = wire('pending');
    report._links = links;

    const body: Record<string, unknown> = {
      account: { iban: account.iban, currency: account.currency },
      transactions: report,
    };
    if (withBalance) body.balances = await deps.accounts.balances(account.resourceId, gate.bank);
    return { status: 200, body };
  };
}
