import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONSOLE_DIR } from '../src/api/console/console.routes';
import { CONSOLE_JS_GZIP_BUDGET, measureConsoleBundle } from '../scripts/console-budget';

/** The built console (npm run build, which every test run starts with) stays within its first-load budget. */
describe('the console bundle budget', () => {
  it('keeps the first-load JavaScript of the built console within the budget (gzip)', () => {
    const report = measureConsoleBundle(CONSOLE_DIR);
    expect(report.js.length).toBeGreaterThan(0);
    expect(report.jsGzipBytes).toBeGreaterThan(10 * 1024);
    expect(report.jsGzipBytes).toBeLessThanOrEqual(CONSOLE_JS_GZIP_BUDGET);
  });

  it('counts every script index.html loads, and fails a bundle over budget', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-budget-'));
    try {
      mkdirSync(join(dir, 'assets'));
      // Random bytes do not compress: 40 KB of them stay about 40 KB gzipped.
      const noise = Buffer.from(Array.from({ length: 40 * 1024 }, () => Math.floor(Math.random() * 256)));
      writeFileSync(join(dir, 'assets', 'a.js'), noise);
      writeFileSync(join(dir, 'assets', 'b.js'), noise);
      writeFileSync(join(dir, 'assets', 's.css'), 'body{}');
      writeFileSync(
        join(dir, 'index.html'),
        '<script type="module" crossorigin src="/assets/a.js"></script><link rel="modulepreload" crossorigin href="/assets/b.js"><link rel="stylesheet" href="/assets/s.css">',
      );
      const report = measureConsoleBundle(dir, 60 * 1024);
      expect(report.js.map((file) => file.path)).toEqual(['/assets/a.js', '/assets/b.js']);
      expect(report.css.map((file) => file.path)).toEqual(['/assets/s.css']);
      expect(report.jsGzipBytes).toBeGreaterThan(80 * 1024);
      expect(report.withinBudget).toBe(false);
      expect(measureConsoleBundle(dir, 200 * 1024).withinBudget).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a directory without a built console', () => {
    expect(() => measureConsoleBundle(join(tmpdir(), 'no-such-console'))).toThrow(/npm run build/);
  });
});
