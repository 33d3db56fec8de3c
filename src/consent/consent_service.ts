import { randomBytes, randomUUID } from 'node:crypto';
import type { BankConnector } from '../bank/bank_connector';
import { isValidIban } from '../accounts/iban';
import {
  AccessExceeded,
  ConsentExpired,
  ConsentInvalid,
  ConsentUnknown,
  FormatError,
  ResourceUnknown,
  StatusInvalid,
} from '../errors/gateway_error';
import type { TppIdentity } from '../pki/identity/tpp_identity';
import { utcDay, type Consent, type ConsentAccess, type ConsentStatus } from './consent';
import { computeGrant } from './consent_grant';
import type { ConsentListFilter, ConsentRepository } from './consent_repository';
import { RedirectUriPolicy } from './redirect_uri_policy';
import { NO_AUDIT, type AuditEventType, type AuditTrail } from '../audit/audit_trail';

export interface ConsentServiceOptions {
  repository: ConsentRepository;
  /** Used when a PSU authorises: who the PSU is and which accounts are theirs. */
  accounts: Pick<BankConnector, 'findPsu' | 'accountsOfPsu'>;
  clock?: () => Date;
  redirectUriPolicy?: RedirectUriPolicy;
  /** Every change of a consent's status is appended here (RTS Art. 29). */
  audit?: AuditTrail;
}

export interface CreateConsentParams {
  tpp: TppIdentity;
  /** dNSName entries of the TPP's leaf certificate, for the redirect-URI rule (see RedirectUriPolicy). */
  tppDnsNames?: readonly string[];
  tppRedirectUri: string | undefined;
  access: ConsentAccess;
  recurringIndicator: boolean;
  validUntil: string;
  frequencyPerDay: number;
  combinedServiceIndicator: boolean;
}

/** Where the TPP named the consent: Berlin Group answers 403 for a path, 400 for a header or body. */
export type ConsentIdLocation = 'path' | 'header';

/** The same words whether the consent does not exist or belongs to someone else: no existence oracle. */
const UNKNOWN_TEXT = 'The consent is unknown to this TPP';

export const FREQUENCY_EXHAUSTED = 'frequencyPerDay is exhausted for today (UTC)';

const LIVE: readonly ConsentStatus[] = ['received', 'valid'];

/**
 * 24 random bytes, base64url: 192 bits, 32 URL-safe characters. An id never starts with `-` or `_`, so
 * it cannot be mistaken for an option on any command line (one draw in 32 would); redrawing keeps every
 * remaining id equally likely.
 */
export function newConsentId(): string {
  for (;;) {
    const id = randomBytes(24).toString('base64url');
    if (/^[A-Za-z0-9]/.test(id)) return id;
  }
}

function validateAccess(access: ConsentAccess): void {
  const lists = (['accounts', 'balances', 'transactions'] as const).filter((k) => access[k] !== undefined);
  const global = access.allPsd2 !== undefined || access.availableAccounts !== undefined;
  if (lists.length === 0 && !global) {
    throw new FormatError({
      text: 'access must name accounts, balances, transactions, availableAccounts or allPsd2',
      path: 'body.access',
    });
  }
  if (access.allPsd2 !== undefined && access.availableAccounts !== undefined) {
    throw new FormatError({ text: 'allPsd2 and availableAccounts cannot be combined', path: 'body.access' });
  }
  if (global && lists.length > 0) {
    throw new FormatError({
      text: 'allPsd2 and availableAccounts cannot be combined with account lists',
      path: 'body.access',
    });
  }
  const emptyLists = lists.filter((k) => access[k]?.length === 0);
  if (emptyLists.length > 0 && emptyLists.length < lists.length) {
    throw new FormatError({
      text: 'Either name accounts in every list or leave every list empty (bank-offered consent)',
      path: `body.access.${emptyLists[0] ?? 'accounts'}`,
    });
  }
  for (const kind of lists) {
    (access[kind] ?? []).forEach((ref, index) => {
      if (!isValidIban(ref.iban)) {
        throw new FormatError({
          text: 'Invalid IBAN check digits',
          path: `body.access.${kind}[${index}].iban`,
        });
      }
    });
  }
}

/**
 * Consent lifecycle and the checks every AIS read passes. Consents belong to the TPP whose certificate
 * created them; every lookup on a TPP's behalf compares the caller's organizationIdentifier.
 *
 *   received ──authorise──▶ valid ──revokeByPsu──▶ revokedByPsu
 *      │ reject                │ validUntil passes ─▶ expired
 *      ▼                       │ DELETE by the TPP ─▶ terminatedByTpp (also from received)
 *   rejected
 */
export class ConsentService {
  private readonly repository: ConsentRepository;
  private readonly accounts: ConsentServiceOptions['accounts'];
  private readonly clock: () => Date;
  private readonly redirectUriPolicy: RedirectUriPolicy;
  private readonly audit: AuditTrail;

