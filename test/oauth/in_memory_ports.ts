import type {
  ConsentAuthorisationPort,
  ConsentForAuthorisation,
  Psu,
  PsuAccount,
  PsuDirectory,
} from '../../src/oauth/consent_port';

/** The AIS consent store as the OAuth service sees it, in memory, with a log of what was decided. */
export class InMemoryConsents implements ConsentAuthorisationPort {
  readonly consents = new Map<string, ConsentForAuthorisation>();
  readonly decisions: {
    consentId: string;
    psuId: string;
    decision: 'approve' | 'reject';
    ibans?: string[];
  }[] = [];

  add(consent: ConsentForAuthorisation): ConsentForAuthorisation {
    this.consents.set(consent.consentId, consent);
    return consent;
  }

  async findForAuthorisation(consentId: string): Promise<ConsentForAuthorisation | undefined> {
    const consent = this.consents.get(consentId);
    return consent === undefined ? undefined : structuredClone(consent);
  }

  async approve(consentId: string, psuId: string, grantedIbans: string[]): Promise<void> {
    this.transition(consentId, 'valid');
    this.decisions.push({ consentId, psuId, decision: 'approve', ibans: grantedIbans });
  }

  async reject(consentId: string, psuId: string): Promise<void> {
    this.transition(consentId, 'rejected');
    this.decisions.push({ consentId, psuId, decision: 'reject' });
  }

  setStatus(consentId: string, status: ConsentForAuthorisation['status']): void {
    const consent = this.consents.get(consentId);
    if (consent !== undefined) consent.status = status;
  }

  private transition(consentId: string, to: 'valid' | 'rejected'): void {
    const consent = this.consents.get(consentId);
    if (consent === undefined || consent.status !== 'received') {
      throw new Error(`consent ${consentId} is not awaiting a decision`);
    }
    consent.status = to;
  }
}

interface SandboxPsu extends Psu {
  username: string;
  password: string;
  /** Hex TOTP seed of the PSU's authenticator. */
  totpSeed: string;
  accounts: PsuAccount[];
}

export class InMemoryPsuDirectory implements PsuDirectory {
  readonly passwordSignIn = true;
  constructor(private readonly psus: SandboxPsu[]) {}

  async authenticate(username: string, password: string): Promise<Psu | undefined> {
    const psu = this.psus.find((p) => p.username === username && p.password === password);
    return psu === undefined ? undefined : { psuId: psu.psuId, name: psu.name };
  }

  async accountsOf(psuId: string): Promise<PsuAccount[]> {
    return this.psus.find((p) => p.psuId === psuId)?.accounts ?? [];
  }
}

export const SANDBOX_PSUS: SandboxPsu[] = [
  {
    psuId: 'psu-1',
    name: 'Petra Schmidt',
    username: 'petra',
    password: 'correct horse battery staple',
    totpSeed: '3132333435363738393031323334353637383930',
    accounts: [
      { iban: 'DE89370400440532013000', currency: 'EUR', name: 'Girokonto' },
      { iban: 'DE02120300000000202051', currency: 'EUR', name: 'Tagesgeld' },
    ],
  },
  {
    psuId: 'psu-2',
    name: 'Paul Meyer',
    username: 'paul',
    password: 'another long passphrase',
    totpSeed: '0102030405060708090a0b0c0d0e0f1011121314',
    accounts: [{ iban: 'DE75512108001245126199', currency: 'EUR', name: 'Paul Giro' }],
  },
];
