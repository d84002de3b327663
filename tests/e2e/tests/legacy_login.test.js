// The legacy Matrix login API (docs/setup/synapse.md §5, spec-digest §4) as
// real clients use it: through the homeserver's address. The Synapse double
// (lib/synapse.js) reverse-proxies /login, /logout, /logout/all and /refresh
// to mxauth and serves whoami by introspecting at mxauth, so every request
// below goes to the double unless it says otherwise.
//  - matrix-js-sdk 37.5.0 logs in with m.login.password; the device is on the
//    homeserver when the answer arrives; logout removes it (sync job).
//  - Refresh tokens rotate; the old one works once more while the new pair
//    is unused, and ends the session when presented after the new access
//    token was used (the last test, so that refresh_retry_min_age has passed).
//  - Matrix errors through the proxy; /logout/all; device reuse; the
//    homeserver down at login.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';

import { createClient } from 'matrix-js-sdk';
import { logger } from 'matrix-js-sdk/lib/logger.js';

import { launchBrowser } from '../lib/browser.js';
import {
  authorizeForCode, exchangeCode, introspect, registerClient, startCallbackServer, tokenRequest,
} from '../lib/flow.js';
import { startWithHomeserver, stopBoth, withHomeserver } from '../lib/synapse.js';

const ALICE = { name: 'alice', password: 'alice has a long passphrase' };
const BOB = { name: 'bob', password: 'bob has another long passphrase' };
const ALICE_ID = '@alice:example.test';
const LOGIN = '/_matrix/client/v3/login';
const LOGOUT = '/_matrix/client/v3/logout';
const LOGOUT_ALL = '/_matrix/client/v3/logout/all';
const REFRESH = '/_matrix/client/v3/refresh';
const PROVISION = '/_synapse/mas/provision_user';
const UPSERT = '/_synapse/mas/upsert_device';
const SYNC = '/_synapse/mas/sync_devices';
// mxauth's default tokens.access_token_ttl (300 s), which legacy access
// tokens get when the client asks for a refresh token.
const ACCESS_TTL_MS = 300000;
// refresh_retry_min_age (docs/oauth.md): a consumed refresh token presented
// again within it is a client racing itself, not a lost response.
const REFRESH_RETRY_MIN_AGE_MS = 2000;
// The SDK logs expected failures; MXAUTH_E2E_VERBOSE=1 shows them.
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

function newDevice(prefix = 'LG') {
  return `${prefix}${randomBytes(5).toString('hex').toUpperCase()}`;
}

// A double and an mxauth with alice (and bob) added through the CLI.
function withUsers(options, body) {
  return withHomeserver(options, async (hs) => {
    hs.server.addUser(ALICE.name, ALICE.password);
    hs.server.addUser(BOB.name, BOB.password);
    await body(hs);
  });
}

// POSTs BODY (an object as JSON, or a string sent as is) to the legacy PATH
// at BASE (the double, or mxauth itself); {status, body}.
async function post(base, path, { body, token, contentType = 'application/json' } = {}) {
  const headers = {};
  if (contentType) headers['content-type'] = contentType;
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(new URL(path.replace(/^\//, ''), base), {
    method: 'POST',
    headers,
    body: typeof body === 'string' ? body : JSON.stringify(body ?? {}),
  });
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    assert.fail(`${path}: ${response.status} is not JSON: ${text}`);
  }
  return { status: response.status, body: json };
}

function passwordLogin(user, password, extra = {}) {
  return { type: 'm.login.password', identifier: { type: 'm.id.user', user }, password, ...extra };
}

// A Matrix error: STATUS and ERRCODE, and no token of any kind.
function assertMatrixError(answer, status, errcode, what) {
  assert.equal(answer.status, status, `${what}: ${JSON.stringify(answer.body)}`);
  assert.equal(answer.body.errcode, errcode, `${what}: ${JSON.stringify(answer.body)}`);
  assert.equal(typeof answer.body.error, 'string', `${what}: a human-readable error`);
  for (const field of ['access_token', 'refresh_token', 'device_id']) {
    assert.equal(answer.body[field], undefined, `${what}: no ${field}`);
  }
}

// A matrix-js-sdk call that must fail with STATUS and ERRCODE.
async function assertSdkRejects(promise, status, errcode, what) {
  await assert.rejects(promise, (error) => {
    assert.equal(error.httpStatus, status, `${what}: ${error.message}`);
    assert.equal(error.errcode, errcode, `${what}: ${error.message}`);
    return true;
  });
}

