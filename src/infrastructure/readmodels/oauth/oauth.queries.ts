import { Not, IsNull, type EntityManager } from 'typeorm';
import { compiledQuery, selectRows } from '../../persistence/compiled-query';
import { OAuthRegistrationRow, OAuthTokenRow } from './oauth.entities';

// Asked for every call the proxy sends to an HTTP upstream (the grant's current access token).
const ACTIVE_TOKENS = compiledQuery<{ serverId: string }>((manager, p) =>
  selectRows(manager, OAuthTokenRow, 't').where(`t.serverId = :serverId AND t.status = 'active'`, { serverId: p.serverId }),
);

/** The typed reads of the OAuth read models. */
export class OAuthReadModel {
  constructor(private readonly manager: EntityManager) {}

  /** The server's token row, whatever its status (null: never granted). */
  tokens(serverId: string): Promise<OAuthTokenRow | null> {
    return this.manager.getRepository(OAuthTokenRow).findOneBy({ serverId });
  }

  /** The server's token row while its tokens are usable (status active). */
  async activeTokens(serverId: string): Promise<OAuthTokenRow | null> {
    return (await ACTIVE_TOKENS.one<OAuthTokenRow>(this.manager, { serverId })) ?? null;
  }

  registration(serverId: string): Promise<OAuthRegistrationRow | null> {
    return this.manager.getRepository(OAuthRegistrationRow).findOneBy({ serverId });
  }

  /** Servers whose active tokens expire (the background refresh sets a timer for each). */
  async serversWithExpiringTokens(): Promise<string[]> {
    const rows = await this.manager.getRepository(OAuthTokenRow).findBy({ status: 'active', expiresAt: Not(IsNull()) });
    return rows.map((row) => row.serverId);
  }
}
