import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/**
 * The console's first-load budget: the JavaScript index.html loads (its module script and any
 * modulepreload), gzip-compressed as a CDN or reverse proxy would send it (the gateway itself
 * serves the files uncompressed). The ceiling is 250 KB; this budget is tighter, so that
 * a dependency that doubles the bundle fails the build long before the ceiling. Raise it on
 * purpose, in a commit that says why.
 */
export const CONSOLE_JS_GZIP_BUDGET = 110 * 1024;

export type BundleFile = Readonly<{ path: string; bytes: number; gzipBytes: number }>;
export type BundleReport = Readonly<{ js: readonly BundleFile[]; css: readonly BundleFile[]; jsGzipBytes: number; budget: number; withinBudget: boolean }>;

const measure = (dir: string, path: string): BundleFile => {
  const content = readFileSync(join(dir, path.replace(/^\//, '')));
  return { path, bytes: content.length, gzipBytes: gzipSync(content).length };
};

/** What a first visit downloads, read from the built index.html (dist/console by default). */
export const measureConsoleBundle = (dir: string, budget = CONSOLE_JS_GZIP_BUDGET): BundleReport => {
  const indexPath = join(dir, 'index.html');
  if (!existsSync(indexPath)) throw new Error(`${indexPath} is missing: run npm run build first`);
  const html = readFileSync(indexPath, 'utf8');
  const scripts = [...html.matchAll(/<script[^>]*\ssrc="([^"]+)"/g), ...html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)].map((match) => match[1]);
  const styles = [...html.matchAll(/<link[^>]*rel="stylesheet"[^>]*href="([^"]+)"/g)].map((match) => match[1]);
  if (scripts.length === 0) throw new Error(`${indexPath} loads no script: is this the built console?`);
  const js = [...new Set(scripts)].map((path) => measure(dir, path));
  const css = [...new Set(styles)].map((path) => measure(dir, path));
  const jsGzipBytes = js.reduce((sum, file) => sum + file.gzipBytes, 0);
  return { js, css, jsGzipBytes, budget, withinBudget: jsGzipBytes <= budget };
};

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;

/** `npm run budget:console`: prints the sizes and exits 1 over budget. */
if (require.main === module) {
  const report = measureConsoleBundle(join(__dirname, '..', '..', 'dist', 'console'));
  for (const file of [...report.js, ...report.css]) console.log(`${file.path}  ${kb(file.bytes)} raw, ${kb(file.gzipBytes)} gzip`);
  console.log(`first-load JavaScript: ${kb(report.jsGzipBytes)} gzip; budget ${kb(report.budget)}: ${report.withinBudget ? 'within' : 'OVER'}`);
  process.exitCode = report.withinBudget ? 0 : 1;
}
