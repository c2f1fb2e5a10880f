import { Client } from 'pg';

const RETRY_MS = 1_000;

export type KeptConnection = Readonly<{
  /** Names the connection in pg_stat_activity. */
  applicationName?: string;
  /** Runs on every new connection once it is open (LISTEN, a lock taken for the connection's life). */
  setUp: (client: Client) => Promise<unknown>;
  /** Called for every NOTIFY this connection receives, with its payload. */
  onNotification?: (payload: string) => void;
}>;

/**
 * A PostgreSQL connection of its own, kept open: a lost connection (the database restarted) is
 * opened and set up again after a second, for as long as the returned function has not been
 * called. Errors go to onError; none is thrown after the first connection is up.
 */
export const keepConnection = async (url: string, kept: KeptConnection, onError: (error: unknown) => void): Promise<() => Promise<void>> => {
  let client: Client | null = null;
  let stopped = false;
  let retry: NodeJS.Timeout | null = null;
  const open = async (): Promise<void> => {
    const next = new Client({ connectionString: url, application_name: kept.applicationName });
    const { onNotification } = kept;
    if (onNotification !== undefined) next.on('notification', (message) => onNotification(message.payload ?? ''));
    next.on('error', (error) => {
      onError(error);
      lost(next);
    });
    next.on('end', () => lost(next));
    client = next;
    await next.connect();
    await kept.setUp(next);
    if (stopped) await next.end();
  };
  const lost = (gone: Client): void => {
    if (stopped || client !== gone || retry !== null) return;
    client = null;
    retry = setTimeout(() => {
      retry = null;
      open().catch((error: unknown) => {
        onError(error);
        if (client !== null) lost(client);
      });
    }, RETRY_MS);
    retry.unref();
  };
  await open();
  return async () => {
    stopped = true;
    if (retry !== null) clearTimeout(retry);
    const current = client as Client | null;
    client = null;
    // Dropped on purpose (closing, or replaced after an error): its own end may fail too.
    await current?.end().catch(() => undefined);
  };
};
