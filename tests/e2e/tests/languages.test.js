// The pages in every language of the catalogues (resources/i18n): one walk
// through the pages with an English browser and one with a French browser
// (the context's locale sets Accept-Language), each page captured as
// artifacts/languages-<lang>-<page>.png. On every page the document says
// its language, the response carries Content-Language, nothing scrolls
// sideways, and the French text differs from the English one (a page left
// in English would not). Then an English browser following an authorization
// request with ui_locales=fr gets French login and consent pages.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { launchBrowser, screenshot } from '../lib/browser.js';
import { allowConsent, registerClient, startCallbackServer, submitLogin } from '../lib/flow.js';
import { MxauthServer } from '../lib/server.js';
import { plainText, startSmtpSink } from '../lib/smtp.js';
import { withHomeserver } from '../lib/synapse.js';

const DAVE = { name: 'dave', password: 'dave uses a long passphrase' };

let server;
let browser;
let callback;
let smtp;
let client;
let deviceClient;
before(async () => {
  smtp = await startSmtpSink();
  server = await MxauthServer.start({ env: { ...smtp.env } });
  server.addUser(DAVE.name, DAVE.password);
  browser = await launchBrowser();
  callback = await startCallbackServer();
  client = await registerClient(server, {
    client_name: 'Languages Test App',
    client_uri: 'https://languages.example.test/',
    redirect_uris: ['http://127.0.0.1/cb'],
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
  });
  deviceClient = await registerClient(server, {
    client_name: 'Languages TV App',
    client_uri: 'https://tv.example.test/',
    application_type: 'native',
    token_endpoint_auth_method: 'none',
    grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
    response_types: [],
  });
});

// Starts a device authorization (RFC 8628) and returns its user code.
async function startDeviceGrant(on = server, deviceApp = deviceClient) {
  const response = await fetch(on.url('/oauth2/device'), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      client_id: deviceApp.client_id,
      scope: 'openid urn:matrix:client:api:* urn:matrix:client:device:LANGTV0001',
    }).toString(),
  });
  assert.equal(response.status, 200);
  return (await response.json()).user_code;
}
after(async () => {
  await callback?.close();
  await browser?.close();
  await smtp?.stop();
  assert.equal(await server.stop(), 0);
});

function authorizationUrl(params, on = server, app = client) {
  const url = new URL(on.url('/authorize'));
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: app.client_id,
    redirect_uri: `${callback.origin}/cb`,
    scope: 'openid urn:matrix:client:api:* urn:matrix:client:device:LANGDEVICE',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
    ...params,
  }).toString();
  return url;
}

// The page in the browser now: its language, whether it scrolls sideways,
// and the text a reader sees.
async function pageFacts(page) {
  return page.evaluate(() => ({
    lang: document.documentElement.lang,
    overflows: document.documentElement.scrollWidth > window.innerWidth,
    title: document.querySelector('h1')?.textContent.trim() ?? '',
    text: document.querySelector('main')?.innerText ?? '',
  }));
}

// Checks the page in the browser now (its language, Content-Language when
// a RESPONSE is given, no sideways scroll, no unknown message), keeps its
// text in TEXTS under NAME and saves its screenshot.
function pageVisitor(page, lang, texts) {
  return async (name, response) => {
    const facts = await pageFacts(page);
    assert.equal(facts.lang, lang, `${name}: <html lang>`);
    if (response) assert.equal(response.headers()['content-language'], lang, `${name}: Content-Language`);
    assert.equal(facts.overflows, false, `${name}: scrolls sideways`);
    assert.ok(!facts.text.includes('[missing message'), `${name}: names an unknown message`);
    texts[name] = facts.text;
    await screenshot(page, `languages-${lang}-${name}`);
  };
}

// The next message the SMTP sink receives, as plain text.
async function nextMail(count) {
  return plainText(await smtp.message(count + 1));
}

