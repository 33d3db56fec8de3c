import path from 'node:path';
import { qwacProfileCheck, runCertVerify } from '../../src/cli/cert_verify';
import { FIXTURE_FILES } from '../../src/fixtures/fixture_pki';
import { testPkiDir, testPkiFiles } from '../helpers/test_pki';

const chain = (id: string) => path.join(testPkiDir(), FIXTURE_FILES.clientsDir, `${id}.chain.pem`);

describe('cert verify --profile psd2', () => {
  it.each([
    ['alice', 0, /^VALID for clientAuth \(profile psd2\)/],
    ['qseal-type', 1, /CERTIFICATE_INVALID: certificate is a QSealC/],
    ['role-name-mismatch', 1, /CERTIFICATE_INVALID/],
    ['revoked', 1, /CERTIFICATE_REVOKED/],
  ])('%s → exit %i', async (id, exitCode, output) => {
    const files = testPkiFiles();
    const outcome = await runCertVerify({
      anchor: files.anchor,
      chain: chain(id),
      crl: files.crls,
      purpose: 'clientAuth',
      profile: 'psd2',
      profileCheck: qwacProfileCheck,
    });
    expect(outcome.exitCode).toBe(exitCode);
    expect(outcome.output).toMatch(output);
  });
});
