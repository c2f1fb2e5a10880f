import { useQuery } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { bearer, enc, get } from '../api';
import { setQueryParam, useLocation } from '../router';
import { followStream } from '../stream';
import { currentFailure, ErrorNote, Loading, Status } from '../ui';
import { useProfiles } from './Profiles';
import { useServers } from './Servers';
import { Payload } from './Payload';

type LogSummary = {
  id: number;
  time: string;
  profile: string;
  sessionId: string;
  clientName: string | null;
  server: string | null;
  kind: string;
  method: string;
  target: string | null;
  status: 'ok' | 'error' | 'timeout';
  errorCode: number | null;
  errorMessage: string | null;
  durationMs: number;
  requestBytes: number;
  responseBytes: number;
};
type LogDetail = LogSummary & { params: unknown; paramsTruncated: boolean; result: unknown; resultTruncated: boolean };

/** How many entries the screen keeps; older ones are a page of `gatehouse logs show` away. */
const KEEP = 200;
const FILTERS = ['profile', 'server', 'method'] as const;

/** The query string of GET /api/logs and its stream from the screen's URL (errors only → status=error,timeout). */
const logQuery = (url: URL): URLSearchParams => {
  const query = new URLSearchParams();
  for (const name of FILTERS) {
    const value = url.searchParams.get(name);
    if (value) query.set(name, value);
  }
  if (url.searchParams.get('errors') === '1') query.set('status', 'error,timeout');
  return query;
};

/**
 * Follows /api/logs/stream from `after`; the stream resumes with Last-Event-ID after a drop, so
 * no entry is lost or shown twice.
 */
const followLogs = (query: URLSearchParams, after: number, onEntry: (entry: LogSummary) => void, onState: (live: boolean) => void): (() => void) =>
  followStream(`/api/logs/stream?${query}`, {
    headers: bearer,
    lastEventId: String(after),
    onEvent: ({ type, data }) => {
      if (type === 'log' && data) onEntry(JSON.parse(data) as LogSummary);
    },
    onState,
  });

