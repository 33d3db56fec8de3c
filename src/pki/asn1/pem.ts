/**
 * Reading certificate and CRL material as operators hand it to us: PEM bundles or single DER blobs.
 */
import { readFileSync } from 'node:fs';

export type PemLabel = 'CERTIFICATE' | 'X509 CRL';

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** Every PEM block with the given label, in file order. */
export function decodePemBlocks(text: string, label: PemLabel): Buffer[] {
  const blocks: Buffer[] = [];
  for (const match of text.matchAll(PEM_BLOCK)) {
    if (match[1] !== label) continue;
    const body = (match[2] ?? '').replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(body)) throw new Error(`malformed base64 in a ${label} PEM block`);
    blocks.push(Buffer.from(body, 'base64'));
  }
  return blocks;
}

export function encodePem(der: Uint8Array, label: PemLabel): string {
  const base64 = Buffer.from(der).toString('base64');
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/**
 * PEM (one or more blocks) or a single DER object. DER is recognised by its leading SEQUENCE tag, so a
 * text file without PEM blocks is an error rather than garbage handed to a parser.
 */
export function decodePemOrDer(content: Buffer, label: PemLabel): Buffer[] {
  if (content.length > 0 && content[0] === 0x30) return [content];
  const blocks = decodePemBlocks(content.toString('latin1'), label);
  if (blocks.length === 0) throw new Error(`no ${label} found (expected PEM or DER)`);
  return blocks;
}

export function readPemOrDerFile(file: string, label: PemLabel): Buffer[] {
  return decodePemOrDer(readFileSync(file), label);
}
