// The authorization-code flow end to end with panva's openid-client (an
// OpenID-certified relying party) and chromium driving the login and consent
// pages: discovery, dynamic registration, PKCE, code exchange with ID-token
// validation against our JWKS, userinfo, introspection as the homeserver,
// refresh rotation and revocation.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';

import * as client from 'openid-client';

import { launchBrowser, screenshot } from '../lib/browser.js';
import { MxauthServer } from '../lib/server.js';

const HOMESERVER_SECRET = 'e2e-homeserver-shared-secret';
const DEVICE = 'E2EDEVICE01';
const SCOPE = `openid urn:matrix:client:api:* urn:matrix:client:device:${DEVICE}`;
const insecure = { execute: [client.allowInsecureRequests] };

let server;
let browser;
before(async () => {
  server = await MxauthServer.start({ env: { MXAUTH_MATRIX__SECRET: HOMESERVER_SECRET } });
  server.addUser('alice', 'correct horse battery staple', ['--email', 'alice@example.test']);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  assert.equal(await server.stop(), 0);
});

async function introspect(token) {
  const response = await fetch(server.url('/oauth2/introspect'), {
    method: 'POST',
    headers: {
      authorization: `Bearer ${HOMESERVER_SECRET}`,
      'content-type': 'application/x-www-form-urlencoded',
      'x-mas-supports-device-id': '1',
    },
    body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
  });
  assert.equal(response.status, 200);
  return response.json();
}

// A tiny HTTP server standing in for the client's redirect URI; it records
// the URL the browser was sent back to.
async function startCallbackServer() {
  const hits = [];
  const srv = createServer((req, res) => {
    if (req.url !== '/favicon.ico') hits.push(new URL(req.url, `http://127.0.0.1:${srv.address().port}`));
    res.writeHead(200, { 'content-type': 'text/plain' }).end('back at the client');
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  return { port: srv.address().port, hits, close: () => new Promise((r) => srv.close(r)) };
}

// Opens the authorization URL, logs in, consents, and returns the URL the
// browser was sent back to.
async function authorizeInBrowser(authorizationUrl, callback, shots) {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(authorizationUrl.toString());
  await page.waitForSelector('form#login');
  if (shots) await screenshot(page, 'login');
  await page.fill('form#login [name=username]', 'alice');
  await page.fill('form#login [name=password]', 'correct horse battery staple');
  await Promise.all([page.waitForSelector('form#consent'), page.click('form#login button[type=submit]')]);
  if (shots) await screenshot(page, 'consent');
  await Promise.all([
    page.waitForURL(`http://127.0.0.1:${callback.port}/**`),
    page.click('form#consent button[name=action][value=allow]'),
  ]);
  await context.close();
  assert.equal(callback.hits.length, 1, 'the browser came back to the redirect URI once');
  return callback.hits.pop();
}

test('openid-client: register, authorize with PKCE, exchange, userinfo, introspect, refresh, revoke', async () => {
  const callbackServer = await startCallbackServer();
  const callbackPort = callbackServer.port;
  const config = await client.dynamicClientRegistration(
    new URL(server.base),
    {
      client_name: 'E2E native app',
      client_uri: 'https://app.example.test/',
      redirect_uris: ['http://127.0.0.1/callback'],
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    },
    client.None(),
    insecure,
  );
  assert.equal(config.serverMetadata().issuer, server.base);
  assert.ok(config.clientMetadata().client_id);

  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const redirectUri = `http://127.0.0.1:${callbackPort}/callback`;
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: SCOPE,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  const callback = await authorizeInBrowser(url, callbackServer, true);
  await callbackServer.close();
  assert.equal(callback.searchParams.get('iss'), server.base, 'RFC 9207 iss in the response');

  const tokens = await client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: verifier,
    expectedState: state,
    expectedNonce: nonce,
    idTokenExpected: true,
  });
  assert.equal(tokens.token_type.toLowerCase(), 'bearer');
  assert.ok(tokens.expires_in > 0 && tokens.expires_in <= 300);
  assert.match(tokens.access_token, /^mat_[0-9A-Za-z]{30}_[0-9A-Za-z]{6}$/);
  assert.match(tokens.refresh_token, /^mar_/);
  const claims = tokens.claims();
  assert.equal(claims.iss, server.base);
  assert.equal(claims.nonce, nonce);

  const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
  assert.equal(userinfo.sub, claims.sub);

  const active = await introspect(tokens.access_token);
  assert.equal(active.active, true);
  assert.equal(active.username, 'alice');
  assert.equal(active.device_id, DEVICE);
  assert.match(active.scope, /urn:matrix:client:api:\*/);
  assert.match(active.scope, /urn:matrix:org\.matrix\.msc2967\.client:api:\*/);

  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  assert.notEqual(refreshed.refresh_token, tokens.refresh_token, 'refresh tokens rotate');
  assert.equal((await introspect(refreshed.access_token)).active, true);
  assert.equal((await introspect(tokens.access_token)).active, false, 'the old access token is dead');

  await client.tokenRevocation(config, refreshed.refresh_token);
  assert.equal((await introspect(refreshed.access_token)).active, false, 'revoking one token ends the session');
});

test('a replayed authorization code fails and kills the tokens issued from it', async () => {
  const callbackServer = await startCallbackServer();
  const callbackPort = callbackServer.port;
  const config = await client.dynamicClientRegistration(
    new URL(server.base),
    {
      client_name: 'Replay test',
      client_uri: 'https://replay.example.test/',
      redirect_uris: ['http://127.0.0.1/cb'],
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    },
    client.None(),
    insecure,
  );
  const verifier = client.randomPKCECodeVerifier();
  const redirectUri = `http://127.0.0.1:${callbackPort}/cb`;
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'urn:matrix:client:api:* urn:matrix:client:device:REPLAYDEV01',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state: 'replay-state',
  });
  const callback = await authorizeInBrowser(url, callbackServer, false);
  await callbackServer.close();
  const code = callback.searchParams.get('code');
  const exchange = () =>
    fetch(server.url('/oauth2/token'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        redirect_uri: redirectUri,
        client_id: config.clientMetadata().client_id,
        code_verifier: verifier,
      }),
    });
  const first = await exchange();
  assert.equal(first.status, 200);
  const { access_token: accessToken } = await first.json();
  assert.equal((await introspect(accessToken)).active, true);

  const second = await exchange();
  assert.equal(second.status, 400);
  assert.equal((await second.json()).error, 'invalid_grant');
  assert.equal((await introspect(accessToken)).active, false);
});
