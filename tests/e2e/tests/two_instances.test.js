// Two mxauth instances on one PostgreSQL database, with no sticky routing
// (issue 7, C.6): the same keys and encryption secret, nothing else shared.
//  - an authorization started on instance A (/authorize) is finished on B
//    (login and consent), its code is exchanged at A, and the device grant
//    started at A is approved through B;
//  - a revocation at A is seen by B's introspection — which has the token
//    cached — within one second (LISTEN/NOTIFY; without it B would answer
//    from its cache for up to 10 s), and so is `mxauth user lock` run from
//    the command line.
// Needs MXAUTH_TEST_POSTGRES_URI (skipped otherwise, unless
// MXAUTH_REQUIRE_POSTGRES=1).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { launchBrowser } from '../lib/browser.js';
import {
  authorizationUrl, exchangeCode, introspect, pkce, registerClient, revokeToken, startCallbackServer, submitLogin,
  tokenRequest,
} from '../lib/flow.js';
import { createPostgresDatabase, MxauthServer } from '../lib/server.js';

const SECRET = 'e2e-two-instances-homeserver-secret';
const ALICE = { name: 'alice', password: 'alice talks to two instances' };
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const adminUri = process.env.MXAUTH_TEST_POSTGRES_URI;

let database;
let keysDir;
let a;
let b;
let browser;
let callback;

before(async () => {
  if (!adminUri) return;
  database = createPostgresDatabase(adminUri);
  keysDir = mkdtempSync(join(tmpdir(), 'mxauth-e2e-keys-'));
  const env = {
    MXAUTH_DATABASE__URI: database.uri,
    MXAUTH_MATRIX__SECRET: SECRET,
    MXAUTH_SECRETS__KEYS_DIR: keysDir,
    MXAUTH_SECRETS__ENCRYPTION: randomBytes(32).toString('hex'),
    MXAUTH_TOKENS__DEVICE_CODE_INTERVAL: '1',
  };
  a = await MxauthServer.start({ env });
  b = await MxauthServer.start({ env });
  a.addUser(ALICE.name, ALICE.password);
  browser = await launchBrowser();
  callback = await startCallbackServer();
});

after(async () => {
  await callback?.close();
  await browser?.close();
  const codes = [await a?.stop(), await b?.stop()];
  if (keysDir) rmSync(keysDir, { recursive: true, force: true });
  database?.drop();
  if (a) assert.deepEqual(codes, [0, 0], 'both instances exit 0');
});

function requirePostgres(t) {
  if (adminUri) return true;
  assert.notEqual(process.env.MXAUTH_REQUIRE_POSTGRES, '1',
    'MXAUTH_REQUIRE_POSTGRES=1 but MXAUTH_TEST_POSTGRES_URI is not set');
  t.skip('MXAUTH_TEST_POSTGRES_URI is not set (tools/pg-test-cluster.sh start DIR prints one)');
  return false;
}

// `server`'s URL with the path and query of `url` (another instance's).
function on(server, url) {
  const parsed = new URL(url);
  return server.url(`${parsed.pathname}${parsed.search}`);
}

