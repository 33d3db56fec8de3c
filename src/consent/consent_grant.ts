import { FormatError, ResourceUnknown } from '../errors/gateway_error';
import type { ConsentAccess, ConsentGrant } from './consent';

export type AccessKind = 'account' | 'balances' | 'transactions';

const LIST_KINDS = ['accounts', 'balances', 'transactions'] as const;

/** IBANs a detailed consent names, in the order first named. */
export function requestedIbans(access: ConsentAccess): string[] {
  const seen = new Set<string>();
  for (const kind of LIST_KINDS) for (const ref of access[kind] ?? []) seen.add(ref.iban);
  return [...seen];
}

/**
 * Turns what the TPP asked for and what the PSU chose into the grant that reads are checked against.
 * - detailed consent (IBANs named): the PSU may narrow, never widen; every IBAN must be the PSU's own;
 * - bank-offered (lists present but empty), allPsd2, availableAccounts: the PSU's chosen accounts,
 *   all of the PSU's accounts when no choice is given.
 */
export function computeGrant(
  access: ConsentAccess,
  psuIbans: readonly string[],
  chosenIbans?: readonly string[],
): ConsentGrant {
  const own = new Set(psuIbans);
  const foreign = (chosenIbans ?? []).find((iban) => !own.has(iban));
  if (foreign !== undefined) {
    throw new ResourceUnknown(
      { text: 'An account granted is not an account of the PSU', detail: foreign },
      403,
    );
  }
  const requested = requestedIbans(access);
  let granted: string[];
  if (requested.length > 0) {
    granted = chosenIbans === undefined ? requested : requested.filter((iban) => chosenIbans.includes(iban));
    const widened = (chosenIbans ?? []).find((iban) => !requested.includes(iban));
    if (widened !== undefined) {
      throw new ResourceUnknown(
        { text: 'An account granted was not requested by the TPP', detail: widened },
        403,
      );
    }
    const notOwn = granted.find((iban) => !own.has(iban));
    if (notOwn !== undefined) {
      throw new ResourceUnknown(
        { text: 'The consent names an account the PSU does not hold', detail: notOwn },
        403,
      );
    }
  } else {
    granted = chosenIbans === undefined ? [...psuIbans] : [...chosenIbans];
  }
  if (granted.length === 0) throw new FormatError({ text: 'No account was granted', path: 'grantedIbans' });

  const forKind = (kind: (typeof LIST_KINDS)[number]): string[] => {
    const list = access[kind];
    if (list === undefined) return [];
    if (list.length === 0) return granted;
    return list.map((ref) => ref.iban).filter((iban) => granted.includes(iban));
  };
  if (access.allPsd2 !== undefined) {
    return {
      accounts: granted,
      balances: granted,
      transactions: granted,
      listOnly: false,
      listWithBalances: false,
    };
  }
  if (access.availableAccounts !== undefined) {
    return {
      accounts: granted,
      balances: [],
      transactions: [],
      listOnly: true,
      listWithBalances: access.availableAccounts === 'allAccountsWithBalances',
    };
  }
  return {
    accounts: forKind('accounts'),
    balances: forKind('balances'),
    transactions: forKind('transactions'),
    listOnly: false,
    listWithBalances: false,
  };
}

/** Every IBAN the consent lets the TPP see at all: balance or transaction access implies the account. */
export function visibleIbans(grant: ConsentGrant): string[] {
  return [...new Set([...grant.accounts, ...grant.balances, ...grant.transactions])];
}

export function grantAllows(grant: ConsentGrant, iban: string, kind: AccessKind): boolean {
  switch (kind) {
    case 'account':
      return !grant.listOnly && visibleIbans(grant).includes(iban);
    case 'balances':
      return grant.balances.includes(iban);
    case 'transactions':
      return grant.transactions.includes(iban);
  }
}
