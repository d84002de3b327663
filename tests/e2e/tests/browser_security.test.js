// Browser-side defences, attacked from a second local origin in chromium
// (security checklist F.40 clickjacking, F.41 Referer leakage, F.38 consent
// CSRF). The attacker's pages come from lib/site.js: a plain HTTP server on
// another port of 127.0.0.1, i.e. a different origin on the same site as
// mxauth, so the browser still sends mxauth's SameSite=Lax cookies to its
// frames and form posts and only mxauth's own checks stand in the way. One
// CSRF variant is cross-site (http://evil.example.test, answered through a
// route by the same server), where SameSite keeps the cookies back.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { launchBrowser, recordRequests } from '../lib/browser.js';
import {
  allowConsent, authorizationUrl, introspect, pkce, registerClient, startCallbackServer, submitLogin, tokenRequest,
} from '../lib/flow.js';
import { MxauthServer } from '../lib/server.js';
import { escapeHtml, startSite } from '../lib/site.js';

const HOMESERVER_SECRET = 'e2e-browser-security-homeserver-secret';
const VICTIM = { name: 'victor', password: 'victor has a long passphrase' };
const ATTACKER = { name: 'mallory', password: 'mallory has a long passphrase' };
const CLIENT_HOST = 'security.example.test';
const LOGO_URI = `https://${CLIENT_HOST}/logo.svg`;
const LOGO_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">'
  + '<rect width="64" height="64" rx="14" fill="#1565c0"/></svg>';
const CROSS_SITE_ORIGIN = 'http://evil.example.test';

let server;
let mxauthOrigin;
let browser;
let callback;
let site;
let client;
before(async () => {
  server = await MxauthServer.start({ env: { MXAUTH_MATRIX__SECRET: HOMESERVER_SECRET } });
  mxauthOrigin = new URL(server.base).origin;
  server.addUser(VICTIM.name, VICTIM.password);
  server.addUser(ATTACKER.name, ATTACKER.password);
  browser = await launchBrowser();
  callback = await startCallbackServer();
  site = await startSite();
  client = await registerClient(server, {
    client_name: 'Security Test App',
    client_uri: `https://${CLIENT_HOST}/`,
    logo_uri: LOGO_URI,
    redirect_uris: ['http://127.0.0.1/cb'],
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  });
});
after(async () => {
  await site?.close();
  await callback?.close();
  await browser?.close();
  assert.equal(await server.stop(), 0);
});

