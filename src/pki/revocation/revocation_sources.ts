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
 * gave a fresh answer, `hard-fail` (the default) refuses with a text naming each source's failure, and
 * `soft-fail` admits, logs a warning, and lets the verdict be reused for SOFT_FAIL_RECHECK_MS only.
 *
 * Answers carry their expiry (OCSP nextUpdate, CRL nextUpdate): the validator caps the verdict's validity
 * with it, so a cached verdict never outlives the revocation data it rests on.
 */
import { createHash } from 'node:crypto';
import type { Logger } from '../../audit/logger';
import { decodePemOrDer } from '../asn1/pem';
import type { ParsedCertificate } from '../certificate/parsed_certificate';
import { CrlRevocationChecker, type RevocationChecker, type RevocationStatus } from '../path/revocation';
import { buildOcspRequest, judgeOcspResponse } from './ocsp';
import { RevocationCache, type Loaded } from './revocation_cache';
import type { RevocationFetcher } from './revocation_fetcher';

export type RevocationPolicy = 'hard-fail' | 'soft-fail';

/** How long a soft-failed verdict may be reused before the sources are asked again. */
export const SOFT_FAIL_RECHECK_MS = 60_000;
const OCSP_MAX_BYTES = 64 * 1024;
const CRL_MAX_BYTES = 20 * 1024 * 1024;

export interface RevocationSourcesOptions {
  /** The configured CRL files (GATEWAY_CRL). */
  files: CrlRevocationChecker;
  /** Fetches OCSP answers and distribution-point CRLs; without one, only the files are consulted. */
  fetcher?: RevocationFetcher | undefined;
  policy: RevocationPolicy;
  /** Deadline of one fetch on the request path (cold cache). */
  timeoutMs: number;
  /** Allowance for the responder's clock (thisUpdate in the future, nextUpdate just passed); default 5 min. */
  clockSkewMs?: number;
  /** GATEWAY_CRL_GRACE_SECONDS, applied to distribution-point CRLs as to files. */
  crlGraceSeconds?: number;
  logger?: Logger | undefined;
  /** A background refresh changed an answer: cached verdicts must be dropped. */
  onChange?: () => void;
}

type OcspAnswer = { revoked: false } | { revoked: true; reason: string };

const fetchable = (url: string) => /^https?:\/\//i.test(url);

export class RevocationSources implements RevocationChecker {
  private readonly ocspCache: RevocationCache<OcspAnswer>;
  private readonly crlCache: RevocationCache<CrlRevocationChecker>;
  private readonly clockSkewMs: number;

  constructor(private readonly options: RevocationSourcesOptions) {
    const cacheOptions = options.onChange ? { onChange: options.onChange } : {};
    this.ocspCache = new RevocationCache(cacheOptions);
    this.crlCache = new RevocationCache(cacheOptions);
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

  close(): void {
    this.ocspCache.close();
    this.crlCache.close();
  }

  async check(cert: ParsedCertificate, issuer: ParsedCertificate, at: Date): Promise<RevocationStatus> {
    const failures: string[] = [];
    let consulted = false;
    let answered = false;
    /** The earliest expiry among the answers that said good; undefined when none expires. */
    let goodUntil: Date | undefined;
    const good = (until: Date | undefined) => {
      answered = true;
      if (until !== undefined && (goodUntil === undefined || until < goodUntil)) goodUntil = until;
    };

    if (this.options.files.covers(issuer)) {
      consulted = true;
      const status = await this.options.files.check(cert, issuer, at);
      if (status.status === 'revoked') return status;
      if (status.status === 'good') good(status.nextUpdate);
      else failures.push(`configured ${status.reason}`);
    }

    const fetcher = this.options.fetcher;
    const ocspUrls = cert.ocspUrls.filter(fetchable);
    const crlUrls = cert.crlDistributionUrls.filter(fetchable);
    let onlineAnswered = false;
    if (fetcher !== undefined) {
      for (const url of ocspUrls) {
        consulted = true;
        const answer = await this.ocsp(fetcher, url, cert, issuer, at);
        if (!answer.ok) {
          failures.push(`OCSP responder ${url}: ${answer.problem}`);
          continue;
        }
        if (answer.value.revoked) return { status: 'revoked', reason: answer.value.reason };
        good(answer.expiresAt);
        onlineAnswered = true;
        break;
      }
      if (!onlineAnswered) {
        for (const url of crlUrls) {
          consulted = true;
          const loaded = await this.distributionPoint(fetcher, url, issuer, at);
          if (!loaded.ok) {
            failures.push(`CRL ${url}: ${loaded.problem}`);
            continue;
          }
          const status = await loaded.value.check(cert, issuer, at);
          if (status.status === 'revoked') return status;
          if (status.status === 'unknown') {
            failures.push(`CRL ${url}: ${status.reason}`);
            continue;
          }
          good(status.nextUpdate);
          break;
        }
      }
    }

    if (answered)
      return goodUntil === undefined ? { status: 'good' } : { status: 'good', nextUpdate: goodUntil };
    if (!consulted) return { status: 'good' };
    const reason = `revocation status of ${cert.label} could not be established: ${failures.join('; ')}`;
    if (this.options.policy === 'soft-fail') {
      this.options.logger?.warn(
        { event: 'revocation_soft_fail', certificate: cert.label, serial: cert.serialHex, failures },
        `${reason}; admitted because GATEWAY_REVOCATION=soft-fail`,
      );
      return { status: 'good', nextUpdate: new Date(at.getTime() + SOFT_FAIL_RECHECK_MS) };
    }
    return { status: 'unknown', reason };
  }

  private ocsp(
    fetcher: RevocationFetcher,
    url: string,
    cert: ParsedCertificate,
    issuer: ParsedCertificate,
    at: Date,
  ): Promise<Loaded<OcspAnswer>> {
    const key = `${url}|${keyHash(issuer)}|${cert.serialHex}`;
    return this.ocspCache.get(key, at, async (when) => {
      const request = buildOcspRequest(cert, issuer);
      const response = await fetcher.fetch({
        url,
        body: { bytes: request.der, contentType: 'application/ocsp-request' },
        accept: 'application/ocsp-response',
        timeoutMs: this.options.timeoutMs,
        maxBytes: OCSP_MAX_BYTES,
      });
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
    });
  }

  private distributionPoint(
    fetcher: RevocationFetcher,
    url: string,
    issuer: ParsedCertificate,
    at: Date,
  ): Promise<Loaded<CrlRevocationChecker>> {
    return this.crlCache.get(`${url}|${keyHash(issuer)}`, at, async (when) => {
      const body = await fetcher.fetch({
        url,
        accept: 'application/pkix-crl',
        timeoutMs: this.options.timeoutMs,
        maxBytes: CRL_MAX_BYTES,
      });
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
}

function keyHash(cert: ParsedCertificate): string {
  return createHash('sha256').update(cert.spki).digest('base64url');
}
