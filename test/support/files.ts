import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Every regular file under `dir`, recursively (SQLite main file, -wal, -shm, key files, …). */
export const filesUnder = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });

/** Which of `needles` occur in the raw bytes of any file under `dir` (as UTF-8), with the file. */
export const findInFiles = (dir: string, needles: readonly string[]): { file: string; needle: string }[] =>
  filesUnder(dir).flatMap((file) => {
    const bytes = readFileSync(file);
    return needles.filter((needle) => bytes.includes(Buffer.from(needle, 'utf8'))).map((needle) => ({ file, needle }));
  });
