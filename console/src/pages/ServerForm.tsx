import { useState, type FormEvent } from 'react';
import { ApiError } from '../api';
import type { Server } from '../types';
import { ErrorNote, Field } from '../ui';

/** `KEY=value` lines ⇄ an object. Values shown masked by the API stay masked: the API keeps the stored secret for a mask. */
const linesToRecord = (text: string, separator: string): Record<string, string> => {
  const record: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const at = line.indexOf(separator);
    if (line.trim() === '') continue;
    if (at <= 0) throw new Error(`"${line.trim()}" is not NAME${separator}value`);
    record[line.slice(0, at).trim()] = line.slice(at + separator.length).trim();
  }
  return record;
};
const recordToLines = (record: Record<string, unknown> | undefined, separator: string): string =>
  Object.entries(record ?? {})
    .map(([key, value]) => `${key}${separator}${String(value)}`)
    .join('\n');

export type ServerInput = Record<string, unknown>;

/** The box starts checked when the server has headers and every one of them is declared secret. */
const allHeadersSecret = (server: Server | undefined): boolean => {
  const names = Object.keys(server?.headers ?? {});
  const secret = new Set(server?.headersSecret ?? []);
  return names.length > 0 && names.every((name) => secret.has(name));
};

/**
 * Add or edit a server: the fields of its transport only. Secrets (env values marked secret,
 * header values, the bearer token) go to the API once and come back masked.
 */
export const ServerForm = ({ initial, onSubmit, submitLabel }: { initial?: Server; onSubmit: (input: ServerInput) => Promise<unknown>; submitLabel: string }) => {
  const [transport, setTransport] = useState<Server['transport']>(initial?.transport ?? 'stdio');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const fieldError = (field: string) => (error instanceof ApiError ? error.fieldMessage(field) : undefined);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const text = (name: string) => String(form.get(name) ?? '').trim();
    setError(null);
    let input: ServerInput;
    try {
      input = { name: text('name'), description: text('description') || null, transport };
      const timeout = text('timeoutMs');
      input.timeoutMs = timeout === '' ? null : Number(timeout);
      if (transport === 'stdio') {
        input.command = text('command') || null;
        input.args = text('args') === '' ? [] : String(form.get('args')).split('\n').map((arg) => arg.trim()).filter((arg) => arg !== '');
        const env = linesToRecord(String(form.get('env') ?? ''), '=');
        const secret = form.get('envSecret') === 'on';
        input.env = Object.fromEntries(Object.entries(env).map(([key, value]) => [key, secret && !value.startsWith('••••') ? { value, secret: true } : value]));
        input.cwd = text('cwd') || null;
      } else {
        input.url = text('url') || null;
        const headers = linesToRecord(String(form.get('headers') ?? ''), ':');
        // Checked: every header is declared secret (a mask too: the API keeps the value and sets the
        // flag). Unchecked: bare values, which keep what each header was (new ones are judged by
        // name and value); a header is made plain again with the API's {"value", "secret": false}.
        const secret = form.get('headersSecret') === 'on';
        input.headers = Object.fromEntries(Object.entries(headers).map(([key, value]) => [key, secret ? { value, secret: true } : value]));
        const bearer = text('bearerToken');
        if (bearer !== '' || !initial) input.bearerToken = bearer || null;
      }
    } catch (failure) {
      setError(failure);
      return;
    }
    setBusy(true);
    try {
      await onSubmit(input);
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="server-form" onSubmit={(event) => void submit(event)} aria-label={submitLabel}>
      <Field label="Name" error={fieldError('name')}>
        <input name="name" required defaultValue={initial?.name} pattern="[a-zA-Z0-9_\-]+" />
      </Field>
      <Field label="Description" error={fieldError('description')}>
        <input name="description" defaultValue={initial?.description ?? ''} />
      </Field>
      <Field label="Transport" error={fieldError('transport')}>
        <select name="transport" value={transport} onChange={(e) => setTransport(e.target.value as Server['transport'])}>
          <option value="stdio">stdio (a local process)</option>
          <option value="streamable_http">Streamable HTTP</option>
          <option value="sse">SSE (legacy)</option>
        </select>
      </Field>
      {transport === 'stdio' ? (
        <>
          <Field label="Command" error={fieldError('command')}>
            <input name="command" defaultValue={initial?.command ?? ''} placeholder="node" />
          </Field>
          <Field label="Arguments (one per line)" error={fieldError('args')}>
            <textarea name="args" rows={3} defaultValue={(initial?.args ?? []).join('\n')} />
          </Field>
          <Field label="Environment (NAME=value per line)" error={fieldError('env')}>
            <textarea name="env" rows={3} defaultValue={recordToLines(initial?.env, '=')} />
          </Field>
          <label className="check">
            <input type="checkbox" name="envSecret" defaultChecked /> Environment values are secrets (stored encrypted, shown masked)
          </label>
          <Field label="Working directory" error={fieldError('cwd')}>
            <input name="cwd" defaultValue={initial?.cwd ?? ''} />
          </Field>
        </>
      ) : (
        <>
          <Field label="URL" error={fieldError('url')}>
            <input name="url" type="url" defaultValue={initial?.url ?? ''} placeholder="https://example.com/mcp" />
          </Field>
          <Field label="Headers (Name: value per line; values are secrets)" error={fieldError('headers')}>
            <textarea name="headers" rows={3} defaultValue={recordToLines(initial?.headers, ': ')} />
          </Field>
          <label className="check">
            <input type="checkbox" name="headersSecret" defaultChecked={allHeadersSecret(initial)} /> Headers are credentials: never sent on a per-user connection
          </label>
          <Field label="Bearer token" error={fieldError('bearerToken')} hint={initial?.bearerToken ? `Stored: ${initial.bearerToken}. Leave empty to keep it.` : undefined}>
            <input name="bearerToken" type="password" autoComplete="off" />
          </Field>
        </>
      )}
      <Field label="Timeout (ms)" error={fieldError('timeoutMs')}>
        <input name="timeoutMs" type="number" min={1} max={600000} defaultValue={initial?.timeoutMs ?? ''} />
      </Field>
      <ErrorNote error={error} />
      <button type="submit" disabled={busy}>
        {busy ? 'Saving…' : submitLabel}
      </button>
    </form>
  );
};
