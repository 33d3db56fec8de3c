/**
 * Differential test of the gateway's certificate walk (ParsedCertificate on der.ts) against
 * @peculiar/asn1-x509, the test oracle: on every fixture certificate, every x509-limbo and pkilint
 * certificate, and seeded mutations of them (byte and bit flips, truncations, length changes,
 * inserted and deleted bytes), both readers must report the same fields or both refuse.
 *
 * Intended disagreements are listed, each with its rule, and asserted: where only our reader refuses,
 * its reason must match OURS_STRICTER (the oracle reads BER, ignores bytes after the certificate and
 * does not check string contents or times); where only the oracle refuses, ORACLE_STRICTER must
 * explain it. Anything else fails the test, naming the input and both answers.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, type Name } from '@peculiar/asn1-x509';
import { seededRandom } from '../../src/accounts/sandbox_bank';
import {
  DerError,
  DerReader,
  Tag,
  decodeBitString,
  decodeOid,
  readSingle,
  toHex,
} from '../../src/pki/asn1/der';
import { ParsedCertificate } from '../../src/pki/certificate/parsed_certificate';
import { decodePemBlocks } from '../../src/pki/asn1/pem';
import type { X500Name } from '../../src/pki/certificate/x500_name';
import { sharedVectorsDir } from '../helpers/shared_vectors';
import { testPkiDir } from '../helpers/test_pki';
import { oid, printable, seq, tlv, utf8 } from './qwac_test_certificates';

/** What both readers must agree on. */
interface Fields {
  version: number;
  serial: string;
  signatureAlgorithm: string;
  issuer: string[][];
  subject: string[][];
  notBefore: number;
  notAfter: number;
  spkiAlgorithm: string;
  spkiKey: string;
  signature: string;
  extensions: string[];
}

type Outcome =
  { ok: true; fields: Fields; problems: string[]; cert?: ParsedCertificate } | { ok: false; reason: string };

const hex = (bytes: ArrayBuffer | Uint8Array): string =>
  toHex(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes));

/**
 * Refusals only our reader makes, each a rule of X.690 DER or RFC 5280 the oracle does not apply.
 * Matched against our DerError message.
 */
const OURS_STRICTER: readonly [RegExp, string][] = [
  [/length not minimally encoded|INTEGER not minimally encoded/, 'X.690 10.1, 8.3.2: minimal encodings'],
  [
    /exceeds the \d+ bytes available|truncated length|length field of \d+ octets is too large/,
    'X.690 8.1.1: a nested element ends inside its container (asn1js reads on past it)',
  ],
  [/arc not minimally encoded/, 'X.690 8.19.2: no leading 0x80 in an OID arc'],
  [/indefinite length is not DER/, 'X.690 10.1: definite lengths only'],
  [/BOOLEAN must be/, 'X.690 11.1: TRUE is 0xFF'],
  [/unexpected (data after|trailing data)/, 'X.690 8.1.1: nothing may follow the last element'],
  [/is not Y{2,4}MMDDHHMMSSZ|impossible date/, 'RFC 5280 4.1.2.5: one time form, a real date'],
  [/is not allowed in|invalid UTF-8|invalid code point|partial characters/, 'X.680 41: string contents'],
  [/tag number|truncated tag/, 'X.690 8.1.2.4: high tag numbers in minimal form, at most four octets'],
  [/BIT STRING has unused bits|malformed BIT STRING/, 'X.690 8.6.2: a whole-octet signature'],
  [/empty RDN|must not be empty/, 'RFC 5280 4.1.2.4 / 4.1.2.9: no empty RDN or extension list'],
  [/constructed encoding of .* is not DER/, 'X.690 10.2: strings and other simple types are primitive'],
  [
    /expected .+, found |must be a (SEQUENCE|SET)/,
    'X.680 8: an element carries its own tag (asn1-schema matches some by position, or reads on past a length)',
  ],
  [/negative INTEGER where a count is expected/, 'RFC 5280 4.1: version is v1, v2 or v3'],
];

