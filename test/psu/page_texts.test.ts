/**
 * Every error text a PSU can be shown exists in German and English, and can be shown again in the other
 * language by the switch of a page that answered a form (src/api/page_resume.ts). The texts are collected
 * from the source: the text argument of every AuthorizationPageError and errorPage call, and the texts the
 * routes hand to errorPage through a `text` constant.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../src/config/project_root';
import { errorResume, PAGE_ERROR_PATH } from '../../src/api/page_resume';
import { translatedError } from '../../src/api/page_text';

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return sourceFiles(file);
    return file.endsWith('.ts') ? [file] : [];
  });
}

/** The top-level arguments of the call whose `(` is at `open`, as source text. */
function callArguments(source: string, open: number): string[] {
  const args: string[] = [];
  let depth = 0;
  let quote: string | undefined;
  let start = open + 1;
  for (let i = open; i < source.length; i++) {
    const c = source[i] as string;
    if (quote !== undefined) {
      if (c === '\\') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') quote = c;
    else if ('([{'.includes(c)) depth++;
    else if (')]}'.includes(c)) {
      depth--;
      if (depth === 0) {
        args.push(source.slice(start, i));
        return args;
      }
    } else if (c === ',' && depth === 1) {
      args.push(source.slice(start, i));
      start = i + 1;
    }
  }
  throw new Error('unbalanced call');
}

/** Single-quoted string literals in a piece of source (backtick templates are checked apart). */
function literals(code: string): string[] {
  return [...code.matchAll(/'((?:[^'\\]|\\.)*)'/g)].map((m) => (m[1] as string).replace(/\\'/g, "'"));
}

function shownTexts(): { text: string; where: string }[] {
  const found: { text: string; where: string }[] = [];
  for (const file of sourceFiles(path.join(PROJECT_ROOT, 'src'))) {
    const source = readFileSync(file, 'utf8');
    const where = path.relative(PROJECT_ROOT, file);
    for (const call of ['new AuthorizationPageError(', 'errorPage(']) {
      for (let at = source.indexOf(call); at >= 0; at = source.indexOf(call, at + 1)) {
        if (source.slice(at - 9, at) === 'function ') continue;
        const text = callArguments(source, at + call.length - 1)[1] ?? '';
        for (const literal of literals(text)) found.push({ text: literal, where });
      }
    }
    for (const m of source.matchAll(/const text = '((?:[^'\\]|\\.)*)';/g)) {
      found.push({ text: m[1] as string, where });
    }
  }
  return found;
}

describe('the texts of the PSU error pages', () => {
  const texts = shownTexts();

  it('are found in the source (the collection works)', () => {
    expect(texts.length).toBeGreaterThan(25);
    expect(texts.map((t) => t.text)).toEqual(
      expect.arrayContaining([
        'Please sign in first.',
        'Too many failed sign-in attempts. Return to the app you came from and start again.',
        'Something went wrong on our side. Nothing was changed.',
      ]),
    );
  });

  it('each has a German version', () => {
    const untranslated = texts.filter(({ text }) => translatedError('de', text) === text);
    expect(untranslated).toEqual([]);
  });

  it('each can be shown again in the other language at the error page', () => {
    const unreachable = texts.filter(({ text }) => errorResume(text, 403) === undefined);
    expect(unreachable).toEqual([]);
    expect(errorResume('Please sign in first.', 403)).toMatch(
      new RegExp(`^${PAGE_ERROR_PATH}\\?m=[A-Za-z0-9_-]{16}&status=403$`),
    );
  });

  it('the texts naming a parameter are German too (shown only on GET pages, reloaded by the switch)', () => {
    expect(translatedError('de', 'The request is missing the parameter scope.')).toBe(
      'Der Anfrage fehlt der Parameter scope.',
    );
    expect(translatedError('de', 'The parameter state is malformed or repeated.')).toBe(
      'Der Parameter state ist fehlerhaft oder wiederholt.',
    );
  });
});
