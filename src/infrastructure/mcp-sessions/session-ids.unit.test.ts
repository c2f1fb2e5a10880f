import { randomBytes } from 'node:crypto';
import { SecretBox } from '../crypto';
import { SessionIds } from './session-ids';

const box = (id = 'k1'): SecretBox => {
  const key = { id, key: randomBytes(32) };
  return new SecretBox(key, new Map([[key.id, key]]));
};

/** The id with one character of its sealed part changed. */
const tampered = (id: string, at: number): string => {
  const index = id.length - at;
  return id.slice(0, index) + (id[index] === 'A' ? 'B' : 'A') + id.slice(index + 1);
};

describe('SessionIds', () => {
  const secrets = box();
  const ids = new SessionIds(secrets);

  describe('given an id it issued', () => {
    it('reads back the profile, the key and the nonce', () => {
      const { id, identity } = ids.issue('profile-1', 'key-1');
      expect(ids.read(id)).toEqual({ nonce: identity.nonce, profileId: 'profile-1', keyId: 'key-1' });
      expect(identity.nonce).toMatch(/^[A-Za-z0-9_-]{22}$/);
    });

    it('keeps a null key (an open profile)', () => {
      const { id } = ids.issue('profile-1', null);
      expect(ids.read(id)?.keyId).toBeNull();
    });

    it('is visible ASCII (what the spec allows in Mcp-Session-Id), short, and shows nothing in clear', () => {
      const { id } = ids.issue('profile-with-a-name', 'key-with-a-name');
      expect(id).toMatch(/^[\x21-\x7e]+$/);
      expect(id.length).toBeLessThan(200);
      expect(id).not.toContain('profile-with-a-name');
      expect(Buffer.from(id.split('.').at(-1) ?? '', 'base64url').toString('latin1')).not.toContain('profile-with-a-name');
    });

    it('is different every time, for the same profile and key', () => {
      expect(ids.issue('p', 'k').id).not.toBe(ids.issue('p', 'k').id);
    });

    it('is read by another process that opens the same data key', () => {
      const key = { id: 'shared', key: randomBytes(32) };
      const first = new SessionIds(new SecretBox(key, new Map([[key.id, key]])));
      const second = new SessionIds(new SecretBox(key, new Map([[key.id, key]])));
      expect(second.read(first.issue('p', 'k').id)?.profileId).toBe('p');
    });
  });

  describe('when the id is not one it issued', () => {
    it.each([
      ['an empty string', ''],
      ['a UUID (a legacy SSE session id)', '0b6f3f57-65c8-4a55-9a0e-6f7a0f7cf0f1'],
      ['the prefix alone', 'gh1.'],
      ['an unknown data key', 'gh1.nokey.AAAA'],
      ['a known key and garbage', 'gh1.k1.!!!!'],
      ['a very long id', `gh1.k1.${'A'.repeat(10_000)}`],
    ])('reads nothing from %s', (_, id) => {
      expect(ids.read(id)).toBeNull();
    });

    it('reads nothing from an altered id, wherever it was changed', () => {
      const { id } = ids.issue('profile-1', 'key-1');
      for (const at of [1, 5, 20, 40, id.length - 8]) expect(ids.read(tampered(id, at))).toBeNull();
    });

    it('reads nothing from an id with a character added, or its last one changed (the base64 decoder would skip them)', () => {
      const { id } = ids.issue('profile-1', 'key-1');
      for (const extra of ['A', 'AA', '=', '.', ' ']) expect(ids.read(`${id}${extra}`)).toBeNull();
      for (const last of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_') {
        if (last !== id.at(-1)) expect(ids.read(`${id.slice(0, -1)}${last}`)).toBeNull();
      }
    });

    it('reads nothing from an id sealed under other keys', () => {
      expect(new SessionIds(box()).read(ids.issue('p', 'k').id)).toBeNull();
    });

    it('reads nothing from a token sealed for another purpose', () => {
      expect(ids.read(`gh1.${secrets.sealToken(JSON.stringify({ n: 'x', p: 'p', k: null }), 'another purpose')}`)).toBeNull();
    });

    it('reads nothing from a sealed value of the wrong shape', () => {
      expect(ids.read(`gh1.${secrets.sealToken(JSON.stringify({ n: 'x', p: 7 }), 'mcp session id')}`)).toBeNull();
      expect(ids.read(`gh1.${secrets.sealToken('not json', 'mcp session id')}`)).toBeNull();
    });
  });
});
