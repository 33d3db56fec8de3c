/**
 * A second bank, written only from openapi/bank-connector.json to show the contract is enough to
 * implement: plain node:http, a table of regular-expression routes, the books in memory as plain objects,
 * amounts in integer cents. It shares no code with the sandbox bank.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface Book {
  psus: { psuId: string; displayName: string }[];
  accounts: {
    resourceId: string;
    iban: string;
    currency: string;
    psuId: string;
    name: string;
    availableCents: number;
    /** The TPPs the PSU allows to confirm funds on it. */
    checkableBy: string[];
  }[];
  transactions: {
    transactionId: string;
    resourceId: string;
    bookingStatus: 'booked' | 'pending';
    valueDate: string;
    cents: number;
    counterparty: string;
  }[];
  payments: Map<string, { body: string; answer: Record<string, string> }>;
}

const cents = (s: string) => Math.round(Number(s) * 100);
const money = (c: number) =>
  `${c < 0 ? '-' : ''}${Math.floor(Math.abs(c) / 100)}.${String(Math.abs(c) % 100).padStart(2, '0')}`;

function freshBook(): Book {
  const tx = (
    n: number,
    resourceId: string,
    valueDate: string,
    c: number,
    status: 'booked' | 'pending' = 'booked',
  ) => ({
    transactionId: `T${String(n).padStart(4, '0')}`,
    resourceId,
    bookingStatus: status,
    valueDate,
    cents: c,
    counterparty: c < 0 ? 'Grocer' : 'Employer',
  });
  return {
    psus: [
      { psuId: 'p-1', displayName: 'Petra One' },
      { psuId: 'p-2', displayName: 'Paul Two' },
    ],
    accounts: [
      {
        resourceId: 'R1',
        iban: 'NL91ABNA0417164300',
        currency: 'EUR',
        psuId: 'p-1',
        name: 'Main',
        availableCents: 50_000,
        checkableBy: ['PSDDE-BAFIN-444444'],
      },
      {
        resourceId: 'R2',
        iban: 'NL20INGB0001234567',
        currency: 'EUR',
        psuId: 'p-1',
        name: 'Savings',
        availableCents: 900_000,
        checkableBy: [],
      },
      {
        resourceId: 'R3',
        iban: 'NL02ABNA0123456789',
        currency: 'EUR',
        psuId: 'p-2',
        name: 'Paul',
        availableCents: 1_000,
        checkableBy: ['PSDDE-BAFIN-444444'],
      },
    ],
    transactions: [
      tx(1, 'R1', '2026-10-01', 300_000),
      tx(2, 'R1', '2026-10-02', -2_550),
      tx(3, 'R1', '2026-10-02', -1_000),
      tx(4, 'R1', '2026-10-05', -12_000),
      tx(5, 'R1', '2026-10-07', -350, 'pending'),
      tx(6, 'R3', '2026-10-03', 1_000),
    ],
    payments: new Map(),
  };
}

type Json = Record<string, unknown>;
type Route = [
  string,
  RegExp,
  (
    m: RegExpMatchArray,
    q: URLSearchParams,
    body: Json | undefined,
    req: IncomingMessage,
  ) => [number, unknown],
];

export interface StandInBank {
  url: string;
  /** X-Request-ID, TPP-Organization-Identifier and Consent-ID/Payment-ID of every call, for assertions. */
  seen: { requestId?: string; tpp?: string; consentId?: string; paymentId?: string }[];
  close(): Promise<void>;
}

