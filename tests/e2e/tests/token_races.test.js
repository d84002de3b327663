// Security checklist C.20 over HTTP against the binary: concurrent token
// requests that redeem one authorization code, or rotate one refresh token.
// Each round fires RACERS requests at once (Promise.all of fetch) and
// checks the outcome against docs/oauth.md:
//  - a code is single use, and a replayed code revokes every token issued
//    from it, so the losers of a code race end the winner's session;
//  - a consumed refresh token presented again while its successor is younger
//    than refresh_retry_min_age (2 s) and unused is a lost race: the loser
//    gets invalid_grant and the winner keeps its pair.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { launchBrowser } from '../lib/browser.js';
import {
  authorizationUrl, authorizeInBrowser, introspect, pkce, registerClient, startCallbackServer, tokenRequest,
} from '../lib/flow.js';
import { MxauthServer } from '../lib/server.js';

const HOMESERVER_SECRET = 'e2e-races-homeserver-secret';
const USER = { name: 'rita', password: 'rita races with a long passphrase' };
const RACERS = 8;
const ROUNDS = 5;
// refresh_retry_min_age: a loser must arrive within it to count as a lost race.
const REFRESH_RETRY_MIN_AGE_MS = 2000;

let server;
let browser;
let callback;
let client;
before(async () => {
  server = await MxauthServer.start({ env: { MXAUTH_MATRIX__SECRET: HOMESERVER_SECRET } });
  server.addUser(USER.name, USER.password);
  browser = await launchBrowser();
  callback = await startCallbackServer();
  client = await registerClient(server, {
    client_name: 'Race Test App',
    client_uri: 'https://races.example.test/',
    redirect_uris: ['http://127.0.0.1/cb'],
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  });
});
after(async () => {
  await callback?.close();
  await browser?.close();
  assert.equal(await server.stop(), 0);
});

// A fresh code from a browser login and consent, and its PKCE verifier.
async function newCode(state) {
  const { verifier, challenge } = pkce();
  const url = authorizationUrl(server, {
    client_id: client.client_id,
    redirect_uri: `${callback.origin}/cb`,
    scope: 'openid urn:matrix:client:api:*',
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  const back = await authorizeInBrowser(browser, url, callback, USER);
  assert.equal(back.searchParams.get('state'), state);
  return { code: back.searchParams.get('code'), verifier };
}

function exchange({ code, verifier }) {
  return tokenRequest(server, {
    grant_type: 'authorization_code', code, redirect_uri: `${callback.origin}/cb`,
    client_id: client.client_id, code_verifier: verifier,
  });
}

function refresh(refreshToken) {
  return tokenRequest(server, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: client.client_id });
}

// Fires RACERS copies of REQUEST at once; returns [{status, body}] and how
// long the whole race took.
async function race(request) {
  const started = performance.now();
  const results = await Promise.all(Array.from({ length: RACERS }, async () => {
    const response = await request();
    return { status: response.status, body: await response.json() };
  }));
  return { results, elapsed: performance.now() - started };
}

// Exactly one 200; every other answer is 400 invalid_grant. Returns the
// winner's token response.
function assertOneWinner(results, what) {
  const winners = results.filter((r) => r.status === 200);
  const summary = results.map((r) => `${r.status} ${r.body.error ?? ''}`.trim()).join(', ');
  assert.equal(winners.length, 1, `${what}: exactly one success (${summary})`);
  for (const loser of results.filter((r) => r.status !== 200)) {
    assert.equal(loser.status, 400, `${what}: ${summary}`);
    assert.equal(loser.body.error, 'invalid_grant', `${what}: ${summary}`);
    assert.equal(loser.body.access_token, undefined);
  }
  const [winner] = winners;
  assert.match(winner.body.access_token, /^mat_/);
  assert.match(winner.body.refresh_token, /^mar_/);
  return winner.body;
}

test(`C.20: of ${RACERS} concurrent exchanges of one code exactly one succeeds, and the losers' replays revoke the winner's tokens`, async () => {
  for (let round = 0; round < ROUNDS; round += 1) {
    const what = `round ${round}`;
    const code = await newCode(`code-race-${round}`);
    const { results } = await race(() => exchange(code));
    const winner = assertOneWinner(results, what);

    // A replayed code ends the session it created (docs/oauth.md), and every
    // loser is a replay: the winner's access and refresh tokens are dead.
    const introspected = await introspect(server, HOMESERVER_SECRET, winner.access_token);
    assert.equal(introspected.active, false, `${what}: the winner's access token is revoked`);
    const refreshed = await refresh(winner.refresh_token);
    assert.equal(refreshed.status, 400, `${what}: the winner's refresh token is refused`);
    assert.equal((await refreshed.json()).error, 'invalid_grant');
    const userinfo = await fetch(server.url('/oauth2/userinfo'), { headers: { authorization: `Bearer ${winner.access_token}` } });
    assert.equal(userinfo.status, 401, `${what}: userinfo refuses the winner's access token`);
  }
});

test(`C.20: of ${RACERS} concurrent refreshes of one refresh token exactly one rotates it, and within refresh_retry_min_age the losers leave the winner's pair live`, async () => {
  const first = await exchange(await newCode('refresh-race'));
  assert.equal(first.status, 200);
  let current = await first.json();
  for (let round = 0; round < ROUNDS; round += 1) {
    const what = `round ${round}`;
    const { results, elapsed } = await race(() => refresh(current.refresh_token));
    // The documented outcome holds for losers inside the window; a machine
    // too slow to finish the race within it makes the round meaningless.
    assert.ok(elapsed < REFRESH_RETRY_MIN_AGE_MS, `${what}: the race took ${elapsed} ms, more than refresh_retry_min_age`);
    const winner = assertOneWinner(results, what);
    assert.notEqual(winner.refresh_token, current.refresh_token, 'the refresh token rotated');

    // The old pair is gone: its access token was revoked by the rotation.
    assert.equal((await introspect(server, HOMESERVER_SECRET, current.access_token)).active, false,
      `${what}: the rotated-out access token is revoked`);
    // The losers revoked nothing: the winner's access token is live ...
    const active = await introspect(server, HOMESERVER_SECRET, winner.access_token);
    assert.equal(active.active, true, `${what}: the winner's access token is live`);
    assert.equal(active.username, USER.name);
    // ... and so is its refresh token: the next round races it.
    current = winner;
  }
  // The last winner's refresh token still works outside a race.
  const last = await refresh(current.refresh_token);
  assert.equal(last.status, 200);
  const next = await last.json();
  assert.equal((await introspect(server, HOMESERVER_SECRET, next.access_token)).active, true);
  assert.equal((await introspect(server, HOMESERVER_SECRET, current.access_token)).active, false);
});
