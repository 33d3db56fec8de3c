/** What a PSU's browser reads from the gateway's pages, for supertest-driven tests. */

/** The first Set-Cookie of a response as `name=value`, as a cookie jar would send it back. */
export const cookieOf = (res: { headers: Record<string, unknown> }): string | undefined =>
  ([] as string[]).concat((res.headers['set-cookie'] as string[] | undefined) ?? [])[0]?.split(';')[0];

/** The page's form CSRF token. */
export const csrfOf = (html: string): string => /name="csrf_token" value="([^"]+)"/.exec(html)?.[1] ?? '';
