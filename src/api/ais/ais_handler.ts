import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Account, BankCallContext, BankConnector } from '../../bank/bank_connector';
import type { Consent, ConsentGrant } from '../../consent/consent';
import { grantAllows, visibleIbans, type AccessKind } from '../../consent/consent_grant';
import type { ConsentService } from '../../consent/consent_service';
import { ConsentInvalid, FormatError, ResourceUnknown } from '../../errors/gateway_error';
import type { OperationContext } from '../openapi_operations';
import { getRequestId, requireTppIdentity } from '../request_context';
import type { TppIdentity } from '../../pki/identity/tpp_identity';

/** What the AIS handlers share; assembled once by createAisApi. */
export interface AisHandlerDeps {
  consents: ConsentService;
  accounts: BankConnector;
  publicUrl: string;
  clock: () => Date;
  accessCheck: (req: IncomingMessage, res: ServerResponse, consentId: string) => Promise<void>;
  tokenBindingCheck: (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  onConsentDeleted?: (consentId: string) => Promise<void>;
  tppDnsNames?: (res: ServerResponse) => readonly string[] | undefined;
  /**
   * The last gate of a read in place of ConsentService.admitRead, where instances share a store: confirms
   * in the store what the earlier gates read from cached copies, and counts the read.
   */
  admitRead?: (req: IncomingMessage, res: ServerResponse, gate: ReadGateState) => Promise<void>;
}

/** A handler's answer; the router writes it, so response validation sees exactly what is sent. */
export interface AisResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type AisHandler = (
  context: OperationContext,
  req: IncomingMessage,
  res: ServerResponse,
) => Promise<AisResult>;

/** A header value as openapi-backend hands it over (names lower-cased), first value if repeated. */
export function header(context: OperationContext, name: string): string | undefined {
  const value: unknown = context.request.headers[name.toLowerCase()];
  const first: unknown = Array.isArray(value) ? value[0] : value;
  return typeof first === 'string' ? first : undefined;
}

export function param(context: OperationContext, name: string): string {
  const value: unknown = context.request.params[name];
  if (typeof value !== 'string') throw new FormatError({ text: `${name} is required`, path: name });
  return value;
}

export function query(context: OperationContext, name: string): string | undefined {
  const value: unknown = context.request.query[name];
  const first: unknown = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === null ? undefined : String(first);
}

export type ReadableConsent = Consent & { grant: ConsentGrant };

export interface ReadGateState {
  tpp: TppIdentity;
  consent: ReadableConsent;
  /** PSU-IP-Address present: the PSU is asking now, so the read does not count against frequencyPerDay. */
  psuInitiated: boolean;
  /** Who the bank calls of this read serve: the TPP's X-Request-ID, organizationIdentifier and consent. */
  bank: BankCallContext;
}

export interface ReadGate extends ReadGateState {
  /**
   * The last gate, once the handler has checked what it reads: reads the PSU is not actively asking for
   * count against frequencyPerDay (429 ACCESS_EXCEEDED past it).
   */
  admit(): Promise<void>;
}

/**
 * The first steps of every AIS read, in order: a bearer token bound to another certificate is refused
 * (its verdict does not depend on who owns the consent), the Consent-ID belongs to the caller (else 400
 * CONSENT_UNKNOWN, same as an unknown id), it is valid and within validUntil, then the full token check.
 */
export async function openRead(
  deps: AisHandlerDeps,
  context: OperationContext,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<ReadGate> {
  const tpp = requireTppIdentity(res);
  const consentId = header(context, 'Consent-ID');
  if (consentId === undefined)
    throw new FormatError({ text: 'Consent-ID is required', path: 'header.Consent-ID' });
  await deps.tokenBindingCheck(req, res);
  const consent = await deps.consents.openForRead(consentId, tpp);
  await deps.accessCheck(req, res, consent.id);
  // Validated as a UUID by the document; the front door's own id covers a missing header.
  const requestId = header(context, 'X-Request-ID') ?? getRequestId(res) ?? randomUUID();
  return new OpenedRead(deps, req, res, tpp, consent, header(context, 'PSU-IP-Address') !== undefined, {
    requestId,
    tppOrganizationIdentifier: tpp.organizationIdentifier,
    consentId: consent.id,
  });
}

/** A read past its first gates: one object per read, its last gate a method rather than a closure. */
class OpenedRead implements ReadGate {
  constructor(
    private readonly deps: AisHandlerDeps,
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    readonly tpp: TppIdentity,
    readonly consent: ReadableConsent,
    readonly psuInitiated: boolean,
    readonly bank: BankCallContext,
  ) {}

  admit(): Promise<void> {
    const { admitRead } = this.deps;
    return admitRead !== undefined
      ? admitRead(this.req, this.res, this)
      : this.deps.consents.admitRead(this.consent, this.psuInitiated);
  }
}

const NOT_IN_CONSENT = 'The account is unknown or not covered by the consent';

/**
 * The account behind `account-id` if the consent lets the caller use it for `kind`. Accounts outside the
 * consent get the same 404 as accounts that do not exist, so account ids cannot be probed; an account
 * inside the consent without the kind of access asked for gets 401 CONSENT_INVALID.
 */
export async function accountInConsent(
  deps: AisHandlerDeps,
  gate: ReadGate,
  resourceId: string,
  kind: AccessKind,
): Promise<Account> {
  const { consent } = gate;
  const account = await deps.accounts.accountByResourceId(resourceId, gate.bank);
  if (account === undefined || !visibleIbans(consent.grant).includes(account.iban)) {
    throw new ResourceUnknown({ text: NOT_IN_CONSENT, path: 'account-id' }, 404);
  }
  if (!grantAllows(consent.grant, account.iban, kind)) {
    const what = kind === 'account' ? 'account details' : kind;
    throw new ConsentInvalid({ text: `The consent does not grant access to ${what} of this account` });
  }
  return account;
}

/** The Berlin Group view of an account, with links only to what the consent grants. */
export function accountView(account: Account, grant: ConsentGrant): Record<string, unknown> {
  const links: Record<string, { href: string }> = {};
  const base = `/v1/accounts/${encodeURIComponent(account.resourceId)}`;
  if (grantAllows(grant, account.iban, 'balances')) links.balances = { href: `${base}/balances` };
  if (grantAllows(grant, account.iban, 'transactions')) links.transactions = { href: `${base}/transactions` };
  return {
    resourceId: account.resourceId,
    iban: account.iban,
    bic: account.bic,
    currency: account.currency,
    name: account.name,
    ownerName: account.ownerName,
    product: account.product,
    cashAccountType: account.cashAccountType,
    status: 'enabled',
    usage: 'PRIV',
    ...(Object.keys(links).length > 0 ? { _links: links } : {}),
  };
}

export function wantsBalances(context: OperationContext): boolean {
  return query(context, 'withBalance') === 'true';
}
