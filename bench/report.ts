/** What the benchmarks share: the admin token they start the gateway with, its REST API, and their tables. */
export const BENCH_ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';

export const mark = (pass: boolean): string => (pass ? 'pass' : '**miss**');
export const ms = (value: number): string => `${value.toFixed(value < 10 ? 2 : 1)} ms`;

export const table = (header: string[], rows: string[][]): string =>
  [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');

/** One admin request to the gateway at `base`; anything but a 2xx throws with the answer. */
export const api = async (base: string, method: string, path: string, body?: unknown, timeoutMs = 10_000): Promise<{ id?: string } & Record<string, unknown>> => {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${BENCH_ADMIN_TOKEN}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
};
