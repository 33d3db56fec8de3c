import { sampleConsent as consent } from './sample_consent';
import { buildSandboxBank, readSandboxBankFixture } from '../../src/accounts/sandbox_bank';
import { loadSandboxBank } from '../../src/store/load_sandbox_bank';
import { sql } from 'kysely';
import { STORE_MIGRATIONS } from '../../src/store/migrations';
import { openStore, type Store } from '../../src/store/open_store';
import { DATABASE_KINDS, describeForDatabase, useTestStore } from './test_databases';
import { SandboxBankConnector } from '../../src/bank/sandbox_bank_connector';

const bank = buildSandboxBank(readSandboxBankFixture());

describe.each(DATABASE_KINDS)('consent repository and store on %s', (kind) => {
  describeForDatabase(kind)(kind, () => {
    const testStore = useTestStore(kind);
    let store: Store;
    beforeAll(() => {
      store = testStore.store;
    });

    it('round-trips every field of a consent', async () => {
      const original = consent('round-trip');
      await store.consents.insert(original);
      expect(await store.consents.findById('round-trip')).toEqual(original);
      expect(await store.consents.findById('absent')).toBeUndefined();
    });

    it('lists by owner and status', async () => {
      await store.consents.insert(
        consent('carol-1', {
          owner: { ...consent('x').owner, organizationIdentifier: 'PSDDE-BAFIN-222222' },
        }),
      );
      const carol = await store.consents.list({ tppOrganizationIdentifier: 'PSDDE-BAFIN-222222' });
      expect(carol.map((c) => c.id)).toEqual(['carol-1']);
      const received = await store.consents.list({ status: 'received' });
      expect(received.map((c) => c.id)).toEqual(expect.arrayContaining(['round-trip', 'carol-1']));
    });

    it('changes status only from the expected one (compare-and-set)', async () => {
      await store.consents.insert(consent('cas'));
      const grant = {
        accounts: ['DE37100200300000123401'],
        balances: [],
        transactions: [],
        listOnly: false,
        listWithBalances: false,
      };
      const params = {
        from: ['received'] as const,
        to: 'valid' as const,
        lastActionDate: '2026-11-23',
        psuId: 'anna',
        grant,
      };
      const results = await Promise.all([
        store.consents.transition('cas', params),
        store.consents.transition('cas', params),
      ]);
      expect(results.filter((r) => r !== undefined)).toHaveLength(1);
      const stored = await store.consents.findById('cas');
      expect(stored).toMatchObject({ status: 'valid', psuId: 'anna', grant, lastActionDate: '2026-11-23' });
      expect(await store.consents.transition('absent', params)).toBeUndefined();
    });

    it('admits exactly frequencyPerDay accesses out of 50 parallel ones, per day', async () => {
      await store.consents.insert(consent('freq'));
      const admitted = await Promise.all(
        Array.from({ length: 50 }, () => store.consents.admitAccess('freq', '2026-11-22', 4)),
      );
      expect(admitted.filter(Boolean)).toHaveLength(4);
      expect(await store.consents.accessCount('freq', '2026-11-22')).toBe(4);
      expect(await store.consents.admitAccess('freq', '2026-11-23', 4)).toBe(true);
      expect(await store.consents.accessCount('freq', '2026-11-23')).toBe(1);
    });

    it('loads the sandbox bank once and authenticates its PSUs', async () => {
      expect(await loadSandboxBank(store.db, bank)).toBe(true);
      expect(await loadSandboxBank(store.db, bank)).toBe(false);
      const annas = await new SandboxBankConnector(store.db).accountsOfPsu('anna');
      expect(annas.map((a) => a.iban)).toEqual(['DE10100200300000123402', 'DE37100200300000123401']);
      expect(await new SandboxBankConnector(store.db).authenticatePsu('anna', 'sandbox-anna')).toEqual({
        psuId: 'anna',
        displayName: 'Anna Schmidt',
      });
      expect(await new SandboxBankConnector(store.db).authenticatePsu('anna', 'wrong')).toBeUndefined();
      expect(
        await new SandboxBankConnector(store.db).authenticatePsu('nobody', 'sandbox-anna'),
      ).toBeUndefined();
      const first = bank.accounts[0];
      if (first === undefined) throw new Error('fixture has no accounts');
      expect(await new SandboxBankConnector(store.db).balances(first.resourceId)).toEqual(
        bank.balances.get(first.resourceId),
      );
      const all = bank.transactions.get(first.resourceId) ?? [];
      const page = await new SandboxBankConnector(store.db).transactions(first.resourceId, {
        bookingStatus: 'both',
        dateFrom: '2000-01-01',
        dateTo: '2099-12-31',
        offset: 0,
        limit: 1000,
      });
      expect(page.total).toBe(all.length);
      expect(new Set(page.transactions.map((t) => t.transactionId))).toEqual(
        new Set(all.map((t) => t.transactionId)),
      );
      const pending = await new SandboxBankConnector(store.db).transactions(first.resourceId, {
        bookingStatus: 'pending',
        dateFrom: '2000-01-01',
        dateTo: '2099-12-31',
        offset: 0,
        limit: 2,
      });
      expect(pending.total).toBe(all.filter((t) => t.bookingStatus === 'pending').length);
      expect(pending.transactions).toHaveLength(2);
      expect(pending.transactions.every((t) => t.bookingDate === undefined)).toBe(true);
    });

    it('reads the balances of accounts asked for together, each its own (one statement on PostgreSQL)', async () => {
      let statements = 0;
      const counting = await openStore(testStore.url, { onQuery: () => statements++ });
      try {
        const connector = new SandboxBankConnector(counting.db);
        const ids = [...bank.accounts.map((a) => a.resourceId), 'no-such-account'];
        const before = statements;
        const read = await Promise.all(ids.map((id) => connector.balances(id)));
        expect(read).toEqual(ids.map((id) => bank.balances.get(id) ?? []));
        expect(statements - before).toBe(kind === 'postgres' ? 1 : ids.length);
      } finally {
        await counting.close();
      }
    });

    it('keeps every consent, its usage and the bank across a restart', async () => {
      const before = await store.consents.list();
      store = await testStore.reopen();
      expect(await store.consents.list()).toEqual(before);
      expect(await store.consents.accessCount('freq', '2026-11-22')).toBe(4);
      expect(await new SandboxBankConnector(store.db).accountsOfPsu('anna')).toHaveLength(2);
    });

    it('applies the one migration set, OAuth tables included, whoever opens the store', async () => {
      const applied = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(
        store.db,
      );
      expect(applied.rows.map((r) => r.name)).toEqual(Object.keys(STORE_MIGRATIONS).sort());
      expect(applied.rows.map((r) => r.name)).toContain('0100_oauth_tables');
    });
  });
});
