/**
 * A payment the PSU approved while the bank could not execute it stays ACTC (the PSU's authorisation
 * counts) and is sent again, under the same idempotency key, until the bank answers: on the TPP's read of
 * the payment or its status, and by the gateway's own resend with backoff. Real second processes: the
 * sandbox bank (`sandbox-bank`), killed and started again on its port, behind a forwarding process
 * (test/bank/fault_bank.cjs) that can drop payment orders, or their answers after the bank booked them,
 * while reads pass (the approval page needs the PSU's accounts). The bank executes each payment once.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readSandboxBankFixture } from '../../src/accounts/sandbox_bank';
import { createLogger } from '../../src/audit/logger';
import { ALICE_CLIENT_ID, ALICE_REDIRECT_URI, PSU_IP_ADDRESS } from '../../src/bench/gateway_session';
import { HttpBankConnector } from '../../src/bank/http_bank_connector';
import { TppClient } from '../../src/client/tpp_client';
import { DEFAULT_CONTRACT } from '../../src/conformance/gateway_contract';
import { actAsPsu } from '../../src/conformance/psu_agent';
import { newPkce } from '../../src/conformance/tpp_flows';
import type { RunningGateway } from '../../src/gateway';
import { startFaultBank, type FaultBank, type FaultMode } from '../bank/fault_bank_process';
import { startSandboxBankProcess, type SandboxBankProcess } from '../bank/sandbox_bank_process';
import { eventually } from '../helpers/eventually';
import { startTestGateway } from '../helpers/test_gateway';
import { clientCredentials, testPkiFiles } from '../helpers/test_pki';

jest.setTimeout(120_000);

const work = mkdtempSync(path.join(os.tmpdir(), 'payment-recovery-'));
const bankDb = path.join(work, 'sandbox-bank.db');
const anna = readSandboxBankFixture().psus.find((p) => p.psuId === 'anna');
const annaCurrent = anna?.accounts[0];
const CREDITOR_IBAN = 'DE89370400440532013000';

let bank: SandboxBankProcess;
let fault: FaultBank;
/** Resends only when the TPP reads: the background resend waits an hour. */
let readsOnly: RunningGateway;
/** Nobody reads: the background resend with short waits. */
let background: RunningGateway;

const gatewayEnv = (): Record<string, string> => ({
  GATEWAY_BANK_URL: fault.url,
  GATEWAY_BANK_TIMEOUT_MS: '1500',
  // The sandbox's test customers sign in at the gateway; their accounts come from the bank process.
  GATEWAY_SANDBOX: 'true',
});

beforeAll(async () => {
  bank = await startSandboxBankProcess({ database: bankDb, viaNpm: true });
  fault = await startFaultBank(bank.url);
  const env = gatewayEnv();
  readsOnly = await startTestGateway(`sqlite:${path.join(work, 'reads.db')}`, env, {
    paymentResend: { firstDelayMs: 3_600_000, maxDelayMs: 3_600_000 },
  });
  background = await startTestGateway(`sqlite:${path.join(work, 'background.db')}`, env, {
    paymentResend: { firstDelayMs: 100, maxDelayMs: 400 },
  });
}, 180_000);

afterAll(async () => {
  await readsOnly?.close();
  await background?.close();
  await fault?.stop();
  await bank?.kill();
  rmSync(work, { recursive: true, force: true });
});

const anchorPem = (): string => readFileSync(testPkiFiles().anchor, 'utf8');

function alice(gateway: RunningGateway): TppClient {
  const pem = clientCredentials('alice');
  return new TppClient({
    baseUrl: gateway.url,
    anchorPem: anchorPem(),
    certChainPem: pem.cert.toString(),
    keyPem: pem.key.toString(),
    serverName: 'localhost',
  });
}

async function transactionStatus(gateway: RunningGateway, paymentId: string): Promise<string> {
  const res = await alice(gateway).request({
    path: `/v1/payments/sepa-credit-transfers/${paymentId}/status`,
    headers: { 'X-Request-ID': randomUUID() },
  });
  expect(res.status).toBe(200);
  return (res.json as { transactionStatus: string }).transactionStatus;
}

