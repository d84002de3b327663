// matrix-js-sdk 37.5.0's OIDC helpers (the code paths Element Web and
// Element X-era clients call) against mxauth: metadata discovery and
// validation, dynamic registration, the authorization URL with its device
// scope, login and consent in chromium, the code grant with ID-token checks,
// and the refresh through OidcTokenRefresher; then matrix-js-sdk 43's OAuth2
// class (stable scopes, fragment response mode, refresh, revocation).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
  completeAuthorizationCodeGrant,
  discoverAndValidateOIDCIssuerWellKnown,
  generateOidcAuthorizationUrl,
  OidcTokenRefresher,
  registerOidcClient,
  validateAuthMetadataAndKeys,
} from 'matrix-js-sdk/lib/oidc/index.js';
// matrix-js-sdk 43 (installed under an alias; its engines say Node 22, but
// the OAuth2 class runs on Node 20).
import { isValidAuthMetadata, OAuth2, OAuth2HTTPError } from 'matrix-js-sdk-43/lib/oauth/index.js';
import { logger as logger37 } from 'matrix-js-sdk/lib/logger.js';
import { logger as logger43 } from 'matrix-js-sdk-43/lib/logger.js';

import { launchBrowser } from '../lib/browser.js';
import { authorizeInBrowser, introspect, startCallbackServer } from '../lib/flow.js';
import { MxauthServer } from '../lib/server.js';

const HOMESERVER_SECRET = 'e2e-mjs-homeserver-secret';
const USER = { name: 'bob', password: 'bob has a long passphrase' };

