/**
 * Every text of the PSU's pages, in English and German. A page takes its language's table and nothing
 * else; a text that needs a value is a function of it. Errors raised in src/oauth carry their English
 * text, which doubles as the key of its German version here (as gettext does).
 */

export type Lang = 'en' | 'de';
export const LANGS: readonly Lang[] = ['en', 'de'];

export interface PageText {
  /** The other language's name, in that language, for the switch. */
  otherLanguage: string;
  languageNav: string;
  footer: (bank: string) => string;
  provider: string;
  licenceNumber: string;
  licensedBy: string;
  requestedBy: string;
  whoIsAsking: string;
  username: string;
  password: string;
  oneTimeCode: string;
  oneTimeCodeHint: (bank: string) => string;
  signIn: string;
  authorisingHeading: string;
  amount: string;
  payee: string;
  payeeAccount: string;
  authorisingHint: string;
  signInTitle: string;
  signInHeading: (bank: string) => string;
  signInLead: (tpp: string) => string;
  signInLeadShort: (tpp: string) => string;
  signInUnavailable: (bank: string) => string;
  signInErrors: { credentials: string; locked: (minutes: number) => string; expired: string };
  yes: string;
  no: string;
  accountsCaption: string;
  account: string;
  details: string;
  balances: string;
  transactions: string;
  chooseText: { availableAccounts: string; allPsd2: string; bankOffered: string };
  chooseAtLeastOne: string;
  accountsToShare: string;
  noShareableAccounts: string;
  reviewTitle: string;
  reviewHeading: (tpp: string) => string;
  signedInAs: (name: string) => string;
  whatItAsksFor: string;
  validUntil: string;
  access: string;
  accessFrequency: (recurring: boolean, perDay: number) => string;
  withdrawAnyTime: string;
  destination: (host: string) => string;
  allow: string;
  deny: string;
  notYoursTitle: string;
  notYoursAlert: (tpp: string) => string;
  notYoursAdvice: (tpp: string) => string;
  denyAndReturn: string;
  errorTitle: string;
  errorHeading: string;
  nothingShared: string;
  dashboardTitle: string;
  dashboardSignInHeading: (bank: string) => string;
  dashboardSignInLead: string;
  dashboardHeading: string;
  dashboardLead: (name: string) => string;
  status: string;
  statusText: Record<string, string>;
  givenOn: string;
  howOften: string;
  howOftenText: (recurring: boolean, perDay: number) => string;
  lastUsed: string;
  notYet: string;
  accessHeading: string;
  listOnly: string;
  accessKinds: { details: string; balances: string; transactions: string };
  withdraw: string;
  withdrawn: (tpp: string) => string;
  noConsents: string;
  signOut: string;
  idpRefusals: Record<
    | 'notStrong'
    | 'notFresh'
    | 'unavailable'
    | 'wrongIssuer'
    | 'invalid'
    | 'refused'
    | 'replayed'
    | 'otherBrowser'
    | 'noPsuId',
    (bank: string) => string
  >;
  /** The payment's authorisation (scope `PIS:<paymentId>`); values marked html arrive escaped. */
  payment: {
    signInLead: (tppHtml: string) => string;
    signInLeadShort: (tppHtml: string) => string;
    title: string;
    heading: (amountHtml: string, payeeHtml: string) => string;
    whatHeading: string;
    to: string;
    reference: string;
    standingOrder: string;
    standingOrderSchedule: (frequency: string, startHtml: string, endHtml: string | undefined) => string;
    execution: string;
    immediately: string;
    executionDate: string;
    from: string;
    payFrom: string;
    chooseAccount: string;
    noAccounts: string;
    exactly: string;
    approve: string;
    notYoursTitle: string;
    notYoursHeading: string;
    notYoursAlert: (tpp: string) => string;
  };
  /** German (or English) versions of the English texts of AuthorizationPageError, by that text. */
  errors: Readonly<Record<string, string>>;
}

