// The server as a client and a browser first meet it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { launchBrowser } from '../lib/browser.js';
import { MxauthServer } from '../lib/server.js';

let server;
before(async () => { server = await MxauthServer.start(); });
after(async () => { assert.equal(await server.stop(), 0, 'SIGTERM must exit 0'); });

test('health answers 200 with no-store JSON', async () => {
  const response = await fetch(server.url('/health'));
  assert.equal(response.status, 200);
  assert.equal(response.headers.get('cache-control'), 'no-store');
  assert.deepEqual(await response.json(), { status: 'ok' });
});

test('chromium reaches the server on loopback', async () => {
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    const response = await page.goto(server.url('/health'));
    assert.equal(response.status(), 200);
    assert.match(await page.content(), /"status":"ok"/);
  } finally {
    await browser.close();
  }
});

test('token, revocation and userinfo answer browser clients cross-origin (CORS)', async () => {
  for (const [path, method] of [['/oauth2/token', 'POST'], ['/oauth2/revoke', 'POST'], ['/oauth2/userinfo', 'GET']]) {
    const preflight = await fetch(server.url(path), {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.element.io',
        'access-control-request-method': method,
        'access-control-request-headers': 'content-type, authorization',
      },
    });
    assert.equal(preflight.status, 204, path);
    assert.equal(preflight.headers.get('access-control-allow-origin'), '*', path);
    assert.match(preflight.headers.get('access-control-allow-methods'), new RegExp(method), path);
  }
  const refused = await fetch(server.url('/oauth2/token'), {
    method: 'POST',
    headers: { origin: 'https://app.element.io', 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=refresh_token&refresh_token=mar_nope&client_id=nope',
  });
  assert.equal(refused.headers.get('access-control-allow-origin'), '*');
  assert.equal((await refused.json()).error, 'invalid_client');
});

test('the authorization endpoint is not readable cross-origin', async () => {
  const response = await fetch(server.url('/authorize?client_id=x'), { headers: { origin: 'https://evil.example' } });
  assert.equal(response.headers.get('access-control-allow-origin'), null);
});
