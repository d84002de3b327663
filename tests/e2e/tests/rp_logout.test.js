// OpenID Connect RP-Initiated Logout with panva's openid-client
// (buildEndSessionUrl) and chromium: a native app signs the user in, then
// sends the browser to the end_session_endpoint from the metadata.
//  - with its ID token as hint: the browser session ends at once and the
//    browser lands on the registered post_logout_redirect_uri with state;
//    the app's tokens (its Matrix device) stay valid;
//  - an unregistered post_logout_redirect_uri, or one without a valid hint
//    or client, is never redirected to;
//  - without a hint: form#logout asks first, then returns to the app;
//  - a cross-site POST to the endpoint (the session cookie is SameSite=Lax)
//    still signs the right session out.
// Runs on SQLite and, with MXAUTH_TEST_POSTGRES_URI, on a fresh PostgreSQL
// database. Screenshots: artifacts/rp-logout-*.png.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';

import * as jose from 'jose';
import * as client from 'openid-client';

import { launchBrowser, recordRequests, screenshot } from '../lib/browser.js';
import { introspect, startCallbackServer, submitLogin } from '../lib/flow.js';
import { createPostgresDatabase, MxauthServer } from '../lib/server.js';

const HOMESERVER_SECRET = 'e2e-rp-logout-homeserver-secret';
const ALICE = { name: 'alice', password: 'alice logs out with a long passphrase' };
const insecure = { execute: [client.allowInsecureRequests] };

let server;
let browser;
let callback;
before(async () => {
  server = await MxauthServer.start({ env: { MXAUTH_MATRIX__SECRET: HOMESERVER_SECRET } });
  server.addUser(ALICE.name, ALICE.password);
  browser = await launchBrowser();
  callback = await startCallbackServer();
});
after(async () => {
  await callback?.close();
  await browser?.close();
  assert.equal(await server.stop(), 0);
});

// Registers a native app with loopback redirect and post-logout URIs
// (registered without a port: any port then matches, RFC 8252 §7.3).
async function registerApp(srv) {
  return client.dynamicClientRegistration(
    new URL(srv.base),
    {
      client_name: 'Logout Test App',
      client_uri: 'https://logout.example.test/',
      application_type: 'native',
      redirect_uris: ['http://127.0.0.1/callback'],
      post_logout_redirect_uris: ['http://127.0.0.1/logged-out'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    },
    client.None(),
    insecure,
  );
}

// Signs alice in through the app in a new browser context (kept, so that
// its session cookie can be logged out later) and returns {context, page,
// tokens}.
async function signIn(srv, config) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: `${callback.origin}/callback`,
    scope: 'openid urn:matrix:client:api:* urn:matrix:client:device:LOGOUTDEV01',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(url.toString());
  await page.waitForSelector('form#login');
  await submitLogin(page, ALICE.name, ALICE.password);
  await page.waitForSelector('form#consent');
  await Promise.all([
    page.waitForURL(`${callback.origin}/callback?**`),
    page.click('form#consent button[name=action][value=allow]'),
  ]);
  const tokens = await client.authorizationCodeGrant(config, new URL(page.url()), {
    pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true,
  });
  assert.ok(tokens.id_token, 'the app holds an ID token');
  return { context, page, tokens };
}

// True when the browser's session at SRV is alive (/account/ does not ask
// to log in).
async function signedIn(srv, page) {
  await page.goto(srv.url('/account/'));
  return new URL(page.url()).pathname === '/account/';
}

// The URLs the callback server saw on PATH since `since` hits.
function hitsOn(path, since) {
  return callback.hits.slice(since).filter((hit) => hit.pathname === path);
}

