// Client authentication with signed assertions (RFC 7523 §2.2, OpenID
// Connect Core §9) end to end: panva's jose makes the client keys and signs
// hand-made assertions, openid-client's PrivateKeyJwt and ClientSecretJwt
// run real client_credentials grants, introspection and revocation.
// Clients come from dynamic registration (inline jwks, a jwks_uri served
// by a small Node server on loopback, client_secret_jwt) and from
// `mxauth client add --auth-method private_key_jwt --jwks FILE`.
// Security checklist B.18 (jwks_uri SSRF), C.23 and E.34.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import * as client from 'openid-client';

import { MxauthServer } from '../lib/server.js';

const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
const insecure = { execute: [client.allowInsecureRequests] };

// A key pair from jose, with its public JWK (kid and alg set).
async function clientKey(alg, kid) {
  const { publicKey, privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { alg, kid, privateKey, jwk };
}

// A loopback HTTP server publishing a JWK set; counts the requests it gets.
async function startJwksServer(keys) {
  const state = { requests: 0, keys };
  const srv = createServer((req, res) => {
    state.requests += 1;
    res.writeHead(200, { 'content-type': 'application/jwk-set+json' });
    res.end(JSON.stringify({ keys: state.keys.map((k) => k.jwk) }));
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  state.port = srv.address().port;
  state.close = () => new Promise((resolve) => { srv.closeAllConnections?.(); srv.close(resolve); });
  return state;
}

async function register(srv, metadata) {
  const response = await fetch(srv.url('/oauth2/registration'), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: 'E2E backend',
      client_uri: 'https://backend.example.test/',
      grant_types: ['client_credentials'],
      response_types: [],
      ...metadata,
    }),
  });
  return { status: response.status, body: await response.json() };
}

// openid-client configured for CLIENT_ID with AUTH; every form body it sends
// is recorded in SENT.
async function configure(srv, clientId, auth, sent = []) {
  const config = await client.discovery(new URL(srv.base), clientId, undefined, auth, insecure);
  config[client.customFetch] = (url, options) => {
    if (options.body) sent.push(String(options.body));
    return fetch(url, options);
  };
  return config;
}

// A raw token request with the given assertion (and optional client_id).
async function tokenWithAssertion(srv, assertion, extra = {}) {
  const response = await fetch(srv.url('/oauth2/token'), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_assertion_type: ASSERTION_TYPE,
      client_assertion: assertion,
      ...extra,
    }),
  });
  return { status: response.status, body: await response.json() };
}

function assertInvalidClient(result, why) {
  assert.equal(result.status, 401, `${why}: ${JSON.stringify(result.body)}`);
  assert.equal(result.body.error, 'invalid_client', why);
  assert.equal(result.body.error_description, 'Client authentication failed.', why);
}

// openid-client rejects a failed grant with an error carrying the response.
async function assertGrantRefused(promise, why) {
  const error = await promise.then(() => null, (e) => e);
  assert.ok(error, `${why}: the grant must fail`);
  const status = error.status ?? error.response?.status;
  assert.equal(status, 401, `${why}: ${error}`);
  const code = error.error ?? error.cause?.error ?? error.cause?.[0]?.parameters?.error;
  if (code !== undefined) assert.equal(code, 'invalid_client', why);
}

// A hand-made assertion for CLIENT_ID signed with KEY; CLAIMS override.
async function signAssertion(srv, clientId, key, claims = {}) {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ jti: randomUUID(), ...claims })
    .setProtectedHeader({ alg: key.alg, kid: key.kid })
    .setIssuer(claims.iss ?? clientId)
    .setSubject(clientId)
    .setAudience(claims.aud ?? srv.base)
    .setIssuedAt(claims.iat ?? now)
    .setExpirationTime(claims.exp ?? now + 60)
    .sign(key.privateKey);
}

