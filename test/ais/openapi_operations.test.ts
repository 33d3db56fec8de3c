import { OpenAPIBackend } from 'openapi-backend';
import type { OpenAPIV3 } from 'openapi-types';
import { OpenApiOperations, type OperationRequest } from '../../src/api/openapi_operations';

const ok = { '200': { description: 'ok' } };
const id = (name: string): OpenAPIV3.ParameterObject => ({
  name,
  in: 'path',
  required: true,
  schema: { type: 'string', maxLength: 8 },
});

const DOCUMENT: OpenAPIV3.Document = {
  openapi: '3.0.3',
  info: { title: 'routing probe', version: '1' },
  paths: {
    '/things': {
      get: {
        operationId: 'listThings',
        parameters: [
          { name: 'limit', in: 'query', schema: { type: 'integer' } },
          { name: 'tag', in: 'query', schema: { type: 'array', items: { type: 'string' } } },
          { name: 'X-Request-ID', in: 'header', required: true, schema: { type: 'string' } },
        ],
        responses: ok,
      },
      post: {
        operationId: 'createThing',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
            },
          },
        },
        responses: ok,
      },
    },
    '/things/{thingId}': { get: { operationId: 'getThing', parameters: [id('thingId')], responses: ok } },
    '/things/{thingId}/parts': {
      get: { operationId: 'getParts', parameters: [id('thingId')], responses: ok },
    },
    '/things/special': {
      // An OpenAPI extension, which openapi-types does not model.
      delete: { operationId: 'deleteSpecial', responses: ok, ...{ 'x-psd2-role': 'PSP_PI' } },
    },
  },
};

let operations: OpenApiOperations;

beforeAll(async () => {
  const api = new OpenAPIBackend({ definition: structuredClone(DOCUMENT), strict: true, coerceTypes: true });
  await api.init();
  operations = new OpenApiOperations(api);
});

function request(overrides: Partial<OperationRequest>): OperationRequest {
  return {
    method: 'GET',
    path: '/things',
    params: {},
    query: {},
    headers: { 'x-request-id': 'r1' },
    ...overrides,
  };
}

describe('routing', () => {
  it.each([
    ['GET', '/things', 'listThings', {}],
    ['POST', '/things', 'createThing', {}],
    ['GET', '/things/', 'listThings', {}],
    ['GET', '/things/t1', 'getThing', { thingId: 't1' }],
    ['GET', '/things/t1/parts', 'getParts', { thingId: 't1' }],
    ['GET', '/things/a%20b', 'getThing', { thingId: 'a b' }],
    // A template matches a literal path too when the literal route has no operation for the method.
    ['GET', '/things/special', 'getThing', { thingId: 'special' }],
  ])('%s %s is %s', (method, path, operationId, params) => {
    expect(operations.match(method, path)).toEqual({ kind: 'found', operationId, role: undefined, params });
  });

  it("carries the operation's x-psd2-role", () => {
    expect(operations.match('DELETE', '/things/special')).toEqual({
      kind: 'found',
      operationId: 'deleteSpecial',
      role: 'PSP_PI',
      params: {},
    });
  });

  it.each([
    ['GET', '/other'],
    ['GET', '/things/t1/parts/more'],
    ['GET', '/things/%E0%A4%A'],
    ['GET', '/things//parts'],
  ])('%s %s is not found', (method, path) => {
    expect(operations.match(method, path)).toEqual({ kind: 'not-found' });
  });

  it('tells a known path with another method from an unknown path', () => {
    expect(operations.match('PUT', '/things/t1')).toEqual({ kind: 'method-not-allowed' });
    expect(operations.match('PATCH', '/things')).toEqual({ kind: 'method-not-allowed' });
  });

  it('knows every operation of the document', () => {
    expect([...operations.operationIds].sort()).toEqual(
      ['createThing', 'deleteSpecial', 'getParts', 'getThing', 'listThings'].sort(),
    );
  });
});

describe('validation', () => {
  it('accepts a valid request and coerces query values in place', () => {
    const valid = request({ query: { limit: '10', tag: 'red' } });
    expect(operations.validate('listThings', valid)).toBeUndefined();
    expect(valid.query).toEqual({ limit: 10, tag: ['red'] });
  });

  it('refuses a missing header, an unknown query parameter and a wrong type', () => {
    expect(operations.validate('listThings', request({ headers: {} }))?.[0]).toMatchObject({
      keyword: 'required',
      params: { missingProperty: 'x-request-id' },
    });
    expect(operations.validate('listThings', request({ query: { nope: '1' } }))?.[0]).toMatchObject({
      keyword: 'additionalProperties',
      instancePath: '/query',
    });
    expect(operations.validate('listThings', request({ query: { limit: 'ten' } }))?.[0]).toMatchObject({
      instancePath: '/query/limit',
    });
  });

  it('checks path parameters and bodies against their schemas', () => {
    expect(
      operations.validate('getThing', request({ path: '/things/x', params: { thingId: 'much-too-long' } })),
    ).toBeDefined();
    expect(
      operations.validate('createThing', request({ method: 'POST', requestBody: { name: 'n' } })),
    ).toBeUndefined();
    expect(
      operations.validate('createThing', request({ method: 'POST', requestBody: {} }))?.[0],
    ).toMatchObject({
      instancePath: '/requestBody',
      keyword: 'required',
    });
    expect(operations.validate('createThing', request({ method: 'POST' }))?.[0]).toMatchObject({
      keyword: 'required',
      params: { missingProperty: 'requestBody' },
    });
  });
});
