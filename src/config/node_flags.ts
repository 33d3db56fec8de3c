import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from './project_root';

/**
 * The V8 flags the gateway is meant to run with, kept in package.json `config.nodeFlags` so that
 * `npm start` (which passes `$npm_package_config_nodeFlags` to node) and the benchmark (which starts
 * every server it compares with them) cannot drift apart.
 *
 * `--max-semi-space-size=8` halves V8's young generation (16 MB semi-spaces by default on 64-bit): the
 * gateway's per-request garbage dies young either way, and the bench measured ~15 MB less peak RSS
 * under load at the same CPU per request.
 *
 * `--openssl-config=src/tls/openssl.cnf` stops OpenSSL issuing TLS 1.3 session tickets that could never
 * be accepted (the file says why). Its path is relative to the project root, resolved here so the flags
 * work from any directory.
 */
export function gatewayNodeFlags(root: string = PROJECT_ROOT): string[] {
  const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    config?: { nodeFlags?: unknown };
  };
  const flags = manifest.config?.nodeFlags;
  if (flags === undefined) return [];
  if (typeof flags !== 'string') throw new Error('package.json config.nodeFlags must be a string');
  return flags
    .split(/\s+/)
    .filter((flag) => flag !== '')
    .map((flag) => {
      const file = /^--openssl-config=(.+)$/.exec(flag)?.[1];
      return file === undefined ? flag : `--openssl-config=${path.resolve(root, file)}`;
    });
}