let server; // jwks_uri on loopback allowed (tests only)
let strict; // the defaults: https only, public addresses only
let jwks;
let keys;
before(async () => {
  server = await MxauthServer.start({
    env: {
      MXAUTH_CLIENTS__JWKS_URI__ALLOW_HTTP: 'true',
      MXAUTH_CLIENTS__JWKS_URI__ALLOW_PRIVATE_ADDRESSES: 'true',
    },
  });
  // Plain http is allowed here so that a host name reaches the fetch, where
  // its loopback address must be refused.
  strict = await MxauthServer.start({ env: { MXAUTH_CLIENTS__JWKS_URI__ALLOW_HTTP: 'true' } });
  keys = {
    es: await clientKey('ES256', 'es-1'),
    ed: await clientKey('EdDSA', 'ed-1'),
    ps: await clientKey('PS256', 'ps-1'),
    rs: await clientKey('RS256', 'rs-1'),
  };
  jwks = await startJwksServer([keys.ed, keys.ps]);
});
after(async () => {
  await jwks?.close();
  assert.equal(await strict.stop(), 0);
  assert.equal(await server.stop(), 0);
});

test('discovery advertises the assertion methods and algorithms', async () => {
  const metadata = await (await fetch(server.url('/.well-known/openid-configuration'))).json();
  for (const member of ['token_endpoint_auth_methods_supported', 'revocation_endpoint_auth_methods_supported',
    'introspection_endpoint_auth_methods_supported']) {
    assert.ok(metadata[member].includes('private_key_jwt'), member);
    assert.ok(metadata[member].includes('client_secret_jwt'), member);
  }
  assert.deepEqual(metadata.token_endpoint_auth_signing_alg_values_supported,
    ['RS256', 'PS256', 'ES256', 'EdDSA', 'Ed25519', 'HS256', 'HS384', 'HS512']);
});

test('private_key_jwt with an inline jwks from `client add --jwks`: grant, introspection, revocation', async () => {
  const file = join(server.dir, 'client-jwks.json');
  writeFileSync(file, JSON.stringify({ keys: [keys.es.jwk, keys.rs.jwk] }));
  const added = JSON.parse(server.cli(['client', 'add', '--name', 'E2E static backend',
    '--grant', 'client_credentials', '--auth-method', 'private_key_jwt', '--jwks', file]));
  assert.equal(added.client_secret, undefined, 'a key client gets no secret');

  const config = await configure(server, added.client_id,
    client.PrivateKeyJwt({ key: keys.es.privateKey, kid: keys.es.kid }));
  const tokens = await client.clientCredentialsGrant(config);
  assert.ok(tokens.access_token);

  const introspection = await client.tokenIntrospection(config, tokens.access_token);
  assert.equal(introspection.active, true);
  assert.equal(introspection.client_id, added.client_id);
  await client.tokenRevocation(config, tokens.access_token);
  assert.equal((await client.tokenIntrospection(config, tokens.access_token)).active, false);

  // The RS256 key of the same set works too; a key the client never
  // published does not.
  const rsa = await configure(server, added.client_id,
    client.PrivateKeyJwt({ key: keys.rs.privateKey, kid: keys.rs.kid }));
  assert.ok((await client.clientCredentialsGrant(rsa)).access_token);
  const stranger = await clientKey('ES256', keys.es.kid);
  const impostor = await configure(server, added.client_id,
    client.PrivateKeyJwt({ key: stranger.privateKey, kid: stranger.kid }));
  await assertGrantRefused(client.clientCredentialsGrant(impostor), 'a key the client did not publish');
});

test('private_key_jwt with a jwks_uri on loopback (allowed by config), EdDSA and PS256', async () => {
  const registered = await register(server, {
    token_endpoint_auth_method: 'private_key_jwt',
    jwks_uri: `http://127.0.0.1:${jwks.port}/jwks.json`,
  });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  const clientId = registered.body.client_id;
  const before = jwks.requests;

  for (const key of [keys.ed, keys.ps]) {
    const config = await configure(server, clientId, client.PrivateKeyJwt({ key: key.privateKey, kid: key.kid }));
    const tokens = await client.clientCredentialsGrant(config);
    assert.ok(tokens.access_token, key.alg);
  }
  assert.equal(jwks.requests, before + 1, 'the key set was fetched once and then cached');
});

