import { randomBytes } from 'node:crypto';
import { dynamicLinkingMessage, type AuthorisationSubject } from './authorisation_subject';
import type { OneTimeCodeVerifier } from './one_time_code_verifier';
import { hotp, timeStep, verifyTotp } from './totp';

/**
 * The sandbox's second factor: each sandbox customer's authenticator holds a published TOTP seed (RFC
 * 6238, HMAC-SHA1, 30 s, 6 digits, as every authenticator app does it). For a payment the code is computed
 * over the time step and the payment's amount and payee (see dynamicLinkingMessage), so it authorises only
 * that payment.
 *
 * A code is accepted one step either side of now. Reuse within that window is not tracked: every consent
 * and payment can be authorised once only, which already stops a code from being spent twice on the same
 * thing, and sandbox tools (bench, conformance) sign in many times a minute. A bank's own identity provider
 * enforces RFC 6238 §5.2 single use.
 */
export class SandboxOneTimeCodes implements OneTimeCodeVerifier {
  private readonly seeds: Map<string, Buffer>;
  /** Stands in for an unknown user's seed; random per process, so no code matches it knowingly. */
  private readonly decoy = randomBytes(20);

  constructor(seeds: Iterable<{ psuId: string; totpSeed: string }>) {
    this.seeds = new Map([...seeds].map((s) => [s.psuId, Buffer.from(s.totpSeed, 'hex')]));
  }

  /** The code the PSU's authenticator shows at `at`, for the sandbox CLI and tests. */
  codeFor(psuId: string, subject: AuthorisationSubject, at: Date): string {
    const seed = this.seeds.get(psuId);
    if (seed === undefined) throw new RangeError(`no sandbox PSU ${psuId}`);
    return hotp(seed, timeStep(at), {}, dynamicLinkingMessage(subject));
  }

  verify(params: { username: string; code: string; subject: AuthorisationSubject; at: Date }): boolean {
    const known = this.seeds.get(params.username);
    const matched = verifyTotp(
      known ?? this.decoy,
      params.code.trim(),
      params.at,
      {},
      dynamicLinkingMessage(params.subject),
    );
    return known !== undefined && matched !== undefined;
  }
}
