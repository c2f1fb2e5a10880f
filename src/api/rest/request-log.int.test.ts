/**
 * What the request log makes of an error no route answered: a client that hung up is its own
 * business (debug), while the same socket codes from another connection (a database reset while
 * the request was served) are a fault (error). Real sockets on 127.0.0.1 make both errors.
 */
import { once } from 'node:events';
import { createServer as createHttpServer, type Server } from 'node:http';
import { connect, createServer, type AddressInfo, type Server as TcpServer } from 'node:net';
import Koa from 'koa';
import { createLogger } from '../../infrastructure/telemetry/logger';
import { correlation, problemHandler } from './middleware';
import { logAppError, requestLog } from './request-log';

const portOf = (server: Server | TcpServer): number => (server.address() as AddressInfo).port;

const close = (server: Server | TcpServer): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

/** The error a connection to `port` ends with when its peer resets it (ECONNRESET). */
const resetBy = async (port: number): Promise<Error> => {
  const socket = connect(port, '127.0.0.1');
  const [error] = (await once(socket, 'error')) as [Error];
  return error;
};

describe('the request log, for an error no route answered', () => {
  let resetting: TcpServer;
  let server: Server;
  let url: string;
  const lines: Record<string, unknown>[] = [];
  /** Settles when the route's work has ended (its error handled by the app). */
  let served: Promise<void> = Promise.resolve();
  /** Called when the route starts reading a body. */
  let onReading = (): void => undefined;

  beforeAll(async () => {
    // Stands for a database that resets every connection.
    resetting = createServer((socket) => socket.resetAndDestroy());
    await new Promise<void>((resolve) => resetting.listen(0, '127.0.0.1', resolve));
    const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } });
    // As the gateway wires it: the request log, the problem handler, then the correlation id.
    const app = new Koa();
    app.use(requestLog(logger));
    app.use(problemHandler);
    app.use(correlation);
    app.use(async (ctx) => {
      let done = (): void => undefined;
      served = new Promise((resolve) => (done = resolve));
      try {
        if (ctx.path === '/reads') throw await resetBy(portOf(resetting));
        // The body, which the client of this path never finishes sending.
        onReading();
        for await (const _chunk of ctx.req);
        ctx.body = 'read';
      } finally {
        setImmediate(done);
      }
    });
    app.on('error', logAppError(logger));
    server = createHttpServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${portOf(server)}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await Promise.all([close(server), close(resetting)]);
  });
  beforeEach(() => {
    lines.length = 0;
  });

  it('logs a connection reset of another socket as an error, the client still connected', async () => {
    const response = await fetch(`${url}/reads`, { headers: { 'x-correlation-id': 'reset-elsewhere' } });
    await served;

    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ code: 'DATABASE_UNAVAILABLE' });
    expect(lines).toEqual([
      expect.objectContaining({ level: 'error', msg: 'unhandled error', correlationId: 'reset-elsewhere', path: '/reads', err: expect.objectContaining({ code: 'ECONNRESET' }) }),
      expect.objectContaining({ level: 'error', msg: 'request failed', correlationId: 'reset-elsewhere', path: '/reads', status: 503 }),
    ]);
  });

  it('logs a client that resets its own connection mid-request at debug', async () => {
    const reading = new Promise<void>((resolve) => (onReading = resolve));
    const client = connect(portOf(server), '127.0.0.1');
    await once(client, 'connect');
    client.write('POST /uploads HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Correlation-Id: hung-up\r\nContent-Length: 1000\r\n\r\npart of it');
    await reading;
    client.resetAndDestroy();
    await once(client, 'close');
    await served;

    // The route's error (and again if writing its answer failed too), and the request's line,
    // whose 5xx status no client was left to read: at debug every time.
    expect(lines).toContainEqual(expect.objectContaining({ level: 'debug', msg: 'client went away mid-request', correlationId: 'hung-up', path: '/uploads', err: expect.objectContaining({ code: 'ECONNRESET' }) }));
    expect(lines).toContainEqual(expect.objectContaining({ level: 'debug', correlationId: 'hung-up', path: '/uploads', status: 503 }));
    expect(lines.filter((line) => line.level !== 'debug')).toEqual([]);
  });
});