/** Refusals only the oracle makes, with why ours does not. */
const ORACLE_STRICTER: readonly [RegExp, string][] = [
  [
    /Maximum ASN.1 node count exceeded/,
    'asn1js caps the nodes it builds (pathological::nc-dos-1 has thousands of name constraints); ours walks lazily',
  ],
];

/**
 * Where the oracle refuses malformed content inside a value our walk keeps whole (an attribute value
 * that is not a string, algorithm parameters): asn1js parses every nested BER element, ours does not
 * descend into what it does not read. Such a certificate cannot pass: a non-string name attribute
 * gives the QWAC profile nothing to read and compares only byte for byte, and the key policy accepts
 * named curves and NULL/absent parameters only. Checked on our parse, not assumed.
 */
function opaqueValueDiffers(cert: ParsedCertificate): boolean {
  const opaqueName = [cert.subject, cert.issuer].some((n) =>
    n.rdns.some((rdn) => rdn.some((a) => a.text === undefined)),
  );
  const spki = DerReader.of(readSingle(cert.spki, Tag.SEQUENCE));
  const params = DerReader.of(spki.read(Tag.SEQUENCE));
  params.read(Tag.OID);
  const keyParams = params.done ? undefined : params.read();
  const plain = (tag: number | undefined): boolean =>
    tag === undefined || tag === Tag.OID || tag === Tag.NULL;
  const sigParams = cert.signatureAlgorithm.params?.[0];
  return opaqueName || !plain(keyParams?.tag) || !plain(sigParams);
}

function ourName(name: X500Name): string[][] {
  return name.rdns.map((rdn) => rdn.map((a) => `${a.type}=${a.text ?? '(not a string)'}`).sort());
}

/** The oracle decodes the DirectoryString types and IA5String; anything else stays raw. */
function oracleName(name: Name): string[][] {
  return name.map((rdn) =>
    rdn.map((atv) => `${atv.type}=${atv.value.anyValue ? '(not a string)' : atv.value.toString()}`).sort(),
  );
}

function ours(der: Uint8Array): Outcome {
  let cert: ParsedCertificate;
  try {
    cert = ParsedCertificate.parse(der);
  } catch (error) {
    if (!(error instanceof DerError)) throw error; // anything else is a bug in the walk
    return { ok: false, reason: error.message };
  }
  // The walk leaves the key to the key policy, which refuses a malformed one on every path; the oracle
  // decodes it with the certificate. Count such a key as a refusal, as the gateway does.
  const keyProblem = cert.keyProblem;
  if (keyProblem?.startsWith('public key is malformed')) return { ok: false, reason: keyProblem };
  const spki = DerReader.of(readSingle(cert.spki, Tag.SEQUENCE));
  const algorithm = DerReader.of(spki.read(Tag.SEQUENCE));
  const key = decodeBitString(spki.read(Tag.BIT_STRING).value).bytes;
  // Ours keeps NumericString and VisibleString as strings; the oracle only knows them as raw values.
  const nonOracleStrings = (n: X500Name): X500Name => ({
    ...n,
    rdns: n.rdns.map((rdn) =>
      rdn.map((a) =>
        a.tag === Tag.NUMERIC_STRING || a.tag === Tag.VISIBLE_STRING ? { ...a, text: undefined } : a,
      ),
    ),
  });
  return {
    ok: true,
    cert,
    problems: cert.problems,
    fields: {
      version: cert.version,
      serial: hex(cert.serial),
      signatureAlgorithm: cert.signatureAlgorithm.oid,
      issuer: ourName(nonOracleStrings(cert.issuer)),
      subject: ourName(nonOracleStrings(cert.subject)),
      notBefore: cert.notBefore.getTime(),
      notAfter: cert.notAfter.getTime(),
      spkiAlgorithm: decodeOid(algorithm.read(Tag.OID).value),
      spkiKey: hex(key),
      signature: hex(cert.signature),
      extensions: cert.extensions.map((e) => `${e.oid}:${e.critical}:${hex(e.value)}`),
    },
  };
}