const day = (offset: number): string => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

/** The bank's own books, asked directly over its contract (not through the gateway). */
async function atTheBank(paymentId: string, reference: string) {
  const connector = await HttpBankConnector.create({
    url: bank.url,
    timeoutMs: 5000,
    logger: createLogger('silent'),
  });
  try {
    const context = { requestId: randomUUID() };
    const order = await connector.paymentStatus(paymentId, context);
    const page = await connector.transactions(
      annaCurrent?.resourceId ?? '',
      // Booked today (the bank's clock); a day either side covers a run across midnight.
      { bookingStatus: 'booked', dateFrom: day(-1), dateTo: day(1), offset: 0, limit: 500 },
      context,
    );
    const booked = page.transactions.filter((t) => t.remittanceInformationUnstructured === reference);
    return { order, booked };
  } finally {
    await connector.close();
  }
}

/**
 * Alice initiates a payment, the fault process is put in `mode`, and Anna approves with both factors
 * (the one-time code bound to amount and payee): the approval page reads her accounts from the bank, the
 * execution meets `mode`. The payment's id.
 */
async function approvedWhile(gateway: RunningGateway, mode: FaultMode, reference: string): Promise<string> {
  // The circuit to the bank may still be open from an earlier test's outage.
  await eventually(() => gateway.bank.ping());
  const created = await alice(gateway).request({
    method: 'POST',
    path: '/v1/payments/sepa-credit-transfers',
    headers: {
      'X-Request-ID': randomUUID(),
      'TPP-Redirect-URI': ALICE_REDIRECT_URI,
      'PSU-IP-Address': PSU_IP_ADDRESS,
    },
    json: {
      debtorAccount: { iban: annaCurrent?.iban },
      instructedAmount: { currency: 'EUR', amount: '3.21' },
      creditorAccount: { iban: CREDITOR_IBAN },
      creditorName: 'Bob Builder',
      remittanceInformationUnstructured: reference,
    },
  });
  expect(created.status).toBe(201);
  const paymentId = (created.json as { paymentId: string }).paymentId;

  await fault.set(mode);
  const authorize = new URL('/oauth2/authorize', gateway.url);
  authorize.search = new URLSearchParams({
    response_type: 'code',
    client_id: ALICE_CLIENT_ID,
    redirect_uri: ALICE_REDIRECT_URI,
    scope: `PIS:${paymentId}`,
    state: 'recovery',
    code_challenge: newPkce().challenge,
    code_challenge_method: 'S256',
  }).toString();
  const outcome = await actAsPsu({
    client: new TppClient({ baseUrl: gateway.url, anchorPem: anchorPem(), serverName: 'localhost' }),
    startUrl: authorize.href,
    redirectUri: ALICE_REDIRECT_URI,
    username: 'anna',
    password: 'sandbox-anna',
    totpSeed: anna?.totpSeed ?? '',
    decision: 'approve',
    fields: DEFAULT_CONTRACT.psuForm,
    maxSteps: DEFAULT_CONTRACT.maxPsuSteps,
  });
  // The PSU's authorisation counts: she is sent back to Alice with a code, the payment is ACTC.
  expect(outcome).toMatchObject({ kind: 'redirected', state: 'recovery', error: null });
  expect((await gateway.store.payments.findById(paymentId))?.status).toBe('ACTC');
  return paymentId;
}

