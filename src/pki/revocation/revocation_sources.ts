/**
 * Every revocation source the gateway knows, consulted for one certificate, and the policy for when none
 * of them can answer.
 *
 * Order, for a certificate and the issuer path validation found for it:
 * 1. the CRL files the operator configured (GATEWAY_CRL), when one bears the issuer's name: local, so
 *    always consulted;
 * 2. the OCSP responders the certificate names in authorityInfoAccess, in its order, until one answers;
 * 3. only when no responder answered: the CRLs at the certificate's cRLDistributionPoints.
 * Any source that says revoked decides (401 CERTIFICATE_REVOKED). A fresh "good" from any source admits.
 * A certificate that names no source and whose issuer has no configured CRL is admitted unchecked, as
 * before (the trust store warns at start which configured CAs have no CRL). When sources exist but none
 * gave a fresh answer, `hard-fail` (the default) refuses (the client is told that no source answered; which
 * source failed how, with its URL, goes to the log as the refusal's detail), and
 * `soft-fail` admits, logs a warning, and lets the verdict be reused for SOFT_FAIL_RECHECK_MS only.
 *
 * At most MAX_OCSP_RESPONDERS responders and MAX_CRL_DISTRIBUTION_POINTS CRL locations are asked per
 * certificate, all fetches of one path share one deadline (`timeoutMs`), and a failed source is not asked
 * again for 30 s: a certificate naming many dead or slow sources costs one bounded wait, not one per source
 * and request.
 *
 * Answers carry their expiry (OCSP nextUpdate, CRL nextUpdate): the validator caps the verdict's validity
 * with it, so a cached verdict never outlives the revocation data it rests on.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../../audit/logger';
import { decodePemOrDer } from '../asn1/pem';
import type { ParsedCertificate } from '../certificate/parsed_certificate';
import {
  CrlRevocationChecker,
  type RevocationBudget,
  type RevocationChecker,
  type RevocationStatus,
} from '../path/revocation';
import { buildOcspRequest, judgeOcspResponse } from './ocsp';
import { clipped, ExpiringMemory } from './expiring_memory';
import { RevocationCache, type Loaded } from './revocation_cache';
import type { RevocationFetcher, RevocationFetchParams } from './revocation_fetcher';

export type RevocationPolicy = 'hard-fail' | 'soft-fail';

/** How long a soft-failed verdict may be reused before the sources are asked again. */
export const SOFT_FAIL_RECHECK_MS = 60_000;
const OCSP_MAX_BYTES = 64 * 1024;
/** Larger CRLs are refused: a 10 MB CRL already takes a noticeable synchronous parse. */
export const CRL_MAX_BYTES = 10 * 1024 * 1024;
/** The parsed distribution-point CRLs kept at once, by the size of their DER. */
const CRL_CACHE_MAX_BYTES = 64 * 1024 * 1024;
/** Sources asked per certificate: a certificate naming more cannot make a request wait for all of them. */
export const MAX_OCSP_RESPONDERS = 2;
export const MAX_CRL_DISTRIBUTION_POINTS = 2;
/** How long a location that could not be reached is not asked again (per URL, whatever the certificate). */
const UNREACHABLE_MS = 30_000;
/**
 * Unreachable locations remembered at once. A few responders and CRL locations per CA the anchor
 * vouches for are the honest need; the rest is room for a CA that names a location per certificate.
 */
export const MAX_REMEMBERED_LOCATIONS = 1024;

export interface RevocationSourcesOptions {
  /** The configured CRL files (GATEWAY_CRL). */
  files: CrlRevocationChecker;
  /** Fetches OCSP answers and distribution-point CRLs; without one, only the files are consulted. */
  fetcher?: RevocationFetcher | undefined;
  policy: RevocationPolicy;
  /**
   * Deadline of the whole online revocation check of one path on the request path (cold cache): every
   * fetch gets what is left of it. A background refresh gets this much per fetch.
   */
  timeoutMs: number;
  /** Allowance for the responder's clock (thisUpdate in the future, nextUpdate just passed); default 5 min. */
  clockSkewMs?: number;
  /** GATEWAY_CRL_GRACE_SECONDS, applied to distribution-point CRLs as to files. */
  crlGraceSeconds?: number;
  logger?: Logger | undefined;
  /** A background refresh changed an answer: cached verdicts must be dropped. */
  onChange?: () => void;
  /** Unreachable locations remembered at once; default MAX_REMEMBERED_LOCATIONS. */
  maxRememberedLocations?: number;
  /** OCSP answers (and OCSP failures) kept at once, per certificate and responder; default 10 000. */
  maxOcspAnswers?: number;
}

