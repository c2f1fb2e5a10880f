import { useQuery } from '@tanstack/react-query';
import { enc, get } from '../api';
import type { ToolDefinitionChange, ToolDefinitionHistory } from '../types';
import { ErrorNote, Loading, Status, when } from '../ui';
import { DiffView } from './History';

const WHAT: Record<ToolDefinitionChange['change'], string> = {
  added: 'listed by the upstream',
  changed: 'definition changed upstream',
  removed: 'no longer listed',
  approved: 'definition approved',
};

const what = (entry: ToolDefinitionChange): string => (entry.reason === 'server_removed' ? 'removed with the server' : WHAT[entry.change]);

/**
 * One tool's definition over time, newest first: each change upstream with the fields that
 * changed since the definition before it (side by side, as text), and each approval.
 */
export const ToolHistory = ({ server, tool }: { server: string; tool: string }) => {
  const history = useQuery({
    queryKey: ['server', server, 'tools', tool, 'history'],
    queryFn: () => get<ToolDefinitionHistory>(`/api/servers/${enc(server)}/tools/${enc(tool)}/history`),
  });
  if (history.isPending) return <Loading />;
  if (history.error) return <ErrorNote error={history.error} />;
  // The position of the definition each change replaced: the last one listed before it.
  let previous: number | null = null;
  const entries = history.data.changes.map((entry) => {
    const from = previous;
    if (entry.change === 'added' || entry.change === 'changed') previous = entry.position;
    return { entry, from };
  });
  return (
    <section aria-label={`Definition history of ${tool}`}>
      {history.data.changedUpstream ? (
        <p>
          <Status value="changed upstream" /> Its definition differs from the one approved or, never approved, first seen.
        </p>
      ) : null}
      <ol className="timeline">
        {entries.reverse().map(({ entry, from }) => (
          <li key={`${entry.position}:${entry.change}`} data-change={entry.change}>
            <strong>{what(entry)}</strong> <span className="muted">{when(entry.recordedAt)} · position {entry.position} · {entry.approvedBy ?? entry.actor}</span>
            {entry.change === 'changed' || (entry.change === 'added' && from !== null) ? (
              <DiffView diff={{ from: from ?? 0, to: entry.position, changes: entry.diff.map((field) => ({ path: [field.field], op: 'changed', before: field.from, after: field.to })) }} />
            ) : null}
          </li>
        ))}
      </ol>
    </section>
  );
};
