import type { CaseResult } from '../../src/conformance/conformance_case';
import { htmlEscape, renderHtmlReport } from '../../src/conformance/html_report';
import { renderJunitReport, xmlEscape } from '../../src/conformance/junit_report';
import { buildSuiteReport, type SuiteReport } from '../../src/conformance/suite_report';

const hostile = `<script>alert("x")</script> & 'quotes' \u0001 ]]> </failure>`;

function result(id: string, verdict: CaseResult['verdict'], extra: Partial<CaseResult> = {}): CaseResult {
  return {
    id,
    group: 'client-certificate',
    title: `title ${hostile}`,
    clause: 'RFC 5280 §6.1',
    expected: '401 CERTIFICATE_INVALID',
    verdict,
    observed: `observed ${hostile}`,
    evidence: { request: 'GET /v1/accounts?a=1&b=<2>', status: 200, code: null, notes: [hostile] },
    startedAt: '2025-01-01T00:00:00.000Z',
    durationMs: 12,
    ...extra,
  };
}

function report(): SuiteReport {
  return buildSuiteReport({
    run: {
      startedAt: '2025-01-01T00:00:00.000Z',
      finishedAt: '2025-01-01T00:00:01.000Z',
      results: [
        result('CERT-a', 'PASS'),
        result('CERT-b', 'FAIL'),
        result('CERT-c', 'SKIP', { reason: `no fixture ${hostile}` }),
        result('TLS-01', 'PASS', { group: 'tls' }),
      ],
    },
    tool: { name: 'psd2-gateway', version: '0.1.0' },
    target: 'https://127.0.0.1:8443',
    serverName: 'localhost',
    anchor: { subject: `CN=Trent ${hostile}`, sha256: 'ab'.repeat(32) },
    tls: { protocol: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256' },
    preflight: [{ identity: 'alice', usable: true, required: true, message: hostile }],
  });
}

/** A strict-enough XML well-formedness check: balanced tags, no raw `<` or bare `&` in text or attributes. */
function assertWellFormedXml(xml: string): void {
  expect(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n')).toBe(true);
  const body = xml.slice(xml.indexOf('?>') + 2);
  expect(body).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/);
  expect(body).not.toMatch(/&(?!(amp|lt|gt|quot|apos);)/);
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w.-]*)((?:\s+[\w.-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  for (const m of body.matchAll(tag)) {
    const between = body.slice(last, m.index);
    expect(between).not.toContain('<');
    expect(between).not.toContain('>');
    last = (m.index ?? 0) + m[0].length;
    const [, closing, name = '', , selfClosing] = m;
    if (closing === '/') expect(stack.pop()).toBe(name);
    else if (selfClosing !== '/') stack.push(name);
  }
  expect(body.slice(last).trim()).toBe('');
  expect(stack).toEqual([]);
}

describe('JUnit report', () => {
  it('is well-formed XML with one testsuite per group and failure/skipped elements', () => {
    const xml = renderJunitReport(report());
    assertWellFormedXml(xml);
    expect(xml).toContain(
      '<testsuites name="psd2-gateway conformance" tests="4" failures="1" errors="0" skipped="1"',
    );
    expect(xml).toContain(
      '<testsuite name="client-certificate" tests="3" failures="1" errors="0" skipped="1"',
    );
    expect(xml).toContain('<testsuite name="tls" tests="1" failures="0"');
    expect(xml.match(/<failure /g)).toHaveLength(1);
    expect(xml.match(/<skipped message="no fixture /g)).toHaveLength(1);
    expect(xml).not.toContain('<script>');
  });

  it('escapes markup and drops characters XML cannot carry', () => {
    expect(xmlEscape(`a<b>&"c'\u0001`)).toBe('a&lt;b&gt;&amp;&quot;c&apos;\ufffd');
  });
});

describe('HTML report', () => {
  it('escapes everything from the target and contains no script or external reference', () => {
    const html = renderHtmlReport(report());
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/(src|href)=/i);
    expect(html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(html).toContain('GET /v1/accounts?a=1&amp;b=&lt;2&gt;');
    expect(html).toContain('ab'.repeat(32));
    expect(html).toContain('TLSv1.3');
    expect(html).toContain('<tr class="FAIL">');
  });

  it('htmlEscape covers the five special characters', () => {
    expect(htmlEscape(`<>&"'`)).toBe('&lt;&gt;&amp;&quot;&#39;');
  });
});
