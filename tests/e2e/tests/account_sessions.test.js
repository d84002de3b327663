// The profile and sessions pages in chromium, against mxauth and the
// Synapse double (issue 5): a display name saved on /account/profile
// reaches the homeserver (provision_user with set_displayname, through the
// durable job queue); /account/sessions lists an OAuth session made by a
// real authorization-code flow, a compat session of the legacy /login and
// the browser sessions; one session is viewed; one is ended through the
// MSC4191 deep link ?action=org.matrix.device_delete&device_id=… after its
// confirmation and step-up, after which its token introspects inactive at
// once and the double records delete_device; every profile and sessions
// deep link (stable names and unstable aliases) lands on its page, with
// login_hint honoured; the metadata advertises all of them; ending this
// browser's own session signs out. Every page is captured in light and
// dark mode (artifacts/sessions-<scheme>-<page>.png).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';

import { launchBrowser, screenshot } from '../lib/browser.js';
import { authorizeForCode, exchangeCode, introspect, registerClient, startCallbackServer, submitLogin } from '../lib/flow.js';
import { withHomeserver } from '../lib/synapse.js';

const ALICE = { name: 'alice', password: 'alice has a long passphrase' };
const CLIENT_NAME = 'Account Sessions Test App';
const PROVISION = '/_synapse/mas/provision_user';
const DELETE_DEVICE = '/_synapse/mas/delete_device';
// A short step-up window, so that a session can be made stale by moving its
// authentication time back past it.
const STEP_UP_ENV = { MXAUTH_ACCOUNT__STEP_UP__MAX_AGE: '60' };
const ALL_ACTIONS = [
  'org.matrix.profile', 'org.matrix.devices_list', 'org.matrix.device_view',
  'org.matrix.device_delete', 'org.matrix.account_deactivate', 'org.matrix.cross_signing_reset',
  'org.matrix.sessions_list', 'org.matrix.session_view', 'org.matrix.session_end'];

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

