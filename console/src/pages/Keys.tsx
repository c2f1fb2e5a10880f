import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { ApiError, enc, get, send } from '../api';
import { managesUsers, mayUseEveryProfile, useMe } from '../me';
import type { ApiKey, User } from '../types';
import { ConfirmDialog, CopyButton, ErrorNote, Field, RecordTable, Status, when, type Column } from '../ui';
import { useProfiles } from './Profiles';

/**
 * API keys: the list (members see their own), issue one (its secret is shown once, here, and is
 * kept nowhere but this component's state), revoke with a confirmation.
 */
export const Keys = () => {
  const client = useQueryClient();
  const me = useMe();
  // A key's use is no event (nothing on the events stream tells of it): looked at again every minute.
  const keys = useQuery({ queryKey: ['keys'], queryFn: () => get<{ keys: ApiKey[] }>('/api/keys'), refetchInterval: 60_000 });
  const profiles = useProfiles();
  const users = useQuery({ queryKey: ['users'], queryFn: () => get<{ users: User[] }>('/api/users'), enabled: managesUsers(me.data) });
  const [created, setCreated] = useState<(ApiKey & { key: string }) | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [revoking, setRevoking] = useState<ApiKey | null>(null);

  const create = useMutation({
    mutationFn: (input: { name: string; profiles: string[]; expiresAt?: string }) => send<ApiKey & { key: string }>('POST', '/api/keys', input),
    onSuccess: (answer) => {
      setCreated(answer);
      void client.invalidateQueries({ queryKey: ['keys'] });
    },
    onError: setError,
  });
  const revoke = useMutation({
    mutationFn: (key: ApiKey) => send<void>('DELETE', `/api/keys/${enc(key.id)}`),
    onSuccess: () => {
      setRevoking(null);
      void client.invalidateQueries({ queryKey: ['keys'] });
    },
  });

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    const expires = String(form.get('expires') ?? '');
    setError(null);
    setCreated(null);
    create.mutate({
      name: String(form.get('name') ?? '').trim(),
      profiles: form.getAll('profiles').map(String),
      ...(expires ? { expiresAt: new Date(expires).toISOString() } : {}),
    }, { onSuccess: () => formElement.reset() });
  };
  const fieldError = (field: string) => (error instanceof ApiError ? error.fieldMessage(field) : undefined);
  const ownerName = (ownerId: string | null): string => {
    if (ownerId === null) return 'admin token';
    if (me.data?.kind === 'user' && me.data.id === ownerId) return `${me.data.name} (you)`;
    return users.data?.users.find((user) => user.id === ownerId)?.name ?? ownerId;
  };
  const columns: Column<ApiKey>[] = [
    { header: 'Name', cell: (key) => key.name },
    { header: 'Key', cell: (key) => <code>{key.prefix}…</code> },
    { header: 'Owner', cell: (key) => ownerName(key.ownerId) },
    { header: 'Profiles', cell: (key) => key.profiles.join(', ') },
    {
      header: 'Status',
      cell: (key) => (
        <>
          <Status value={key.status} /> {key.revokedAt ? <span className="muted">{when(key.revokedAt)}</span> : null}
        </>
      ),
    },
    { header: 'Created', cell: (key) => when(key.createdAt) },
    { header: 'Last used', cell: (key) => (key.lastUsedAt ? when(key.lastUsedAt) : <span className="muted">never</span>) },
    { header: 'Expires', cell: (key) => (key.expiresAt ? when(key.expiresAt) : <span className="muted">never</span>) },
    {
      header: 'Actions',
      headerHidden: true,
      cell: (key) =>
        key.status === 'active' ? (
          <button type="button" className="danger" onClick={() => setRevoking(key)} aria-label={`Revoke ${key.name}`}>
            Revoke
          </button>
        ) : null,
    },
  ];

  return (
    <section aria-labelledby="keys-title">
      <h1 id="keys-title">API keys</h1>
      <p className="muted">A key opens the MCP endpoints of the profiles it names. Only its hash is stored: the key is shown once, when it is created.</p>
      <form className="panel" onSubmit={submit} aria-label="New API key">
        <Field label="Key name" error={fieldError('name')}>
          <input name="name" required maxLength={128} placeholder="laptop" />
        </Field>
        <fieldset>
          <legend>Profiles it opens</legend>
          {mayUseEveryProfile(me.data) ? (
            <label className="check">
              <input type="checkbox" name="profiles" value="*" /> Every profile (*), including ones created later
            </label>
          ) : null}
          {(profiles.data?.profiles ?? []).map((profile) => (
            <label className="check" key={profile.id}>
              <input type="checkbox" name="profiles" value={profile.slug} /> {profile.slug}
            </label>
          ))}
          {fieldError('profiles') ? <span className="field-error" role="alert">{fieldError('profiles')}</span> : null}
        </fieldset>
        <Field label="Expires (optional)" error={fieldError('expiresAt')}>
          <input name="expires" type="datetime-local" />
        </Field>
        <button type="submit" disabled={create.isPending}>
          Create key
        </button>
        <ErrorNote error={error} />
      </form>

      {created ? (
        <div className="panel" role="region" aria-label="New key">
          <h2>Key "{created.name}" created</h2>
          <p>
            <strong>Copy it now: it will not be shown again.</strong> Use it as <code>Authorization: Bearer …</code> on{' '}
            {created.profiles.map((slug) => `/mcp/${slug}`).join(', ')}.
          </p>
          <div className="actions">
            <code className="secret" aria-label="The new key">{created.key}</code>
            <CopyButton text={created.key} label="Copy key" />
            <button type="button" onClick={() => setCreated(null)}>
              Done
            </button>
          </div>
        </div>
      ) : null}

      {revoking ? (
        <ConfirmDialog
          title={`Revoke key "${revoking.name}"?`}
          action="Revoke"
          danger
          disabled={revoke.isPending}
          error={revoke.error}
          onConfirm={() => revoke.mutate(revoking)}
          onCancel={() => setRevoking(null)}
        >
          <p>Clients using it are refused from now on. A revoked key cannot be brought back.</p>
        </ConfirmDialog>
      ) : null}

      <RecordTable
        label="API keys"
        columns={columns}
        rows={keys.data?.keys}
        loading={keys.isPending}
        error={keys.error}
        rowKey={(key) => key.id}
        rowAttributes={(key) => ({ 'data-key': key.id })}
        empty="No keys yet."
      />
    </section>
  );
};
