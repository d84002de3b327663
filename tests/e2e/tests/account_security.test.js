// The sensitive account pages in chromium, against mxauth and the Synapse
// double (issue 5): step-up with a fresh session (no prompt) and with a
// stale one (form#reauth, then back to the operation), wrong step-up
// passwords limited together with the logins, a password change that ends
// the user's other sessions (their tokens introspect inactive and the
// double deletes their devices), deactivation with erase
// (delete_user(erase=true) on the double), the cross-signing reset approval
// (allow_cross_signing_reset on the double), the MSC4191 deep links, and
// step-up with two stages, the second a code sent through a real SMTP
// server on loopback (tests/smtp/smtp_sink.py).
// Every new page is captured in light and dark mode
// (artifacts/account-<scheme>-<page>.png), and each completed operation is
// read back with `mxauth audit list`.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';

import { launchBrowser, screenshot } from '../lib/browser.js';
import { authorizeForCode, exchangeCode, introspect, registerClient, startCallbackServer, submitLogin } from '../lib/flow.js';
import { startSmtpSink } from '../lib/smtp.js';
import { withHomeserver } from '../lib/synapse.js';

const ALICE = { name: 'alice', password: 'alice has a long passphrase' };
const NEW_PASSWORD = 'alice picked a new passphrase';
const SYNC = '/_synapse/mas/sync_devices';
const DELETE_USER = '/_synapse/mas/delete_user';
const CROSS_SIGNING = '/_synapse/mas/allow_cross_signing_reset';
// A short step-up window (account.step_up.max_age), so that a session can be
// made stale by moving its authentication time back past it.
const STEP_UP_ENV = { MXAUTH_ACCOUNT__STEP_UP__MAX_AGE: '60' };

let browser;
let callback;
before(async () => {
  browser = await launchBrowser();
  callback = await startCallbackServer();
});
after(async () => {
  await callback?.close();
  await browser?.close();
});

// mxauth with the double, alice added through the CLI and known to the
// double, and a public client; BODY(hs) gets {server, synapse, client}.
// USER_ARGS go to `mxauth user add` (e.g. a confirmed --email).
function withAlice(env, body, userArgs = []) {
  return withHomeserver({ double: { existingUsers: [ALICE.name] }, env: { ...STEP_UP_ENV, ...env } }, async (hs) => {
    hs.server.addUser(ALICE.name, ALICE.password, userArgs);
    hs.client = await registerClient(hs.server, {
      client_name: 'Account Security Test App',
      client_uri: 'https://account.example.test/',
      redirect_uris: ['http://127.0.0.1/cb'],
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    });
    await body(hs);
  });
}

// A browser signed in as alice on the account page.
async function signedInPage(server) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(server.url('/account/'));
  await page.waitForSelector('form#login');
  await submitLogin(page, ALICE.name, ALICE.password);
  assert.equal(new URL(page.url()).pathname, '/account/');
  return page;
}

// The page in light and in dark mode (artifacts/account-<scheme>-NAME.png).
async function capture(page, name) {
  for (const colorScheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme });
    await screenshot(page, `account-${colorScheme}-${name}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

// Every visible input has a label, the page has a language and a heading,
// and nothing scrolls sideways.
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

async function submit(page, form) {
  await Promise.all([page.waitForNavigation(), page.click(`form#${form} button[type=submit]`)]);
}

// A legacy (compat) login on DEVICE: {access_token, device_id}.
async function legacyLogin(server, device) {
  const response = await fetch(server.url('/_matrix/client/v3/login'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      type: 'm.login.password', identifier: { type: 'm.id.user', user: ALICE.name }, password: ALICE.password, device_id: device,
    }),
  });
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  return body;
}

// An OAuth login on DEVICE through another browser: the access token.
async function oauthLogin(hs, device) {
  const code = await authorizeForCode(browser, hs.server, callback, hs.client.client_id, ALICE,
    `urn:matrix:client:api:* urn:matrix:client:device:${device}`);
  const response = await exchangeCode(hs.server, hs.client.client_id, code);
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  return body.access_token;
}

