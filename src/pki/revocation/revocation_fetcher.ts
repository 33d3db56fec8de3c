/**
 * How revocation data is fetched over HTTP, as the revocation sources need it. Declared here, where it is
 * consumed, so src/pki stays free of any HTTP client; the gateway passes in the undici implementation
 * (src/adapters/undici_revocation_fetcher.ts), tests may pass their own.
 */
export interface RevocationFetchParams {
  url: string;
  /** POST with this body (an OCSP request); GET without (a CRL). */
  body?: { bytes: Uint8Array; contentType: string };
  /** The response body's media type we ask for. */
  accept: string;
  /** Whole exchange, connect to last byte. */
  timeoutMs: number;
  /** Bodies larger than this are refused (a CRL of a big CA is megabytes; an OCSP response is small). */
  maxBytes: number;
}

export interface RevocationFetcher {
  /**
   * The body of a 200 response. Rejects with an Error whose message is a short, client-safe phrase
   * ("did not answer within 3000 ms", "answered HTTP 503", "connection refused").
   */
  fetch(params: RevocationFetchParams): Promise<Uint8Array>;
}