  constructor(options: ConsentServiceOptions) {
    this.audit = options.audit ?? NO_AUDIT;
    this.repository = options.repository;
    this.accounts = options.accounts;
    this.clock = options.clock ?? (() => new Date());
    this.redirectUriPolicy = options.redirectUriPolicy ?? new RedirectUriPolicy();
  }

  private today(): string {
    return utcDay(this.clock());
  }

  /** A new consent, and the warning to pass on when its redirect host was admitted unverified. */
  async create(params: CreateConsentParams): Promise<{ consent: Consent; warning?: string }> {
    const checked = await this.redirectUriPolicy.check(params.tppRedirectUri, params.tpp, {
      dnsNames: params.tppDnsNames,
      commonName: params.tpp.commonName,
      subjectAltName: params.tpp.subjectAltName,
    });
    const tppRedirectUri = checked.uri;
    validateAccess(params.access);
    if (params.validUntil < this.today()) {
      throw new FormatError({ text: 'validUntil lies in the past', path: 'body.validUntil' });
    }
    if (!params.recurringIndicator && params.frequencyPerDay !== 1) {
      throw new FormatError({
        text: 'A one-off consent has frequencyPerDay 1',
        path: 'body.frequencyPerDay',
      });
    }
    if (params.access.availableAccounts !== undefined && params.recurringIndicator) {
      throw new FormatError({
        text: 'availableAccounts consents are one-off',
        path: 'body.recurringIndicator',
      });
    }
    const now = this.clock();
    const consent: Consent = {
      id: newConsentId(),
      owner: {
        organizationIdentifier: params.tpp.organizationIdentifier,
        name: params.tpp.name,
        ncaName: params.tpp.ncaName,
        ncaId: params.tpp.ncaId,
        certificateThumbprint: params.tpp.thumbprintS256,
      },
      tppRedirectUri,
      status: 'received',
      access: params.access,
      grant: undefined,
      psuId: undefined,
      recurringIndicator: params.recurringIndicator,
      validUntil: params.validUntil,
      frequencyPerDay: params.frequencyPerDay,
      combinedServiceIndicator: params.combinedServiceIndicator,
      createdAt: now,
      lastActionDate: utcDay(now),
    };
    await this.repository.insert(consent);
    this.record('consent.created', consent);
    if (checked.warning === undefined) return { consent };
    // GATEWAY_REDIRECT_URI_CHECK=warn: each admission on an unverified host is on the record.
    this.audit.append({
      type: 'consent.redirect_uri_unverified',
      tpp: consent.owner.organizationIdentifier,
      thumbprint: consent.owner.certificateThumbprint,
      subject: consent.id,
      detail: { redirectHost: new URL(tppRedirectUri).hostname, warning: checked.warning },
    });
    return { consent, warning: checked.warning };
  }

  /**
   * Marks a live consent past its validUntil as expired, so every reader sees the same status. A consent
   * that is not due is handed back as it is, without a promise: that is every read of a valid consent.
   */
  private settleExpiry(consent: Consent): Consent | Promise<Consent> {
    if (!LIVE.includes(consent.status) || consent.validUntil >= this.today()) return consent;
    return this.expire(consent);
  }

  private async expire(consent: Consent): Promise<Consent> {
    const expired = await this.repository.transition(consent.id, {
      from: LIVE,
      to: 'expired',
      lastActionDate: this.today(),
    });
    if (expired !== undefined) this.record('consent.expired', expired);
    return expired ?? (await this.repository.findById(consent.id)) ?? consent;
  }

  /** For the PSU's authorisation page and the CLI: no owner check. Applies expiry. */
  async findById(consentId: string): Promise<Consent | undefined> {
    const consent = await this.repository.findById(consentId);
    return consent === undefined ? undefined : this.settleExpiry(consent);
  }

  async list(filter?: ConsentListFilter): Promise<Consent[]> {
    return Promise.all((await this.repository.list(filter)).map((c) => this.settleExpiry(c)));
  }

  /** The consent if `tpp` owns it; otherwise exactly the refusal an unknown id gets. */
  async getForTpp(consentId: string, tpp: TppIdentity, location: ConsentIdLocation): Promise<Consent> {
    const consent = await this.repository.findById(consentId);
    if (consent === undefined || consent.owner.organizationIdentifier !== tpp.organizationIdentifier) {
      throw new ConsentUnknown(
        { text: UNKNOWN_TEXT, path: location === 'path' ? 'consentId' : 'header.Consent-ID' },
        location === 'path' ? 403 : 400,
      );
    }
    return this.settleExpiry(consent);
  }

  async terminateByTpp(consentId: string, tpp: TppIdentity): Promise<Consent> {
    const consent = await this.getForTpp(consentId, tpp, 'path');
    const terminated = await this.repository.transition(consent.id, {
      from: LIVE,
      to: 'terminatedByTpp',
      lastActionDate: this.today(),
    });
    if (terminated === undefined) {
      throw new StatusInvalid({
        text: 'The consent is already finalised',
        detail: `status ${consent.status}`,
      });
    }
    this.record('consent.terminated', terminated);
    return terminated;
  }