async function doubleUser(synapse) {
  return (await synapse.state()).users[ALICE.name];
}

function auditEvents(server) {
  return server.cli(['audit', 'list', '--user', ALICE.name]).trim().split('\n').filter(Boolean).map((line) => JSON.parse(line));
}

test('a fresh session changes the password without a prompt; the other sessions end and the homeserver loses their devices', async () => {
  await withAlice({}, async (hs) => {
    const oauthDevice = `OA${randomBytes(4).toString('hex').toUpperCase()}`;
    const legacyDevice = `LG${randomBytes(4).toString('hex').toUpperCase()}`;
    const oauthToken = await oauthLogin(hs, oauthDevice);
    const legacy = await legacyLogin(hs.server, legacyDevice);
    assert.equal((await introspect(hs.server, hs.synapse.secret, oauthToken)).active, true);
    assert.equal((await introspect(hs.server, hs.synapse.secret, legacy.access_token)).active, true);
    const devicesBefore = Object.keys((await doubleUser(hs.synapse)).devices);
    assert.ok(devicesBefore.includes(oauthDevice) && devicesBefore.includes(legacyDevice), `devices: ${devicesBefore}`);

    const page = await signedInPage(hs.server);
    await assertAccessible(page, 'account page');
    await capture(page, 'home');
    await page.click('a[href="/account/password"]');
    await page.waitForSelector('form#password-change');
    assert.equal(new URL(page.url()).pathname, '/account/password', 'no re-authentication for a fresh sign-in');
    await assertAccessible(page, 'password change');
    assert.equal(await page.isChecked('form#password-change [name=end_sessions]'), true, 'ending the other sessions is the default');
    await capture(page, 'password-change');

    // The rules of registration, shown next to the field.
    await page.fill('form#password-change [name=current_password]', ALICE.password);
    await page.fill('form#password-change [name=new_password]', 'short');
    await page.fill('form#password-change [name=new_password_confirm]', 'short');
    await submit(page, 'password-change');
    assert.equal(await page.getAttribute('form#password-change [name=new_password]', 'aria-invalid'), 'true');
    await capture(page, 'password-change-error');

    await page.fill('form#password-change [name=current_password]', ALICE.password);
    await page.fill('form#password-change [name=new_password]', NEW_PASSWORD);
    await page.fill('form#password-change [name=new_password_confirm]', NEW_PASSWORD);
    await submit(page, 'password-change');
    assert.equal(new URL(page.url()).pathname, '/account/');
    assert.match(await page.textContent('[role=status]'), /password has been changed/);
    await capture(page, 'password-changed');

    // At once: the tokens of the other sessions are inactive…
    assert.equal((await introspect(hs.server, hs.synapse.secret, oauthToken)).active, false);
    assert.equal((await introspect(hs.server, hs.synapse.secret, legacy.access_token)).active, false);
    // …and the durable device sync removes their devices from the homeserver.
    await hs.synapse.waitFor(SYNC);
    const devicesAfter = Object.keys((await doubleUser(hs.synapse)).devices);
    assert.ok(!devicesAfter.includes(oauthDevice) && !devicesAfter.includes(legacyDevice), `devices left: ${devicesAfter}`);
    // This browser stays signed in; the new password works, the old one not.
    await page.goto(hs.server.url('/account/'));
    assert.equal(new URL(page.url()).pathname, '/account/');
    const [event] = auditEvents(hs.server);
    assert.equal(event.action, 'account.password_change');
    assert.equal(event.user_id, `@${ALICE.name}:${hs.synapse.serverName}`);
    assert.equal(event.ip_address, '127.0.0.1');
    assert.match(event.user_agent, /Chrome/);
    assert.deepEqual(event.details, { other_sessions_ended: true, sessions_ended: 3 });
    await page.context().close();
  });
});