const EN: PageText = {
  otherLanguage: 'Deutsch',
  languageNav: 'Language',
  footer: (bank) => `${bank} asks for your password only on its own pages. Check the address bar.`,
  provider: 'Provider',
  licenceNumber: 'Licence number',
  licensedBy: 'Licensed by',
  requestedBy: 'Requested by',
  whoIsAsking: 'Who is asking',
  username: 'Username',
  password: 'Password',
  oneTimeCode: 'One-time code',
  oneTimeCodeHint: (bank) => `The 6-digit code your authenticator app shows for ${bank}.`,
  signIn: 'Sign in',
  authorisingHeading: 'What you authorise',
  amount: 'Amount',
  payee: 'Payee',
  payeeAccount: "Payee's IBAN",
  authorisingHint:
    'Check amount and payee. Your one-time code is valid only for exactly this amount and payee.',
  signInTitle: 'Sign in',
  signInHeading: (bank) => `Sign in to ${bank}`,
  signInLead: (tpp) =>
    `<strong>${tpp}</strong> asks for access to your account information. Sign in to see the request and decide.`,
  signInLeadShort: (tpp) => `<strong>${tpp}</strong> asks for access to your account information.`,
  signInUnavailable: (bank) =>
    `Signing in requires ${bank}'s identity provider. No password can be entered on this page. Return to the app you came from and start again.`,
  signInErrors: {
    credentials: 'The username, password or one-time code is not correct. Please try again.',
    locked: (minutes) =>
      `Too many failed sign-ins. For your protection, signing in is paused. Please try again in ${minutes} minutes.`,
    expired: 'Your session has expired. Please sign in again.',
  },
  yes: 'Yes',
  no: 'No',
  accountsCaption: 'Accounts and information requested',
  account: 'Account',
  details: 'Details',
  balances: 'Balances',
  transactions: 'Transactions',
  chooseText: {
    availableAccounts: 'The list of your accounts (names and IBANs only).',
    allPsd2: 'Details, balances and transactions of the accounts you choose below.',
    bankOffered: 'Details, balances and transactions of the accounts you choose below.',
  },
  chooseAtLeastOne: 'Choose at least one account, or deny access.',
  accountsToShare: 'Accounts to share',
  noShareableAccounts: 'You have no accounts that can be shared.',
  reviewTitle: 'Review access request',
  reviewHeading: (tpp) => `Allow ${tpp} to see your account information?`,
  signedInAs: (name) => `Signed in as <strong>${name}</strong>.`,
  whatItAsksFor: 'What it asks for',
  validUntil: 'Valid until',
  access: 'Access',
  accessFrequency: (recurring, perDay) =>
    `${recurring ? 'Recurring' : 'One-off'}, up to ${perDay} times a day while you are not using the app`,
  withdrawAnyTime: 'You can withdraw this consent at any time.',
  destination: (host) => `Allow or Deny, you will then return to <strong>${host}</strong>.`,
  allow: 'Allow access',
  deny: 'Deny',
  notYoursTitle: 'Request cannot be approved',
  notYoursAlert: (tpp) => `${tpp} asks for accounts that do not belong to you:`,
  notYoursAdvice: (tpp) =>
    `You can only share your own accounts. Deny the request and ask ${tpp} to try again with your accounts.`,
  denyAndReturn: 'Deny and return',
  errorTitle: 'Request cannot be completed',
  errorHeading: 'This request cannot be completed',
  nothingShared: 'Nothing was shared. You can close this window and return to the app you came from.',
  dashboardTitle: 'Your consents',
  dashboardSignInHeading: (bank) => `Your consents at ${bank}`,
  dashboardSignInLead:
    'Sign in to see every provider you allowed to access your accounts, and withdraw any of them.',
  dashboardHeading: 'Your consents',
  dashboardLead: (name) =>
    `Signed in as <strong>${name}</strong>. These providers may access your accounts; withdraw any consent and its access ends at once.`,
  status: 'Status',
  statusText: {
    valid: 'Active',
    revokedByPsu: 'Withdrawn by you',
    expired: 'Expired',
    terminatedByTpp: 'Ended by the provider',
  },
  givenOn: 'Given on',
  howOften: 'How often',
  howOftenText: (recurring, perDay) =>
    `${recurring ? 'Recurring' : 'One-off'}, up to ${perDay} times a day without you`,
  lastUsed: 'Last used',
  notYet: 'Not yet',
  accessHeading: 'Access',
  listOnly: 'The list of your accounts (names and IBANs only).',
  accessKinds: { details: 'details', balances: 'balances', transactions: 'transactions' },
  withdraw: 'Withdraw consent',
  withdrawn: (tpp) => `${tpp} can no longer access your accounts.`,
  noConsents: 'You have not given any provider access to your accounts.',
  signOut: 'Sign out',
  idpRefusals: {
    notStrong: (bank) =>
      `${bank}'s sign-in did not confirm two independent factors (for example your password and a code from your banking app). Without both, nothing can be authorised. Start again from the app you came from and complete both steps.`,
    notFresh: (bank) =>
      `${bank}'s sign-in did not show that you signed in just now. An earlier sign-in cannot authorise this request. Start again from the app you came from and sign in again.`,
    unavailable: (bank) =>
      `${bank}'s sign-in service cannot be reached at the moment. Please try again in a few minutes.`,
    wrongIssuer: (bank) =>
      `The sign-in answer did not come from ${bank}'s sign-in service, so it was not accepted.`,
    invalid: (bank) => `The sign-in answer from ${bank} could not be verified, so it was not accepted.`,
    refused: (bank) => `The sign-in at ${bank} was cancelled or refused.`,
    replayed: () => 'This sign-in answer was already used or has expired.',
    otherBrowser: () =>
      'This sign-in was started in another browser or window. Please finish it there, or start again.',
    noPsuId: (bank) => `${bank}'s sign-in did not say which customer you are.`,
  },
  payment: {
    signInLead: (tpp) =>
      `<strong>${tpp}</strong> asks you to approve a payment. Sign in to see the request and decide.`,
    signInLeadShort: (tpp) => `<strong>${tpp}</strong> asks you to approve a payment.`,
    title: 'Approve payment',
    heading: (amount, payee) => `Pay ${amount} to ${payee}?`,
    whatHeading: 'The payment',
    to: 'To',
    reference: 'Reference',
    standingOrder: 'Standing order',
    standingOrderSchedule: (frequency, start, end) =>
      `${frequency} from ${start}, ${end === undefined ? 'until cancelled' : `until ${end}`}`,
    execution: 'Execution',
    immediately: 'Immediately',
    executionDate: 'Execution date',
    from: 'From',
    payFrom: 'Pay from',
    chooseAccount: 'Choose the account to pay from, or deny the payment.',
    noAccounts: 'You have no account this payment can be made from.',
    exactly: 'Approving authorises exactly this amount to this payee.',
    approve: 'Approve payment',
    notYoursTitle: 'Payment cannot be approved',
    notYoursHeading: 'This payment cannot be approved',
    notYoursAlert: (tpp) => `${tpp} asks to pay from an account that does not belong to you:`,
  },
  errors: {},
};