// Polls B's introspection of TOKEN until it is inactive; the time it took.
async function msUntilInactive(server, token) {
  const started = Date.now();
  while (Date.now() - started < 15000) {
    if (!(await introspect(server, SECRET, token)).active) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return Infinity;
}

// A code flow that starts at A and is finished at B; the tokens.
async function tokensAcrossInstances() {
  const client = await registerClient(a, {
    client_name: 'Two Instances App',
    client_uri: 'https://two.example.test/',
    redirect_uris: ['http://127.0.0.1/cb'],
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token', DEVICE_GRANT],
    response_types: ['code'],
  });
  const { verifier, challenge } = pkce();
  const device = `TWO${randomBytes(5).toString('hex').toUpperCase()}`;
  const redirectUri = `${callback.origin}/cb`;
  const context = await browser.newContext();
  let code;
  try {
    const page = await context.newPage();
    await page.goto(authorizationUrl(a, {
      client_id: client.client_id, redirect_uri: redirectUri, state: 'two',
      scope: `openid urn:matrix:client:api:* urn:matrix:client:device:${device}`,
      code_challenge: challenge, code_challenge_method: 'S256',
    }).toString());
    await page.waitForSelector('form#login');
    assert.equal(new URL(page.url()).origin, new URL(a.base).origin, 'A stored the request');
    await page.goto(on(b, page.url())); // the next request lands on B
    await submitLogin(page, ALICE.name, ALICE.password);
    await page.waitForSelector('form#consent');
    assert.equal(new URL(page.url()).origin, new URL(b.base).origin, 'B shows the consent page');
    await Promise.all([
      page.waitForURL(`${callback.origin}/**`),
      page.click('form#consent button[name=action][value=allow]'),
    ]);
    code = new URL(page.url()).searchParams.get('code');
  } finally {
    await context.close();
  }
  assert.ok(code);
  const exchanged = await exchangeCode(a, client.client_id, { code, verifier, redirectUri });
  assert.equal(exchanged.status, 200, 'A exchanges the code B issued');
  return { client, tokens: await exchanged.json() };
}

test('a flow started on one instance finishes on the other', async (t) => {
  if (!requirePostgres(t)) return;
  const { client, tokens } = await tokensAcrossInstances();
  assert.equal((await introspect(b, SECRET, tokens.access_token)).active, true);
  const refreshed = await tokenRequest(b, {
    grant_type: 'refresh_token', refresh_token: tokens.refresh_token, client_id: client.client_id,
  });
  assert.equal(refreshed.status, 200, 'B refreshes what A issued');

  // The device grant: started at A, approved through B, polled at A.
  const device = `DEV${randomBytes(5).toString('hex').toUpperCase()}`;
  const started = await fetch(a.url('/oauth2/device'), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      client_id: client.client_id, scope: `urn:matrix:client:api:* urn:matrix:client:device:${device}`,
    }),
  });
  assert.equal(started.status, 200);
  const grant = await started.json();
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(on(b, grant.verification_uri_complete));
    await Promise.all([page.waitForNavigation(), page.click('form#link button[type=submit]')]);
    await submitLogin(page, ALICE.name, ALICE.password);
    await Promise.all([page.waitForNavigation(), page.click('form#consent button[name=action][value=allow]')]);
  } finally {
    await context.close();
  }
  const polled = await tokenRequest(a, {
    grant_type: DEVICE_GRANT, device_code: grant.device_code, client_id: client.client_id,
  });
  assert.equal(polled.status, 200, 'A hands out the tokens B approved');
});

test('a revocation on one instance is seen by the other within one second', async (t) => {
  if (!requirePostgres(t)) return;
  const { client, tokens } = await tokensAcrossInstances();
  // B caches the active answer.
  assert.equal((await introspect(b, SECRET, tokens.access_token)).active, true);
  assert.equal((await introspect(b, SECRET, tokens.access_token)).active, true);

  const revoked = await revokeToken(a, client.client_id, tokens.access_token, 'access_token');
  assert.equal(revoked.status, 200);
  const ms = await msUntilInactive(b, tokens.access_token);
  console.log(`B saw A's revocation after ${ms} ms`);
  assert.ok(ms < 1000, `B saw the revocation within 1 s (${ms} ms)`);
});

test('`mxauth user lock` reaches both instances within one second', async (t) => {
  if (!requirePostgres(t)) return;
  const { tokens } = await tokensAcrossInstances();
  assert.equal((await introspect(a, SECRET, tokens.access_token)).active, true);
  assert.equal((await introspect(b, SECRET, tokens.access_token)).active, true);

  a.cli(['user', 'lock', ALICE.name]);
  const [msA, msB] = await Promise.all([msUntilInactive(a, tokens.access_token), msUntilInactive(b, tokens.access_token)]);
  console.log(`locked: A after ${msA} ms, B after ${msB} ms`);
  assert.ok(msA < 1000 && msB < 1000, `both instances refuse the token within 1 s (${msA}, ${msB} ms)`);
  a.cli(['user', 'unlock', ALICE.name]);
});
