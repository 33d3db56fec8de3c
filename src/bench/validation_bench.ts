/**
 * What certificate validation costs, in-process, in microseconds (the measurements that used to be
 * wall-clock assertions in the unit tests live here, where the machine's speed is reported, not judged):
 * - cold: a chain the validator has never seen, through a fresh ChainValidator and QwacIdentityVerifier
 *   (leaf and intermediate parsed, the intermediate's key imported, both signatures verified, CRLs
 *   consulted, QWAC profile read); only the anchor's own one-time checks are paid beforehand;
 * - cold leaf: a new leaf from an issuing CA the validator already knows (a new TPP of a known QTSP);
 * - warm: a CachedIdentityVerifier hit, the cost every request on a known connection pays; and the same
 *   hit for the first request of a new connection (the chain key is hashed once per connection).
 * - hostile input: a 1000-certificate bag (refused before any path building) and the PSD2 QWAC profile
 *   read of one certificate (what every new chain pays, and what garbage input costs at most).
 * The cold pool is a set of distinct Alice-profile QWACs issued by Trent's issuing CA for this run.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { ALICE, qwacExtensions, tppName } from '../fixtures/build_client_cases';
import {
  generateKeys,
  importPrivateKeyPem,
  issueCertificate,
  signerFor,
} from '../fixtures/issue_certificate';
import type { FixturePki } from '../fixtures/fixture_pki';
import { CachedIdentityVerifier } from '../pki/identity/cached_identity_verifier';
import { ChainValidator } from '../pki/path/chain_validator';
import type { ClientIdentityVerifier } from '../pki/identity/client_identity';
import { decodePemBlocks, readPemOrDerFile } from '../pki/asn1/pem';
import { QwacIdentityVerifier } from '../pki/identity/qwac_identity_verifier';
import { ParsedCertificate } from '../pki/certificate/parsed_certificate';
import { identityFromQwac } from '../pki/qwac/qwac_identity';
import { CrlRevocationChecker } from '../pki/path/revocation';
import { x509 } from '../fixtures/x509';
import { presentedChainKey } from '../pki/path/chain_key';

export interface ValidationParams {
  pki: FixturePki;
  /** Distinct leaves for the cold measurements. */
  poolSize: number;
  warmIterations: number;
}

export interface ValidationResult {
  /** Microseconds per validation. */
  coldMedianUs: number;
  coldMeanUs: number;
  coldP99Us: number;
  coldSamples: number;
  coldLeafMedianUs: number;
  coldLeafMeanUs: number;
  /** Cache hit for a request on a connection whose chain was seen (the per-request cost). */
  warmMeanUs: number;
  warmIterations: number;
  /** Cache hit for a new connection's first request: the chain key (SHA-256 over the chain) is computed. */
  warmNewConnectionUs: number;
  /** Refusing Alice's leaf offered with 1000 intermediates (the bag limit). */
  hostileBagUs?: number;
  /** Alice's leaf parsed and its PSD2 QWAC profile read, warm: what a new chain's leaf costs beyond the path. */
  qwacProfileUs?: number;
}

const HOUR = 3600_000;

async function leafPool(pki: FixturePki, size: number): Promise<Buffer[]> {
  const caCert = new x509.X509Certificate(readFileSync(pki.issuingCaFile, 'utf8'));
  const caKeys = await importPrivateKeyPem(readFileSync(pki.issuingCaKeyFile, 'utf8'), caCert);
  const issuer = await signerFor({ cert: caCert, keys: caKeys });
  const now = Date.now();
  const leaves: Buffer[] = [];
  for (let i = 0; i < size; i++) {
    const keys = await generateKeys();
    const cert = await issueCertificate({
      subject: tppName(ALICE),
      publicKey: keys.publicKey,
      issuer,
      notBefore: new Date(now - HOUR),
      notAfter: new Date(now + 30 * 24 * HOUR),
      extensions: qwacExtensions(ALICE),
    });
    leaves.push(Buffer.from(cert.rawData));
  }
  return leaves;
}

function stats(samples: number[]): { median: number; mean: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] as number;
  return { median: at(0.5), mean: sorted.reduce((s, x) => s + x, 0) / sorted.length, p99: at(0.99) };
}

