import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { enc, request, send } from '../api';
import { managesConfiguration, useMe } from '../me';
import { Link, navigate } from '../router';
import type { ProfileSummary } from '../types';
import { ErrorNote, Field, Loading, Status } from '../ui';
import { useServers } from './Servers';
import { Snippets } from './Snippets';
import { ToolTable } from './ToolTable';

/**
 * One profile: its servers (attach, pause, detach), its tool table, clone, and how clients connect.
 * A member reads it and connects; changing it is for owners and admins (the API refuses members).
 */
export const ProfileDetail = ({ slug }: { slug: string }) => {
  const client = useQueryClient();
  const manages = managesConfiguration(useMe().data);
  const profile = useQuery({ queryKey: ['profile', slug], queryFn: () => request<ProfileSummary>('GET', `/api/profiles/${enc(slug)}`) });
  const servers = useServers();
  const [attachName, setAttachName] = useState('');
  const [cloneSlug, setCloneSlug] = useState('');
  const refresh = () => void client.invalidateQueries();
  const link = useMutation({
    mutationFn: ({ server, status }: { server: string; status: 'active' | 'inactive' }) => send('PUT', `/api/profiles/${enc(slug)}/servers/${enc(server)}`, { status }),
    onSuccess: refresh,
  });
  const detach = useMutation({ mutationFn: (server: string) => send('DELETE', `/api/profiles/${enc(slug)}/servers/${enc(server)}`), onSuccess: refresh });
  const prefix = useMutation({
    mutationFn: (toolPrefix: string) => send('PATCH', `/api/profiles/${enc(slug)}`, { toolPrefix }, profile.data?.etag),
    onSuccess: refresh,
  });
  const clone = useMutation({
    mutationFn: (target: string) => send<ProfileSummary>('POST', `/api/profiles/${enc(slug)}/clone`, { slug: target }),
    onSuccess: (copy) => {
      refresh();
      navigate(`/profiles/${enc(copy.slug)}`);
    },
  });

  if (profile.isPending) return <Loading />;
  if (profile.error) return <ErrorNote error={profile.error} />;
  const p = profile.data.body;
  const attachable = (servers.data?.servers ?? []).filter((server) => !p.servers.some((linked) => linked.id === server.id));
  return (
    <section aria-labelledby="profile-title">
      <p>
        <Link href="/profiles">← Profiles</Link>
      </p>
      <div className="title-row">
        <h1 id="profile-title">{p.name}</h1>
        <span className="muted">{p.slug}</span>
        {manages ? <Link href={`/history?profile=${enc(p.slug)}`}>History</Link> : null}
      </div>
      {p.description ? <p>{p.description}</p> : null}

      <h2>Servers</h2>
      <ErrorNote error={link.error ?? detach.error} />
      <ul className="tools">
        {p.servers.map((server) => (
          <li key={server.id} className="actions">
            <Link href={`/servers/${enc(server.name)}`}>{server.name}</Link>
            <Status value={server.status} />
            {manages ? (
              <>
                {/* Named for their server: a screen reader's list of buttons otherwise reads "Pause, Detach, Pause, Detach". */}
                <button
                  type="button"
                  aria-label={`${server.status === 'active' ? 'Pause' : 'Resume'} ${server.name}`}
                  onClick={() => link.mutate({ server: server.name, status: server.status === 'active' ? 'inactive' : 'active' })}
                >
                  {server.status === 'active' ? 'Pause' : 'Resume'}
                </button>
                <button type="button" className="danger" aria-label={`Detach ${server.name}`} onClick={() => detach.mutate(server.name)}>
                  Detach
                </button>
              </>
            ) : null}
          </li>
        ))}
      </ul>
      {manages ? (
        <>
          <form
            className="toolbar"
            aria-label="Attach a server"
            onSubmit={(event) => {
              event.preventDefault();
              if (attachName) link.mutate({ server: attachName, status: 'active' });
              setAttachName('');
            }}
          >
            <Field label="Attach server">
              <select value={attachName} onChange={(e) => setAttachName(e.target.value)}>
                <option value="">Choose…</option>
                {attachable.map((server) => (
                  <option key={server.id} value={server.name}>
                    {server.name}
                  </option>
                ))}
              </select>
            </Field>
            <button type="submit" disabled={attachName === ''}>
              Attach
            </button>
          </form>

          <div className="toolbar">
            <Field label="Tool name prefix">
              <select value={p.toolPrefix} onChange={(e) => prefix.mutate(e.target.value)}>
                <option value="always">always (server__tool)</option>
                <option value="on_conflict">on conflict only</option>
                <option value="never">never</option>
              </select>
            </Field>
            <form
              className="toolbar"
              aria-label="Clone profile"
              onSubmit={(event) => {
                event.preventDefault();
                clone.mutate(cloneSlug.trim());
              }}
            >
              <Field label="Clone as (slug)">
                <input value={cloneSlug} onChange={(e) => setCloneSlug(e.target.value)} placeholder={`${p.slug}-copy`} />
              </Field>
              <button type="submit" disabled={cloneSlug.trim() === '' || clone.isPending}>
                Clone
              </button>
            </form>
          </div>
        </>
      ) : (
        <p>
          Tool name prefix: <code>{p.toolPrefix}</code>
        </p>
      )}
      <ErrorNote error={prefix.error ?? clone.error} />

      <ToolTable slug={p.slug} editable={manages} />
      <Snippets slug={p.slug} />
    </section>
  );
};