type OcspAnswer = { revoked: false } | { revoked: true; reason: string };

const fetchable = (url: string) => /^https?:\/\//i.test(url);

export class RevocationSources implements RevocationChecker {
  private readonly ocspCache: RevocationCache<OcspAnswer>;
  private readonly crlCache: RevocationCache<CrlRevocationChecker>;
  private readonly clockSkewMs: number;
  /**
   * Locations whose last fetch failed, and why, until they may be asked again. Only certificates on a
   * path that verified to the anchor reach `check` (ChainValidator runs revocation last), so only
   * locations a trusted CA wrote get here; the memory is bounded all the same.
   */
  private readonly unreachable: ExpiringMemory<string>;

  constructor(private readonly options: RevocationSourcesOptions) {
    const cacheOptions = options.onChange ? { onChange: options.onChange } : {};
    this.ocspCache = new RevocationCache({ ...cacheOptions, maxEntries: options.maxOcspAnswers ?? 10_000 });
    this.unreachable = new ExpiringMemory(options.maxRememberedLocations ?? MAX_REMEMBERED_LOCATIONS);
    this.crlCache = new RevocationCache<CrlRevocationChecker>({
      ...cacheOptions,
      maxEntries: 256,
      weigh: (checker) => checker.crls.reduce((sum, crl) => sum + crl.der.length, 0),
      maxWeight: CRL_CACHE_MAX_BYTES,
    });
    this.clockSkewMs = options.clockSkewMs ?? 5 * 60_000;
  }

  get policy(): RevocationPolicy {
    return this.options.policy;
  }

  /** Fetch counts of both caches (request path vs background), for tests and diagnostics. */
  get stats(): {
    ocsp: RevocationCache<OcspAnswer>['stats'];
    crl: RevocationCache<CrlRevocationChecker>['stats'];
  } {
    return { ocsp: this.ocspCache.stats, crl: this.crlCache.stats };
  }

  /** What is held in memory now, for tests and diagnostics. */
  get remembered(): {
    ocspAnswers: number;
    ocspFailures: number;
    crls: number;
    crlFailures: number;
    unreachableLocations: number;
  } {
    return {
      ocspAnswers: this.ocspCache.size,
      ocspFailures: this.ocspCache.failureCount,
      crls: this.crlCache.size,
      crlFailures: this.crlCache.failureCount,
      unreachableLocations: this.unreachable.size,
    };
  }

  close(): void {
    this.ocspCache.close();
    this.crlCache.close();
    this.unreachable.clear();
  }