function oracle(der: Uint8Array): Outcome {
  let cert: Certificate;
  try {
    cert = AsnConvert.parse(der, Certificate);
  } catch (error) {
    return { ok: false, reason: error instanceof Error ? error.message : String(error) };
  }
  const tbs = cert.tbsCertificate;
  return {
    ok: true,
    problems: [],
    fields: {
      version: tbs.version + 1,
      serial: hex(tbs.serialNumber),
      signatureAlgorithm: cert.signatureAlgorithm.algorithm,
      issuer: oracleName(tbs.issuer),
      subject: oracleName(tbs.subject),
      notBefore: tbs.validity.notBefore.getTime().getTime(),
      notAfter: tbs.validity.notAfter.getTime().getTime(),
      spkiAlgorithm: tbs.subjectPublicKeyInfo.algorithm.algorithm,
      spkiKey: hex(tbs.subjectPublicKeyInfo.subjectPublicKey),
      signature: hex(cert.signatureValue),
      extensions: (tbs.extensions ?? []).map((e) => `${e.extnID}:${e.critical}:${hex(e.extnValue.buffer)}`),
    },
  };
}

/** Every certificate of the run's fixture PKI, x509-limbo and the pkilint corpus, by a readable name. */
function corpus(): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const seen = new Set<string>();
  const add = (name: string, der: Uint8Array): void => {
    const key = Buffer.from(der).toString('base64');
    if (seen.has(key)) return;
    seen.add(key);
    out.set(name, der);
  };
  const fixtures = testPkiDir();
  for (const dir of [fixtures, path.join(fixtures, 'clients')]) {
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.pem') && !f.includes('key'))) {
      const text = readFileSync(path.join(dir, file), 'utf8');
      decodePemBlocks(text, 'CERTIFICATE').forEach((der, i) => add(`fixture ${file}#${i}`, der));
    }
  }
  const shared = sharedVectorsDir();
  if (shared !== undefined) {
    const limbo = JSON.parse(
      readFileSync(path.join(shared, 'x509-limbo', 'limbo-handwritten.json'), 'utf8'),
    ) as {
      testcases: {
        id: string;
        trusted_certs: string[];
        untrusted_intermediates: string[];
        peer_certificate: string;
      }[];
    };
    for (const c of limbo.testcases) {
      const pems = [...c.trusted_certs, ...c.untrusted_intermediates, c.peer_certificate];
      pems
        .flatMap((pem) => decodePemBlocks(pem, 'CERTIFICATE'))
        .forEach((der, i) => add(`limbo ${c.id}#${i}`, der));
    }
    const pkilint = path.join(shared, 'pkilint-psd2');
    for (const file of readdirSync(pkilint).filter((f) => f.endsWith('.crttest'))) {
      const text = readFileSync(path.join(pkilint, file), 'latin1');
      decodePemBlocks(text, 'CERTIFICATE').forEach((der, i) => add(`pkilint ${file}#${i}`, der));
    }
  }
  return out;
}

const MUTATIONS_PER_CERTIFICATE = 12;
const MAX_MUTATED_SIZE = 4096;

function mutations(der: Uint8Array, seed: number): [string, Uint8Array][] {
  // Seeded, so every run mutates the same bytes the same way.
  const next = seededRandom(seed);
  const at = (): number => Math.floor(next() * der.length);
  const out: [string, Uint8Array][] = [];
  for (let i = 0; i < MUTATIONS_PER_CERTIFICATE; i++) {
    const copy = Uint8Array.from(der);
    const p = at();
    switch (i % 6) {
      case 0:
        copy[p] = (copy[p] as number) ^ (1 + Math.floor(next() * 255));
        out.push([`byte ${p} replaced`, copy]);
        break;
      case 1:
        copy[p] = (copy[p] as number) ^ (1 << Math.floor(next() * 8));
        out.push([`bit flipped in byte ${p}`, copy]);
        break;
      case 2:
        out.push([`truncated to ${p} bytes`, der.subarray(0, p)]);
        break;
      case 3: {
        // A length octet one larger or smaller: aim at a byte following a SEQUENCE/SET/string tag.
        let q = p;
        while (q < der.length - 1 && ![0x30, 0x31, 0x04, 0x0c, 0x13, 0x02].includes(der[q] as number)) q++;
        copy[q + 1] = ((copy[q + 1] as number) + (next() < 0.5 ? 1 : 255)) & 0xff;
        out.push([`length after byte ${q} changed`, copy]);
        break;
      }
      case 4:
        out.push([
          `byte inserted at ${p}`,
          Uint8Array.from([...der.subarray(0, p), Math.floor(next() * 256), ...der.subarray(p)]),
        ]);
        break;
      default:
        out.push([`byte ${p} deleted`, Uint8Array.from([...der.subarray(0, p), ...der.subarray(p + 1)])]);
    }
  }
  return out;
}

