import { useQuery, useQueryClient } from '@tanstack/react-query';
import { memo, useCallback, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { enc, request, send } from '../api';
import { Link, setQueryParam, useLocation, useTypedQueryParam } from '../router';
import { useRowWindow } from '../rowWindow';
import { filterTools, indexTools, toolKey, type EffectiveTool, type ToolFilter } from '../toolFilter';
import { ErrorNote, Field, Status } from '../ui';

type ToolsBody = { version: number; tools: EffectiveTool[] };
const NO_TOOLS: readonly EffectiveTool[] = [];

/**
 * The tool table over every attached server: search (text or regex, kept in the URL), filters,
 * a selection with bulk show/hide, inline rename and description. Writes carry If-Match with the
 * profile version this table shows, so an edit made meanwhile elsewhere is a clear conflict
 * (the API's 412 detail), not an overwrite. Not `editable` (a member): the same table, read only.
 */
export const ToolTable = ({ slug, editable }: { slug: string; editable: boolean }) => {
  const client = useQueryClient();
  const location = useLocation();
  // Typed into local state (a keystroke renders this table only); the URL's `q` follows after a pause.
  const [text, setText] = useTypedQueryParam('q');
  const regex = location.searchParams.get('regex') === '1';
  const filter = (location.searchParams.get('filter') ?? 'all') as ToolFilter;
  const tools = useQuery({ queryKey: ['profile', slug, 'tools'], queryFn: () => request<ToolsBody>('GET', `/api/profiles/${enc(slug)}/tools`) });
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [progress, setProgress] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);

  const all = tools.data?.body.tools ?? NO_TOOLS;
  // The search keys are made when an answer arrives, not in a keystroke.
  const index = useMemo(() => indexTools(all), [all]);
  const result = useMemo(() => filterTools(index, { text, regex, filter }), [index, text, regex, filter]);
  const visible = result.tools;
  const body = useRef<HTMLTableSectionElement>(null);
  const rows = useRowWindow(visible.length, body);
  // Nothing selected (as while searching): no key made for each of the matching tools on every keystroke.
  const selectedVisible = useMemo(() => (selected.size === 0 ? NO_TOOLS : visible.filter((tool) => selected.has(toolKey(tool)))), [visible, selected]);

  /** PATCHes one after another, each with the version the previous answer gave (If-Match). */
  const patchAll = async (targets: readonly EffectiveTool[], patch: (tool: EffectiveTool) => object) => {
    let version = tools.data?.body.version;
    setError(null);
    try {
      for (const [index, tool] of targets.entries()) {
        setProgress(targets.length > 1 ? `Saving ${index + 1} of ${targets.length}…` : 'Saving…');
        const answer = await send<{ version: number }>('PATCH', `/api/profiles/${enc(slug)}/tools/${enc(tool.serverId)}/${enc(tool.originalName)}`, patch(tool), version === undefined ? undefined : `"${version}"`);
        version = answer.version;
      }
      setSelected(new Set());
    } catch (failure) {
      setError(failure);
    } finally {
      // The last version answered goes into the cached list at once: a change made before the list is read again
      // sends it, not the one this batch started from (which the server would refuse as stale).
      const settled = version;
      if (settled !== undefined) {
        client.setQueryData<typeof tools.data>(['profile', slug, 'tools'], (cached) => cached && { ...cached, body: { ...cached.body, version: settled } });
      }
      setProgress(null);
      void client.invalidateQueries({ queryKey: ['profile', slug] });
    }
  };

  // Stable across renders, so that a keystroke re-renders only the rows it adds (ToolRow is memoised).
  const toggle = useCallback((tool: EffectiveTool) => {
    setSelected((current) => {
      const next = new Set(current);
      const key = toolKey(tool);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });
  }, []);
  const latestPatchAll = useRef(patchAll);
  latestPatchAll.current = patchAll;
  const patchOne = useCallback((tool: EffectiveTool, patch: object) => void latestPatchAll.current([tool], () => patch), []);
  const allVisibleSelected = visible.length > 0 && selectedVisible.length === visible.length;

  return (
    <section aria-labelledby="tools-title">
      <h2 id="tools-title">Tools</h2>
      <div className="toolbar">
        <Field label="Search tools" error={result.error ?? undefined}>
          <input type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder={regex ? '^server__(get|list)' : 'name, server or description'} />
        </Field>
        <label className="check">
          <input type="checkbox" checked={regex} onChange={(e) => setQueryParam('regex', e.target.checked ? '1' : null)} /> Regular expression
        </label>
        <Field label="Show">
          <select value={filter} onChange={(e) => setQueryParam('filter', e.target.value === 'all' ? null : e.target.value)}>
            <option value="all">all</option>
            <option value="active">active</option>
            <option value="hidden">hidden</option>
            <option value="overridden">overridden</option>
            <option value="changed">changed upstream</option>
            <option value="undiscovered">not discovered (settings only)</option>
          </select>
        </Field>
        {editable ? (
          <>
            <button type="button" disabled={selectedVisible.length === 0 || progress !== null} onClick={() => void patchAll(selectedVisible, () => ({ status: 'inactive' }))}>
              Hide selected ({selectedVisible.length})
            </button>
            <button type="button" disabled={selectedVisible.length === 0 || progress !== null} onClick={() => void patchAll(selectedVisible, () => ({ status: 'active' }))}>
              Show selected ({selectedVisible.length})
            </button>
          </>
        ) : null}
      </div>
      <p role="status" className="muted">
        {progress ?? `${visible.length} of ${all.length} tools`}
      </p>
      <ErrorNote error={error ?? tools.error} />
      {/* Only the rows near the viewport are in the document (useRowWindow): the row count and each row's index say where they are. */}
      <table className="tool-table" aria-rowcount={visible.length + 1}>
        <thead>
          <tr aria-rowindex={1}>
            {editable ? (
              <th scope="col" className="col-select">
                <input
                  type="checkbox"
                  aria-label="Select all shown tools"
                  checked={allVisibleSelected}
                  onChange={() => setSelected(allVisibleSelected ? new Set() : new Set(visible.map(toolKey)))}
                />
              </th>
            ) : null}
            <th scope="col" className="col-name">
              Exposed name
            </th>
            <th scope="col" className="col-server">
              Server / original
            </th>
            <th scope="col" className="col-status">
              Status
            </th>
            <th scope="col">Description</th>
          </tr>
        </thead>
        <tbody ref={body} onFocus={rows.onFocus} onBlur={rows.onBlur}>
          {rows.before > 0 ? <Spacer height={rows.before} columns={editable ? 5 : 4} /> : null}
          {visible.slice(rows.start, rows.end).map((tool, offset) => (
            <ToolRow
              key={`${toolKey(tool)}:${tool.overrides.name}:${tool.overrides.description}`}
              index={rows.start + offset + 2}
              tool={tool}
              selected={selected.has(toolKey(tool))}
              editable={editable}
              onToggle={toggle}
              onPatch={patchOne}
            />
          ))}
          {rows.after > 0 ? <Spacer height={rows.after} columns={editable ? 5 : 4} /> : null}
        </tbody>
      </table>
    </section>
  );
};