const DE: PageText = {
  otherLanguage: 'English',
  languageNav: 'Sprache',
  footer: (bank) =>
    `${bank} fragt nach Ihrem Passwort nur auf den eigenen Seiten. Prüfen Sie die Adresszeile.`,
  provider: 'Anbieter',
  licenceNumber: 'Zulassungsnummer',
  licensedBy: 'Zugelassen von',
  requestedBy: 'Angefragt von',
  whoIsAsking: 'Wer anfragt',
  username: 'Benutzername',
  password: 'Passwort',
  oneTimeCode: 'Einmalcode',
  oneTimeCodeHint: (bank) => `Der 6-stellige Code, den Ihre Authenticator-App für ${bank} anzeigt.`,
  signIn: 'Anmelden',
  authorisingHeading: 'Was Sie freigeben',
  amount: 'Betrag',
  payee: 'Empfänger',
  payeeAccount: 'IBAN des Empfängers',
  authorisingHint:
    'Prüfen Sie Betrag und Empfänger. Ihr Einmalcode gilt nur für genau diesen Betrag und diesen Empfänger.',
  signInTitle: 'Anmelden',
  signInHeading: (bank) => `Bei ${bank} anmelden`,
  signInLead: (tpp) =>
    `<strong>${tpp}</strong> bittet um Zugriff auf Ihre Kontoinformationen. Melden Sie sich an, um die Anfrage zu sehen und zu entscheiden.`,
  signInLeadShort: (tpp) => `<strong>${tpp}</strong> bittet um Zugriff auf Ihre Kontoinformationen.`,
  signInUnavailable: (bank) =>
    `Die Anmeldung erfordert den Identitätsdienst von ${bank}. Auf dieser Seite kann kein Passwort eingegeben werden. Kehren Sie zur App zurück, von der Sie kamen, und beginnen Sie neu.`,
  signInErrors: {
    credentials: 'Benutzername, Passwort oder Einmalcode sind nicht richtig. Bitte versuchen Sie es erneut.',
    locked: (minutes) =>
      `Zu viele fehlgeschlagene Anmeldungen. Zu Ihrem Schutz ist die Anmeldung pausiert. Bitte versuchen Sie es in ${minutes} Minuten erneut.`,
    expired: 'Ihre Sitzung ist abgelaufen. Bitte melden Sie sich erneut an.',
  },
  yes: 'Ja',
  no: 'Nein',
  accountsCaption: 'Angefragte Konten und Informationen',
  account: 'Konto',
  details: 'Kontodaten',
  balances: 'Salden',
  transactions: 'Umsätze',
  chooseText: {
    availableAccounts: 'Die Liste Ihrer Konten (nur Namen und IBANs).',
    allPsd2: 'Kontodaten, Salden und Umsätze der Konten, die Sie unten auswählen.',
    bankOffered: 'Kontodaten, Salden und Umsätze der Konten, die Sie unten auswählen.',
  },
  chooseAtLeastOne: 'Wählen Sie mindestens ein Konto oder lehnen Sie den Zugriff ab.',
  accountsToShare: 'Freizugebende Konten',
  noShareableAccounts: 'Sie haben keine Konten, die freigegeben werden können.',
  reviewTitle: 'Zugriffsanfrage prüfen',
  reviewHeading: (tpp) => `${tpp} Zugriff auf Ihre Kontoinformationen erlauben?`,
  signedInAs: (name) => `Angemeldet als <strong>${name}</strong>.`,
  whatItAsksFor: 'Was angefragt wird',
  validUntil: 'Gültig bis',
  access: 'Zugriff',
  accessFrequency: (recurring, perDay) =>
    `${recurring ? 'Wiederkehrend' : 'Einmalig'}, bis zu ${perDay}-mal am Tag, während Sie die App nicht nutzen`,
  withdrawAnyTime: 'Sie können diese Einwilligung jederzeit widerrufen.',
  destination: (host) =>
    `Ob Sie erlauben oder ablehnen, Sie kehren danach zu <strong>${host}</strong> zurück.`,
  allow: 'Zugriff erlauben',
  deny: 'Ablehnen',
  notYoursTitle: 'Anfrage kann nicht erlaubt werden',
  notYoursAlert: (tpp) => `${tpp} fragt nach Konten, die nicht Ihnen gehören:`,
  notYoursAdvice: (tpp) =>
    `Sie können nur Ihre eigenen Konten freigeben. Lehnen Sie die Anfrage ab und bitten Sie ${tpp}, es mit Ihren Konten erneut zu versuchen.`,
  denyAndReturn: 'Ablehnen und zurückkehren',
  errorTitle: 'Anfrage kann nicht abgeschlossen werden',
  errorHeading: 'Diese Anfrage kann nicht abgeschlossen werden',
  nothingShared:
    'Es wurde nichts freigegeben. Sie können dieses Fenster schließen und zur App zurückkehren, von der Sie kamen.',
  dashboardTitle: 'Ihre Einwilligungen',
  dashboardSignInHeading: (bank) => `Ihre Einwilligungen bei ${bank}`,
  dashboardSignInLead:
    'Melden Sie sich an, um jeden Anbieter zu sehen, dem Sie Zugriff auf Ihre Konten erlaubt haben, und um jede Einwilligung zu widerrufen.',
  dashboardHeading: 'Ihre Einwilligungen',
  dashboardLead: (name) =>
    `Angemeldet als <strong>${name}</strong>. Diese Anbieter dürfen auf Ihre Konten zugreifen; widerrufen Sie eine Einwilligung, endet der Zugriff sofort.`,
  status: 'Status',
  statusText: {
    valid: 'Aktiv',
    revokedByPsu: 'Von Ihnen widerrufen',
    expired: 'Abgelaufen',
    terminatedByTpp: 'Vom Anbieter beendet',
  },
  givenOn: 'Erteilt am',
  howOften: 'Wie oft',
  howOftenText: (recurring, perDay) =>
    `${recurring ? 'Wiederkehrend' : 'Einmalig'}, bis zu ${perDay}-mal am Tag ohne Sie`,
  lastUsed: 'Zuletzt genutzt',
  notYet: 'Noch nicht',
  accessHeading: 'Zugriff',
  listOnly: 'Die Liste Ihrer Konten (nur Namen und IBANs).',
  accessKinds: { details: 'Kontodaten', balances: 'Salden', transactions: 'Umsätze' },
  withdraw: 'Einwilligung widerrufen',
  withdrawn: (tpp) => `${tpp} kann nicht mehr auf Ihre Konten zugreifen.`,
  noConsents: 'Sie haben keinem Anbieter Zugriff auf Ihre Konten gegeben.',
  signOut: 'Abmelden',
  idpRefusals: {
    notStrong: (bank) =>
      `Die Anmeldung bei ${bank} hat keine zwei unabhängigen Faktoren bestätigt (zum Beispiel Ihr Passwort und einen Code aus Ihrer Banking-App). Ohne beide kann nichts freigegeben werden. Beginnen Sie in der App, von der Sie kamen, neu und schließen Sie beide Schritte ab.`,
    notFresh: (bank) =>
      `Die Anmeldung bei ${bank} hat nicht gezeigt, dass Sie sich gerade eben angemeldet haben. Eine frühere Anmeldung kann diese Anfrage nicht freigeben. Beginnen Sie in der App, von der Sie kamen, neu und melden Sie sich erneut an.`,
    unavailable: (bank) =>
      `Der Anmeldedienst von ${bank} ist im Moment nicht erreichbar. Bitte versuchen Sie es in einigen Minuten erneut.`,
    wrongIssuer: (bank) =>
      `Die Antwort der Anmeldung kam nicht vom Anmeldedienst von ${bank} und wurde daher nicht angenommen.`,
    invalid: (bank) =>
      `Die Antwort der Anmeldung bei ${bank} konnte nicht geprüft werden und wurde daher nicht angenommen.`,
    refused: (bank) => `Die Anmeldung bei ${bank} wurde abgebrochen oder abgelehnt.`,
    replayed: () => 'Diese Antwort der Anmeldung wurde schon verwendet oder ist abgelaufen.',
    otherBrowser: () =>
      'Diese Anmeldung wurde in einem anderen Browser oder Fenster begonnen. Bitte schließen Sie sie dort ab oder beginnen Sie neu.',
    noPsuId: (bank) => `Die Anmeldung bei ${bank} hat nicht mitgeteilt, welcher Kunde Sie sind.`,
  },
  payment: {
    signInLead: (tpp) =>
      `<strong>${tpp}</strong> bittet Sie, eine Zahlung freizugeben. Melden Sie sich an, um die Anfrage zu sehen und zu entscheiden.`,
    signInLeadShort: (tpp) => `<strong>${tpp}</strong> bittet Sie, eine Zahlung freizugeben.`,
    title: 'Zahlung freigeben',
    heading: (amount, payee) => `${amount} an ${payee} zahlen?`,
    whatHeading: 'Die Zahlung',
    to: 'An',
    reference: 'Verwendungszweck',
    standingOrder: 'Dauerauftrag',
    standingOrderSchedule: (frequency, start, end) =>
      `${frequency} ab ${start}, ${end === undefined ? 'bis auf Widerruf' : `bis ${end}`}`,
    execution: 'Ausführung',
    immediately: 'Sofort',
    executionDate: 'Ausführungsdatum',
    from: 'Von',
    payFrom: 'Zahlen von',
    chooseAccount: 'Wählen Sie das Konto, von dem gezahlt wird, oder lehnen Sie die Zahlung ab.',
    noAccounts: 'Sie haben kein Konto, von dem diese Zahlung ausgeführt werden kann.',
    exactly: 'Mit der Freigabe genehmigen Sie genau diesen Betrag an diesen Empfänger.',
    approve: 'Zahlung freigeben',
    notYoursTitle: 'Zahlung kann nicht freigegeben werden',
    notYoursHeading: 'Diese Zahlung kann nicht freigegeben werden',
    notYoursAlert: (tpp) => `${tpp} möchte von einem Konto zahlen, das nicht Ihnen gehört:`,
  },
  errors: {
    'The scope must be AIS:<consentId> or PIS:<paymentId>.':
      'Der scope muss AIS:<consentId> oder PIS:<paymentId> lauten.',
    'The scope must be PIS:<paymentId>.': 'Der scope muss PIS:<paymentId> lauten.',
    'This request does not match any payment of the requesting provider.':
      'Diese Anfrage passt zu keiner Zahlung des anfragenden Anbieters.',
    'The redirect address does not match the one registered with the payment.':
      'Die Rücksprungadresse stimmt nicht mit der bei der Zahlung hinterlegten überein.',
    'This payment has already been answered or cancelled, so it cannot be authorised again.':
      'Diese Zahlung wurde schon beantwortet oder storniert und kann nicht erneut freigegeben werden.',
    'This payment no longer exists.': 'Diese Zahlung gibt es nicht mehr.',
    'Payments cannot be authorised here.': 'Zahlungen können hier nicht freigegeben werden.',
    'Choose whether to approve or deny the payment.':
      'Wählen Sie, ob Sie die Zahlung freigeben oder ablehnen.',
    'The payment shown to you does not match the payment to be made. Nothing was paid. Return to the app you came from and start again.':
      'Die Ihnen gezeigte Zahlung stimmt nicht mit der auszuführenden überein. Es wurde nichts gezahlt. Kehren Sie zur App zurück, von der Sie kamen, und beginnen Sie neu.',
    'This payment would be made from an account that is not yours, so it cannot be approved.':
      'Diese Zahlung würde von einem Konto ausgeführt, das nicht Ihnen gehört, und kann daher nicht freigegeben werden.',
    'Choose one of your own accounts.': 'Wählen Sie eines Ihrer eigenen Konten.',
    'The provider that initiated this payment has been blocked by the bank, so the payment cannot be authorised. Nothing was paid.':
      'Der Anbieter, der diese Zahlung veranlasst hat, wurde von der Bank gesperrt. Die Zahlung kann daher nicht freigegeben werden. Es wurde nichts gezahlt.',
    'The provider that asked for this access has been blocked by the bank, so it cannot be authorised. Nothing was shared.':
      'Der Anbieter, der diesen Zugriff angefragt hat, wurde von der Bank gesperrt. Der Zugriff kann daher nicht erlaubt werden. Es wurde nichts freigegeben.',
    'Choose whether to allow or deny access.': 'Wählen Sie, ob Sie den Zugriff erlauben oder ablehnen.',
    'Only code_challenge_method=S256 is supported.': 'Nur code_challenge_method=S256 wird unterstützt.',
    'Only response_type=code is supported.': 'Nur response_type=code wird unterstützt.',
    'Please sign in first.': 'Bitte melden Sie sich zuerst an.',
    'The code_challenge is not a valid S256 challenge.':
      'Die code_challenge ist keine gültige S256-Challenge.',
    'The redirect address does not match the one registered with the consent.':
      'Die Rücksprungadresse stimmt nicht mit der bei der Einwilligung hinterlegten überein.',
    'The scope must be AIS:<consentId>.': 'Der scope muss AIS:<consentId> lauten.',
    'This consent has already been answered or has ended, so it cannot be authorised again.':
      'Diese Einwilligung wurde schon beantwortet oder ist beendet und kann nicht erneut freigegeben werden.',
    'This consent no longer exists.': 'Diese Einwilligung gibt es nicht mehr.',
    'This form could not be verified. Return to the app you came from and start again.':
      'Dieses Formular konnte nicht geprüft werden. Kehren Sie zur App zurück, von der Sie kamen, und beginnen Sie neu.',
    'This request does not match any consent of the requesting provider.':
      'Diese Anfrage passt zu keiner Einwilligung des anfragenden Anbieters.',
    'This request names accounts that are not yours, so it cannot be approved.':
      'Diese Anfrage nennt Konten, die nicht Ihnen gehören, und kann daher nicht erlaubt werden.',
    'This request was already answered.': 'Diese Anfrage wurde schon beantwortet.',
    'There is nothing to show at this address.': 'Unter dieser Adresse gibt es nichts anzuzeigen.',
    'Something went wrong on our side. Nothing was shared.':
      'Bei uns ist etwas schiefgegangen. Es wurde nichts freigegeben.',
    'Something went wrong on our side. Nothing was changed.':
      'Bei uns ist etwas schiefgegangen. Es wurde nichts geändert.',
    'Too many failed sign-in attempts. Return to the app you came from and start again.':
      'Zu viele fehlgeschlagene Anmeldeversuche. Kehren Sie zur App zurück, von der Sie kamen, und beginnen Sie neu.',
    'You can only share your own accounts.': 'Sie können nur Ihre eigenen Konten freigeben.',
    'Your session has expired or your browser did not send its cookie. Return to the app you came from and start again.':
      'Ihre Sitzung ist abgelaufen, oder Ihr Browser hat das Cookie nicht gesendet. Kehren Sie zur App zurück, von der Sie kamen, und beginnen Sie neu.',
  },
};

export const PAGE_TEXT: Record<Lang, PageText> = { en: EN, de: DE };

/** The two texts of src/oauth that carry a parameter name. */
const GERMAN_PATTERNS: readonly [RegExp, string][] = [
  [/^The request is missing the parameter ([\w]+)\.$/, 'Der Anfrage fehlt der Parameter $1.'],
  [/^The parameter ([\w]+) is malformed or repeated\.$/, 'Der Parameter $1 ist fehlerhaft oder wiederholt.'],
];

/** An AuthorizationPageError's text in the page's language; English when no translation exists. */
export function translatedError(lang: Lang, text: string): string {
  const exact = PAGE_TEXT[lang].errors[text];
  if (exact !== undefined || lang !== 'de') return exact ?? text;
  const pattern = GERMAN_PATTERNS.find(([re]) => re.test(text));
  return pattern === undefined ? text : text.replace(pattern[0], pattern[1]);
}