test('a stale session is asked for its password, comes back to the operation, and the homeserver records the cross-signing reset', async () => {
  await withAlice({}, async (hs) => {
    const page = await signedInPage(hs.server);
    hs.server.ageBrowserSessions(61);

    await page.goto(hs.server.url('/account/cross-signing-reset'));
    await page.waitForSelector('form#reauth');
    assert.equal(new URL(page.url()).pathname, '/account/reauth');
    await assertAccessible(page, 'reauth');
    await capture(page, 'reauth');
    // Progress survives a reload.
    await page.reload();
    await page.waitForSelector('form#reauth');
    await page.fill('form#reauth [name=password]', 'not the password');
    await submit(page, 'reauth');
    assert.match(await page.textContent('.field-error'), /Wrong password/);
    await capture(page, 'reauth-error');
    await page.fill('form#reauth [name=password]', ALICE.password);
    await submit(page, 'reauth');

    assert.equal(new URL(page.url()).pathname, '/account/cross-signing-reset', 'back at the operation');
    await page.waitForSelector('form#cross-signing-reset');
    assert.match(await page.textContent('main'), /10 minutes/);
    await assertAccessible(page, 'cross-signing reset');
    await capture(page, 'cross-signing-reset');
    assert.equal((await hs.synapse.calls(CROSS_SIGNING)).length, 0, 'showing the page calls nothing');
    await submit(page, 'cross-signing-reset');
    assert.match(await page.textContent('[role=status]'), /may now reset your digital identity until \d\d:\d\d UTC/);
    await capture(page, 'cross-signing-approved');

    const calls = await hs.synapse.calls(CROSS_SIGNING);
    assert.equal(calls.length, 1);
    assert.deepEqual(JSON.parse(calls[0].body), { localpart: ALICE.name });
    const user = await doubleUser(hs.synapse);
    assert.equal(user.cross_signing_reset_allowances, 1);
    assert.ok(user.cross_signing_reset_allowed_until > Date.now() + 9 * 60 * 1000);
    assert.equal(auditEvents(hs.server)[0].action, 'account.cross_signing_reset');
    await page.context().close();
  });
});

test('wrong step-up passwords are limited together with the logins', async () => {
  await withAlice({
    MXAUTH_RATE_LIMITS__LOGIN__PER_ACCOUNT__BURST: '2',
    MXAUTH_RATE_LIMITS__LOGIN__PER_ACCOUNT__REFILL_INTERVAL: '3600',
  }, async (hs) => {
    const page = await signedInPage(hs.server);
    hs.server.ageBrowserSessions(61);
    await page.goto(hs.server.url('/account/password'));
    await page.waitForSelector('form#reauth');
    for (let attempt = 0; attempt < 2; attempt += 1) {
      await page.fill('form#reauth [name=password]', `wrong guess ${attempt}`);
      await submit(page, 'reauth');
      assert.match(await page.textContent('.field-error'), /Wrong password/);
    }

    await page.fill('form#reauth [name=password]', ALICE.password);
    const [response] = await Promise.all([page.waitForNavigation(), page.click('form#reauth button[type=submit]')]);

    assert.equal(response.status(), 429);
    assert.ok(Number(response.headers()['retry-after']) > 0);
    assert.match(await page.textContent('[role=alert]'), /Too many attempts/);
    assert.equal(new URL(page.url()).pathname, '/account/reauth');
    await capture(page, 'reauth-limited');
    // The login page counts the same guesses.
    const login = await fetch(hs.server.url('/_matrix/client/v3/login'), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'm.login.password', identifier: { type: 'm.id.user', user: ALICE.name }, password: ALICE.password }),
    });
    assert.equal(login.status, 429);
    assert.equal(auditEvents(hs.server).length, 0);
    await page.context().close();
  });
});

