/**
 * `node -r ./test/helpers/ts_register.js file.ts`: runs the TypeScript sources in a second process
 * without a build step, so a test can start the real gateway as a child (under its own fd limit, say).
 * Transpile only, as jest's ts-jest setup does; `npm run typecheck` checks the types.
 */
const fs = require('node:fs');
const ts = require('typescript');

const compilerOptions = {
  module: ts.ModuleKind.CommonJS,
  target: ts.ScriptTarget.ES2022,
  esModuleInterop: true,
  experimentalDecorators: true,
};

require.extensions['.ts'] = (module, filename) => {
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    compilerOptions,
    fileName: filename,
  });
  module._compile(outputText, filename);
};
