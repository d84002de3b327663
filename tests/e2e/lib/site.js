// A second local origin for the browser-security tests: a tiny HTTP server on
// another port of 127.0.0.1 (the same site as mxauth, a different origin)
// that serves the HTML pages a test gives it, with no security headers, and
// records every request it gets.
import { createServer } from 'node:http';

export async function startSite() {
  const pages = new Map();
  const requests = [];
  const srv = createServer((req, res) => {
    const url = new URL(req.url, `http://127.0.0.1:${srv.address().port}`);
    requests.push({ method: req.method, url, headers: req.headers });
    const body = pages.get(url.pathname);
    if (body === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(body);
  });
  await new Promise((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${srv.address().port}`;
  return {
    origin,
    requests,
    url: (path) => `${origin}${path}`,
    // Serves HTML (a whole document) at PATH; returns the page's URL.
    page(path, html) {
      pages.set(path, html);
      return `${origin}${path}`;
    },
    close: () => new Promise((resolve) => { srv.closeAllConnections?.(); srv.close(resolve); }),
  };
}

// Escapes text for an HTML attribute value or text node.
export function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
