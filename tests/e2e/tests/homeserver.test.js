// mxauth with a homeserver: the Synapse double (lib/synapse.js) plays
// Synapse's side of the contract (spec-digest §5.4–§5.7, docs/setup/synapse.md).
//  - At the code exchange mxauth provisions the user and upserts the device
//    on the homeserver before it answers; unreachable → 503
//    temporarily_unavailable, refused → 500 server_error, no tokens, and the
//    code stays usable.
//  - Revocation and a replayed code end the session; a background job then
//    syncs the user's devices, so the homeserver drops the device and refuses
//    its token.
//  - Registration asks is_localpart_available and provisions the new user.
// Every test has its own double and mxauth.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';

import { launchBrowser } from '../lib/browser.js';
import {
  authorizeForCode, exchangeCode, introspect, registerClient, revokeToken, startCallbackServer,
} from '../lib/flow.js';
import { withHomeserver as withBoth } from '../lib/synapse.js';

const ALICE = { name: 'alice', password: 'alice has a long passphrase' };
const CLIENT_NAME = 'Homeserver Test App';
const PROVISION = '/_synapse/mas/provision_user';
const UPSERT = '/_synapse/mas/upsert_device';
const SYNC = '/_synapse/mas/sync_devices';
const AVAILABLE = '/_synapse/mas/is_localpart_available';

let browser;
let callback;
before(async () => {
  browser = await launchBrowser();
  callback = await startCallbackServer();
});
after(async () => {
  await callback?.close();
  await browser?.close();
});

function newDevice() {
  return `HS${randomBytes(6).toString('hex').toUpperCase()}`;
}

function scopeFor(device) {
  return `urn:matrix:client:api:* urn:matrix:client:device:${device}`;
}

// A double and an mxauth pointed at each other, alice added through the CLI
// and a public native client registered; stopped (both exiting 0) after BODY.
function withHomeserver(options, body) {
  return withBoth(options, async (hs) => {
    hs.server.addUser(ALICE.name, ALICE.password);
    hs.client = await registerClient(hs.server, {
      client_name: CLIENT_NAME,
      client_uri: 'https://homeserver.example.test/',
      redirect_uris: ['http://127.0.0.1/cb'],
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
    });
    await body(hs);
  });
}

function login(hs, device) {
  return authorizeForCode(browser, hs.server, callback, hs.client.client_id, ALICE, scopeFor(device));
}

function exchange(hs, code) {
  return exchangeCode(hs.server, hs.client.client_id, code);
}

async function json(response) {
  return { status: response.status, body: await response.json() };
}

// A token-endpoint error: STATUS and ERROR, no token of any kind, and a
// description that says nothing about the homeserver's address or answer.
function assertRefused(answer, status, error, synapse) {
  assert.equal(answer.status, status, JSON.stringify(answer.body));
  assert.equal(answer.body.error, error);
  for (const field of ['access_token', 'refresh_token', 'id_token']) {
    assert.equal(answer.body[field], undefined, `no ${field} in ${JSON.stringify(answer.body)}`);
  }
  const description = answer.body.error_description ?? '';
  for (const internal of ['127.0.0.1', String(synapse.port), 'M_UNKNOWN', 'Fault injected', '_synapse', 'Unreachable', 'onnect']) {
    assert.ok(!description.includes(internal), `the description reveals "${internal}": ${description}`);
  }
}

