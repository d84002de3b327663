// Concurrency (issue 7, C.5), the parts over HTTP that token_races.test.js
// does not cover: many parallel logins of one user, and registration races
// on one username.
//  - LOGINS complete password logins of one user at once through the browser
//    pages (GET /login, POST /login, /authorize, consent, code exchange),
//    scripted over HTTP with a cookie jar each, and LOGINS legacy password
//    logins (POST /_matrix/client/v3/login) at once: with the per-address
//    login limit off every one succeeds with a session and device of its own
//    and an active token;
//  - with the default per-address limit (burst 10, one more every 3 s) the
//    same burst of legacy logins gets exactly the burst (plus what refilled
//    meanwhile) through, and a clear 429 M_LIMIT_EXCEEDED for the rest;
//  - REGISTRANTS browsers submit the registration form for one username
//    (different spellings of its case, different passwords) at once: exactly
//    one gets the redirect of a new account, every other one the form again
//    with 409 and "This username is taken", and the database holds one user,
//    whose password is the winner's.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { CookieJar, csrfOf, introspect, pkce, registerClient, tokenRequest } from '../lib/flow.js';
import { MxauthServer } from '../lib/server.js';

const SECRET = 'e2e-login-races-homeserver-secret';
const USER = { name: 'lena', password: 'lena logs in twenty times at once' };
const LOGINS = Number(process.env.MXAUTH_RACE_LOGINS ?? 20);
const REGISTRANTS = Number(process.env.MXAUTH_RACE_REGISTRANTS ?? 12);
const REDIRECT_URI = 'http://127.0.0.1/cb';

function legacyLogin(server, password = USER.password, user = USER.name) {
  return fetch(server.url('/_matrix/client/v3/login'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'm.login.password', identifier: { type: 'm.id.user', user }, password }),
  });
}

