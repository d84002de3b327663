// The Synapse double (tests/synapse_double/README.md) as a child process: it
// plays Synapse's side of the contract with mxauth (spec-digest §5) and has
// an HTTP control API under /_double/*. startWithHomeserver() starts a double
// and an mxauth pointed at it, and tells the double where mxauth is.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';

import { binary as mxauthBinary, MxauthServer } from './server.js';

// Beside the mxauth binary under test (run.sh exports both).
export const doubleBinary = process.env.SYNAPSE_DOUBLE_BIN ?? join(dirname(mxauthBinary), 'synapse-double');

export const SERVER_NAME = 'example.test';

// Spawns the double and resolves with its port once it prints
// "listening on 127.0.0.1:PORT"; rejects with its stderr if it exits first.
function spawnDouble(args) {
  const child = spawn(doubleBinary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const port = new Promise((resolve, reject) => {
    child.stdout.on('data', (d) => {
      stdout += d;
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(stdout);
      if (m) resolve(Number(m[1]));
    });
    child.stderr.on('data', (d) => { stderr += d; });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      reject(new Error(`synapse-double exited with ${code ?? signal} before listening: ${stderr}`)));
  });
  return { child, port, stderr: () => stderr };
}

export class SynapseDouble {
  constructor(child, port, options) {
    this.child = child;
    this.port = port;
    this.options = options;
    this.secret = options.secret;
    this.serverName = options.serverName;
    this.base = `http://127.0.0.1:${port}/`;
    this.exitCode = undefined;
  }

  // Options: secret, serverName (example.test), port (0: the kernel picks;
  // otherwise that port, tried twice in case it is still held),
  // existingUsers ([localpart]), exclusivePrefix, introspectionCacheMs.
  static async start(options = {}) {
    const opts = {
      secret: options.secret ?? `double-secret-${Math.random().toString(36).slice(2)}`,
      serverName: options.serverName ?? SERVER_NAME,
      existingUsers: options.existingUsers ?? [],
      exclusivePrefix: options.exclusivePrefix,
      introspectionCacheMs: options.introspectionCacheMs,
    };
    const args = ['--secret', opts.secret, '--server-name', opts.serverName, '--listen', `127.0.0.1:${options.port ?? 0}`];
    for (const user of opts.existingUsers) args.push('--existing-user', user);
    if (opts.exclusivePrefix !== undefined) args.push('--exclusive-prefix', opts.exclusivePrefix);
    if (opts.introspectionCacheMs !== undefined) args.push('--introspection-cache-ms', String(opts.introspectionCacheMs));

    let spawned = spawnDouble(args);
    let port;
    try {
      port = await spawned.port;
    } catch (error) {
      // A fixed port can still be held by the previous double for a moment.
      if (!options.port || !/Address already in use/.test(spawned.stderr())) throw error;
      spawned = spawnDouble(args);
      port = await spawned.port;
    }
    return new SynapseDouble(spawned.child, port, opts);
  }

  url(path) {
    return new URL(path.replace(/^\//, ''), this.base).toString();
  }

  // The environment that points mxauth at this double.
  mxauthEnv() {
    return {
      MXAUTH_MATRIX__ENDPOINT: this.base,
      MXAUTH_MATRIX__SECRET: this.secret,
      MXAUTH_MATRIX__HOMESERVER: this.serverName,
    };
  }

  async #control(method, path, body) {
    const response = await fetch(this.url(path), {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    assert.ok(response.ok, `${method} ${path}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  }

  // GET /_double/state: users, devices, call log, faults.
  state() {
    return this.#control('GET', '/_double/state');
  }

  // The recorded calls to PATH (from the state's call log), oldest first.
  async calls(path) {
    return (await this.state()).calls.filter((call) => call.path === path);
  }

  config({ mxauth_base: mxauthBase }) {
    return this.#control('POST', '/_double/config', { mxauth_base: mxauthBase });
  }

  // {path, status?, body?, delay_ms?, count?}
  addFault(fault) {
    return this.#control('POST', '/_double/faults', fault);
  }

  clearFaults() {
    return this.#control('DELETE', '/_double/faults');
  }

  clearCalls() {
    return this.#control('DELETE', '/_double/calls');
  }

  // Long-polls until COUNT calls to PATH were answered (phase 'arrived':
  // received); returns {reached, count}.
  wait(path, count = 1, timeoutMs = 15000, phase = 'answered') {
    const query = new URLSearchParams({ path, count: String(count), timeout_ms: String(timeoutMs), phase });
    return this.#control('GET', `/_double/wait?${query}`);
  }

  // wait(), failing the test when the count is not reached.
  async waitFor(path, count = 1, timeoutMs = 15000, phase = 'answered') {
    const result = await this.wait(path, count, timeoutMs, phase);
    assert.ok(result.reached, `${count} call(s) to ${path} (${phase}) within ${timeoutMs} ms; got ${result.count}`);
    return result;
  }

  // GET /_matrix/client/v3/account/whoami as a Matrix client would:
  // {status, body}.
  async whoami(token) {
    const response = await fetch(this.url('/_matrix/client/v3/account/whoami'), {
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: response.status, body: await response.json() };
  }

  // SIGTERM; resolves with the exit code (0 on a clean stop).
  async stop() {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const done = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
      this.child.kill('SIGTERM');
      this.exitCode = await done;
    } else if (this.exitCode === undefined) {
      this.exitCode = this.child.exitCode;
    }
    return this.exitCode;
  }

  // A new double on the same port with the same options (fresh state).
  restart() {
    return SynapseDouble.start({ ...this.options, port: this.port });
  }
}

// Starts a double, then mxauth with matrix.endpoint/secret/homeserver set to
// it (plus ENV), then tells the double mxauth's base. Returns {synapse, server};
// stop both with stopBoth().
export async function startWithHomeserver({ double: doubleOptions = {}, env = {} } = {}) {
  const synapse = await SynapseDouble.start(doubleOptions);
  let server;
  try {
    server = await MxauthServer.start({ env: { ...synapse.mxauthEnv(), ...env } });
    await synapse.config({ mxauth_base: server.base });
  } catch (error) {
    await server?.stop();
    await synapse.stop();
    throw error;
  }
  return { synapse, server };
}

// Stops mxauth, then the double; resolves with both exit codes.
export async function stopBoth({ synapse, server }) {
  const mxauth = await server?.stop();
  const double = await synapse?.stop();
  return { mxauth, double };
}

// Runs BODY(hs) with hs = startWithHomeserver(OPTIONS), then stops both and,
// unless BODY failed (its error matters more), asserts that both exited 0.
// BODY may replace hs.synapse (hs.synapse.restart()); the current one is stopped.
export async function withHomeserver(options, body) {
  const hs = await startWithHomeserver(options);
  let failed = false;
  try {
    await body(hs);
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    const codes = await stopBoth(hs);
    if (!failed) assert.deepEqual(codes, { mxauth: 0, double: 0 }, 'mxauth and the double stop cleanly');
  }
}
