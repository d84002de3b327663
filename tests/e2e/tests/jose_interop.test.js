// Interoperability of our own JWS/JWK code (src/crypto over OpenSSL 3) with
// panva's jose: for each signing algorithm a client can register
// (id_token_signed_response_alg RS256, ES256, EdDSA), run the code flow and
// verify the ID token against the published JWKS, checking at_hash and c_hash
// independently; and check that the JWKS publishes no private key material.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';

import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';

import { launchBrowser } from '../lib/browser.js';
import { allowConsent, pkce, registerClient, startCallbackServer, submitLogin } from '../lib/flow.js';
import { MxauthServer } from '../lib/server.js';

const USER = { name: 'carol', password: 'carol picks a long passphrase' };
const ALGORITHMS = ['RS256', 'ES256', 'EdDSA'];
// Members of a JWK that carry private (or symmetric) key material.
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

let server;
let browser;
let context;
let page;
let callback;
before(async () => {
  server = await MxauthServer.start();
  server.addUser(USER.name, USER.password, ['--email', 'carol@example.test']);
  browser = await launchBrowser();
  // One browser session for all three clients: log in once, consent each time.
  context = await browser.newContext();
  page = await context.newPage();
  callback = await startCallbackServer();
});
after(async () => {
  await callback?.close();
  await context?.close();
  await browser?.close();
  assert.equal(await server.stop(), 0);
});

// OIDC Core §3.1.3.6: the base64url of the left-most half of the hash of the
// ASCII octets of the value, with the hash of the JWS alg (SHA-512 for
// Ed25519 EdDSA, as implementations agree).
function halfHash(alg, value) {
  const hash = { RS256: 'sha256', ES256: 'sha256', EdDSA: 'sha512' }[alg];
  const digest = createHash(hash).update(value, 'ascii').digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

test('the JWKS holds one public key per algorithm and no private members', async () => {
  const response = await fetch(server.url('/oauth2/keys.json'));
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type'), /^application\/(jwk-set\+)?json/);
  const { keys } = await response.json();
  assert.deepEqual(keys.map((k) => k.alg).sort(), [...ALGORITHMS].sort());
  for (const key of keys) {
    for (const member of PRIVATE_MEMBERS) assert.ok(!(member in key), `${key.alg} key has no "${member}"`);
    assert.equal(key.use, 'sig');
    assert.ok(key.kid, 'every key has a kid');
  }
  assert.equal(new Set(keys.map((k) => k.kid)).size, keys.length, 'kids are unique');
  const byAlg = Object.fromEntries(keys.map((k) => [k.alg, k]));
  assert.deepEqual([byAlg.RS256.kty, byAlg.ES256.kty, byAlg.ES256.crv, byAlg.EdDSA.kty, byAlg.EdDSA.crv],
    ['RSA', 'EC', 'P-256', 'OKP', 'Ed25519']);
  assert.ok(Buffer.from(byAlg.RS256.n, 'base64url').length >= 256, 'RSA modulus of at least 2048 bits');
});

for (const alg of ALGORITHMS) {
  test(`an ID token signed with ${alg} verifies with jose, with at_hash and c_hash`, async () => {
    const metadata = await (await fetch(server.url('/.well-known/openid-configuration'))).json();
    assert.ok(metadata.id_token_signing_alg_values_supported.includes(alg));
    const registered = await registerClient(server, {
      client_name: `jose ${alg}`,
      client_uri: 'https://jose.example.test/',
      redirect_uris: ['http://127.0.0.1/cb'],
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      response_types: ['code'],
      id_token_signed_response_alg: alg,
    });
    assert.equal(registered.id_token_signed_response_alg, alg);
    const clientId = registered.client_id;

    const { verifier, challenge } = pkce();
    const nonce = `nonce-${alg}-${Date.now()}`;
    const redirectUri = `${callback.origin}/cb`;
    const url = new URL(metadata.authorization_endpoint);
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: clientId,
      redirect_uri: redirectUri,
      scope: 'openid email urn:matrix:client:api:*',
      state: `state-${alg}`,
      nonce,
      code_challenge: challenge,
      code_challenge_method: 'S256',
    }).toString();
    await page.goto(url.toString());
    const form = await page.waitForSelector('form#login, form#consent');
    if (await form.getAttribute('id') === 'login') await submitLogin(page, USER.name, USER.password);
    const back = await allowConsent(page, callback);
    assert.equal(back.searchParams.get('state'), `state-${alg}`);
    const code = back.searchParams.get('code');

    const tokenResponse = await fetch(metadata.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: clientId, code_verifier: verifier,
      }),
    });
    const tokens = await tokenResponse.json();
    assert.equal(tokenResponse.status, 200, JSON.stringify(tokens));
    assert.ok(tokens.id_token, 'openid scope yields an ID token');

    const header = decodeProtectedHeader(tokens.id_token);
    assert.equal(header.alg, alg);
    assert.ok(header.kid);
    const jwks = createRemoteJWKSet(new URL(metadata.jwks_uri));
    const { payload, protectedHeader, key } = await jwtVerify(tokens.id_token, jwks, {
      issuer: server.base,
      audience: clientId,
      algorithms: [alg],
      requiredClaims: ['sub', 'iat', 'exp', 'auth_time', 'nonce', 'at_hash', 'c_hash'],
    });
    assert.equal(protectedHeader.kid, header.kid);
    assert.ok(key, 'jose picked the key from the JWKS');
    assert.equal(payload.nonce, nonce);
    assert.ok(payload.exp > payload.iat);
    assert.ok(Math.abs(payload.iat - Date.now() / 1000) < 60, 'iat is now');
    assert.ok(payload.auth_time <= payload.iat);
    assert.equal(payload.at_hash, halfHash(alg, tokens.access_token), 'at_hash');
    assert.equal(payload.c_hash, halfHash(alg, code), 'c_hash');
    // The ID token carries who and when; profile claims come from userinfo
    // in the code flow (OIDC Core §5.4), which must agree on the subject.
    const userinfo = await (await fetch(metadata.userinfo_endpoint, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    })).json();
    assert.equal(userinfo.sub, payload.sub);
    assert.equal(userinfo.email, 'carol@example.test', 'the email scope releases the email');

    // A token signed with another algorithm's key must not pass for this one.
    await assert.rejects(jwtVerify(tokens.id_token, jwks, {
      issuer: server.base, audience: clientId, algorithms: ALGORITHMS.filter((a) => a !== alg),
    }), { code: 'ERR_JOSE_ALG_NOT_ALLOWED' });
    // A tampered payload fails the signature check.
    const [h, p, s] = tokens.id_token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...payload, sub: 'someone-else' })).toString('base64url');
    await assert.rejects(jwtVerify(`${h}.${forged}.${s}`, jwks, { algorithms: [alg] }),
      { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
    assert.notEqual(p, forged);
  });
}