async function logoutWithHint(srv, { shots = false } = {}) {
  const config = await registerApp(srv);
  assert.equal(config.serverMetadata().end_session_endpoint, srv.url('/oauth2/logout'),
    'the metadata advertises the end_session_endpoint');
  const { context, page, tokens } = await signIn(srv, config);
  try {
    assert.equal(await signedIn(srv, page), true);
    const postLogout = `${callback.origin}/logged-out`;
    const logoutUrl = client.buildEndSessionUrl(config, {
      id_token_hint: tokens.id_token, post_logout_redirect_uri: postLogout, state: 'bye-123',
    });
    const before = callback.hits.length;
    await page.goto(logoutUrl.toString());
    await page.waitForURL(`${postLogout}?**`);
    const landed = new URL(page.url());
    assert.equal(landed.searchParams.get('state'), 'bye-123', 'the state comes back');
    assert.equal(hitsOn('/logged-out', before).length, 1, 'the app saw the post-logout redirect once');
    assert.equal(await signedIn(srv, page), false, 'the browser session is gone: /account/ asks to log in');
    await page.waitForSelector('form#login');
    if (shots) await screenshot(page, 'rp-logout-after-redirect-login');
    const cookies = (await context.cookies(srv.base)).filter((c) => c.name.endsWith('mxauth-session') && c.value);
    assert.equal(cookies.length, 0, 'the session cookie is cleared');
    // MAS-like: signing out of the web UI keeps the app's Matrix device.
    assert.equal((await introspect(srv, HOMESERVER_SECRET, tokens.access_token)).active, true,
      'the app’s access token is still active');

    // The same request again, now that nobody is signed in: a page that
    // says so, whose button (not an automatic redirect) returns to the app.
    const again = callback.hits.length;
    await page.goto(logoutUrl.toString());
    await page.waitForSelector('text=You are signed out');
    const back = page.locator('main a.button');
    assert.equal(await back.textContent(), 'Return to 127.0.0.1');
    assert.equal(callback.hits.length, again, 'no redirect without a signed-in user to match the hint');
    if (shots) await screenshot(page, 'rp-logout-signed-out-return');
    await Promise.all([page.waitForURL(`${postLogout}?**`), back.click()]);
    assert.equal(new URL(page.url()).searchParams.get('state'), 'bye-123');
  } finally {
    await context.close();
  }
}

test('openid-client buildEndSessionUrl with the ID token: signed out at once, back at the registered post_logout_redirect_uri with state', async () => {
  await logoutWithHint(server, { shots: true });
});

test('RP-initiated logout on PostgreSQL (a fresh database)', async (t) => {
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
    pg.addUser(ALICE.name, ALICE.password);
    await logoutWithHint(pg);
    assert.equal(await pg.stop(), 0);
  } finally {
    await pg?.stop();
    database.drop();
  }
});

test('an unregistered post_logout_redirect_uri is never redirected to, with or without a hint', async () => {
  const config = await registerApp(server);
  const { context, page, tokens } = await signIn(server, config);
  try {
    const before = callback.hits.length;
    const unregistered = [
      `${callback.origin}/not-registered`,
      `${callback.origin}/callback`, // a redirect_uri, not a post-logout one
      'https://evil.example.test/',
    ];
    for (const uri of unregistered) {
      for (const parameters of [
        { id_token_hint: tokens.id_token, post_logout_redirect_uri: uri, state: 's' },
        { post_logout_redirect_uri: uri, state: 's' },
      ]) {
        const response = await page.goto(client.buildEndSessionUrl(config, parameters).toString());
        assert.equal(response.status(), 400, `${uri} is refused`);
        assert.equal(new URL(page.url()).origin, new URL(server.base).origin, 'the browser stayed here');
        assert.match(await page.textContent('main'), /not registered/);
      }
    }
    await screenshot(page, 'rp-logout-refused');
    assert.equal(callback.hits.length, before, 'the app was never reached');
    assert.equal(await signedIn(server, page), true, 'a refused request signs nobody out');

    // An ID token that is not ours: the hint and the redirect are ignored;
    // the user is asked, and afterwards sees the signed-out page here.
    const { privateKey } = await jose.generateKeyPair('ES256');
    const foreign = await new jose.SignJWT({ sub: 'someone' })
      .setProtectedHeader({ alg: 'ES256', typ: 'JWT' })
      .setIssuer(server.base)
      .setAudience(config.clientMetadata().client_id)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
    await page.goto(client.buildEndSessionUrl(config, {
      id_token_hint: foreign, post_logout_redirect_uri: `${callback.origin}/logged-out`, state: 's',
    }).toString());
    await page.waitForSelector('form#logout');
    assert.equal(await page.locator('form#logout [name=post_logout_redirect_uri]').count(), 0,
      'no redirect is carried for a hint that failed');
    await Promise.all([page.waitForLoadState(), page.click('form#logout button[type=submit]')]);
    await page.waitForSelector('text=You are signed out');
    assert.equal(new URL(page.url()).origin, new URL(server.base).origin);
    await screenshot(page, 'rp-logout-signed-out');
    assert.equal(callback.hits.length, before, 'the app was never reached');
    assert.equal(await signedIn(server, page), false);
  } finally {
    await context.close();
  }
});

