/**
 * OCSP (RFC 6960) as a client needs it: one request for one certificate with a nonce, and the judgement of
 * the answer. Every byte of the response is read with the gateway's DER reader; nothing here does I/O.
 *
 * A response counts only when all of these hold:
 * - responseStatus successful and a BasicOCSPResponse (id-pkix-ocsp-basic);
 * - signed by the issuing CA itself, or by a delegated responder certificate carried in the response that
 *   the issuing CA signed, that has extendedKeyUsage id-kp-OCSPSigning and is valid at the time (its own
 *   revocation is not checked, RFC 6960 4.2.2.2.1 leaves that to the CA: id-pkix-ocsp-nocheck or short life);
 * - a SingleResponse whose CertID matches ours (hash of the issuer's name and key, serial number);
 * - thisUpdate not in the future and nextUpdate not in the past, each with a clock skew allowance; a
 *   response without nextUpdate must be recent (thisUpdate within NO_NEXT_UPDATE_MS plus the skew);
 * - a nonce in the response equals ours. A response without a nonce is accepted (RFC 8954: responders that
 *   pre-sign do not echo it); its thisUpdate is then the only freshness evidence, judged as above.
 */
import { CRL_REASONS } from './crl_reason';
import { createHash, randomBytes } from 'node:crypto';
import {
  DerError,
  DerReader,
  Tag,
  bytesEqual,
  children,
  decodeBitString,
  decodeOid,
  decodeTime,
  readSingle,
  type Tlv,
} from '../asn1/der';
import { encodeTlv } from '../asn1/der_writer';
import { OID, ParsedCertificate } from '../certificate/parsed_certificate';
import {
  parseAlgorithmIdentifier,
  signatureScheme,
  verifyWithScheme,
  type AlgorithmIdentifier,
} from '../certificate/signature';
import { serialNumberKey } from '../path/revocation';

export const OCSP_NONCE_OID = '1.3.6.1.5.5.7.48.1.2';
const OCSP_BASIC_OID = '1.3.6.1.5.5.7.48.1.1';
/** How long a response without nextUpdate is believed (and cached): RFC 6960 says newer data is always there. */
export const NO_NEXT_UPDATE_MS = 5 * 60_000;

/** CertID hash algorithms by OID; the request uses SHA-1 (RFC 5019 2.1.1, what every responder indexes). */
const CERT_ID_HASHES: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};
const SHA1_ALGORITHM = Uint8Array.from([0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00]);
const NONCE_OID_DER = Uint8Array.from([0x06, 0x09, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01, 0x02]);

const RESPONSE_STATUS = [
  'successful',
  'malformedRequest',
  'internalError',
  'tryLater',
  '4',
  'sigRequired',
  'unauthorized',
];

export interface OcspRequest {
  der: Uint8Array;
  /** The nonce extension's extnValue as sent, compared byte for byte with the response's. */
  nonce: Uint8Array;
}

/** A DER OCSPRequest for `cert` (issued by `issuer`) carrying a fresh 16-byte nonce (RFC 8954). */
export function buildOcspRequest(cert: ParsedCertificate, issuer: ParsedCertificate): OcspRequest {
  const sha1 = (data: Uint8Array) => new Uint8Array(createHash('sha1').update(data).digest());
  const certId = encodeTlv(
    Tag.SEQUENCE,
    SHA1_ALGORITHM,
    encodeTlv(Tag.OCTET_STRING, sha1(issuer.subject.der)),
    encodeTlv(Tag.OCTET_STRING, sha1(issuer.subjectPublicKeyBits)),
    encodeTlv(Tag.INTEGER, cert.serial),
  );
  const nonce = encodeTlv(Tag.OCTET_STRING, new Uint8Array(randomBytes(16)));
  const extensions = encodeTlv(
    0xa2,
    encodeTlv(Tag.SEQUENCE, encodeTlv(Tag.SEQUENCE, NONCE_OID_DER, encodeTlv(Tag.OCTET_STRING, nonce))),
  );
  const tbs = encodeTlv(Tag.SEQUENCE, encodeTlv(Tag.SEQUENCE, encodeTlv(Tag.SEQUENCE, certId)), extensions);
  return { der: encodeTlv(Tag.SEQUENCE, tbs), nonce };
}

export type OcspVerdict =
  | { status: 'good'; thisUpdate: Date; expiresAt: Date }
  | { status: 'revoked'; thisUpdate: Date; expiresAt: Date; revokedAt: Date; reason: string | undefined }
  /** The response is not an answer we may use; `problem` says why, for the refusal text. */
  | { status: 'unusable'; problem: string };

interface SingleResponse {
  hashAlgorithm: AlgorithmIdentifier;
  issuerNameHash: Uint8Array;
  issuerKeyHash: Uint8Array;
  serial: string;
  certStatus: Tlv;
  thisUpdate: Date;
  nextUpdate: Date | undefined;
}

interface BasicResponse {
  tbs: Uint8Array;
  signatureAlgorithm: AlgorithmIdentifier;
  signature: Uint8Array;
  certs: Uint8Array[];
  responses: SingleResponse[];
  nonce: Uint8Array | undefined;
}

