// The browser pages in chromium: registration through prompt=create on an
// authorization request (with errors shown next to their fields), the login
// error, the HTML error page for an unknown client or redirect URI (never a
// redirect), the signed-in page and logout. Every page is captured in light
// and dark mode (artifacts/pages-<scheme>-<page>.png), and login and consent
// also at a phone's viewport (artifacts/pages-mobile-<scheme>-<page>.png).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { launchBrowser, screenshot } from '../lib/browser.js';
import { allowConsent, introspect, pkce, registerClient, startCallbackServer, submitLogin } from '../lib/flow.js';
import { MxauthServer } from '../lib/server.js';

const HOMESERVER_SECRET = 'e2e-pages-homeserver-secret';
const DAVE = { name: 'dave', password: 'dave uses a long passphrase' };
const CLIENT_HOST = 'pages.example.test';
const LOGO_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">'
  + '<rect width="64" height="64" rx="14" fill="#2e7d32"/><circle cx="32" cy="32" r="14" fill="#fff"/></svg>';

let server;
let browser;
let callback;
let client;
before(async () => {
  server = await MxauthServer.start({ env: { MXAUTH_MATRIX__SECRET: HOMESERVER_SECRET } });
  server.addUser(DAVE.name, DAVE.password);
  browser = await launchBrowser();
  callback = await startCallbackServer();
  client = await registerClient(server, {
    client_name: 'Pages Test App',
    client_uri: `https://${CLIENT_HOST}/`,
    logo_uri: `https://${CLIENT_HOST}/logo.svg`,
    policy_uri: `https://${CLIENT_HOST}/privacy`,
    tos_uri: `https://${CLIENT_HOST}/terms`,
    redirect_uris: ['http://127.0.0.1/cb'],
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  });
});
after(async () => {
  await callback?.close();
  await browser?.close();
  assert.equal(await server.stop(), 0);
});

// A browser context in the given colour scheme whose requests to the client's
// host are answered locally (the logo on the consent page).
async function newContext(options) {
  const context = await browser.newContext(options);
  await context.route(`https://${CLIENT_HOST}/**`, (route) =>
    route.fulfill({ status: 200, contentType: 'image/svg+xml', body: LOGO_SVG }));
  return context;
}

function authorizationUrl(params) {
  const url = new URL(server.url('/authorize'));
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: `${callback.origin}/cb`,
    scope: 'openid urn:matrix:client:api:* urn:matrix:client:device:PAGESDEVICE',
    ...params,
  }).toString();
  return url;
}

// Every visible form control has a visible label tied to it, and the page
// declares its language and fits the viewport without horizontal scrolling.
async function assertAccessible(page, what) {
  const problems = await page.evaluate(() => {
    const found = [];
    if (!document.documentElement.lang) found.push('<html> has no lang');
    for (const input of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
      const label = input.id && document.querySelector(`label[for="${CSS.escape(input.id)}"]`);
      if (!label || !label.textContent.trim()) found.push(`${input.name} has no label`);
      // A hint shown above the field is also announced with it.
      const hint = input.closest('.field')?.querySelector('.hint');
      const describedBy = (input.getAttribute('aria-describedby') ?? '').split(' ');
      if (hint && !(hint.id && describedBy.includes(hint.id))) found.push(`${input.name}'s hint is not announced`);
    }
    for (const button of document.querySelectorAll('button')) {
      if (!button.textContent.trim()) found.push('a button has no text');
    }
    if (document.documentElement.scrollWidth > window.innerWidth) found.push('horizontal scrolling');
    if (!document.querySelector('h1')) found.push('no <h1>');
    return found;
  });
  assert.deepEqual(problems, [], `${what}: ${problems.join(', ')}`);
}

// The error for FIELD is rendered next to it: inside the field's own block,
// announced through aria-describedby, with the input marked invalid.
async function assertFieldError(page, field, pattern) {
  const input = page.locator(`form#register [name=${field}]`);
  assert.equal(await input.getAttribute('aria-invalid'), 'true', `${field} is marked invalid`);
  const describedBy = (await input.getAttribute('aria-describedby')) ?? '';
  const errorId = `${field}-error`;
  assert.ok(describedBy.split(' ').includes(errorId), `${field} is described by #${errorId} (got "${describedBy}")`);
  const error = page.locator(`.field:has([name=${field}]) #${errorId}`);
  assert.equal(await error.count(), 1, `#${errorId} sits in ${field}'s block`);
  assert.ok(await error.isVisible());
  assert.match(await error.textContent(), pattern);
}

async function submitRegistration(page, values) {
  for (const [name, value] of Object.entries(values)) await page.fill(`form#register [name=${name}]`, value);
  await Promise.all([page.waitForNavigation(), page.click('form#register button[type=submit]')]);
}

