// E-mail addresses and password recovery in chromium, against mxauth, the
// Synapse double and a real SMTP server on loopback (tests/smtp/smtp_sink.py),
// issue 5: an address added on /account/emails gets a 6-digit code by
// e-mail, which verifies it (the double receives the verified set through
// provision_user); a second address becomes primary; removing one needs a
// recent authentication (form#reauth) and updates the double. Password
// recovery: "Forgot password?" on the login page, the same answer for known
// and unknown addresses, a link built from http.public_base even when the
// request says Host: evil.test, a new password that ends every session (the
// tokens introspect inactive at once), a link that works once, and an
// expired link refused. Every page is captured in light and dark mode
// (artifacts/email-<scheme>-<page>.png).
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { launchBrowser, screenshot } from '../lib/browser.js';
import { authorizeForCode, exchangeCode, introspect, registerClient, startCallbackServer, submitLogin } from '../lib/flow.js';
import { plainText, startSmtpSink } from '../lib/smtp.js';
import { withHomeserver } from '../lib/synapse.js';

const ALICE = { name: 'alice', password: 'alice has a long passphrase' };
const NEW_PASSWORD = 'alice found her way back in';
const PROVISION = '/_synapse/mas/provision_user';
const STEP_UP_ENV = { MXAUTH_ACCOUNT__STEP_UP__MAX_AGE: '60' };

let browser;
let callback;
let smtp;
before(async () => {
  browser = await launchBrowser();
  callback = await startCallbackServer();
  smtp = await startSmtpSink();
});
after(async () => {
  await smtp?.stop();
  await callback?.close();
  await browser?.close();
});

function withAlice(env, body, userArgs = []) {
  return withHomeserver({ double: { existingUsers: [ALICE.name] }, env: { ...STEP_UP_ENV, ...smtp.env, ...env } }, async (hs) => {
    hs.server.addUser(ALICE.name, ALICE.password, userArgs);
    await body(hs);
  });
}

async function signedInPage(server) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(server.url('/account/'));
  await page.waitForSelector('form#login');
  await submitLogin(page, ALICE.name, ALICE.password);
  assert.equal(new URL(page.url()).pathname, '/account/');
  return page;
}

function sql(server, statement) {
  const result = spawnSync('sqlite3', ['-cmd', '.timeout 10000', join(server.dir, 'data', 'mxauth.db'), statement], { encoding: 'utf8' });
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
}

