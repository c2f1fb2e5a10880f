import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { followStream, type StreamEvent } from '../../console/src/stream';

type Connection = { headers: IncomingMessage['headers']; res: ServerResponse; closed: Promise<void> };

/**
 * The console's stream follower (console/src/stream.ts, shared by the events feed and the live
 * traffic screen) against a real HTTP server on 127.0.0.1 that drops, refuses and resumes.
 */
describe('the console stream follower', () => {
  let server: Server;
  let url: string;
  const waiting: ((connection: Connection) => void)[] = [];
  const arrived: Connection[] = [];
  const nextConnection = (): Promise<Connection> =>
    new Promise((resolve) => {
      const connection = arrived.shift();
      if (connection) resolve(connection);
      else waiting.push(resolve);
    });

  beforeAll(async () => {
    server = createServer((req, res) => {
      const connection = { headers: req.headers, res, closed: new Promise<void>((resolve) => res.on('close', resolve)) };
      const waiter = waiting.shift();
      if (waiter) waiter(connection);
      else arrived.push(connection);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/logs/stream`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('delivers whole events, resumes from the last id after a drop and a refusal, reads the credential per connection, and stops', async () => {
    const events: StreamEvent[] = [];
    const states: boolean[] = [];
    let fourArrived = (): void => undefined;
    const four = new Promise<void>((resolve) => (fourArrived = resolve));
    let credential = 'first';
    const stop = followStream(url, {
      headers: () => ({ authorization: `Bearer ${credential}` }),
      onEvent: (event) => {
        events.push(event);
        if (events.length === 4) fourArrived();
      },
      onState: (live) => states.push(live),
    });
    try {
      const first = await nextConnection();
      expect(first.headers['last-event-id']).toBeUndefined();
      expect(first.headers.authorization).toBe('Bearer first');
      expect(first.headers.accept).toBe('text/event-stream');
      first.res.writeHead(200, { 'content-type': 'text/event-stream' });
      first.res.write(': connected\n\nid: 1\nevent: log\ndata: {"n":1}\n\n');
      // One event in two writes, split inside a two-byte character; then half an event, lost with the connection.
      const second = Buffer.from('id: 2\nevent: log\ndata: "é"\n\n');
      const split = second.indexOf(Buffer.from('é')) + 1;
      first.res.write(second.subarray(0, split));
      await new Promise((resolve) => setTimeout(resolve, 20));
      first.res.write(second.subarray(split));
      credential = 'second';
      first.res.end('id: 3\nevent: log\ndata: {"n":3}');

      const refused = await nextConnection();
      expect(refused.headers['last-event-id']).toBe('2');
      expect(refused.headers.authorization).toBe('Bearer second');
      refused.res.writeHead(503).end();

      const third = await nextConnection();
      expect(third.headers['last-event-id']).toBe('2');
      third.res.writeHead(200, { 'content-type': 'text/event-stream' });
      third.res.write('id: 3\nevent: log\ndata: {"n":3}\n\ndata: untyped\n\n');
      await four;
      expect(events).toEqual([
        { type: 'log', data: '{"n":1}', id: '1' },
        { type: 'log', data: '"é"', id: '2' },
        { type: 'log', data: '{"n":3}', id: '3' },
        { type: 'message', data: 'untyped', id: '3' },
      ]);
      expect(states).toEqual([true, false, false, true]);

      stop();
      await third.closed;
      expect(states).toEqual([true, false, false, true]);
    } finally {
      stop();
    }
  });
});
