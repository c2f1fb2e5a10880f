import type { TestGatehouse } from './gatehouse';

export type EventJson = {
  position: number;
  id: string;
  streamId: string;
  version: number;
  type: string;
  data: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- event data is asserted field by field
  metadata: { actor: string; correlationId: string; causationId: string | null; recordedAt: string };
};

/** The whole log through the REST API, page by page. */
export const allEvents = async (gh: TestGatehouse, query = ''): Promise<EventJson[]> => {
  const events: EventJson[] = [];
  let after = 0;
  for (let page = 0; page < 1000; page += 1) {
    const response = await gh.api('GET', `/api/events?limit=1000&after=${after}${query}`);
    if (response.status !== 200) throw new Error(`GET /api/events: ${response.status} ${JSON.stringify(response.body)}`);
    events.push(...(response.body.events as EventJson[]));
    if (response.body.next === null) return events;
    after = response.body.next as number;
  }
  throw new Error('too many pages');
};

/** The number of stored events, straight from the log table. */
export const eventCount = (gh: TestGatehouse): number =>
  gh.sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM events')?.n ?? 0;

export const headPosition = (gh: TestGatehouse): number =>
  gh.sql.get<{ head: number | null }>('SELECT MAX(position) AS head FROM events')?.head ?? 0;

/** Resolves once the clock has moved past `time`, so the next event is recorded strictly later. */
export const afterClockTick = async (time = new Date().toISOString()): Promise<string> => {
  for (let i = 0; i < 1000 && new Date().toISOString() <= time; i += 1) await new Promise((resolve) => setImmediate(resolve));
  return time;
};
