/**
 * `node -r ./test/helpers/ts_register.js file.ts`: runs the TypeScript sources in a second process
 * without a build step (the real gateway as a child). Transpile only, as ts-jest does; `npm run typecheck`
 * checks the types.
 * Transpiled files are cached by content hash, so the workers of a cluster and later runs start quickly.
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const cacheDir = path.join(os.tmpdir(), 'psd2-gateway-ts-cache');
fs.mkdirSync(cacheDir, { recursive: true });
let ts;

require.extensions['.ts'] = function compileTypeScript(module, filename) {
  const source = fs.readFileSync(filename, 'utf8');
  const key = crypto.createHash('sha256').update(filename).update('\0').update(source).digest('hex');
  const cached = path.join(cacheDir, `${key}.js`);
  let output;
  try {
    output = fs.readFileSync(cached, 'utf8');
  } catch {
    ts ??= require('typescript');
    output = ts.transpileModule(source, {
      fileName: filename,
      compilerOptions: {
        module: ts.ModuleKind.CommonJS,
        target: ts.ScriptTarget.ES2022,
        esModuleInterop: true,
        resolveJsonModule: true,
        experimentalDecorators: true,
        inlineSourceMap: true,
      },
    }).outputText;
    const temporary = `${cached}.${process.pid}.tmp`;
    fs.writeFileSync(temporary, output);
    fs.renameSync(temporary, cached);
  }
  module._compile(output, filename);
};