export async function measureValidation(params: ValidationParams): Promise<ValidationResult> {
  const { pki } = params;
  const anchorDer = readPemOrDerFile(pki.trustAnchorFile, 'CERTIFICATE')[0] as Buffer;
  const issuingDer = readPemOrDerFile(pki.issuingCaFile, 'CERTIFICATE')[0] as Buffer;
  // Loaded once, as the trust store does; its cost is paid at start and on reload, not per chain.
  const revocation = CrlRevocationChecker.fromFiles([pki.issuingCaCrlFile, pki.rootCrlFile]);
  /**
   * A validator as a running gateway has it: the anchor's own checks (done lazily on first use) already
   * paid by validating the anchor by itself, but no intermediate or leaf seen yet.
   */
  const fresh = async (): Promise<{ validator: ChainValidator; verifier: ClientIdentityVerifier }> => {
    const validator = new ChainValidator({ anchors: [anchorDer], revocation });
    const self = await validator.validate({ leaf: anchorDer, intermediates: [], purpose: 'any' });
    if (!self.valid) throw new Error(`bench: the anchor does not validate by itself: ${self.reason}`);
    return { validator, verifier: new QwacIdentityVerifier(validator) };
  };
  const leaves = await leafPool(pki, params.poolSize);
  // What Node hands the trust gate: the leaf, the intermediate and the anchor it linked from our store.
  const chainOf = (leaf: Buffer) => ({ leaf, intermediates: [issuingDer, anchorDer] });

  const coldRound = async (): Promise<number[]> => {
    const samples: number[] = [];
    for (const leaf of leaves) {
      const { verifier } = await fresh();
      const at = new Date();
      const t0 = performance.now();
      const verdict = await verifier.verify(chainOf(leaf), at);
      samples.push((performance.now() - t0) * 1000);
      if (!verdict.ok) throw new Error(`bench: pool leaf refused: ${verdict.reason}`);
    }
    return samples;
  };
  await coldRound(); // JIT warm-up; the verdicts of this round are not kept anywhere
  const cold = stats([...(await coldRound()), ...(await coldRound())]);

  // A new leaf under an intermediate the validator has already parsed and verified.
  const { verifier: shared } = await fresh();
  await shared.verify(chainOf(leaves[0] as Buffer), new Date());
  const coldLeafSamples: number[] = [];
  for (const leaf of leaves.slice(1)) {
    const at = new Date();
    const t0 = performance.now();
    await shared.verify(chainOf(leaf), at);
    coldLeafSamples.push((performance.now() - t0) * 1000);
  }
  const coldLeaf = stats(coldLeafSamples);

  const { verifier } = await fresh();
  const cached = new CachedIdentityVerifier(verifier, presentedChainKey);
  const aliceFile = pki.cases.find((c) => c.id === 'alice')?.chainFile ?? '';
  const aliceChain = decodePemBlocks(readFileSync(aliceFile, 'utf8'), 'CERTIFICATE');
  // As the TLS layer hands it over: one object per connection, reused by every request on it.
  const warmChain = { leaf: aliceChain[0] as Buffer, intermediates: [...aliceChain.slice(1), anchorDer] };
  const first = await cached.verify(warmChain, new Date());
  if (!first.ok) throw new Error(`bench: Alice refused: ${first.reason}`);
  const timeHits = async (chainFor: () => typeof warmChain, iterations: number): Promise<number> => {
    for (let i = 0; i < 10_000; i++) await cached.verify(chainFor(), new Date());
    const t0 = performance.now();
    for (let i = 0; i < iterations; i++) await cached.verify(chainFor(), new Date());
    return ((performance.now() - t0) * 1000) / iterations;
  };
  const warmMeanUs = await timeHits(() => warmChain, params.warmIterations);
  // The first request on a new connection: same certificates, new chain object, so the key is hashed.
  const warmNewConnectionUs = await timeHits(
    () => ({ leaf: warmChain.leaf, intermediates: [...warmChain.intermediates] }),
    Math.ceil(params.warmIterations / 10),
  );

  const { validator: bagValidator } = await fresh();
  const bag = Array.from({ length: 1000 }, () => issuingDer);
  const meanUs = async (iterations: number, once: () => Promise<unknown> | unknown): Promise<number> => {
    for (let i = 0; i < Math.ceil(iterations / 10); i++) await once();
    const t0 = performance.now();
    for (let i = 0; i < iterations; i++) await once();
    return ((performance.now() - t0) * 1000) / iterations;
  };
  const hostileBagUs = await meanUs(200, async () => {
    const refused = await bagValidator.validate({
      leaf: warmChain.leaf,
      intermediates: bag,
      purpose: 'clientAuth',
    });
    if (refused.valid) throw new Error('bench: a 1000-certificate bag was accepted');
  });
  const qwacProfileUs = await meanUs(2000, () => identityFromQwac(ParsedCertificate.parse(warmChain.leaf)));

  return {
    coldMedianUs: cold.median,
    coldMeanUs: cold.mean,
    coldP99Us: cold.p99,
    coldSamples: leaves.length * 2,
    coldLeafMedianUs: coldLeaf.median,
    coldLeafMeanUs: coldLeaf.mean,
    warmMeanUs,
    warmIterations: params.warmIterations,
    warmNewConnectionUs,
    hostileBagUs,
    qwacProfileUs,
  };
}
