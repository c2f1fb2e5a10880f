import type { PeopleSection } from './people-section';
import { DEFAULT_ADAPTIVE_TOOL_LIMIT, type LinkStatus, type ProfileAuth, type ToolExposureMode, type ToolPrefixMode } from '../../domain/profile/events';
import type { ApprovedTool, CredentialMode, ToolPinning, Transport } from '../../domain/server/events';

/**
 * The import/export document: the `{"mcpServers": {…}}` file that Claude Desktop, Claude Code,
 * Cursor and VS Code read, plus an optional `gatehouse` section with the profiles, so that one
 * file holds (and restores) the whole configuration.
 */

/** One document at most this large: the REST body limit, and the CLI refuses bigger files. */
export const MAX_DOCUMENT_BYTES = 1024 * 1024;
/** A backup of a document that size: its secrets sealed and base64url-encoded make it larger. */
export const MAX_BACKUP_BYTES = 4 * MAX_DOCUMENT_BYTES;
export const MAX_SERVERS = 1000;
export const MAX_PROFILES = 1000;

/** What other clients write in `type`; all of them are one of our three transports. */
export const TYPE_ALIASES: Readonly<Record<string, Transport>> = {
  stdio: 'stdio',
  sse: 'sse',
  http: 'streamable_http',
  streamable_http: 'streamable_http',
  streamableHttp: 'streamable_http',
};

/** The `type` the export writes: the names Claude Code and VS Code use. */
export const EXPORTED_TYPE: Readonly<Record<Transport, string>> = {
  stdio: 'stdio',
  sse: 'sse',
  streamable_http: 'http',
};

/** A secret field whose value is a mask (`••••abcd`): "keep the secret this server has". */
export type SecretValue = Readonly<{ kind: 'plain'; value: string }> | Readonly<{ kind: 'masked' }>;
export type SecretMap = Readonly<Record<string, SecretValue>>;

/**
 * An env value of an entry: a string (`secret: null`, the automatic rule decides) or
 * `{"value": "…", "secret": true|false}`. A mask keeps the value the server has.
 */
export type EnvEntryValue = Readonly<{ value: SecretValue; secret: boolean | null }>;
export type EnvEntryMap = Readonly<Record<string, EnvEntryValue>>;

/**
 * A server entry after parsing: the transport resolved, every field present. An entry describes
 * the whole server: a field it leaves out is empty after the import, as it would be after a
 * fresh registration, so importing a file always lands on the same state.
 */
export type ServerEntry = Readonly<{
  name: string;
  transport: Transport;
  description: string | null;
  command: string | null;
  args: readonly string[];
  env: EnvEntryMap;
  cwd: string | null;
  url: string | null;
  /** Like env values: a string, or `{"value": "…", "secret": true|false}` (secret: never sent on a per-user connection). */
  headers: EnvEntryMap;
  bearerToken: SecretValue | null;
  timeoutMs: number | null;
  /** Absent: the server keeps its pinning and approvals (a Claude Desktop file has neither). */
  toolPinning?: ToolPinning;
  /** Absent: the server keeps its credential mode (shared for a new one). */
  credentials?: CredentialMode;
  approvedTools?: readonly ApprovedTool[];
}>;

export type ToolEntry = Readonly<{
  server: string;
  tool: string;
  status: LinkStatus;
  name: string | null;
  title: string | null;
  description: string | null;
  annotations: Readonly<Record<string, unknown>> | null;
}>;

/** A profile entry of the `gatehouse` section; like a server entry, it describes the whole profile. */
export type ProfileEntry = Readonly<{
  slug: string;
  name: string;
  description: string | null;
  toolPrefix: ToolPrefixMode;
  toolExposure: ToolExposureMode;
  adaptiveToolLimit: number;
  auth: ProfileAuth;
  debugLogging: boolean;
  /** Attached servers by name, in order; servers not listed are detached. */
  servers: readonly Readonly<{ name: string; status: LinkStatus }>[];
  /** Tool settings; settings not listed go back to the default (active, no override). */
  tools: readonly ToolEntry[];
}>;

/**
 * A profile entry that says nothing but its slug: the defaults of every field an entry leaves
 * out, and the profile an import creates to attach to (what `POST /api/profiles {"slug"}` creates).
 */
export const defaultProfileEntry = (slug: string): ProfileEntry => ({
  slug,
  name: slug,
  description: null,
  toolPrefix: 'always',
  toolExposure: 'all',
  adaptiveToolLimit: DEFAULT_ADAPTIVE_TOOL_LIMIT,
  auth: { apiKey: true, queryParam: false },
  debugLogging: false,
  servers: [],
  tools: [],
});

export type ImportDocument = Readonly<{
  servers: readonly ServerEntry[];
  /** null when the document has no `gatehouse` section: profiles are left as they are. */
  profiles: readonly ProfileEntry[] | null;
  /** The section's users and access settings (see people.ts); null when it has neither. */
  people?: PeopleSection | null;
  /** What was skipped without refusing the document (another application's settings in the file). */
  warnings: readonly string[];
}>;

/** One bad entry (or field) of a document; the same shape as the REST validation errors. */
export type EntryError = Readonly<{ field: string; messages: readonly string[] }>;

/** The document was refused as a whole; `errors` names every bad entry. */
export class ImportRefusedError extends Error {
  override readonly name = 'ImportRefusedError';
  readonly code = 'IMPORT_INVALID';
  constructor(readonly errors: readonly EntryError[]) {
    super(`The import was refused (nothing was changed): ${ImportRefusedError.describe(errors)}`);
  }

  /** One problem is told in full; several are named, and `errors` tells each. */
  private static describe(errors: readonly EntryError[]): string {
    if (errors.length === 1) return `${errors[0].field}: ${errors[0].messages.join('; ')}`;
    const fields = errors.slice(0, 10).map((error) => error.field).join(', ');
    return `${errors.length} problems (${fields}${errors.length > 10 ? ', …' : ''})`;
  }
}

/** Collects errors by field, so that one entry with three problems is one entry in the list. */
export class ErrorCollector {
  private readonly byField = new Map<string, string[]>();

  add(field: string, message: string): void {
    const messages = this.byField.get(field);
    if (messages) messages.push(message);
    else this.byField.set(field, [message]);
  }

  get size(): number {
    return this.byField.size;
  }

  list(): EntryError[] {
    return [...this.byField].map(([field, messages]) => ({ field, messages }));
  }

  throwIfAny(): void {
    if (this.byField.size > 0) throw new ImportRefusedError(this.list());
  }
}