  /**
   * The PSU approves: the consent becomes valid for `grantedIbans` (default: what the TPP asked for, or all
   * the PSU's accounts for bank-offered, allPsd2 and availableAccounts consents). Only the PSU's own
   * accounts can be granted.
   */
  async authorise(consentId: string, psuId: string, grantedIbans?: readonly string[]): Promise<Consent> {
    const consent = await this.requireReceived(consentId);
    // The PSU's browser is not the TPP's request: the bank calls get an id of their own.
    const bank = {
      requestId: randomUUID(),
      tppOrganizationIdentifier: consent.owner.organizationIdentifier,
      consentId: consent.id,
    };
    const psu = await this.accounts.findPsu(psuId, bank);
    if (psu === undefined) throw new ResourceUnknown({ text: 'Unknown PSU', detail: psuId }, 404);
    const own = (await this.accounts.accountsOfPsu(psu.psuId, bank)).map((a) => a.iban);
    const grant = computeGrant(consent.access, own, grantedIbans);
    const valid = await this.repository.transition(consent.id, {
      from: ['received'],
      to: 'valid',
      lastActionDate: this.today(),
      psuId: psu.psuId,
      grant,
    });
    if (valid === undefined) throw new StatusInvalid('The consent was decided concurrently');
    this.record('consent.authorised', valid);
    return valid;
  }

  /** The PSU declines (or the authorisation fails): received → rejected. */
  async reject(consentId: string, psuId?: string): Promise<Consent> {
    await this.requireReceived(consentId);
    const rejected = await this.repository.transition(consentId, {
      from: ['received'],
      to: 'rejected',
      lastActionDate: this.today(),
      ...(psuId !== undefined ? { psuId } : {}),
    });
    if (rejected === undefined) throw new StatusInvalid('The consent was decided concurrently');
    this.record('consent.rejected', rejected);
    return rejected;
  }

  /** The latest day a read was counted against frequencyPerDay. */
  lastUsedDay(consentId: string): Promise<string | undefined> {
    return this.repository.lastAccessDay(consentId);
  }

  /** The PSU withdraws a consent they granted: valid → revokedByPsu. */
  async revokeByPsu(consentId: string, psuId: string): Promise<Consent> {
    const consent = await this.findById(consentId);
    if (consent === undefined || consent.psuId !== psuId) {
      throw new ConsentUnknown({ text: UNKNOWN_TEXT, path: 'consentId' }, 403);
    }
    const revoked = await this.repository.transition(consentId, {
      from: ['valid'],
      to: 'revokedByPsu',
      lastActionDate: this.today(),
    });
    if (revoked === undefined)
      throw new StatusInvalid({ text: 'The consent is not valid', detail: consent.status });
    this.record('consent.revoked', revoked);
    return revoked;
  }

  private record(type: AuditEventType, consent: Consent): void {
    this.audit.append({
      type,
      tpp: consent.owner.organizationIdentifier,
      thumbprint: consent.owner.certificateThumbprint,
      subject: consent.id,
      detail: {
        status: consent.status,
        recurring: consent.recurringIndicator,
        validUntil: consent.validUntil,
      },
    });
  }

  private async requireReceived(consentId: string): Promise<Consent> {
    const consent = await this.findById(consentId);
    if (consent === undefined) throw new ConsentUnknown({ text: UNKNOWN_TEXT, path: 'consentId' }, 403);
    if (consent.status === 'expired') throw new ConsentExpired('The consent has expired');
    if (consent.status !== 'received') {
      throw new StatusInvalid({ text: 'The consent is already decided', detail: `status ${consent.status}` });
    }
    return consent;
  }

  /**
   * First gate of every AIS read: the consent named in the Consent-ID header belongs to the caller,
   * is valid and not past validUntil.
   */
  async openForRead(
    consentId: string,
    tpp: TppIdentity,
  ): Promise<Consent & { grant: NonNullable<Consent['grant']> }> {
    const consent = await this.getForTpp(consentId, tpp, 'header');
    if (consent.status === 'expired') throw new ConsentExpired('The consent has expired');
    if (consent.status !== 'valid' || consent.grant === undefined) {
      throw new ConsentInvalid({ text: 'The consent is not valid', detail: `status ${consent.status}` });
    }
    return { ...consent, grant: consent.grant };
  }

  /**
   * Last gate of a read: reads the PSU is not actively asking for (no PSU-IP-Address) count against
   * frequencyPerDay, per UTC calendar day; the first one over the limit is refused.
   */
  async admitRead(consent: Consent, psuInitiated: boolean): Promise<void> {
    if (psuInitiated) return;
    const admitted = await this.repository.admitAccess(consent.id, this.today(), consent.frequencyPerDay);
    if (!admitted) throw new AccessExceeded(FREQUENCY_EXHAUSTED);
  }
}
