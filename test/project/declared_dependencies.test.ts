/**
 * package.json tells the truth: every package the gateway's own code (src/, tests beside it excluded)
 * imports is a runtime dependency, every runtime dependency is imported by it, and tests import only
 * declared packages. Imports are read with TypeScript's own pre-processor, `import type` included.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import ts from 'typescript';

const root = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
};
const dependencies = new Set(Object.keys(pkg.dependencies ?? {}));
const devDependencies = new Set(Object.keys(pkg.devDependencies ?? {}));
const builtins = new Set(builtinModules);

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts'))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/** `@scope/name/sub` → `@scope/name`, `name/sub` → `name`; undefined for relative paths and node builtins. */
function packageOf(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:'))
    return undefined;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
  return builtins.has(name) ? undefined : name;
}

/** Package name → files importing it. */
function importsOf(files: string[]): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const file of files) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const { fileName } of info.importedFiles) {
      const name = packageOf(fileName);
      if (name === undefined) continue;
      found.set(name, [...(found.get(name) ?? []), path.relative(root, file)]);
    }
  }
  return found;
}

const srcFiles = tsFiles(path.join(root, 'src'));
const productionImports = importsOf(srcFiles.filter((f) => !f.endsWith('.test.ts')));
const testImports = importsOf([
  ...srcFiles.filter((f) => f.endsWith('.test.ts')),
  ...tsFiles(path.join(root, 'test')),
]);

describe('declared dependencies', () => {
  it('declares every package src/ imports under dependencies', () => {
    const undeclared = [...productionImports]
      .filter(([name]) => !dependencies.has(name))
      .map(([name, files]) => `${name} (${files[0]})`);
    expect(undeclared).toEqual([]);
  });

  it('declares no runtime dependency that src/ does not import', () => {
    expect([...dependencies].filter((name) => !productionImports.has(name))).toEqual([]);
  });

  it('lets tests import only declared packages', () => {
    const undeclared = [...testImports]
      .filter(([name]) => !dependencies.has(name) && !devDependencies.has(name))
      .map(([name, files]) => `${name} (${files[0]})`);
    expect(undeclared).toEqual([]);
  });
});
