// The device authorization grant (RFC 8628; Matrix v1.18, QR-code login)
// with real clients and chromium, through the Synapse double:
//  - openid-client's initiateDeviceAuthorization / pollDeviceAuthorizationGrant
//    while the browser opens verification_uri_complete, logs in and approves
//    on the consent page; the device is on the homeserver before the tokens
//    arrive, and the device code is single use;
//  - matrix-js-sdk 43's OAuth2 startDeviceAuthorizationGrant /
//    waitForDeviceAuthorizationGrant while a person types the user code at
//    /link: a denial ends in access_denied, an approval in tokens;
//  - polling faster than `interval` gets slow_down (HTTP 400), and wrong
//    user codes typed at /link are rate limited (429).
// Runs on SQLite and, with MXAUTH_TEST_POSTGRES_URI, on PostgreSQL.
// Screenshots: artifacts/device-*.png.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';

import * as client from 'openid-client';
import { logger as logger43 } from 'matrix-js-sdk-43/lib/logger.js';
import { isValidAuthMetadata, OAuth2 } from 'matrix-js-sdk-43/lib/oauth/index.js';

import { launchBrowser, screenshot } from '../lib/browser.js';
import { introspect, registerClient, submitLogin, tokenRequest } from '../lib/flow.js';
import { createPostgresDatabase } from '../lib/server.js';
import { withHomeserver } from '../lib/synapse.js';

const ALICE = { name: 'alice', password: 'alice approves devices with a long passphrase' };
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const UPSERT = '/_synapse/mas/upsert_device';
const insecure = { execute: [client.allowInsecureRequests] };
// One-second polls keep the suite quick; the default is RFC 8628's 5 s.
const FAST_POLLING = { MXAUTH_TOKENS__DEVICE_CODE_INTERVAL: '1' };

logger43.setLevel('warn');

let browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

function newDevice() {
  return `QR${randomBytes(5).toString('hex').toUpperCase()}`;
}

function qrScope(device) {
  return `openid urn:matrix:client:api:* urn:matrix:client:device:${device}`;
}

// mxauth + double with alice; ENV on top of the fast polling. BODY(hs).
function withServers(env, body) {
  return withHomeserver({ env: { ...FAST_POLLING, ...env } }, async (hs) => {
    hs.server.addUser(ALICE.name, ALICE.password);
    await body(hs);
  });
}

// A public client that registered the device grant (no redirect URI needed).
function registerDeviceClient(server, name) {
  return registerClient(server, {
    client_name: name,
    client_uri: 'https://device.example.test/',
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: [DEVICE_GRANT, 'refresh_token'],
    response_types: [],
  });
}

// In a fresh browser context: opens URL (a /link address), submits the code
// form (typing CODE when given), logs in as alice, and answers the consent
// page with ACTION. Returns the text of the final page.
async function approveInBrowser(url, { code, action = 'allow', shots = null, checkConsent } = {}) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForSelector('form#link');
    if (code) await page.fill('form#link [name=code]', code);
    if (shots) await screenshot(page, `${shots}-link`);
    await Promise.all([page.waitForNavigation(), page.click('form#link button[type=submit]')]);
    await page.waitForSelector('form#login');
    await submitLogin(page, ALICE.name, ALICE.password);
    await page.waitForSelector('form#consent');
    if (checkConsent) await checkConsent(page);
    if (shots) await screenshot(page, `${shots}-consent`);
    await Promise.all([
      page.waitForNavigation(),
      page.click(`form#consent button[name=action][value=${action}]`),
    ]);
    if (shots) await screenshot(page, `${shots}-${action === 'allow' ? 'approved' : 'denied'}`);
    return await page.textContent('main');
  } finally {
    await context.close();
  }
}

