import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { ApiError, enc, get, send } from '../api';
import { managesConfiguration, useMe } from '../me';
import { Link, navigate } from '../router';
import type { ProfileSummary } from '../types';
import { ErrorNote, Field, Loading } from '../ui';

export const useProfiles = () => useQuery({ queryKey: ['profiles'], queryFn: () => get<{ profiles: ProfileSummary[] }>('/api/profiles') });

/** Every profile the signed-in person may see, with its servers; owners and admins create one. */
export const Profiles = () => {
  const profiles = useProfiles();
  const manages = managesConfiguration(useMe().data);
  const client = useQueryClient();
  const [error, setError] = useState<unknown>(null);
  const create = useMutation({
    mutationFn: (input: { slug: string; name?: string }) => send<ProfileSummary>('POST', '/api/profiles', input),
    onSuccess: (profile) => {
      void client.invalidateQueries({ queryKey: ['profiles'] });
      navigate(`/profiles/${enc(profile.slug)}`);
    },
    onError: setError,
  });
  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const name = String(form.get('name') ?? '').trim();
    setError(null);
    create.mutate({ slug: String(form.get('slug') ?? '').trim(), ...(name ? { name } : {}) });
  };
  const fieldError = (field: string) => (error instanceof ApiError ? error.fieldMessage(field) : undefined);

  return (
    <section aria-labelledby="profiles-title">
      <h1 id="profiles-title">Profiles</h1>
      {manages ? (
        <form className="panel" onSubmit={submit} aria-label="New profile">
          <div className="toolbar">
            <Field label="Slug" error={fieldError('slug')}>
              <input name="slug" required placeholder="dev" />
            </Field>
            <Field label="Display name" error={fieldError('name')}>
              <input name="name" placeholder="Development" />
            </Field>
            <button type="submit" disabled={create.isPending}>
              Create profile
            </button>
          </div>
          <ErrorNote error={error} />
        </form>
      ) : null}
      {profiles.isPending ? <Loading /> : null}
      <ErrorNote error={profiles.error} />
      {profiles.data ? (
        <table>
          <thead>
            <tr>
              <th scope="col">Profile</th>
              <th scope="col">Servers</th>
              <th scope="col">Endpoint</th>
            </tr>
          </thead>
          <tbody>
            {profiles.data.profiles.map((profile) => (
              <tr key={profile.id}>
                <td>
                  <Link href={`/profiles/${enc(profile.slug)}`}>{profile.name}</Link> <span className="muted">{profile.slug}</span>
                </td>
                <td>{profile.servers.map((server) => server.name).join(', ') || <span className="muted">none</span>}</td>
                <td>
                  <code>/mcp/{profile.slug}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
};
