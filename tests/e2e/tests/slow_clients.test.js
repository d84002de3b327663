// Slow clients (issue 7, C.8): a slowloris attack does not stop others being
// served, and 10,000 idle connections exhaust neither file descriptors nor
// memory.
//  - slowloris: more attackers than http.max_connections open connections
//    and trickle header lines, never finishing a request head, and come back
//    when dropped; meanwhile fresh clients must be served at once (the
//    server sheds the head that has waited the longest, see
//    src/http/connection_slots.h);
//  - idle: 10,000 connections (half silent, half idle keep-alive after one
//    request) against the default http.max_connections; /health and a login
//    still work, the server's descriptors and RSS stay bounded, and the
//    descriptors come back when the clients close;
//  - a low open-file limit: the server warns, serves fewer connections than
//    configured, and accept() never fails with EMFILE.
// The counts scale through the environment (for a soak run):
// MXAUTH_SLOW_LORIS_CONNECTIONS, MXAUTH_SLOW_MAX_CONNECTIONS,
// MXAUTH_SLOW_LORIS_SECONDS, MXAUTH_SLOW_REQUESTS, MXAUTH_SLOW_IDLE_CONNECTIONS,
// MXAUTH_SLOW_MAX_RSS_MIB, MXAUTH_SLOW_MAX_LATENCY_MS.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { test } from 'node:test';

import { introspect } from '../lib/flow.js';
import { MxauthServer } from '../lib/server.js';

const SECRET = 'e2e-slow-clients-homeserver-secret';
const ALICE = { name: 'alice', password: 'alice is not slow at all' };
const MAX_CONNECTIONS = Number(process.env.MXAUTH_SLOW_MAX_CONNECTIONS ?? 200);
const LORIS = Number(process.env.MXAUTH_SLOW_LORIS_CONNECTIONS ?? MAX_CONNECTIONS + 50);
const LORIS_SECONDS = Number(process.env.MXAUTH_SLOW_LORIS_SECONDS ?? 8);
const REQUESTS = Number(process.env.MXAUTH_SLOW_REQUESTS ?? 40);
const IDLE = Number(process.env.MXAUTH_SLOW_IDLE_CONNECTIONS ?? 10000);
const MAX_RSS_MIB = Number(process.env.MXAUTH_SLOW_MAX_RSS_MIB ?? 64);
const MAX_LATENCY_MS = Number(process.env.MXAUTH_SLOW_MAX_LATENCY_MS ?? 1000);

function openFds(pid) {
  return readdirSync(`/proc/${pid}/fd`).length;
}

