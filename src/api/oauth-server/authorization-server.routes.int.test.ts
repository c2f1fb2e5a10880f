import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import type { OidcProvider } from '../../infrastructure/oauth-server/oidc-provider-types';
import { createLogger } from '../../infrastructure/telemetry/logger';
import { problemHandler } from '../rest/middleware';
import { logAppError } from '../rest/request-log';
import { authorizationServerRoutes } from './authorization-server.routes';

/** oidc-provider's own error for a sign-in it does not find, as it names it. */
class SessionNotFound extends Error {
  override name = 'SessionNotFound';
}

describe('the sign-in page when the provider cannot give the interaction', () => {
  let server: Server;
  let url: string;
  let failure: Error;
  const lines: Record<string, unknown>[] = [];

  beforeAll(async () => {
    const provider = { interactionDetails: () => Promise.reject(failure) } as unknown as OidcProvider;
    const routes = authorizationServerRoutes({
      provider: () => provider,
      adminToken: () => 'admin-token',
      oauthSlugs: async () => [],
      resourceUrl: (slug) => `http://127.0.0.1/mcp/${slug}`,
      signedIn: async () => null,
      signInUrl: (returnTo) => `/login?returnTo=${encodeURIComponent(returnTo)}`,
    });
    const app = new Koa();
    app.use(problemHandler);
    app.use(routes.routes());
    // As the gateway wires it: errors the app emits go to the structured log.
    app.on('error', logAppError(createLogger({ level: 'info', destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } })));
    server = createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/interaction/some-uid`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });
  beforeEach(() => {
    lines.length = 0;
  });

  it('asks to start again when the sign-in is not found, and logs nothing', async () => {
    failure = new SessionNotFound('interaction session id cookie not found');

    const response = await fetch(url);

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ code: 'INTERACTION_NOT_FOUND' });
    expect(lines).toEqual([]);
  });

  it.each([
    ['the database is out of reach', new Error('Connection terminated unexpectedly'), 503, 'DATABASE_UNAVAILABLE'],
    ['a stored record cannot be read', new SyntaxError('Unexpected token } in JSON'), 500, 'INTERNAL'],
  ])('answers as a fault, not as an expired sign-in, and logs it, when %s', async (_label, error, status, code) => {
    failure = error;

    const response = await fetch(url);

    expect(response.status).toBe(status);
    expect(await response.json()).toMatchObject({ code });
    expect(lines).toEqual([
      expect.objectContaining({ level: 'error', msg: 'unhandled error', path: '/oauth/interaction/some-uid', err: expect.objectContaining({ message: error.message }) }),
    ]);
  });
});
