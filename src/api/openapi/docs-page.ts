import { createReadStream } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The docs page of a profile's OpenAPI service: Swagger UI (swagger-ui-dist, served from this
 * process, no CDN) over `openapi.json`. The page holds nothing of the profile but its slug: the
 * document is fetched by the page with the key the user types (kept in memory only), which also
 * goes with the "Try it out" calls.
 */
export const DOCS_ASSETS_PATH = '/openapi/_assets';

const SWAGGER_UI = dirname(require.resolve('swagger-ui-dist/package.json'));

/** What the asset route serves, and nothing else: no path from the request reaches the file system. */
const ASSETS: Readonly<Record<string, { file?: string; body?: string; type: string }>> = {
  'swagger-ui.css': { file: join(SWAGGER_UI, 'swagger-ui.css'), type: 'text/css; charset=utf-8' },
  'swagger-ui-bundle.js': { file: join(SWAGGER_UI, 'swagger-ui-bundle.js'), type: 'text/javascript; charset=utf-8' },
  'docs.js': {
    type: 'text/javascript; charset=utf-8',
    body: `'use strict';
(() => {
  const form = document.getElementById('key-form');
  const status = document.getElementById('status');
  let key = '';
  const show = async () => {
    const response = await fetch('openapi.json', { headers: key ? { authorization: 'Bearer ' + key } : {} });
    if (response.status === 401 || response.status === 403) {
      form.hidden = false;
      status.textContent = key ? 'This key does not open the profile.' : 'This profile needs an API key.';
      return;
    }
    if (!response.ok) {
      status.textContent = 'The document could not be loaded (' + response.status + ').';
      return;
    }
    form.hidden = true;
    status.textContent = '';
    SwaggerUIBundle({
      spec: await response.json(),
      dom_id: '#ui',
      requestInterceptor: (request) => {
        if (key) request.headers.Authorization = 'Bearer ' + key;
        return request;
      },
    });
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    key = document.getElementById('key').value.trim();
    void show();
  });
  void show();
})();
`,
  },
};

export const docsAsset = (name: string): { type: string; body: NodeJS.ReadableStream | string } | null => {
  const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
  if (!asset) return null;
  return { type: asset.type, body: asset.file ? createReadStream(asset.file) : (asset.body as string) };
};

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The page; relative URLs, so that it works under any public URL. */
export const docsPage = (slug: string): string => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(slug)} — Gatehouse OpenAPI</title>
<link rel="stylesheet" href="../_assets/swagger-ui.css">
</head>
<body>
<form id="key-form" hidden>
<label>API key <input id="key" type="password" autocomplete="off"></label>
<button type="submit">Show</button>
</form>
<p id="status" role="status"></p>
<div id="ui"></div>
<script src="../_assets/swagger-ui-bundle.js"></script>
<script src="../_assets/docs.js"></script>
</body>
</html>
`;

/** What the page may load: its own scripts and styles (Swagger UI sets inline styles), and calls to this origin. */
export const DOCS_CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";
