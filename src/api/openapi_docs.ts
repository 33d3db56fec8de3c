import type { OpenAPIV3 } from 'openapi-types';

/**
 * Browsable API reference rendered on the server from the OpenAPI document: plain HTML and one
 * stylesheet, no scripts and nothing fetched from elsewhere, so it works under a strict CSP
 * (`default-src 'self'`) and offline.
 */

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

function isRef(value: unknown): value is OpenAPIV3.ReferenceObject {
  return typeof value === 'object' && value !== null && '$ref' in value;
}

function refName(ref: string): string {
  return ref.split('/').pop() ?? ref;
}

function anchor(kind: string, name: string): string {
  return `${kind}-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;
}

function resolveParameter(
  doc: OpenAPIV3.Document,
  p: OpenAPIV3.ReferenceObject | OpenAPIV3.ParameterObject,
): OpenAPIV3.ParameterObject | undefined {
  if (!isRef(p)) return p;
  const found = doc.components?.parameters?.[refName(p.$ref)];
  return found === undefined || isRef(found) ? undefined : found;
}

function resolveResponse(
  doc: OpenAPIV3.Document,
  r: OpenAPIV3.ReferenceObject | OpenAPIV3.ResponseObject,
): OpenAPIV3.ResponseObject | undefined {
  if (!isRef(r)) return r;
  const found = doc.components?.responses?.[refName(r.$ref)];
  return found === undefined || isRef(found) ? undefined : found;
}

/** A one-line type description with links to named schemas. */
function typeOf(schema: OpenAPIV3.ReferenceObject | OpenAPIV3.SchemaObject | undefined): string {
  if (schema === undefined) return '';
  if (isRef(schema)) {
    const name = refName(schema.$ref);
    return `<a href="#${anchor('schema', name)}">${escapeHtml(name)}</a>`;
  }
  if (schema.type === 'array') return `array of ${typeOf(schema.items)}`;
  const parts: string[] = [escapeHtml(schema.type ?? 'any')];
  if (schema.format !== undefined) parts.push(`(${escapeHtml(schema.format)})`);
  if (schema.enum !== undefined)
    parts.push(`one of ${schema.enum.map((v) => `<code>${escapeHtml(String(v))}</code>`).join(', ')}`);
  if (schema.pattern !== undefined) parts.push(`pattern <code>${escapeHtml(schema.pattern)}</code>`);
  if (schema.minimum !== undefined) parts.push(`≥ ${schema.minimum}`);
  if (schema.maximum !== undefined) parts.push(`≤ ${schema.maximum}`);
  if (schema.maxLength !== undefined) parts.push(`max ${schema.maxLength} chars`);
  return parts.join(' ');
}

function contentSchemas(content: Record<string, OpenAPIV3.MediaTypeObject> | undefined): string {
  return Object.entries(content ?? {})
    .map(([type, media]) => `<code>${escapeHtml(type)}</code> ${typeOf(media.schema)}`)
    .join('<br>');
}

function renderOperation(
  doc: OpenAPIV3.Document,
  path: string,
  method: string,
  op: OpenAPIV3.OperationObject,
): string {
  const id = op.operationId ?? `${method}-${path}`;
  const out: string[] = [
    `<section class="op" id="${anchor('op', id)}">`,
    `<h3><span class="method ${method}">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code></h3>`,
    `<p class="summary">${escapeHtml(op.summary ?? '')} <small>operationId <code>${escapeHtml(id)}</code></small></p>`,
  ];
  if (op.description !== undefined) out.push(`<p>${escapeHtml(op.description)}</p>`);
  const params = (op.parameters ?? []).map((p) => resolveParameter(doc, p)).filter((p) => p !== undefined);
  if (params.length > 0) {
    out.push(
      '<table><thead><tr><th>Parameter</th><th>In</th><th>Required</th><th>Type</th><th>Description</th></tr></thead><tbody>',
    );
    for (const p of params) {
      out.push(
        `<tr><td><code>${escapeHtml(p.name)}</code></td><td>${escapeHtml(p.in)}</td><td>${p.required === true ? 'yes' : 'no'}</td>` +
          `<td>${typeOf(p.schema)}</td><td>${escapeHtml(p.description ?? '')}</td></tr>`,
      );
    }
    out.push('</tbody></table>');
  }
  if (op.requestBody !== undefined && !isRef(op.requestBody)) {
    out.push(`<p><strong>Request body</strong>: ${contentSchemas(op.requestBody.content)}</p>`);
  }
  out.push('<table><thead><tr><th>Status</th><th>Description</th><th>Body</th></tr></thead><tbody>');
  for (const [status, response] of Object.entries(op.responses)) {
    const r = resolveResponse(doc, response);
    if (r === undefined) continue;
    out.push(
      `<tr><td>${escapeHtml(status)}</td><td>${escapeHtml(r.description)}</td><td>${contentSchemas(r.content)}</td></tr>`,
    );
  }
  out.push('</tbody></table></section>');
  return out.join('\n');
}

function renderSchema(name: string, schema: OpenAPIV3.ReferenceObject | OpenAPIV3.SchemaObject): string {
  const out = [`<section class="schema" id="${anchor('schema', name)}"><h3>${escapeHtml(name)}</h3>`];
  if (isRef(schema)) return `${out[0]}<p>see ${typeOf(schema)}</p></section>`;
  if (schema.description !== undefined) out.push(`<p>${escapeHtml(schema.description)}</p>`);
  if (schema.properties === undefined) {
    out.push(`<p>${typeOf(schema)}</p>`);
  } else {
    const required = new Set(schema.required ?? []);
    out.push(
      '<table><thead><tr><th>Field</th><th>Required</th><th>Type</th><th>Description</th></tr></thead><tbody>',
    );
    for (const [field, sub] of Object.entries(schema.properties)) {
      const description = isRef(sub) ? '' : (sub.description ?? '');
      out.push(
        `<tr><td><code>${escapeHtml(field)}</code></td><td>${required.has(field) ? 'yes' : 'no'}</td>` +
          `<td>${typeOf(sub)}</td><td>${escapeHtml(description)}</td></tr>`,
      );
    }
    out.push('</tbody></table>');
  }
  out.push('</section>');
  return out.join('\n');
}

export interface DocsLinks {
  /** Where the document itself is served, e.g. `/openapi.json`. */
  document: string;
  /** Other rendered documents to link from this one. */
  related?: readonly { href: string; text: string }[];
}

export function renderOpenApiDocs(
  doc: OpenAPIV3.Document,
  stylesheetHref: string,
  links: DocsLinks = { document: '/openapi.json' },
): string {
  const operations: string[] = [];
  const toc: string[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item?.[method];
      if (op === undefined) continue;
      const id = op.operationId ?? `${method}-${path}`;
      toc.push(
        `<li><a href="#${anchor('op', id)}"><span class="method ${method}">${method.toUpperCase()}</span> ${escapeHtml(path)}</a></li>`,
      );
      operations.push(renderOperation(doc, path, method, op));
    }
  }
  const schemas = Object.entries(doc.components?.schemas ?? {}).map(([name, s]) => renderSchema(name, s));
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(doc.info.title)}</title>`,
    `<link rel="stylesheet" href="${escapeHtml(stylesheetHref)}">`,
    '</head><body><main>',
    `<h1>${escapeHtml(doc.info.title)}</h1>`,
    `<p class="version">version ${escapeHtml(doc.info.version)} · <a href="${escapeHtml(links.document)}">${escapeHtml(links.document.replace(/^\//, ''))}</a>${(
      links.related ?? []
    )
      .map((r) => ` · <a href="${escapeHtml(r.href)}">${escapeHtml(r.text)}</a>`)
      .join('')}</p>`,
    `<p>${escapeHtml(doc.info.description ?? '')}</p>`,
    `<nav><h2>Endpoints</h2><ul>${toc.join('')}</ul></nav>`,
    '<h2>Operations</h2>',
    ...operations,
    '<h2>Schemas</h2>',
    ...schemas,
    '</main></body></html>',
  ].join('\n');
}