  async check(
    cert: ParsedCertificate,
    issuer: ParsedCertificate,
    at: Date,
    budget: RevocationBudget = {},
  ): Promise<RevocationStatus> {
    /** Failures of the operator's CRL files: no network detail, so the client may read them. */
    const fileFailures: string[] = [];
    /** Failures of online sources: locations and network errors, for the log only. */
    const failures: string[] = [];
    let consulted = false;
    let answered = false;
    /** The earliest expiry among the answers that said good; undefined when none expires. */
    let goodUntil: Date | undefined;
    /** Which sources said good, for `source`. */
    const said: string[] = [];
    const good = (until: Date | undefined, source: string) => {
      answered = true;
      said.push(source);
      if (until !== undefined && (goodUntil === undefined || until < goodUntil)) goodUntil = until;
    };

    if (this.options.files.covers(issuer)) {
      consulted = true;
      const fileSource = `a configured CRL file (CRL of ${issuer.label})`;
      const status = await this.options.files.check(cert, issuer, at);
      if (status.status === 'revoked') return { ...status, source: fileSource };
      if (status.status === 'good') good(status.nextUpdate, fileSource);
      else fileFailures.push(`configured ${status.reason}`);
    }

    const fetcher = this.options.fetcher;
    const ocspUrls = cert.ocspUrls.filter(fetchable);
    const crlUrls = cert.crlDistributionPoints.flatMap((point) =>
      point.unusable === undefined ? point.urls.filter(fetchable).map((url) => ({ url, point })) : [],
    );
    let onlineAnswered = false;
    if (fetcher !== undefined) {
      // A source the certificate names that we cannot evaluate is a source that did not answer: admitting
      // the certificate as if it named none would let a CA's ldap:// or partitioned CRL go unheard.
      const unusable = unusableSources(cert);
      if (unusable.length > 0) {
        consulted = true;
        failures.push(`it names revocation sources the gateway cannot use (${unusable.join(', ')})`);
      }
      if (ocspUrls.length > MAX_OCSP_RESPONDERS)
        failures.push(`${ocspUrls.length - MAX_OCSP_RESPONDERS} more OCSP responders not asked`);
      for (const url of ocspUrls.slice(0, MAX_OCSP_RESPONDERS)) {
        consulted = true;
        const answer = await this.ocsp(fetcher, url, cert, issuer, at, budget);
        if (!answer.ok) {
          failures.push(`OCSP responder ${url}: ${answer.problem}`);
          continue;
        }
        if (answer.value.revoked)
          return {
            status: 'revoked',
            reason: answer.value.reason,
            source: `OCSP responder ${url}`,
          };
        good(answer.expiresAt, `OCSP responder ${url}`);
        onlineAnswered = true;
        break;
      }
      if (!onlineAnswered) {
        if (crlUrls.length > MAX_CRL_DISTRIBUTION_POINTS)
          failures.push(`${crlUrls.length - MAX_CRL_DISTRIBUTION_POINTS} more CRL locations not asked`);
        for (const { url, point } of crlUrls.slice(0, MAX_CRL_DISTRIBUTION_POINTS)) {
          consulted = true;
          const loaded = await this.distributionPoint(fetcher, url, issuer, at, budget);
          if (!loaded.ok) {
            failures.push(`CRL ${url}: ${loaded.problem}`);
            continue;
          }
          const status = await loaded.value.checkFor(cert, issuer, at, point);
          if (status.status === 'revoked') return { ...status, source: `the CRL at ${url}` };
          if (status.status === 'unknown') {
            failures.push(`CRL ${url}: ${status.reason}`);
            continue;
          }
          good(status.nextUpdate, `the CRL at ${url}`);
          break;
        }
      }
    }

    if (answered) {
      const source = said.join('; ');
      return goodUntil === undefined
        ? { status: 'good', source }
        : { status: 'good', nextUpdate: goodUntil, source };
    }
    if (!consulted)
      return {
        status: 'good',
        unchecked:
          fetcher === undefined &&
          (ocspUrls.length > 0 || crlUrls.length > 0 || unusableSources(cert).length > 0)
            ? 'the sources the certificate names are online, and fetching is off'
            : 'the certificate names no revocation source and no CRL file covers its issuer',
      };
    // The client learns that no online source answered and which kinds it cannot use; locations and
    // network errors (what our network can reach, and how) go to the log only.
    const unusable = fetcher === undefined ? [] : unusableSources(cert);
    const told = [...fileFailures];
    if (failures.length > 0)
      told.push(
        `no revocation source answered${
          unusable.length > 0 ? ` (it names sources the gateway cannot use: ${unusable.join(', ')})` : ''
        }`,
      );
    const reason = `revocation status of ${cert.label} could not be established: ${told.join('; ')}`;
    const detail = [...fileFailures, ...failures].join('; ');
    if (this.options.policy === 'soft-fail') {
      this.options.logger?.warn(
        {
          event: 'revocation_soft_fail',
          certificate: cert.label,
          serial: cert.serialHex,
          failures: [...fileFailures, ...failures],
        },
        `${reason}: ${detail}; admitted because GATEWAY_REVOCATION=soft-fail`,
      );
      return {
        status: 'good',
        nextUpdate: new Date(at.getTime() + SOFT_FAIL_RECHECK_MS),
        unchecked: `no source answered (${detail}); admitted under soft-fail`,
      };
    }
    return failures.length > 0 ? { status: 'unknown', reason, detail } : { status: 'unknown', reason };
  }

  private ocsp(
    fetcher: RevocationFetcher,
    url: string,
    cert: ParsedCertificate,
    issuer: ParsedCertificate,
    at: Date,
    budget: RevocationBudget,
  ): Promise<Loaded<OcspAnswer>> {
    return this.ocspCache.get(
      cacheKey(url, keyHash(issuer), cert.serialHex),
      at,
      async (when, background) => {
        const request = buildOcspRequest(cert, issuer);
        const fetched = await this.fetch(
          fetcher,
          {
            url,
            body: { bytes: request.der, contentType: 'application/ocsp-request' },
            accept: 'application/ocsp-response',
            maxBytes: OCSP_MAX_BYTES,
          },
          background ? undefined : budget,
        );
        if (!fetched.ok) return fetched;
        const response = fetched.body;
        const verdict = judgeOcspResponse({
          response,
          request,
          cert,
          issuer,
          at: when,
          clockSkewMs: this.clockSkewMs,
        });
        if (verdict.status === 'unusable') return { ok: false, problem: verdict.problem };
        if (verdict.status === 'good')
          return { ok: true, value: { revoked: false }, expiresAt: verdict.expiresAt, fingerprint: 'good' };
        const why = verdict.reason ? ` (${verdict.reason})` : '';
        return {
          ok: true,
          value: {
            revoked: true,
            reason: `certificate ${cert.label} serial ${cert.serialHex} was revoked at ${verdict.revokedAt.toISOString()}${why} (OCSP)`,
          },
          expiresAt: verdict.expiresAt,
          fingerprint: 'revoked',
        };
      },
    );
  }

