import { readFileSync } from 'node:fs';
import { OpenAPIBackend } from 'openapi-backend';
import type { OpenAPIV3 } from 'openapi-types';
import { AIS_OPENAPI_FILE } from '../../src/api/ais_api';

// The gateway loads its document in quick mode, which skips this check: it is made here, once per change.
describe('the AIS OpenAPI document', () => {
  it('is a valid OpenAPI 3 document', async () => {
    const api = new OpenAPIBackend({
      definition: JSON.parse(readFileSync(AIS_OPENAPI_FILE, 'utf8')) as OpenAPIV3.Document,
      strict: true,
      validate: false,
    });
    await api.init();
    expect(api.validateDefinition()).toBe(api.document);
  });

  it('would be refused if it broke the OpenAPI schema', async () => {
    const broken = JSON.parse(readFileSync(AIS_OPENAPI_FILE, 'utf8')) as Record<string, unknown>;
    broken.paths = 'not an object';
    const api = new OpenAPIBackend({
      definition: broken as unknown as OpenAPIV3.Document,
      strict: true,
      validate: false,
    });
    await expect(api.init()).rejects.toThrow();
  });
});