test('the deactivation deep link shows what will happen, then deactivates with erase on the homeserver', async () => {
  await withAlice({}, async (hs) => {
    const oauthToken = await oauthLogin(hs, `DA${randomBytes(4).toString('hex').toUpperCase()}`);
    const context = await browser.newContext();
    const page = await context.newPage();
    // Signed out: the deep link survives the login.
    await page.goto(hs.server.url('/account/?action=org.matrix.account_deactivate'));
    await page.waitForSelector('form#login');
    await submitLogin(page, ALICE.name, ALICE.password);
    await page.waitForSelector('form#deactivate');
    assert.equal(new URL(page.url()).pathname, '/account/deactivate');
    assert.match(await page.textContent('[role=note]'), /signed out of every app/);
    await assertAccessible(page, 'deactivate');
    await capture(page, 'deactivate');
    assert.equal((await hs.synapse.calls(DELETE_USER)).length, 0, 'the link alone changes nothing');

    await page.check('form#deactivate [name=erase]');
    await submit(page, 'deactivate');
    assert.match(await page.textContent('h1'), /Account deactivated/);
    await capture(page, 'deactivated');

    assert.equal((await introspect(hs.server, hs.synapse.secret, oauthToken)).active, false);
    await hs.synapse.waitFor(DELETE_USER);
    const [call] = await hs.synapse.calls(DELETE_USER);
    assert.deepEqual(JSON.parse(call.body), { localpart: ALICE.name, erase: true });
    const user = await doubleUser(hs.synapse);
    assert.equal(user.deactivated, true);
    assert.equal(user.erased, true);
    // The browser session ended with the account.
    await page.goto(hs.server.url('/account/'));
    await page.waitForSelector('form#login');
    const [event] = auditEvents(hs.server);
    assert.equal(event.action, 'account.deactivate');
    assert.deepEqual(event.details, { erase: true });
    await context.close();
  });
});

test('the cross-signing reset deep link lands on its page, and the metadata lists exactly the served actions', async () => {
  await withAlice({}, async (hs) => {
    const metadata = await (await fetch(hs.server.url('/.well-known/openid-configuration'))).json();
    assert.deepEqual(metadata.account_management_actions_supported, [
      'org.matrix.profile', 'org.matrix.devices_list', 'org.matrix.device_view',
      'org.matrix.device_delete', 'org.matrix.account_deactivate', 'org.matrix.cross_signing_reset',
      'org.matrix.sessions_list', 'org.matrix.session_view', 'org.matrix.session_end']);
    const page = await signedInPage(hs.server);

    await page.goto(`${metadata.account_management_uri}?action=org.matrix.cross_signing_reset`);

    await page.waitForSelector('form#cross-signing-reset');
    assert.equal(new URL(page.url()).pathname, '/account/cross-signing-reset');
    assert.equal((await hs.synapse.calls(CROSS_SIGNING)).length, 0);
    await page.context().close();
  });
});

test('with stages [password, email], a fresh sign-in still goes through both, the code arriving by e-mail', async () => {
  const smtp = await startSmtpSink();
  try {
    await withAlice({
      MXAUTH_ACCOUNT__STEP_UP__STAGES: 'password,email',
      MXAUTH_EMAIL__TRANSPORT: 'smtp',
      MXAUTH_EMAIL__SMTP__HOST: '127.0.0.1',
      MXAUTH_EMAIL__SMTP__PORT: String(smtp.port),
    }, async (hs) => {
      const page = await signedInPage(hs.server);

      await page.goto(hs.server.url('/account/password'));
      await page.waitForSelector('form#reauth');
      assert.match(await page.textContent('.step'), /Step 1 of 2/);
      await page.fill('form#reauth [name=password]', ALICE.password);
      await submit(page, 'reauth');
      await page.waitForSelector('form#reauth [name=code]');
      assert.match(await page.textContent('.step'), /Step 2 of 2/);
      assert.match(await page.textContent('.lead'), /a\u2022\u2022\u2022@example\.test/);
      await assertAccessible(page, 'reauth, e-mail stage');
      await capture(page, 'reauth-email');

      const mail = await smtp.message(1);
      assert.match(mail, /^To:.*alice@example\.test/m);
      const code = mail.match(/is:\s+(\d{6})\b/)[1];
      await page.fill('form#reauth [name=code]', code);
      await submit(page, 'reauth');

      assert.equal(new URL(page.url()).pathname, '/account/password');
      await page.waitForSelector('form#password-change');
      await page.context().close();
    }, ['--email', 'alice@example.test']);
  } finally {
    await smtp.stop();
  }
});