// Goes through every page once in COLOR_SCHEME, asserting on each and taking
// its screenshot.
async function walkThroughPages(colorScheme) {
  const shot = (page, name) => screenshot(page, `pages-${colorScheme}-${name}`);
  const newUser = { name: `erin.${colorScheme}`, password: `erin ${colorScheme} has a passphrase` };
  const context = await newContext({ colorScheme });
  try {
    const page = await context.newPage();

    // Error page: an unknown client_id is shown here, never sent anywhere.
    const hitsBefore = callback.hits.length;
    const unknown = await page.goto(authorizationUrl({ client_id: '01UNKNOWNCLIENT0000000000', state: 'x' }).toString());
    assert.equal(unknown.status(), 400);
    assert.match(unknown.headers()['content-type'], /^text\/html/);
    assert.equal(new URL(page.url()).origin, new URL(server.base).origin, 'the browser stayed on mxauth');
    assert.match(await page.textContent('[role=alert]'), /not registered/i);
    await assertAccessible(page, 'error page');
    await shot(page, 'error');

    // Login page, then the error for a wrong password.
    await page.goto(server.url('/login'));
    await page.waitForSelector('form#login');
    await assertAccessible(page, 'login');
    await shot(page, 'login');
    await submitLogin(page, DAVE.name, 'not the right password');
    await page.waitForSelector('form#login');
    const loginError = page.locator('[role=alert], .field-error');
    assert.ok(await loginError.first().isVisible(), 'the login error is shown');
    assert.match(await loginError.first().textContent(), /password|username|incorrect|invalid/i);
    assert.equal(await page.inputValue('form#login [name=username]'), DAVE.name, 'the username is kept');
    assert.equal(await page.inputValue('form#login [name=password]'), '', 'the password is not echoed back');
    await shot(page, 'login-error');
    await page.goto(server.url('/account/'));
    assert.equal(new URL(page.url()).pathname, '/login', 'a failed login starts no session');

    // Registration from an authorization request with prompt=create.
    const { verifier, challenge } = pkce();
    const state = `state-${colorScheme}`;
    await page.goto(authorizationUrl({
      prompt: 'create', state, code_challenge: challenge, code_challenge_method: 'S256',
    }).toString());
    await page.waitForSelector('form#register');
    assert.equal(new URL(page.url()).pathname, '/register');
    for (const name of ['username', 'password', 'password_confirm', 'email']) {
      assert.equal(await page.locator(`form#register [name=${name}]`).count(), 1, `register has ${name}`);
    }
    await assertAccessible(page, 'register');
    await shot(page, 'register');

    await submitRegistration(page, {
      username: DAVE.name, password: newUser.password, password_confirm: newUser.password, email: '',
    });
    await page.waitForSelector('form#register');
    await assertFieldError(page, 'username', /taken|already|in use|not available/i);
    assert.equal(await page.inputValue('form#register [name=username]'), DAVE.name, 'the username is kept');
    await assertAccessible(page, 'register with a taken username');
    await shot(page, 'register-error-taken');

    await submitRegistration(page, {
      username: newUser.name, password: newUser.password, password_confirm: `${newUser.password}!`,
      email: `${colorScheme}@example.test`,
    });
    await page.waitForSelector('form#register');
    await assertFieldError(page, 'password_confirm', /match/i);
    assert.equal(await page.inputValue('form#register [name=password]'), '', 'passwords are not echoed back');
    assert.equal(await page.inputValue('form#register [name=email]'), `${colorScheme}@example.test`);
    await shot(page, 'register-error-mismatch');

    // Registering signs the new user in and continues the authorization.
    await submitRegistration(page, {
      username: newUser.name, password: newUser.password, password_confirm: newUser.password,
    });
    await page.waitForSelector('form#consent');
    const consent = await page.textContent('main');
    assert.match(consent, /Pages Test App/);
    assert.match(consent, new RegExp(CLIENT_HOST.replace(/\./g, '\\.')));
    assert.match(consent, new RegExp(`@${newUser.name.replace('.', '\\.')}:example\\.test`), 'shows who is signed in');
    assert.match(consent, /PAGESDEVICE/, 'names the device');
    assert.ok(await page.locator('a[href$="/privacy"]').isVisible(), 'links the privacy policy');
    assert.ok(await page.locator('a[href$="/terms"]').isVisible(), 'links the terms of service');
    const logoWidth = await page.locator('.client img').evaluate((img) => img.complete && img.naturalWidth);
    assert.equal(logoWidth, 64, 'the client logo is loaded (CSP allows its host)');
    await assertAccessible(page, 'consent');
    await shot(page, 'consent');
    const back = await allowConsent(page, callback);
    assert.equal(callback.hits.length, hitsBefore + 1, 'only the successful grant reached the client');
    assert.equal(back.searchParams.get('state'), state);
    assert.equal(back.searchParams.get('iss'), server.base);

    const exchanged = await fetch(server.url('/oauth2/token'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code', code: back.searchParams.get('code'), redirect_uri: `${callback.origin}/cb`,
        client_id: client.client_id, code_verifier: verifier,
      }),
    });
    assert.equal(exchanged.status, 200);
    const { access_token: accessToken } = await exchanged.json();
    const active = await introspect(server, HOMESERVER_SECRET, accessToken);
    assert.equal(active.active, true);
    assert.equal(active.username, newUser.name, 'the token belongs to the newly registered user');

    // The signed-in page, then logout.
    await page.goto(server.url('/account/'));
    assert.equal(new URL(page.url()).pathname, '/account/');
    assert.match(await page.textContent('main'), new RegExp(`@${newUser.name.replace('.', '\\.')}:example\\.test`));
    await assertAccessible(page, 'account');
    await shot(page, 'account');

    const sessionCookies = async () =>
      (await context.cookies(server.base)).filter((c) => c.name.endsWith('mxauth-session') && c.value);
    assert.equal((await sessionCookies()).length, 1, 'signed in with a session cookie');
    await page.goto(server.url('/logout'));
    await page.waitForSelector('form#logout');
    assert.equal(await page.locator('form#logout input[name=csrf]').count(), 1, 'logout carries a CSRF token');
    await assertAccessible(page, 'logout');
    await shot(page, 'logout');
    await Promise.all([page.waitForURL((url) => url.pathname === '/login'), page.click('form#logout button[type=submit]')]);
    await page.goto(server.url('/account/'));
    assert.equal(new URL(page.url()).pathname, '/login', 'the session ended');
    assert.equal((await sessionCookies()).length, 0, 'the session cookie is cleared');
  } finally {
    await context.close();
  }
}