function devicesOf(state, localpart) {
  return Object.keys(state.users[localpart]?.devices ?? {}).sort();
}

// A public native client registered at mxauth, and an OAuth login of USER
// on DEVICE through chromium; returns the token response's body.
async function oauthLogin(server, user, device) {
  const client = await registerClient(server, {
    client_name: 'Legacy Test OAuth App',
    client_uri: 'https://oauth.example.test/',
    redirect_uris: ['http://127.0.0.1/cb'],
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  });
  const scope = `urn:matrix:client:api:* urn:matrix:client:device:${device}`;
  const code = await authorizeForCode(browser, server, callback, client.client_id, user, scope);
  const response = await exchangeCode(server, client.client_id, code);
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  assert.match(body.access_token, /^mat_/);
  return { ...body, client_id: client.client_id };
}

test('matrix-js-sdk 37.5.0 through the homeserver: login flows, password login provisions the device before answering, whoami, logout removes the device', async () => {
  await withUsers({}, async ({ synapse }) => {
    const sdk = createClient({ baseUrl: synapse.base.replace(/\/$/, '') });
    const { flows } = await sdk.loginFlows();
    assert.deepEqual(flows.map((flow) => flow.type), ['m.login.password', 'm.login.sso', 'm.login.token']);

    const device = newDevice();
    const login = await sdk.loginRequest(passwordLogin(ALICE.name, ALICE.password, {
      device_id: device, initial_device_display_name: 'Legacy Laptop',
    }));
    const state = await synapse.state(); // immediately: no waiting
    assert.equal(login.user_id, ALICE_ID);
    assert.equal(login.device_id, device);
    assert.match(login.access_token, /^mct_/);
    assert.equal(login.refresh_token, undefined, 'no refresh token unless asked for');
    assert.equal(login.expires_in_ms, undefined, 'without a refresh token the access token does not expire');
    assert.deepEqual(devicesOf(state, 'alice'), [device], 'the device exists when the login answer arrives');
    assert.equal(state.users.alice.devices[device].display_name, 'Legacy Laptop');
    // The proxied GET and POST /login (recorded as they arrived), and the
    // calls mxauth made meanwhile, all answered before the login answer.
    assert.deepEqual(state.calls.map((call) => [call.method, call.path, call.status]),
      [['GET', LOGIN, 200], ['POST', LOGIN, 200], ['POST', PROVISION, 201], ['POST', UPSERT, 201]]);
    assert.deepEqual(JSON.parse(state.calls[3].body),
      { localpart: 'alice', device_id: device, display_name: 'Legacy Laptop' });

    // The deprecated `user` field with a full Matrix ID (loginWithPassword)
    // gets a generated device: ten upper-case letters, as Synapse makes.
    const second = await createClient({ baseUrl: synapse.base }).loginWithPassword(ALICE_ID, ALICE.password);
    assert.equal(second.user_id, ALICE_ID);
    assert.match(second.device_id, /^[A-Z]{10}$/);
    assert.deepEqual(devicesOf(await synapse.state(), 'alice'), [device, second.device_id].sort());

    const alice = createClient({
      baseUrl: synapse.base, accessToken: login.access_token, userId: login.user_id, deviceId: login.device_id,
    });
    const whoami = await alice.whoami();
    assert.equal(whoami.user_id, ALICE_ID);
    assert.equal(whoami.device_id, device);
    assert.equal(whoami.is_guest, false);

    assert.deepEqual(await alice.logout(), {});
    await synapse.waitFor(SYNC, 1);
    const [sync] = await synapse.calls(SYNC);
    assert.equal(sync.status, 200);
    assert.deepEqual(JSON.parse(sync.body), { localpart: 'alice', devices: [second.device_id] },
      'only the logged-out device goes');
    assert.deepEqual(devicesOf(await synapse.state(), 'alice'), [second.device_id]);
    await assertSdkRejects(alice.whoami(), 401, 'M_UNKNOWN_TOKEN', 'whoami after logout');
    const other = await synapse.whoami(second.access_token);
    assert.equal(other.status, 200, JSON.stringify(other.body));
    assert.equal(other.body.device_id, second.device_id);
  });
});

// Shared by the two refresh tests: the second one runs last in this file, so
// that refresh_retry_min_age has passed by then without a sleep.
let rotated;
after(async () => {
  if (rotated) await stopBoth(rotated.hs);
});

