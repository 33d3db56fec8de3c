import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gatewayNodeFlags } from '../src/config/node_flags';
import { PROJECT_ROOT } from '../src/config/project_root';

describe('the node flags npm start and the bench share', () => {
  it('are the ones package.json names, and npm start passes them to node', () => {
    const manifest = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as {
      config: { nodeFlags: string };
      scripts: { start: string };
    };
    expect(gatewayNodeFlags()).toEqual(
      manifest.config.nodeFlags
        .split(' ')
        .map((flag) => flag.replace(/^--openssl-config=/, `--openssl-config=${PROJECT_ROOT}/`)),
    );
    expect(gatewayNodeFlags()).toContain('--max-semi-space-size=8');
    expect(gatewayNodeFlags()).toContain(
      `--openssl-config=${path.join(PROJECT_ROOT, 'src/tls/openssl.cnf')}`,
    );
    expect(manifest.scripts.start).toMatch(/node \$npm_package_config_nodeFlags dist\/main\.js$/);
  });

  it('are accepted by this node', () => {
    // An unknown or misspelt flag makes node exit with "bad option" before running anything.
    const out = execFileSync(process.execPath, [...gatewayNodeFlags(), '-e', 'process.stdout.write("ran")'], {
      encoding: 'utf8',
    });
    expect(out).toBe('ran');
  });

  it('are none when package.json names none', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'node-flags-'));
    writeFileSync(path.join(dir, 'package.json'), '{"name":"x"}');
    expect(gatewayNodeFlags(dir)).toEqual([]);
    rmSync(dir, { recursive: true });
  });
});
