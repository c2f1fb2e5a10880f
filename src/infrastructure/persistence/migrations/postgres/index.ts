import { InitialSchema1763700000000 } from './1763700000000-InitialSchema';
import { TrafficLogs1763800000000 } from './1763800000000-TrafficLogs';
import { OAuthReadModels1763900000000 } from './1763900000000-OAuthReadModels';
import { ProfileSlugHistory1764800000000 } from './1764800000000-ProfileSlugHistory';
import { ProfileToolExposure1765000000000 } from './1765000000000-ProfileToolExposure';
import { ServerToolPinning1765100000000 } from './1765100000000-ServerToolPinning';
import { Users1765200000000 } from './1765200000000-Users';
import { ProfileAuthMode1765300000000 } from './1765300000000-ProfileAuthMode';
import { McpSessions1765400000000 } from './1765400000000-McpSessions';
import { OAuthServerRecords1765800000000 } from './1765800000000-OAuthServerRecords';
import { ResourceAccess1765900000000 } from './1765900000000-ResourceAccess';
import { PersonalAccessTokens1766010000000 } from './1766010000000-PersonalAccessTokens';
import { SetupLinks1766020000000 } from './1766020000000-SetupLinks';
import { ApiKeyUsage1766030000000 } from './1766030000000-ApiKeyUsage';
import { ExpiryIndexes1766040000000 } from './1766040000000-ExpiryIndexes';
import { ServerCredentialMode1766061000000 } from './1766061000000-ServerCredentialMode';
import { UserCredentials1766062000000 } from './1766062000000-UserCredentials';
import { UserOAuthGrants1766068000000 } from './1766068000000-UserOAuthGrants';
import { ServerSecretHeaders1766070000000 } from './1766070000000-ServerSecretHeaders';
import { McpInstanceMessages1766080000000 } from './1766080000000-McpInstanceMessages';

/**
 * Every PostgreSQL migration, oldest first: one per SQLite migration in ../, with the same file
 * name, class name and `name`, doing the same in PostgreSQL's DDL (text columns `TEXT COLLATE "C"`,
 * see ./ddl.ts). To add a table or column: write ../<timestamp>-<Name>.ts, then
 * ./<timestamp>-<Name>.ts, and list each in its index. test/architecture.unit.test.ts fails
 * while the two lists differ.
 */
export const POSTGRES_MIGRATIONS = [InitialSchema1763700000000, TrafficLogs1763800000000, OAuthReadModels1763900000000, ProfileSlugHistory1764800000000, ProfileToolExposure1765000000000, ServerToolPinning1765100000000, Users1765200000000, ProfileAuthMode1765300000000, McpSessions1765400000000, OAuthServerRecords1765800000000, ResourceAccess1765900000000, PersonalAccessTokens1766010000000, SetupLinks1766020000000, ApiKeyUsage1766030000000, ExpiryIndexes1766040000000, ServerCredentialMode1766061000000, UserCredentials1766062000000, UserOAuthGrants1766068000000, ServerSecretHeaders1766070000000, McpInstanceMessages1766080000000];
