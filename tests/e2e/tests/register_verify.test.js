// Mandatory e-mail verification at registration
// (account.email_verification_required) in chromium, against mxauth, the
// Synapse double and the real SMTP sink (lib/smtp.js): the register form
// requires the address; a valid form creates nothing yet and leads to
// /register/verify; a wrong code is refused; the code read from the mail
// creates the account, signs the browser in, and the address shows as
// verified on /account/emails; the double received provision_user with it.
// Every page is captured in light and dark mode
// (artifacts/register-verify-<scheme>-<page>.png).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { launchBrowser, screenshot } from '../lib/browser.js';
import { plainText, startSmtpSink } from '../lib/smtp.js';
import { withHomeserver } from '../lib/synapse.js';

const PROVISION = '/_synapse/mas/provision_user';
const PASSWORD = 'vera has a long passphrase';
const ADDRESS = 'vera@example.test';

let browser;
let smtp;
before(async () => {
  browser = await launchBrowser();
  smtp = await startSmtpSink();
});
after(async () => {
  await smtp?.stop();
  await browser?.close();
});

function sql(server, statement) {
  const result = spawnSync('sqlite3', ['-cmd', '.timeout 10000', join(server.dir, 'data', 'mxauth.db'), statement], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout.trim();
}

async function capture(page, name) {
  for (const colorScheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme });
    await screenshot(page, `register-verify-${colorScheme}-${name}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

async function submit(page, selector) {
  const [response] = await Promise.all([page.waitForNavigation(), page.click(`${selector} button[type=submit]`)]);
  return response;
}

test('registration waits for the code mailed to the address, then creates the account with the address verified', async () => {
  const env = { ...smtp.env, MXAUTH_ACCOUNT__EMAIL_VERIFICATION_REQUIRED: 'true' };
  await withHomeserver({ env }, async (hs) => {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(hs.server.url('/register'));
    await page.waitForSelector('form#register');
    assert.equal(await page.getAttribute('form#register [name=email]', 'required'), '');
    assert.doesNotMatch(await page.textContent('form#register'), /optional/);
    await capture(page, 'form');

    // Without the address: refused next to the field (the browser's own
    // check is switched off so that the server's answer is what is seen).
    await page.fill('form#register [name=username]', 'vera');
    await page.fill('form#register [name=password]', PASSWORD);
    await page.fill('form#register [name=password_confirm]', PASSWORD);
    await page.$eval('form#register', (form) => { form.noValidate = true; });
    let response = await submit(page, 'form#register');
    assert.equal(response.status(), 400);
    assert.equal(await page.getAttribute('form#register [name=email]', 'aria-invalid'), 'true');
    assert.match(await page.textContent('#email-error'), /Enter your e-mail address/);
    await capture(page, 'form-missing-email');

    // With it: a code is mailed and nothing exists yet.
    const mailed = smtp.count();
    await page.fill('form#register [name=email]', ADDRESS);
    await page.fill('form#register [name=password]', PASSWORD);
    await page.fill('form#register [name=password_confirm]', PASSWORD);
    response = await submit(page, 'form#register');
    assert.equal(response.status(), 200);
    assert.equal(new URL(page.url()).pathname, '/register/verify');
    await page.waitForSelector('form#email-verify');
    assert.match(await page.textContent('.lead'), new RegExp(ADDRESS.replace('.', '\\.')));
    const text = plainText(await smtp.message(mailed + 1));
    assert.match(text, new RegExp(`^To:.*${ADDRESS.replace('.', '\\.')}`, 'm'));
    const code = text.match(/\b(\d{6})\b/)[1];
    assert.equal(sql(hs.server, "SELECT COUNT(*) FROM users WHERE localpart = 'vera'"), '0');
    assert.equal(sql(hs.server, 'SELECT COUNT(*) FROM pending_registrations'), '1');
    await capture(page, 'code');

    // A wrong code is refused and counted.
    await page.fill('form#email-verify [name=code]', code === '000000' ? '111111' : '000000');
    response = await submit(page, 'form#email-verify');
    assert.equal(response.status(), 400);
    assert.match(await page.textContent('.field-error'), /Wrong code\. 4 attempts left/);
    await capture(page, 'code-wrong');

    // The right one: signed in, at the account page.
    await page.fill('form#email-verify [name=code]', code);
    await submit(page, 'form#email-verify');
    assert.equal(new URL(page.url()).pathname, '/account/');
    assert.match(await page.textContent('body'), /@vera:/);
    await capture(page, 'signed-in');

    assert.equal(sql(hs.server, 'SELECT COUNT(*) FROM pending_registrations'), '0');

    // The address is there, verified and primary.
    await page.goto(hs.server.url('/account/emails'));
    const row = page.locator('ul.emails li').filter({ hasText: ADDRESS });
    assert.equal(await row.count(), 1);
    const shown = await row.textContent();
    assert.match(shown, /Primary/);
    assert.doesNotMatch(shown, /Not verified/);
    assert.equal(await row.locator('a', { hasText: 'Enter the code' }).count(), 0);
    assert.equal(sql(hs.server, `SELECT confirmed_at IS NOT NULL FROM user_emails WHERE address = '${ADDRESS}'`), '1');
    await capture(page, 'emails');

    // The homeserver learnt the account with its verified address.
    await hs.synapse.waitFor(PROVISION, 1);
    const calls = await hs.synapse.calls(PROVISION);
    const bodies = calls.map((call) => JSON.parse(call.body));
    assert.ok(bodies.some((body) => body.localpart === 'vera' && (body.set_emails ?? []).includes(ADDRESS)),
      JSON.stringify(bodies));
    await context.close();
  });
});
