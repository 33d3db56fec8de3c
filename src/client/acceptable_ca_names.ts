/**
 * The CA names a server lists in its CertificateRequest (TLS 1.2 certificate_authorities field, TLS 1.3
 * extension). Node's TLS client does not expose them, so we ask `openssl s_client`, which prints them
 * after the handshake. Names are printed in RFC 2253 form so they can be compared with the anchor's
 * subject printed by the same tool.
 */
import { execFile } from 'node:child_process';

export type AcceptableCaNames =
  { available: true; names: string[]; openssl: string } | { available: false; reason: string };

export interface AcceptableCaNamesParams {
  host: string;
  port: number;
  /** SNI; omitted for IP targets. */
  serverName?: string;
  timeoutMs?: number;
  /** The openssl binary; `openssl` on PATH by default. */
  openssl?: string;
}

function run(
  file: string,
  args: string[],
  timeoutMs: number,
  input = '',
): Promise<{ stdout: string; stderr: string; error?: Error }> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ stdout, stderr, ...(error ? { error } : {}) }),
    );
    // s_client waits for input after the handshake; an empty stdin makes it close the connection.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input);
  });
}

/** Parses the block that `openssl s_client` prints after "Acceptable client certificate CA names". */
export function parseAcceptableCaNames(output: string): string[] | undefined {
  const lines = output.split(/\r?\n/);
  const start = lines.findIndex((l) => l.trim() === 'Acceptable client certificate CA names');
  if (start < 0) return undefined;
  const names: string[] = [];
  for (const line of lines.slice(start + 1)) {
    const trimmed = line.trim();
    if (
      trimmed === '' ||
      trimmed === '---' ||
      /^(Requested Signature|Client Certificate Types|Shared)/.test(trimmed)
    )
      break;
    names.push(trimmed);
  }
  return names;
}

export async function acceptableCaNames(params: AcceptableCaNamesParams): Promise<AcceptableCaNames> {
  const openssl = params.openssl ?? 'openssl';
  const timeoutMs = params.timeoutMs ?? 15_000;
  const version = await run(openssl, ['version'], timeoutMs);
  if (version.error !== undefined) {
    return { available: false, reason: `openssl is not available (${version.error.message.split('\n')[0]})` };
  }
  const args = [
    's_client',
    '-connect',
    `${params.host.includes(':') ? `[${params.host}]` : params.host}:${params.port}`,
    ...(params.serverName !== undefined ? ['-servername', params.serverName] : ['-noservername']),
    '-showcerts',
    '-nameopt',
    'RFC2253',
  ];
  const result = await run(openssl, args, timeoutMs);
  const output = `${result.stdout}\n${result.stderr}`;
  if (/No client certificate CA names sent/.test(output)) {
    return { available: true, names: [], openssl: version.stdout.trim() };
  }
  const names = parseAcceptableCaNames(output);
  if (names === undefined) {
    const firstError = result.stderr.split('\n').find((l) => l.trim() !== '') ?? 'no output';
    return {
      available: false,
      reason: `openssl s_client did not report a CertificateRequest: ${firstError}`,
    };
  }
  return { available: true, names, openssl: version.stdout.trim() };
}

/** The subject of a PEM certificate in the same RFC 2253 form that s_client prints. */
export async function subjectRfc2253(pem: string, openssl = 'openssl'): Promise<string | undefined> {
  const result = await run(openssl, ['x509', '-noout', '-subject', '-nameopt', 'RFC2253'], 10_000, pem);
  if (result.error !== undefined) return undefined;
  return result.stdout.trim().replace(/^subject=\s*/, '');
}