test('the device is on the homeserver before the token response; whoami through the homeserver works; revocation removes the device and the homeserver then refuses the token', async () => {
  await withHomeserver({}, async ({ synapse, server, client }) => {
    const device = newDevice();
    const code = await login({ server, client }, device);
    assert.equal((await synapse.state()).call_counts[UPSERT], undefined, 'no device is upserted before the exchange');

    // A slow homeserver: the upsert is answered, and takes effect, only after
    // 300 ms. Tokens handed out before it would arrive before the device.
    await synapse.addFault({ path: UPSERT, delay_ms: 300, count: 1 });
    const started = performance.now();
    const exchanged = await json(await exchange({ server, client }, code));
    const elapsed = performance.now() - started;
    const state = await synapse.state(); // immediately: no waiting
    assert.ok(elapsed >= 300, `the token response waited for the slow upsert (${elapsed.toFixed(0)} ms)`);
    assert.equal(exchanged.status, 200, JSON.stringify(exchanged.body));
    assert.match(exchanged.body.access_token, /^mat_/);

    const alice = state.users.alice;
    assert.ok(alice, `the homeserver knows alice: ${JSON.stringify(Object.keys(state.users))}`);
    assert.equal(alice.user_id, '@alice:example.test');
    assert.deepEqual(Object.keys(alice.devices), [device], 'the device exists when the tokens arrive');
    assert.equal(alice.devices[device].display_name, CLIENT_NAME, 'the device is named after the client');
    // The call log: provision_user, then upsert_device, both answered (a
    // status of 0 would mean still pending) before the token response.
    const paths = state.calls.map((call) => call.path);
    assert.deepEqual(paths, [PROVISION, UPSERT], `calls so far: ${paths}`);
    const [provision, upsert] = state.calls;
    assert.equal(provision.status, 201, 'provision_user created alice');
    assert.deepEqual(JSON.parse(provision.body), { localpart: 'alice', locked: false });
    assert.equal(upsert.status, 201, 'upsert_device inserted the device');
    assert.deepEqual(JSON.parse(upsert.body), { localpart: 'alice', device_id: device, display_name: CLIENT_NAME });
    assert.ok(state.calls.every((call) => call.headers.some(([name, value]) =>
      name.toLowerCase() === 'authorization' && value === `Bearer ${synapse.secret}`)), 'mxauth sends the shared secret');

    const whoami = await synapse.whoami(exchanged.body.access_token);
    assert.equal(whoami.status, 200, JSON.stringify(whoami.body));
    assert.deepEqual(whoami.body, { user_id: '@alice:example.test', is_guest: false, device_id: device });

    const revoked = await revokeToken(server, client.client_id, exchanged.body.access_token, 'access_token');
    assert.equal(revoked.status, 200);
    await synapse.waitFor(SYNC, 1);
    const [sync] = await synapse.calls(SYNC);
    assert.equal(sync.status, 200);
    assert.deepEqual(JSON.parse(sync.body), { localpart: 'alice', devices: [] }, 'alice has no device left');
    const afterSync = await synapse.state();
    assert.deepEqual(afterSync.users.alice.devices, {}, 'the homeserver deleted the device');
    const refused = await synapse.whoami(exchanged.body.access_token);
    assert.equal(refused.status, 401, JSON.stringify(refused.body));
    assert.equal(refused.body.errcode, 'M_UNKNOWN_TOKEN');
  });
});

test('a homeserver that refuses the device at the code exchange gives 500 server_error and no token; the same code works once it accepts', async () => {
  await withHomeserver({}, async ({ synapse, server, client }) => {
    const device = newDevice();
    const code = await login({ server, client }, device);
    await synapse.addFault({ path: UPSERT, status: 500, count: 1 });

    const refused = await json(await exchange({ server, client }, code));
    assertRefused(refused, 500, 'server_error', synapse);
    const state = await synapse.state();
    assert.deepEqual(state.calls.map((call) => [call.path, call.status, call.faulted]),
      [[PROVISION, 201, false], [UPSERT, 500, true]], 'mxauth asked, the homeserver refused');
    assert.deepEqual(state.users.alice.devices, {}, 'the homeserver has no device');

    // The fault is spent: the retry with the same code goes through.
    const retried = await json(await exchange({ server, client }, code));
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    assert.ok((await synapse.state()).users.alice.devices[device], 'the retry created the device');
    const whoami = await synapse.whoami(retried.body.access_token);
    assert.equal(whoami.status, 200, JSON.stringify(whoami.body));
    assert.equal(whoami.body.device_id, device);

    // One session, one device: revoking the retry's token leaves alice with
    // no active device at all.
    assert.equal((await revokeToken(server, client.client_id, retried.body.refresh_token, 'refresh_token')).status, 200);
    await synapse.waitFor(SYNC, 1);
    const [sync] = await synapse.calls(SYNC);
    assert.deepEqual(JSON.parse(sync.body), { localpart: 'alice', devices: [] });
    assert.equal((await synapse.whoami(retried.body.access_token)).status, 401);
  });
});