async function openidClientFlow(hs, { shots = null } = {}) {
  const registered = await registerDeviceClient(hs.server, 'QR Login Device');
  const config = await client.discovery(new URL(hs.server.base), registered.client_id, undefined,
    client.None(), insecure);
  const metadata = config.serverMetadata();
  assert.equal(metadata.device_authorization_endpoint, hs.server.url('/oauth2/device'));
  assert.ok(metadata.grant_types_supported.includes(DEVICE_GRANT));

  const device = newDevice();
  const started = await client.initiateDeviceAuthorization(config, { scope: qrScope(device) });
  assert.match(started.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
  assert.equal(started.verification_uri, hs.server.url('/link'));
  assert.equal(started.expires_in, 1200);
  assert.equal(started.interval, 1);
  assert.ok(Buffer.from(started.device_code, 'base64url').length >= 32, 'a 256-bit device code');

  // The device polls while the person approves; the poll must not finish first.
  let settled = false;
  const polling = client.pollDeviceAuthorizationGrant(config, started).finally(() => { settled = true; });
  const shown = await approveInBrowser(started.verification_uri_complete, {
    shots,
    checkConsent: async (page) => {
      const text = await page.textContent('main');
      assert.match(text, /A device is asking to sign in to your account/);
      assert.ok(text.includes(device), 'the consent page names the device');
      assert.ok(text.includes(started.user_code), 'and shows the code to compare');
      assert.ok(text.includes('QR Login Device'), 'and the client');
      assert.equal(settled, false, 'no tokens before the approval');
    },
  });
  assert.match(shown, /QR Login Device is now signed in/);
  const tokens = await polling;
  assert.ok(tokens.access_token && tokens.refresh_token && tokens.id_token);
  assert.equal(tokens.claims().sub.length > 0, true);

  // The homeserver knew the device before the device held a token: the
  // upsert was answered before the token response (no background job).
  const state = await hs.synapse.state();
  const alice = Object.values(state.users).find((user) => user.user_id === '@alice:example.test');
  assert.ok(alice?.devices?.[device], 'the device exists when the tokens arrive');
  assert.equal(alice.devices[device].display_name, 'QR Login Device');
  const upserts = state.calls.filter((call) => call.path === UPSERT);
  assert.ok(upserts.some((call) => call.status === 201 && JSON.parse(call.body).device_id === device),
    'upsert_device for the new device, answered');
  const whoami = await hs.synapse.whoami(tokens.access_token);
  assert.equal(whoami.status, 200);
  assert.equal(whoami.body.device_id, device);
  const introspection = await introspect(hs.server, hs.synapse.secret, tokens.access_token);
  assert.equal(introspection.active, true);

  // Single use.
  const again = await tokenRequest(hs.server, {
    grant_type: DEVICE_GRANT, device_code: started.device_code, client_id: registered.client_id,
  });
  assert.equal(again.status, 400);
  assert.equal((await again.json()).error, 'invalid_grant');
}

test('openid-client device flow: verification_uri_complete → login → consent → tokens, device upserted first', async () => {
  await withServers({}, (hs) => openidClientFlow(hs, { shots: 'device' }));
});

test('device flow on PostgreSQL (a fresh database)', async (t) => {
  const adminUri = process.env.MXAUTH_TEST_POSTGRES_URI;
  if (!adminUri) {
    assert.notEqual(process.env.MXAUTH_REQUIRE_POSTGRES, '1',
      'MXAUTH_REQUIRE_POSTGRES=1 but MXAUTH_TEST_POSTGRES_URI is not set');
    t.skip('MXAUTH_TEST_POSTGRES_URI is not set (tools/pg-test-cluster.sh start DIR prints one)');
    return;
  }
  const database = createPostgresDatabase(adminUri);
  try {
    await withServers({ MXAUTH_DATABASE__URI: database.uri }, (hs) => openidClientFlow(hs));
  } finally {
    database.drop();
  }
});

test('matrix-js-sdk 43 OAuth2 device grant: a typed code, denied then approved', async () => {
  await withServers({}, async (hs) => {
    const metadata = await (await fetch(hs.server.url('/_matrix/client/v1/auth_metadata'))).json();
    assert.equal(isValidAuthMetadata(metadata), true);
    const clientId = await OAuth2.registerClient(metadata, {
      client_name: 'matrix-js-sdk 43 QR login',
      client_uri: 'https://mjs43-qr.example.test/',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: [DEVICE_GRANT, 'refresh_token'],
      response_types: [],
      redirect_uris: [],
    });

    // Denied: the SDK's wait ends with access_denied.
    const deniedDevice = newDevice();
    const denied = new OAuth2(metadata, { clientId, deviceId: deniedDevice });
    const deniedSession = await denied.startDeviceAuthorizationGrant(qrScope(deniedDevice));
    const deniedWait = denied.waitForDeviceAuthorizationGrant(deniedSession);
    const deniedText = await approveInBrowser(hs.server.url('/link'), {
      code: deniedSession.user_code.toLowerCase().replace('-', ' '), action: 'deny',
    });
    assert.match(deniedText, /The device was not signed in/);
    assert.equal((await deniedWait).error, 'access_denied');
    const deniedUpserts = await hs.synapse.calls(UPSERT);
    assert.ok(!deniedUpserts.some((call) => JSON.parse(call.body).device_id === deniedDevice),
      'a denied device never reaches the homeserver');

    // Approved.
    const device = newDevice();
    const oauth = new OAuth2(metadata, { clientId, deviceId: device });
    const session = await oauth.startDeviceAuthorizationGrant(qrScope(device));
    const waiting = oauth.waitForDeviceAuthorizationGrant(session);
    await approveInBrowser(hs.server.url('/link'), { code: session.user_code });
    const tokens = await waiting;
    assert.ok(tokens.access_token, JSON.stringify(tokens));
    assert.ok(tokens.refresh_token);
    const whoami = await hs.synapse.whoami(tokens.access_token);
    assert.equal(whoami.body.device_id, device);
    // The SDK refreshes like any other session.
    const refreshed = await oauth.performRefreshTokenGrant(tokens.refresh_token);
    assert.ok(refreshed.access_token && refreshed.access_token !== tokens.access_token);
  });
});

test('polling faster than the interval gets slow_down; wrong codes at /link are rate limited', async () => {
  await withServers({ MXAUTH_TOKENS__DEVICE_CODE_INTERVAL: '5' }, async (hs) => {
    const registered = await registerDeviceClient(hs.server, 'Impatient Device');
    const started = await fetch(hs.server.url('/oauth2/device'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: registered.client_id, scope: qrScope(newDevice()) }),
    });
    assert.equal(started.status, 200);
    const { device_code: deviceCode, interval } = await started.json();
    assert.equal(interval, 5);
    const poll = async () => {
      const response = await tokenRequest(hs.server, {
        grant_type: DEVICE_GRANT, device_code: deviceCode, client_id: registered.client_id,
      });
      return `${response.status} ${(await response.json()).error}`;
    };
    assert.equal(await poll(), '400 authorization_pending');
    assert.equal(await poll(), '400 slow_down');
    assert.equal(await poll(), '400 slow_down');

    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(hs.server.url('/link'));
      let status = 0;
      let attempts = 0;
      while (status !== 429 && attempts < 20) {
        attempts += 1;
        await page.fill('form#link [name=code]', 'ZZZZ-ZZZZ');
        const [response] = await Promise.all([
          page.waitForNavigation(), page.click('form#link button[type=submit]'),
        ]);
        status = response.status();
        if (status !== 429) assert.equal(status, 400, 'a wrong code comes back on the form');
      }
      assert.equal(status, 429, 'twenty wrong codes hit the limit');
      assert.equal(attempts, 11, 'the limit is 10 wrong codes at once');
      assert.match(await page.textContent('main'), /Too many wrong codes/);
      await screenshot(page, 'device-link-rate-limited');
    } finally {
      await context.close();
    }
  });
});
