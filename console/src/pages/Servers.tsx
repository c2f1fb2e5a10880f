import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { enc, get, send } from '../api';
import { Link, navigate } from '../router';
import { managesConfiguration, useMe } from '../me';
import type { Server } from '../types';
import { currentFailure, ErrorNote, Loading, Status } from '../ui';
import { PerUserStatus } from './Credentials';
import { ServerForm, type ServerInput } from './ServerForm';

export const useServers = () => useQuery({ queryKey: ['servers'], queryFn: () => get<{ servers: Server[] }>('/api/servers'), refetchInterval: 10_000 });

/** Every server the signed-in person may see, with its live status; owners and admins add one with the form of its transport. */
export const Servers = () => {
  const servers = useServers();
  const client = useQueryClient();
  const manages = managesConfiguration(useMe().data);
  const [adding, setAdding] = useState(false);
  const create = useMutation({
    mutationFn: (input: ServerInput) => send<Server>('POST', '/api/servers', input),
    onSuccess: (server) => {
      void client.invalidateQueries({ queryKey: ['servers'] });
      setAdding(false);
      navigate(`/servers/${enc(server.name)}`);
    },
  });

  return (
    <section aria-labelledby="servers-title">
      <div className="title-row">
        <h1 id="servers-title">Servers</h1>
        {manages ? (
          <button type="button" onClick={() => setAdding(!adding)} aria-expanded={adding}>
            {adding ? 'Cancel' : 'Add server'}
          </button>
        ) : null}
      </div>
      {manages && adding ? <ServerForm submitLabel="Add server" onSubmit={(input) => create.mutateAsync(input)} /> : null}
      {servers.isPending ? <Loading /> : null}
      <ErrorNote error={servers.error} />
      {servers.data ? (
        servers.data.servers.length === 0 ? (
          <p>No servers yet. Add one, or import a Claude Desktop configuration.</p>
        ) : (
          <table className="servers">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Transport</th>
                <th scope="col">Status</th>
                <th scope="col">Last error</th>
              </tr>
            </thead>
            <tbody>
              {servers.data.servers.map((server) => (
                <tr key={server.id}>
                  <td>
                    <Link href={`/servers/${enc(server.name)}`}>{server.name}</Link>
                    {server.description ? <div className="muted">{server.description}</div> : null}
                  </td>
                  <td>{server.transport}</td>
                  <td>{server.credentials === 'per_user' ? <PerUserStatus server={server.name} /> : <Status value={server.runtime?.status ?? 'idle'} />}</td>
                  <td className="muted">{currentFailure(server.runtime)?.message ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      ) : null}
    </section>
  );
};
