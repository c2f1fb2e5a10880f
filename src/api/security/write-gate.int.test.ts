import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import Koa from 'koa';
import { problemHandler } from '../rest/middleware';
import { WriteGate } from './write-gate';

describe('WriteGate: admission control for REST writes', () => {
  let server: Server;
  let url: string;
  const release: (() => void)[] = [];
  let started = 0;

  beforeAll(async () => {
    const app = new Koa();
    app.use(problemHandler);
    app.use(new WriteGate({ maxActive: 2, maxWaiting: 2 }).middleware);
    app.use(async (ctx) => {
      if (ctx.method === 'GET') {
        ctx.body = { read: true };
        return;
      }
      started += 1;
      await new Promise<void>((resolve) => release.push(resolve));
      ctx.status = 201;
      ctx.body = { written: true };
    });
    server = createServer(app.callback());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const until = async (condition: () => boolean): Promise<void> => {
    for (let attempt = 0; attempt < 200 && !condition(); attempt += 1) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(condition()).toBe(true);
  };

  it('runs two writes, queues two, refuses the fifth with 503 problem+json and Retry-After; reads pass', async () => {
    const writes = Array.from({ length: 4 }, () => fetch(url, { method: 'POST' }));
    await until(() => started === 2);
    const refused = await fetch(url, { method: 'PATCH' });
    expect(refused.status).toBe(503);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.json()).toMatchObject({ status: 503, code: 'BUSY' });
    expect((await fetch(url)).status).toBe(200); // reads are not gated
    expect(started).toBe(2);
    // Each finished write lets one waiting write in, in arrival order.
    release.shift()?.();
    await until(() => started === 3);
    while (started < 4 || release.length > 0) {
      release.shift()?.();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect((await Promise.all(writes)).map((response) => response.status)).toEqual([201, 201, 201, 201]);
    // With the queue empty again, a write is accepted at once.
    const after = fetch(url, { method: 'DELETE' });
    await until(() => started === 5);
    release.shift()?.();
    expect((await after).status).toBe(201);
  });
});
