// Debian's chromium driven by playwright-core (no browser download).
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';

export const artifacts = new URL('../artifacts/', import.meta.url).pathname;

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

// Saves a full-page screenshot as a test artifact (tests/e2e/artifacts/NAME.png).
export async function screenshot(page, name) {
  mkdirSync(artifacts, { recursive: true });
  await page.screenshot({ path: `${artifacts}${name}.png`, fullPage: true });
}

// Records every request the pages of CONTEXT make, with the headers as sent
// (request.allHeaders(), which for requests answered by a route are the
// headers the browser would have sent). Call list() to get them all.
export function recordRequests(context) {
  const recorded = [];
  context.on('request', (request) => {
    recorded.push({ request, headers: request.allHeaders().catch(() => request.headers()) });
  });
  return {
    async list() {
      return Promise.all(recorded.map(async ({ request, headers }) => ({
        method: request.method(),
        url: new URL(request.url()),
        resourceType: request.resourceType(),
        headers: await headers,
      })));
    },
  };
}