// Walks through the pages with a browser in LOCALE; returns, by page name,
// the visible text of each page.
async function walkThroughPages(locale, lang) {
  const texts = {};
  const context = await browser.newContext({ locale });
  const page = await context.newPage();
  const visit = pageVisitor(page, lang, texts);
  const go = async (name, path) => visit(name, await page.goto(server.url(path)));
  const submit = async (selector) => {
    const [response] = await Promise.all([page.waitForNavigation(), page.click(selector)]);
    return response;
  };
  try {
    await visit('error', await page.goto(authorizationUrl({ client_id: '01UNKNOWNCLIENT0000000000' }).toString()));
    await go('login', '/login');
    await submitLogin(page, DAVE.name, 'not the right password');
    await visit('login-error');
    await go('recover', '/recover');
    await page.fill('form#recover [name=email]', 'nobody@example.test');
    await visit('recover-sent', await submit('form#recover button[type=submit]'));
    await go('link', '/link');
    await page.fill('form#link [name=code]', 'BCDF-GHJK');
    await visit('link-error', await submit('form#link button[type=submit]'));

    // Registration: the form, a field error, then a new account.
    const user = { name: `lang.${lang}`, password: `${lang} speaks a long passphrase` };
    await go('register', '/register');
    const fill = async (values) => {
      for (const [name, value] of Object.entries(values)) await page.fill(`form#register [name=${name}]`, value);
      return submit('form#register button[type=submit]');
    };
    await visit('register-error', await fill({
      username: user.name, password: user.password, password_confirm: `${user.password}!`,
    }));
    await fill({ username: user.name, password: user.password, password_confirm: user.password });
    await page.waitForURL('**/account/');
    await visit('account');

    await go('profile', '/account/profile');
    await go('sessions', '/account/sessions');
    await Promise.all([page.waitForNavigation(), page.click('a.session')]);
    await visit('session');
    await Promise.all([page.waitForNavigation(), page.click('a.button.danger')]);
    await visit((await page.locator('form#reauth').count()) ? 'reauth' : 'session-end');

    // A device asks to sign in: its consent page, then the answer.
    await page.goto(server.url('/link'));
    await page.fill('form#link [name=code]', await startDeviceGrant());
    await submit('form#link button[type=submit]');
    await page.waitForSelector('form#consent');
    await visit('device-consent');
    await visit('device-denied', await submit('form#consent button[name=action][value=deny]'));
    await go('emails', '/account/emails');
    const address = `${lang}@example.test`;
    let mails = smtp.count();
    await page.fill('form#email-add [name=email]', address);
    await visit('email-verify', await submit('form#email-add button[type=submit]'));
    const codeMail = await nextMail(mails);
    assert.match(codeMail, lang === 'fr' ? /Bonjour,/ : /Hello,/, 'the code comes in the page\'s language');
    await page.fill('form#email-verify [name=code]', codeMail.match(/^ {4}(\d{6})$/m)[1]);
    await visit('emails-verified', await submit('form#email-verify button[type=submit]'));
    await go('sso-confirm', `/_matrix/client/v3/login/sso/redirect?redirectUrl=${encodeURIComponent('https://app.example.test/done')}`);
    await go('password', '/account/password');
    await page.fill('form#password-change [name=current_password]', user.password);
    await page.fill('form#password-change [name=new_password]', 'short');
    await page.fill('form#password-change [name=new_password_confirm]', 'short');
    await visit('password-error', await submit('form#password-change button[type=submit]'));
    await go('deactivate', '/account/deactivate');
    await go('cross-signing-reset', '/account/cross-signing-reset');

    // The consent page of an application.
    await page.goto(authorizationUrl({ state: lang }).toString());
    await page.waitForSelector('form#consent');
    await visit('consent');
    await allowConsent(page, callback);

    await go('logout', '/logout');
    await visit('signed-out', await submit('form#logout button[type=submit]'));

    // Password recovery, from the e-mail to the new password.
    mails = smtp.count();
    await page.goto(server.url('/recover'));
    await page.fill('form#recover [name=email]', address);
    await submit('form#recover button[type=submit]');
    const link = (await nextMail(mails)).match(/http:\/\/\S+/)[0];
    await visit('recover-password', await page.goto(link));
    await page.fill('form#recover-password [name=new_password]', `${user.password} again`);
    await page.fill('form#recover-password [name=new_password_confirm]', `${user.password} again`);
    await visit('password-changed', await submit('form#recover-password button[type=submit]'));
  } finally {
    await context.close();
  }
  return texts;
}

test('every page in English and in French, by the browser\'s Accept-Language', async () => {
  const english = await walkThroughPages('en-US', 'en');
  const french = await walkThroughPages('fr-FR', 'fr');
  assert.deepEqual(Object.keys(french), Object.keys(english));
  for (const name of Object.keys(english)) {
    assert.notEqual(french[name], english[name], `${name}: the French page reads like the English one`);
  }
  // A few words a French reader expects, and none of the English ones.
  assert.match(french.login, /Mot de passe/);
  assert.match(french['login-error'], /Nom d’utilisateur ou mot de passe incorrect/);
  assert.match(french.consent, /souhaite accéder à votre compte/);
  assert.match(french.consent, /Languages Test App/, 'data is not translated');
  assert.doesNotMatch(french.account, /Sign out|Your account/);
});

