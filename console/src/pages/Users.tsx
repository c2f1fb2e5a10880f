import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { ApiError, enc, get, send } from '../api';
import { managesUsers, seesUsers, useMe } from '../me';
import type { User } from '../types';
import { ErrorNote, Field, Loading, RecordTable, Status, when, type Column } from '../ui';

const ROLES = ['owner', 'admin', 'member'] as const;

/** People who sign in: the owner manages them, an admin reads the list (the API refuses everybody else, and so does this page). */
export const Users = () => {
  const me = useMe();
  if (me.isPending) return <Loading />;
  if (!seesUsers(me.data)) {
    return (
      <section aria-labelledby="users-title">
        <h1 id="users-title">Users</h1>
        <p>Only owners and admins see users.</p>
      </section>
    );
  }
  return <UserList manage={managesUsers(me.data)} />;
};

const UserList = ({ manage }: { manage: boolean }) => {
  const client = useQueryClient();
  const users = useQuery({ queryKey: ['users'], queryFn: () => get<{ users: User[] }>('/api/users') });
  const [error, setError] = useState<unknown>(null);
  const [rowError, setRowError] = useState<{ id: string; error: unknown } | null>(null);
  const refresh = () => void client.invalidateQueries({ queryKey: ['users'] });

  const create = useMutation({
    mutationFn: (input: { name: string; role: string; password: string }) => send<User>('POST', '/api/users', input),
    onSuccess: refresh,
    onError: setError,
  });
  /** If-Match with the version shown: a change made elsewhere meanwhile is refused, not overwritten. */
  const update = useMutation({
    mutationFn: ({ user, change }: { user: User; change: Partial<Pick<User, 'role' | 'status'>> }) => send<User>('PATCH', `/api/users/${enc(user.id)}`, change, `"${user.version}"`),
    onMutate: () => setRowError(null),
    // The answer carries the new version: written into the list at once, so a change made right after this one
    // (before the list is read again) sends the version the server now has and is not refused as stale.
    onSuccess: (changed) => {
      client.setQueryData<{ users: User[] }>(['users'], (list) => list && { users: list.users.map((user) => (user.id === changed.id ? changed : user)) });
      refresh();
    },
    onError: (failure, { user }) => {
      setRowError({ id: user.id, error: failure });
      refresh();
    },
  });

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const formElement = event.currentTarget;
    const form = new FormData(formElement);
    setError(null);
    create.mutate(
      { name: String(form.get('name') ?? '').trim(), role: String(form.get('role') ?? 'member'), password: String(form.get('password') ?? '') },
      { onSuccess: () => formElement.reset() },
    );
  };
  const fieldError = (field: string) => (error instanceof ApiError ? error.fieldMessage(field) : undefined);
  const columns: Column<User>[] = [
    { header: 'Name', cell: (user) => user.name },
    {
      header: 'Role',
      cell: (user) =>
        manage ? (
          <select
            aria-label={`Role of ${user.name}`}
            value={user.role}
            disabled={update.isPending}
            onChange={(event) => update.mutate({ user, change: { role: event.target.value as User['role'] } })}
          >
            {ROLES.map((role) => (
              <option key={role}>{role}</option>
            ))}
          </select>
        ) : (
          user.role
        ),
    },
    { header: 'Status', cell: (user) => <Status value={user.status} /> },
    { header: 'Created', cell: (user) => when(user.createdAt) },
  ];
  const actions: Column<User> = {
    header: 'Actions',
    headerHidden: true,
    cell: (user) => (
      <>
        <button
          type="button"
          className={user.status === 'enabled' ? 'danger' : undefined}
          disabled={update.isPending}
          aria-label={`${user.status === 'enabled' ? 'Disable' : 'Enable'} ${user.name}`}
          onClick={() => update.mutate({ user, change: { status: user.status === 'enabled' ? 'disabled' : 'enabled' } })}
        >
          {user.status === 'enabled' ? 'Disable' : 'Enable'}
        </button>
        {rowError?.id === user.id ? <ErrorNote error={rowError.error} /> : null}
      </>
    ),
  };

  return (
    <section aria-labelledby="users-title">
      <h1 id="users-title">Users</h1>
      <p className="muted">Owners manage users; admins manage servers, profiles and keys; members use the profiles shared with them.</p>
      {manage ? (
        <form className="panel" onSubmit={submit} aria-label="New user">
          <div className="toolbar">
            <Field label="User name" error={fieldError('name')}>
              <input name="name" required maxLength={64} autoComplete="off" />
            </Field>
            <Field label="Role" error={fieldError('role')}>
              <select name="role" defaultValue="member">
                {ROLES.map((role) => (
                  <option key={role}>{role}</option>
                ))}
              </select>
            </Field>
            <Field label="Initial password" error={fieldError('password')}>
              <input name="password" type="password" required autoComplete="new-password" />
            </Field>
            <button type="submit" disabled={create.isPending}>
              Create user
            </button>
          </div>
          <ErrorNote error={error} />
        </form>
      ) : (
        <p>Only an owner creates users or changes their role, status or password.</p>
      )}
      <RecordTable
        label="Users"
        columns={manage ? [...columns, actions] : columns}
        rows={users.data?.users}
        loading={users.isPending}
        error={users.error}
        rowKey={(user) => user.id}
        rowAttributes={(user) => ({ 'data-user': user.name })}
        empty="No users yet."
      />
    </section>
  );
};
