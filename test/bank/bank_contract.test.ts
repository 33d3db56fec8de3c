import { randomUUID } from 'node:crypto';
/**
 * The bank port's contract suite, run against every implementation with the same expectations:
 * the in-process sandbox, the HTTP connector to `npm run sandbox-bank` as a real child process, and the
 * HTTP connector to a stand-in bank written only from openapi/bank-connector.json.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildSandboxBank, readSandboxBankFixture } from '../../src/accounts/sandbox_bank';
import { createLogger } from '../../src/audit/logger';
import { HttpBankConnector } from '../../src/bank/http_bank_connector';
import { SandboxBankConnector } from '../../src/bank/sandbox_bank_connector';
import { loadSandboxBank } from '../../src/store/load_sandbox_bank';
import { openStore, type Store } from '../../src/store/open_store';
import { bankPortSuite, type PortSuiteData } from './bank_port_suite';
import { startSandboxBankProcess, type SandboxBankProcess } from './sandbox_bank_process';
import { startStandInBank, type StandInBank } from './stand_in_bank';

const today = new Date().toISOString().slice(0, 10);
const SANDBOX_DATA: PortSuiteData = {
  psuId: 'anna',
  otherPsuId: 'ben',
  fundsCheckIban: 'DE37100200300000123401',
  fundsCheckTpp: 'PSDDE-BAFIN-444444',
  noFundsCheckIban: 'DE10100200300000123402',
  today,
};
const logger = createLogger('silent');
const work = mkdtempSync(path.join(os.tmpdir(), 'bank-contract-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('in-process sandbox', () => {
  let store: Store;
  let connector: SandboxBankConnector;
  beforeAll(async () => {
    store = await openStore(`sqlite:${path.join(work, 'in-process.db')}`);
    await loadSandboxBank(store.db, buildSandboxBank(readSandboxBankFixture()));
    connector = new SandboxBankConnector(store.db);
  });
  afterAll(() => store.close());
  bankPortSuite('in-process sandbox', () => ({ connector: () => connector, data: SANDBOX_DATA }));

  it('a funds check that names no TPP is refused, as every permission names one', async () => {
    const check = {
      account: { iban: SANDBOX_DATA.fundsCheckIban },
      instructedAmount: { currency: 'EUR', amount: '1.00' },
    };
    expect(await connector.confirmFunds(check, { requestId: randomUUID() })).toEqual({ allowed: false });
  });
});

describe('HTTP connector to npm run sandbox-bank', () => {
  let bank: SandboxBankProcess;
  let connector: HttpBankConnector;
  beforeAll(async () => {
    bank = await startSandboxBankProcess({ database: path.join(work, 'sandbox-bank.db'), viaNpm: true });
    connector = await HttpBankConnector.create({ url: bank.url, timeoutMs: 10_000, logger });
  }, 120_000);
  afterAll(async () => {
    await connector?.close();
    await bank?.kill();
  });
  bankPortSuite('HTTP connector to the sandbox bank process', () => ({
    connector: () => connector,
    data: SANDBOX_DATA,
  }));
});

describe('HTTP connector to a stand-in bank written from the contract', () => {
  let bank: StandInBank;
  let connector: HttpBankConnector;
  beforeAll(async () => {
    bank = await startStandInBank(today);
    connector = await HttpBankConnector.create({ url: bank.url, timeoutMs: 10_000, logger });
  });
  afterAll(async () => {
    await connector?.close();
    await bank?.close();
  });
  bankPortSuite('HTTP connector to the stand-in bank', () => ({
    connector: () => connector,
    data: {
      psuId: 'p-1',
      otherPsuId: 'p-2',
      fundsCheckIban: 'NL91ABNA0417164300',
      fundsCheckTpp: 'PSDDE-BAFIN-444444',
      noFundsCheckIban: 'NL20INGB0001234567',
      today,
    },
  }));

  it('sends X-Request-ID, the TPP and the consent or payment with every call', () => {
    const calls = bank.seen.filter((s) => s.consentId !== undefined || s.paymentId !== undefined);
    expect(calls.length).toBeGreaterThan(10);
    for (const call of bank.seen) expect(call.requestId).toMatch(/^[0-9a-f-]{36}$/);
    // The suite's TPP, and the card issuer on the funds checks the PSU allowed it.
    expect(calls.every((c) => c.tpp === 'PSDDE-BAFIN-123456' || c.tpp === 'PSDDE-BAFIN-444444')).toBe(true);
    expect(bank.seen.some((c) => c.paymentId?.startsWith('pay-') === true)).toBe(true);
  });
});