function withAlice(body) {
  return withHomeserver({ double: { existingUsers: [ALICE.name] }, env: STEP_UP_ENV }, async (hs) => {
    hs.server.addUser(ALICE.name, ALICE.password);
    hs.client = await registerClient(hs.server, {
      client_name: CLIENT_NAME,
      client_uri: 'https://sessions.example.test/',
      redirect_uris: ['http://127.0.0.1/cb'],
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    });
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

async function capture(page, name) {
  for (const colorScheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme });
    await screenshot(page, `sessions-${colorScheme}-${name}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

// Every visible input has a label, the page has a language and a heading,
// and nothing scrolls sideways (also on a phone-sized viewport).
async function assertAccessible(page, what) {
  for (const viewport of [{ width: 1280, height: 800 }, { width: 360, height: 740 }]) {
    await page.setViewportSize(viewport);
    const problems = await page.evaluate(() => {
      const found = [];
      if (!document.documentElement.lang) found.push('<html> has no lang');
      if (!document.querySelector('h1')) found.push('no <h1>');
      for (const input of document.querySelectorAll('input:not([type=hidden])')) {
        const label = input.id && document.querySelector(`label[for="${CSS.escape(input.id)}"]`);
        if (!label || !label.textContent.trim()) found.push(`${input.name || input.id} has no label`);
      }
      if (document.documentElement.scrollWidth > window.innerWidth) found.push('horizontal scrolling');
      return found;
    });
    assert.deepEqual(problems, [], `${what} at ${viewport.width}px: ${problems.join(', ')}`);
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

async function submit(page, form) {
  await Promise.all([page.waitForNavigation(), page.click(`form#${form} button[type=submit]`)]);
}

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

function newDevice(prefix) {
  return `${prefix}${randomBytes(4).toString('hex').toUpperCase()}`;
}

test('a display name saved on the profile page reaches the homeserver', async () => {
  await withAlice(async (hs) => {
    const page = await signedInPage(hs.server);
    await assertAccessible(page, 'account page');
    await capture(page, 'home');
    await page.click('a[href="/account/profile"]');
    await page.waitForSelector('form#profile');
    assert.equal(await page.inputValue('#user_id'), `@${ALICE.name}:${hs.synapse.serverName}`);
    await assertAccessible(page, 'profile');
    await capture(page, 'profile');

    // Too long: refused next to the field, nothing sent.
    await page.fill('form#profile [name=display_name]', 'x'.repeat(300));
    await submit(page, 'profile');
    assert.equal(await page.getAttribute('form#profile [name=display_name]', 'aria-invalid'), 'true');
    assert.match(await page.textContent('#display_name-error'), /at most 256 characters/);
    await capture(page, 'profile-error');

    await page.fill('form#profile [name=display_name]', 'Alice Liddell');
    await submit(page, 'profile');
    assert.equal(new URL(page.url()).pathname, '/account/profile');
    assert.match(await page.textContent('[role=status]'), /profile has been saved/);
    assert.equal(await page.inputValue('form#profile [name=display_name]'), 'Alice Liddell');
    await capture(page, 'profile-saved');

    await hs.synapse.waitFor(PROVISION);
    const provisions = (await hs.synapse.calls(PROVISION)).map((call) => JSON.parse(call.body));
    assert.ok(provisions.some((body) => body.localpart === ALICE.name && body.set_displayname === 'Alice Liddell'),
      JSON.stringify(provisions));
    assert.equal((await doubleUser(hs.synapse)).display_name, 'Alice Liddell');
    await page.context().close();
  });
});

test('the sessions list shows OAuth, compat and browser sessions; one is ended by deep link after confirmation and step-up', async () => {
  await withAlice(async (hs) => {
    const oauthDevice = newDevice('OA');
    const legacyDevice = newDevice('LG');
    const oauthToken = await oauthLogin(hs, oauthDevice);
    const legacy = await legacyLogin(hs.server, legacyDevice);
    assert.equal((await introspect(hs.server, hs.synapse.secret, oauthToken)).active, true);

    const page = await signedInPage(hs.server);
    await page.click('a[href="/account/sessions"]');
    await page.waitForSelector('ul.sessions');
    const list = await page.textContent('ul.sessions');
    for (const expected of [CLIENT_NAME, oauthDevice, legacyDevice, 'This browser', 'App (legacy sign-in)', 'Browser']) {
      assert.ok(list.includes(expected), `the list shows ${expected}: ${list}`);
    }
    await assertAccessible(page, 'sessions');
    await capture(page, 'sessions');

    // View the compat session from the list.
    await Promise.all([page.waitForNavigation(), page.click(`a.session:has-text("${legacyDevice}")`)]);
    assert.match(new URL(page.url()).pathname, /^\/account\/sessions\/[0-9A-Z]{26}$/);
    const details = await page.textContent('dl.facts');
    assert.ok(details.includes(legacyDevice) && details.includes('Signed in'), details);
    await assertAccessible(page, 'session');
    await capture(page, 'session');

    // A stale sign-in, then the deep link a client would open.
    hs.server.ageBrowserSessions(61);
    const metadata = await (await fetch(hs.server.url('/.well-known/openid-configuration'))).json();
    await page.goto(`${metadata.account_management_uri}?action=org.matrix.device_delete&device_id=${oauthDevice}`);
    await page.waitForSelector('form#reauth');
    await page.fill('form#reauth [name=password]', ALICE.password);
    await submit(page, 'reauth');
    await page.waitForSelector('form#device-delete');
    assert.match(new URL(page.url()).pathname, /^\/account\/sessions\/[0-9A-Z]{26}\/end$/);
    const warning = await page.textContent('.warning');
    assert.ok(warning.includes(`${CLIENT_NAME} will be signed out`) && warning.includes(oauthDevice), warning);
    await assertAccessible(page, 'session end');
    await capture(page, 'session-end');
    assert.equal((await hs.synapse.calls(DELETE_DEVICE)).length, 0, 'the confirmation page changes nothing');
    assert.equal((await introspect(hs.server, hs.synapse.secret, oauthToken)).active, true);

    await submit(page, 'device-delete');
    assert.equal(new URL(page.url()).pathname, '/account/sessions');
    assert.match(await page.textContent('[role=status]'), /session has been ended/);
    assert.ok(!(await page.textContent('ul.sessions')).includes(oauthDevice));
    await capture(page, 'sessions-ended');

    // At once: its token is inactive, the others' not…
    assert.equal((await introspect(hs.server, hs.synapse.secret, oauthToken)).active, false);
    assert.equal((await introspect(hs.server, hs.synapse.secret, legacy.access_token)).active, true);
    // …and the homeserver deletes its device.
    await hs.synapse.waitFor(DELETE_DEVICE);
    const calls = await hs.synapse.calls(DELETE_DEVICE);
    assert.equal(calls.length, 1);
    assert.deepEqual(JSON.parse(calls[0].body), { localpart: ALICE.name, device_id: oauthDevice });
    const devices = Object.keys((await doubleUser(hs.synapse)).devices);
    assert.ok(!devices.includes(oauthDevice) && devices.includes(legacyDevice), `devices: ${devices}`);
    const [event] = auditEvents(hs.server);
    assert.equal(event.action, 'account.session_end');
    assert.equal(event.details.kind, 'oauth');
    assert.equal(event.details.device_id, oauthDevice);
    await page.context().close();
  });
});

test('every profile and sessions deep link lands on its page, login_hint is honoured, and ending this browser signs out', async () => {
  await withAlice(async (hs) => {
    const legacyDevice = newDevice('LG');
    await legacyLogin(hs.server, legacyDevice);
    const metadata = await (await fetch(hs.server.url('/.well-known/openid-configuration'))).json();
    assert.deepEqual(metadata.account_management_actions_supported, ALL_ACTIONS);
    const base = metadata.account_management_uri;

    // Signed out, with a login_hint: the login form is pre-filled and
    // continues to the action's page.
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${base}?action=org.matrix.profile&login_hint=${encodeURIComponent(`mxid:@${ALICE.name}:${hs.synapse.serverName}`)}`);
    await page.waitForSelector('form#login');
    assert.equal(await page.inputValue('form#login [name=username]'), ALICE.name);
    await page.fill('form#login [name=password]', ALICE.password);
    await submit(page, 'login');
    assert.equal(new URL(page.url()).pathname, '/account/profile');

    const links = [
      ['org.matrix.profile', '', /^\/account\/profile$/, 'form#profile'],
      ['org.matrix.devices_list', '', /^\/account\/sessions$/, 'ul.sessions'],
      ['org.matrix.sessions_list', '', /^\/account\/sessions$/, 'ul.sessions'],
      ['org.matrix.device_view', legacyDevice, /^\/account\/sessions\/[0-9A-Z]{26}$/, 'dl.facts'],
      ['org.matrix.session_view', legacyDevice, /^\/account\/sessions\/[0-9A-Z]{26}$/, 'dl.facts'],
      ['org.matrix.device_delete', legacyDevice, /^\/account\/sessions\/[0-9A-Z]{26}\/end$/, 'form#device-delete'],
      ['org.matrix.session_end', legacyDevice, /^\/account\/sessions\/[0-9A-Z]{26}\/end$/, 'form#device-delete'],
    ];
    for (const [action, device, path, selector] of links) {
      const query = new URLSearchParams({ action, ...(device ? { device_id: device } : {}) });
      await page.goto(`${base}?${query}`);
      await page.waitForSelector(selector);
      assert.match(new URL(page.url()).pathname, path, action);
      if (device) assert.ok((await page.textContent('main')).includes(device), `${action} shows ${device}`);
    }

    // An unknown device: a clear page, not an error.
    const unknown = await page.goto(`${base}?action=org.matrix.device_view&device_id=NOSUCHDEVICE`);
    assert.equal(unknown.status(), 404);
    assert.match(await page.textContent('h1'), /Session not found/);
    await assertAccessible(page, 'session not found');
    await capture(page, 'session-not-found');

    // A hint for another account: said so, nothing done.
    await page.goto(`${base}?action=org.matrix.device_delete&device_id=${legacyDevice}&login_hint=${encodeURIComponent(`mxid:@bob:${hs.synapse.serverName}`)}`);
    assert.match(await page.textContent('h1'), /This link is for another account/);
    assert.ok((await page.textContent('main')).includes(`@bob:${hs.synapse.serverName}`));
    await capture(page, 'account-mismatch');

    // Ending this browser's own session is signing out.
    await page.goto(hs.server.url('/account/sessions'));
    await Promise.all([page.waitForNavigation(), page.click('a.session:has-text("This browser")')]);
    await capture(page, 'session-current');
    await Promise.all([page.waitForNavigation(), page.click('a.button.danger')]);
    await page.waitForSelector('form#device-delete');
    assert.match(await page.textContent('.warning'), /signed out of this browser/);
    await capture(page, 'session-end-current');
    await submit(page, 'device-delete');
    await page.waitForSelector('form#login');
    await page.goto(hs.server.url('/account/'));
    await page.waitForSelector('form#login');
    assert.equal((await hs.synapse.calls(DELETE_DEVICE)).length, 0, 'a browser has no device');
    await context.close();
  });
});
