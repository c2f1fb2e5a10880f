import { createReadStream, existsSync, readdirSync } from 'node:fs';
import { join, sep } from 'node:path';
import Router from '@koa/router';
import type { Context } from 'koa';
import { ProblemError } from '../rest/problem';

/**
 * The web console: a single-page app built by `npm run build:console` (Vite, from console/) into
 * dist/console, served from this process at `/`. Mounted last, after /api, /mcp, /openapi, /oauth
 * and /.well-known, and it answers only its own paths, so it never shadows them.
 */
const ROOT = join(__dirname, '..', '..', '..', ...(__dirname.includes(`${sep}dist${sep}`) ? ['..'] : []));
export const CONSOLE_DIR = join(ROOT, 'dist', 'console');

/**
 * The console's pages. A deep link to one of them gets index.html and the page's router takes
 * over; anything else outside the assets stays a 404 problem.
 */
export const CONSOLE_PAGES: readonly string[] = ['/', '/signin', '/servers', '/servers/:name', '/profiles', '/profiles/:slug', '/history', '/keys', '/users', '/traffic', '/import'];

/** Scripts and styles from this origin only; no inline script, nothing framed, no form posts elsewhere. */
export const CONSOLE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const TYPES: Readonly<Record<string, string>> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
};

const notBuilt = (): ProblemError => new ProblemError(404, 'CONSOLE_NOT_BUILT', 'The console is not built: run npm run build (it runs build:console)');

/**
 * The built assets, listed once: a request names one of these files or gets a 404, so no path
 * from the request reaches the file system.
 */
const assetsOf = (dir: string): ReadonlyMap<string, string> => {
  const assets = join(dir, 'assets');
  if (!existsSync(assets)) return new Map();
  return new Map(readdirSync(assets).map((name) => [name, join(assets, name)]));
};

export const consoleRoutes = (dir: string = CONSOLE_DIR): Router => {
  const router = new Router();
  let assets: ReadonlyMap<string, string> | undefined;

  const sendIndex = (ctx: Context): void => {
    const index = join(dir, 'index.html');
    if (!existsSync(index)) throw notBuilt();
    ctx.set('Content-Security-Policy', CONSOLE_CSP);
    ctx.set('Cache-Control', 'no-cache');
    ctx.type = 'text/html; charset=utf-8';
    ctx.body = createReadStream(index);
  };

  router.get('/assets/:file', (ctx) => {
    assets ??= assetsOf(dir);
    const file = assets.get(String(ctx.params.file));
    const type = file === undefined ? undefined : TYPES[file.slice(file.lastIndexOf('.'))];
    if (file === undefined || type === undefined) throw new ProblemError(404, 'NOT_FOUND', 'No such console asset');
    // Vite names assets by their content hash: a name never changes its content.
    ctx.set('Cache-Control', 'public, max-age=31536000, immutable');
    ctx.type = type;
    ctx.body = createReadStream(file);
  });

  for (const page of CONSOLE_PAGES) router.get(page, sendIndex);
  return router;
};
