// The legacy SSO login (spec-digest §4.3) as a client that never learnt
// OAuth does it, through the homeserver's address (the Synapse double
// proxies /login/sso/redirect to mxauth):
//  - matrix-js-sdk 37.5.0 reads the flows (m.login.sso is OAuth-aware
//    preferred), builds the redirect URL, and chromium goes through mxauth's
//    login and the confirmation page (form#sso-confirm) back to the client
//    with a loginToken;
//  - the SDK exchanges it (m.login.token) through the homeserver: the device
//    is on the homeserver when the answer arrives, whoami works, and the
//    token is single use;
//  - the {idpId} form and action=register; a bad redirectUrl is refused.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { createClient } from 'matrix-js-sdk';
import { logger } from 'matrix-js-sdk/lib/logger.js';

import { launchBrowser, screenshot } from '../lib/browser.js';
import { startCallbackServer, submitLogin } from '../lib/flow.js';
import { withHomeserver } from '../lib/synapse.js';

const ALICE = { name: 'alice', password: 'alice has a long passphrase' };
const ALICE_ID = '@alice:example.test';
const LOGIN = '/_matrix/client/v3/login';
const UPSERT = '/_synapse/mas/upsert_device';

if (!process.env.MXAUTH_E2E_VERBOSE) logger.setLevel('silent');

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

// Opens URL (the SDK's SSO redirect URL) in a fresh browser, signs in as
// alice when asked, checks and screenshots the confirmation page, confirms,
// and answers the URL the browser came back to.
async function ssoInBrowser(url, { expectDestination, shot } = {}) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForSelector('form#login');
    await submitLogin(page, ALICE.name, ALICE.password);
    await page.waitForSelector('form#sso-confirm');
    const text = await page.textContent('main, body');
    assert.match(text, new RegExp(`Continue to ${expectDestination.replaceAll('.', '\\.')}\\?`));
    assert.match(text, /@alice:example\.test/);
    if (shot) await screenshot(page, shot);
    await Promise.all([
      page.waitForURL(`${callback.origin}/**`),
      page.click('form#sso-confirm button[type=submit]'),
    ]);
    return new URL(page.url());
  } finally {
    await context.close();
  }
}

test('matrix-js-sdk: m.login.sso through chromium and mxauth\'s confirmation, then m.login.token through the homeserver provisions the device; the token is single use', async () => {
  await withHomeserver({}, async ({ synapse, server }) => {
    server.addUser(ALICE.name, ALICE.password);
    const sdk = createClient({ baseUrl: synapse.base.replace(/\/$/, '') });
    const { flows } = await sdk.loginFlows();
    assert.deepEqual(flows.map((flow) => flow.type), ['m.login.password', 'm.login.sso', 'm.login.token']);
    const sso = flows.find((flow) => flow.type === 'm.login.sso');
    assert.equal(sso.oauth_aware_preferred, true);
    assert.equal(sso['org.matrix.msc3824.delegated_oidc_compatibility'], true);

    const redirectUrl = `${callback.origin}/sso-done?room=%23lobby`;
    const url = sdk.getSsoLoginUrl(redirectUrl, 'sso', undefined, 'login');
    assert.ok(url.startsWith(synapse.base.replace(/\/$/, '')), url);
    const back = await ssoInBrowser(url, { expectDestination: '127.0.0.1', shot: 'legacy-sso-confirm' });
    assert.equal(back.pathname, '/sso-done');
    assert.equal(back.searchParams.get('room'), '#lobby', 'the client\'s own parameters survive');
    const loginToken = back.searchParams.get('loginToken');
    assert.match(loginToken, /^[A-Za-z0-9_-]{32}$/);

    const login = await sdk.loginRequest({
      type: 'm.login.token', token: loginToken, initial_device_display_name: 'SSO Phone',
    });
    const state = await synapse.state(); // immediately: no waiting
    assert.equal(login.user_id, ALICE_ID);
    assert.match(login.device_id, /^[A-Z]{10}$/);
    assert.match(login.access_token, /^mct_/);
    assert.equal(state.users.alice.devices[login.device_id].display_name, 'SSO Phone',
      'the device exists when the login answer arrives');
    const posts = state.calls.filter((call) => call.path === LOGIN && call.method === 'POST');
    assert.equal(posts.length, 1);
    assert.ok(state.calls.some((call) => call.path === UPSERT && call.status === 201));

    const alice = createClient({ baseUrl: synapse.base, accessToken: login.access_token });
    assert.equal((await alice.whoami()).device_id, login.device_id);

    await assert.rejects(sdk.loginRequest({ type: 'm.login.token', token: loginToken }), (error) => {
      assert.equal(error.httpStatus, 403);
      assert.equal(error.errcode, 'M_FORBIDDEN');
      return true;
    });
  });
});

test('legacy SSO: the {idpId} form works like the plain one, action=register opens the registration page, and a dangerous redirectUrl is refused', async () => {
  await withHomeserver({}, async ({ synapse, server }) => {
    server.addUser(ALICE.name, ALICE.password);
    const sdk = createClient({ baseUrl: synapse.base.replace(/\/$/, '') });

    const viaIdp = sdk.getSsoLoginUrl(`${callback.origin}/idp`, 'sso', 'oidc-upstream');
    assert.match(viaIdp, /\/login\/sso\/redirect\/oidc-upstream\?/);
    const back = await ssoInBrowser(viaIdp, { expectDestination: '127.0.0.1' });
    assert.equal(back.pathname, '/idp');
    const login = await sdk.loginWithToken(back.searchParams.get('loginToken'));
    assert.equal(login.user_id, ALICE_ID);

    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(sdk.getSsoLoginUrl(`${callback.origin}/new`, 'sso', undefined, 'register'));
      await page.waitForSelector('form#register');
      assert.ok(page.url().startsWith(server.base), page.url());

      const refused = await page.goto(
        `${synapse.base.replace(/\/$/, '')}/_matrix/client/v3/login/sso/redirect?redirectUrl=${encodeURIComponent('javascript:alert(1)')}`);
      assert.equal(refused.status(), 400);
      assert.match(await page.textContent('body'), /cannot receive a login/);
    } finally {
      await context.close();
    }
    const json = await fetch(`${synapse.base.replace(/\/$/, '')}/_matrix/client/v3/login/sso/redirect`);
    assert.equal(json.status, 400);
    assert.equal((await json.json()).errcode, 'M_MISSING_PARAM');
  });
});