// In-memory stand-in for the Web Storage API (window.sessionStorage).
class MemoryStorage {
  #items = new Map();
  get length() { return this.#items.size; }
  key(index) { return [...this.#items.keys()][index] ?? null; }
  getItem(key) { return this.#items.has(key) ? this.#items.get(key) : null; }
  setItem(key, value) { this.#items.set(key, String(value)); }
  removeItem(key) { this.#items.delete(key); }
  clear() { this.#items.clear(); }
}

// The SDKs log every expected failure at error level; MXAUTH_E2E_VERBOSE=1 shows them.
if (!process.env.MXAUTH_E2E_VERBOSE) for (const logger of [logger37, logger43]) logger.setLevel('silent');

let server;
let browser;
let callback;
before(async () => {
  server = await MxauthServer.start({ env: { MXAUTH_MATRIX__SECRET: HOMESERVER_SECRET } });
  server.addUser(USER.name, USER.password);
  browser = await launchBrowser();
  callback = await startCallbackServer();
  // The helpers read window.location.origin (the client's own origin, to
  // rebuild the callback URL) and window.sessionStorage (PKCE and state).
  globalThis.window = {
    location: { origin: callback.origin },
    sessionStorage: new MemoryStorage(),
    localStorage: new MemoryStorage(),
    crypto: globalThis.crypto,
  };
});
after(async () => {
  delete globalThis.window;
  await callback?.close();
  await browser?.close();
  assert.equal(await server.stop(), 0);
});

test('matrix-js-sdk 37.5.0: discover, register, authorize, complete the grant, refresh', async () => {
  // Metadata as a homeserver would hand it out, validated with the signing keys.
  const response = await fetch(server.url('/_matrix/client/v1/auth_metadata'));
  assert.equal(response.status, 200);
  const metadata = await validateAuthMetadataAndKeys(await response.json());
  assert.equal(metadata.issuer, server.base);
  assert.ok(metadata.signingKeys.length >= 3, 'RS256, ES256 and EdDSA keys are published');
  // The deprecated issuer well-known path yields the same issuer.
  const discovered = await discoverAndValidateOIDCIssuerWellKnown(server.base);
  assert.equal(discovered.issuer, metadata.issuer);
  assert.equal(discovered.token_endpoint, metadata.token_endpoint);

  const redirectUri = `${callback.origin}/oidc-callback`;
  const clientId = await registerOidcClient(metadata, {
    clientName: 'matrix-js-sdk e2e',
    clientUri: 'https://mjs.example.test/',
    redirectUris: ['http://127.0.0.1/oidc-callback'],
    applicationType: 'native',
    contacts: ['admin@mjs.example.test'],
    tosUri: 'https://mjs.example.test/tos',
    policyUri: 'https://mjs.example.test/privacy',
  });
  assert.equal(typeof clientId, 'string');
  assert.ok(clientId.length > 0);

  const nonce = 'mjs-nonce-0123456789';
  const authorizationUrl = new URL(await generateOidcAuthorizationUrl({
    metadata,
    redirectUri,
    clientId,
    homeserverUrl: 'https://matrix.example.test/',
    nonce,
  }));
  assert.equal(authorizationUrl.origin + authorizationUrl.pathname, metadata.authorization_endpoint);
  const scope = authorizationUrl.searchParams.get('scope').split(' ');
  const deviceScope = scope.find((s) => s.startsWith('urn:matrix:org.matrix.msc2967.client:device:'));
  assert.ok(deviceScope, `a device scope in ${scope}`);
  const deviceId = deviceScope.split(':').pop();
  assert.equal(authorizationUrl.searchParams.get('code_challenge_method'), 'S256');

  let consentText = '';
  const back = await authorizeInBrowser(browser, authorizationUrl, callback, USER, {
    onConsent: async (page) => { consentText = await page.textContent('main'); },
  });
  assert.match(consentText, /matrix-js-sdk e2e/, 'the consent page names the client');
  assert.ok(consentText.includes(deviceId), 'the consent page shows the device ID');
  assert.equal(back.pathname, '/oidc-callback');
  assert.equal(back.searchParams.get('iss'), server.base);
  const code = back.searchParams.get('code');
  const state = back.searchParams.get('state');
  assert.ok(code && state);

  // Keep the stored PKCE state, to replay the code through the SDK later.
  const storedState = Object.fromEntries(
    Array.from({ length: window.sessionStorage.length }, (_, i) => window.sessionStorage.key(i))
      .map((key) => [key, window.sessionStorage.getItem(key)]));
  assert.ok(Object.keys(storedState).length > 0, 'the SDK stored its state in sessionStorage');

  const result = await completeAuthorizationCodeGrant(code, state);
  assert.equal(result.oidcClientSettings.clientId, clientId);
  assert.equal(result.oidcClientSettings.issuer, server.base);
  assert.equal(result.homeserverUrl, 'https://matrix.example.test/');
  assert.equal(result.idTokenClaims.iss, server.base);
  assert.equal(result.idTokenClaims.aud, clientId);
  assert.match(result.idTokenClaims.sub, /^[0-9A-Z]{26}$/, 'sub is the user ULID');
  const { tokenResponse } = result;
  assert.equal(tokenResponse.token_type, 'Bearer');
  assert.match(tokenResponse.access_token, /^mat_/);
  assert.match(tokenResponse.refresh_token, /^mar_/);
  for (const s of scope) assert.ok(tokenResponse.scope.split(' ').includes(s), `granted scope has ${s}`);

  const active = await introspect(server, HOMESERVER_SECRET, tokenResponse.access_token);
  assert.equal(active.active, true);
  assert.equal(active.username, USER.name);
  assert.equal(active.client_id, clientId);
  assert.equal(active.device_id, deviceId);
  assert.match(active.scope, /urn:matrix:client:api:\*/);

  const refresher = new OidcTokenRefresher(server.base, clientId, redirectUri, deviceId, result.idTokenClaims);
  await refresher.oidcClientReady;
  const refreshed = await refresher.doRefreshAccessToken(tokenResponse.refresh_token);
  assert.match(refreshed.accessToken, /^mat_/);
  assert.notEqual(refreshed.accessToken, tokenResponse.access_token);
  assert.notEqual(refreshed.refreshToken, tokenResponse.refresh_token, 'refresh tokens rotate');
  assert.ok(refreshed.expiry instanceof Date && refreshed.expiry > new Date());

  const renewed = await introspect(server, HOMESERVER_SECRET, refreshed.accessToken);
  assert.equal(renewed.active, true);
  assert.equal(renewed.device_id, deviceId, 'the refreshed session keeps its device');
  assert.equal((await introspect(server, HOMESERVER_SECRET, tokenResponse.access_token)).active, false,
    'the old access token died with the rotation');

  // The code is single use: replaying it (with the verifier restored) is
  // refused by the token endpoint, and the session it started ends.
  for (const [key, value] of Object.entries(storedState)) window.sessionStorage.setItem(key, value);
  await assert.rejects(completeAuthorizationCodeGrant(code, state), { message: 'Failed to exchange code for token' });
  assert.equal((await introspect(server, HOMESERVER_SECRET, refreshed.accessToken)).active, false,
    'replaying the code revoked the tokens issued from it');
});

test('matrix-js-sdk 43.0.0 OAuth2: register, fragment-mode authorization, grant, refresh, revoke', async () => {
  const response = await fetch(server.url('/_matrix/client/v1/auth_metadata'));
  const metadata = await response.json();
  assert.equal(isValidAuthMetadata(metadata), true, 'the metadata passes the SDK 43 checks');

  const clientId = await OAuth2.registerClient(metadata, {
    client_name: 'matrix-js-sdk 43 e2e',
    client_uri: 'https://mjs43.example.test/',
    redirect_uris: ['http://127.0.0.1/oauth-callback'],
    application_type: 'native',
    tos_uri: 'https://mjs43.example.test/tos',
  });
  assert.equal(typeof clientId, 'string');

  const deviceId = 'MJS43DEVICE';
  const oauth = new OAuth2(metadata, { clientId, deviceId });
  const redirectUri = `${callback.origin}/oauth-callback`;
  const state = 'mjs43-state-value';
  const authorizationUrl = new URL(await oauth.generateAuthorizationCodeGrantUrl(state, redirectUri, 'fragment'));
  assert.equal(authorizationUrl.searchParams.get('scope'),
    `urn:matrix:client:api:* urn:matrix:client:device:${deviceId}`);

  const hitsBefore = callback.hits.length;
  const back = await authorizeInBrowser(browser, authorizationUrl, callback, USER);
  assert.equal(back.pathname, '/oauth-callback');
  assert.equal(back.search, '', 'fragment mode puts nothing in the query');
  assert.equal(callback.hits.length, hitsBefore + 1);
  const fragment = new URLSearchParams(back.hash.slice(1));
  assert.equal(fragment.get('state'), state);
  assert.equal(fragment.get('iss'), server.base);
  const code = fragment.get('code');
  assert.ok(code);

  const tokens = await oauth.completeAuthorizationCodeGrant(code, redirectUri);
  assert.equal(tokens.token_type, 'Bearer');
  assert.match(tokens.access_token, /^mat_/);
  assert.match(tokens.refresh_token, /^mar_/);
  assert.equal(tokens.id_token, undefined, 'no openid scope, no ID token');
  assert.deepEqual(tokens.scope.split(' ').sort(),
    ['urn:matrix:client:api:*', `urn:matrix:client:device:${deviceId}`].sort());
  const active = await introspect(server, HOMESERVER_SECRET, tokens.access_token);
  assert.equal(active.active, true);
  assert.equal(active.device_id, deviceId);
  assert.equal(active.username, USER.name);

  const refreshed = await oauth.performRefreshTokenGrant(tokens.refresh_token);
  assert.notEqual(refreshed.access_token, tokens.access_token);
  assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
  assert.equal((await introspect(server, HOMESERVER_SECRET, refreshed.access_token)).active, true);

  await oauth.revokeToken(refreshed.access_token, 'access_token');
  assert.equal((await introspect(server, HOMESERVER_SECRET, refreshed.access_token)).active, false);
  // Revoking the access token ended the session: its refresh token is dead
  // too, and the SDK sees the OAuth error.
  await assert.rejects(oauth.performRefreshTokenGrant(refreshed.refresh_token), (error) => {
    assert.ok(error instanceof OAuth2HTTPError, `an OAuth2HTTPError, got ${error}`);
    assert.equal(error.httpStatus, 400);
    assert.equal(error.error, 'invalid_grant');
    return true;
  });
});
