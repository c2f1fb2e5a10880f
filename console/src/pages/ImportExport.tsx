import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type ChangeEvent, type DragEvent } from 'react';
import { ApiError, request } from '../api';
import { ErrorNote, Field } from '../ui';

type ServerOutcome = { name: string; id: string | null; action: string; changed: string[]; secretsReplaced: string[]; secretsDropped: string[] };
type ImportAnswer = {
  servers: ServerOutcome[];
  profiles: { slug: string; action: string }[];
  attachedTo: string | null;
  warnings: string[];
  dryRun: boolean;
  appended: number;
  wouldAppend?: number;
};

/** The body and query of one import: what was previewed is exactly what is applied. */
type Draft = { text: string; profile: string };

const parse = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ApiError(400, 'INVALID_JSON', `This is not JSON: ${(error as Error).message}`);
  }
};

const importPath = (draft: Draft, dryRun: boolean): string => {
  const query = new URLSearchParams();
  if (draft.profile) query.set('profile', draft.profile);
  if (dryRun) query.set('dryRun', 'true');
  return `/api/import${query.size > 0 ? `?${query}` : ''}`;
};

/** Saves text as a file without a second request: the answer is already here. */
const download = (name: string, text: string, type: string) => {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
};

/** Paste, pick or drop a Claude Desktop / Cursor `mcpServers` file, preview the import (a dry run), apply it; export. */
export const ImportExport = () => {
  const client = useQueryClient();
  const [draft, setDraft] = useState<Draft>({ text: '', profile: '' });
  const [previewed, setPreviewed] = useState<{ draft: Draft; answer: ImportAnswer } | null>(null);
  const run = (dryRun: boolean) => async (input: Draft) => (await request<ImportAnswer>('POST', importPath(input, dryRun), parse(input.text))).body;
  const preview = useMutation({ mutationFn: run(true), onSuccess: (answer, input) => setPreviewed({ draft: input, answer }) });
  const apply = useMutation({
    mutationFn: run(false),
    onSuccess: () => {
      setPreviewed(null);
      void client.invalidateQueries();
    },
  });
  const exported = useMutation({
    mutationFn: async (format: 'config' | 'events') => {
      const { body } = await request<unknown>('GET', `/api/export?format=${format}`);
      if (format === 'config') download('gatehouse-config.json', `${JSON.stringify(body, null, 2)}\n`, 'application/json');
      else download('gatehouse-events.jsonl', String(body ?? ''), 'application/x-ndjson');
    },
  });

  const edit = (change: Partial<Draft>) => {
    setDraft({ ...draft, ...change });
    preview.reset();
    apply.reset();
  };
  /** A picked or dropped file (or dropped text) fills the box and is previewed at once, as if pasted and previewed. */
  const load = (text: Promise<string>) =>
    void text.then((content) => {
      edit({ text: content });
      preview.mutate({ ...draft, text: content });
    });
  const pick = (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    if (file) load(file.text());
  };
  const [dropping, setDropping] = useState(false);
  const drop = (event: DragEvent<HTMLFormElement>) => {
    event.preventDefault();
    setDropping(false);
    const file = event.dataTransfer.files[0];
    const text = event.dataTransfer.getData('text/plain');
    if (file) load(file.text());
    else if (text) load(Promise.resolve(text));
  };
  const upToDate = previewed !== null && previewed.draft.text === draft.text && previewed.draft.profile === draft.profile;
  const failure = preview.error ?? apply.error;

  return (
    <section aria-labelledby="import-title">
      <h1 id="import-title">Import / export</h1>
      <form
        className={dropping ? 'panel wide dropping' : 'panel wide'}
        aria-label="Import"
        onDragOver={(event) => {
          event.preventDefault();
          setDropping(true);
        }}
        onDragLeave={(event) => {
          if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setDropping(false);
        }}
        onDrop={drop}
        onSubmit={(event) => {
          event.preventDefault();
          preview.mutate(draft);
        }}
      >
        <h2>Import</h2>
        <p className="muted">
          Paste, pick or drop here a Claude Desktop or Cursor file (<code>{'{"mcpServers": {…}}'}</code>), or what Export writes. Servers are matched by name: new ones
          are registered, existing ones reconfigured. All or nothing. Encrypted backups are restored with <code>gatehouse import</code> only.
        </p>
        <Field label="Configuration (JSON)">
          <textarea rows={12} value={draft.text} onChange={(event) => edit({ text: event.target.value })} spellCheck={false} />
        </Field>
        <Field label="Or pick a file">
          <input type="file" accept=".json,application/json" onChange={pick} />
        </Field>
        <Field label="Attach every server to profile (optional)" hint="Created when it does not exist.">
          <input value={draft.profile} onChange={(event) => edit({ profile: event.target.value.trim() })} placeholder="desktop" />
        </Field>
        <div className="actions">
          <button type="submit" disabled={draft.text.trim() === '' || preview.isPending}>
            {preview.isPending ? 'Previewing…' : 'Preview'}
          </button>
          <button type="button" className="primary" disabled={!upToDate || apply.isPending} onClick={() => previewed && apply.mutate(previewed.draft)}>
            {apply.isPending ? 'Importing…' : 'Import'}
          </button>
        </div>
        <ErrorNote error={failure} />
        {failure instanceof ApiError && failure.errors.length > 0 ? (
          <ul aria-label="Problems in the document">
            {failure.errors.map((error) => (
              <li key={error.field}>
                <code>{error.field}</code>: {error.messages.join('; ')}
              </li>
            ))}
          </ul>
        ) : null}
        {upToDate && previewed ? <Outcome answer={previewed.answer} /> : null}
        {apply.data ? (
          <p role="status">
            Imported: {apply.data.appended} event{apply.data.appended === 1 ? '' : 's'} appended.
          </p>
        ) : null}
      </form>

      <div className="panel wide">
        <h2>Export</h2>
        <p className="muted">The configuration as a file Import (and Claude Desktop) reads, secrets masked; or the whole event log as JSON lines.</p>
        <div className="actions">
          <button type="button" onClick={() => exported.mutate('config')} disabled={exported.isPending}>
            Download configuration
          </button>
          <button type="button" onClick={() => exported.mutate('events')} disabled={exported.isPending}>
            Download event log
          </button>
        </div>
        <ErrorNote error={exported.error} />
      </div>
    </section>
  );
};

