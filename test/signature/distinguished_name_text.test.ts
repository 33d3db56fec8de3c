import { DerReader, Tag } from '../../src/pki/asn1/der';
import { parseName } from '../../src/pki/certificate/x500_name';
import { x509 } from '../../src/fixtures/x509';
import {
  distinguishedNameMatches,
  formatDistinguishedName,
  parseDistinguishedName,
} from '../../src/signature/distinguished_name_text';

/** The X500Name the path validator compares, from a name @peculiar/x509 encodes. */
const nameOf = (text: string) =>
  parseName(new DerReader(new Uint8Array(new x509.Name(text).toArrayBuffer())).read(Tag.SEQUENCE));

// @peculiar/x509 encodes RDNs in the order written: C first, as CAs' names usually are.
const ISSUER = nameOf('C=DE, O=Trent\\, Inc., OU=PSD2, CN=Trent QWAC Issuing CA');

describe('distinguished names as TPPs write them', () => {
  it.each([
    ['RFC 4514', 'CN=Trent QWAC Issuing CA,OU=PSD2,O=Trent\\, Inc.,C=DE'],
    ['RFC 4514 with hex escapes', 'CN=Trent QWAC Issuing CA,OU=PSD2,O=Trent\\2C Inc.,C=DE'],
    ['OpenSSL slash form', '/C=DE/O=Trent, Inc./OU=PSD2/CN=Trent QWAC Issuing CA'],
    ['OpenSSL comma form', 'C=DE, O="Trent, Inc.", OU=PSD2, CN=Trent QWAC Issuing CA'],
    [
      'long type names and dotted OIDs',
      'commonName=Trent QWAC Issuing CA,2.5.4.11=PSD2,OID.2.5.4.10=Trent\\, Inc.,countryName=DE',
    ],
    ['case and spacing', 'cn=TRENT   qwac issuing ca ;ou=psd2; o=trent\\, inc. ; c=de'],
  ])('%s matches', (_form, text) => {
    expect(distinguishedNameMatches(parseDistinguishedName(text), ISSUER)).toBe(true);
  });

  it.each([
    ['another CN', 'CN=Mallory,OU=PSD2,O=Trent\\, Inc.,C=DE'],
    ['a missing RDN', 'CN=Trent QWAC Issuing CA,O=Trent\\, Inc.,C=DE'],
    ['an extra RDN', 'CN=Trent QWAC Issuing CA,OU=PSD2,O=Trent\\, Inc.,L=Berlin,C=DE'],
    ['RDNs out of order', 'OU=PSD2,CN=Trent QWAC Issuing CA,O=Trent\\, Inc.,C=DE'],
    ['two RDNs merged into one', 'CN=Trent QWAC Issuing CA+OU=PSD2,O=Trent\\, Inc.,C=DE'],
  ])('%s does not match', (_what, text) => {
    expect(distinguishedNameMatches(parseDistinguishedName(text), ISSUER)).toBe(false);
  });

  it.each([[''], ['CN'], ['XX=1'], ['CN=a,'], ['CN="open'], ['CN=a\\'], ['CN=#12G4']])(
    'refuses %j',
    (text) => {
      expect(() => parseDistinguishedName(text)).toThrow();
    },
  );

  it('formats a name in RFC 4514 order with escapes, and reads it back', () => {
    const text = formatDistinguishedName(ISSUER);
    expect(text).toBe('CN=Trent QWAC Issuing CA,OU=PSD2,O=Trent\\, Inc.,C=DE');
    expect(distinguishedNameMatches(parseDistinguishedName(text), ISSUER)).toBe(true);
  });
});
