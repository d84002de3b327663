// Locking and deactivation take effect at once (issue 5, item 6), when an
// operator runs `mxauth user lock|unlock|deactivate|reactivate` beside a
// running server, on SQLite (the invalidation log the server polls) and on
// PostgreSQL (LISTEN/NOTIFY):
//  - lock: the user's OAuth and legacy tokens, which the server has just
//    introspected (so they sit in its cache), introspect inactive within a
//    second; the browser session ends (the account page asks for a login);
//    the homeserver double is provisioned with locked: true;
//  - unlock: the same tokens work again (a lock keeps the sessions), and
//    the double hears locked: false;
//  - deactivate --erase: the tokens are dead for good, the refresh token
//    too, and the double records delete_user with erase: true;
//  - reactivate: the double records reactivate_user; the old tokens stay dead.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';

import { launchBrowser } from '../lib/browser.js';
import { authorizeForCode, exchangeCode, introspect, registerClient, startCallbackServer, submitLogin, tokenRequest } from '../lib/flow.js';
import { createPostgresDatabase } from '../lib/server.js';
import { withHomeserver } from '../lib/synapse.js';

const ALICE = { name: 'alice', password: 'alice has a long passphrase' };
const PROVISION = '/_synapse/mas/provision_user';
const DELETE_USER = '/_synapse/mas/delete_user';
const REACTIVATE = '/_synapse/mas/reactivate_user';
// What "at once" means here: the interval the SQLite poller reads at
// (250 ms) with room for a loaded machine, far below the cache's 10 s
// staleness bound that applied before.
const AT_ONCE_MS = 1000;

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

// Polls introspection of TOKEN until its `active` is WANTED; returns the
// milliseconds it took, or fails after LIMIT_MS.
async function untilActiveIs(hs, token, wanted, limitMs) {
  const start = Date.now();
  for (;;) {
    const answer = await introspect(hs.server, hs.synapse.secret, token);
    if (answer.active === wanted) return Date.now() - start;
    assert.ok(Date.now() - start < limitMs, `introspection still says active=${answer.active} after ${limitMs} ms`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

// The bodies the double received on PATH, parsed, oldest first.
async function bodies(synapse, path) {
  return (await synapse.calls(path)).map((call) => JSON.parse(call.body));
}

async function legacyLogin(server) {
  const response = await fetch(server.url('/_matrix/client/v3/login'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'm.login.password', identifier: { type: 'm.id.user', user: ALICE.name }, password: ALICE.password }),
  });
  const body = await response.json();
  assert.equal(response.status, 200, JSON.stringify(body));
  return body;
}

async function scenario(env) {
  await withHomeserver({ double: { existingUsers: [ALICE.name] }, env }, async (hs) => {
    const { server, synapse } = hs;
    server.addUser(ALICE.name, ALICE.password);
    const client = await registerClient(server, {
      client_name: 'Account State Test App',
      client_uri: 'https://state.example.test/',
      redirect_uris: ['http://127.0.0.1/cb'],
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    });
    const device = `ST${randomBytes(4).toString('hex').toUpperCase()}`;
    const code = await authorizeForCode(browser, server, callback, client.client_id, ALICE,
      `urn:matrix:client:api:* urn:matrix:client:device:${device}`);
    const tokens = await (await exchangeCode(server, client.client_id, code)).json();
    assert.ok(tokens.access_token, JSON.stringify(tokens));
    const legacy = await legacyLogin(server);

    // A browser signed in on the account page.
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(server.url('/account/'));
    await submitLogin(page, ALICE.name, ALICE.password);
    assert.equal(new URL(page.url()).pathname, '/account/');

    // Both tokens introspected: now in the server's cache.
    for (const token of [tokens.access_token, legacy.access_token]) {
      assert.equal((await introspect(server, synapse.secret, token)).active, true);
    }

    // Lock.
    const provisionsBefore = (await synapse.calls(PROVISION)).length;
    assert.equal(JSON.parse(server.cli(['user', 'lock', ALICE.name])).locked, true);
    for (const token of [tokens.access_token, legacy.access_token]) {
      const took = await untilActiveIs(hs, token, false, AT_ONCE_MS);
      assert.ok(took < AT_ONCE_MS, `inactive after ${took} ms`);
    }
    await page.goto(server.url('/account/'));
    assert.equal(new URL(page.url()).pathname, '/login', 'the browser session ended with the lock');
    await synapse.waitFor(PROVISION, provisionsBefore + 1);
    assert.equal((await bodies(synapse, PROVISION)).at(-1).locked, true);
    assert.equal((await synapse.state()).users[ALICE.name].locked, true);

    // Unlock: a lock keeps the sessions, so the same tokens work again.
    assert.equal(JSON.parse(server.cli(['user', 'unlock', ALICE.name])).locked, false);
    for (const token of [tokens.access_token, legacy.access_token]) {
      await untilActiveIs(hs, token, true, AT_ONCE_MS);
    }
    await synapse.waitFor(PROVISION, provisionsBefore + 2);
    assert.equal((await bodies(synapse, PROVISION)).at(-1).locked, false);

    // Deactivate with erasure.
    assert.equal(JSON.parse(server.cli(['user', 'deactivate', '--erase', ALICE.name])).deactivated, true);
    for (const token of [tokens.access_token, legacy.access_token]) {
      const took = await untilActiveIs(hs, token, false, AT_ONCE_MS);
      assert.ok(took < AT_ONCE_MS, `inactive after ${took} ms`);
    }
    await synapse.waitFor(DELETE_USER, 1);
    assert.deepEqual((await bodies(synapse, DELETE_USER)).at(-1), { localpart: ALICE.name, erase: true });
    const refreshed = await tokenRequest(server, {
      grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: client.client_id,
    });
    assert.equal(refreshed.status, 400);
    assert.equal((await refreshed.json()).error, 'invalid_grant');

    // Reactivate: the homeserver hears of it; the ended sessions stay ended.
    assert.equal(JSON.parse(server.cli(['user', 'reactivate', ALICE.name])).deactivated, false);
    await synapse.waitFor(REACTIVATE, 1);
    assert.deepEqual((await bodies(synapse, REACTIVATE)).at(-1), { localpart: ALICE.name });
    assert.equal((await introspect(server, synapse.secret, tokens.access_token)).active, false);
    await context.close();
  });
}

test('lock, unlock, deactivate and reactivate from the command line take effect at once on SQLite', async () => {
  await scenario({});
});

test('lock, unlock, deactivate and reactivate from the command line take effect at once on PostgreSQL', async (t) => {
  const adminUri = process.env.MXAUTH_TEST_POSTGRES_URI;
  if (!adminUri) {
    assert.notEqual(process.env.MXAUTH_REQUIRE_POSTGRES, '1',
      'MXAUTH_REQUIRE_POSTGRES=1 but MXAUTH_TEST_POSTGRES_URI is not set');
    t.skip('MXAUTH_TEST_POSTGRES_URI is not set (tools/pg-test-cluster.sh start DIR prints one)');
    return;
  }
  const database = createPostgresDatabase(adminUri);
  try {
    await scenario({ MXAUTH_DATABASE__URI: database.uri });
  } finally {
    database.drop();
  }
});
