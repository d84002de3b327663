// The authorization-code flow end to end with panva's openid-client (an
// OpenID-certified relying party) and chromium driving the login and consent
// pages: discovery, dynamic registration, PKCE, code exchange with ID-token
// validation against our JWKS, userinfo, introspection as the homeserver,
// refresh rotation and revocation. The main flow runs on SQLite and, with
// MXAUTH_TEST_POSTGRES_URI, on a fresh PostgreSQL database.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import * as client from 'openid-client';

import { launchBrowser, screenshot } from '../lib/browser.js';
import { authorizeInBrowser as authorizeWithBrowser, introspect as introspectAt, startCallbackServer } from '../lib/flow.js';
import { createPostgresDatabase, MxauthServer, psql } from '../lib/server.js';

const HOMESERVER_SECRET = 'e2e-homeserver-shared-secret';
const DEVICE = 'E2EDEVICE01';
const SCOPE = `openid urn:matrix:client:api:* urn:matrix:client:device:${DEVICE}`;
const ALICE = { name: 'alice', password: 'correct horse battery staple' };
const insecure = { execute: [client.allowInsecureRequests] };

let server;
let browser;
before(async () => {
  server = await MxauthServer.start({ env: { MXAUTH_MATRIX__SECRET: HOMESERVER_SECRET } });
  server.addUser(ALICE.name, ALICE.password, ['--email', 'alice@example.test']);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  assert.equal(await server.stop(), 0);
});

// Opens the authorization URL, logs in as alice, consents, and returns the
// URL the browser was sent back to (which must be the callback's only hit).
async function authorizeInBrowser(authorizationUrl, callback, shots) {
  await authorizeWithBrowser(browser, authorizationUrl, callback, ALICE, shots ? {
    onLogin: (page) => screenshot(page, 'login'),
    onConsent: (page) => screenshot(page, 'consent'),
  } : {});
  assert.equal(callback.hits.length, 1, 'the browser came back to the redirect URI once');
  return callback.hits.pop();
}

// Register, authorize with PKCE, exchange, userinfo, introspect, refresh,
// revoke against SRV (alice must exist there).
async function openidClientFlow(srv, { shots = false } = {}) {
  const introspect = (token) => introspectAt(srv, HOMESERVER_SECRET, token);
  const callbackServer = await startCallbackServer();
  const callbackPort = callbackServer.port;
  const config = await client.dynamicClientRegistration(
    new URL(srv.base),
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
  assert.equal(config.serverMetadata().issuer, srv.base);
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
  let callback;
  try {
    callback = await authorizeInBrowser(url, callbackServer, shots);
  } finally {
    await callbackServer.close();
  }
  assert.equal(callback.searchParams.get('iss'), srv.base, 'RFC 9207 iss in the response');

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
  assert.equal(claims.iss, srv.base);
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
}

test('openid-client: register, authorize with PKCE, exchange, userinfo, introspect, refresh, revoke', async () => {
  await openidClientFlow(server, { shots: true });
});

test('openid-client on PostgreSQL (a fresh database): register, authorize with PKCE, exchange, userinfo, introspect, refresh, revoke', async (t) => {
  const adminUri = process.env.MXAUTH_TEST_POSTGRES_URI;
  if (!adminUri) {
    assert.notEqual(process.env.MXAUTH_REQUIRE_POSTGRES, '1',
      'MXAUTH_REQUIRE_POSTGRES=1 but MXAUTH_TEST_POSTGRES_URI is not set');
    t.skip('MXAUTH_TEST_POSTGRES_URI is not set (tools/pg-test-cluster.sh start DIR prints one)');
    return;
  }
  const database = createPostgresDatabase(adminUri);
  let pg;
  try {
    pg = await MxauthServer.start({
      env: { MXAUTH_MATRIX__SECRET: HOMESERVER_SECRET, MXAUTH_DATABASE__URI: database.uri },
    });
    pg.addUser(ALICE.name, ALICE.password, ['--email', 'alice@example.test']);
    await openidClientFlow(pg);
    // The flow's data is in that database (and not in a SQLite file).
    const tables = Number(psql(database.uri,
      "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"));
    assert.ok(tables > 0, `mxauth created its tables in ${database.name}`);
    assert.equal(Number(psql(database.uri, "SELECT count(*) FROM users WHERE localpart = 'alice'")), 1,
      'alice is a row of the PostgreSQL database');
    assert.equal(Number(psql(database.uri, 'SELECT count(*) FROM oauth_sessions WHERE finished_at IS NOT NULL')), 1,
      'the revoked session is a row of the PostgreSQL database');
    assert.equal(await pg.stop(), 0);
  } finally {
    await pg?.stop();
    database.drop();
  }
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
  assert.equal((await introspectAt(server, HOMESERVER_SECRET, accessToken)).active, true);

  const second = await exchange();
  assert.equal(second.status, 400);
  assert.equal((await second.json()).error, 'invalid_grant');
  assert.equal((await introspectAt(server, HOMESERVER_SECRET, accessToken)).active, false);
});
