import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { SecretBox, type DataKey } from '../crypto';
import { providerKeys } from './provider-keys';

const box = (byte: number): SecretBox => {
  const key: DataKey = { id: `key${byte}`, key: Buffer.alloc(32, byte) };
  return new SecretBox(key, new Map([[key.id, key]]));
};

describe('providerKeys', () => {
  it('are the same for one data key (every instance of a store) and differ for another', () => {
    expect(providerKeys(box(1))).toEqual(providerKeys(box(1)));
    const [one, two] = [providerKeys(box(1)), providerKeys(box(2))];
    expect(two.jwks.keys[0].d).not.toBe(one.jwks.keys[0].d);
    expect(two.cookieKeys).not.toEqual(one.cookieKeys);
    expect(one.cookieKeys[0]).not.toBe(one.jwks.keys[0].d);
  });

  it('make a P-256 key pair that signs and verifies as ES256', () => {
    const [jwk] = providerKeys(box(3)).jwks.keys;
    expect(jwk).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256', use: 'sig' });
    const privateKey = createPrivateKey({ key: jwk, format: 'jwk' });
    const publicKey = createPublicKey({ key: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y }, format: 'jwk' });
    const signature = sign('sha256', Buffer.from('payload'), { key: privateKey, dsaEncoding: 'ieee-p1363' });
    expect(verify('sha256', Buffer.from('payload'), { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)).toBe(true);
    expect(verify('sha256', Buffer.from('other'), { key: publicKey, dsaEncoding: 'ieee-p1363' }, signature)).toBe(false);
  });
});
