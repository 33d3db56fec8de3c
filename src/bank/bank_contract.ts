import { readFileSync } from 'node:fs';
import path from 'node:path';
import { OpenAPIBackend } from 'openapi-backend';
import type { OpenAPIV3 } from 'openapi-types';
import { PROJECT_ROOT } from '../config/project_root';

/** The contract between the gateway and the bank; served at /bank-connector.json. */
export const BANK_CONTRACT_FILE = path.join(PROJECT_ROOT, 'openapi', 'bank-connector.json');

/** The major version in every path; a bank serves `${GATEWAY_BANK_URL}/bank/v1/…`. */
export const BANK_CONTRACT_BASE_PATH = '/bank/v1';

export function readBankContractText(): string {
  return readFileSync(BANK_CONTRACT_FILE, 'utf8');
}

/**
 * The contract compiled by openapi-backend: the HTTP connector validates the bank's answers with it, the
 * sandbox bank server routes and validates the gateway's requests with it. One reader of the document for
 * both sides, so they cannot disagree about what it says.
 */
export async function compileBankContract(params: {
  /** Query strings arrive as text: the server side coerces; answers are checked exactly as sent. */
  coerceTypes: boolean;
}): Promise<OpenAPIBackend> {
  const api = new OpenAPIBackend({
    // openapi-backend dereferences in place: its own parsed copy.
    definition: JSON.parse(readBankContractText()) as OpenAPIV3.Document,
    strict: true,
    // Validators are compiled when first used; test/bank/bank_contract.test.ts checks the document.
    quick: true,
    validate: true,
    coerceTypes: params.coerceTypes,
  });
  await api.init();
  return api;
}