test('without a hint, form#logout asks first and then returns to the app', async () => {
  const config = await registerApp(server);
  const { context, page } = await signIn(server, config);
  try {
    const postLogout = `${callback.origin}/logged-out`;
    await page.goto(client.buildEndSessionUrl(config, {
      post_logout_redirect_uri: postLogout, state: 'no-hint',
    }).toString());
    await page.waitForSelector('form#logout');
    const main = await page.textContent('main');
    assert.match(main, /Logout Test App/);
    assert.match(main, /logout\.example\.test/);
    assert.match(main, /Apps and devices you signed in to stay signed in/);
    assert.equal(await page.locator('form#logout input[name=csrf]').count(), 1, 'the form carries a CSRF token');
    assert.equal(await signedIn(server, await context.newPage()), true, 'nobody is signed out before the click');
    await screenshot(page, 'rp-logout-confirm');
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, 'rp-logout-confirm-dark');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'rp-logout-confirm-mobile-dark');

    await Promise.all([page.waitForURL(`${postLogout}?**`), page.click('form#logout button[type=submit]')]);
    assert.equal(new URL(page.url()).searchParams.get('state'), 'no-hint');
    assert.equal(await signedIn(server, page), false, 'the browser session is gone');
  } finally {
    await context.close();
  }
});

test('a cross-site POST to the end_session_endpoint signs the session out (SameSite=Lax cookie)', async () => {
  const config = await registerApp(server);
  const { context, page, tokens } = await signIn(server, config);
  // The app's own page, on another site (localhost is not 127.0.0.1).
  const appPage = createServer((req, res) => {
    const field = (name, value) => `<input type="hidden" name="${name}" value="${value}">`;
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(
      `<!DOCTYPE html><title>app</title><form id="rp" method="post" action="${server.url('/oauth2/logout')}">`
      + field('id_token_hint', tokens.id_token)
      + field('client_id', config.clientMetadata().client_id)
      + field('post_logout_redirect_uri', `${callback.origin}/logged-out`)
      + field('state', 'posted')
      + '<button>Sign out</button></form>');
  });
  await new Promise((resolve) => appPage.listen(0, '127.0.0.1', resolve));
  const requests = recordRequests(context);
  try {
    await page.goto(`http://localhost:${appPage.address().port}/`);
    await Promise.all([page.waitForURL(`${callback.origin}/logged-out?**`), page.click('form#rp button')]);
    assert.equal(new URL(page.url()).searchParams.get('state'), 'posted');
    const toEndpoint = (await requests.list()).filter((r) => r.url.pathname === '/oauth2/logout');
    assert.deepEqual(toEndpoint.map((r) => r.method), ['POST', 'GET']);
    const carriesSession = (r) => /mxauth-session=/.test(r.headers.cookie ?? '');
    assert.equal(carriesSession(toEndpoint[0]), false, 'the cross-site POST came without the session cookie');
    assert.equal(carriesSession(toEndpoint[1]), true, 'the GET it became carried it');
    assert.equal(await signedIn(server, page), false, 'the session the POST could not see was signed out');
  } finally {
    appPage.closeAllConnections?.();
    await new Promise((resolve) => appPage.close(resolve));
    await context.close();
  }
});
