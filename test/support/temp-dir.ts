import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh directory under the OS temp dir, removed by the returned cleanup. */
export const makeTempDir = (prefix = 'gatehouse-test-'): { path: string; cleanup: () => void } => {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, cleanup: () => rmSync(path, { recursive: true, force: true }) };
};

export const TEST_SECRET_KEY = 'a'.repeat(64);
