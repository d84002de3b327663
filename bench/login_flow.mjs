// One complete password login as a browser makes it, scripted over HTTP
// (no browser): GET /authorize → the login page → POST the password → the
// consent page → POST allow → the redirect with the code → the token
// exchange with PKCE. A fresh cookie jar per login, so every login is a new
// browser session. Used by bench/run.mjs to obtain the tokens the other
// workloads use; the login workload itself runs the same flow in C++
// (bench/login_load.cpp), whose client costs far less CPU.
import { createHash, randomBytes } from 'node:crypto';

import { CookieJar } from '../tests/e2e/lib/flow.js';

// The hidden fields of the page's form (the CSRF token, the page to go to
// next), as a browser would send them back.
function hiddenFields(html, what) {
  const fields = {};
  for (const input of html.matchAll(/<input[^>]*type="hidden"[^>]*>/g)) {
    const name = input[0].match(/name="([^"]*)"/);
    const value = input[0].match(/value="([^"]*)"/);
    if (name) fields[name[1]] = (value ? value[1] : '').replaceAll('&amp;', '&').replaceAll('&quot;', '"');
  }
  if (!fields.csrf) throw new Error(`${what}: no CSRF field in the page`);
  return fields;
}

async function browse(base, jar, path, form) {
  const response = await fetch(new URL(path, base), {
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

function expectStatus(response, statuses, what) {
  if (!statuses.includes(response.status)) {
    const error = new Error(`${what}: HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
}

// Returns the token response ({access_token, refresh_token, ...}).
export async function passwordLogin({ base, clientId, redirectUri, username, password, scope }) {
  const jar = new CookieJar();
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const authorize = new URL('authorize', base);
  authorize.search = new URLSearchParams({
    response_type: 'code', client_id: clientId, redirect_uri: redirectUri, scope,
    state: randomBytes(8).toString('hex'), code_challenge: challenge, code_challenge_method: 'S256',
  }).toString();

  // Follow the redirects; answer the login form with the password and the
  // consent form with allow, until the redirect back to the client.
  let next = authorize.pathname + authorize.search;
  let loggedIn = false;
  for (let steps = 0; !next.startsWith(redirectUri); ++steps) {
    if (steps > 12) throw new Error('too many steps before the redirect back');
    let response = await browse(base, jar, next);
    if (response.status === 200) {
      const html = await response.text();
      const hidden = hiddenFields(html, new URL(next, base).pathname);
      if (html.includes('<form id="login"') && !loggedIn) {
        response = await browse(base, jar, next, { ...hidden, username, password });
        loggedIn = true;
      } else {
        response = await browse(base, jar, next, { ...hidden, action: 'allow' });
      }
    }
    expectStatus(response, [302, 303], new URL(next, base).pathname);
    next = response.headers.get('location');
  }
  const code = new URL(next).searchParams.get('code');
  if (!code) throw new Error(`came back without a code: ${next}`);
  const response = await fetch(new URL('oauth2/token', base), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: clientId, code_verifier: verifier,
    }),
  });
  expectStatus(response, [200], 'token exchange');
  return response.json();
}