test('legacy refresh through the homeserver: login with refresh_token gives mcr_ and expires_in_ms; /refresh rotates the pair and ends the old access token', async () => {
  const hs = await startWithHomeserver();
  rotated = { hs };
  const { synapse, server } = hs;
  server.addUser(ALICE.name, ALICE.password);
  const sdk = createClient({ baseUrl: synapse.base });

  // Two sessions: "used" will use its new access token, "unused" will not.
  const sessions = {};
  for (const name of ['used', 'unused']) {
    const device = newDevice(name === 'used' ? 'RU' : 'RN');
    const login = await sdk.loginRequest(passwordLogin(ALICE.name, ALICE.password, { device_id: device, refresh_token: true }));
    assert.equal(login.device_id, device);
    assert.match(login.access_token, /^mct_/);
    assert.match(login.refresh_token, /^mcr_/);
    assert.equal(login.expires_in_ms, ACCESS_TTL_MS);
    const whoami = await synapse.whoami(login.access_token);
    assert.equal(whoami.status, 200, JSON.stringify(whoami.body));
    assert.equal(whoami.body.device_id, device);

    const client = createClient({ baseUrl: synapse.base, accessToken: login.access_token });
    const refreshed = await client.refreshToken(login.refresh_token);
    assert.match(refreshed.access_token, /^mct_/);
    assert.match(refreshed.refresh_token, /^mcr_/);
    assert.notEqual(refreshed.access_token, login.access_token);
    assert.notEqual(refreshed.refresh_token, login.refresh_token);
    assert.equal(refreshed.expires_in_ms, ACCESS_TTL_MS);
    sessions[name] = { device, login, refreshed };
  }
  rotated.at = performance.now();
  rotated.sessions = sessions;

  const refreshCalls = (await synapse.calls(REFRESH)).map((call) => call.status);
  assert.deepEqual(refreshCalls, [200, 200], 'both refreshes went through the homeserver\'s address');
  for (const { login } of Object.values(sessions)) {
    // At mxauth: the double would answer from its introspection cache.
    assert.equal((await introspect(server, synapse.secret, login.access_token)).active, false,
      'the old access token ends with the rotation');
  }
  const used = await synapse.whoami(sessions.used.refreshed.access_token);
  assert.equal(used.status, 200, JSON.stringify(used.body));
  assert.deepEqual(used.body, { user_id: ALICE_ID, is_guest: false, device_id: sessions.used.device });
  assert.deepEqual(devicesOf(await synapse.state(), 'alice'), [sessions.used.device, sessions.unused.device].sort());
});

test('legacy errors through the homeserver: wrong password, unknown user, locked, deactivated, malformed JSON, application service, logout without or with an OAuth token', async () => {
  await withUsers({}, async ({ synapse, server }) => {
    const login = (body, options) => post(synapse.base, LOGIN, { body, ...options });
    assertMatrixError(await login(passwordLogin(ALICE.name, 'not the passphrase')), 403, 'M_FORBIDDEN', 'wrong password');
    assertMatrixError(await login(passwordLogin('nobody', ALICE.password)), 403, 'M_FORBIDDEN', 'unknown user');

    server.addUser('carol', 'carol has a long passphrase');
    server.cli(['user', 'lock', 'carol']);
    assertMatrixError(await login(passwordLogin('carol', 'carol has a long passphrase')), 401, 'M_USER_LOCKED', 'locked');
    assertMatrixError(await login(passwordLogin('carol', 'a wrong passphrase')), 403, 'M_FORBIDDEN',
      'locked, wrong password: the lock is shown only after the right password');

    server.addUser('dave', 'dave has a long passphrase');
    server.cli(['user', 'deactivate', 'dave']);
    assertMatrixError(await login(passwordLogin('dave', 'dave has a long passphrase')), 403, 'M_USER_DEACTIVATED', 'deactivated');
    assertMatrixError(await login(passwordLogin('dave', 'a wrong passphrase')), 403, 'M_FORBIDDEN', 'deactivated, wrong password');

    assertMatrixError(await login('{"type": "m.login.password", "identifier": '), 400, 'M_NOT_JSON', 'malformed JSON');
    assertMatrixError(await login({
      type: 'm.login.application_service', identifier: { type: 'm.id.user', user: 'alice' },
    }, { token: 'an-appservice-token' }), 400, 'M_APPSERVICE_LOGIN_UNSUPPORTED', 'application service');

    assert.deepEqual((await synapse.state()).call_counts[UPSERT], undefined, 'no failed login set up a device');

    assertMatrixError(await post(synapse.base, LOGOUT), 401, 'M_MISSING_TOKEN', 'logout without a token');
    assertMatrixError(await post(synapse.base, LOGOUT_ALL), 401, 'M_MISSING_TOKEN', 'logout/all without a token');
    const device = newDevice('OA');
    const oauth = await oauthLogin(server, ALICE, device);
    assertMatrixError(await post(synapse.base, LOGOUT, { token: oauth.access_token }), 401, 'M_UNKNOWN_TOKEN',
      'logout with an OAuth token');
    const whoami = await synapse.whoami(oauth.access_token);
    assert.equal(whoami.status, 200, `the OAuth session survives: ${JSON.stringify(whoami.body)}`);
    assert.equal(whoami.body.device_id, device);
    assert.equal((await synapse.state()).call_counts[SYNC], undefined, 'nothing was logged out');
  });
});

