/**
 * Acts as the PSU in a plain browser: no client certificate, a cookie jar, forms submitted as found
 * (hidden fields included), same-origin redirects followed by hand, and a stop at the first redirect to
 * the TPP's redirect_uri, whose code and state are read but never fetched.
 */
import type { TppClient, TppResponse } from '../client/tpp_client';
import { dynamicLinkingMessage } from '../sca/authorisation_subject';
import { hotp, timeStep } from '../sca/totp';
import type { GatewayContract } from './gateway_contract';
import { formSubmission, parseHtmlForms, type HtmlForm } from './html_forms';

export interface PsuAgentParams {
  client: TppClient;
  /** Absolute authorisation URL on the client's origin. */
  startUrl: string;
  redirectUri: string;
  username: string;
  password: string;
  /** Hex TOTP seed: the agent types the code its authenticator would show when the form asks for one. */
  totpSeed?: string;
  decision: 'approve' | 'deny';
  fields: GatewayContract['psuForm'];
  maxSteps: number;
  /** Called with every response, e.g. to collect error bodies. */
  observe?: (res: TppResponse) => void;
}

export type PsuOutcome =
  | {
      kind: 'redirected';
      location: string;
      code: string | null;
      state: string | null;
      error: string | null;
      /** One line per request made, e.g. `POST /oauth2/authorize -> 200`. */
      trail: string[];
    }
  | { kind: 'stopped'; reason: string; status: number | null; trail: string[] };

function sameTarget(a: URL, b: URL): boolean {
  return a.origin === b.origin && a.pathname === b.pathname;
}

function cookieHeader(jar: Map<string, string>): string | undefined {
  if (jar.size === 0) return undefined;
  return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
}

function storeCookies(jar: Map<string, string>, res: TppResponse): void {
  const setCookie = res.headers['set-cookie'] ?? [];
  for (const line of setCookie) {
    const pair = line.split(';')[0] ?? '';
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    // An expiry in the past or Max-Age=0 deletes the cookie.
    if (/;\s*max-age=0/i.test(line) || value === '') jar.delete(name);
    else jar.set(name, value);
  }
}

export async function actAsPsu(params: PsuAgentParams): Promise<PsuOutcome> {
  const jar = new Map<string, string>();
  const trail: string[] = [];
  const redirect = new URL(params.redirectUri);
  const { fields } = params;
  let url = new URL(params.startUrl);
  let method: 'GET' | 'POST' = 'GET';
  let form: [string, string][] | undefined;
  let loginSubmitted = false;
  let decisionSubmitted = false;

  for (let step = 0; step < params.maxSteps; step++) {
    const cookie = cookieHeader(jar);
    const res = await params.client.request({
      method,
      path: url.href,
      headers: { accept: 'text/html', ...(cookie !== undefined ? { cookie } : {}) },
      ...(form !== undefined ? { form } : {}),
    });
    params.observe?.(res);
    storeCookies(jar, res);
    trail.push(`${res.requestLine} -> ${res.status}`);

    if (res.status >= 300 && res.status < 400) {
      const location = res.headers.location;
      if (location === undefined)
        return { kind: 'stopped', reason: `${res.status} without Location`, status: res.status, trail };
      const next = new URL(location, url);
      if (sameTarget(next, redirect)) {
        return {
          kind: 'redirected',
          location: next.href,
          code: next.searchParams.get('code'),
          state: next.searchParams.get('state'),
          error: next.searchParams.get('error'),
          trail,
        };
      }
      if (next.origin !== url.origin) {
        return {
          kind: 'stopped',
          reason: `redirected off-site to ${next.origin}`,
          status: res.status,
          trail,
        };
      }
      url = next;
      method = 'GET';
      form = undefined;
      continue;
    }
    if (res.status !== 200) {
      return {
        kind: 'stopped',
        reason: `authorisation page answered ${res.status}`,
        status: res.status,
        trail,
      };
    }

    const forms = parseHtmlForms(res.body);
    const has = (f: HtmlForm, name: string): boolean => f.controls.some((c) => c.name === name);
    const login = forms.find((f) => has(f, fields.password));
    const decide = forms.find((f) => has(f, fields.decision));
    let chosen: HtmlForm;
    if (login !== undefined && !loginSubmitted) {
      loginSubmitted = true;
      chosen = login;
      const wantsCode = has(login, fields.oneTimeCode) && params.totpSeed !== undefined;
      form = formSubmission(login, {
        [fields.username]: params.username,
        [fields.password]: params.password,
        ...(wantsCode
          ? { [fields.oneTimeCode]: oneTimeCode(params.totpSeed ?? '', res.body, params.startUrl) }
          : {}),
      });
    } else if (decide !== undefined && !decisionSubmitted) {
      decisionSubmitted = true;
      chosen = decide;
      const wanted = params.decision === 'approve' ? fields.approve : fields.deny;
      // Approving means granting what is offered: a PSU ticks the accounts the page lists.
      form = formSubmission(
        decide,
        {},
        {
          submitter: { name: fields.decision, value: wanted },
          tickAllCheckboxes: params.decision === 'approve',
        },
      );
    } else {
      const why =
        login !== undefined ? 'the login form was shown again (credentials refused?)' : 'no form to submit';
      return { kind: 'stopped', reason: why, status: res.status, trail };
    }
    const action = new URL(chosen.action === '' ? url.href : chosen.action, url);
    if (chosen.method === 'GET') {
      for (const [k, v] of form) action.searchParams.append(k, v);
      form = undefined;
      method = 'GET';
    } else {
      method = 'POST';
    }
    url = action;
  }
  return {
    kind: 'stopped',
    reason: `no redirect to the redirect_uri after ${params.maxSteps} steps`,
    status: null,
    trail,
  };
}

