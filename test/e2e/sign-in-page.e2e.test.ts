/**
 * The sign-in page of the real authorization server (oidc-provider) in the built gateway, run as a
 * child process (`gatehouse serve`: run `npm run build` first; jest's CommonJS runtime cannot load
 * oidc-provider, an ES module). The provider throws its own SessionNotFound, and each fault is made
 * for real: a stored sign-in expired or damaged in the SQLite file, a PostgreSQL database taken out
 * of reach (a SQLite file read in this process cannot honestly be made unreachable). What the
 * gateway logged is read from its JSON lines on stdout.
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { recordKey } from '../../src/infrastructure/oauth-server/oauth-server-records';
import { logLinesOf, spawnGatehouse, type ChildGatehouse, type LogLine } from '../support/child-gatehouse';
import { CLIENT_REDIRECT } from '../support/oauth-server-client';
import { createTestPostgresDatabase, describePostgres, POSTGRES_SERVER_URL, type TestPostgresDatabase } from '../support/postgres';
import { waitFor } from '../support/proxy';
import { changeStoredRows } from '../support/sqlite-writes';
import { makeTempDir, TEST_SECRET_KEY } from '../support/temp-dir';

type TempDir = ReturnType<typeof makeTempDir>;

const ADMIN_TOKEN = 'sign-in-page-admin-token-0123456789';
/** Bounds the start of the gateway; the hooks that start it (and a PostgreSQL database before it) get twice that. */
const START_MS = 30_000;
const LOGGED_MS = 10_000;

type Page = Readonly<{ status: number; body: Record<string, unknown>; correlationId: string }>;