function readExtensions(field: Tlv): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const entry of children(readSingle(field.value, Tag.SEQUENCE))) {
    const reader = DerReader.of(entry, 'Extension');
    const oid = decodeOid(reader.read(Tag.OID).value);
    reader.readOptional(Tag.BOOLEAN);
    out.set(oid, reader.read(Tag.OCTET_STRING).value);
    reader.end();
  }
  return out;
}

function readSingleResponse(tlv: Tlv): SingleResponse {
  const reader = DerReader.of(tlv, 'SingleResponse');
  const certId = DerReader.of(reader.read(Tag.SEQUENCE, 'certID'), 'CertID');
  const hashAlgorithm = parseAlgorithmIdentifier(certId.read(Tag.SEQUENCE, 'hashAlgorithm'));
  const issuerNameHash = certId.read(Tag.OCTET_STRING, 'issuerNameHash').value;
  const issuerKeyHash = certId.read(Tag.OCTET_STRING, 'issuerKeyHash').value;
  const serial = serialNumberKey(certId.read(Tag.INTEGER, 'serialNumber').value);
  certId.end('serialNumber');
  const certStatus = reader.read(undefined, 'certStatus');
  const thisUpdate = reader.read(Tag.GENERALIZED_TIME, 'thisUpdate');
  const nextField = reader.readOptional(0xa0, 'nextUpdate');
  reader.readOptional(0xa1, 'singleExtensions');
  reader.end('SingleResponse');
  return {
    hashAlgorithm,
    issuerNameHash,
    issuerKeyHash,
    serial,
    certStatus,
    thisUpdate: decodeTime(thisUpdate, 'thisUpdate'),
    nextUpdate: nextField
      ? decodeTime(readSingle(nextField.value, Tag.GENERALIZED_TIME, 'nextUpdate'), 'nextUpdate')
      : undefined,
  };
}

/** Decodes an OCSPResponse down to its BasicOCSPResponse; throws DerError or Error naming the problem. */
function readBasicResponse(der: Uint8Array): BasicResponse {
  const outer = DerReader.of(readSingle(der, Tag.SEQUENCE, 'OCSPResponse'), 'OCSPResponse');
  const status = outer.read(Tag.ENUMERATED, 'responseStatus').value;
  const code = status.length === 1 ? (status[0] as number) : -1;
  if (code !== 0) throw new Error(`responder answered ${RESPONSE_STATUS[code] ?? 'an unknown status'}`);
  const bytesField = outer.read(0xa0, 'responseBytes');
  outer.end('responseBytes');
  const responseBytes = DerReader.of(readSingle(bytesField.value, Tag.SEQUENCE), 'ResponseBytes');
  const type = decodeOid(responseBytes.read(Tag.OID, 'responseType').value);
  const body = responseBytes.read(Tag.OCTET_STRING, 'response').value;
  responseBytes.end('response');
  if (type !== OCSP_BASIC_OID) throw new Error(`response type ${type} is not id-pkix-ocsp-basic`);

  const basic = DerReader.of(readSingle(body, Tag.SEQUENCE, 'BasicOCSPResponse'), 'BasicOCSPResponse');
  const tbsTlv = basic.read(Tag.SEQUENCE, 'tbsResponseData');
  const signatureAlgorithm = parseAlgorithmIdentifier(basic.read(Tag.SEQUENCE, 'signatureAlgorithm'));
  const bits = decodeBitString(basic.read(Tag.BIT_STRING, 'signature').value);
  if (bits.unusedBits !== 0) throw new DerError('signature BIT STRING has unused bits');
  const certsField = basic.readOptional(0xa0, 'certs');
  basic.end('certs');
  const certs = certsField ? children(readSingle(certsField.value, Tag.SEQUENCE)).map((c) => c.bytes) : [];

  const data = DerReader.of(tbsTlv, 'ResponseData');
  data.readOptional(0xa0, 'version');
  const responder = data.read(undefined, 'responderID');
  if (responder.tag !== 0xa1 && responder.tag !== 0xa2)
    throw new DerError('responderID is neither byName nor byKey');
  data.read(Tag.GENERALIZED_TIME, 'producedAt');
  const responses = children(data.read(Tag.SEQUENCE, 'responses')).map(readSingleResponse);
  const extField = data.readOptional(0xa1, 'responseExtensions');
  data.end('ResponseData');
  const nonce = extField ? readExtensions(extField).get(OCSP_NONCE_OID) : undefined;
  return { tbs: tbsTlv.bytes, signatureAlgorithm, signature: bits.bytes, certs, responses, nonce };
}

