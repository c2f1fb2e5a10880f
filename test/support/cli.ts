import { execFile } from 'node:child_process';
import { GATEHOUSE_BIN } from './child-gatehouse';

export type CliRun = { code: number; stdout: string; stderr: string };

/**
 * Runs the compiled CLI (`npm run build` first) with exactly `env` plus PATH and HOME: nothing
 * of the test process's own GATEHOUSE_* settings leaks in.
 */
export const runCli = (env: Record<string, string>, ...args: string[]): Promise<CliRun> =>
  new Promise((done) => {
    execFile(
      process.execPath,
      [GATEHOUSE_BIN, ...args],
      { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, timeout: 20_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        done({ code, stdout, stderr });
      },
    );
  });

/** As runCli, with `input` written to the command's stdin (a password for `--password-stdin`). */
export const runCliWithInput = (env: Record<string, string>, input: string, ...args: string[]): Promise<CliRun> =>
  new Promise((done) => {
    const child = execFile(
      process.execPath,
      [GATEHOUSE_BIN, ...args],
      { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, timeout: 20_000 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        done({ code, stdout, stderr });
      },
    );
    child.stdin?.end(input);
  });