/** Registers a public client (RFC 7591), as an MCP client does before it sends anyone to sign in. */
const registerClient = async (base: string): Promise<string> => {
  const response = await fetch(`${base}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_name: 'sign-in-page-test', redirect_uris: [CLIENT_REDIRECT], grant_types: ['authorization_code', 'refresh_token'], token_endpoint_auth_method: 'none' }),
  });
  const body = (await response.json()) as { client_id?: string };
  if (response.status !== 201 || typeof body.client_id !== 'string') throw new Error(`registration: HTTP ${response.status} ${JSON.stringify(body)}`);
  return body.client_id;
};

/** A sign-in as a client starts it: the provider's interaction uid and the cookies a browser keeps for it. */
const startSignIn = async (base: string, clientId: string): Promise<{ uid: string; cookie: string }> => {
  const url = new URL(`${base}/oauth/authorize`);
  const challenge = createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url');
  const params = { client_id: clientId, response_type: 'code', redirect_uri: CLIENT_REDIRECT, code_challenge: challenge, code_challenge_method: 'S256', state: 's1' };
  for (const [name, value] of Object.entries(params)) url.searchParams.set(name, value);
  const response = await fetch(url, { redirect: 'manual' });
  await response.body?.cancel();
  const uid = /^\/oauth\/interaction\/([^/]+)$/.exec(new URL(response.headers.get('location') ?? '/', base).pathname)?.[1];
  if (uid === undefined) throw new Error(`authorization: HTTP ${response.status} to ${response.headers.get('location')}`);
  return { uid, cookie: response.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ') };
};

const openPage = async (base: string, uid: string, cookie?: string): Promise<Page> => {
  const response = await fetch(`${base}/oauth/interaction/${uid}`, { headers: cookie === undefined ? {} : { cookie } });
  const text = await response.text();
  return { status: response.status, body: response.headers.get('content-type')?.includes('json') ? (JSON.parse(text) as Record<string, unknown>) : { html: text }, correlationId: String(response.headers.get('x-correlation-id')) };
};

/** A sign-in started, and its page shown once (200): what fails after it fails because of what the test did since. */
const signInShown = async (base: string, clientId: string): Promise<{ uid: string; cookie: string }> => {
  const started = await startSignIn(base, clientId);
  expect((await openPage(base, started.uid, started.cookie)).status).toBe(200);
  return started;
};

/** What the gateway logged for one request: everything up to its request line, which comes last (waited for, bounded). */
const loggedFor = async (gatehouse: ChildGatehouse, correlationId: string): Promise<LogLine[]> => {
  const lines = (): LogLine[] => logLinesOf(gatehouse).filter((line) => line.correlationId === correlationId);
  await waitFor(() => lines().some((line) => line.msg === 'request' || line.msg === 'request failed'), LOGGED_MS, `the request line of ${correlationId}`).catch((error: Error) => {
    throw new Error(`${error.message}; the gateway wrote:\n${gatehouse.output()}`);
  });
  return lines();
};

describe('the sign-in page of the real authorization server, gateway on SQLite', () => {
  let dir: TempDir | undefined;
  let gatehouse: ChildGatehouse | undefined;
  let clientId: string;
  const base = (): string => gatehouse!.url;
  /** The page's answer when the provider finds no sign-in: start again, and nothing logged but the request. */
  const expectAskedToStartAgain = async (page: Page): Promise<void> => {
    expect(page.status).toBe(400);
    expect(page.body).toMatchObject({ code: 'INTERACTION_NOT_FOUND' });
    expect(await loggedFor(gatehouse!, page.correlationId)).toEqual([expect.objectContaining({ level: 'info', msg: 'request', status: 400 })]);
  };
  /** Changes the stored sign-in `uid` as time or a fault would. */
  const changeSignIn = (uid: string, set: string, value: string | number): void => {
    expect(changeStoredRows(join(dir!.path, 'gatehouse.db'), `UPDATE oauth_server_records SET ${set} = ? WHERE key = ?`, value, recordKey('Interaction', uid))).toBe(1);
  };

  beforeAll(async () => {
    dir = makeTempDir();
    gatehouse = await spawnGatehouse({ GATEHOUSE_DATA_DIR: dir.path, GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY }, START_MS);
    clientId = await registerClient(base());
  }, 2 * START_MS);
  afterAll(async () => {
    try {
      await gatehouse?.kill('SIGTERM');
    } finally {
      dir?.cleanup();
    }
  });

  describe('when the provider does not find the sign-in (its SessionNotFound)', () => {
    it('asks to start again when the browser has no sign-in in progress (no interaction cookie), and logs no error', async () => {
      const page = await openPage(base(), randomBytes(16).toString('base64url'));

      await expectAskedToStartAgain(page);
    });

    it('asks to start again when the sign-in has expired, and logs no error', async () => {
      const { uid, cookie } = await signInShown(base(), clientId);
      changeSignIn(uid, 'expires_at', Math.floor(Date.now() / 1000) - 1);

      const page = await openPage(base(), uid, cookie);

      await expectAskedToStartAgain(page);
    });
  });

  it('answers as a fault, not as an expired sign-in, and logs it, when the stored sign-in cannot be read', async () => {
    const { uid, cookie } = await signInShown(base(), clientId);
    changeSignIn(uid, 'payload', '{"returnTo":');

    const page = await openPage(base(), uid, cookie);

    expect(page.status).toBe(500);
    expect(page.body).toMatchObject({ code: 'INTERNAL' });
    expect(await loggedFor(gatehouse!, page.correlationId)).toEqual([
      expect.objectContaining({ level: 'error', msg: 'unhandled error', path: `/oauth/interaction/${uid}`, err: expect.objectContaining({ stack: expect.stringMatching(/^SyntaxError: /) }) }),
      expect.objectContaining({ level: 'error', msg: 'request failed', status: 500 }),
    ]);
  });
});

type Relay = Readonly<{
  port: number;
  /** The database out of reach: new connections refused, open ones ended; settles once the gateway has closed its side of each (it has seen them go). */
  cut: () => Promise<void>;
  /** The database back: connections go through again. */
  mend: () => Promise<void>;
  close: () => Promise<void>;
}>;

const CUT_MS = 10_000;

/**
 * A TCP relay on 127.0.0.1 in front of the PostgreSQL test server, through which the gateway
 * reaches its database: `cut` takes the database out of its reach as a stopped server does. It
 * waits until the gateway has seen its connections end, so that the next read opens a new one and
 * is refused (ECONNREFUSED), every time: a read racing the end on a pooled connection would fail
 * with ECONNRESET or "Connection terminated unexpectedly" instead, and the test asserts one error.
 */
const startRelay = async (target: URL): Promise<Relay> => {
  const links = new Set<Readonly<{ inbound: Socket; outbound: Socket }>>();
  let cutting = false;
  const server = createServer((inbound) => {
    const outbound = connect(Number(target.port || 5432), target.hostname);
    const link = { inbound, outbound };
    links.add(link);
    inbound.on('error', () => inbound.destroy());
    outbound.on('error', () => outbound.destroy());
    inbound.on('close', () => {
      links.delete(link);
      outbound.destroy();
    });
    outbound.on('close', () => {
      if (!cutting) inbound.destroy(); // while cutting, the gateway's side is ended instead: see cut
    });
    inbound.pipe(outbound).pipe(inbound);
  });
  // A port taken meanwhile (mend listens on the same one again) fails the test, not the process.
  const listen = (port: number): Promise<void> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  await listen(0);
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    cut: async () => {
      cutting = true;
      // Calls back once every connection has closed: the gateway closes its side when it reads the end of ours.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const { inbound, outbound } of links) {
        // Unpiped by hand and kept reading: a source left without a pipe is paused, and would never read the end the gateway sends back.
        inbound.unpipe(outbound);
        outbound.unpipe(inbound);
        outbound.destroy();
        inbound.resume();
        inbound.end();
      }
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`the gateway kept ${links.size} database connections open for ${CUT_MS} ms after the cut`)), CUT_MS);
      });
      await Promise.race([closed, late]).finally(() => clearTimeout(timer));
    },
    mend: async () => {
      if (server.listening) return;
      cutting = false;
      await listen(port);
    },
    close: async () => {
      cutting = true;
      for (const { inbound, outbound } of links) {
        inbound.destroy();
        outbound.destroy();
      }
      if (server.listening) await new Promise((resolve) => server.close(resolve));
    },
  };
};

describePostgres('the sign-in page of the real authorization server, gateway on PostgreSQL', () => {
  let dir: TempDir | undefined;
  let database: TestPostgresDatabase | undefined;
  let relay: Relay | undefined;
  let gatehouse: ChildGatehouse | undefined;
  let clientId: string;
  const base = (): string => gatehouse!.url;

  beforeAll(async () => {
    dir = makeTempDir();
    database = await createTestPostgresDatabase();
    relay = await startRelay(new URL(POSTGRES_SERVER_URL));
    const throughRelay = new URL(database.url);
    throughRelay.hostname = '127.0.0.1';
    throughRelay.port = String(relay.port);
    gatehouse = await spawnGatehouse(
      { GATEHOUSE_DATA_DIR: dir.path, GATEHOUSE_DATABASE_URL: throughRelay.toString(), GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN, GATEHOUSE_SECRET_KEY: TEST_SECRET_KEY },
      START_MS,
    );
    clientId = await registerClient(base());
  }, 2 * START_MS);
  afterAll(async () => {
    try {
      // The database back first, so that the gateway closes as it does normally.
      await relay?.mend();
      await gatehouse?.kill('SIGTERM');
    } finally {
      await relay?.close();
      await database?.drop();
      dir?.cleanup();
    }
  });

  it('answers as a fault, not as an expired sign-in, and logs it, when the database is out of reach', async () => {
    const { uid, cookie } = await signInShown(base(), clientId);
    let page: Page;
    try {
      await relay!.cut();
      page = await openPage(base(), uid, cookie);
    } finally {
      await relay!.mend();
    }

    expect(page.status).toBe(503);
    expect(page.body).toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
    expect(await loggedFor(gatehouse!, page.correlationId)).toEqual([
      expect.objectContaining({ level: 'error', msg: 'unhandled error', path: `/oauth/interaction/${uid}`, err: expect.objectContaining({ code: 'ECONNREFUSED' }) }),
      expect.objectContaining({ level: 'error', msg: 'request failed', status: 503 }),
    ]);
  });
});
