/**
 * The audit trail's port (RTS Art. 29: traceability). Every decision that matters is one `append`; the
 * store adapter (store/kysely_audit_trail.ts) chains the records by hash. `append` never blocks and never
 * throws: callers sit on the request path.
 */

/** The event types the gateway writes; other features add theirs (e.g. `signature.verified`). */
export type AuditEventType =
  | 'tpp.admitted'
  | 'tpp.refused'
  | 'tpp.blocked'
  | 'consent.created'
  | 'consent.authorised'
  | 'consent.rejected'
  | 'consent.revoked'
  | 'consent.terminated'
  | 'consent.expired'
  | 'payment.created'
  | 'payment.authorised'
  | 'payment.rejected'
  | 'payment.cancelled'
  | 'token.issued'
  | 'token.revoked'
  | (string & {});

/** Free-form evidence: flat values only, so the record's canonical form is unambiguous. */
export type AuditDetail = Record<string, string | number | boolean | null>;

export interface AuditEvent {
  type: AuditEventType;
  /** Default: when `append` is called. */
  at?: Date;
  requestId?: string;
  /** The TPP's organizationIdentifier. */
  tpp?: string;
  /** SHA-256 thumbprint of the TPP's certificate. */
  thumbprint?: string;
  /** What the decision was about: a consent or payment id (never a token or a PSU credential). */
  subject?: string;
  detail?: AuditDetail;
}

export interface AuditTrail {
  append(event: AuditEvent): void;
}

/** For tools and tests that run the gateway's services without a trail. */
export const NO_AUDIT: AuditTrail = { append: () => undefined };
