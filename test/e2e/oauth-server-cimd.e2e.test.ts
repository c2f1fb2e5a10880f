import { createHash, randomBytes } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { freePort } from '../support/child-gatehouse';
import { json, startHttpsDocuments, type DocumentHandler, type HttpsDocuments } from '../support/https-documents';
import { CLIENT_REDIRECT, MemoryOAuthClient, signInAndConsent } from '../support/oauth-server-client';
import { OAUTH_ADMIN_TOKEN, startOAuthGatehouse, type OAuthGatehouse } from '../support/oauth-server-gatehouse';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- protocol answers are asserted field by field

/** What a public MCP client's metadata document says about it, for the URL it is served at. */
const documentFor = (clientId: string, extra: Json = {}): Json => ({
  client_id: clientId,
  client_name: 'Metadata Client',
  redirect_uris: [CLIENT_REDIRECT],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
  ...extra,
});

/** The SDK's client provider with a client ID metadata document instead of dynamic registration. */
class MetadataDocumentClient extends MemoryOAuthClient {
  constructor(readonly clientMetadataUrl: string) {
    super('Metadata Client');
  }
}

const challenge = (): string => createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url');

/** An authorization request as a client naming itself by `clientId` sends it. */
const authorize = async (gh: OAuthGatehouse, clientId: string, redirectUri = CLIENT_REDIRECT): Promise<{ status: number; location: string | null; json: Json; ms: number }> => {
  const url = new URL(`${gh.url}/oauth/authorize`);
  const params = { client_id: clientId, response_type: 'code', redirect_uri: redirectUri, scope: 'mcp', resource: `${gh.url}/mcp/alpha`, state: 's1', code_challenge: challenge(), code_challenge_method: 'S256' };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  const started = Date.now();
  const response = await fetch(url, { redirect: 'manual' });
  const text = await response.text();
  let body: Json = {};
  try {
    body = JSON.parse(text) as Json;
  } catch {
    body = { text };
  }
  return { status: response.status, location: response.headers.get('location'), json: body, ms: Date.now() - started };
};

