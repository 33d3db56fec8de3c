import { AccessTokenVerifier } from '../../src/oauth/access_token_verifier';
import type { TokenRecord } from '../../src/oauth/oauth_repository';
import { secretToken } from '../../src/oauth/secret_token';
import type { TppIdentity } from '../../src/pki/identity/tpp_identity';

const NOW = new Date('2026-11-22T10:00:00Z');

function tpp(organizationIdentifier: string, thumbprintS256: string): TppIdentity {
  return {
    organizationIdentifier,
    name: organizationIdentifier,
    roles: ['PSP_AI'],
    ncaName: 'NCA',
    ncaId: 'NCA',
    thumbprintS256,
    notAfter: new Date('2027-01-01T00:00:00Z'),
  };
}

const alice = tpp('PSDDE-BAFIN-123456', 'alice-thumbprint');
const carol = tpp('PSDFR-ACPR-654321', 'carol-thumbprint');

/** Tokens by hash, counting lookups: the repository is the only thing the verifier reads. */
class CountingTokens {
  readonly records = new Map<string, TokenRecord>();
  lookups = 0;

  add(token: string, overrides: Partial<TokenRecord> = {}): void {
    const tokenHash = secretToken.hash(token);
    this.records.set(tokenHash, {
      tokenHash,
      grantId: 'grant-1',
      kind: 'access',
      cnfThumbprint: alice.thumbprintS256,
      expiresAt: new Date(NOW.getTime() + 60_000),
      rotatedAt: null,
      revokedAt: null,
      createdAt: NOW,
      clientId: alice.organizationIdentifier,
      consentId: 'consent-1',
      grantRevokedAt: null,
      ...overrides,
    });
  }

  findToken(tokenHash: string): Promise<TokenRecord | undefined> {
    this.lookups++;
    return Promise.resolve(this.records.get(tokenHash));
  }
}

function setUp(): { tokens: CountingTokens; verifier: AccessTokenVerifier } {
  const tokens = new CountingTokens();
  return { tokens, verifier: new AccessTokenVerifier({ repository: tokens, now: () => NOW }) };
}

describe('a presented access token', () => {
  it('is looked up once for both the binding check and the full check', async () => {
    const { tokens, verifier } = setUp();
    tokens.add('good');
    const presented = verifier.presented('Bearer good', alice);
    await presented.refuseIfBoundElsewhere();
    await expect(presented.verifyFor('consent-1')).resolves.toEqual({ consentId: 'consent-1' });
    expect(tokens.lookups).toBe(1);
  });

  it('is refused on a connection presenting another certificate, before anything else is checked', async () => {
    const { tokens, verifier } = setUp();
    tokens.add('alices', { expiresAt: new Date(NOW.getTime() - 1), consentId: 'other' });
    await expect(verifier.presented('Bearer alices', carol).refuseIfBoundElsewhere()).rejects.toMatchObject({
      code: 'TOKEN_INVALID',
    });
    await expect(verifier.presented('Bearer alices', carol).verifyFor('consent-1')).rejects.toMatchObject({
      code: 'TOKEN_INVALID',
    });
  });

  it('lets the binding check pass what only the full check refuses', async () => {
    const { tokens, verifier } = setUp();
    tokens.add('expired', { expiresAt: NOW });
    const presented = verifier.presented('Bearer expired', alice);
    await expect(presented.refuseIfBoundElsewhere()).resolves.toBeUndefined();
    await expect(presented.verifyFor('consent-1')).rejects.toMatchObject({ code: 'TOKEN_EXPIRED' });
    await expect(
      verifier.presented('Bearer unknown', alice).refuseIfBoundElsewhere(),
    ).resolves.toBeUndefined();
  });

  it.each([
    ['no header', undefined, 'consent-1', 'TOKEN_INVALID'],
    ['another scheme', 'Basic abc', 'consent-1', 'TOKEN_INVALID'],
    ['no Consent-ID', 'Bearer good', ' ', 'FORMAT_ERROR'],
    ['an unknown token', 'Bearer nope', 'consent-1', 'TOKEN_UNKNOWN'],
    ['another consent', 'Bearer good', 'consent-2', 'TOKEN_INVALID'],
    ['a revoked grant', 'Bearer revoked', 'consent-1', 'TOKEN_INVALID'],
  ])('is refused for %s', async (_case, authorization, consentId, code) => {
    const { tokens, verifier } = setUp();
    tokens.add('good');
    tokens.add('revoked', { grantRevokedAt: NOW });
    await expect(verifier.presented(authorization, alice).verifyFor(consentId)).rejects.toMatchObject({
      code,
    });
  });
});