describe('a payment approved while the bank cannot execute it', () => {
  it('stays ACTC while the bank is unreachable or down, and a status read after it is back executes it once', async () => {
    const reference = `recovery read ${randomUUID().slice(0, 8)}`;
    const paymentId = await approvedWhile(readsOnly, 'payments-unreachable', reference);

    // Payment orders still dropped: the read sends it again, the bank does not answer, ACTC.
    expect(await transactionStatus(readsOnly, paymentId)).toBe('ACTC');
    // The bank process dies altogether.
    await fault.set('pass');
    await bank.kill();
    expect(await transactionStatus(readsOnly, paymentId)).toBe('ACTC');
    expect((await readsOnly.store.payments.findById(paymentId))?.status).toBe('ACTC');

    // It comes back on its port, with its books: the next reads send the order again until it is taken.
    bank = await startSandboxBankProcess({ database: bankDb, port: bank.port });
    await eventually(async () => {
      if ((await transactionStatus(readsOnly, paymentId)) !== 'ACSC') throw new Error('not yet');
    });
    const read = await alice(readsOnly).request({
      path: `/v1/payments/sepa-credit-transfers/${paymentId}`,
      headers: { 'X-Request-ID': randomUUID() },
    });
    expect(read.json).toMatchObject({
      transactionStatus: 'ACSC',
      remittanceInformationUnstructured: reference,
    });

    const books = await atTheBank(paymentId, reference);
    expect(books.order?.transactionStatus).toBe('ACSC');
    expect(books.booked).toHaveLength(1);
    expect(books.booked[0]?.transactionAmount).toEqual({ currency: 'EUR', amount: '-3.21' });
    expect((await readsOnly.store.payments.findById(paymentId))?.bankTransactionId).toBe(
      books.order?.transactionId,
    );
    // Every order the gateway sent for it carried the payment's id as the idempotency key.
    const keys = (await fault.paymentKeys()).filter((k) => k === paymentId);
    expect(keys.length).toBeGreaterThan(2);
  });

  it('booked by the bank but the answer lost: the read sends it again and gets the same booking, not a second', async () => {
    const reference = `recovery lost ${randomUUID().slice(0, 8)}`;
    const paymentId = await approvedWhile(readsOnly, 'payments-answer-lost', reference);
    const before = await atTheBank(paymentId, reference);
    expect(before.order?.transactionStatus).toBe('ACSC');
    expect(before.booked).toHaveLength(1);

    await fault.set('pass');
    await eventually(async () => {
      if ((await transactionStatus(readsOnly, paymentId)) !== 'ACSC') throw new Error('not yet');
    });
    const after = await atTheBank(paymentId, reference);
    expect(after.booked).toHaveLength(1);
    expect((await readsOnly.store.payments.findById(paymentId))?.bankTransactionId).toBe(
      before.order?.transactionId,
    );
  });

  it('left ACTC when the gateway stopped: the next start sends it again by itself', async () => {
    const reference = `recovery restart ${randomUUID().slice(0, 8)}`;
    const paymentId = await approvedWhile(readsOnly, 'payments-unreachable', reference);
    await readsOnly.close();
    await fault.set('pass');
    // The same database, a new process's gateway: nobody reads, the start finds the payment.
    readsOnly = await startTestGateway(`sqlite:${path.join(work, 'reads.db')}`, gatewayEnv(), {
      paymentResend: { firstDelayMs: 100, maxDelayMs: 400 },
    });
    await eventually(async () => {
      const status = (await readsOnly.store.payments.findById(paymentId))?.status;
      if (status !== 'ACSC') throw new Error(`still ${String(status)}`);
    });
    expect((await atTheBank(paymentId, reference)).booked).toHaveLength(1);
  });

  it('with nobody reading, the gateway sends it again by itself once the bank is back', async () => {
    const reference = `recovery background ${randomUUID().slice(0, 8)}`;
    const paymentId = await approvedWhile(background, 'payments-unreachable', reference);
    await fault.set('pass');
    await bank.kill();
    expect((await background.store.payments.findById(paymentId))?.status).toBe('ACTC');

    bank = await startSandboxBankProcess({ database: bankDb, port: bank.port });
    // Only the store is looked at: no TPP read triggers anything.
    await eventually(async () => {
      const status = (await background.store.payments.findById(paymentId))?.status;
      if (status !== 'ACSC') throw new Error(`still ${String(status)}`);
    });
    const books = await atTheBank(paymentId, reference);
    expect(books.booked).toHaveLength(1);
    expect(books.order?.transactionStatus).toBe('ACSC');
  });
});
