/**
 * Just enough HTML form parsing to act as the PSU on any authorisation page: forms with their action,
 * method and every named control (hidden CSRF fields included), without a DOM or scripts. Pages that
 * need JavaScript to log in are out of scope by design: the suite must behave like a plain browser.
 */

export interface HtmlFormControl {
  name: string;
  value: string;
  /** Lower-cased input type, `button`/`submit` for buttons, `select`, `textarea`. */
  type: string;
  /** For checkboxes and radio buttons: whether the page pre-selected it. */
  checked?: boolean;
}

export interface HtmlForm {
  /** Raw action attribute, entity-decoded; empty when absent (submit to the page itself). */
  action: string;
  method: 'GET' | 'POST';
  controls: HtmlFormControl[];
}

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
};

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, entity: string) => {
    if (entity[0] === '#') {
      const code =
        entity[1] === 'x' || entity[1] === 'X'
          ? parseInt(entity.slice(2), 16)
          : parseInt(entity.slice(1), 10);
      return Number.isFinite(code) && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    }
    return NAMED_ENTITIES[entity.toLowerCase()] ?? whole;
  });
}

/** Attributes of one start tag's inner text (`input type="hidden" name=x`). */
export function parseAttributes(tag: string): Map<string, string> {
  const attributes = new Map<string, string>();
  const pattern = /([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g;
  for (const match of tag.matchAll(pattern)) {
    const name = (match[1] ?? '').toLowerCase();
    if (name === '' || attributes.has(name)) continue;
    attributes.set(name, decodeEntities(match[2] ?? match[3] ?? match[4] ?? ''));
  }
  return attributes;
}

function stripComments(html: string): string {
  return html.replace(/<!--[\s\S]*?-->/g, '').replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, '');
}

function controlsOf(body: string): HtmlFormControl[] {
  const controls: HtmlFormControl[] = [];
  const pattern = /<(input|button|select|textarea)\b([^>]*)>([\s\S]*?(?=<\/\1\s*>)|)/gi;
  for (const match of body.matchAll(pattern)) {
    const element = (match[1] ?? '').toLowerCase();
    const attributes = parseAttributes(match[2] ?? '');
    const name = attributes.get('name');
    if (name === undefined || name === '' || attributes.has('disabled')) continue;
    const inner = match[3] ?? '';
    if (element === 'input') {
      const type = (attributes.get('type') ?? 'text').toLowerCase();
      const toggle = type === 'checkbox' || type === 'radio';
      controls.push({
        name,
        type,
        value: attributes.get('value') ?? (toggle ? 'on' : ''),
        ...(toggle ? { checked: attributes.has('checked') } : {}),
      });
    } else if (element === 'button') {
      controls.push({
        name,
        type: (attributes.get('type') ?? 'submit').toLowerCase(),
        value: attributes.get('value') ?? '',
      });
    } else if (element === 'textarea') {
      controls.push({ name, type: 'textarea', value: decodeEntities(inner) });
    } else {
      const options = [...inner.matchAll(/<option\b([^>]*)>([^<]*)/gi)].map((o) => {
        const attrs = parseAttributes(o[1] ?? '');
        return {
          value: attrs.get('value') ?? decodeEntities((o[2] ?? '').trim()),
          selected: attrs.has('selected'),
        };
      });
      const chosen = options.find((o) => o.selected) ?? options[0];
      if (chosen !== undefined) controls.push({ name, type: 'select', value: chosen.value });
    }
  }
  return controls;
}

export function parseHtmlForms(html: string): HtmlForm[] {
  const forms: HtmlForm[] = [];
  for (const match of stripComments(html).matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form\s*>/gi)) {
    const attributes = parseAttributes(match[1] ?? '');
    forms.push({
      action: attributes.get('action') ?? '',
      method: (attributes.get('method') ?? 'get').toUpperCase() === 'POST' ? 'POST' : 'GET',
      controls: controlsOf(match[2] ?? ''),
    });
  }
  return forms;
}

/**
 * The fields a browser would submit: every non-button control, plus the one submit button chosen (by
 * name and value), with `overrides` filling in what the user types.
 */
export interface FormSubmissionOptions {
  /** The button pressed. */
  submitter?: { name: string; value: string };
  /** Tick every checkbox, as a PSU granting everything offered would. */
  tickAllCheckboxes?: boolean;
}

/** The name/value pairs a browser would send, in document order; repeated names stay repeated. */
export function formSubmission(
  form: HtmlForm,
  overrides: Record<string, string>,
  options: FormSubmissionOptions = {},
): [string, string][] {
  const pairs: [string, string][] = [];
  for (const control of form.controls) {
    if (['submit', 'button', 'image', 'reset'].includes(control.type)) continue;
    if (control.name in overrides) continue;
    const ticked = control.type === 'checkbox' && options.tickAllCheckboxes === true;
    if (control.checked === false && !ticked) continue;
    pairs.push([control.name, control.value]);
  }
  for (const [name, value] of Object.entries(overrides)) pairs.push([name, value]);
  if (options.submitter !== undefined) pairs.push([options.submitter.name, options.submitter.value]);
  return pairs;
}
