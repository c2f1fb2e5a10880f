import { isSecretByDefault, isSecretEnv, isSecretEnvName, isSecretHeader, isSecretHeaderValue, looksLikeCredential } from './env-secrecy';

describe('env secrecy', () => {
  describe('by name', () => {
    it.each([
      'API_KEY', 'GITHUB_TOKEN', 'DB_PASSWORD', 'OPENAI_API_KEY', 'apiKey', 'githubToken', 'client-secret', 'AWS_SECRET_ACCESS_KEY',
      'AWS_ACCESS_KEY_ID', 'PGPASSWORD', 'DB_PASS', 'MYSQL_PWD', 'BASIC_AUTH', 'GOOGLE_APPLICATION_CREDENTIALS', 'PRIVATE_KEY_PATH', 'SESSION_COOKIE',
      'GITHUBTOKEN', 'MYAPIKEY', 'SENTRY_DSN', 'app.secret',
    ])('treats %s as secret', (name) => {
      expect(isSecretEnvName(name)).toBe(true);
    });

    it.each(['LOG_LEVEL', 'NODE_ENV', 'PORT', 'HOME', 'KEYBOARD_LAYOUT', 'MONKEY_MODE', 'BYPASS_CACHE', 'AUTHOR_NAME', 'TOKENIZER', 'DEBUG', 'PATH'])(
      'treats %s as plain',
      (name) => {
        expect(isSecretEnvName(name)).toBe(false);
      },
    );
  });

  describe('by value', () => {
    it.each([
      ['an OpenAI key', 'sk-proj-abcdEFGH1234ijkl'],
      ['a GitHub token', 'ghp_16C7e42F292c6912E7710c838347Ae178B4a'],
      ['a fine-grained GitHub token', 'github_pat_11ABCDEFG0123456789'],
      ['a Slack bot token', 'xoxb-123456789012-abcdefghij'],
      ['an AWS access key id', 'AKIAIOSFODNN7EXAMPLE'],
      ['a GitLab token', 'glpat-xxxxxxxxxxxxxxxxxxxx'],
      ['a JWT', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig'],
      ['a connection string with a password', 'postgres://app:s3cret@db.internal:5432/app'],
      ['a PEM key', '-----BEGIN PRIVATE KEY-----\nMIIE'],
      ['a hex key', '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'],
      ['a random token', 'Zk3q9XbT2mLw8RvN4pYc'],
    ])('treats %s as a credential', (_, value) => {
      expect(looksLikeCredential(value)).toBe(true);
    });

    it.each([
      ['a log level', 'debug'],
      ['an environment name', 'production'],
      ['a boolean', 'true'],
      ['a port', '8080'],
      ['a path', '/usr/local/share/mcp-servers/files'],
      ['a URL without a password', 'https://api.example.com/v1/Resources2024'],
      ['a sentence', 'Hello World From The Config 2024'],
      ['a short prefix lookalike', 'sk-learn'],
      ['a long lower-case identifier', 'my-very-long-service-name-here'],
    ])('does not treat %s as a credential', (_, value) => {
      expect(looksLikeCredential(value)).toBe(false);
    });
  });

  it('is secret when either the name or the value says so', () => {
    expect(isSecretByDefault('LOG_LEVEL', 'debug')).toBe(false);
    expect(isSecretByDefault('API_KEY', 'debug')).toBe(true);
    expect(isSecretByDefault('UPSTREAM', 'ghp_16C7e42F292c6912E7710c838347Ae178B4a')).toBe(true);
  });

  it('lets an explicit flag win either way', () => {
    expect(isSecretEnv('LOG_LEVEL', 'debug', true)).toBe(true);
    expect(isSecretEnv('API_KEY', 'not-really', false)).toBe(false);
    expect(isSecretEnv('API_KEY', 'x', null)).toBe(true);
    expect(isSecretEnv('LOG_LEVEL', 'debug', undefined)).toBe(false);
  });

  describe('headers', () => {
    it.each([
      ['X-Forward', 'Bearer sometoken'],
      ['X-Custom', 'Basic dXNlcjpwYXNzd29yZA=='],
      ['X-Custom', 'token abc'],
      ['X-Authentication', 'x'],
      ['X-JWT', 'x'],
      ['X-Bearer', 'x'],
      ['X-Passcode', '1234'],
      ['X-Otp', '123456'],
      ['X-Pin', '0000'],
      ['X-Sig', 'abc'],
      ['X-Request-Signature', 'abc'],
      ['X-Api-Key', 'x'],
      ['Authorization', 'x'],
      ['X-Extra', 'key=ghp_16C7e42F292c6912E7710c838347Ae178B4a'],
    ])('treats %s: %s as a credential', (name, value) => {
      expect(isSecretHeader(name, value)).toBe(true);
    });

    it.each([
      ['X-Tenant', 'acme'],
      ['X-Region', 'eu-west-1'],
      ['Accept-Language', 'en-GB, en'],
      ['X-Pinned-Version', '2024-06-01'],
    ])('keeps %s: %s as configuration', (name, value) => {
      expect(isSecretHeader(name, value)).toBe(false);
    });
  });

  describe('isSecretHeaderValue', () => {
    it('keeps a header declared secret secret, however plain it looks', () => {
      expect(isSecretHeaderValue('X-Customer', 'acme-42', true)).toBe(true);
    });

    it('leaves a plain-looking header without a flag plain', () => {
      expect(isSecretHeaderValue('X-Customer', 'acme-42', null)).toBe(false);
      expect(isSecretHeaderValue('X-Customer', 'acme-42', false)).toBe(false);
    });

    it('keeps the guess as a floor: a credential-looking header stays secret even declared plain', () => {
      expect(isSecretHeaderValue('X-Api-Key', 'x', false)).toBe(true);
      expect(isSecretHeaderValue('X-Extra', 'Bearer abc', false)).toBe(true);
    });
  });
});