// VmRSS and VmHWM (peak) of PID, in KiB.
function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) => Number(status.match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm'))[1]);
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

// This process's soft limit on open files.
function ownOpenFileLimit() {
  const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
  const soft = line.split(/\s{2,}/)[1];
  return soft === 'unlimited' ? Infinity : Number(soft);
}

async function waitFor(condition, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value.ok) return value;
    if (Date.now() > deadline) assert.fail(`${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

// One request on a connection of its own (no keep-alive pool: a fresh
// client, as one arriving during an attack would be). Resolves with the
// status, body and the time it took.
function freshRequest(server, method, path, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = httpRequest(server.url(path), { method, agent: false, headers, timeout: 20000 }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => { text += chunk; });
      res.on('end', () => resolve({ status: res.statusCode, body: text, ms: performance.now() - started }));
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end(body);
  });
}

function passwordLogin(server) {
  return freshRequest(server, 'POST', '/_matrix/client/v3/login', {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      type: 'm.login.password', identifier: { type: 'm.id.user', user: ALICE.name }, password: ALICE.password,
    }),
  });
}

async function shedCount(server) {
  const text = (await freshRequest(server, 'GET', '/metrics')).body;
  const match = text.match(/^mxauth_http_shed_connections_total (\d+)/m);
  assert.ok(match, 'the shed counter is exported');
  return Number(match[1]);
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

// Opens a TCP connection; resolves once connected. The socket is kept by
// the caller; `closed` counts the ones the server closed.
function openConnection(port, tally) {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => resolve(socket));
    socket.once('error', (error) => { tally.errors += 1; reject(error); });
    socket.on('close', () => { if (!socket.closedByUs) tally.closed += 1; });
    socket.on('data', () => {});
  });
}

test(`slowloris: ${LORIS} trickling heads against max_connections ${MAX_CONNECTIONS}, fresh clients still served`, async () => {
  const server = await MxauthServer.start({
    env: {
      MXAUTH_MATRIX__SECRET: SECRET,
      MXAUTH_HTTP__MAX_CONNECTIONS: String(MAX_CONNECTIONS),
      // Longer than the attack: what keeps the others served is shedding,
      // not the header deadline.
      MXAUTH_HTTP__HEADER_TIMEOUT: String(LORIS_SECONDS * 4),
      MXAUTH_RATE_LIMITS__LOGIN__PER_IP__BURST: '0',
    },
  });
  server.addUser(ALICE.name, ALICE.password);
  const port = Number(new URL(server.base).port);
  const pid = server.child.pid;
  try {
    const shedBefore = await shedCount(server);

    // The attack: each attacker sends the start of a request head, then a
    // header line every 500 ms, and reconnects 200 ms after being dropped.
    let attacking = true;
    const attack = { opened: 0, dropped: 0 };
    const sockets = new Set();
    const attacker = () => {
      if (!attacking) return;
      const socket = connect({ port, host: '127.0.0.1' });
      attack.opened += 1;
      sockets.add(socket);
      let trickle;
      socket.on('connect', () => {
        socket.write(`GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slowloris-${attack.opened}\r\n`);
        trickle = setInterval(() => socket.write(`X-${Math.random().toString(36).slice(2, 8)}: a\r\n`), 500);
      });
      socket.on('data', () => {});
      socket.on('error', () => {});
      socket.on('close', () => {
        clearInterval(trickle);
        sockets.delete(socket);
        if (!attacking) return;
        attack.dropped += 1;
        setTimeout(attacker, 200);
      });
    };
    for (let i = 0; i < LORIS; i += 1) attacker();
    // The server is full of attackers before the first fresh client.
    await waitFor(() => ({ ok: openFds(pid) >= MAX_CONNECTIONS, fds: openFds(pid) }), 20000,
      'the attackers fill the server');

    const latencies = [];
    const statuses = new Map();
    const attackEnds = Date.now() + LORIS_SECONDS * 1000;
    let requests = 0;
    while (requests < REQUESTS || Date.now() < attackEnds) {
      const answer = requests % 10 === 9 ? await passwordLogin(server) : await freshRequest(server, 'GET', '/health');
      requests += 1;
      latencies.push(answer.ms);
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
    }
    const fdsUnderAttack = openFds(pid);
    attacking = false;
    for (const socket of sockets) socket.destroy();

    latencies.sort((a, b) => a - b);
    const figures = {
      attackers: LORIS, max_connections: MAX_CONNECTIONS, attack_connections: attack.opened,
      attackers_dropped: attack.dropped, requests, statuses: Object.fromEntries(statuses),
      p50_ms: Math.round(percentile(latencies, 50)), p99_ms: Math.round(percentile(latencies, 99)),
      max_ms: Math.round(latencies.at(-1)), fds_under_attack: fdsUnderAttack,
    };
    console.log(`slowloris: ${JSON.stringify(figures)}`);
    assert.deepEqual([...statuses.keys()], [200], 'every fresh client got 200 (health and logins)');
    assert.ok(latencies.at(-1) < MAX_LATENCY_MS, `every answer within ${MAX_LATENCY_MS} ms: ${JSON.stringify(figures)}`);
    // Fresh clients close their connections after one request, which frees
    // a slot until an attacker comes back: not every one has to shed.
    assert.ok(attack.dropped > 0, 'attackers were shed to make room');
    assert.ok((await shedCount(server)) - shedBefore >= attack.dropped, 'the shed counter counts them');
    assert.ok(fdsUnderAttack <= MAX_CONNECTIONS + 64 + 64, `descriptors stay bounded under attack (${fdsUnderAttack})`);
    assert.equal(server.child.exitCode, null, 'the server is still running');
  } finally {
    assert.equal(await server.stop(), 0);
  }
});

test(`${IDLE} idle connections: still serving, descriptors and memory bounded`, async (t) => {
  const ownLimit = ownOpenFileLimit();
  if (ownLimit < IDLE + 200) {
    t.skip(`this process may open ${ownLimit} files, fewer than ${IDLE + 200}: run under ` +
      `\`ulimit -n $(ulimit -Hn)\` (hard limit here: see ulimit -Hn) or lower MXAUTH_SLOW_IDLE_CONNECTIONS`);
    return;
  }
  const server = await MxauthServer.start({
    env: {
      MXAUTH_MATRIX__SECRET: SECRET,
      MXAUTH_HTTP__MAX_CONNECTIONS: String(IDLE),
      // The silent half must outlive the measurement; shedding, not the
      // header deadline, is what this test is about.
      MXAUTH_HTTP__HEADER_TIMEOUT: '300',
      MXAUTH_HTTP__IDLE_TIMEOUT: '300',
      MXAUTH_RATE_LIMITS__LOGIN__PER_IP__BURST: '0',
    },
  });
  server.addUser(ALICE.name, ALICE.password);
  const port = Number(new URL(server.base).port);
  const pid = server.child.pid;
  const sockets = [];
  try {
    // Warm up (pools, lazily opened files) before counting.
    assert.equal((await freshRequest(server, 'GET', '/health')).status, 200);
    assert.equal((await passwordLogin(server)).status, 200);
    const fdsBefore = openFds(pid);
    const memoryBefore = memory(pid);

    // Connect in batches, so that the listen backlog never overflows.
    const tally = { closed: 0, errors: 0 };
    const opening = performance.now();
    for (let i = 0; i < IDLE; i += 250) {
      const batch = Array.from({ length: Math.min(250, IDLE - i) }, () => openConnection(port, tally));
      sockets.push(...await Promise.all(batch));
    }
    // Half of them make one request and then idle, kept alive.
    const keptAlive = sockets.filter((_, i) => i % 2 === 1);
    for (let i = 0; i < keptAlive.length; i += 250) {
      await Promise.all(keptAlive.slice(i, i + 250).map((socket) => new Promise((resolve) => {
        let seen = '';
        const onData = (chunk) => {
          seen += chunk.toString('latin1');
          if (seen.includes('\r\n\r\n')) { socket.off('data', onData); resolve(); }
        };
        socket.on('data', onData);
        socket.write('GET /assets/mxauth.css HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
      })));
    }
    const openMs = Math.round(performance.now() - opening);
    // (Give or take the warm-up's connections, still closing when counted.)
    await waitFor(() => ({ ok: openFds(pid) >= fdsBefore + IDLE - 4, fds: openFds(pid) }), 20000,
      'the server holds every connection');
    const fdsHeld = openFds(pid);
    const held = memory(pid);

    // At the cap, fresh clients are still served: each sheds the
    // connection that has waited the longest.
    const health = await freshRequest(server, 'GET', '/health');
    const login = await passwordLogin(server);
    assert.equal(health.status, 200, 'GET /health with every slot taken');
    assert.equal(login.status, 200, `a password login with every slot taken: ${login.body}`);
    assert.equal((await introspect(server, SECRET, JSON.parse(login.body).access_token)).active, true);
    const after = memory(pid);

    const figures = {
      idle: IDLE, open_ms: openMs, fds_before: fdsBefore, fds_held: fdsHeld,
      rss_before_kib: memoryBefore.rss, rss_held_kib: held.rss, rss_peak_kib: after.peak,
      health_ms: Math.round(health.ms), login_ms: Math.round(login.ms), idle_closed_by_server: tally.closed,
    };
    console.log(`idle connections: ${JSON.stringify(figures)}`);
    assert.equal(tally.errors, 0, 'every idle connection was accepted');
    assert.ok(fdsHeld <= fdsBefore + IDLE + 64, `descriptors: one per connection (${fdsHeld})`);
    assert.ok(after.peak < MAX_RSS_MIB * 1024, `peak RSS ${after.peak} KiB under ${MAX_RSS_MIB} MiB`);
    // The fresh requests (the metrics scrape is not one) shed one idle
    // connection each, no more.
    assert.ok(tally.closed <= 4, `at most one idle connection shed per fresh client (${tally.closed})`);

    for (const socket of sockets) { socket.closedByUs = true; socket.destroy(); }
    await waitFor(() => {
      const now = openFds(pid);
      return { ok: now <= fdsBefore + 2, before: fdsBefore, now };
    }, 20000, 'descriptors come back when the clients close');
    assert.equal((await freshRequest(server, 'GET', '/health')).status, 200);
  } finally {
    for (const socket of sockets) { socket.closedByUs = true; socket.destroy(); }
    assert.equal(await server.stop(), 0);
  }
});

