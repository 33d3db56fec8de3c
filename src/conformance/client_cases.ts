/**
 * The client-certificate rows from the fixture generator (`fixtures/client_cases.json`): one
 * conformance case per row, whatever the file holds at run time.
 */
import { readFileSync } from 'node:fs';

export interface ClientCaseRow {
  id: string;
  title: string;
  /** What the client presents, as described by the fixture generator. */
  presents?: string;
  expect: { status: number; code: string | null };
  /** Informative: a phrase the gateway's refusal text is expected to contain. */
  reasonContains?: string;
  /** Overrides the default (allowed for CERTIFICATE_* refusals) on whether a dropped handshake counts. */
  handshakeRefusalAllowed?: boolean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function parseClientCases(json: unknown, source = 'client cases'): ClientCaseRow[] {
  if (!Array.isArray(json)) throw new Error(`${source}: expected a JSON array of cases`);
  return json.map((row: unknown, index): ClientCaseRow => {
    const where = `${source}[${index}]`;
    if (!isRecord(row)) throw new Error(`${where}: expected an object`);
    const { id, title, presents, expect, reasonContains, handshakeRefusalAllowed } = row;
    if (typeof id !== 'string' || !/^[A-Za-z0-9._-]+$/.test(id))
      throw new Error(`${where}: id must be a simple name`);
    if (typeof title !== 'string') throw new Error(`${where}: title must be a string`);
    if (!isRecord(expect) || typeof expect.status !== 'number')
      throw new Error(`${where}: expect.status missing`);
    const code = expect.code;
    if (code !== null && code !== undefined && typeof code !== 'string')
      throw new Error(`${where}: expect.code`);
    return {
      id,
      title,
      ...(typeof presents === 'string'
        ? { presents }
        : presents !== undefined
          ? { presents: JSON.stringify(presents) }
          : {}),
      expect: { status: expect.status, code: typeof code === 'string' ? code : null },
      ...(typeof reasonContains === 'string' ? { reasonContains } : {}),
      ...(typeof handshakeRefusalAllowed === 'boolean' ? { handshakeRefusalAllowed } : {}),
    };
  });
}

export function loadClientCases(file: string): ClientCaseRow[] {
  return parseClientCases(JSON.parse(readFileSync(file, 'utf8')) as unknown, file);
}
