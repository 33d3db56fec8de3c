import { formSubmission, parseHtmlForms } from '../../src/conformance/html_forms';

const page = `<!doctype html><html><body>
<!-- <form action="/commented-out"><input name="x"></form> -->
<form method="post" action="/oauth2/authorize/login?x=1&amp;y=2">
  <input type="hidden" name="csrf" value="t&#x27;ok&quot;en">
  <input type=hidden name=flow value=abc>
  <label>User <input name="username" autocomplete="username"></label>
  <input type="password" name="password">
  <input type="checkbox" name="remember">
  <input type="checkbox" name="terms" checked>
  <input name="disabled" value="no" disabled>
  <select name="lang"><option value="de">DE</option><option value="en" selected>EN</option></select>
  <textarea name="note">a &amp; b</textarea>
  <button type="submit">Log in</button>
</form>
<FORM ACTION='/oauth2/authorize/decision' METHOD='POST'>
  <input type="hidden" name="csrf" value="t2">
  <button name="decision" value="approve">Approve</button>
  <button name="decision" value="deny">Deny</button>
</FORM>
<form><input name="q" value="search"></form>
</body></html>`;

describe('parseHtmlForms', () => {
  const forms = parseHtmlForms(page);

  it('finds every form with action and method, ignoring comments', () => {
    expect(forms.map((f) => [f.action, f.method])).toEqual([
      ['/oauth2/authorize/login?x=1&y=2', 'POST'],
      ['/oauth2/authorize/decision', 'POST'],
      ['', 'GET'],
    ]);
  });

  it('keeps hidden fields (decoded), leaves unchecked boxes out of a submission, skips disabled controls', () => {
    const login = forms[0];
    if (login === undefined) throw new Error('form missing');
    expect(formSubmission(login, {})).toEqual([
      ['csrf', 't\'ok"en'],
      ['flow', 'abc'],
      ['username', ''],
      ['password', ''],
      ['terms', 'on'],
      ['lang', 'en'],
      ['note', 'a & b'],
    ]);
  });

  it('submits like a browser: fields plus overrides plus the chosen button', () => {
    const login = forms[0];
    const decision = forms[1];
    if (login === undefined || decision === undefined) throw new Error('forms missing');
    expect(Object.fromEntries(formSubmission(login, { username: 'psu', password: 'pw' }))).toEqual({
      csrf: 't\'ok"en',
      flow: 'abc',
      username: 'psu',
      password: 'pw',
      terms: 'on',
      lang: 'en',
      note: 'a & b',
    });
    expect(
      Object.fromEntries(formSubmission(decision, {}, { submitter: { name: 'decision', value: 'approve' } })),
    ).toEqual({
      csrf: 't2',
      decision: 'approve',
    });
  });

  it('sends unchecked boxes only when told to tick them, keeping repeated names', () => {
    const [form] = parseHtmlForms(
      '<form method="post"><input type="checkbox" name="accounts" value="A"><input type="checkbox" name="accounts" value="B" checked></form>',
    );
    if (form === undefined) throw new Error('form missing');
    expect(formSubmission(form, {})).toEqual([['accounts', 'B']]);
    expect(formSubmission(form, {}, { tickAllCheckboxes: true })).toEqual([
      ['accounts', 'A'],
      ['accounts', 'B'],
    ]);
  });
});
