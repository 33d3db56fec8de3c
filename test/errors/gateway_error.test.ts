import { CertificateInvalid, GatewayError, InternalServerError } from '../../src/errors/gateway_error';

describe('GatewayError', () => {
  it('carries no stack frames: a refusal is control flow', () => {
    const error = new CertificateInvalid({ text: 'untrusted', detail: 'for the log' });
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('CertificateInvalid');
    expect(error.message).toBe('untrusted');
    expect(error.stack).toBe('CertificateInvalid: untrusted');
    expect(new InternalServerError('boom').stack).not.toMatch(/\n\s+at /);
  });

  it('leaves the stacks of every other error alone', () => {
    const limit = Error.stackTraceLimit;
    new CertificateInvalid('untrusted');
    expect(Error.stackTraceLimit).toBe(limit);
    expect(new Error('unexpected').stack).toMatch(/\n\s+at .*gateway_error\.test\.ts/);
  });
});