describe('Client ID Metadata Documents: a client named by the https URL of its metadata', () => {
  let gh: OAuthGatehouse;
  let docs: HttpsDocuments;
  const rows = (model: string): number => gh.sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM oauth_server_records WHERE model = ?', model)?.n ?? 0;

  beforeAll(async () => {
    docs = await startHttpsDocuments();
    // The gateway trusts the test's certificate, and fetches documents from loopback hosts (still https only).
    gh = await startOAuthGatehouse({ alpha: 'oauth' }, { GATEHOUSE_OAUTH_CLIENT_METADATA: 'loopback', NODE_EXTRA_CA_CERTS: docs.certificateFile });
  }, 60_000);
  afterAll(async () => {
    await gh?.stop();
    await docs?.stop();
  });

  it('advertises client_id_metadata_document_supported in its RFC 8414 metadata', async () => {
    const metadata = (await (await fetch(`${gh.url}/.well-known/oauth-authorization-server`)).json()) as Json;
    expect(metadata.client_id_metadata_document_supported).toBe(true);
    expect(metadata.registration_endpoint).toBe(`${gh.url}/oauth/register`);
  });

  it('lets the SDK client sign in with its document URL as client_id: no registration, consent names the document, tools work', async () => {
    const clientId = `${docs.origin}/clients/sdk.json`;
    docs.route('/clients/sdk.json', json(documentFor(clientId)));
    const oauth = new MetadataDocumentClient(clientId);
    const endpoint = new URL(`${gh.url}/mcp/alpha`);
    const first = new StreamableHTTPClientTransport(endpoint, { authProvider: oauth });
    await expect(new Client({ name: 'cimd-test', version: '1.0.0' }).connect(first)).rejects.toBeInstanceOf(UnauthorizedError);
    expect(oauth.authorizationUrl?.searchParams.get('client_id')).toBe(clientId);

    const outcome = await signInAndConsent(oauth.authorizationUrl as URL, { adminToken: OAUTH_ADMIN_TOKEN });
    expect(outcome.consentPage).toContain('Metadata Client');
    expect(outcome.consentPage).toContain(`described by <code>${clientId}</code>`);
    expect(outcome.code).toEqual(expect.any(String));
    await first.finishAuth(outcome.code as string);
    const client = new Client({ name: 'cimd-test', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(endpoint, { authProvider: oauth }));
    expect((await client.listTools()).tools.map((tool) => tool.name)).toContain('probe__whoami');
    await client.close();

    // Nothing was registered: the document is the registration, fetched (and cached) by the server.
    expect(rows('Client')).toBe(0);
    expect(docs.hits('/clients/sdk.json')).toBeGreaterThanOrEqual(1);
    expect(rows('Grant')).toBe(1);
  }, 60_000);

  const bad = (path: string): string => `${docs.origin}/bad/${path}.json`;
  it.each<[string, string, (id: string) => DocumentHandler | null]>([
    ['a document whose client_id is another URL', 'mismatch', () => json(documentFor(`${docs.origin}/someone-else.json`))],
    ['an oversized document', 'oversize', (id) => json(documentFor(id, { client_name: 'x'.repeat(4200) }))],
    ['a document served as HTML', 'html', (id) => json(documentFor(id), 'text/html')],
    ['a document that is not JSON', 'garbage', () => json('{"client_id": "not json', 'application/json')],
    ['a JSON array', 'array', (id) => json([documentFor(id)])],
    ['a document with a client secret', 'secret', (id) => json(documentFor(id, { client_secret: 'shh', token_endpoint_auth_method: 'client_secret_post' }))],
    ['a document without redirect URIs', 'no-redirects', (id) => json(documentFor(id, { redirect_uris: [] }))],
    ['a redirect to a good document', 'redirect', () => (_req, res) => res.writeHead(302, { location: '/clients/sdk.json' }).end()],
    ['a 404', 'missing', () => null],
  ])('refuses %s with a 4xx of its own (no redirect to the client) and keeps nothing', async (_label, path, handler) => {
    const clientId = bad(path);
    const made = handler(clientId);
    if (made) docs.route(`/bad/${path}.json`, made);
    const interactions = rows('Interaction');
    const refused = await authorize(gh, clientId);
    expect(refused.status).toBe(400);
    expect(refused.location).toBeNull();
    // invalid_redirect_uri for the document without any: the registration rules say which field is wrong.
    expect(refused.json.error).toMatch(/^invalid_(client|client_metadata|redirect_uri)$/);
    expect(rows('Client')).toBe(0);
    expect(rows('Interaction')).toBe(interactions);
  });

  it('refuses a redirect URI the document does not list', async () => {
    const clientId = `${docs.origin}/clients/strict.json`;
    docs.route('/clients/strict.json', json(documentFor(clientId)));
    const refused = await authorize(gh, clientId, 'http://127.0.0.1:9/elsewhere');
    expect(refused.status).toBe(400);
    expect(refused.location).toBeNull();
    expect(refused.json.error).toBe('invalid_redirect_uri');
  });

  it('refuses an unreachable document, one that never answers (within seconds), an overlong URL and an http client_id', async () => {
    const unreachable = await authorize(gh, `https://127.0.0.1:${await freePort()}/client.json`);
    expect(unreachable.status).toBe(400);
    expect(unreachable.json.error).toBe('invalid_client');

    docs.route('/bad/silent.json', () => undefined);
    const silent = await authorize(gh, bad('silent'));
    expect(silent.status).toBe(400);
    expect(silent.json.error).toBe('invalid_client');
    expect(silent.ms).toBeLessThan(15_000);

    // A URL longer than 512 characters is not fetched at all.
    const long = `/clients/${'l'.repeat(600)}.json`;
    docs.route(long, json(documentFor(`${docs.origin}${long}`)));
    const tooLong = await authorize(gh, `${docs.origin}${long}`);
    expect(tooLong.status).toBe(400);
    expect(tooLong.json.error).toBe('invalid_client');
    expect(docs.hits(long)).toBe(0);

    const http = await authorize(gh, `http://127.0.0.1:9/client.json`);
    expect(http.status).toBe(400);
    expect(http.json.error).toBe('invalid_client');
    expect(rows('Client')).toBe(0);
  }, 30_000);
});

describe('Client ID Metadata Documents by default: no fetch from this machine', () => {
  let gh: OAuthGatehouse;
  let docs: HttpsDocuments;
  beforeAll(async () => {
    docs = await startHttpsDocuments();
    gh = await startOAuthGatehouse({ alpha: 'oauth' }, { NODE_EXTRA_CA_CERTS: docs.certificateFile });
  }, 60_000);
  afterAll(async () => {
    await gh?.stop();
    await docs?.stop();
  });

  it('refuses a document on a loopback address (the special-use address guard), though it is a good one', async () => {
    const clientId = `${docs.origin}/clients/local.json`;
    docs.route('/clients/local.json', json(documentFor(clientId)));
    const refused = await authorize(gh, clientId);
    expect(refused.status).toBe(400);
    expect(refused.json.error).toBe('invalid_client');
    // The connection is made and dropped before any request is sent.
    expect(docs.hits('/clients/local.json')).toBe(0);
  });
});
