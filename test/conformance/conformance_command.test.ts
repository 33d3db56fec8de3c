import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { conformanceCommand, resolvePsu, startFixtureGateway } from '../../src/cli/conformance_command';

const dir = mkdtempSync(path.join(tmpdir(), 'conformance-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('conformance command', () => {
  it('exits 2 with a clear message when the anchor is missing', async () => {
    const stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await conformanceCommand().parseAsync(
        ['--target', 'https://127.0.0.1:1', '--anchor', path.join(dir, 'none.pem'), '--no-color'],
        {
          from: 'user',
        },
      );
      expect(process.exitCode).toBe(2);
      expect(stderr.mock.calls.map((c) => String(c[0])).join('')).toMatch(/trust anchor not found/);
    } finally {
      process.exitCode = undefined;
      stderr.mockRestore();
      stdout.mockRestore();
    }
  });

  it('starts a gateway on the fixtures when no target is given', async () => {
    const gateway = await startFixtureGateway();
    try {
      expect(gateway.url).toMatch(/^https:\/\/localhost:\d+$/);
    } finally {
      await gateway.close();
    }
  });
});

describe('resolvePsu', () => {
  it('prefers --psu, keeping colons in the password', () => {
    expect(resolvePsu('alice:pa:ss', path.join(dir, 'absent.json'))).toEqual({
      username: 'alice',
      password: 'pa:ss',
    });
  });

  it("takes the first PSU of the project's sandbox bank", () => {
    expect(resolvePsu(undefined, path.join(__dirname, '..', '..', 'fixtures', 'sandbox_bank.json'))).toEqual({
      username: 'anna',
      password: 'sandbox-anna',
      totpSeed: '9780761c0e0df9d1e73ef124b218087b6596ac6c',
    });
  });

  it('falls back to the documented default', () => {
    expect(resolvePsu(undefined, path.join(dir, 'absent.json'))).toEqual({
      username: 'psu',
      password: 'password',
    });
  });
});
