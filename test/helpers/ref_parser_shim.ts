/**
 * @apidevtools/json-schema-ref-parser (pulled in by openapi-backend) ships as ES modules only. Node 20.19+
 * loads it through require(esm) at runtime, but Jest's CommonJS module system cannot. Tests swap in this
 * stand-in, which resolves the in-document `$ref`s our spec uses (it has no external references).
 * Wired through `moduleNameMapper` in jest.config.js.
 */
import { dereferenceSync } from 'dereference-json-schema';

type Schema = Parameters<typeof dereferenceSync>[0];

const parser = {
  dereference: (doc: Schema) => Promise.resolve(dereferenceSync(doc)),
  resolve: () => Promise.reject(new Error('ref-parser shim: resolve is not available in tests')),
  parse: (doc: unknown) =>
    typeof doc === 'object' && doc !== null
      ? Promise.resolve(doc)
      : Promise.reject(new Error('ref-parser shim: only in-memory documents are supported in tests')),
};

export default parser;