export const OPENAPI_DOCS_CSS = `
body { font-family: system-ui, sans-serif; margin: 0; color: #1d2330; background: #fafbfc; }
main { max-width: 1100px; margin: 0 auto; padding: 1rem 2rem 4rem; }
h1 { font-size: 1.6rem; } h2 { margin-top: 2.5rem; border-bottom: 1px solid #d8dde6; }
section { background: #fff; border: 1px solid #d8dde6; border-radius: 6px; padding: 0.5rem 1rem; margin: 1rem 0; }
table { border-collapse: collapse; width: 100%; margin: 0.5rem 0; font-size: 0.9rem; }
th, td { text-align: left; border-bottom: 1px solid #eceff4; padding: 0.3rem 0.5rem; vertical-align: top; }
code { font-family: ui-monospace, monospace; font-size: 0.85rem; word-break: break-all; }
.method { display: inline-block; min-width: 4.2rem; text-align: center; border-radius: 4px; color: #fff; font-size: 0.8rem; padding: 0.1rem 0.3rem; }
.get { background: #2f7d32; } .post { background: #1f5fbf; } .delete { background: #b3261e; } .put, .patch { background: #8a5a00; }
nav ul { list-style: none; padding: 0; } nav li { margin: 0.2rem 0; } a { color: #1f5fbf; text-decoration: none; }
.summary small, .version { color: #5b6475; }
`;