  private distributionPoint(
    fetcher: RevocationFetcher,
    url: string,
    issuer: ParsedCertificate,
    at: Date,
    budget: RevocationBudget,
  ): Promise<Loaded<CrlRevocationChecker>> {
    return this.crlCache.get(cacheKey(url, keyHash(issuer)), at, async (when, background) => {
      const fetched = await this.fetch(
        fetcher,
        { url, accept: 'application/pkix-crl', maxBytes: CRL_MAX_BYTES },
        background ? undefined : budget,
      );
      if (!fetched.ok) return fetched;
      const body = fetched.body;
      let checker: CrlRevocationChecker;
      try {
        checker = new CrlRevocationChecker(
          decodePemOrDer(Buffer.from(body), 'X509 CRL'),
          this.options.crlGraceSeconds ?? 0,
        );
      } catch (error) {
        return { ok: false, problem: `not a CRL (${(error as Error).message})` };
      }
      const crl = checker.crls[0];
      if (crl === undefined || checker.size !== 1)
        return { ok: false, problem: 'does not hold exactly one CRL' };
      const problem = checker.unusableFor(crl, issuer, when);
      if (problem !== undefined) return { ok: false, problem };
      return {
        ok: true,
        value: checker,
        // Within GATEWAY_CRL_GRACE_SECONDS a late CRL still counts, so it is kept that long too.
        expiresAt: new Date((crl.nextUpdate ?? when).getTime() + (this.options.crlGraceSeconds ?? 0) * 1000),
        fingerprint: createHash('sha256').update(crl.der).digest('base64'),
      };
    });
  }

  /**
   * One exchange within what is left of the request's budget (none for a background refresh). A location
   * that failed in transport is not asked again for UNREACHABLE_MS, whichever certificate names it.
   */
  private async fetch(
    fetcher: RevocationFetcher,
    params: Omit<RevocationFetchParams, 'timeoutMs'>,
    budget: RevocationBudget | undefined,
  ): Promise<Fetched> {
    const now = Date.now();
    const down = this.unreachable.get(params.url, now);
    if (down !== undefined) return { ok: false, problem: down };
    let timeoutMs = this.options.timeoutMs;
    if (budget !== undefined) {
      budget.deadline ??= now + this.options.timeoutMs;
      timeoutMs = Math.min(timeoutMs, budget.deadline - now);
      if (timeoutMs <= 0)
        return {
          ok: false,
          problem: `not asked: the revocation check had used its ${this.options.timeoutMs} ms`,
          transient: true,
        };
    }
    try {
      return { ok: true, body: await fetcher.fetch({ ...params, timeoutMs }) };
    } catch (error) {
      const problem = (error as Error).message;
      // Running out of a budget shortened by other sources says nothing about this one.
      if (timeoutMs < this.options.timeoutMs) return { ok: false, problem, transient: true };
      this.unreachable.set(params.url, clipped(problem), now + UNREACHABLE_MS, now);
      return { ok: false, problem };
    }
  }
}

/** What the certificate names that no fetch could evaluate, described without the locations. */
function unusableSources(cert: ParsedCertificate): string[] {
  const scheme = (url: string) => /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase() ?? 'unknown';
  const found = new Set<string>();
  for (const url of cert.ocspUrls)
    if (!fetchable(url)) found.add(`an OCSP responder at a ${scheme(url)} location`);
  for (const point of cert.crlDistributionPoints) {
    if (point.unusable !== undefined) found.add(point.unusable);
    else if (!point.urls.some(fetchable))
      found.add(
        point.urls.length === 0
          ? 'a CRL distribution point without a URI'
          : `a CRL distribution point at ${point.urls.map(scheme).join('/')} locations only`,
      );
  }
  return [...found];
}

type Fetched = { ok: true; body: Uint8Array } | Extract<Loaded<never>, { ok: false }>;

function keyHash(cert: ParsedCertificate): string {
  return createHash('sha256').update(cert.spki).digest('base64url');
}

/** A cache key of fixed size, however long the location a certificate names. */
function cacheKey(...parts: string[]): string {
  return createHash('sha256').update(parts.join('\u0000')).digest('base64url');
}