test('an open-file limit below max_connections: a warning, fewer connections, no EMFILE', async () => {
  const LIMIT = 512;
  const server = await MxauthServer.start({
    openFileLimit: LIMIT,
    env: { MXAUTH_MATRIX__SECRET: SECRET, MXAUTH_HTTP__MAX_CONNECTIONS: '10000', MXAUTH_HTTP__HEADER_TIMEOUT: '300' },
  });
  const port = Number(new URL(server.base).port);
  const pid = server.child.pid;
  const sockets = [];
  try {
    const warning = server.output.split('\n').find((line) => line.includes('open-file limit is too low'));
    assert.ok(warning, `a warning names the limit: ${server.output}`);
    const { effective_max_connections: effective, open_file_limit: limit } = JSON.parse(warning);
    assert.equal(Number(limit), LIMIT);
    assert.ok(Number(effective) > 0 && Number(effective) < LIMIT - 64, `effective ${effective}`);

    // More connections than the limit allows descriptors.
    const tally = { closed: 0, errors: 0 };
    for (let i = 0; i < LIMIT + 100; i += 100) {
      sockets.push(...await Promise.all(Array.from({ length: 100 }, () => openConnection(port, tally))));
    }
    await waitFor(() => ({ ok: tally.closed >= LIMIT + 100 - Number(effective), closed: tally.closed }), 10000,
      'connections past the effective cap are shed');
    const health = await freshRequest(server, 'GET', '/health');
    assert.equal(health.status, 200);
    assert.ok(openFds(pid) < LIMIT, `descriptors stay under the limit (${openFds(pid)})`);
    assert.ok(!server.output.includes('accept: '), `accept never failed: ${server.output.slice(-2000)}`);
    console.log(`low limit: ${JSON.stringify({ limit: LIMIT, effective: Number(effective), opened: sockets.length, shed: tally.closed })}`);
  } finally {
    for (const socket of sockets) { socket.closedByUs = true; socket.destroy(); }
    assert.equal(await server.stop(), 0);
  }
});