interface Disagreement {
  input: string;
  ours: string;
  oracle: string;
}

/** Compares one input; returns why the answers differ in a way no list explains, or undefined. */
function compare(input: string, der: Uint8Array, tally: Map<string, number>): Disagreement | undefined {
  const a = ours(der);
  const b = oracle(der);
  const count = (rule: string): void => {
    tally.set(rule, (tally.get(rule) ?? 0) + 1);
  };
  if (a.ok && b.ok) {
    for (const key of Object.keys(a.fields) as (keyof Fields)[]) {
      if (JSON.stringify(a.fields[key]) !== JSON.stringify(b.fields[key])) {
        return {
          input,
          ours: `${key}: ${JSON.stringify(a.fields[key])}`,
          oracle: JSON.stringify(b.fields[key]),
        };
      }
    }
    count('both accept, same fields');
    return undefined;
  }
  if (!a.ok && !b.ok) {
    count('both refuse');
    return undefined;
  }
  if (!a.ok) {
    const rule = OURS_STRICTER.find(([pattern]) => pattern.test(a.reason));
    if (rule) {
      count(`only ours refuses: ${rule[1]}`);
      return undefined;
    }
    return { input, ours: a.reason, oracle: 'accepted' };
  }
  const reason = (b as { reason: string }).reason;
  const rule = ORACLE_STRICTER.find(([pattern]) => pattern.test(reason));
  if (rule) {
    count(`only the oracle refuses: ${rule[1]}`);
    return undefined;
  }
  if (a.cert && opaqueValueDiffers(a.cert)) {
    count('only the oracle refuses: content inside a value ours keeps opaque');
    return undefined;
  }
  return {
    input,
    ours: `accepted${a.problems.length > 0 ? ` (problems: ${a.problems.join('; ')})` : ''}`,
    oracle: reason,
  };
}

const shared = sharedVectorsDir();
if (shared === undefined) {
  if (process.env.CI === 'true') throw new Error('shared/vectors not found (required in CI)');
  console.warn('der_differential: shared/vectors not found; comparing on the fixture PKI only');
}

/** A hand-built certificate (signature not valid; parsing does not check it) with one field swapped. */
function built(
  parts: { notAfter?: Uint8Array; cn?: Uint8Array; extension?: Uint8Array; trailing?: number[] } = {},
): Uint8Array {
  const ecdsaSha256 = seq(oid('1.2.840.10045.4.3.2'));
  const name = seq(tlv(0x31, seq(oid('2.5.4.3'), parts.cn ?? utf8('Differential CA'))));
  const validity = seq(
    tlv(0x17, Buffer.from('250101000000Z')),
    parts.notAfter ?? tlv(0x17, Buffer.from('350101000000Z')),
  );
  const point = Uint8Array.from([0x00, 0x04, ...new Uint8Array(64).fill(7)]);
  const spki = seq(seq(oid('1.2.840.10045.2.1'), oid('1.2.840.10045.3.1.7')), tlv(0x03, point));
  const extensions = tlv(
    0xa3,
    seq(parts.extension ?? seq(oid('2.5.29.19'), tlv(0x01, [0xff]), tlv(0x04, seq(tlv(0x01, [0xff]))))),
  );
  const tbs = seq(
    tlv(0xa0, tlv(0x02, [2])),
    tlv(0x02, [1]),
    ecdsaSha256,
    name,
    validity,
    name,
    spki,
    extensions,
  );
  const cert = seq(tbs, ecdsaSha256, tlv(0x03, [0x00, 0x30, 0x00]));
  return Uint8Array.from([...cert, ...(parts.trailing ?? [])]);
}

