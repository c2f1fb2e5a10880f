import { isSearchableSecret, isSensitiveKey, REDACTED, Redactor, serializePayload, truncateUtf8 } from './redaction';
import { secretValuesOf } from './secret-values';

describe('Redactor', () => {
  describe('given no configured secrets', () => {
    const redactor = new Redactor();

    it('hides values under sensitive keys at any depth, whatever their case or separator', () => {
      const input = { user: 'ann', Password: 'p4ss', nested: [{ api_key: 'k-1', 'X-Api-Key': 'k-2', accessToken: 't', cookie: 'c', note: 'fine' }], authorization: 'Bearer x' };
      expect(redactor.redact(input)).toEqual({
        user: 'ann', Password: REDACTED, nested: [{ api_key: REDACTED, 'X-Api-Key': REDACTED, accessToken: REDACTED, cookie: REDACTED, note: 'fine' }], authorization: REDACTED,
      });
    });

    it('leaves protocol fields that merely look sensitive alone', () => {
      expect(['progressToken', 'maxTokens', 'tokens', 'name', 'secretary'].filter(isSensitiveKey)).toEqual([]);
      expect(redactor.redact({ _meta: { progressToken: 7 }, maxTokens: 100 })).toEqual({ _meta: { progressToken: 7 }, maxTokens: 100 });
    });

    it('never changes its input', () => {
      const input = { password: 'p4ssword' };
      redactor.redact(input);
      expect(input).toEqual({ password: 'p4ssword' });
    });

    it('reports what it hid under keys, so the answer can hide it too', () => {
      const found = new Set<string>();
      redactor.redact({ args: { password: 'hunter2-horse' } }, found);
      expect(redactor.extend(found).redactText('you said hunter2-horse')).toBe(`you said ${REDACTED}`);
    });
  });

  describe('given configured secret values', () => {
    const redactor = new Redactor(['sk-live-0123456789', 'sk-live-0123456789-long', '12345678', 'ab', 'debug', 'production', '00000000']);

    it('replaces every occurrence in every string, the longest secret first', () => {
      expect(redactor.redact({ text: 'a sk-live-0123456789-long and sk-live-0123456789 b', list: ['x sk-live-0123456789'] })).toEqual({
        text: `a ${REDACTED} and ${REDACTED} b`, list: [`x ${REDACTED}`],
      });
    });

    it('catches a numeric secret sent as a number', () => {
      expect(redactor.redact({ pin: 12345678, other: 123456789 })).toEqual({ pin: REDACTED, other: 123456789 });
    });

    it('ignores values that could be ordinary words or are too short or too regular to be secrets', () => {
      expect(redactor.secretCount).toBe(3);
      expect(redactor.redactText('ab debug production 00000000')).toBe('ab debug production 00000000');
    });

    it('does not widen its floor when extended with values found under sensitive keys', () => {
      expect(redactor.extend(['debug', 'true', 'hunter2-horse']).secretCount).toBe(4);
    });
  });

  describe('which values it searches for', () => {
    it.each(['debug', 'production', 'true', 'Administrator', 'localhost', '00000000', 'abababab', 'short1'])('never %j', (value) => {
      expect(isSearchableSecret(value)).toBe(false);
    });

    it.each(['Zk3q9XbT', 'sk-live-0123456789', '12345678', 'correcthorsebatterystaple', 'p4ss-w0rd!'])('%j', (value) => {
      expect(isSearchableSecret(value)).toBe(true);
    });
  });
});

describe('Redactor.toJson', () => {
  const redactor = new Redactor(['sk"quoted\\secret']);

  it('serializes once and keeps the text when there is nothing to hide', () => {
    const json = redactor.toJson({ name: 'echo', arguments: { message: 'hi' } });
    expect(json.redacted).toBe(json.original);
  });

  it('finds a secret however JSON escapes it, and a sensitive key however it is spelt', () => {
    expect(JSON.parse(redactor.toJson({ note: 'is sk"quoted\\secret here' }).redacted)).toEqual({ note: `is ${REDACTED} here` });
    expect(JSON.parse(redactor.toJson({ a_p_i_key: 'x', 'Client-Secret': 'y' }).redacted)).toEqual({ a_p_i_key: REDACTED, 'Client-Secret': REDACTED });
  });
});

describe('payload serialization', () => {
  it('truncates to the byte limit without splitting a character', () => {
    expect(truncateUtf8('abcdef', 4)).toEqual({ text: 'abcd', truncated: true });
    expect(truncateUtf8('ééé', 3)).toEqual({ text: 'é', truncated: true });
    expect(truncateUtf8('short', 100)).toEqual({ text: 'short', truncated: false });
  });

  it('redacts before it truncates, so no part of a secret is kept', () => {
    const serialized = serializePayload(new Redactor(['sk-live-0123456789']), { key: 'sk-live-0123456789' }, 12);
    expect(serialized).toEqual({ text: '{"key":"[RED', truncated: true, bytes: 28 });
    expect(serializePayload(new Redactor(), undefined, 10)).toEqual({ text: null, truncated: false, bytes: 0 });
  });
});

describe('secretValuesOf', () => {
  it('takes env, header and bearer values, and the credential of an Authorization header alone', () => {
    const values = secretValuesOf({ env: { TOKEN: 'env-value' }, headers: { Authorization: 'Bearer hdr-token-1234' }, bearerToken: 'bearer-5678' });
    expect(values).toEqual(['env-value', 'Bearer hdr-token-1234', 'hdr-token-1234', 'bearer-5678']);
  });
});
