/**
 * The stop list view's refresh against a real SQLite store. The race: a request that arrives after a
 * block's notice must not be answered by a refresh that read the list before the block committed. The
 * store's version() is held (a gate around the real call, for the interleaving only) so that the refresh
 * under way when the block lands is the one that read the old version.
 */
import { openStore, type Store } from '../../src/store/open_store';
import { KyselyTppStopList } from '../../src/store/kysely_tpp_stop_list';
import { StopListView, type StopListSource } from '../../src/tpp/stop_list';
import { createTestDatabase, type TestDatabase } from '../store/test_databases';

const TPP = { organizationIdentifier: 'PSDDE-BAFIN-777777', thumbprintS256: 'no-such-thumbprint' };

let database: TestDatabase;
let store: Store;

beforeAll(async () => {
  database = await createTestDatabase('sqlite');
  store = await openStore(database.url);
});
afterAll(async () => {
  await store?.close();
  await database?.drop();
});

it('a request after a notice waits for a refresh that started after it, not for the one under way', async () => {
  const rows = new KyselyTppStopList(store.db);
  let holdNext = false;
  let release: () => void = () => undefined;
  const gated: StopListSource = {
    list: () => rows.list(),
    version: async () => {
      const version = await rows.version();
      if (holdNext) {
        holdNext = false;
        await new Promise<void>((resolve) => (release = resolve));
      }
      return version;
    },
  };
  let clock = 0;
  const view = new StopListView(gated, { pollMs: 1000, now: () => clock });
  await view.load();

  clock = 5000;
  holdNext = true;
  // The refresh this request starts reads version 0, then is held.
  const early = view.blockOf(TPP);
  await new Promise((resolve) => setImmediate(resolve));
  await rows.block(TPP.organizationIdentifier, 'fraud', new Date());
  view.invalidate();
  const late = view.blockOf(TPP);
  release();

  // The early request may be answered either way: it came before the block committed.
  await early;
  expect((await late)?.reason).toBe('fraud');
  // And the view stays fresh afterwards: no further refresh needed to see it.
  expect((await view.blockOf(TPP))?.reason).toBe('fraud');
});

it('answers at once while the list is fresh, and after a re-read once the poll interval has passed', async () => {
  const rows = new KyselyTppStopList(store.db);
  let clock = 0;
  const view = new StopListView(rows, { pollMs: 1000, now: () => clock });
  await view.load();
  const other = { organizationIdentifier: 'PSDDE-BAFIN-888888', thumbprintS256: 'another-thumbprint' };
  expect(view.blockOf(other)).toBeUndefined();
  await rows.block(other.organizationIdentifier, 'fraud', new Date());
  // Within the interval the list in memory answers, without the block written since.
  clock = 999;
  expect(view.blockOf(other)).toBeUndefined();
  clock = 1000;
  const reread = view.blockOf(other);
  expect(reread).toBeInstanceOf(Promise);
  expect((await reread)?.reason).toBe('fraud');
  expect(view.blockOf(other)).toMatchObject({ reason: 'fraud' });
});