/**
 * What the PSU's authenticator shows: for a consent the code bound to its id, or, when the page shows a
 * payment before the code (the gateway's authorising card: amount, payee, payee account), the code bound
 * to the payment and what the PSU read there (dynamic linking), as a PSU types the shown facts into a
 * chipTAN-style device. The consent or payment id comes from the authorisation request's scope, which
 * the PSU's device is told as the bank's own app would be; without one, the plain TOTP.
 */
function oneTimeCode(seedHex: string, page: string, startUrl: string): string {
  const seed = Buffer.from(seedHex, 'hex');
  const step = timeStep(new Date());
  const scope = /^(AIS|PIS):(.+)$/.exec(new URL(startUrl).searchParams.get('scope') ?? '');
  const [, service, id = ''] = scope ?? [];
  const card = /<section aria-labelledby="authorising"[\s\S]*?<\/section>/.exec(page)?.[0];
  const facts =
    card === undefined ? [] : [...card.matchAll(/<dd[^>]*>([\s\S]*?)<\/dd>/g)].map((m) => m[1] ?? '');
  const [shownAmount, payee, payeeAccount] = facts.map((f) =>
    f
      .replace(/<[^>]*>/g, '')
      .replace(/&amp;/g, '&')
      .replace(/&#39;/g, "'")
      .replace(/&quot;/g, '"')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .trim(),
  );
  const amount = /^([\d.,]+) ([A-Z]{3})$/.exec(shownAmount ?? '');
  if (service !== 'PIS' || amount === null || payee === undefined || payeeAccount === undefined) {
    const consent = service === 'AIS' ? dynamicLinkingMessage({ kind: 'consent', consentId: id }) : undefined;
    return hotp(seed, step, {}, consent);
  }
  // The page's language decides the separators; the last one before two or more digits is the decimal.
  const digits = amount[1] ?? '';
  const decimal = /[.,](\d+)$/.exec(digits);
  const whole = (decimal === null ? digits : digits.slice(0, decimal.index)).replace(/[.,]/g, '');
  const message = dynamicLinkingMessage({
    kind: 'payment',
    paymentId: id,
    amount: decimal === null ? whole : `${whole}.${decimal[1] ?? ''}`,
    currency: amount[2] ?? '',
    creditorName: payee,
    creditorIban: payeeAccount.replace(/\s+/g, ''),
  });
  return hotp(seed, step, {}, message);
}
