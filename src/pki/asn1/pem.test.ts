import { decodePemBlocks, decodePemOrDer, encodePem } from './pem';

describe('pem', () => {
  it('round-trips DER through PEM', () => {
    const der = Buffer.from([0x30, 0x03, 0x02, 0x01, 0x05]);
    expect(decodePemOrDer(Buffer.from(encodePem(der, 'CERTIFICATE')), 'CERTIFICATE')).toEqual([der]);
  });

  it('takes only blocks with the asked label, in order', () => {
    const text =
      encodePem(Buffer.from([0x30, 0]), 'X509 CRL') + encodePem(Buffer.from([0x30, 1]), 'CERTIFICATE');
    expect(decodePemBlocks(text, 'CERTIFICATE')).toEqual([Buffer.from([0x30, 1])]);
  });

  it('refuses text that is neither PEM nor DER', () => {
    expect(() => decodePemOrDer(Buffer.from('hello'), 'CERTIFICATE')).toThrow('no CERTIFICATE found');
  });
});
