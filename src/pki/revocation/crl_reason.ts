/**
 * RFC 5280 5.3.1 CRLReason names by their ENUMERATED value (8 is unused). CRL entries and OCSP revoked
 * answers (RFC 6960 4.2.1) carry the same enumeration.
 */
export const CRL_REASONS: readonly string[] = [
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'certificateHold',
  'unused',
  'removeFromCRL',
  'privilegeWithdrawn',
  'aACompromise',
];
