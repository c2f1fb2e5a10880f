/**
 * The two stand-ins of bench/hop.bench.ts, each run in its own process as
 * `node dist/bench/proxy/hop-parts.js <role> [upstream URL]`; each says
 * `MCP_FIXTURE_LISTENING port=<port> url=<url>` on stderr once it listens on 127.0.0.1 (as the
 * fixture servers do), and SIGTERM closes it.
 *
 * - `upstream`: a node:http server that answers every POST with a JSON-RPC result echoing the
 *   request's `params.arguments.text`, as one application/json body with a Content-Length: the
 *   least an upstream can do, so that what the hops add is not hidden in an MCP SDK's own cost.
 * - `relay <upstream URL>`: a TCP relay that pipes each connection's bytes to a connection of its
 *   own to the upstream and back, without reading HTTP at all: what a Node process in the path
 *   costs before any HTTP or JSON work (the loopback hop, the extra wake-ups, the event loop).
 */
import http from 'node:http';
import net from 'node:net';

const listening = (server: net.Server, pathname: string): void => {
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as net.AddressInfo;
    process.stderr.write(`MCP_FIXTURE_LISTENING port=${port} url=http://127.0.0.1:${port}${pathname}\n`);
  });
  process.once('SIGTERM', () => server.close());
};

const upstream = (): void => {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.once('end', () => {
      let out: Buffer;
      try {
        const message = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id?: unknown; params?: { arguments?: { text?: unknown } } };
        out = Buffer.from(JSON.stringify({ jsonrpc: '2.0', id: message.id ?? null, result: { content: [{ type: 'text', text: String(message.params?.arguments?.text) }] } }));
      } catch {
        res.writeHead(400, { 'content-length': 0 }).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': out.length }).end(out);
    });
  });
  server.keepAliveTimeout = 60_000;
  listening(server, '/mcp');
};

const relay = (target: URL): void => {
  const server = net.createServer((downstream) => {
    const upstreamSocket = net.connect(Number(target.port), target.hostname);
    downstream.setNoDelay(true);
    upstreamSocket.setNoDelay(true);
    downstream.pipe(upstreamSocket).pipe(downstream);
    const end = (): void => {
      downstream.destroy();
      upstreamSocket.destroy();
    };
    downstream.once('error', end).once('close', end);
    upstreamSocket.once('error', end).once('close', end);
  });
  listening(server, target.pathname);
};

const [role, url] = process.argv.slice(2);
if (role === 'upstream') upstream();
else if (role === 'relay' && url !== undefined) relay(new URL(url));
else {
  process.stderr.write('usage: hop-parts.js upstream | relay <upstream URL>\n');
  process.exitCode = 2;
}
