import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { headPosition } from '../support/events';
import { startTestGatehouse, TEST_ADMIN_TOKEN, type TestGatehouse } from '../support/gatehouse';
import { connectClient } from '../support/mcp-client';
import { makeTraffic, setUpTrafficProfiles } from '../support/traffic';
import { storageOf } from '../../src/infrastructure/application-storage';

/** `name{labels} value` lines of a Prometheus text exposition, keyed by `name{labels}`. */
const parseMetrics = (text: string): Map<string, number> =>
  new Map(
    text
      .split('\n')
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => {
        const space = line.lastIndexOf(' ');
        return [line.slice(0, space), Number(line.slice(space + 1))] as const;
      }),
  );

describe('/metrics, /healthz and /readyz', () => {
  let gh: TestGatehouse;
  const clients: Client[] = [];

  const scrape = async (): Promise<Map<string, number>> => {
    const response = await fetch(`${gh.url}/metrics`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    return parseMetrics(await response.text());
  };

  beforeAll(async () => {
    gh = await startTestGatehouse();
    const key = await setUpTrafficProfiles(gh);
    for (const slug of ['on', 'off']) {
      const client = await connectClient(gh.url, slug, { key });
      clients.push(client);
      await client.listTools();
      await makeTraffic(client);
    }
    await gh.observability.flush();
  });
  afterAll(async () => {
    await Promise.allSettled(clients.map((client) => client.close()));
    await gh.stop();
  });

  it('needs the admin token', async () => {
    expect((await fetch(`${gh.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${gh.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
  });

  it('counts requests by profile, server, method and outcome, with durations', async () => {
    const metrics = await scrape();
    for (const profile of ['on', 'off']) {
      const requests = (server: string, method: string, outcome: string): number | undefined =>
        metrics.get(`gatehouse_mcp_requests_total{profile="${profile}",server="${server}",method="${method}",outcome="${outcome}"}`);
      expect(requests('', 'initialize', 'ok')).toBe(1);
      expect(requests('', 'tools/list', 'ok')).toBe(1);
      expect(requests('conformance', 'tools/call', 'ok')).toBe(1);
      expect(requests('conformance', 'tools/call', 'error')).toBe(1);
      expect(requests('', 'tools/call', 'error')).toBe(1);
      expect(requests('hung', 'tools/call', 'timeout')).toBe(1);
      expect(metrics.get(`gatehouse_mcp_notifications_total{profile="${profile}",method="notifications/initialized"}`)).toBe(1);
      expect(metrics.get(`gatehouse_mcp_request_duration_seconds_count{profile="${profile}",server="hung",method="tools/call"}`)).toBe(1);
      expect(metrics.get(`gatehouse_mcp_request_duration_seconds_sum{profile="${profile}",server="hung",method="tools/call"}`)).toBeGreaterThanOrEqual(0.29);
      expect(metrics.get(`gatehouse_mcp_sessions_open{profile="${profile}"}`)).toBe(1);
    }
  });

  it('reports upstreams, positions and debug-log rows', async () => {
    const metrics = await scrape();
    expect(metrics.get('gatehouse_upstream_status{server="conformance",status="ready"}')).toBe(1);
    expect(metrics.get('gatehouse_upstream_status{server="hung",status="ready"}')).toBe(1);
    expect(metrics.get('gatehouse_upstream_status{server="conformance",status="unhealthy"}')).toBe(0);
    expect(metrics.get('gatehouse_upstream_processes{server="conformance"}')).toBe(1);
    expect(metrics.get('gatehouse_upstream_processes{server="hung"}')).toBe(1);
    expect(metrics.get('gatehouse_upstream_restarts_total{server="conformance"}')).toBe(0);
    expect(metrics.get('gatehouse_event_log_head_position')).toBe(headPosition(gh));
    const rows = gh.sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM debug_logs')?.n;
    expect(rows).toBeGreaterThan(0);
    expect(metrics.get('gatehouse_debug_log_rows_written_total')).toBe(rows);
    expect(metrics.get('gatehouse_traffic_journal_head_position')).toBe(rows);
    expect(metrics.get('gatehouse_projection_lag{projection="debug_logs"}')).toBe(0);
    expect(metrics.get('gatehouse_projection_lag{projection="configuration"}')).toBe(0);
    expect(metrics.get('gatehouse_debug_log_rows_dropped_total{reason="write_failed"}') ?? 0).toBe(0);
    expect([...metrics.keys()].some((name) => name.startsWith('gatehouse_process_resident_memory_bytes'))).toBe(true);
  });

  it('/healthz answers; /readyz turns 503 with the reason while the database refuses writes', async () => {
    expect((await fetch(`${gh.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${gh.url}/readyz`);
    expect({ status: ready.status, body: await ready.json() }).toEqual({ status: 200, body: { status: 'ready' } });

    // SQLite's own switch: every write on this connection now fails as it would on a read-only file.
    await storageOf(gh.app).database.refuseWrites(true);
    try {
      const notReady = await fetch(`${gh.url}/readyz`);
      expect(notReady.status).toBe(503);
      expect(await notReady.json()).toEqual({ status: 'not_ready', reason: expect.stringContaining('database not writable') });
      expect((await fetch(`${gh.url}/healthz`)).status).toBe(200);

      // Traffic still flows; its debug-log records are dropped and counted, not retried forever.
      await clients[0].callTool({ name: 'conformance__test_simple_text', arguments: {} });
      await gh.observability.flush();
      expect((await scrape()).get('gatehouse_debug_log_rows_dropped_total{reason="write_failed"}')).toBe(1);
    } finally {
      await storageOf(gh.app).database.refuseWrites(false);
    }
    expect((await fetch(`${gh.url}/readyz`)).status).toBe(200);
  });
});
