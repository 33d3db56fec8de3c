import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AisHandlerDeps, ReadGateState } from '../api/ais/ais_handler';
import { utcDay } from '../consent/consent';
import { FREQUENCY_EXHAUSTED, type ConsentService } from '../consent/consent_service';
import type { ReadAdmission } from '../consent/read_admission';
import { AccessExceeded, ConsentInvalid, TokenInvalid } from '../errors/gateway_error';
import type { PresentedAccessToken } from '../oauth/access_token_verifier';

export interface SharedStoreReadGateDeps {
  admission: ReadAdmission;
  consents: ConsentService;
  /** The request's token, as the earlier gates looked it up. */
  presentedToken: (req: IncomingMessage, res: ServerResponse) => PresentedAccessToken;
  /** A new lookup of the same token, past any cache (after `forget`). */
  freshToken: (req: IncomingMessage, gate: ReadGateState) => PresentedAccessToken;
  /** Drops the cached copies a refused admission showed to be stale. */
  forget: (consentId: string, tokenHash: string) => void;
  clock?: () => Date;
}

/**
 * The last gate of an AIS read on a store shared by several instances (PostgreSQL): one statement
 * confirms the consent and token state the earlier gates read from cached copies and counts the read.
 * When it finds them changed (a DELETE or revocation on another instance whose notice is still on its
 * way), the copies are dropped and the earlier gates run again on fresh rows, so the TPP gets the same
 * refusal it would have got a moment later.
 */
export function sharedStoreAdmitRead(
  deps: SharedStoreReadGateDeps,
): NonNullable<AisHandlerDeps['admitRead']> {
  const clock = deps.clock ?? (() => new Date());
  return async (req, res, gate) => {
    const tokenHash = deps.presentedToken(req, res).tokenHash;
    // The token gate before this one has already refused a read without a bearer token.
    if (tokenHash === undefined)
      throw new TokenInvalid({ text: 'Authorization: Bearer token required', path: 'header.Authorization' });
    const result = await deps.admission.admit({
      consentId: gate.consent.id,
      accessTokenHash: tokenHash,
      day: utcDay(clock()),
      limit: gate.consent.frequencyPerDay,
      count: !gate.psuInitiated,
    });
    if (!result.live) {
      deps.forget(gate.consent.id, tokenHash);
      await deps.consents.openForRead(gate.consent.id, gate.tpp);
      await deps.freshToken(req, gate).verifyFor(gate.consent.id);
      throw new ConsentInvalid({ text: 'The consent is not valid', detail: 'changed while the read ran' });
    }
    if (!result.admitted) throw new AccessExceeded(FREQUENCY_EXHAUSTED);
  };
}
