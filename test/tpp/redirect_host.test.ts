/** Which wildcards `tpp hosts add` accepts: one domain's names, never a whole suffix's. */
import { redirectHost, registrableRedirectHost } from '../../src/tpp/redirect_host';

it.each([
  '*.example.com',
  '*.bank-of-alice.example',
  '*.tpp.co.uk',
  '*.example.de',
  'api.co.uk',
  'Example.COM.',
])('accepts %s', (host) => {
  expect(registrableRedirectHost(host)).toBe(redirectHost(host));
});

it.each(['*.com', '*.example', '*.co.uk', '*.com.au', '*.ac.jp', '*.org.br', '*.CO.UK.'])(
  'refuses %s',
  (host) => {
    expect(() => registrableRedirectHost(host)).toThrow(/needs a domain of its own|not a host name/);
  },
);

it('lets what was added before the rule be named for removal', () => {
  expect(redirectHost('*.co.uk')).toBe('*.co.uk');
});
