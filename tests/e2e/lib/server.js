// Starts the real mxauth binary for an end-to-end test: a fresh data
// directory, a free port, the public base pointing at it, and helpers to run
// the CLI against the same configuration.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const binary = process.env.MXAUTH_BIN ?? new URL('../../../build/release/mxauth', import.meta.url).pathname;

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export class MxauthServer {
  constructor(dir, port, env) {
    this.dir = dir;
    this.port = port;
    this.base = `http://127.0.0.1:${port}/`;
    this.env = env;
    this.child = null;
    this.output = '';
  }

  // Options: extra environment (MXAUTH_* settings), database URI;
  // openFileLimit: run under `ulimit -n N` (soft and hard), as on a host
  // whose limit is below what http.max_connections needs.
  static async start(options = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'mxauth-e2e-'));
    const port = await freePort();
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      MXAUTH_HTTP__LISTEN: `127.0.0.1:${port}`,
      MXAUTH_HTTP__PUBLIC_BASE: `http://127.0.0.1:${port}/`,
      MXAUTH_MATRIX__HOMESERVER: 'example.test',
      // Cheap hashes keep the suite fast; the parameters are still argon2id.
      MXAUTH_PASSWORDS__ARGON2_MEMORY_KIB: '8192',
      MXAUTH_PASSWORDS__ARGON2_ITERATIONS: '1',
      ...options.env,
    };
    const server = new MxauthServer(dir, port, env);
    server.openFileLimit = options.openFileLimit;
    await server.#spawn();
    return server;
  }

  async #spawn() {
    const [command, args] = this.openFileLimit === undefined
      ? [binary, ['serve']]
      : ['bash', ['-c', `ulimit -n ${Number(this.openFileLimit)} && exec "$0" serve`, binary]];
    this.child = spawn(command, args, { cwd: this.dir, env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (d) => { this.output += d; });
    this.child.stderr.on('data', (d) => { this.output += d; });
    const exited = new Promise((_, reject) =>
      this.child.once('exit', (code) => reject(new Error(`mxauth exited with ${code}: ${this.output}`))));
    const listening = new Promise((resolve) => {
      const check = () => (this.output.includes('"msg":"listening"') ? resolve() : setTimeout(check, 10));
      check();
    });
    await Promise.race([listening, exited]);
  }

  url(path) {
    return new URL(path.replace(/^\//, ''), this.base).toString();
  }

  // Resolves with the first line of the server's output that satisfies
  // MATCH; fails after TIMEOUT_MS. The server writes its log in batches,
  // a few milliseconds after the event (docs/operations.md, Logs), so a
  // test that looks for a line waits for it rather than reading at once.
  waitForLine(match, timeoutMs = 5000) {
    const find = () => this.output.split('\n').find((line) => line && match(line));
    return new Promise((resolve, reject) => {
      const onData = () => {
        const line = find();
        if (line === undefined) return;
        cleanup();
        resolve(line);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no matching log line within ${timeoutMs} ms; output:\n${this.output.slice(-3000)}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.child.stdout.off('data', onData);
        this.child.stderr.off('data', onData);
      };
      // After this.output's own listener, so the new text is already in it.
      this.child.stdout.on('data', onData);
      this.child.stderr.on('data', onData);
      onData();
    });
  }

  // Resolves once the process has exited (after a kill), with its signal.
  waitForExit() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      return Promise.resolve(this.child.signalCode);
    }
    return new Promise((resolve) => this.child.once('exit', (_, signal) => resolve(signal)));
  }

  // Starts the binary again on the same data directory, port and
  // environment (after a kill: the crash-safety test).
  async restart() {
    assert.ok(this.child.exitCode !== null || this.child.signalCode !== null, 'restart() after the process ended');
    this.output = '';
    await this.#spawn();
  }

  // Runs `mxauth ARGS...` with the same configuration; returns stdout.
  cli(args, input) {
    const result = spawnSync(binary, args, { cwd: this.dir, env: this.env, input, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`mxauth ${args.join(' ')} failed: ${result.stderr}`);
    return result.stdout;
  }

  addUser(name, password, extra = []) {
    return JSON.parse(this.cli(['user', 'add', name, '--password-stdin', ...extra], `${password}\n`));
  }

  // Moves the browser sessions' authentication time back by SECONDS in the
  // SQLite database (the server reads it on every request): a stale session
  // for step-up tests without waiting for the clock. `.timeout` waits for
  // the server's own short write transactions instead of failing busy.
  ageBrowserSessions(seconds) {
    const result = spawnSync('sqlite3', ['-cmd', '.timeout 10000', join(this.dir, 'data', 'mxauth.db'),
      `UPDATE browser_sessions SET authenticated_at = authenticated_at - ${seconds * 1000};`], { encoding: 'utf8' });
    assert.equal(result.status, 0, result.stderr);
  }

  async stop() {
    if (this.child && this.child.exitCode === null) {
      const done = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
      this.child.kill('SIGTERM');
      this.exitCode = await done;
    }
    rmSync(this.dir, { recursive: true, force: true });
    return this.exitCode;
  }
}

export function writeConfig(dir, yaml) {
  writeFileSync(join(dir, 'mxauth.yaml'), yaml);
}

// The PostgreSQL command-line client: on PATH, else under /usr/lib/postgresql.
function psqlBinary() {
  const onPath = spawnSync('psql', ['--version'], { encoding: 'utf8' });
  if (onPath.status === 0) return 'psql';
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const version of versions) {
    const candidate = join(root, version, 'bin', 'psql');
    if (existsSync(candidate)) return candidate;
  }
  throw new Error('psql not found (on PATH or under /usr/lib/postgresql/*/bin)');
}

// Runs SQL with psql against URI; returns stdout (unaligned, tuples only).
// The output may be large (the crash-safety checks read every token of a
// long soak run): Node's default 1 MiB buffer would cut psql off.
export function psql(uri, sql) {
  const result = spawnSync(psqlBinary(), [uri, '-v', 'ON_ERROR_STOP=1', '-qAtc', sql],
    { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`psql ${sql} failed: ${result.error ?? ''} ${result.stderr}`);
  return result.stdout;
}

// A fresh, empty database on the PostgreSQL server of ADMIN_URI (a role
// allowed to create databases, e.g. MXAUTH_TEST_POSTGRES_URI from
// tools/pg-test-cluster.sh). Returns {name, uri, drop()}.
export function createPostgresDatabase(adminUri) {
  const name = `mxauth_e2e_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  psql(adminUri, `CREATE DATABASE ${name}`);
  const uri = new URL(adminUri);
  uri.pathname = `/${name}`;
  return {
    name,
    uri: uri.toString(),
    drop: () => psql(adminUri, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}