async function capture(page, name) {
  for (const colorScheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme });
    await screenshot(page, `email-${colorScheme}-${name}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

async function assertAccessible(page, what) {
  const problems = await page.evaluate(() => {
    const found = [];
    if (!document.documentElement.lang) found.push('<html> has no lang');
    if (!document.querySelector('h1')) found.push('no <h1>');
    for (const input of document.querySelectorAll('input:not([type=hidden])')) {
      const label = input.id && document.querySelector(`label[for="${CSS.escape(input.id)}"]`);
      if (!label || !label.textContent.trim()) found.push(`${input.name} has no label`);
    }
    if (document.documentElement.scrollWidth > window.innerWidth) found.push('horizontal scrolling');
    return found;
  });
  assert.deepEqual(problems, [], `${what}: ${problems.join(', ')}`);
}

async function submit(page, selector) {
  const [response] = await Promise.all([page.waitForNavigation(), page.click(`${selector} button[type=submit]`)]);
  return response;
}

// The next message the sink receives, as text.
async function nextMail() {
  return plainText(await smtp.message(smtp.count() + 1));
}

function auditActions(server) {
  return server.cli(['audit', 'list', '--user', ALICE.name]).trim().split('\n').filter(Boolean)
    .map((line) => JSON.parse(line).action);
}

// The e-mail addresses of the last provision_user call the double answered.
async function provisionedEmails(synapse, count) {
  await synapse.waitFor(PROVISION, count);
  const calls = await synapse.calls(PROVISION);
  const body = JSON.parse(calls[calls.length - 1].body);
  return body.unset_emails ? [] : body.set_emails;
}

async function addAndVerify(page, address, { wrongFirst = false, name } = {}) {
  const mail = nextMail();
  await page.fill('form#email-add [name=email]', address);
  await submit(page, 'form#email-add');
  await page.waitForSelector('form#email-verify');
  assert.equal(new URL(page.url()).pathname, '/account/emails/verify');
  const text = await mail;
  assert.match(text, new RegExp(`^To:.*${address.replace('.', '\\.')}`, 'm'));
  const code = text.match(/\b(\d{6})\b/)[1];
  if (name) {
    await assertAccessible(page, 'verify');
    await capture(page, `${name}-verify`);
  }
  if (wrongFirst) {
    await page.fill('form#email-verify [name=code]', code === '000000' ? '111111' : '000000');
    await submit(page, 'form#email-verify');
    assert.match(await page.textContent('.field-error'), /Wrong code/);
    if (name) await capture(page, `${name}-verify-wrong`);
  }
  await page.fill('form#email-verify [name=code]', code);
  await submit(page, 'form#email-verify');
  assert.equal(new URL(page.url()).pathname, '/account/emails');
  assert.match(await page.textContent('[role=status]'), /has been verified/);
}

test('an address is added with a code from the e-mail, becomes primary, and the homeserver learns the verified set', async () => {
  await withAlice({}, async (hs) => {
    const page = await signedInPage(hs.server);
    await capture(page, 'home');
    await page.click('a[href="/account/emails"]');
    await page.waitForSelector('form#email-add');
    await assertAccessible(page, 'emails');
    await capture(page, 'emails-empty');

    // A malformed address is refused next to the field.
    await page.fill('form#email-add [name=email]', 'not an address');
    await page.$eval('form#email-add [name=email]', (input) => { input.type = 'text'; });
    await submit(page, 'form#email-add');
    assert.equal(await page.getAttribute('form#email-add [name=email]', 'aria-invalid'), 'true');
    await capture(page, 'emails-invalid');

    await addAndVerify(page, 'alice@example.test', { wrongFirst: true, name: 'first' });
    assert.match(await page.textContent('.emails'), /alice@example\.test\s*Primary/);
    await capture(page, 'emails-one');
    assert.deepEqual(await provisionedEmails(hs.synapse, 1), ['alice@example.test']);
    assert.deepEqual((await hs.synapse.state()).users[ALICE.name].emails, ['alice@example.test']);

    await addAndVerify(page, 'work@example.test');
    // Only a verified address can become primary; make the second one.
    const rows = await page.$$eval('.emails li', (items) => items.map((item) => item.textContent.replace(/\s+/g, ' ').trim()));
    assert.equal(rows.length, 2, rows.join(' | '));
    await submit(page, '.emails li:nth-child(2) form.email-primary');
    assert.match(await page.textContent('[role=status]'), /primary address has been changed/);
    assert.match(await page.textContent('.emails li:nth-child(2)'), /Primary/);
    await capture(page, 'emails-two');
    assert.deepEqual((await provisionedEmails(hs.synapse, 2)).sort(), ['alice@example.test', 'work@example.test']);

    // Removing needs a recent authentication: the stale session is asked for
    // its password, comes back to the page, and removes.
    sql(hs.server, 'UPDATE browser_sessions SET authenticated_at = authenticated_at - 61000;');
    await submit(page, '.emails li:nth-child(1) form.email-remove');
    await page.waitForSelector('form#reauth');
    await page.fill('form#reauth [name=password]', ALICE.password);
    await submit(page, 'form#reauth');
    assert.equal(new URL(page.url()).pathname, '/account/emails');
    assert.equal(await page.locator('.emails li').count(), 2, 'nothing removed before the step-up');
    await submit(page, '.emails li:nth-child(1) form.email-remove');
    assert.match(await page.textContent('[role=status]'), /has been removed/);
    assert.equal(await page.locator('.emails li').count(), 1);
    await capture(page, 'emails-removed');
    assert.deepEqual(await provisionedEmails(hs.synapse, 3), ['work@example.test']);

    assert.deepEqual(auditActions(hs.server), [
      'account.email_remove', 'account.email_primary', 'account.email_verify', 'account.email_add',
      'account.email_verify', 'account.email_add',
    ]);
    await page.context().close();
  });
});

test('with account.email_change off the page only lists the addresses', async () => {
  await withAlice({ MXAUTH_ACCOUNT__EMAIL_CHANGE: 'false' }, async (hs) => {
    const page = await signedInPage(hs.server);
    await page.goto(hs.server.url('/account/emails'));
    assert.match(await page.textContent('.emails'), /alice@example\.test/);
    assert.equal(await page.locator('form').filter({ has: page.locator('[name=email_id]') }).count(), 0);
    assert.equal(await page.locator('form#email-add').count(), 0);
    await capture(page, 'emails-read-only');
    await page.context().close();
  }, ['--email', 'alice@example.test']);
});

// GET /recover for the cookie and token, then POST it with HEADERS, through
// node:http (which, unlike fetch, lets the test set Host).
async function postRecover(server, address, headers = {}) {
  const url = new URL(server.url('/recover'));
  const send = (method, extraHeaders, body) => new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method, headers: extraHeaders }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { text += chunk; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
    });
    req.on('error', reject);
    if (body) req.write(body);
    req.end();
  });
  const form = await send('GET', {});
  const cookies = (form.headers['set-cookie'] ?? []).map((cookie) => cookie.split(';')[0]).join('; ');
  const csrf = form.text.match(/name="csrf" value="([^"]+)"/)[1];
  const body = new URLSearchParams({ csrf, email: address }).toString();
  return send('POST', {
    'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), cookie: cookies, ...headers,
  }, body);
}

test('password recovery: the same answer for every address, a link from the public base, every session ended, single use', async () => {
  await withAlice({}, async (hs) => {
    const client = await registerClient(hs.server, {
      client_name: 'Recovery Test App', client_uri: 'https://recovery.example.test/', redirect_uris: ['http://127.0.0.1/cb'], application_type: 'native',
      token_endpoint_auth_method: 'none', grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
    });
    const device = `RC${randomBytes(4).toString('hex').toUpperCase()}`;
    const code = await authorizeForCode(browser, hs.server, callback, client.client_id, ALICE,
      `urn:matrix:client:api:* urn:matrix:client:device:${device}`);
    const tokens = await (await exchangeCode(hs.server, client.client_id, code)).json();
    assert.equal((await introspect(hs.server, hs.synapse.secret, tokens.access_token)).active, true);
    const signedIn = await signedInPage(hs.server);

    // The login page links to the recovery page.
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(hs.server.url('/login'));
    await capture(page, 'login');
    await page.click('text=Forgot password?');
    await page.waitForSelector('form#recover');
    await assertAccessible(page, 'recover');
    await capture(page, 'recover');

    // Unknown and known addresses get the same page. Only the known one is
    // sent a message: the next message to arrive is addressed to alice.
    await page.fill('form#recover [name=email]', 'nobody@example.test');
    await submit(page, 'form#recover');
    const unknownAnswer = (await page.textContent('main')).replace('nobody@example.test', 'ADDRESS');
    await page.goto(hs.server.url('/recover'));
    const mail = nextMail();
    await page.fill('form#recover [name=email]', 'alice@example.test');
    await submit(page, 'form#recover');
    assert.equal((await page.textContent('main')).replace('alice@example.test', 'ADDRESS'), unknownAnswer);
    await capture(page, 'recover-sent');
    const text = await mail;
    assert.match(text, /^To:.*alice@example\.test/m);
    const link = text.match(/(https?:\/\/\S+\/recover\/password\?token=[A-Za-z0-9_-]+)/)[1];
    assert.ok(link.startsWith(hs.server.url('/recover/password?token=')), link);

    // Host-header injection: the link still uses the configured base.
    const injected = nextMail();
    const answer = await postRecover(hs.server, 'alice@example.test', { host: 'evil.test', 'x-forwarded-host': 'evil.test' });
    assert.equal(answer.status, 200);
    const poisoned = (await injected).match(/(https?:\/\/\S+\/recover\/password\?token=[A-Za-z0-9_-]+)/)[1];
    assert.ok(poisoned.startsWith(hs.server.url('/recover/password?token=')), poisoned);
    assert.ok(!/evil/.test(await injected));

    // The link opens form#recover-password; the password rules apply.
    await page.goto(link);
    await page.waitForSelector('form#recover-password');
    await assertAccessible(page, 'recover password');
    await capture(page, 'recover-password');
    await page.fill('form#recover-password [name=new_password]', 'short');
    await page.fill('form#recover-password [name=new_password_confirm]', 'short');
    await submit(page, 'form#recover-password');
    assert.equal(await page.getAttribute('form#recover-password [name=new_password]', 'aria-invalid'), 'true');
    await capture(page, 'recover-password-error');
    await page.fill('form#recover-password [name=new_password]', NEW_PASSWORD);
    await page.fill('form#recover-password [name=new_password_confirm]', NEW_PASSWORD);
    await submit(page, 'form#recover-password');
    assert.match(await page.textContent('h1'), /Password changed/);
    await capture(page, 'recover-done');

    // At once: the OAuth token is inactive, the other browser is signed out.
    assert.equal((await introspect(hs.server, hs.synapse.secret, tokens.access_token)).active, false);
    await signedIn.goto(hs.server.url('/account/'));
    await signedIn.waitForSelector('form#login');
    // The link works once; the other link sent meanwhile is dead too.
    await page.goto(link);
    assert.match(await page.textContent('h1'), /cannot be used/);
    await capture(page, 'recover-dead-link');
    await page.goto(poisoned);
    assert.match(await page.textContent('h1'), /cannot be used/);
    // The new password signs in.
    await page.goto(hs.server.url('/login'));
    await submitLogin(page, ALICE.name, NEW_PASSWORD);
    assert.equal(new URL(page.url()).pathname, '/account/');
    assert.ok(auditActions(hs.server).includes('account.password_recovery'));
    await signedIn.context().close();
    await context.close();
  }, ['--email', 'alice@example.test']);
});

test('an expired recovery link is refused', async () => {
  await withAlice({}, async (hs) => {
    const mail = nextMail();
    assert.equal((await postRecover(hs.server, 'alice@example.test')).status, 200);
    const link = (await mail).match(/(https?:\/\/\S+\/recover\/password\?token=[A-Za-z0-9_-]+)/)[1];
    // Past its TTL without waiting: the ticket's expiry moved back.
    sql(hs.server, 'UPDATE recovery_tickets SET expires_at = expires_at - 600000;');
    const context = await browser.newContext();
    const page = await context.newPage();
    const response = await page.goto(link);
    assert.equal(response.status(), 400);
    assert.match(await page.textContent('main'), /expired or was already used/);
    await context.close();
  }, ['--email', 'alice@example.test']);
});

// Fills form#register and submits it: the response.
async function register(page, server, name, extra = {}) {
  await page.goto(server.url('/register'));
  await page.waitForSelector('form#register');
  await page.fill('form#register [name=username]', name);
  await page.fill('form#register [name=password]', 'a long enough passphrase');
  await page.fill('form#register [name=password_confirm]', 'a long enough passphrase');
  for (const [field, value] of Object.entries(extra)) {
    if (field === 'accept_terms') {
      if (value) await page.check('form#register [name=accept_terms]');
    } else {
      await page.fill(`form#register [name=${field}]`, value);
    }
  }
  // The browser's own checks (required fields) would stop the submission
  // before the server sees it; the server's answers are what is tested.
  await page.$eval('form#register', (form) => { form.noValidate = true; });
  return submit(page, 'form#register');
}

