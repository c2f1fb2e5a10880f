import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { enc, get, send } from '../api';
import { Link, setQueryParam, useLocation } from '../router';
import type { StoredEvent } from '../types';
import { ConfirmDialog, ErrorNote, Loading } from '../ui';

type Change = { path: string[]; op: 'added' | 'removed' | 'changed'; before?: unknown; after?: unknown };
type Diff = { from: number; to: number; changes: Change[] };

const show = (value: unknown): string => (value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value, null, 1));

/** Side by side: the path, what it was, what it became. Values are text. */
export const DiffView = ({ diff }: { diff: Diff }) =>
  diff.changes.length === 0 ? (
    <p>No differences between position {diff.from} and {diff.to}.</p>
  ) : (
    <table className="diff-table" aria-label={`Differences from ${diff.from} to ${diff.to}`}>
      <thead>
        <tr>
          <th scope="col">What</th>
          <th scope="col">At {diff.from}</th>
          <th scope="col">At {diff.to}</th>
        </tr>
      </thead>
      <tbody>
        {diff.changes.map((change) => (
          <tr key={change.path.join('\u0000')} data-op={change.op}>
            <td>
              <code>{change.path.join(' › ')}</code>
            </td>
            <td className={change.op === 'added' ? '' : 'removed'}>
              {change.op === 'added' ? <span className="muted">absent</span> : <pre>{show(change.before)}</pre>}
            </td>
            <td className={change.op === 'removed' ? '' : 'added'}>
              {change.op === 'removed' ? <span className="muted">absent</span> : <pre>{show(change.after)}</pre>}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );

/** One request's events together (same correlation id), newest first. */
const groupByCorrelation = (events: StoredEvent[]): StoredEvent[][] => {
  const groups: StoredEvent[][] = [];
  for (const event of [...events].reverse()) {
    const last = groups[groups.length - 1];
    if (last && last[0].metadata.correlationId !== undefined && last[0].metadata.correlationId === event.metadata.correlationId) last.push(event);
    else groups.push([event]);
  }
  return groups;
};

/**
 * The timeline of a profile, a server or the whole configuration (`?profile=`, `?server=`; the
 * whole configuration's is its newest 1,000 events),
 * a diff between any two positions, and "restore to here" with a confirmation showing the diff.
 */
export const History = () => {
  const location = useLocation();
  const client = useQueryClient();
  const profile = location.searchParams.get('profile');
  const server = location.searchParams.get('server');
  const from = location.searchParams.get('from');
  const to = location.searchParams.get('to');
  const scope = profile ? `profile=${enc(profile)}` : server ? `server=${enc(server)}` : '';
  const path = profile ? `/api/profiles/${enc(profile)}/history` : server ? `/api/servers/${enc(server)}/history` : '/api/events?last=1000';
  const events = useQuery({ queryKey: ['history', path], queryFn: () => get<{ events: StoredEvent[] }>(path) });
  const diff = useQuery({
    queryKey: ['diff', scope, from, to],
    queryFn: () => get<Diff>(`/api/diff?from=${enc(from ?? '')}${to ? `&to=${enc(to)}` : ''}${scope ? `&${scope}` : ''}`),
    enabled: from !== null,
  });
  const [restoreTo, setRestoreTo] = useState<number | null>(null);
  const preview = useQuery({
    queryKey: ['restore-preview', scope, restoreTo],
    queryFn: () => get<Diff>(`/api/diff?from=now&to=${restoreTo}&${scope}`),
    enabled: restoreTo !== null && scope !== '',
  });
  const restore = useMutation({
    mutationFn: (position: number) => send('POST', profile ? `/api/profiles/${enc(profile)}/revert` : `/api/servers/${enc(server ?? '')}/revert`, { to: position }),
    onSuccess: () => {
      setRestoreTo(null);
      void client.invalidateQueries();
    },
  });

  const title = profile ? `History of profile ${profile}` : server ? `History of server ${server}` : 'History of the configuration';
  return (
    <section aria-labelledby="history-title">
      <h1 id="history-title">{title}</h1>
      <p className="actions">
        <Link href="/history">Whole configuration</Link>
        {profile ? <Link href={`/profiles/${enc(profile)}`}>Profile {profile}</Link> : null}
        {server ? <Link href={`/servers/${enc(server)}`}>Server {server}</Link> : null}
      </p>
      {from !== null ? (
        <div className="panel wide">
          <div className="title-row">
            <h2>
              Diff {from} → {to ?? 'now'}
            </h2>
            <button
              type="button"
              onClick={() => {
                setQueryParam('from', null);
                setQueryParam('to', null);
              }}
            >
              Close
            </button>
          </div>
          <ErrorNote error={diff.error} />
          {diff.data ? <DiffView diff={diff.data} /> : <Loading />}
        </div>
      ) : null}
      {restoreTo !== null ? (
        <ConfirmDialog
          title={`Restore to position ${restoreTo}?`}
          action="Restore"
          wide
          disabled={!preview.data || restore.isPending}
          error={preview.error ?? restore.error}
          onConfirm={() => restore.mutate(restoreTo)}
          onCancel={() => setRestoreTo(null)}
        >
          <p>These changes will be appended as new events (the history keeps everything):</p>
          {preview.data ? <DiffView diff={preview.data} /> : <Loading />}
        </ConfirmDialog>
      ) : null}
      <ErrorNote error={events.error} />
      {events.isPending ? <Loading /> : null}
      <ol className="timeline">
        {groupByCorrelation(events.data?.events ?? []).map((group) => {
          const head = group[0];
          return (
            <li key={head.position} data-position={head.position}>
              <div className="actions">
                <strong>{new Date(head.metadata.recordedAt ?? 0).toLocaleString()}</strong>
                <span className="muted">by {head.metadata.actor ?? 'unknown'}</span>
                <span className="muted">position {group.map((event) => event.position).join(', ')}</span>
              </div>
              <ul>
                {group.map((event) => (
                  <li key={event.position}>
                    <code>{event.type}</code> <span className="muted">{summary(event)}</span>
                  </li>
                ))}
              </ul>
              <div className="actions">
                <button
                  type="button"
                  onClick={() => {
                    setQueryParam('from', String(Math.max(0, Math.min(...group.map((e) => e.position)) - 1)));
                    setQueryParam('to', String(Math.max(...group.map((e) => e.position))));
                  }}
                >
                  What changed here
                </button>
                <button
                  type="button"
                  onClick={() => {
                    setQueryParam('from', String(Math.max(...group.map((e) => e.position))));
                    setQueryParam('to', null);
                  }}
                >
                  Diff from here to now
                </button>
                {scope !== '' ? (
                  <button type="button" onClick={() => setRestoreTo(Math.max(...group.map((e) => e.position)))}>
                    Restore to here
                  </button>
                ) : null}
              </div>
            </li>
          );
        })}
      </ol>
    </section>
  );
};

const summary = (event: StoredEvent): string => {
  const data = event.data;
  const bits = ['slug', 'name', 'toolName', 'status', 'serverId'].filter((key) => typeof data[key] === 'string').map((key) => `${key}: ${String(data[key])}`);
  return bits.join(', ');
};
