import { readSandboxBankFixture } from '../../src/accounts/sandbox_bank';
import { SandboxOneTimeCodes } from '../../src/sca/sandbox_one_time_codes';

const codes = new SandboxOneTimeCodes(readSandboxBankFixture().psus);

/** What the sandbox PSU's authenticator app shows now (or, for a payment, for that amount and payee). */
export function sandboxCode(
  psuId: string,
  subject: Parameters<SandboxOneTimeCodes['codeFor']>[1] = {
    kind: 'consent',
    consentId: '',
  },
): string {
  return codes.codeFor(psuId, subject, new Date());
}
