import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { enc, get, send } from '../api';
import { useMe } from '../me';
import type { UserCredentials } from '../types';
import { ConfirmDialog, ErrorNote, Field, RecordTable, Status, when, type Column } from '../ui';

type Setting = { name: string; kind: string };
type EnvRow = { id: number; name: string; value: string };

const columns: Column<Setting>[] = [
  { header: 'Credential', cell: (row) => <code>{row.name}</code> },
  { header: 'Kind', cell: (row) => row.kind },
  { header: 'Value', cell: () => 'set' },
];

const credentialsKey = (server: string) => ['server', server, 'credentials'];

const useOwnCredentials = (server: string, isUser: boolean) =>
  useQuery({ queryKey: credentialsKey(server), queryFn: () => get<UserCredentials>(`/api/servers/${enc(server)}/credentials`), enabled: isUser });

/**
 * A per_user server's status for the signed-in person, in place of a shared connection's (there
 * is none; the server's own OAuth status does not apply): that each user brings their own
 * credentials, and whether this person has set theirs. The admin token is nobody: no such half.
 */
export const PerUserStatus = ({ server }: { server: string }) => {
  const me = useMe();
  const isUser = me.data?.kind === 'user';
  const own = useOwnCredentials(server, isUser);
  return (
    <span className="per-user-status" data-credentials={own.data ? (own.data.configured ? 'set' : 'unset') : undefined}>
      <Status value="per-user credentials" />
      {isUser && own.data ? (
        <>
          {' '}
          <Status value={own.data.configured ? 'yours set' : 'yours not set'} />
        </>
      ) : null}
    </span>
  );
};

/**
 * A per_user server reached with the signed-in person's own bearer token and env values, or their
 * own OAuth grant: which of them are set (the API never answers a value, and this form never shows
 * one back), set them anew (PUT replaces what was set), authorize with OAuth (off to the
 * authorization server), or remove them all. The admin token is nobody: a note instead.
 * OAuth is offered only where it can work (`oauthAvailable`: the upstream is known to do OAuth,
 * see the server's `oauth.available`) or where the person already has a grant to renew; elsewhere
 * the form's bearer token and env values are what applies, and the group says so.
 */