test('legacy /logout/all through the homeserver ends every session of the user, legacy and OAuth; another user keeps theirs', async () => {
  await withUsers({}, async ({ synapse, server }) => {
    const tokens = [];
    for (let i = 0; i < 2; i += 1) {
      const answer = await post(synapse.base, LOGIN, { body: passwordLogin(ALICE.name, ALICE.password, { refresh_token: true }) });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      tokens.push({ what: `legacy login ${i + 1}`, access: answer.body.access_token, device: answer.body.device_id, refresh: answer.body.refresh_token });
    }
    const oauthDevice = newDevice('OA');
    const oauth = await oauthLogin(server, ALICE, oauthDevice);
    tokens.push({ what: 'OAuth login', access: oauth.access_token, device: oauthDevice });
    const bobLogin = await post(synapse.base, LOGIN, { body: passwordLogin(BOB.name, BOB.password) });
    assert.equal(bobLogin.status, 200, JSON.stringify(bobLogin.body));

    // All work (and are now in the double's introspection cache).
    for (const { what, access, device } of tokens) {
      const whoami = await synapse.whoami(access);
      assert.equal(whoami.status, 200, `${what}: ${JSON.stringify(whoami.body)}`);
      assert.equal(whoami.body.device_id, device);
    }
    assert.deepEqual(devicesOf(await synapse.state(), 'alice'), tokens.map((t) => t.device).sort());

    const out = await post(synapse.base, LOGOUT_ALL, { token: tokens[0].access });
    assert.equal(out.status, 200, JSON.stringify(out.body));
    assert.deepEqual(out.body, {});
    await synapse.waitFor(SYNC, 1);
    const syncs = await synapse.calls(SYNC);
    assert.deepEqual(syncs.map((call) => JSON.parse(call.body)), [{ localpart: 'alice', devices: [] }],
      'one sync, for alice, with no device left');
    const state = await synapse.state();
    assert.deepEqual(devicesOf(state, 'alice'), []);
    assert.deepEqual(devicesOf(state, 'bob'), [bobLogin.body.device_id], 'bob keeps his device');

    for (const { what, access } of tokens) {
      const whoami = await synapse.whoami(access);
      assert.equal(whoami.status, 401, `${what}: ${JSON.stringify(whoami.body)}`);
      assert.equal(whoami.body.errcode, 'M_UNKNOWN_TOKEN', what);
      assert.equal((await introspect(server, synapse.secret, access)).active, false, `${what}: inactive at mxauth`);
    }
    // Refresh tokens die with their sessions.
    assertMatrixError(await post(synapse.base, REFRESH, { body: { refresh_token: tokens[1].refresh } }),
      401, 'M_UNKNOWN_TOKEN', 'legacy refresh after logout/all');
    const oauthRefresh = await tokenRequest(server, {
      grant_type: 'refresh_token', refresh_token: oauth.refresh_token, client_id: oauth.client_id,
    });
    const oauthRefreshBody = await oauthRefresh.json();
    assert.equal(oauthRefresh.status, 400, `OAuth refresh after logout/all: ${JSON.stringify(oauthRefreshBody)}`);
    assert.equal(oauthRefreshBody.error, 'invalid_grant');

    // At mxauth too: the double may answer from its introspection cache.
    assert.equal((await introspect(server, synapse.secret, bobLogin.body.access_token)).active, true, 'bob\'s session lives');
    const bob = await synapse.whoami(bobLogin.body.access_token);
    assert.equal(bob.status, 200, JSON.stringify(bob.body));
    assert.equal(bob.body.user_id, '@bob:example.test');
  });
});

