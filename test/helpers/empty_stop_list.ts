import type { TrustGateOptions } from '../../src/api/trust_gate';

/**
 * A stop list with nobody on it, for suites below the store (the TLS layer, the OAuth endpoints on an
 * in-memory database). The gateway's real list over the store is tested in test/tpp and wired by
 * assembleGateway.
 */
export const EMPTY_STOP_LIST: TrustGateOptions['stopList'] = {
  blockOf: () => Promise.resolve(undefined),
};