test('a homeserver that is down during the code exchange gives 503 temporarily_unavailable and no token; the same code works once it is back', async () => {
  await withHomeserver({}, async (hs) => {
    const { server } = hs;
    const device = newDevice();
    const code = await login(hs, device);
    assert.equal(await hs.synapse.stop(), 0);

    const refused = await json(await exchange(hs, code));
    assertRefused(refused, 503, 'temporarily_unavailable', hs.synapse);

    // The homeserver is back (same address, empty state).
    hs.synapse = await hs.synapse.restart();
    await hs.synapse.config({ mxauth_base: server.base });
    const retried = await json(await exchange(hs, code));
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    const state = await hs.synapse.state();
    assert.deepEqual(state.calls.map((call) => [call.path, call.status]), [[PROVISION, 201], [UPSERT, 201]]);
    assert.deepEqual(Object.keys(state.users.alice.devices), [device]);
    const introspected = await introspect(server, hs.synapse.secret, retried.body.access_token);
    assert.equal(introspected.active, true);
    assert.equal(introspected.device_id, device);
    const whoami = await hs.synapse.whoami(retried.body.access_token);
    assert.equal(whoami.status, 200, JSON.stringify(whoami.body));
    assert.equal(whoami.body.user_id, '@alice:example.test');
    // The code is spent now.
    const again = await json(await exchange(hs, code));
    assert.equal(again.status, 400);
    assert.equal(again.body.error, 'invalid_grant');
  });
});

test('a replayed code ends its session and the homeserver loses that device, and only that one', async () => {
  await withHomeserver({}, async (hs) => {
    const { synapse } = hs;
    const keep = newDevice();
    const gone = newDevice();
    const kept = await json(await exchange(hs, await login(hs, keep)));
    assert.equal(kept.status, 200, JSON.stringify(kept.body));
    const replayedCode = await login(hs, gone);
    const first = await json(await exchange(hs, replayedCode));
    assert.equal(first.status, 200, JSON.stringify(first.body));
    assert.deepEqual(Object.keys((await synapse.state()).users.alice.devices).sort(), [keep, gone].sort());
    assert.equal((await synapse.whoami(first.body.access_token)).status, 200);

    const replay = await json(await exchange(hs, replayedCode));
    assert.equal(replay.status, 400);
    assert.equal(replay.body.error, 'invalid_grant');
    assert.equal(replay.body.access_token, undefined);
    await synapse.waitFor(SYNC, 1);
    const [sync] = await synapse.calls(SYNC);
    assert.deepEqual(JSON.parse(sync.body), { localpart: 'alice', devices: [keep] }, 'the other session stays');
    assert.deepEqual(Object.keys((await synapse.state()).users.alice.devices), [keep]);
    const refused = await synapse.whoami(first.body.access_token);
    assert.equal(refused.status, 401, JSON.stringify(refused.body));
    assert.equal(refused.body.errcode, 'M_UNKNOWN_TOKEN');
    const other = await synapse.whoami(kept.body.access_token);
    assert.equal(other.status, 200, JSON.stringify(other.body));
    assert.equal(other.body.device_id, keep);
  });
});

// Fills and submits form#register; returns the status of the page it lands on.
async function register(page, username, password) {
  await page.fill('form#register [name=username]', username);
  await page.fill('form#register [name=password]', password);
  await page.fill('form#register [name=password_confirm]', password);
  const [response] = await Promise.all([page.waitForNavigation(), page.click('form#register button[type=submit]')]);
  return response.status();
}

async function usernameError(page) {
  const error = page.locator('#username-error');
  assert.equal(await error.count(), 1, 'the error is shown next to the username');
  return (await error.textContent()).trim();
}