test('legacy login with the device_id of an existing session ends that session; the device stays on the homeserver', async () => {
  await withUsers({}, async ({ synapse, server }) => {
    const device = newDevice('RE');
    const body = passwordLogin(ALICE.name, ALICE.password, { device_id: device });
    const first = await post(synapse.base, LOGIN, { body });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    // At mxauth, so that the double has nothing cached for this token.
    assert.equal((await introspect(server, synapse.secret, first.body.access_token)).active, true);

    const second = await post(synapse.base, LOGIN, { body });
    assert.equal(second.status, 200, JSON.stringify(second.body));
    assert.equal(second.body.device_id, device);
    assert.notEqual(second.body.access_token, first.body.access_token);

    const state = await synapse.state();
    assert.deepEqual(devicesOf(state, 'alice'), [device], 'the device stays');
    assert.deepEqual((await synapse.calls(UPSERT)).map((call) => call.status), [201, 200],
      'inserted, then found existing');
    assert.equal(state.call_counts[SYNC], undefined, 'no device sync');
    assert.equal((await introspect(server, synapse.secret, first.body.access_token)).active, false,
      'the first session ended');
    const old = await synapse.whoami(first.body.access_token);
    assert.equal(old.status, 401, JSON.stringify(old.body));
    assert.equal(old.body.errcode, 'M_UNKNOWN_TOKEN');
    const current = await synapse.whoami(second.body.access_token);
    assert.equal(current.status, 200, JSON.stringify(current.body));
    assert.equal(current.body.device_id, device);
    assertMatrixError(await post(synapse.base, LOGOUT, { token: first.body.access_token }), 401, 'M_UNKNOWN_TOKEN',
      'logout with the ended session\'s token');
  });
});

test('legacy login while the homeserver is down answers 503 M_UNKNOWN and creates no session; a later login works', async () => {
  await withUsers({}, async (hs) => {
    const { server } = hs;
    assert.equal(await hs.synapse.stop(), 0);
    const lost = newDevice('DN');
    // Straight to mxauth: the proxy is the double, which is down.
    const refused = await post(server.base, LOGIN, { body: passwordLogin(ALICE.name, ALICE.password, { device_id: lost }) });
    assertMatrixError(refused, 503, 'M_UNKNOWN', 'homeserver down');
    assert.ok(!refused.body.error.includes('127.0.0.1'), `the error does not reveal the address: ${refused.body.error}`);

    hs.synapse = await hs.synapse.restart();
    await hs.synapse.config({ mxauth_base: server.base });
    const { synapse } = hs;
    const device = newDevice('UP');
    const later = await post(synapse.base, LOGIN, { body: passwordLogin(ALICE.name, ALICE.password, { device_id: device }) });
    assert.equal(later.status, 200, JSON.stringify(later.body));
    assert.deepEqual(devicesOf(await synapse.state(), 'alice'), [device]);
    const whoami = await synapse.whoami(later.body.access_token);
    assert.equal(whoami.status, 200, JSON.stringify(whoami.body));

    // Logging out syncs alice's remaining devices: had the failed login left
    // a session, its device would be listed.
    assert.equal((await post(synapse.base, LOGOUT, { token: later.body.access_token })).status, 200);
    await synapse.waitFor(SYNC, 1);
    const [sync] = await synapse.calls(SYNC);
    assert.deepEqual(JSON.parse(sync.body), { localpart: 'alice', devices: [] }, `no session for ${lost}`);
  });
});