describeServer('per-address login limit off', {
  MXAUTH_RATE_LIMITS__LOGIN__PER_IP__BURST: '0',
}, (ctx) => {
  test(`${LOGINS} parallel complete browser logins of one user: each its own session, device and active token`, async () => {
    const { server, client } = ctx;
    const browse = async (jar, path, form) => {
      const response = await fetch(new URL(path, server.base), {
        method: form ? 'POST' : 'GET',
        redirect: 'manual',
        headers: { cookie: jar.header(), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
        body: form ? new URLSearchParams(form) : undefined,
      });
      jar.store(response);
      return response;
    };
    // Each browser first loads the login form; then all submit at once.
    const jars = Array.from({ length: LOGINS }, () => new CookieJar());
    const tokens = await Promise.all(jars.map(async (jar) => browse(jar, '/login').then((r) => r.text()).then(csrfOf)));
    const logins = await Promise.all(jars.map((jar, i) => browse(jar, '/login', {
      csrf: tokens[i], username: USER.name, password: USER.password,
    })));
    assert.deepEqual(logins.map((r) => r.status), Array(LOGINS).fill(303), 'every login is accepted');

    // Then each authorizes the client for a device of its own and exchanges
    // its code, all at once.
    const grants = await Promise.all(jars.map(async (jar, i) => {
      const { verifier, challenge } = pkce();
      const authorize = new URL('/authorize', server.base);
      authorize.search = new URLSearchParams({
        response_type: 'code', client_id: client.client_id, redirect_uri: REDIRECT_URI,
        scope: `openid urn:matrix:client:api:* urn:matrix:client:device:RACEDEVICE${String(i).padStart(3, "0")}`, state: `s${i}`,
        code_challenge: challenge, code_challenge_method: 'S256',
      }).toString();
      // A consent another login already gave may be remembered, and the
      // authorization endpoint then redirects to the client straight away.
      let response = await browse(jar, authorize.pathname + authorize.search);
      assert.equal(response.status, 303);
      const continuePath = response.headers.get('location');
      if (!continuePath.startsWith(REDIRECT_URI)) {
        response = await browse(jar, continuePath);
        if (response.status === 200) {
          response = await browse(jar, continuePath, { csrf: csrfOf(await response.text()), action: 'allow' });
        }
      }
      const back = new URL(response.headers.get('location'), server.base);
      assert.equal(back.searchParams.get('state'), `s${i}`);
      const code = back.searchParams.get('code');
      assert.ok(code, `came back with a code: ${back}`);
      const exchanged = await tokenRequest(server, {
        grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, client_id: client.client_id,
        code_verifier: verifier,
      });
      assert.equal(exchanged.status, 200);
      return exchanged.json();
    }));

    const seen = await Promise.all(grants.map((grant) => introspect(server, SECRET, grant.access_token)));
    assert.ok(seen.every((info) => info.active), 'every access token is active');
    assert.ok(seen.every((info) => info.username === USER.name), 'all of one user');
    assert.equal(new Set(seen.map((info) => info.device_id)).size, LOGINS, 'a device each');
    assert.equal(new Set(grants.map((grant) => grant.refresh_token)).size, LOGINS, 'a refresh token each');
    // A session each: ending one leaves the others active.
    const revoked = await fetch(server.url('/oauth2/revoke'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: grants[0].refresh_token, client_id: client.client_id }),
    });
    assert.equal(revoked.status, 200);
    assert.equal((await introspect(server, SECRET, grants[0].access_token)).active, false);
    assert.equal((await introspect(server, SECRET, grants[1].access_token)).active, true);
  });

  test(`${LOGINS} parallel legacy password logins of one user: all 200, a device each, all active`, async () => {
    const { server } = ctx;
    const answers = await Promise.all(Array.from({ length: LOGINS }, () => legacyLogin(server)));
    assert.deepEqual(answers.map((r) => r.status), Array(LOGINS).fill(200));
    const bodies = await Promise.all(answers.map((r) => r.json()));
    assert.equal(new Set(bodies.map((b) => b.device_id)).size, LOGINS, 'a device each');
    assert.equal(new Set(bodies.map((b) => b.access_token)).size, LOGINS);
    const seen = await Promise.all(bodies.map((b) => introspect(server, SECRET, b.access_token)));
    assert.ok(seen.every((info) => info.active));
    assert.deepEqual(seen.map((info) => info.device_id).sort(), bodies.map((b) => b.device_id).sort());
  });

  test(`${REGISTRANTS} parallel registrations of one username: one account, the others "taken"`, async () => {
    const { server } = ctx;
    const name = 'raceuser';
    const spelled = (i) => [...name].map((c, j) => (((i >> (j % 4)) & 1) ? c.toUpperCase() : c)).join('');
    const jars = Array.from({ length: REGISTRANTS }, () => new CookieJar());
    const csrf = await Promise.all(jars.map(async (jar) => {
      const page = await fetch(server.url('/register'), { redirect: 'manual' });
      jar.store(page);
      return csrfOf(await page.text());
    }));
    const passwords = jars.map((_, i) => `registrant ${i} has a long passphrase`);
    const answers = await Promise.all(jars.map((jar, i) => fetch(server.url('/register'), {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie: jar.header(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        csrf: csrf[i], username: spelled(i), email: `racer${i}@example.org`,
        password: passwords[i], password_confirm: passwords[i],
      }),
    })));
    const texts = await Promise.all(answers.map((r) => r.text()));

    const winners = answers.map((r, i) => ({ status: r.status, i })).filter(({ status }) => status === 303);
    assert.equal(winners.length, 1, `one registration succeeds: ${answers.map((r) => r.status)}`);
    const winner = winners[0].i;
    assert.ok(answers[winner].headers.getSetCookie().length > 0, 'the winner is signed in');
    answers.forEach((r, i) => {
      if (i === winner) return;
      assert.equal(r.status, 409, `registrant ${i}`);
      assert.match(texts[i], /This username is taken/, `registrant ${i} is told why`);
    });

    // One user, whose password is the winner's.
    const database = join(server.dir, 'data', 'mxauth.db');
    const count = spawnSync('sqlite3', [database, "SELECT count(*) FROM users WHERE lower(localpart) = 'raceuser'"], { encoding: 'utf8' });
    assert.equal(count.status, 0, count.stderr);
    assert.equal(count.stdout.trim(), '1', 'one row in users');
    assert.equal((await legacyLogin(server, passwords[winner], name)).status, 200, "the winner's password");
    // A few losers' passwords (the per-account limit allows 5 wrong ones).
    const losers = passwords.filter((_, i) => i !== winner).slice(0, 4);
    const tries = await Promise.all(losers.map((password) => legacyLogin(server, password, name)));
    assert.deepEqual(tries.map((r) => r.status), losers.map(() => 403), "the losers' passwords are wrong");
  });
});

describeServer('default per-address login limit', {}, (ctx) => {
  test(`${LOGINS} parallel legacy logins from one address: the burst gets through, the rest a clear 429`, async () => {
    const { server } = ctx;
    const BURST = 10;
    const REFILL_MS = 3000;
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: LOGINS }, () => legacyLogin(server)));
    const elapsed = Date.now() - started;
    const ok = answers.filter((r) => r.status === 200).length;
    const limited = answers.filter((r) => r.status === 429);
    assert.equal(ok + limited.length, LOGINS, `only 200 or 429: ${answers.map((r) => r.status)}`);
    assert.ok(ok >= BURST && ok <= BURST + Math.ceil(elapsed / REFILL_MS), `${ok} of ${LOGINS} in ${elapsed} ms`);
    for (const response of limited) {
      const body = await response.json();
      assert.equal(body.errcode, 'M_LIMIT_EXCEEDED');
      assert.ok(body.retry_after_ms > 0);
    }
  });
});

// Runs the tests of `body` against a server of their own with `env`.
function describeServer(name, env, body) {
  describe(name, () => {
    const ctx = {};
    before(async () => {
    ctx.server = await MxauthServer.start({ env: { MXAUTH_MATRIX__SECRET: SECRET, ...env } });
    ctx.server.addUser(USER.name, USER.password);
    ctx.client = await registerClient(ctx.server, {
      client_name: 'Login Race App',
      client_uri: 'https://login-races.example.test/',
      redirect_uris: [REDIRECT_URI],
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    });
  });
    after(async () => {
      assert.equal(await ctx.server.stop(), 0);
    });
    body(ctx);
  });
}
