import { readSandboxBankFixture } from '../../src/accounts/sandbox_bank';
import type { AuthorisationSubject } from '../../src/sca/authorisation_subject';
import { SandboxAuthenticator } from '../../src/sca/sandbox_one_time_codes';

const authenticator = new SandboxAuthenticator(readSandboxBankFixture().psus);

/**
 * What the sandbox PSU's authenticator shows now for what is being authorised: a consent's code, a
 * payment's (bound to its id, amount and payee), or the plain code of the dashboard and the bank's own
 * identity provider.
 */
export function sandboxCode(psuId: string, subject: AuthorisationSubject): string {
  return authenticator.codeFor(psuId, subject, new Date());
}

/** The plain RFC 6238 code an authenticator app shows for the seed (dashboard, identity provider). */
export function plainSandboxCode(psuId: string): string {
  return sandboxCode(psuId, { kind: 'consentDashboard' });
}

/** The code that signs in to authorise this consent. */
export function consentCode(psuId: string, consentId: string): string {
  return sandboxCode(psuId, { kind: 'consent', consentId });
}
