import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { enc, request, send } from '../api';
import { managesConfiguration, useMe } from '../me';
import { Link, navigate, setQueryParam, useLocation } from '../router';
import type { Server, UpstreamFailure, UpstreamTool } from '../types';
import { ErrorNote, Loading, Status, when } from '../ui';
import { Credentials, PerUserStatus } from './Credentials';
import { ServerForm, type ServerInput } from './ServerForm';
import { ToolHistory } from './ToolHistory';

/** A failure the upstream has recovered from reads as history, not as its present state. */
const LastError = ({ failure }: { failure: UpstreamFailure | null }) => {
  if (!failure) return <>none</>;
  if (!failure.recoveredAt) return <>{`${failure.message} (${when(failure.at)})`}</>;
  return (
    <span data-recovered>
      none since it recovered at {when(failure.recoveredAt)} <span className="muted">(before that: {failure.message}, {when(failure.at)})</span>
    </span>
  );
};

/**
 * One server: configuration (secrets masked), live status and stderr tail, its tools with their
 * schemas and (`?tool=<name>`) one tool's definition history; edit and remove (owners and admins).
 */
export const ServerDetail = ({ name }: { name: string }) => {
  const client = useQueryClient();
  const openTool = useLocation().searchParams.get('tool');
  // A member reads the server and sets its own credentials; the API refuses it everything else here.
  const manages = managesConfiguration(useMe().data);
  const server = useQuery({ queryKey: ['server', name], queryFn: () => request<Server>('GET', `/api/servers/${enc(name)}`), refetchInterval: 5_000 });
  const tools = useQuery({ queryKey: ['server', name, 'tools'], queryFn: () => request<{ tools: UpstreamTool[] }>('GET', `/api/servers/${enc(name)}/tools`) });
  const [editing, setEditing] = useState(false);
  const update = useMutation({
    mutationFn: (input: ServerInput) => send<Server>('PATCH', `/api/servers/${enc(name)}`, input, server.data?.etag),
    onSuccess: (updated) => {
      setEditing(false);
      void client.invalidateQueries();
      if (updated.name !== name) navigate(`/servers/${enc(updated.name)}`, true);
    },
  });
  const remove = useMutation({
    mutationFn: () => send('DELETE', `/api/servers/${enc(name)}`, undefined, server.data?.etag),
    onSuccess: () => {
      void client.invalidateQueries();
      navigate('/servers');
    },
  });
  const discover = useMutation({
    mutationFn: () => send<{ listed: number }>('POST', `/api/servers/${enc(name)}/discover`, {}),
    onSuccess: () => void client.invalidateQueries({ queryKey: ['server', name] }),
  });
  const connect = useMutation({
    mutationFn: () => send<{ authorizationUrl: string }>('POST', `/api/servers/${enc(name)}/oauth/authorize`, {}),
    onSuccess: ({ authorizationUrl }) => window.location.assign(authorizationUrl),
  });

  if (server.isPending) return <Loading />;
  if (server.error) return <ErrorNote error={server.error} />;
  const s = server.data.body;
  const runtime = s.runtime;
  const perUser = s.credentials === 'per_user';
  return (
    <section aria-labelledby="server-title">
      <p>
        <Link href="/servers">← Servers</Link>
      </p>
      <div className="title-row">
        <h1 id="server-title">{s.name}</h1>
        {/* Each user's own connection: no shared status, and the server's own OAuth grant is never sent. */}
        {perUser ? <PerUserStatus server={s.name} /> : <Status value={runtime?.status ?? 'idle'} />}
        {s.oauth && !perUser ? <Status value={s.oauth.status} /> : null}
      </div>
      {s.description ? <p>{s.description}</p> : null}
      {manages ? (
        <div className="actions">
          <button type="button" onClick={() => setEditing(!editing)} aria-expanded={editing}>
            {editing ? 'Cancel' : 'Edit'}
          </button>
          {s.oauth?.status === 'auth_required' && !perUser ? (
            <button type="button" onClick={() => connect.mutate()}>
              Connect (OAuth)
            </button>
          ) : null}
          <button
            type="button"
            className="danger"
            onClick={() => {
              if (window.confirm(`Remove the server ${s.name}? Profiles lose its tools; the history keeps it and can restore it.`)) remove.mutate();
            }}
          >
            Remove
          </button>
          <Link href={`/history?server=${enc(s.name)}`}>History</Link>
        </div>
      ) : null}
      <ErrorNote error={remove.error ?? connect.error} />
      {manages && editing ? <ServerForm initial={s} submitLabel="Save server" onSubmit={(input) => update.mutateAsync(input)} /> : null}
      <dl className="facts">
        <dt>Transport</dt>
        <dd>{s.transport}</dd>
        {s.transport === 'stdio' ? (
          <>
            <dt>Command</dt>
            <dd>
              <code>{[s.command, ...s.args].join(' ')}</code>
            </dd>
            <dt>Environment</dt>
            <dd>
              {Object.entries(s.env).map(([key, value]) => (
                <div key={key}>
                  <code>
                    {key}={value}
                  </code>
                </div>
              ))}
            </dd>
          </>
        ) : (
          <>
            <dt>URL</dt>
            <dd>
              <code>{s.url}</code>
            </dd>
            <dt>Headers</dt>
            <dd>
              {Object.keys(s.headers).length === 0
                ? 'none'
                : Object.entries(s.headers).map(([key, value]) => (
                    <div key={key}>
                      <code>
                        {key}: {value}
                      </code>
                    </div>
                  ))}
            </dd>
            <dt>Bearer token</dt>
            <dd>{s.bearerToken ?? 'none'}</dd>
          </>
        )}
        <dt>Credentials</dt>
        <dd>{s.credentials === 'per_user' ? "each user's own (per_user)" : 'shared'}</dd>
        {/* Not the lifetime restart count (REST `restarts`): what a reader compares with the stderr tail below. */}
        <dt>Failed attempts</dt>
        <dd data-failed-attempts={runtime?.failedAttempts ?? 0}>
          {runtime?.failedAttempts ?? 0} <span className="muted">since it last served</span>
        </dd>
        <dt>Last error</dt>
        <dd>
          <LastError failure={runtime?.lastError ?? null} />
        </dd>
      </dl>
      {perUser ? <Credentials server={s.name} oauthAvailable={s.oauth?.available === true} /> : null}
      {runtime?.stderrTail ? (
        <>
          <h2>stderr (tail)</h2>
          <pre className="log">{runtime.stderrTail}</pre>
        </>
      ) : null}
      <div className="title-row">
        <h2>Tools</h2>
        {manages ? (
          <button type="button" onClick={() => discover.mutate()} disabled={discover.isPending}>
            {discover.isPending ? 'Connecting…' : 'Connect and list tools'}
          </button>
        ) : null}
      </div>
      <ErrorNote error={tools.error ?? discover.error} />
      {tools.data?.body.tools.length === 0 ? (
        <p className="muted">No tools known yet: they are recorded when a client {manages ? '(or the Connect and list tools button above) lists them' : 'of a profile with this server lists them'}.</p>
      ) : null}
      {tools.data ? (
        <ul className="tools">
          {tools.data.body.tools.map((tool) => (
            <li key={tool.name} data-tool={tool.name}>
              <details>
                <summary>
                  <code>{tool.name}</code> <span className="muted">{tool.description}</span>
                </summary>
                <pre>{JSON.stringify(tool.inputSchema ?? {}, null, 2)}</pre>
              </details>
              {manages ? (
                <button
                  type="button"
                  className="link"
                  aria-expanded={tool.name === openTool}
                  aria-label={`${tool.name === openTool ? 'Hide' : 'Show'} definition history of ${tool.name}`}
                  onClick={() => setQueryParam('tool', tool.name === openTool ? null : tool.name)}
                >
                  {tool.name === openTool ? 'Hide' : 'Show'} definition history
                </button>
              ) : null}
              {manages && tool.name === openTool ? <ToolHistory server={s.name} tool={tool.name} /> : null}
            </li>
          ))}
        </ul>
      ) : null}
    </section>
  );
};
