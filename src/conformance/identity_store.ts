/**
 * The suite's own certificates: `<dir>/<id>.chain.pem` (leaf first, then what the client presents) and
 * `<dir>/<id>.key.pem`, loaded on first use.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { decodePemBlocks } from '../pki/asn1/pem';
import { ParsedCertificate } from '../pki/certificate/parsed_certificate';
import { attributeValues } from '../pki/certificate/x500_name';
import { PrerequisiteFailed } from './conformance_case';

export interface Identity {
  id: string;
  chainPem: string;
  keyPem: string;
  /** Leaf first. */
  chainDers: Buffer[];
  leafDer: Buffer;
  /** Subject organizationIdentifier (2.5.4.97): the TPP's client_id under RFC 8705 tls_client_auth. */
  organizationIdentifier?: string;
  /** subjectAltName dNSName entries of the leaf: hosts this TPP may use as redirect targets. */
  dnsNames: string[];
}

const ORGANIZATION_IDENTIFIER = '2.5.4.97';

export class IdentityStore {
  private readonly cache = new Map<string, Identity | Error>();

  constructor(readonly dir: string) {}

  files(id: string): { chain: string; key: string } {
    return { chain: path.join(this.dir, `${id}.chain.pem`), key: path.join(this.dir, `${id}.key.pem`) };
  }

  has(id: string): boolean {
    const files = this.files(id);
    return existsSync(files.chain) && existsSync(files.key);
  }

  /** The identity, or an Error saying why it cannot be used. */
  load(id: string): Identity | Error {
    const cached = this.cache.get(id);
    if (cached !== undefined) return cached;
    const loaded = this.read(id);
    this.cache.set(id, loaded);
    return loaded;
  }

  /** For cases: a missing identity is a prerequisite failure, not a verdict on the target. */
  require(id: string): Identity {
    const loaded = this.load(id);
    if (loaded instanceof Error) throw new PrerequisiteFailed(`identity ${id} unusable: ${loaded.message}`);
    return loaded;
  }

  private read(id: string): Identity | Error {
    const files = this.files(id);
    if (!existsSync(files.chain)) return new Error(`missing ${path.basename(files.chain)} in ${this.dir}`);
    if (!existsSync(files.key)) return new Error(`missing ${path.basename(files.key)} in ${this.dir}`);
    try {
      const chainPem = readFileSync(files.chain, 'utf8');
      const keyPem = readFileSync(files.key, 'utf8');
      const chainDers = decodePemBlocks(chainPem, 'CERTIFICATE');
      const leafDer = chainDers[0];
      if (leafDer === undefined) return new Error(`${path.basename(files.chain)} holds no certificate`);
      let organizationIdentifier: string | undefined;
      let dnsNames: string[] = [];
      try {
        const leaf = ParsedCertificate.parse(leafDer);
        organizationIdentifier = attributeValues(leaf.subject, ORGANIZATION_IDENTIFIER)[0]?.text;
        dnsNames = (leaf.subjectAltNames ?? []).flatMap((n) => (n.type === 'dns' ? [n.value] : []));
      } catch {
        // Hostile fixtures may be unparsable on purpose; they are still sent as they are.
      }
      return {
        id,
        chainPem,
        keyPem,
        chainDers,
        leafDer,
        dnsNames,
        ...(organizationIdentifier !== undefined ? { organizationIdentifier } : {}),
      };
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
  }
}