/** Who signed the response: the issuer, or a delegated responder it authorised; else why neither did. */
function responseSigner(
  response: BasicResponse,
  issuer: ParsedCertificate,
  at: Date,
): { ok: true } | { ok: false; problem: string } {
  const scheme = signatureScheme(response.signatureAlgorithm);
  if (!scheme.ok) return { ok: false, problem: `response signature: ${scheme.reason}` };
  const verifies = (cert: ParsedCertificate) => {
    const key = cert.verificationKey();
    return key !== undefined && verifyWithScheme(scheme.scheme, response.tbs, response.signature, key);
  };
  if (verifies(issuer)) return { ok: true };
  let note = 'the response is not signed by the issuing CA and carries no responder certificate';
  for (const der of response.certs) {
    let responder: ParsedCertificate;
    try {
      responder = ParsedCertificate.parse(Uint8Array.from(der));
    } catch {
      continue;
    }
    const who = `responder certificate ${responder.label}`;
    if (responder.issuer.key !== issuer.subject.key || !responder.isSignedBy(issuer)) {
      note = `${who} is not issued by ${issuer.label}`;
    } else if (
      !signatureScheme(responder.signatureAlgorithm).ok ||
      responder.problems.length > 0 ||
      responder.keyProblem !== undefined
    ) {
      note = `${who} is not acceptable (${responder.problems[0] ?? responder.keyProblem ?? 'signature algorithm'})`;
    } else if (!responder.extKeyUsage?.includes(OID.ocspSigning)) {
      note = `${who} lacks extendedKeyUsage id-kp-OCSPSigning`;
    } else if (at < responder.notBefore || at > responder.notAfter) {
      note = `${who} is outside its validity period`;
    } else if (!verifies(responder)) {
      note = `the response signature does not verify with ${who}`;
    } else {
      return { ok: true };
    }
  }
  return { ok: false, problem: note };
}

export interface OcspJudgementParams {
  response: Uint8Array;
  request: OcspRequest;
  cert: ParsedCertificate;
  issuer: ParsedCertificate;
  at: Date;
  clockSkewMs: number;
}

/** Judges one OCSP response for one certificate (see the module comment for the rules). Never throws. */
export function judgeOcspResponse(params: OcspJudgementParams): OcspVerdict {
  const { cert, issuer, at, clockSkewMs } = params;
  let response: BasicResponse;
  try {
    response = readBasicResponse(params.response);
  } catch (error) {
    const message = (error as Error).message;
    return {
      status: 'unusable',
      problem: error instanceof DerError ? `malformed response (${message})` : message,
    };
  }
  const signer = responseSigner(response, issuer, at);
  if (!signer.ok) return { status: 'unusable', problem: signer.problem };
  if (response.nonce !== undefined && !bytesEqual(response.nonce, params.request.nonce)) {
    return { status: 'unusable', problem: 'the response nonce is not the one sent (a replayed response?)' };
  }
  const serial = serialNumberKey(cert.serial);
  const single = response.responses.find((r) => {
    const hash = CERT_ID_HASHES[r.hashAlgorithm.oid];
    if (hash === undefined || r.serial !== serial) return false;
    const digest = (data: Uint8Array) => new Uint8Array(createHash(hash).update(data).digest());
    return (
      bytesEqual(r.issuerNameHash, digest(issuer.subject.der)) &&
      bytesEqual(r.issuerKeyHash, digest(issuer.subjectPublicKeyBits))
    );
  });
  if (single === undefined)
    return { status: 'unusable', problem: 'the response does not cover this certificate' };

  const now = at.getTime();
  if (single.thisUpdate.getTime() - clockSkewMs > now) {
    return {
      status: 'unusable',
      problem: `the response is not yet valid (thisUpdate ${single.thisUpdate.toISOString()})`,
    };
  }
  const expiresAt = single.nextUpdate ?? new Date(single.thisUpdate.getTime() + NO_NEXT_UPDATE_MS);
  if (expiresAt.getTime() + clockSkewMs < now) {
    return {
      status: 'unusable',
      problem: single.nextUpdate
        ? `the response is stale (nextUpdate ${single.nextUpdate.toISOString()} has passed)`
        : `the response has no nextUpdate and is too old (thisUpdate ${single.thisUpdate.toISOString()})`,
    };
  }
  switch (single.certStatus.tag) {
    case 0x80:
      return { status: 'good', thisUpdate: single.thisUpdate, expiresAt };
    case 0xa1: {
      try {
        const info = DerReader.of(single.certStatus, 'RevokedInfo');
        const revokedAt = decodeTime(info.read(Tag.GENERALIZED_TIME, 'revocationTime'));
        const reasonField = info.readOptional(0xa0, 'revocationReason');
        info.end();
        const code = reasonField ? readSingle(reasonField.value, Tag.ENUMERATED).value : undefined;
        const reason = code?.length === 1 ? CRL_REASONS[code[0] as number] : undefined;
        return { status: 'revoked', thisUpdate: single.thisUpdate, expiresAt, revokedAt, reason };
      } catch (error) {
        return { status: 'unusable', problem: `malformed RevokedInfo (${(error as Error).message})` };
      }
    }
    case 0x82:
      return { status: 'unusable', problem: 'the responder does not know this certificate (status unknown)' };
    default:
      return { status: 'unusable', problem: 'the response has an unknown certStatus' };
  }
}
