import type { SealedSecret } from '../../domain/shared';
import type { SecretBox } from '../crypto';
import type { OAuthServerRecords } from './oauth-server-records';

/** What oidc-provider hands its adapter: a JSON object of its own shape. */
type Payload = Record<string, unknown>;

/** The client secret's place in a stored client: sealed, never plaintext. */
const SEALED_SECRET = 'client_secret_sealed';

/**
 * oidc-provider's adapter interface over OAuthServerRecords: one instance per model name
 * (`Client`, `Grant`, `Session`, `Interaction`, `AuthorizationCode`, `AccessToken`,
 * `RefreshToken`, `RegistrationAccessToken`, …). The id of a code or token is the code or
 * token, so it is hashed into the row key and taken out of the stored payload (`jti`); a
 * client's secret is sealed with the secret box.
 */
export type OidcAdapter = {
  upsert(id: string, payload: Payload, expiresIn?: number): Promise<void>;
  find(id: string): Promise<Payload | undefined>;
  findByUid(uid: string): Promise<Payload | undefined>;
  findByUserCode(userCode: string): Promise<Payload | undefined>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
};

export const oauthServerAdapter = (records: OAuthServerRecords, secrets: SecretBox): new (model: string) => OidcAdapter => {
  const seal = (payload: Payload): Payload => {
    const { client_secret: secret, ...rest } = payload;
    return typeof secret === 'string' ? { ...rest, [SEALED_SECRET]: secrets.seal(secret) } : rest;
  };
  const open = (payload: Payload): Payload => {
    const { [SEALED_SECRET]: sealed, ...rest } = payload;
    return sealed === undefined ? rest : { ...rest, client_secret: secrets.open(sealed as SealedSecret) };
  };

  return class RecordsAdapter implements OidcAdapter {
    constructor(private readonly model: string) {}

    async upsert(id: string, payload: Payload, expiresIn?: number): Promise<void> {
      const { jti: _jti, ...rest } = payload;
      const stored = this.model === 'Client' ? seal(rest) : rest;
      await records.upsert({
        model: this.model,
        id,
        payload: JSON.stringify(stored),
        grantId: typeof payload.grantId === 'string' ? payload.grantId : undefined,
        uid: typeof payload.uid === 'string' ? payload.uid : undefined,
        expiresAt: expiresIn === undefined || expiresIn === null ? null : Math.floor(Date.now() / 1000) + expiresIn,
      });
    }

    async find(id: string): Promise<Payload | undefined> {
      const record = await records.find(this.model, id);
      return record === null ? undefined : this.revive(id, record.payload, record.consumedAt);
    }

    async findByUid(uid: string): Promise<Payload | undefined> {
      const record = await records.findByUid(this.model, uid);
      if (record === null) return undefined;
      // The id is not stored (only its hash): a session found by uid is found again by id by the provider.
      const payload = JSON.parse(record.payload) as Payload;
      return record.consumedAt === null ? payload : { ...payload, consumed: record.consumedAt };
    }

    async findByUserCode(): Promise<undefined> {
      return undefined; // the device flow is not enabled
    }

    async consume(id: string): Promise<void> {
      await records.consume(this.model, id);
    }

    async destroy(id: string): Promise<void> {
      await records.destroy(this.model, id);
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await records.revokeGrant(grantId);
    }

    private revive(id: string, json: string, consumedAt: number | null): Payload {
      const payload = JSON.parse(json) as Payload;
      if (this.model === 'Client') return open(payload);
      return { ...payload, jti: id, ...(consumedAt === null ? {} : { consumed: consumedAt }) };
    }
  };
};