// Last: by now refresh_retry_min_age has passed since the rotations of the
// refresh test above, so a re-presented token is a retry, not a race.
test('legacy refresh, later: the old refresh token works once more while the new pair is unused; once it was used, presenting the old one ends the session', async (t) => {
  if (!rotated?.sessions) {
    t.skip('needs the rotations of "legacy refresh through the homeserver" (run the whole file)');
    return;
  }
  const elapsed = performance.now() - rotated.at;
  if (elapsed < REFRESH_RETRY_MIN_AGE_MS + 100) {
    t.skip(`only ${elapsed.toFixed(0)} ms since the rotations; a retry needs ${REFRESH_RETRY_MIN_AGE_MS} ms (no sleeps)`);
    return;
  }
  t.diagnostic(`${elapsed.toFixed(0)} ms since the rotations`);
  const { hs: { synapse, server }, sessions: { used, unused } } = rotated;
  const refresh = (token) => post(synapse.base, REFRESH, { body: { refresh_token: token } });

  // A lost response: the new pair was never used, so the old token works.
  const retried = await refresh(unused.login.refresh_token);
  assert.equal(retried.status, 200, JSON.stringify(retried.body));
  assert.match(retried.body.access_token, /^mct_/);
  assert.match(retried.body.refresh_token, /^mcr_/);
  assert.notEqual(retried.body.access_token, unused.refreshed.access_token);
  assert.notEqual(retried.body.refresh_token, unused.refreshed.refresh_token);
  assert.equal(retried.body.expires_in_ms, ACCESS_TTL_MS);
  assert.equal((await introspect(server, synapse.secret, unused.refreshed.access_token)).active, false,
    'the unused pair it replaces is dead');
  assertMatrixError(await refresh(unused.refreshed.refresh_token), 401, 'M_UNKNOWN_TOKEN', 'the replaced refresh token');
  const whoami = await synapse.whoami(retried.body.access_token);
  assert.equal(whoami.status, 200, JSON.stringify(whoami.body));
  assert.equal(whoami.body.device_id, unused.device);

  // The new access token was used (whoami introspected it): the old refresh
  // token is now a replay, and the session ends.
  assertMatrixError(await refresh(used.login.refresh_token), 401, 'M_UNKNOWN_TOKEN', 'old refresh token after use');
  await synapse.waitFor(SYNC, 1);
  const [sync] = await synapse.calls(SYNC);
  assert.deepEqual(JSON.parse(sync.body), { localpart: 'alice', devices: [unused.device] }, 'only that session ends');
  assert.deepEqual(devicesOf(await synapse.state(), 'alice'), [unused.device]);
  const ended = await synapse.whoami(used.refreshed.access_token);
  assert.equal(ended.status, 401, JSON.stringify(ended.body));
  assert.equal(ended.body.errcode, 'M_UNKNOWN_TOKEN');
  assertMatrixError(await refresh(used.refreshed.refresh_token), 401, 'M_UNKNOWN_TOKEN', 'the ended session\'s new refresh token');
  const other = await introspect(server, synapse.secret, retried.body.access_token);
  assert.equal(other.active, true, 'the other session keeps working');
  assert.equal(other.device_id, unused.device);

  const hs = rotated.hs;
  rotated = undefined;
  assert.deepEqual(await stopBoth(hs), { mxauth: 0, double: 0 }, 'mxauth and the double stop cleanly');
});

test('legacy login rate limits through the homeserver: past the per-address burst every attempt is 429 M_LIMIT_EXCEEDED with retry_after_ms and Retry-After; wrong passwords use up an account\'s burst', async () => {
  const env = {
    MXAUTH_RATE_LIMITS__LOGIN__PER_IP__BURST: '4',
    MXAUTH_RATE_LIMITS__LOGIN__PER_IP__REFILL_INTERVAL: '60',
    MXAUTH_RATE_LIMITS__LOGIN__PER_ACCOUNT__BURST: '2',
    MXAUTH_RATE_LIMITS__LOGIN__PER_ACCOUNT__REFILL_INTERVAL: '60',
  };
  await withUsers({ env }, async ({ synapse }) => {
    const attempt = async (user, password) => {
      const response = await fetch(new URL(LOGIN.replace(/^\//, ''), synapse.base), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(passwordLogin(user, password)),
      });
      return { status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.json() };
    };
    // The account: two wrong passwords, then even the right one waits.
    assertMatrixError(await attempt(ALICE.name, 'wrong 1'), 403, 'M_FORBIDDEN', 'first wrong password');
    assertMatrixError(await attempt(ALICE.name, 'wrong 2'), 403, 'M_FORBIDDEN', 'second wrong password');
    const account = await attempt(ALICE.name, ALICE.password);
    assertMatrixError(account, 429, 'M_LIMIT_EXCEEDED', 'the account\'s burst is used up');
    assert.ok(account.body.retry_after_ms > 0 && account.body.retry_after_ms <= 60000, JSON.stringify(account.body));
    assert.equal(account.retryAfter, String(Math.ceil(account.body.retry_after_ms / 1000)));
    // Another account from the same address: the fourth attempt of the
    // address (every attempt counts there) still goes through, the fifth not.
    assert.equal((await attempt(BOB.name, BOB.password)).status, 200);
    const address = await attempt(BOB.name, BOB.password);
    assertMatrixError(address, 429, 'M_LIMIT_EXCEEDED', 'the address\'s burst is used up');
    assert.ok(Number(address.retryAfter) >= 1);
    // No device was provisioned for a refused attempt.
    const state = await synapse.state();
    assert.deepEqual(devicesOf(state, 'alice'), []);
    assert.equal(devicesOf(state, 'bob').length, 1);
  });
});