// A valid authorization request of the test client; returns its URL and
// the PKCE verifier.
function newAuthorization(state) {
  const { verifier, challenge } = pkce();
  const url = authorizationUrl(server, {
    client_id: client.client_id,
    redirect_uri: `${callback.origin}/cb`,
    scope: 'openid urn:matrix:client:api:*',
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  return { url, verifier };
}

// A browser context whose requests to the client's host (its logo) are
// answered locally; `logoRequests` receives the headers of each.
async function newContext(logoRequests = []) {
  const context = await browser.newContext();
  await context.route(`https://${CLIENT_HOST}/**`, async (route) => {
    logoRequests.push({ url: route.request().url(), headers: await route.request().allHeaders() });
    await route.fulfill({ status: 200, contentType: 'image/svg+xml', body: LOGO_SVG });
  });
  return context;
}

// Signs USER in on PAGE through a fresh authorization request and stops at
// the consent page; returns the request and what the consent form holds.
async function reachConsent(page, user, state) {
  const authorization = newAuthorization(state);
  await page.goto(authorization.url.toString());
  await page.waitForSelector('form#login');
  await submitLogin(page, user.name, user.password);
  await page.waitForSelector('form#consent');
  const form = await page.evaluate(() => {
    const consent = document.querySelector('form#consent');
    // (Not consent.action: the form's button named "action" shadows it.)
    return {
      action: new URL(consent.getAttribute('action'), document.baseURI).href,
      method: consent.getAttribute('method'),
      // What a click on Allow submits: the hidden inputs and that button.
      hidden: [...consent.querySelectorAll('input[type=hidden]')].map((e) => ({ name: e.name, value: e.value })),
      allow: [...consent.querySelectorAll('button[type=submit]')]
        .filter((b) => b.value === 'allow').map((b) => ({ name: b.name, value: b.value }))[0],
    };
  });
  return { ...authorization, consentUrl: page.url(), form };
}

// ---------------------------------------------------------------- F.40

// Opens, in CONTEXT, an attacker page on the second origin that frames each
// of FRAMES ({name: url}) and waits until every frame has fired `load`
// (which a blocked frame does too, with an error document). Returns the page,
// its console errors, its failed requests and its documents' responses.
async function openFramingPage(context, path, frames) {
  const iframes = Object.entries(frames)
    .map(([name, url]) => `<iframe name="${name}" src="${escapeHtml(url)}" width="600" height="400"
      onload="window.loadedFrames.push(this.name)"></iframe>`)
    .join('\n');
  const attackerUrl = site.page(path, `<!DOCTYPE html><html lang="en"><title>attacker</title>
    <script>window.loadedFrames = [];</script>${iframes}</html>`);
  const page = await context.newPage();
  const consoleErrors = [];
  page.on('console', (message) => { if (message.type() === 'error') consoleErrors.push(message.text()); });
  const failed = [];
  page.on('requestfailed', (request) => failed.push({
    url: request.url(), frame: request.frame(), error: request.failure()?.errorText,
  }));
  const documents = [];
  page.on('response', (response) => {
    if (response.request().resourceType() === 'document') documents.push(response);
  });
  await page.goto(attackerUrl);
  await page.waitForFunction((count) => window.loadedFrames.length === count, Object.keys(frames).length);
  return { page, consoleErrors, failed, documents };
}

function frameNamed(page, name) {
  const frame = page.frames().find((f) => f.name() === name);
  assert.ok(frame, `frame ${name} exists`);
  return frame;
}

// The frame NAME shows mxauth's page: it is at mxauth's origin and has SELECTOR.
async function assertRendered(page, name, selector) {
  const frame = frameNamed(page, name);
  assert.equal(new URL(frame.url()).origin, mxauthOrigin, `${name}: the frame is at mxauth (${frame.url()})`);
  assert.equal(await frame.locator(selector).count(), 1, `${name}: ${selector} is rendered inside the frame`);
}

// The frame NAME was blocked: chromium put its error document there, and
// the navigation to mxauth failed with ERR_BLOCKED_BY_RESPONSE.
async function assertBlocked(framing, name, selector) {
  const frame = frameNamed(framing.page, name);
  assert.match(frame.url(), /^chrome-error:/, `${name}: the frame holds chromium's error page, not ${frame.url()}`);
  assert.equal(await frame.locator(selector).count(), 0, `${name}: no ${selector} in the frame`);
  const failure = framing.failed.find((f) => f.frame === frame);
  assert.ok(failure, `${name}: its navigation failed (${framing.failed.map((f) => f.url).join(', ')})`);
  assert.equal(failure.error, 'net::ERR_BLOCKED_BY_RESPONSE', name);
  assert.equal(new URL(failure.url).origin, mxauthOrigin, `${name}: the blocked document is mxauth's`);
}

test('F.40: chromium will not render /authorize, /login or the consent page in a frame on another origin', async () => {
  // Signed out: /authorize (valid parameters, ends at the login page) and /login.
  const signedOut = await newContext();
  try {
    const framing = await openFramingPage(signedOut, '/frames-signed-out', {
      control: `${callback.origin}/control`,
      authorize: newAuthorization('framed').url.toString(),
      login: server.url('/login'),
    });
    // The harness can show a cross-origin page without these headers in a frame.
    const control = frameNamed(framing.page, 'control');
    assert.equal(new URL(control.url()).origin, callback.origin);
    assert.match(await control.locator('body').textContent(), /back at the client/);

    for (const name of ['authorize', 'login']) await assertBlocked(framing, name, 'form#login');
    // mxauth did answer (the request is not what failed): with a 200 page that
    // forbids being framed.
    const framed = ['login', 'authorize'].map((name) => frameNamed(framing.page, name));
    const served = framing.documents.filter((r) => framed.includes(r.frame()) && r.status() === 200);
    assert.equal(served.length, 2, 'both frames got a 200 page from mxauth');
    for (const response of served) {
      assert.match(response.headers()['content-security-policy'], /frame-ancestors 'none'/, response.url());
      assert.equal(response.headers()['x-frame-options'], 'DENY', response.url());
    }
    assert.ok(framing.consoleErrors.some((m) => /frame-ancestors 'none'/.test(m)),
      `chromium reports the frame-ancestors violation: ${framing.consoleErrors.join(' | ')}`);
  } finally {
    await signedOut.close();
  }

  // Signed in: the framed /authorize reaches the consent page, the real
  // clickjacking target, and that too stays blocked.
  const signedIn = await newContext();
  try {
    const page = await signedIn.newPage();
    await reachConsent(page, VICTIM, 'signed-in');
    const framing = await openFramingPage(signedIn, '/frames-signed-in', { consent: newAuthorization('framed-consent').url.toString() });
    await assertBlocked(framing, 'consent', 'form#consent');
    const consent = framing.documents.find((r) => r.frame() === frameNamed(framing.page, 'consent') && r.status() === 200);
    assert.ok(consent, 'mxauth served the consent page to the frame');
    assert.equal(new URL(consent.url()).pathname, '/authorize/continue');
    assert.match(consent.headers()['content-security-policy'], /frame-ancestors 'none'/);
  } finally {
    await signedIn.close();
  }
});

test('F.40: each of frame-ancestors and X-Frame-Options blocks framing on its own; without both the consent page renders', async () => {
  // A route fetches mxauth's real answers (following its redirects) and
  // drops the named headers, so the same harness shows what each header does.
  const variants = [
    { drop: ['content-security-policy'], blockedBy: /X-Frame-Options/i },
    { drop: ['x-frame-options'], blockedBy: /frame-ancestors 'none'/ },
    { drop: ['content-security-policy', 'x-frame-options'], blockedBy: null },
  ];
  for (const { drop, blockedBy } of variants) {
    const context = await newContext();
    try {
      const page = await context.newPage();
      await reachConsent(page, VICTIM, 'strip');
      await context.route(`${mxauthOrigin}/**`, async (route) => {
        const response = await route.fetch();
        const headers = response.headers();
        for (const name of drop) delete headers[name];
        await route.fulfill({ response, headers });
      });
      const framing = await openFramingPage(context, `/frames-without-${drop.join('-')}`, {
        consent: newAuthorization('strip-framed').url.toString(),
      });
      if (blockedBy) {
        await assertBlocked(framing, 'consent', 'form#consent');
        assert.ok(framing.consoleErrors.some((m) => blockedBy.test(m)),
          `without ${drop}: blocked by ${blockedBy} (${framing.consoleErrors.join(' | ')})`);
      } else {
        await assertRendered(framing.page, 'consent', 'form#consent button[value=allow]');
        assert.match(await frameNamed(framing.page, 'consent').locator('main').textContent(), /Signed in as @victor:example\.test/);
      }
    } finally {
      await context.close();
    }
  }
});

// ---------------------------------------------------------------- F.41

test('F.41: through authorize, login, consent and redirect nothing leaves mxauth but the logo (without Referer) and the redirect', async () => {
  const logoRequests = [];
  const context = await newContext(logoRequests);
  const recorder = recordRequests(context);
  const htmlResponses = [];
  context.on('response', (response) => {
    if (/^text\/html/.test(response.headers()['content-type'] ?? '') && new URL(response.url()).origin === mxauthOrigin) {
      htmlResponses.push(response);
    }
  });
  const hitsBefore = callback.hits.length;
  let back;
  let verifier;
  try {
    const page = await context.newPage();
    const state = 'f41-state-value';
    ({ verifier } = await reachConsent(page, VICTIM, state));
    const logo = page.locator('.client img');
    assert.equal(await logo.getAttribute('src'), LOGO_URI);
    assert.equal(await logo.getAttribute('referrerpolicy'), 'no-referrer');
    assert.equal(await logo.evaluate((img) => img.complete && img.naturalWidth), 64, 'the logo was loaded');
    back = await allowConsent(page, callback);
    assert.equal(back.searchParams.get('state'), state);
    assert.ok(back.searchParams.get('code'));

    const requests = await recorder.list();
    const logoUrl = new URL(LOGO_URI);
    const mxauth = requests.filter((r) => r.url.origin === mxauthOrigin);
    const logos = requests.filter((r) => r.url.href === logoUrl.href);
    const redirects = requests.filter((r) => r.url.origin === callback.origin);
    const others = requests.filter((r) => !mxauth.includes(r) && !logos.includes(r) && !redirects.includes(r));
    assert.deepEqual(others.map((r) => r.url.href), [], 'no request to any other origin');
    assert.ok(mxauth.some((r) => r.method === 'POST' && r.url.pathname === '/login'), 'the flow ran at mxauth');
    assert.ok(mxauth.some((r) => r.method === 'POST' && r.url.pathname === '/authorize/continue'));
    assert.equal(logos.length, 1, 'the logo was requested once');
    assert.equal(logos[0].resourceType, 'image');
    assert.deepEqual(redirects.map((r) => [r.method, r.url.pathname, r.url.searchParams.get('code')]),
      [['GET', '/cb', back.searchParams.get('code')]], 'exactly one request reached the client: the redirect with the code');
    assert.equal(callback.hits.length, hitsBefore + 1);

    // No request carried a Referer: not the logo (the only third party), not
    // the redirect to the client, not mxauth's own.
    assert.equal(logos[0].headers.referer, undefined, 'the logo request has no Referer');
    assert.equal(logoRequests.length, 1);
    assert.equal(logoRequests[0].headers.referer, undefined, 'the intercepted logo request has no Referer');
    const withReferer = requests.filter((r) => r.headers.referer !== undefined);
    assert.deepEqual(withReferer.map((r) => `${r.url.href} ← ${r.headers.referer}`), [], 'no request carries a Referer');
    assert.ok(htmlResponses.length >= 2, 'login and consent pages were seen');
    for (const response of htmlResponses) {
      assert.equal(response.headers()['referrer-policy'], 'no-referrer', response.url());
    }

    // The control: the same logo in a page without those defences is
    // requested with a Referer, which the recorder does see.
    const withoutPolicy = site.page('/logo-with-referer', `<!DOCTYPE html><html lang="en"><title>other</title>
      <img src="${LOGO_URI}" alt=""></html>`);
    await page.goto(withoutPolicy);
    await page.waitForFunction(() => document.images[0].complete && document.images[0].naturalWidth > 0);
    assert.equal(logoRequests.length, 2);
    assert.equal(logoRequests[1].headers.referer, `${site.origin}/`, 'a Referer is seen when the browser sends one');
  } finally {
    await context.close();
  }

  // The recorded flow was a real one: its code is good.
  const exchanged = await tokenRequest(server, {
    grant_type: 'authorization_code', code: back.searchParams.get('code'), redirect_uri: `${callback.origin}/cb`,
    client_id: client.client_id, code_verifier: verifier,
  });
  assert.equal(exchanged.status, 200);
});

// ---------------------------------------------------------------- F.38

// The attacker's page: a form with FIELDS posted to ACTION on load.
function autoSubmitPage({ action, fields, noReferrer }) {
  const inputs = fields.map(({ name, value }) =>
    `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`).join('');
  return `<!DOCTYPE html><html lang="en"><head><title>win a prize</title>
    ${noReferrer ? '<meta name="referrer" content="no-referrer">' : ''}</head>
    <body onload="document.forms[0].submit()"><form method="post" action="${escapeHtml(action)}">${inputs}</form></body></html>`;
}

test('F.38: an auto-submitted consent form from another origin is refused, no code is issued, and the grant stays pending', async () => {
  // The attacker's own session: a consent form of their own, whose CSRF
  // token is the only real one they can get.
  const attackerContext = await newContext();
  let attackerToken;
  try {
    const attackerPage = await attackerContext.newPage();
    const own = await reachConsent(attackerPage, ATTACKER, 'attacker-own');
    attackerToken = own.form.hidden.find((f) => f.name === 'csrf')?.value;
    assert.ok(attackerToken, 'the consent form carries a csrf field');
  } finally {
    await attackerContext.close();
  }

  const context = await newContext();
  const recorder = recordRequests(context);
  const hitsBefore = callback.hits.length;
  try {
    const page = await context.newPage();
    const victim = await reachConsent(page, VICTIM, 'victim-state');
    assert.equal(victim.form.method, 'post');
    assert.equal(new URL(victim.form.action).origin, mxauthOrigin);
    assert.deepEqual(victim.form.allow, { name: 'action', value: 'allow' });
    // The attacker copies every field but the token, which they cannot read.
    const copied = [...victim.form.hidden.filter((f) => f.name !== 'csrf'), victim.form.allow];
    const withToken = (token) => [{ name: 'csrf', value: token }, ...copied];

    // The cross-site origin is answered by the attacker's server.
    await context.route(`${CROSS_SITE_ORIGIN}/**`, async (route) => {
      const path = new URL(route.request().url()).pathname;
      await route.fulfill({ response: await route.fetch({ url: site.url(path) }) });
    });

    const variants = [
      {
        what: 'same-site page, no token',
        url: site.page('/csrf-no-token', autoSubmitPage({ action: victim.form.action, fields: copied })),
        origin: site.origin, cookies: true, status: 403,
      },
      {
        // no-referrer turns Origin into "null", so only the token is left to decide.
        what: 'same-site page, the attacker\'s own token, Origin: null',
        url: site.page('/csrf-attacker-token', autoSubmitPage({
          action: victim.form.action, fields: withToken(attackerToken), noReferrer: true,
        })),
        origin: 'null', cookies: true, status: 403,
      },
      {
        what: 'same-site page, no token, Origin: null',
        url: site.page('/csrf-no-token-null-origin', autoSubmitPage({
          action: victim.form.action, fields: copied, noReferrer: true,
        })),
        origin: 'null', cookies: true, status: 403,
      },
      {
        // SameSite=Lax keeps the session cookie back: mxauth sees no session.
        what: 'cross-site page, the attacker\'s own token',
        url: `${CROSS_SITE_ORIGIN}${new URL(site.page('/csrf-cross-site', autoSubmitPage({
          action: victim.form.action, fields: withToken(attackerToken),
        }))).pathname}`,
        origin: CROSS_SITE_ORIGIN, cookies: false, status: 303,
      },
    ];
    for (const variant of variants) {
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST' && r.url() === victim.form.action),
        page.goto(variant.url),
      ]);
      const sent = await response.request().allHeaders();
      assert.equal(sent.origin, variant.origin, `${variant.what}: Origin`);
      assert.equal(/(^|;\s*)mxauth-session=/.test(sent.cookie ?? ''), variant.cookies,
        `${variant.what}: the session cookie was ${variant.cookies ? '' : 'not '}sent (${sent.cookie})`);
      assert.equal(response.status(), variant.status, `${variant.what}: status`);
      if (variant.status === 403) {
        await page.waitForURL(victim.form.action);
        assert.match(await page.locator('[role=alert]').textContent(), /not sent from this site|expired/i, variant.what);
      } else {
        assert.equal(new URL(response.headers().location, server.base).pathname, '/login', `${variant.what}: to the login page`);
        await page.waitForURL((url) => url.origin === mxauthOrigin && url.pathname === '/login');
      }
    }

    // No code reached the client, by any route.
    assert.equal(callback.hits.length, hitsBefore, 'nothing reached the redirect URI');
    const requests = await recorder.list();
    assert.deepEqual(requests.filter((r) => r.url.searchParams.has('code') || r.url.origin === callback.origin)
      .map((r) => r.url.href), [], 'no request carried a code');

    // The grant is still pending: the user can approve it themselves.
    await page.goto(victim.consentUrl);
    const back = await allowConsent(page, callback);
    assert.equal(back.searchParams.get('state'), 'victim-state');
    assert.equal(callback.hits.length, hitsBefore + 1);
    const exchanged = await tokenRequest(server, {
      grant_type: 'authorization_code', code: back.searchParams.get('code'), redirect_uri: `${callback.origin}/cb`,
      client_id: client.client_id, code_verifier: victim.verifier,
    });
    assert.equal(exchanged.status, 200);
    const active = await introspect(server, HOMESERVER_SECRET, (await exchanged.json()).access_token);
    assert.equal(active.active, true);
    assert.equal(active.username, VICTIM.name, 'the grant is the victim\'s own');
  } finally {
    await context.close();
  }
});