test('pages in light mode: error, login error, prompt=create registration with field errors, consent, account, logout', async () => {
  await walkThroughPages('light');
});

test('pages in dark mode: the same walk, with a dark palette', async () => {
  await walkThroughPages('dark');
  // The dark palette is actually applied, not just the light one again.
  const colours = {};
  for (const colorScheme of ['light', 'dark']) {
    const context = await browser.newContext({ colorScheme });
    const page = await context.newPage();
    await page.goto(server.url('/login'));
    colours[colorScheme] = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    await context.close();
  }
  assert.notEqual(colours.dark, colours.light);
});

test('an unknown client_id or a foreign redirect_uri is an HTML error page, never a redirect', async () => {
  const cases = {
    'unknown client': authorizationUrl({ client_id: '01UNKNOWNCLIENT0000000000', state: 's' }),
    'unregistered redirect URI': authorizationUrl({ redirect_uri: 'https://evil.example.test/cb', state: 's' }),
    'no client_id': (() => { const u = authorizationUrl({ state: 's' }); u.searchParams.delete('client_id'); return u; })(),
  };
  for (const [what, url] of Object.entries(cases)) {
    const response = await fetch(url, { redirect: 'manual' });
    assert.equal(response.status, 400, what);
    assert.equal(response.headers.get('location'), null, `${what}: no Location`);
    assert.match(response.headers.get('content-type'), /^text\/html/, what);
    const html = await response.text();
    assert.match(html, /role="alert"/, `${what}: the error is on the page`);
    assert.doesNotMatch(html, /evil\.example\.test/, `${what}: the foreign URI is not turned into a link`);
  }
});

test('login and consent fit a phone (390×844) in both colour schemes', async () => {
  for (const colorScheme of ['light', 'dark']) {
    const context = await newContext({ colorScheme, viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    try {
      const page = await context.newPage();
      const { challenge } = pkce();
      await page.goto(authorizationUrl({ state: 'm', code_challenge: challenge, code_challenge_method: 'S256' }).toString());
      await page.waitForSelector('form#login');
      await assertAccessible(page, `mobile ${colorScheme} login`);
      await screenshot(page, `pages-mobile-${colorScheme}-login`);
      await submitLogin(page, DAVE.name, DAVE.password);
      await page.waitForSelector('form#consent');
      await assertAccessible(page, `mobile ${colorScheme} consent`);
      // Both choices are reachable without zooming: they lie within the width.
      for (const value of ['allow', 'deny']) {
        const box = await page.locator(`form#consent button[value=${value}]`).boundingBox();
        assert.ok(box && box.x >= 0 && box.x + box.width <= 390, `${value} fits the width`);
        assert.ok(box.height >= 24, `${value} is a usable touch target (${box.height}px high)`);
      }
      await screenshot(page, `pages-mobile-${colorScheme}-consent`);
    } finally {
      await context.close();
    }
  }
});
