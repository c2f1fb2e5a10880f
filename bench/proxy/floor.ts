/**
 * The "floor" of the proxy benchmark: the least a Node hop between an MCP client and its
 * upstream can cost, to put next to the gateway's numbers. It is a bare HTTP forwarder on
 * node:http with a keep-alive agent and no MCP logic at all (no sessions, no auth, no
 * routing, no validation): each request body is buffered, parsed and serialised again as any
 * JSON-RPC proxy must at least do, and sent on; a JSON answer is buffered, parsed and
 * serialised again too and sent with a Content-Length; any other answer (an SSE stream) is
 * piped through as it comes.
 *
 * Run as `node dist/bench/proxy/floor.js <upstream URL>`; prints the fixture servers' line
 * `MCP_FIXTURE_LISTENING port=<port> url=<url>` on stderr once it listens on 127.0.0.1, so
 * the benchmark starts it as it starts them. SIGTERM closes it.
 */
import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';

/** Headers about one hop's connection, which a forwarder sets itself rather than passing on. */
const HOP_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'host', 'upgrade', 'te', 'trailer']);

const forwardable = (headers: IncomingHttpHeaders): http.OutgoingHttpHeaders => {
  const out: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_HEADERS.has(name)) out[name] = value;
  return out;
};

const bodyOf = (message: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    message.on('data', (chunk: Buffer) => chunks.push(chunk));
    message.once('end', () => resolve(Buffer.concat(chunks)));
    message.once('error', reject);
  });

/** What a JSON-RPC proxy does to every JSON body at least: parse it and write it anew. */
const reserialised = (body: Buffer): Buffer => (body.length === 0 ? body : Buffer.from(JSON.stringify(JSON.parse(body.toString('utf8')))));

const isJson = (headers: IncomingHttpHeaders): boolean => (headers['content-type'] ?? '').startsWith('application/json');

const main = (): void => {
  const upstream = new URL(process.argv[2] ?? '');
  const agent = new http.Agent({ keepAlive: true, scheduling: 'lifo' });
  const server = http.createServer((req, res) => {
    const fail = (): void => {
      if (!res.headersSent) res.writeHead(502, { 'content-length': 0 });
      res.end();
    };
    bodyOf(req).then((received) => {
      const body = isJson(req.headers) ? reserialised(received) : received;
      const headers = { ...forwardable(req.headers), host: upstream.host, 'content-length': body.length };
      const request = http.request({ hostname: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers, agent }, (answer) => {
        const answerHeaders = forwardable(answer.headers);
        if (!isJson(answer.headers)) {
          res.writeHead(answer.statusCode ?? 502, answerHeaders);
          answer.pipe(res);
          return;
        }
        bodyOf(answer).then((answered) => {
          const out = reserialised(answered);
          res.writeHead(answer.statusCode ?? 502, { ...answerHeaders, 'content-length': out.length });
          res.end(out);
        }).catch(fail);
      });
      request.once('error', fail);
      // The client went away (it closed a GET stream): the upstream exchange is ended too.
      res.once('close', () => {
        if (!res.writableFinished) request.destroy();
      });
      request.end(body);
    }).catch(fail);
  });
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as { port: number };
    process.stderr.write(`MCP_FIXTURE_LISTENING port=${port} url=http://127.0.0.1:${port}${upstream.pathname}\n`);
  });
  process.once('SIGTERM', () => {
    server.closeAllConnections();
    server.close();
    agent.destroy();
  });
};

main();
