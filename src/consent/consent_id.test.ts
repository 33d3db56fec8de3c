import { newConsentId } from './consent_service';

describe('newConsentId', () => {
  // Regression: an id starting with "-" was read as an option by `consent reject <id>`.
  it('never starts with a character a command line reads as an option', () => {
    for (let i = 0; i < 5000; i++) expect(newConsentId()).toMatch(/^[A-Za-z0-9][A-Za-z0-9_-]{31}$/);
  });
});
