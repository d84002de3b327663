// The OpenID Connect details the conformance suite checks at the
// authorization endpoint (docs/oauth.md), with openid-client as the relying
// party and chromium as the user's browser:
//  - prompt=none: login_required without a session; a code without any
//    page once the user consented; consent_required for a new client and
//    for a wider scope;
//  - max_age forces a new login, and the ID token's auth_time is that login;
//  - an authorization request sent by POST works like GET;
//  - an id_token_hint naming another user than the one signed in gives
//    login_required with prompt=none, and otherwise the login form for
//    that user.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import * as client from 'openid-client';

import { launchBrowser } from '../lib/browser.js';
import { allowConsent, startCallbackServer, submitLogin } from '../lib/flow.js';
import { MxauthServer } from '../lib/server.js';
import { escapeHtml, startSite } from '../lib/site.js';

const ALICE = { name: 'alice', password: 'alice has a long enough passphrase' };
const BOB = { name: 'bob', password: 'bob has another long passphrase' };
const SCOPE = 'openid urn:matrix:client:api:*';
const insecure = { execute: [client.allowInsecureRequests] };

let server;
let browser;
let callback;
let site;
let rp;       // a confidential client: its consent may be reused
let context;  // alice's browser
before(async () => {
  server = await MxauthServer.start();
  server.addUser(ALICE.name, ALICE.password);
  server.addUser(BOB.name, BOB.password);
  browser = await launchBrowser();
  callback = await startCallbackServer();
  site = await startSite();
  rp = await registerRp('Niceties RP', 'client_secret_post');
  context = await browser.newContext();
});
after(async () => {
  await context?.close();
  await browser?.close();
  await callback?.close();
  await site?.close();
  assert.equal(await server.stop(), 0);
});

// Dynamic registration of a native app at a loopback redirect; METHOD is
// client_secret_post (a confidential client, whose consent may be reused)
// or none (a public one). openid-client then authenticates as registered.
async function registerRp(name, method) {
  return client.dynamicClientRegistration(
    new URL(server.base),
    {
      client_name: name,
      client_uri: 'https://rp.example.test/',
      redirect_uris: ['http://127.0.0.1/callback'],
      application_type: 'native',
      token_endpoint_auth_method: method,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    },
    method === 'none' ? client.None() : undefined,
    insecure,
  );
}

// A fresh authorization request of CONFIG; returns {url, verifier, state, nonce}.
async function request(config, params = {}) {
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: `${callback.origin}/callback`,
    scope: SCOPE,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    nonce,
    ...params,
  });
  return { url, verifier, state, nonce };
}

async function exchange(config, back, { verifier, state, nonce }) {
  const tokens = await client.authorizationCodeGrant(config, back, {
    pkceCodeVerifier: verifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true,
  });
  return tokens.claims();
}

// Opens URL in PAGE and returns the callback URL it ends at (no page of
// ours shown in between when SILENT).
async function landAtCallback(page, url) {
  await Promise.all([page.waitForURL(`${callback.origin}/**`), page.goto(url.toString())]);
  return new URL(page.url());
}

let aliceFirst;
test('alice signs in and consents once; prompt=none then answers with a code and no page', async () => {
  const page = await context.newPage();
  const first = await request(rp);
  await page.goto(first.url.toString());
  await page.waitForSelector('form#login');
  await submitLogin(page, ALICE.name, ALICE.password);
  const back = await allowConsent(page, callback);
  aliceFirst = await exchange(rp, back, first);
  assert.ok(aliceFirst.auth_time, 'auth_time is in the ID token');

  const silent = await request(rp, { prompt: 'none' });
  const pages = [];
  page.on('framenavigated', (frame) => { if (frame === page.mainFrame()) pages.push(frame.url()); });
  const silentBack = await landAtCallback(page, silent.url);
  assert.equal(silentBack.searchParams.get('error'), null, `${silentBack}`);
  assert.ok(pages.every((url) => !url.startsWith(server.base) || url.includes('/authorize')),
    `no page of ours on the way: ${pages}`);
  const claims = await exchange(rp, silentBack, silent);
  assert.equal(claims.sub, aliceFirst.sub);
  assert.equal(claims.auth_time, aliceFirst.auth_time);
  await page.close();
});