const Outcome = ({ answer }: { answer: ImportAnswer }) => (
  <div role="region" aria-label="Preview">
    <h3>
      Preview: {answer.wouldAppend ?? 0} change{answer.wouldAppend === 1 ? '' : 's'} would be appended
    </h3>
    <table aria-label="Servers in the import">
      <thead>
        <tr>
          <th scope="col">Server</th>
          <th scope="col">Would be</th>
          <th scope="col">Settings changed</th>
          <th scope="col">Secrets replaced / dropped</th>
        </tr>
      </thead>
      <tbody>
        {answer.servers.map((server) => (
          <tr key={server.name} data-server={server.name}>
            <td>{server.name}</td>
            <td>{server.action}</td>
            <td>{server.changed.join(', ')}</td>
            <td>{[...server.secretsReplaced, ...server.secretsDropped.map((name) => `${name} (dropped)`)].join(', ')}</td>
          </tr>
        ))}
      </tbody>
    </table>
    {answer.profiles.length > 0 ? <p>Profiles: {answer.profiles.map((profile) => `${profile.slug} (${profile.action})`).join(', ')}</p> : null}
    {answer.warnings.length > 0 ? (
      <ul aria-label="Warnings">
        {answer.warnings.map((warning) => (
          <li key={warning}>{warning}</li>
        ))}
      </ul>
    ) : null}
  </div>
);
