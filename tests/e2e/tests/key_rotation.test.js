// Signing-key rotation while serving (docs/operations.md, "Signing keys and
// their rotation"; security checklist E.35): a steady load of
// authorization-code flows, each ending in an ID token, runs while
// `mxauth keys rotate` changes the keys of the running server. Every ID token
// must verify (jose) against the JWKS the server serves right after issuing
// it, i.e. no token is ever signed with a key the JWKS lacks; new tokens move
// to the new keys without a restart; and once the (shortened) grace period is
// over the old kids leave the JWKS.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';

import * as jose from 'jose';

import { CookieJar, csrfOf, pkce, registerClient, tokenRequest } from '../lib/flow.js';
import { binary, MxauthServer } from '../lib/server.js';

const USER = { name: 'kira', password: 'kira rotates keys with a long passphrase' };
const REDIRECT_URI = 'http://127.0.0.1/cb';
const GRACE_SECONDS = 5;
const WORKERS = 4;
const TOKENS_BEFORE = 8;
const TOKENS_AFTER = 8;

let server;
let client;
before(async () => {
  server = await MxauthServer.start({
    env: {
      MXAUTH_SECRETS__KEY_ROTATION__CHECK_INTERVAL: '1',
      MXAUTH_SECRETS__KEY_ROTATION__ACTIVATION_DELAY: '0',
      MXAUTH_SECRETS__KEY_ROTATION__GRACE_PERIOD: String(GRACE_SECONDS),
    },
  });
  server.addUser(USER.name, USER.password);
  client = await registerClient(server, {
    client_name: 'Rotation Test App',
    client_uri: 'https://rotation.example.test/',
    redirect_uris: [REDIRECT_URI],
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  });
});
after(async () => {
  assert.equal(await server.stop(), 0);
});

// Polls CONDITION (async) until it is truthy or DEADLINE_MS passes.
// A failure of the load, once known, ends every wait at once.
let loadFailure = null;
async function eventually(condition, what, deadlineMs = 20000) {
  const until = Date.now() + deadlineMs;
  for (;;) {
    if (loadFailure) throw loadFailure;
    const value = await condition();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// `mxauth ARGS...` without blocking the event loop, so that the load keeps
// running while the command does.
async function cliAsync(args) {
  const { stdout } = await promisify(execFile)(binary, args, { cwd: server.dir, env: server.env });
  return stdout;
}

async function browse(jar, path, form) {
  const response = await fetch(new URL(path, server.base), {
    method: form ? 'POST' : 'GET',
    redirect: 'manual',
    headers: {
      cookie: jar.header(),
      ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
    },
    body: form ? new URLSearchParams(form) : undefined,
  });
  jar.store(response);
  return response;
}

async function logIn(jar) {
  const form = await browse(jar, '/login');
  const done = await browse(jar, '/login', {
    csrf: csrfOf(await form.text()), username: USER.name, password: USER.password,
  });
  assert.equal(done.status, 303);
}

// One authorization-code flow as a signed-in browser would run it (the
// consent page answered with Allow), then the code exchange. Returns the ID
// token and the JWKS the server served right after issuing it.
async function issueIdToken(jar) {
  const { verifier, challenge } = pkce();
  const authorize = new URL('/authorize', server.base);
  authorize.search = new URLSearchParams({
    response_type: 'code', client_id: client.client_id, redirect_uri: REDIRECT_URI, scope: 'openid',
    state: 'rotation', code_challenge: challenge, code_challenge_method: 'S256',
  }).toString();
  let response = await browse(jar, authorize.pathname + authorize.search);
  assert.equal(response.status, 303);
  const continuePath = response.headers.get('location');
  response = await browse(jar, continuePath);
  if (response.status === 200) {
    response = await browse(jar, continuePath, { csrf: csrfOf(await response.text()), action: 'allow' });
  }
  const back = new URL(response.headers.get('location'), server.base);
  const code = back.searchParams.get('code');
  assert.ok(code, `came back with a code: ${back}`);
  const tokens = await tokenRequest(server, {
    grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, client_id: client.client_id,
    code_verifier: verifier,
  });
  assert.equal(tokens.status, 200);
  const { id_token: idToken } = await tokens.json();
  const jwks = await (await fetch(server.url('/oauth2/keys.json'))).json();
  return { idToken, jwks };
}

async function jwksKids() {
  const jwks = await (await fetch(server.url('/oauth2/keys.json'))).json();
  return new Set(jwks.keys.map((key) => key.kid));
}

test('ID tokens issued during a rotation all verify against the JWKS served with them', async () => {
  const issued = [];
  let stop = false;
  const worker = async () => {
    const jar = new CookieJar();
    await logIn(jar);
    while (!stop) issued.push(await issueIdToken(jar));
  };
  const workers = Array.from({ length: WORKERS }, worker);
  const load = Promise.all(workers);
  load.catch((error) => { loadFailure = error; });

  try {
    await eventually(() => issued.length >= TOKENS_BEFORE, 'tokens before the rotation');
    const oldKids = await jwksKids();
    const rotated = JSON.parse(await cliAsync(['keys', 'rotate']));
    const newKids = new Set(rotated.keys.map((key) => key.kid));
    assert.equal(newKids.size, 3, 'one new key per algorithm in use');
    for (const key of rotated.keys) assert.equal(key.state, 'active');

    // The running server picks the new keys up by itself.
    await eventually(async () => {
      const kids = await jwksKids();
      return [...newKids].every((kid) => kids.has(kid));
    }, 'the new keys in the JWKS');
    const signedWithNew = () =>
      issued.filter(({ idToken }) => newKids.has(jose.decodeProtectedHeader(idToken).kid)).length;
    await eventually(() => signedWithNew() >= TOKENS_AFTER, 'tokens signed with the new key');
    stop = true;
    await load;

    const kidsUsed = new Set(issued.map(({ idToken }) => jose.decodeProtectedHeader(idToken).kid));
    assert.ok([...kidsUsed].some((kid) => oldKids.has(kid) && !newKids.has(kid)), 'some tokens were signed before');
    assert.ok([...kidsUsed].some((kid) => newKids.has(kid)), 'some tokens were signed after');
    for (const { idToken, jwks } of issued) {
      const { kid } = jose.decodeProtectedHeader(idToken);
      assert.ok(jwks.keys.some((key) => key.kid === kid), `kid ${kid} was in the JWKS served with its token`);
      const { payload } = await jose.jwtVerify(idToken, jose.createLocalJWKSet(jwks), {
        issuer: server.base, audience: client.client_id,
      });
      assert.ok(payload.sub);
    }

    // After the grace period the old keys retire by themselves.
    const retiredKids = [...oldKids].filter((kid) => !newKids.has(kid));
    await eventually(async () => {
      const kids = await jwksKids();
      return retiredKids.every((kid) => !kids.has(kid));
    }, 'the old keys leaving the JWKS', (GRACE_SECONDS + 15) * 1000);
    const current = await (await fetch(server.url('/oauth2/keys.json'))).json();
    const oldToken = issued.find(({ idToken }) => retiredKids.includes(jose.decodeProtectedHeader(idToken).kid));
    await assert.rejects(
      jose.jwtVerify(oldToken.idToken, jose.createLocalJWKSet(current), { issuer: server.base }),
      { code: 'ERR_JWKS_NO_MATCHING_KEY' },
    );
    const listed = JSON.parse(await cliAsync(['keys', 'list', '--json']));
    for (const kid of retiredKids) {
      assert.equal(listed.keys.find((key) => key.kid === kid)?.state, 'retired');
    }
  } finally {
    stop = true;
    await load.catch(() => {});
  }
});