test('registration asks the homeserver: a taken, reserved or refused username is refused on the form and no account is created', async () => {
  const options = { double: { existingUsers: ['bob'], exclusivePrefix: 'bridge_' } };
  await withHomeserver(options, async ({ synapse, server }) => {
    const password = 'a long enough passphrase for registration';
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(server.url('/register'));
      await page.waitForSelector('form#register');

      // The double answers 400 M_USER_IN_USE, M_EXCLUSIVE (its application
      // service's prefix) and M_INVALID_USERNAME (numeric, as Python's int()
      // reads "-42") respectively; mxauth's own rules accept all three.
      const refusals = [
        ['bob', 409, 'This username is taken'],
        ['bridge_x', 409, 'This username is reserved on this homeserver'],
        ['-42', 400, 'The homeserver does not accept this username'],
      ];
      for (const [name, status, message] of refusals) {
        assert.equal(await register(page, name, password), status, name);
        assert.equal(new URL(page.url()).pathname, '/register', `${name}: still on the form`);
        assert.equal(await usernameError(page), message, name);
        assert.equal(await page.inputValue('form#register [name=username]'), name, 'the username is kept');
        const asked = (await synapse.calls(AVAILABLE)).at(-1);
        assert.equal(asked?.query, `localpart=${encodeURIComponent(name)}`, `${name}: the homeserver was asked`);
        assert.equal(asked.status, 400);
      }

      // A free name: the account is created, signed in, and the homeserver
      // is told about it in the background.
      assert.equal(await register(page, 'carol', password), 200);
      assert.equal(new URL(page.url()).pathname, '/account/');
      assert.match(await page.textContent('main'), /@carol:example\.test/);
      await synapse.waitFor(PROVISION, 1);
      const state = await synapse.state();
      assert.equal(state.users.carol?.user_id, '@carol:example.test');
      assert.deepEqual((await synapse.calls(PROVISION)).map((call) => JSON.parse(call.body).localpart), ['carol'],
        'only carol was provisioned');
      assert.deepEqual(Object.keys(state.users).sort(), ['bob', 'carol']);
    } finally {
      await context.close();
    }
    // No local account was created for the refused names: the CLI can add
    // them (it does not ask the homeserver), and not carol.
    for (const name of ['bob', 'bridge_x', '-42']) server.addUser(name, password);
    assert.throws(() => server.addUser('carol', password), /failed/, 'carol exists');
  });
});

test('registration while the homeserver is down answers 503 and creates no account', async () => {
  await withHomeserver({}, async ({ synapse, server }) => {
    const password = 'a long enough passphrase for registration';
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      await page.goto(server.url('/register'));
      await page.waitForSelector('form#register');
      assert.equal(await synapse.stop(), 0);
      assert.equal(await register(page, 'dave', password), 503);
      assert.match(await page.textContent('main'), /homeserver cannot be reached/i);
    } finally {
      await context.close();
    }
    server.addUser('dave', password); // throws if registration created dave
  });
});

test('a code exchange that fails (wrong PKCE verifier, unknown client) does not touch the homeserver', async () => {
  await withHomeserver({}, async (hs) => {
    const device = newDevice();
    const code = await login(hs, device);
    const wrongVerifier = await json(await exchange(hs, { ...code, verifier: randomBytes(32).toString('base64url') }));
    assert.equal(wrongVerifier.status, 400);
    assert.equal(wrongVerifier.body.error, 'invalid_grant');
    const unknownClient = await json(await exchangeCode(hs.server, '01UNKNOWNCLIENT0000000000', code));
    assert.equal(unknownClient.status, 401);
    const state = await hs.synapse.state();
    assert.deepEqual(state.calls.map((call) => call.path), [], 'the homeserver heard nothing');
    assert.equal(state.users.alice, undefined, 'alice was not provisioned');
  });
});

test('a homeserver call that fails at the code exchange is logged with its path (docs/setup/synapse.md §6)', async () => {
  await withHomeserver({}, async (hs) => {
    const code = await login(hs, newDevice());
    const notRequest = (needle) => (line) => !line.includes('"msg":"request"') && line.includes(needle);
    await hs.synapse.addFault({ path: UPSERT, status: 500, count: 1 });
    assert.equal((await exchange(hs, code)).status, 500);
    assert.match(await hs.server.waitForLine(notRequest('upsert_device')), /upsert_device/, 'a log line names upsert_device');
    assert.equal(await hs.synapse.stop(), 0);
    assert.equal((await exchange(hs, code)).status, 503);
    assert.match(await hs.server.waitForLine(notRequest('provision_user')), /provision_user/, 'a log line names provision_user');
  });
});
