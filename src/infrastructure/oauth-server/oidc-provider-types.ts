import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The part of oidc-provider (an ESM package without type declarations) that Gatehouse uses.
 * It is loaded with `require` when first needed (Node ≥ 20.19 requires ES modules), so a
 * process whose profiles never take OAuth never loads it.
 */
export type OidcGrant = {
  addResourceScope(resource: string, scope: string): void;
  addOIDCScope(scope: string): void;
  save(): Promise<string>;
};

export type OidcInteraction = {
  uid: string;
  prompt: { name: string; details: Record<string, unknown> };
  params: Record<string, unknown>;
  session?: { accountId?: string };
  grantId?: string;
  /** Seconds since the epoch when the interaction lapses. */
  exp: number;
  /** Stores the interaction again (its params as changed), for `ttlSeconds`. */
  save(ttlSeconds: number): Promise<unknown>;
};

export type OidcClient = { clientId: string; clientName?: string; redirectUris: string[]; grantTypeAllowed(type: string): boolean };

export type OidcProvider = {
  callback(): (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<OidcInteraction>;
  interactionFinished(req: IncomingMessage, res: ServerResponse, result: Record<string, unknown>, options?: { mergeWithLastSubmission?: boolean }): Promise<void>;
  Grant: (new (init: { accountId: string; clientId: string }) => OidcGrant) & { find(id: string): Promise<OidcGrant | undefined> };
  Client: { find(id: string): Promise<OidcClient | undefined> };
  on(event: string, listener: (...args: unknown[]) => void): void;
};

export type OidcModule = {
  default: new (issuer: string, configuration: Record<string, unknown>) => OidcProvider;
  errors: { InvalidTarget: new (description?: string) => Error };
};