export const Credentials = ({ server, oauthAvailable }: { server: string; oauthAvailable: boolean }) => {
  const client = useQueryClient();
  const me = useMe();
  const isUser = me.data?.kind === 'user';
  const key = credentialsKey(server);
  const current = useOwnCredentials(server, isUser);
  const [rows, setRows] = useState<EnvRow[]>([]);
  const [confirming, setConfirming] = useState(false);
  const done = () => void client.invalidateQueries({ queryKey: key });
  const save = useMutation({
    mutationFn: (input: { bearerToken?: string; env?: Record<string, string> }) => send<UserCredentials>('PUT', `/api/servers/${enc(server)}/credentials`, input),
    onSuccess: done,
  });
  const remove = useMutation({
    mutationFn: () => send<void>('DELETE', `/api/servers/${enc(server)}/credentials`),
    onSuccess: () => {
      setConfirming(false);
      done();
    },
  });

  // The authorization server's page comes next; Gatehouse's callback asks to confirm, then the grant is this person's.
  const authorize = useMutation({
    mutationFn: () => send<{ authorizationUrl: string }>('POST', `/api/servers/${enc(server)}/credentials/oauth/authorize`, {}),
    onSuccess: (started) => window.location.assign(started.authorizationUrl),
  });

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const formElement = event.currentTarget;
    const bearerToken = String(new FormData(formElement).get('bearerToken') ?? '');
    const named = rows.filter((row) => row.name.trim() !== '');
    save.mutate(
      {
        ...(bearerToken ? { bearerToken } : {}),
        ...(named.length > 0 ? { env: Object.fromEntries(named.map((row) => [row.name.trim(), row.value])) } : {}),
      },
      {
        onSuccess: () => {
          formElement.reset();
          setRows([]);
        },
      },
    );
  };
  const change = (id: number, field: 'name' | 'value', value: string) => setRows(rows.map((row) => (row.id === id ? { ...row, [field]: value } : row)));

  if (!me.data) return null;
  if (!isUser) {
    return (
      <section aria-labelledby="credentials-title">
        <h2 id="credentials-title">Your credentials</h2>
        <p className="muted">This server is reached with each user's own credentials. The admin token is no user: sign in as a person to set yours.</p>
      </section>
    );
  }
  const set = current.data;
  const settings: Setting[] | undefined = set && [
    ...(set.bearerToken ? [{ name: 'bearer token', kind: 'Authorization header' }] : []),
    ...set.env.map((name) => ({ name, kind: 'environment variable' })),
  ];
  return (
    <section aria-labelledby="credentials-title">
      <h2 id="credentials-title">Your credentials</h2>
      <p className="muted">
        This server is reached with your own credentials. They are sealed and never shown again.
        {set?.updatedAt ? ` Last set ${when(set.updatedAt)}.` : ''}
      </p>
      <p data-bearer={set?.bearerToken ? 'set' : 'unset'}>bearer token: {set ? (set.bearerToken ? 'set' : 'not set') : '…'}</p>
      <div role="group" aria-label="Your OAuth grant" data-oauth={set ? (set.oauth ? 'granted' : 'none') : undefined}>
        <p>
          OAuth grant: {set ? (set.oauth ? `yours, granted ${when(set.oauth.grantedAt)}${set.oauth.refreshable ? ', renewed as it expires' : ''}` : 'none') : '…'}
        </p>
        {set?.lastRefreshError ? (
          <p role="status" data-refresh="failed">
            Last refresh failed {when(set.lastRefreshError.at)}: {set.lastRefreshError.message}
          </p>
        ) : null}
        {oauthAvailable || set?.oauth ? (
          <div className="actions">
            <button type="button" onClick={() => authorize.mutate()} disabled={authorize.isPending}>
              {set?.oauth ? 'Authorize again with OAuth' : 'Authorize with OAuth'}
            </button>
          </div>
        ) : (
          <p className="hint" data-oauth-unavailable="">
            This server's upstream does not offer OAuth: set your bearer token or environment variables below.
          </p>
        )}
        <ErrorNote error={authorize.error} />
      </div>
      <RecordTable
        label="Your credentials"
        columns={columns}
        rows={settings}
        loading={current.isPending}
        error={current.error}
        rowKey={(row) => `${row.kind}:${row.name}`}
        rowAttributes={(row) => ({ 'data-credential': row.name })}
        empty="None set: your calls to this server's tools are refused until you set them."
      />
      {set?.configured ? (
        <div className="actions">
          <button type="button" className="danger" onClick={() => setConfirming(true)}>
            Remove my credentials
          </button>
        </div>
      ) : null}
      {confirming ? (
        <ConfirmDialog
          title={`Remove your credentials for ${server}?`}
          action="Remove"
          danger
          disabled={remove.isPending}
          error={remove.error}
          onConfirm={() => remove.mutate()}
          onCancel={() => setConfirming(false)}
        >
          <p>Your calls to this server's tools are refused until you set them again.</p>
        </ConfirmDialog>
      ) : null}
      <form className="panel" onSubmit={submit} aria-label="Set your credentials">
        <p className="hint">Saving replaces everything set before.</p>
        <Field label="Bearer token">
          <input name="bearerToken" type="password" autoComplete="off" />
        </Field>
        <fieldset>
          <legend>Environment variables</legend>
          {rows.map((row, index) => (
            <div className="actions" key={row.id}>
              <input aria-label={`Name of variable ${index + 1}`} value={row.name} onChange={(e) => change(row.id, 'name', e.target.value)} placeholder="API_TOKEN" />
              <input aria-label={`Value of variable ${index + 1}`} type="password" autoComplete="off" value={row.value} onChange={(e) => change(row.id, 'value', e.target.value)} />
              <button type="button" onClick={() => setRows(rows.filter((other) => other.id !== row.id))} aria-label={`Drop variable ${index + 1}`}>
                Drop
              </button>
            </div>
          ))}
          <button type="button" onClick={() => setRows([...rows, { id: Date.now() + rows.length, name: '', value: '' }])}>
            Add variable
          </button>
        </fieldset>
        <button type="submit" className="primary" disabled={save.isPending}>
          Save credentials
        </button>
        <ErrorNote error={save.error} />
      </form>
    </section>
  );
};