test('the same assertion is accepted once', async () => {
  const registered = await register(server, {
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: { keys: [keys.es.jwk] },
  });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  const sent = [];
  const config = await configure(server, registered.body.client_id,
    client.PrivateKeyJwt({ key: keys.es.privateKey, kid: keys.es.kid }), sent);
  assert.ok((await client.clientCredentialsGrant(config)).access_token);

  // Replay exactly what openid-client sent.
  const body = new URLSearchParams(sent.at(-1));
  assert.equal(body.get('client_assertion_type'), ASSERTION_TYPE);
  const replay = await fetch(server.url('/oauth2/token'), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  assertInvalidClient({ status: replay.status, body: await replay.json() }, 'replayed assertion');
});

test('assertions with a wrong audience, expired, too long, or alg none are refused', async () => {
  const registered = await register(server, {
    token_endpoint_auth_method: 'private_key_jwt',
    jwks: { keys: [keys.es.jwk] },
  });
  const clientId = registered.body.client_id;
  const now = Math.floor(Date.now() / 1000);

  assertInvalidClient(await tokenWithAssertion(server, await signAssertion(server, clientId, keys.es,
    { aud: 'https://other.test' })), 'wrong aud');
  assertInvalidClient(await tokenWithAssertion(server, await signAssertion(server, clientId, keys.es,
    { iat: now - 360, exp: now - 300 })), 'expired five minutes ago');
  assertInvalidClient(await tokenWithAssertion(server, await signAssertion(server, clientId, keys.es,
    { exp: now + 3600 })), 'an hour long');
  assertInvalidClient(await tokenWithAssertion(server, await signAssertion(server, clientId, keys.es,
    { iat: now - 200, exp: now + 200 })), 'exp - iat beyond five minutes');
  const unsigned = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({
    iss: clientId, sub: clientId, aud: server.base, exp: now + 60, jti: randomUUID(),
  })).toString('base64url')}.`;
  assertInvalidClient(await tokenWithAssertion(server, unsigned), 'alg none');

  // Through openid-client too: its assertion with the audience changed.
  const config = await configure(server, clientId, client.PrivateKeyJwt(
    { key: keys.es.privateKey, kid: keys.es.kid },
    { [client.modifyAssertion]: (_header, payload) => { payload.aud = 'https://other.test'; } },
  ));
  await assertGrantRefused(client.clientCredentialsGrant(config), 'openid-client assertion with a wrong aud');

  // The token endpoint URL is a good audience, and a client_id that matches
  // is fine.
  const ok = await tokenWithAssertion(server, await signAssertion(server, clientId, keys.es,
    { aud: server.url('/oauth2/token') }), { client_id: clientId });
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
});

test('client_secret_jwt through openid-client (HS256) and by hand (HS512)', async () => {
  const registered = await register(server, { token_endpoint_auth_method: 'client_secret_jwt' });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  const { client_id: clientId, client_secret: secret } = registered.body;
  assert.ok(secret.length >= 64);

  const config = await configure(server, clientId, client.ClientSecretJwt(secret));
  const tokens = await client.clientCredentialsGrant(config);
  assert.ok(tokens.access_token);
  assert.equal((await client.tokenIntrospection(config, tokens.access_token)).active, true);

  const hmac = { alg: 'HS512', kid: undefined, privateKey: new TextEncoder().encode(secret) };
  const ok = await tokenWithAssertion(server, await signAssertion(server, clientId, hmac));
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  const wrong = { ...hmac, privateKey: new TextEncoder().encode(`${secret}x`) };
  assertInvalidClient(await tokenWithAssertion(server, await signAssertion(server, clientId, wrong)),
    'HMAC with another secret');
});

test('a jwks_uri on loopback is never fetched when the config does not allow it', async () => {
  const literal = await register(strict, {
    token_endpoint_auth_method: 'private_key_jwt',
    jwks_uri: `http://127.0.0.1:${jwks.port}/jwks.json`,
  });
  assert.equal(literal.status, 400, 'an IP literal is refused at registration');
  assert.equal(literal.body.error, 'invalid_client_metadata');

  // A host name passes registration; the fetch sees it resolve to loopback.
  const named = await register(strict, {
    token_endpoint_auth_method: 'private_key_jwt',
    jwks_uri: `http://localhost:${jwks.port}/jwks.json`,
  });
  assert.equal(named.status, 201, JSON.stringify(named.body));
  const before = jwks.requests;
  const config = await configure(strict, named.body.client_id,
    client.PrivateKeyJwt({ key: keys.ed.privateKey, kid: keys.ed.kid }));
  await assertGrantRefused(client.clientCredentialsGrant(config), 'loopback jwks_uri');
  assert.equal(jwks.requests, before, 'no request reached the loopback key server');
});