test('registration with a token: valid, exhausted, missing; the terms of service must be accepted and are stored', async () => {
  const TOS = 'https://tos.example.test/terms';
  await withHomeserver({ env: { MXAUTH_ACCOUNT__REGISTRATION_TOKEN_REQUIRED: 'true', MXAUTH_BRANDING__TOS_URI: TOS } }, async (hs) => {
    const { token } = JSON.parse(hs.server.cli(['registration-token', 'add', '--uses', '1']));
    const context = await browser.newContext();
    const page = await context.newPage();

    // Missing token, terms not accepted: both said next to their fields.
    let response = await register(page, hs.server, 'rita');
    assert.equal(response.status(), 400);
    assert.equal(await page.getAttribute('form#register [name=registration_token]', 'aria-invalid'), 'true');
    assert.match(await page.textContent('#accept_terms-error'), /Accept the terms/);
    assert.equal(await page.getAttribute('form#register a[href]', 'href') !== null, true);
    assert.equal(await page.locator(`form#register a[href="${TOS}"]`).count(), 1);
    await assertAccessible(page, 'register with token and terms');
    await capture(page, 'register-gated');

    response = await register(page, hs.server, 'rita', { registration_token: token, accept_terms: true });
    assert.equal(response.status(), 200);
    assert.equal(new URL(page.url()).pathname, '/account/');

    // The token had one use: spent.
    const other = await browser.newContext();
    const second = await other.newPage();
    response = await register(second, hs.server, 'sam', { registration_token: token, accept_terms: true });
    assert.equal(response.status(), 400);
    assert.match(await second.textContent('#registration_token-error'), /used up/);
    await capture(second, 'register-token-used');
    const [listed] = hs.server.cli(['registration-token', 'list']).trim().split('\n').map((line) => JSON.parse(line));
    assert.equal(listed.times_used, 1);
    assert.equal(listed.valid, false);

    // The acceptance is stored: the URI and when.
    const stored = sql(hs.server, "SELECT t.terms_uri FROM user_terms t JOIN users u ON u.id = t.user_id WHERE u.localpart = 'rita';").trim();
    assert.equal(stored, TOS);
    assert.equal(sql(hs.server, "SELECT COUNT(*) FROM users WHERE localpart = 'sam';").trim(), '0');
    await other.close();
    await context.close();
  });
});
