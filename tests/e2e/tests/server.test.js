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