describe('intended disagreements: only our reader refuses, for the rule named', () => {
  it('agrees on the hand-built baseline', () => {
    const a = ours(built());
    expect(a.ok).toBe(true);
    expect(oracle(built()).ok).toBe(true);
  });

  it.each<[string, Uint8Array, RegExp]>([
    [
      'fractional seconds in GeneralizedTime (RFC 5280 4.1.2.5.2)',
      built({ notAfter: tlv(0x18, Buffer.from('20350101000000.5Z')) }),
      /notAfter: GeneralizedTime .* is not YYYYMMDDHHMMSSZ/,
    ],
    [
      'UTCTime without seconds (RFC 5280 4.1.2.5.1)',
      built({ notAfter: tlv(0x17, Buffer.from('3501010000Z')) }),
      /notAfter: UTCTime .* is not YYMMDDHHMMSSZ/,
    ],
    [
      '31 February (RFC 5280 4.1.2.5)',
      built({ notAfter: tlv(0x17, Buffer.from('350231000000Z')) }),
      /impossible date/,
    ],
    ['a byte after the certificate (X.690 8.1.1)', built({ trailing: [0x00] }), /unexpected data after/],
    [
      'BOOLEAN TRUE as 0x01 (X.690 11.1)',
      built({ extension: seq(oid('1.2.3.4'), tlv(0x01, [0x01]), tlv(0x04, [])) }),
      /BOOLEAN must be 0x00 or 0xFF/,
    ],
    [
      "'@' in a PrintableString (X.680 41.4)",
      built({ cn: printable('ca@example') }),
      /0x40 is not allowed in PrintableString/,
    ],
    ['invalid UTF-8 (X.680 41.8)', built({ cn: tlv(0x0c, [0xc3, 0x28]) }), /invalid UTF-8/],
    [
      'constructed PrintableString (X.690 10.2)',
      built({ cn: tlv(0x33, printable('CA')) }),
      /constructed encoding of PrintableString .* is not DER/,
    ],
  ])('%s', (_label, der, reason) => {
    const a = ours(der);
    expect(a.ok ? 'accepted' : a.reason).toMatch(reason);
    expect(OURS_STRICTER.some(([pattern]) => !a.ok && pattern.test(a.reason))).toBe(true);
    expect(oracle(der).ok).toBe(true);
  });

  it('decodes an OID arc far beyond 2^53 exactly; the oracle only echoes its raw octets as {hex}', () => {
    const arc = 329800735698586629295641978511506172918n;
    const der = built({ extension: seq(oid(`2.25.${arc}`), tlv(0x04, [])) });
    const a = ours(der);
    const b = oracle(der);
    expect(a.ok && a.fields.extensions[0]).toBe(`2.25.${arc}:false:`);
    expect(b.ok && b.fields.extensions[0]).toMatch(/^2\.25\.\{[0-9a-f]+\}:false:$/);
  });
});

describe('certificate walk vs @peculiar/asn1-x509', () => {
  const certificates = corpus();

  it('reads every corpus certificate exactly as the oracle does', () => {
    const tally = new Map<string, number>();
    const disagreements = [...certificates].flatMap(([name, der]) => compare(name, der, tally) ?? []);
    console.log(`der_differential: ${certificates.size} certificates`, Object.fromEntries(tally));
    expect(disagreements).toEqual([]);
    expect(tally.get('both accept, same fields')).toBeGreaterThan(0);
  });

  it('agrees with the oracle, or refuses for a listed DER rule, on seeded mutations', () => {
    const tally = new Map<string, number>();
    const disagreements: Disagreement[] = [];
    let seed = 1;
    for (const [name, der] of certificates) {
      // The few huge pathological certificates (thousands of name constraints) cost the oracle most of a
      // second each; they are compared unmutated above.
      if (der.length > MAX_MUTATED_SIZE) continue;
      for (const [what, mutated] of mutations(der, seed++)) {
        const found = compare(`${name}, ${what}`, mutated, tally);
        if (found) disagreements.push(found);
      }
    }
    console.log('der_differential mutations:', Object.fromEntries(tally));
    expect(disagreements).toEqual([]);
  });
});
