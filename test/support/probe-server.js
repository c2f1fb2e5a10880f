#!/usr/bin/env node
'use strict';
/**
 * A stdio MCP server that reports what reached it, for proxy tests that must observe the
 * upstream side: cancellations, subscriptions, the logging level, its own pid.
 *
 *   node probe-server.js [--label <text>] [--extra <toolName>]
 *
 * Tools: `whoami` (label and pid), `wait` (until cancelled or `ms` elapse; with a progress
 * token it reports progress 0 at once), `stats` (what was cancelled, the current
 * subscriptions, the logging level), `add_tool` (adds a tool and sends tools/list_changed),
 * `touch` (resources/updated for a subscribed URI), `log` (a logging message, filtered by the
 * level set with logging/setLevel). With `--extra <name>`, one more tool that answers
 * `<name>:<label>`.
 * Resources: probe://<label>/a and probe://<label>/b, subscribable.
 */
const { Server } = require('@modelcontextprotocol/sdk/server/index.js');
const { StdioServerTransport } = require('@modelcontextprotocol/sdk/server/stdio.js');
const {
  CallToolRequestSchema, ListResourcesRequestSchema, ListToolsRequestSchema, ReadResourceRequestSchema,
  SetLevelRequestSchema, SubscribeRequestSchema, UnsubscribeRequestSchema,
} = require('@modelcontextprotocol/sdk/types.js');

const argv = process.argv.slice(2);
const option = (name) => {
  const index = argv.indexOf(`--${name}`);
  return index < 0 ? undefined : argv[index + 1];
};
const label = option('label') ?? 'probe';
const extra = option('extra');

const LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'];
const object = (properties = {}) => ({ type: 'object', properties });
const text = (value) => ({ content: [{ type: 'text', text: typeof value === 'string' ? value : JSON.stringify(value) }] });

const server = new Server(
  { name: `probe-${label}`, version: '1.0.0' },
  { capabilities: { tools: { listChanged: true }, resources: { subscribe: true }, logging: {} } },
);
const cancelled = [];
const subscriptions = new Set();
const added = [];
let level = 'info';

const tools = () => [
  { name: 'whoami', description: 'Label and pid', inputSchema: object() },
  { name: 'wait', description: 'Waits until cancelled', inputSchema: object({ ms: { type: 'number' }, tag: { type: 'string' } }) },
  { name: 'stats', description: 'What reached this server', inputSchema: object() },
  { name: 'add_tool', description: 'Adds a tool', inputSchema: object({ name: { type: 'string' } }) },
  { name: 'touch', description: 'Announces an update of a URI', inputSchema: object({ uri: { type: 'string' } }) },
  { name: 'log', description: 'Sends a logging message', inputSchema: object({ level: { type: 'string' }, data: { type: 'string' } }) },
  ...(extra ? [{ name: extra, description: `Only on ${label}`, inputSchema: object() }] : []),
  ...added.map((name) => ({ name, description: 'Added at run time', inputSchema: object() })),
];

const handlers = {
  whoami: async () => text({ label, pid: process.pid }),
  wait: (args, context) =>
    new Promise((resolve) => {
      // With a progress token, one update says "started", so a test can cancel without guessing.
      const progressToken = context._meta?.progressToken;
      if (progressToken !== undefined) {
        void context.sendNotification({ method: 'notifications/progress', params: { progressToken, progress: 0, message: 'started' } });
      }
      const timer = setTimeout(() => resolve(text('waited')), Number(args.ms ?? 30_000));
      context.signal.addEventListener('abort', () => {
        clearTimeout(timer);
        cancelled.push({ tag: args.tag ?? null, reason: String(context.signal.reason ?? '') });
        resolve(text('cancelled'));
      });
    }),
  stats: async () => text({ label, pid: process.pid, cancelled, subscriptions: [...subscriptions], level }),
  add_tool: async (args) => {
    added.push(String(args.name));
    await server.sendToolListChanged();
    return text(`added ${args.name}`);
  },
  touch: async (args) => {
    const subscribed = subscriptions.has(args.uri);
    if (subscribed) await server.sendResourceUpdated({ uri: args.uri });
    return text({ subscribed });
  },
  log: async (args) => {
    const wanted = String(args.level ?? 'info');
    const sent = LEVELS.indexOf(wanted) >= LEVELS.indexOf(level);
    if (sent) await server.sendLoggingMessage({ level: wanted, logger: label, data: args.data ?? '' });
    return text({ sent });
  },
};

server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: tools() }));
server.setRequestHandler(CallToolRequestSchema, async (request, context) => {
  const { name, arguments: args = {} } = request.params;
  if (name === extra || added.includes(name)) return text(`${name}:${label}`);
  const handler = handlers[name];
  if (!handler) return { isError: true, ...text(`unknown tool ${name}`) };
  return handler(args, context);
});
server.setRequestHandler(ListResourcesRequestSchema, async () => ({
  resources: ['a', 'b'].map((id) => ({ uri: `probe://${label}/${id}`, name: `${label}-${id}` })),
}));
server.setRequestHandler(ReadResourceRequestSchema, async (request) => ({
  contents: [{ uri: request.params.uri, mimeType: 'text/plain', text: `content of ${request.params.uri} from ${label}` }],
}));
server.setRequestHandler(SubscribeRequestSchema, async (request) => {
  subscriptions.add(request.params.uri);
  return {};
});
server.setRequestHandler(UnsubscribeRequestSchema, async (request) => {
  subscriptions.delete(request.params.uri);
  return {};
});
server.setRequestHandler(SetLevelRequestSchema, async (request) => {
  level = request.params.level;
  return {};
});

server.connect(new StdioServerTransport()).catch((error) => {
  process.stderr.write(`probe-server failed: ${error?.stack ?? error}\n`);
  process.exit(1);
});
