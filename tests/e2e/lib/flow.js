// Helpers shared by the end-to-end tests that run an authorization-code flow:
// a local redirect target, the browser steps (login, consent), token
// introspection as the homeserver, and plain PKCE values.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

// A tiny HTTP server standing in for a client's loopback redirect URI; it
// records every URL the browser was sent back to.
export async function startCallbackServer() {
  const hits = [];
  const srv = createServer((req, res) => {
    if (req.url !== '/favicon.ico') hits.push(new URL(req.url, `http://127.0.0.1:${srv.address().port}`));
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!DOCTYPE html><title>client</title>back at the client');
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = srv.address().port;
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    hits,
    close: () => new Promise((resolve) => { srv.closeAllConnections?.(); srv.close(resolve); }),
  };
}

// Fills and submits form#login on the current page.
export async function submitLogin(page, username, password) {
  await page.fill('form#login [name=username]', username);
  await page.fill('form#login [name=password]', password);
  await Promise.all([page.waitForNavigation(), page.click('form#login button[type=submit]')]);
}

// Clicks Allow on the consent page and waits until the browser is back at the
// callback server; returns the full URL it landed on (query and fragment).
export async function allowConsent(page, callback) {
  await page.waitForSelector('form#consent');
  await Promise.all([
    page.waitForURL(`${callback.origin}/**`),
    page.click('form#consent button[name=action][value=allow]'),
  ]);
  return new URL(page.url());
}

// Opens the authorization URL in a fresh context, logs in as USER, consents,
// and returns the URL the browser was sent back to. Options: onLogin(page)
// and onConsent(page), called on the login and the consent page.
export async function authorizeInBrowser(browser, authorizationUrl, callback, user, options = {}) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(authorizationUrl.toString());
    await page.waitForSelector('form#login');
    if (options.onLogin) await options.onLogin(page);
    await submitLogin(page, user.name, user.password);
    if (options.onConsent) await options.onConsent(page);
    return await allowConsent(page, callback);
  } finally {
    await context.close();
  }
}

// A browser's cookies, for fetch (which keeps none).
export class CookieJar {
  #cookies = new Map();
  header() { return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; '); }
  store(response) {
    for (const line of response.headers.getSetCookie()) {
      const pair = line.split(';')[0];
      const at = pair.indexOf('=');
      this.#cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
  }
}

// The CSRF token of a page's form.
export function csrfOf(html) {
  const match = html.match(/name="csrf" value="([^"]+)"/);
  assert.ok(match, 'the page carries a CSRF token');
  return match[1];
}

// Introspects TOKEN as the homeserver (Bearer matrix.secret).
export async function introspect(server, secret, token) {
  const response = await fetch(server.url('/oauth2/introspect'), {
    method: 'POST',
    headers: {
      authorization: `Bearer ${secret}`,
      'content-type': 'application/x-www-form-urlencoded',
      'x-mas-supports-device-id': '1',
    },
    body: new URLSearchParams({ token }),
  });
  assert.equal(response.status, 200);
  return response.json();
}

// The URL of an authorization request to SERVER: response_type=code plus PARAMS.
export function authorizationUrl(server, params) {
  const url = new URL(server.url('/authorize'));
  url.search = new URLSearchParams({ response_type: 'code', ...params }).toString();
  return url;
}

// POSTs PARAMS as a form to the token endpoint; returns the fetch Response.
export function tokenRequest(server, params) {
  return fetch(server.url('/oauth2/token'), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params),
  });
}

export function pkce() {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  return { verifier, challenge };
}

// Dynamic client registration; returns the parsed 201 body.
export async function registerClient(server, metadata) {
  const response = await fetch(server.url('/oauth2/registration'), {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(metadata),
  });
  const body = await response.json();
  assert.equal(response.status, 201, `registration failed: ${JSON.stringify(body)}`);
  return body;
}

// A fresh authorization code for CLIENT_ID: a browser login as USER and
// consent to SCOPE, with PKCE. Returns {code, verifier, redirectUri, state}.
export async function authorizeForCode(browser, server, callback, clientId, user, scope) {
  const { verifier, challenge } = pkce();
  const state = randomBytes(8).toString('hex');
  const redirectUri = `${callback.origin}/cb`;
  const url = authorizationUrl(server, {
    client_id: clientId, redirect_uri: redirectUri, scope, state,
    code_challenge: challenge, code_challenge_method: 'S256',
  });
  const back = await authorizeInBrowser(browser, url, callback, user);
  assert.equal(back.searchParams.get('state'), state);
  const code = back.searchParams.get('code');
  assert.ok(code, `the browser came back with a code: ${back}`);
  return { code, verifier, redirectUri, state };
}

// The token request that redeems a code from authorizeForCode().
export function exchangeCode(server, clientId, { code, verifier, redirectUri }) {
  return tokenRequest(server, {
    grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: clientId, code_verifier: verifier,
  });
}

// RFC 7009 revocation by a public client; returns the fetch Response.
export function revokeToken(server, clientId, token, hint) {
  return fetch(server.url('/oauth2/revoke'), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, client_id: clientId, ...(hint ? { token_type_hint: hint } : {}) }),
  });
}
