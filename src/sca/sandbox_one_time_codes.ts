import { createHash, randomBytes } from 'node:crypto';
import { dynamicLinkingMessage, type AuthorisationSubject } from './authorisation_subject';
import type { OneTimeCodeMatch, OneTimeCodeVerifier, UsedOneTimeCodes } from './one_time_code_verifier';
import { hotp, timeStep, verifyTotp } from './totp';

const STEP_SECONDS = 30;
/** Steps accepted either side of now (RFC 6238 §5.2 recommends at most one). */
const WINDOW = 1;

/**
 * The sandbox customer's authenticator: each holds a published TOTP seed (RFC 6238, HMAC-SHA1, 30 s, 6
 * digits). The dashboard's code is the plain TOTP any authenticator app shows for the seed; a consent's is
 * computed over the time step and the consent id, a payment's over the time step, the payment id, amount
 * and payee (see dynamicLinkingMessage), as a device the PSU types those facts into would (`npm run cli
 * -- totp`). What the sandbox CLI, the tests and the conformance suite compute codes with.
 */
export class SandboxAuthenticator {
  private readonly seeds: Map<string, Buffer>;
  /** Stands in for an unknown user's seed; random per process, so no code matches it knowingly. */
  private readonly decoy = randomBytes(20);

  constructor(seeds: Iterable<{ psuId: string; totpSeed: string }>) {
    this.seeds = new Map([...seeds].map((s) => [s.psuId, Buffer.from(s.totpSeed, 'hex')]));
  }

  /** The code the PSU's authenticator shows at `at` for `subject`. */
  codeFor(psuId: string, subject: AuthorisationSubject, at: Date): string {
    const seed = this.seeds.get(psuId);
    if (seed === undefined) throw new RangeError(`no sandbox PSU ${psuId}`);
    return hotp(seed, timeStep(at, STEP_SECONDS), {}, dynamicLinkingMessage(subject));
  }

  /** The time step whose code matches, or undefined; the full check runs for an unknown username too. */
  matchingStep(params: {
    username: string;
    code: string;
    subject: AuthorisationSubject;
    at: Date;
  }): number | undefined {
    const known = this.seeds.get(params.username);
    const step = verifyTotp(
      known ?? this.decoy,
      params.code.trim(),
      params.at,
      { window: WINDOW, stepSeconds: STEP_SECONDS },
      dynamicLinkingMessage(params.subject),
    );
    return known === undefined ? undefined : step;
  }
}

/**
 * The sandbox's second factor at the gateway's sign-in forms: a code of the customer's authenticator for
 * what is being authorised, accepted one step either side of now and only once (RFC 6238 §5.2). Used codes
 * are remembered in the store until they could no longer match, so every instance refuses a code another
 * one accepted. A code is bound to its consent or payment, so sandbox tools that sign in many times a
 * minute (bench, conformance) still get a fresh code for each thing they authorise.
 */
export class SandboxOneTimeCodes implements OneTimeCodeVerifier {
  constructor(
    private readonly authenticator: SandboxAuthenticator,
    private readonly used: UsedOneTimeCodes,
  ) {}

  verify(params: {
    username: string;
    code: string;
    subject: AuthorisationSubject;
    at: Date;
  }): OneTimeCodeMatch | undefined {
    const step = this.authenticator.matchingStep(params);
    if (step === undefined) return undefined;
    const bound = dynamicLinkingMessage(params.subject)?.toString('hex') ?? '';
    return {
      key: createHash('sha256').update(`${params.username}\n${step}\n${bound}`).digest('base64url'),
      // The step's code is accepted until the window has moved past it.
      expiresAt: new Date((step + WINDOW + 1) * STEP_SECONDS * 1000),
    };
  }

  spend(match: OneTimeCodeMatch): Promise<boolean> {
    return this.used.record(match.key, match.expiresAt);
  }
}