/** The debug-log tail: filters in the URL, new entries as they are written, one entry's redacted payloads. */
export const Traffic = () => {
  const location = useLocation();
  const query = logQuery(location);
  const key = query.toString();
  const selected = location.searchParams.get('entry');
  const [entries, setEntries] = useState<LogSummary[]>([]);
  const [live, setLive] = useState(false);
  const [error, setError] = useState<unknown>(null);

  useEffect(() => {
    let stop = () => undefined as void;
    let cancelled = false;
    setEntries([]);
    setError(null);
    get<{ logs: LogSummary[] }>(`/api/logs?${key}${key ? '&' : ''}limit=100`).then(
      (page) => {
        if (cancelled) return;
        setEntries(page.logs);
        stop = followLogs(new URLSearchParams(key), page.logs[0]?.id ?? 0, (entry) => setEntries((shown) => (shown.some((row) => row.id === entry.id) ? shown : [entry, ...shown].slice(0, KEEP))), setLive);
      },
      (failure: unknown) => !cancelled && setError(failure),
    );
    return () => {
      cancelled = true;
      stop();
      setLive(false);
    };
  }, [key]);

  return (
    <section aria-labelledby="traffic-title">
      <div className="title-row">
        <h1 id="traffic-title">Live traffic</h1>
        <span className="live" role="status">
          {live ? 'following' : ''}
        </span>
      </div>
      <p className="muted">
        The debug logs of profiles with <code>debugLogging</code> on, newest first. Payloads are redacted before they are stored;
        the redacted places are marked.
      </p>
      <Health />
      <Filters location={location} />
      <ErrorNote error={error} />
      {selected ? <Entry id={selected} /> : null}
      <table aria-label="Traffic">
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Profile</th>
            <th scope="col">Server</th>
            <th scope="col">Method</th>
            <th scope="col">Target</th>
            <th scope="col">Status</th>
            <th scope="col">Duration</th>
          </tr>
        </thead>
        <tbody>
          {entries.length === 0 ? (
            <tr>
              <td colSpan={7} className="muted">
                No traffic matches yet (is debugLogging on for the profile?).
              </td>
            </tr>
          ) : null}
          {entries.map((entry) => (
            <tr key={entry.id} data-log={entry.id} aria-selected={String(entry.id) === selected}>
              <td>
                <button type="button" className="link" onClick={() => setQueryParam('entry', String(entry.id))} aria-label={`Show entry ${entry.id}`}>
                  {new Date(entry.time).toLocaleTimeString()}
                </button>
              </td>
              <td>{entry.profile}</td>
              <td>{entry.server ?? <span className="muted">gateway</span>}</td>
              <td>{entry.method}</td>
              <td>{entry.target ?? ''}</td>
              <td>
                <Status value={entry.status} /> {entry.errorMessage ? <span className="muted">{entry.errorMessage}</span> : null}
              </td>
              <td>{entry.durationMs} ms</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
};

const Filters = ({ location }: { location: URL }) => {
  const profiles = useProfiles();
  const servers = useServers();
  const apply = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setQueryParam('method', String(form.get('method') ?? '').trim());
  };
  return (
    <form className="toolbar" aria-label="Traffic filters" onSubmit={apply}>
      <label className="field">
        <span className="label">Profile</span>
        <select value={location.searchParams.get('profile') ?? ''} onChange={(event) => setQueryParam('profile', event.target.value)}>
          <option value="">any</option>
          {(profiles.data?.profiles ?? []).map((profile) => (
            <option key={profile.id}>{profile.slug}</option>
          ))}
        </select>
      </label>
      <label className="field">
        <span className="label">Server</span>
        <select value={location.searchParams.get('server') ?? ''} onChange={(event) => setQueryParam('server', event.target.value)}>
          <option value="">any</option>
          {(servers.data?.servers ?? []).map((server) => (
            <option key={server.id}>{server.name}</option>
          ))}
        </select>
      </label>
      <label className="field">
        <span className="label">Method</span>
        <input name="method" key={location.searchParams.get('method') ?? ''} defaultValue={location.searchParams.get('method') ?? ''} placeholder="tools/call" />
      </label>
      <button type="submit">Apply</button>
      <label className="check">
        <input type="checkbox" checked={location.searchParams.get('errors') === '1'} onChange={(event) => setQueryParam('errors', event.target.checked ? '1' : null)} /> Errors only
      </label>
    </form>
  );
};

/** Every server's status in one line: what a person checks first when calls fail. */
const Health = () => {
  const servers = useServers();
  if (!servers.data) return null;
  return (
    <ul className="health" aria-label="Server health">
      {servers.data.servers.map((server) => {
        return (
          <li key={server.id} data-server={server.name} title={currentFailure(server.runtime)?.message}>
            <strong>{server.name}</strong> <Status value={server.runtime?.status ?? 'idle'} />
          </li>
        );
      })}
    </ul>
  );
};

const Entry = ({ id }: { id: string }) => {
  const entry = useQuery({ queryKey: ['log', id], queryFn: () => get<LogDetail>(`/api/logs/${enc(id)}`), staleTime: Infinity });
  return (
    <div className="panel wide" role="region" aria-label={`Entry ${id}`}>
      <div className="title-row">
        <h2>
          Entry {id}
          {entry.data ? ` · ${entry.data.method}${entry.data.target ? ` ${entry.data.target}` : ''}` : ''}
        </h2>
        <button type="button" onClick={() => setQueryParam('entry', null)}>
          Close
        </button>
      </div>
      <ErrorNote error={entry.error} />
      {entry.isPending ? <Loading /> : null}
      {entry.data ? (
        <>
          <p className="muted">
            {new Date(entry.data.time).toLocaleString()} · session <span title={entry.data.sessionId}>{entry.data.sessionId.slice(0, 12)}…</span>
            {entry.data.clientName ? ` (${entry.data.clientName})` : ''} · {entry.data.durationMs} ms · {entry.data.requestBytes} B in, {entry.data.responseBytes} B out
          </p>
          <div className="diff">
            <Payload title="Request" value={entry.data.params} truncated={entry.data.paramsTruncated} />
            <Payload title="Response" value={entry.data.result} truncated={entry.data.resultTruncated} />
          </div>
        </>
      ) : null}
    </div>
  );
};