/** Stands in for the rows out of the window, at their height; nothing for a screen reader. */
const Spacer = ({ height, columns }: { height: number; columns: number }) => (
  <tr className="spacer" aria-hidden="true">
    <td colSpan={columns} style={{ height }} />
  </tr>
);

type RowProps = { tool: EffectiveTool; index: number; selected: boolean; editable: boolean; onToggle: (tool: EffectiveTool) => void; onPatch: (tool: EffectiveTool, patch: object) => void };

/**
 * One row; upstream text (names, descriptions) is rendered as text by React, never as HTML.
 * Memoised, with uncontrolled edit boxes (read on Enter or blur; the row is keyed by its
 * overrides, so a saved edit mounts it afresh): a row a keystroke keeps costs nothing.
 */
const ToolRow = memo(({ tool, index, selected, editable, onToggle, onPatch }: RowProps) => {
  const commit = (field: 'name' | 'description', value: string, current: string | null) => {
    const next = value.trim() === '' ? null : value.trim();
    if (next !== current) onPatch(tool, { [field]: next });
  };
  const onEnter = (field: 'name' | 'description', current: string | null) => (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Enter') commit(field, e.currentTarget.value, current);
  };
  return (
    <tr data-tool={tool.exposedName} aria-rowindex={index}>
      {editable ? (
        <td>
          <input type="checkbox" aria-label={`Select ${tool.exposedName}`} checked={selected} onChange={() => onToggle(tool)} />
        </td>
      ) : null}
      <td>
        {editable ? (
          <input
            className="cell-edit"
            aria-label={`Name of ${tool.exposedName}`}
            defaultValue={tool.overrides.name ?? ''}
            placeholder={tool.exposedName}
            onBlur={(e) => commit('name', e.currentTarget.value, tool.overrides.name)}
            onKeyDown={onEnter('name', tool.overrides.name)}
          />
        ) : null}
        <div className={editable ? 'muted' : undefined}>{tool.exposedName}</div>
      </td>
      <td>
        {tool.serverName} / <code>{tool.originalName}</code>
      </td>
      <td>
        <Status value={tool.toolStatus === 'inactive' ? 'hidden' : tool.status} />
        {tool.changedUpstream ? (
          <>
            {' '}
            <Link href={`/servers/${enc(tool.serverName)}?tool=${enc(tool.originalName)}`} className="status status-changedupstream" title={`The definition history of ${tool.originalName}`}>
              changed upstream
            </Link>
          </>
        ) : null}
      </td>
      <td>
        {editable ? (
          <input
            className="cell-edit"
            aria-label={`Description of ${tool.exposedName}`}
            defaultValue={tool.overrides.description ?? ''}
            placeholder={tool.description ?? ''}
            onBlur={(e) => commit('description', e.currentTarget.value, tool.overrides.description)}
            onKeyDown={onEnter('description', tool.overrides.description)}
          />
        ) : null}
        <div className="muted tool-description">{tool.description}</div>
      </td>
    </tr>
  );
});
