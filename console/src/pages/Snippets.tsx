import { useState } from 'react';
import { CopyButton } from '../ui';

const KEY = '<your API key>';

/** How a client reaches the profile, ready to paste (an API key from the Keys page goes where the placeholder is). */
const snippetsFor = (slug: string, origin: string): Record<string, string> => {
  const url = `${origin}/mcp/${slug}`;
  const headers = { Authorization: `Bearer ${KEY}` };
  return {
    'Claude Desktop': JSON.stringify({ mcpServers: { [slug]: { command: 'gatehouse', args: ['stdio', '--profile', slug] } } }, null, 2),
    Cursor: JSON.stringify({ mcpServers: { [slug]: { url, headers } } }, null, 2),
    'VS Code': JSON.stringify({ servers: { [slug]: { type: 'http', url, headers } } }, null, 2),
    curl: `curl -sS ${url} \\\n  -H 'Authorization: Bearer ${KEY}' \\\n  -H 'Content-Type: application/json' \\\n  -H 'Accept: application/json, text/event-stream' \\\n  -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}'`,
    'gatehouse stdio': `gatehouse stdio --profile ${slug}`,
  };
};

export const Snippets = ({ slug }: { slug: string }) => {
  const snippets = snippetsFor(slug, location.origin);
  const names = Object.keys(snippets);
  const [shown, setShown] = useState(names[0]);
  const endpoint = `${location.origin}/mcp/${slug}`;
  return (
    <section aria-labelledby="connect-title">
      <h2 id="connect-title">Connect a client</h2>
      <p className="actions">
        Endpoint <code data-testid="endpoint">{endpoint}</code> <CopyButton text={endpoint} label="Copy URL" />
      </p>
      <div role="tablist" aria-label="Client" className="actions">
        {names.map((name) => (
          <button key={name} type="button" role="tab" aria-selected={shown === name} onClick={() => setShown(name)}>
            {name}
          </button>
        ))}
      </div>
      <pre role="tabpanel" aria-label={shown}>
        {snippets[shown]}
      </pre>
      <CopyButton text={snippets[shown]} />
    </section>
  );
};