test('ui_locales=fr on /authorize gives French login and consent pages to an English browser', async () => {
  const context = await browser.newContext({ locale: 'en-US' });
  try {
    const page = await context.newPage();
    await page.goto(authorizationUrl({ ui_locales: 'fr-CA fr', state: 'ui-locales' }).toString());
    await page.waitForSelector('form#login');
    let facts = await pageFacts(page);
    assert.equal(facts.lang, 'fr');
    assert.equal(facts.title, 'Se connecter');
    await screenshot(page, 'languages-ui-locales-login');
    await submitLogin(page, DAVE.name, DAVE.password);
    await page.waitForSelector('form#consent');
    facts = await pageFacts(page);
    assert.equal(facts.lang, 'fr');
    assert.match(facts.text, /souhaite accéder à votre compte/);
    assert.equal(await page.textContent('form#consent button[value=allow]'), 'Autoriser');
    await screenshot(page, 'languages-ui-locales-consent');
    const back = await allowConsent(page, callback);
    assert.equal(back.searchParams.get('state'), 'ui-locales');

    // The next authorization request without ui_locales: the browser's
    // language again.
    await page.goto(authorizationUrl({ state: 'again' }).toString());
    await page.waitForSelector('form#consent');
    assert.equal((await pageFacts(page)).lang, 'en');
  } finally {
    await context.close();
  }
});

// The pages only other settings or a homeserver lead to, in both languages:
// registration finished by an e-mail code, the device-approved and
// form_post pages, re-authentication of a stale session, the approved
// cross-signing reset and the deactivated account.
async function walkThroughStricterPages(hs, apps, locale, lang) {
  const texts = {};
  const context = await browser.newContext({ locale });
  const page = await context.newPage();
  const visit = pageVisitor(page, lang, texts);
  const submit = async (selector) => {
    const [response] = await Promise.all([page.waitForNavigation(), page.click(selector)]);
    return response;
  };
  try {
    const user = { name: `strict.${lang}`, password: `${lang} has a strict passphrase`, email: `strict.${lang}@example.test` };
    await page.goto(hs.server.url('/register'));
    for (const [name, value] of Object.entries({
      username: user.name, email: user.email, password: user.password, password_confirm: user.password,
    })) await page.fill(`form#register [name=${name}]`, value);
    const mails = smtp.count();
    await visit('register-verify', await submit('form#register button[type=submit]'));
    assert.equal(new URL(page.url()).pathname, '/register/verify');
    const code = (await nextMail(mails)).match(/^ {4}(\d{6})$/m)[1];
    await page.fill('form#email-verify [name=code]', code);
    await submit('form#email-verify button[type=submit]');
    await page.waitForURL('**/account/');

    await page.goto(hs.server.url('/link'));
    await page.fill('form#link [name=code]', await startDeviceGrant(hs.server, apps.device));
    await submit('form#link button[type=submit]');
    await page.waitForSelector('form#consent');
    await visit('device-approved', await submit('form#consent button[name=action][value=allow]'));

    // form_post (OAuth 2.0 Form Post Response Mode) with its script held
    // back, so that the page stays to be seen.
    await page.route('**/assets/form_post.js*', (route) => route.abort());
    await page.goto(authorizationUrl({ response_mode: 'form_post', state: lang }, hs.server, apps.web).toString());
    await page.waitForSelector('form#consent');
    await visit('form-post', await submit('form#consent button[name=action][value=allow]'));
    assert.equal(await page.locator('form#form-post input[name=state]').inputValue(), lang);

    hs.server.ageBrowserSessions(3600);
    await page.goto(hs.server.url('/account/cross-signing-reset'));
    await page.waitForSelector('form#reauth');
    await visit('reauth');
    await page.fill('form#reauth [name=password]', user.password);
    await submit('form#reauth button[type=submit]');
    await page.waitForSelector('form#cross-signing-reset');
    await visit('cross-signing-approved', await submit('form#cross-signing-reset button[type=submit]'));

    await page.goto(hs.server.url('/account/deactivate'));
    await page.waitForSelector('form#deactivate');
    await visit('deactivated', await submit('form#deactivate button[type=submit]'));
  } finally {
    await context.close();
  }
  return texts;
}

test('the pages of stricter settings and of a homeserver, in English and in French', async () => {
  await withHomeserver({ env: { ...smtp.env, MXAUTH_ACCOUNT__EMAIL_VERIFICATION_REQUIRED: 'true' } }, async (hs) => {
    const apps = {
      web: await registerClient(hs.server, {
        client_name: 'Languages Form Post App',
        client_uri: 'https://form-post.example.test/',
        redirect_uris: ['http://127.0.0.1/cb'],
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        grant_types: ['authorization_code'],
        response_types: ['code'],
      }),
      device: await registerClient(hs.server, {
        client_name: 'Languages TV App',
        client_uri: 'https://tv.example.test/',
        application_type: 'native',
        token_endpoint_auth_method: 'none',
        grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
        response_types: [],
      }),
    };
    const english = await walkThroughStricterPages(hs, apps, 'en-US', 'en');
    const french = await walkThroughStricterPages(hs, apps, 'fr-FR', 'fr');
    assert.deepEqual(Object.keys(french), Object.keys(english));
    for (const name of Object.keys(english)) {
      assert.notEqual(french[name], english[name], `${name}: the French page reads like the English one`);
    }
  });
});