export async function startStandInBank(today: string): Promise<StandInBank> {
  const book = freshBook();
  const notFound: [number, unknown] = [404, { status: 404, code: 'NOT_FOUND', title: 'not found' }];
  const view = (a: Book['accounts'][number]) => ({
    resourceId: a.resourceId,
    iban: a.iban,
    bic: 'ABNANL2A',
    currency: a.currency,
    name: a.name,
    ownerName: book.psus.find((p) => p.psuId === a.psuId)?.displayName ?? '',
    product: 'Standard',
    cashAccountType: 'CACC',
    psuId: a.psuId,
  });
  const byIban = (list: Book['accounts']) => [...list].sort((x, y) => (x.iban < y.iban ? -1 : 1)).map(view);
  const txView = (t: Book['transactions'][number]) => ({
    transactionId: t.transactionId,
    bookingStatus: t.bookingStatus,
    ...(t.bookingStatus === 'booked' ? { bookingDate: t.valueDate } : {}),
    valueDate: t.valueDate,
    transactionAmount: { currency: 'EUR', amount: money(t.cents) },
    ...(t.cents < 0
      ? { creditorName: t.counterparty, creditorAccount: { iban: 'DE89370400440532013000' } }
      : { debtorName: t.counterparty }),
    remittanceInformationUnstructured: t.counterparty,
  });

  const routes: Route[] = [
    ['GET', /^\/bank\/v1\/health$/, () => [200, { status: 'up' }]],
    [
      'GET',
      /^\/bank\/v1\/psus\/([^/]+)$/,
      (m) => {
        const psu = book.psus.find((p) => p.psuId === decodeURIComponent(m[1] ?? ''));
        return psu === undefined ? notFound : [200, psu];
      },
    ],
    [
      'GET',
      /^\/bank\/v1\/psus\/([^/]+)\/accounts$/,
      (m) => [
        200,
        { accounts: byIban(book.accounts.filter((a) => a.psuId === decodeURIComponent(m[1] ?? ''))) },
      ],
    ],
    [
      'GET',
      /^\/bank\/v1\/accounts$/,
      (_m, q) => [200, { accounts: byIban(book.accounts.filter((a) => q.getAll('iban').includes(a.iban))) }],
    ],
    [
      'GET',
      /^\/bank\/v1\/accounts\/([^/]+)$/,
      (m) => {
        const a = book.accounts.find((x) => x.resourceId === m[1]);
        return a === undefined ? notFound : [200, view(a)];
      },
    ],
    [
      'GET',
      /^\/bank\/v1\/accounts\/([^/]+)\/balances$/,
      (m) => {
        const a = book.accounts.find((x) => x.resourceId === m[1]);
        if (a === undefined) return notFound;
        return [
          200,
          {
            balances: [
              {
                balanceType: 'interimAvailable',
                balanceAmount: { currency: a.currency, amount: money(a.availableCents) },
              },
            ],
          },
        ];
      },
    ],
    [
      'GET',
      /^\/bank\/v1\/accounts\/([^/]+)\/transactions$/,
      (m, q) => {
        if (!book.accounts.some((x) => x.resourceId === m[1])) return notFound;
        const status = q.get('bookingStatus');
        const from = q.get('dateFrom') ?? '0000-00-00';
        const to = q.get('dateTo') ?? '9999-99-99';
        const hits = book.transactions
          .filter((t) => t.resourceId === m[1] && (status === 'both' || t.bookingStatus === status))
          .filter((t) => t.valueDate >= from && t.valueDate <= to)
          .sort((x, y) => (`${y.valueDate}${y.transactionId}` < `${x.valueDate}${x.transactionId}` ? -1 : 1));
        const offset = Number(q.get('offset') ?? 0);
        const limit = Number(q.get('limit') ?? 50);
        return [200, { total: hits.length, transactions: hits.slice(offset, offset + limit).map(txView) }];
      },
    ],
    [
      'POST',
      /^\/bank\/v1\/payments$/,
      (_m, _q, body, req) => {
        const id = String(body?.paymentId);
        if (req.headers['idempotency-key'] !== id)
          return [400, { status: 400, code: 'BAD_REQUEST', title: 'key' }];
        const text = JSON.stringify(body);
        const known = book.payments.get(id);
        if (known !== undefined) {
          return known.body === text
            ? [200, known.answer]
            : [409, { status: 409, code: 'IDEMPOTENCY_CONFLICT', title: 'used' }];
        }
        const debtor = body?.debtorAccount as { iban: string };
        const amount = cents((body?.instructedAmount as { amount: string }).amount);
        const account = book.accounts.find((a) => a.iban === debtor.iban);
        let answer: Record<string, string>;
        if (account === undefined) answer = { paymentId: id, transactionStatus: 'RJCT', reasonCode: 'AC01' };
        else if (account.psuId !== body?.psuId)
          answer = { paymentId: id, transactionStatus: 'RJCT', reasonCode: 'AG01' };
        else if (body?.standingOrder !== undefined || String(body?.requestedExecutionDate ?? today) > today)
          answer = { paymentId: id, transactionStatus: 'ACSP' };
        else if (account.availableCents < amount)
          answer = { paymentId: id, transactionStatus: 'RJCT', reasonCode: 'AM04' };
        else {
          account.availableCents -= amount;
          const transactionId = `PAY-${book.transactions.length + 1}`;
          book.transactions.push({
            transactionId,
            resourceId: account.resourceId,
            bookingStatus: 'booked',
            valueDate: today,
            cents: -amount,
            counterparty: String(body?.creditorName),
          });
          answer = { paymentId: id, transactionStatus: 'ACSC', transactionId };
        }
        book.payments.set(id, { body: text, answer });
        return [201, answer];
      },
    ],
    [
      'GET',
      /^\/bank\/v1\/payments\/([^/]+)$/,
      (m) => {
        const known = book.payments.get(decodeURIComponent(m[1] ?? ''));
        return known === undefined ? notFound : [200, known.answer];
      },
    ],
    [
      'POST',
      /^\/bank\/v1\/payments\/([^/]+)\/cancellation$/,
      (m) => {
        const known = book.payments.get(decodeURIComponent(m[1] ?? ''));
        if (known === undefined) return notFound;
        if (known.answer.transactionStatus === 'ACSP')
          known.answer = { paymentId: known.answer.paymentId ?? '', transactionStatus: 'CANC' };
        return [200, known.answer];
      },
    ],
    [
      'POST',
      /^\/bank\/v1\/funds-confirmations$/,
      (_m, _q, body, req) => {
        const iban = (body?.account as { iban: string }).iban;
        const tpp = req.headers['tpp-organization-identifier'];
        const account = book.accounts.find(
          (a) => a.iban === iban && typeof tpp === 'string' && a.checkableBy.includes(tpp),
        );
        if (account === undefined) return [200, { allowed: false }];
        const amount = cents((body?.instructedAmount as { amount: string }).amount);
        return [200, { allowed: true, fundsAvailable: account.availableCents >= amount }];
      },
    ],
  ];

  const seen: StandInBank['seen'] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (d: Buffer) => (raw += d.toString()));
    req.on('end', () => {
      const h = (n: string) => (typeof req.headers[n] === 'string' ? (req.headers[n] as string) : undefined);
      seen.push({
        requestId: h('x-request-id'),
        tpp: h('tpp-organization-identifier'),
        consentId: h('consent-id'),
        paymentId: h('payment-id'),
      });
      const url = new URL(req.url ?? '/', 'http://stand-in');
      let status = 404;
      let answer: unknown = notFound[1];
      for (const [method, pattern, handle] of routes) {
        const m = url.pathname.match(pattern);
        if (m === null || method !== req.method) continue;
        [status, answer] = handle(
          m,
          url.searchParams,
          raw === '' ? undefined : (JSON.parse(raw) as Json),
          req,
        );
        break;
      }
      res.writeHead(status, {
        'content-type': status >= 400 ? 'application/problem+json' : 'application/json',
      });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
