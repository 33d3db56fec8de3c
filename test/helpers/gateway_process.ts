import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Env } from '../../src/config/config';
import type { ServerLimitOverrides } from '../../src/tls/gateway_server';
import { testPkiFiles } from './test_pki';

export interface GatewayProcess {
  pid: number;
  port: number;
  url: string;
  /** Everything the child wrote so far (its JSON log lines among it). */
  output(): string;
  /** Whether the process is still running. */
  alive(): boolean;
  stop(): Promise<void>;
}

export interface GatewayProcessParams {
  databaseUrl: string;
  env?: Env;
  serverLimits?: ServerLimitOverrides;
  /** RLIMIT_NOFILE for the child (bash `ulimit -n`), so a descriptor leak shows as refused clients. */
  fdLimit?: number;
  /** Extra node flags (e.g. the ones `npm start` passes). */
  nodeFlags?: string[];
}

const HELPERS = __dirname;

/** The real gateway in a second process on 127.0.0.1, configured with the run's fixture PKI. */
export function startGatewayProcess(params: GatewayProcessParams): Promise<GatewayProcess> {
  const files = testPkiFiles();
  const node = [
    ...(params.nodeFlags ?? []),
    '-r',
    path.join(HELPERS, 'ts_register.js'),
    path.join(HELPERS, 'gateway_child.ts'),
    JSON.stringify(params.serverLimits ?? {}),
  ];
  const quoted = [process.execPath, ...node].map((arg) => `'${arg.replace(/'/g, `'\\''`)}'`).join(' ');
  const script = `${params.fdLimit === undefined ? '' : `ulimit -n ${params.fdLimit} && `}exec ${quoted}`;
  const child: ChildProcess = spawn('bash', ['-c', script], {
    env: {
      PATH: process.env.PATH,
      GATEWAY_HOST: '127.0.0.1',
      GATEWAY_PORT: '0',
      GATEWAY_TRUST_ANCHOR: files.anchor,
      GATEWAY_TLS_CERT: files.serverChain,
      GATEWAY_TLS_KEY: files.serverKey,
      GATEWAY_CRL: files.crls.join(','),
      GATEWAY_DATABASE_URL: params.databaseUrl,
      GATEWAY_LOG_LEVEL: 'warn',
      ...params.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const match = /gateway-child-port=(\d+)/.exec(output);
      if (match?.[1] === undefined || child.pid === undefined) return;
      const port = Number(match[1]);
      resolve({
        pid: child.pid,
        port,
        url: `https://localhost:${port}`,
        output: () => output,
        alive: () => !exited,
        stop: async () => {
          if (!exited) child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exit;
          clearTimeout(timer);
        },
      });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    void exit.then(() => reject(new Error(`gateway child exited before listening:\n${output}`)));
  });
}
