import os from 'node:os';
import { fixtureServer, stdioSpec, textOf } from '../../../test/fixtures/upstream-fixtures';
import { UpstreamSupervisor } from '.';

type EnvReport = { env: Record<string, string>; argv: string[]; cwd: string };

const ENV_SERVER = fixtureServer('env-server.js');
/** Variables of the gateway's own environment that must never reach an upstream. */
const GATEWAY_SECRETS = {
  GATEHOUSE_SECRET_KEY: 'do-not-leak-key',
  GATEHOUSE_ADMIN_TOKEN: 'do-not-leak-token',
  AWS_SECRET_ACCESS_KEY: 'do-not-leak-aws',
};

describe('the environment of a stdio upstream', () => {
  const saved: Record<string, string | undefined> = {};
  let report: EnvReport;

  beforeAll(async () => {
    for (const [name, value] of Object.entries(GATEWAY_SECRETS)) {
      saved[name] = process.env[name];
      process.env[name] = value;
    }
    const supervisor = new UpstreamSupervisor(
      stdioSpec(ENV_SERVER, ['$(touch /tmp/gatehouse-pwned)', '*', '; echo hi'], {
        env: { CONFIGURED_TOKEN: 'from-config', LANG: 'C.UTF-8' },
        cwd: os.tmpdir(),
      }),
    );
    try {
      report = JSON.parse(textOf(await supervisor.callTool({ name: 'get_env', arguments: {} }))) as EnvReport;
    } finally {
      await supervisor.close();
    }
  });

  afterAll(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('contains no GATEHOUSE_ variable and nothing else of the gateway', () => {
    expect(Object.keys(report.env).filter((name) => name.startsWith('GATEHOUSE_'))).toEqual([]);
    expect(report.env.AWS_SECRET_ACCESS_KEY).toBeUndefined();
    expect(JSON.stringify(report.env)).not.toContain('do-not-leak');
  });

  it('holds only the minimal inherited variables plus the configured ones', () => {
    const allowed = new Set(['PATH', 'HOME', 'USER', 'LANG', 'TMPDIR', 'CONFIGURED_TOKEN']);

    expect(Object.keys(report.env).filter((name) => !allowed.has(name))).toEqual([]);
    expect(report.env.PATH).toBe(process.env.PATH);
    expect(report.env.CONFIGURED_TOKEN).toBe('from-config');
    expect(report.env.LANG).toBe('C.UTF-8');
  });

  it('passes arguments verbatim, without a shell, and runs in the configured directory', () => {
    expect(report.argv).toEqual(['$(touch /tmp/gatehouse-pwned)', '*', '; echo hi']);
    expect(report.cwd).toBe(os.tmpdir());
  });
});