test('prompt=none without a session is login_required', async () => {
  const fresh = await browser.newContext();
  try {
    const page = await fresh.newPage();
    const back = await landAtCallback(page, (await request(rp, { prompt: 'none' })).url);
    assert.equal(back.searchParams.get('error'), 'login_required');
    assert.equal(back.searchParams.get('code'), null);
  } finally {
    await fresh.close();
  }
});

test('prompt=none for a new client or a wider scope is consent_required', async () => {
  const page = await context.newPage();
  const newcomer = await registerRp('Newcomer RP', 'client_secret_post');
  let back = await landAtCallback(page, (await request(newcomer, { prompt: 'none' })).url);
  assert.equal(back.searchParams.get('error'), 'consent_required');
  assert.equal(back.searchParams.get('code'), null);

  back = await landAtCallback(page, (await request(rp, { prompt: 'none', scope: `${SCOPE} email` })).url);
  assert.equal(back.searchParams.get('error'), 'consent_required');

  // A public native client is asked every time, even after consenting
  // (RFC 8252 §8.6): its loopback redirect proves nothing about it.
  const publicRp = await registerRp('Public RP', 'none');
  const first = await request(publicRp);
  await page.goto(first.url.toString());
  await allowConsent(page, callback);
  back = await landAtCallback(page, (await request(publicRp, { prompt: 'none' })).url);
  assert.equal(back.searchParams.get('error'), 'consent_required');
  await page.close();
});

test('max_age forces a new login and auth_time is that login', async () => {
  const page = await context.newPage();
  const forced = await request(rp, { max_age: '0' });
  await page.goto(forced.url.toString());
  await page.waitForSelector('form#login');
  const before = Math.floor(Date.now() / 1000);
  await page.fill('form#login [name=password]', ALICE.password);
  await Promise.all([
    page.waitForURL(`${callback.origin}/**`),
    page.click('form#login button[type=submit]'),
  ]);
  const claims = await exchange(rp, new URL(page.url()), forced);
  assert.equal(claims.sub, aliceFirst.sub);
  assert.ok(claims.auth_time >= before, `auth_time ${claims.auth_time} is the new login (>= ${before})`);
  assert.ok(claims.auth_time >= aliceFirst.auth_time);
  await page.close();
});

test('an authorization request sent by POST works like GET', async () => {
  const page = await context.newPage();
  const posted = await request(rp);
  const fields = [...posted.url.searchParams]
    .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
    .join('');
  const form = site.page('/post-authorize', `<!DOCTYPE html><title>rp</title>
    <form id="go" method="post" action="${escapeHtml(server.url('/authorize'))}">${fields}</form>
    <script>document.getElementById('go').submit();</script>`);
  await Promise.all([page.waitForURL(`${callback.origin}/**`), page.goto(form)]);
  const claims = await exchange(rp, new URL(page.url()), posted);
  assert.equal(claims.sub, aliceFirst.sub);
  await page.close();
});

test('an id_token_hint for another user: login_required with prompt=none, else the login form for that user', async () => {
  // Bob's ID token, from his own browser.
  const bobContext = await browser.newContext();
  let bobIdToken;
  try {
    const page = await bobContext.newPage();
    const flow = await request(rp);
    await page.goto(flow.url.toString());
    await page.waitForSelector('form#login');
    await submitLogin(page, BOB.name, BOB.password);
    const back = await allowConsent(page, callback);
    const tokens = await client.authorizationCodeGrant(rp, back, {
      pkceCodeVerifier: flow.verifier, expectedState: flow.state, expectedNonce: flow.nonce,
    });
    bobIdToken = tokens.id_token;
  } finally {
    await bobContext.close();
  }

  const page = await context.newPage();
  const back = await landAtCallback(page, (await request(rp, { prompt: 'none', id_token_hint: bobIdToken })).url);
  assert.equal(back.searchParams.get('error'), 'login_required');
  assert.equal(back.searchParams.get('code'), null);

  await page.goto((await request(rp, { id_token_hint: bobIdToken })).url.toString());
  await page.waitForSelector('form#login');
  assert.equal(await page.inputValue('form#login [name=username]'), BOB.name);
  assert.ok(!page.url().startsWith(callback.origin), 'no code for alice');

  const garbled = await landAtCallback(page, (await request(rp, { id_token_hint: 'not.an.idtoken' })).url);
  assert.equal(garbled.searchParams.get('error'), 'invalid_request');
  await page.close();
});
