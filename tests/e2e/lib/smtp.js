// tests/smtp/smtp_sink.py (Debian's python3-aiosmtpd) on loopback: every
// message it accepts lands in its directory as NNNN.eml, then NNNN.json
// (written last, so a .json means the .eml is complete).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function startSmtpSink() {
  const dir = mkdtempSync(join(tmpdir(), 'mxauth-smtp-'));
  const script = new URL('../../smtp/smtp_sink.py', import.meta.url).pathname;
  const child = spawn('/usr/bin/python3', [script, '--dir', dir], { stdio: ['pipe', 'pipe', 'pipe'] });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const match = out.match(/port (\d+)/);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`smtp_sink.py exited with ${code}`)));
  });
  return {
    port,
    // The mxauth environment that sends through this sink.
    env: {
      MXAUTH_EMAIL__TRANSPORT: 'smtp',
      MXAUTH_EMAIL__SMTP__HOST: '127.0.0.1',
      MXAUTH_EMAIL__SMTP__PORT: String(port),
    },
    // How many messages the sink holds now.
    count() {
      let n = 0;
      while (existsSync(join(dir, `${String(n + 1).padStart(4, '0')}.json`))) n += 1;
      return n;
    },
    // The raw text of message N (1-based) once the sink has it; polls the
    // directory (the sink writes it when the SMTP transaction ends) and fails
    // after TIMEOUT_MS.
    async message(n, timeoutMs = 15000) {
      const name = String(n).padStart(4, '0');
      const deadline = Date.now() + timeoutMs;
      while (!existsSync(join(dir, `${name}.json`))) {
        assert.ok(Date.now() < deadline, `message ${n} reached the SMTP sink`);
        await new Promise((resolve) => { setTimeout(resolve, 50); });
      }
      return readFileSync(join(dir, `${name}.eml`), 'utf8');
    },
    async stop() {
      const done = new Promise((resolve) => { child.once('exit', resolve); });
      child.stdin.end();
      await done;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// The text/plain body of a raw message, with quoted-printable soft breaks
// and escapes undone (enough for the ASCII our messages carry).
export function plainText(raw) {
  return raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
}
