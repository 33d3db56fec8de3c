/** test/bank/fault_bank.cjs as a child process: a bank in front of the real one that misbehaves on command. */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

export type FaultMode =
  | 'pass'
  | 'garbage'
  | 'large'
  | 'large-chunked'
  | 'wrong-types'
  | 'bank-error'
  | 'busy'
  | 'slow'
  | 'drip'
  | 'die'
  | 'die-once'
  /** Payment orders are dropped unanswered, reads pass: the bank cannot execute. */
  | 'payments-unreachable'
  /** Payment orders reach the bank and are booked, but the answer is lost on the way back. */
  | 'payments-answer-lost';

export interface FaultBank {
  url: string;
  set(mode: FaultMode): Promise<void>;
  /** The Idempotency-Key of every payment order that reached this process, in order. */
  paymentKeys(): Promise<string[]>;
  stop(): Promise<void>;
}

export function startFaultBank(upstreamUrl: string): Promise<FaultBank> {
  const child: ChildProcess = spawn(process.execPath, [path.join(__dirname, 'fault_bank.cjs'), upstreamUrl], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let buffered = '';
  const waiters: { want: string; resolve: (keys: string[]) => void }[] = [];
  const command = (line: string): Promise<string[]> =>
    new Promise<string[]>((done) => {
      waiters.push({ want: line, resolve: done });
      child.stdin?.write(`${line}\n`);
    });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`fault bank exited with ${String(code)}`)));
    child.stdout?.on('data', (d: Buffer) => {
      buffered += d.toString();
      let newline;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = JSON.parse(buffered.slice(0, newline)) as {
          url?: string;
          mode?: string;
          paymentKeys?: string[];
        };
        buffered = buffered.slice(newline + 1);
        if (line.url !== undefined) {
          resolve({
            url: line.url,
            set: async (mode) => {
              await command(mode);
            },
            paymentKeys: () => command('report'),
            stop: async () => {
              child.stdin?.end();
              await exited;
            },
          });
        }
        const index = waiters.findIndex((w) => w.want === line.mode);
        if (index >= 0) waiters.splice(index, 1)[0]?.resolve(line.paymentKeys ?? []);
      }
    });
  });
}
