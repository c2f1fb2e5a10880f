import { TEST_ADMIN_TOKEN } from './gatehouse';

export type AdminApiResponse = { status: number; type: string | null; body: any }; // eslint-disable-line @typescript-eslint/no-explicit-any -- test convenience: response bodies are asserted field by field

/** JSON requests to a gateway's REST API with a bearer token, for tests that talk to several instances by URL. */
export const adminApi =
  (token: string = TEST_ADMIN_TOKEN) =>
  async (base: string, method: string, path: string, body?: unknown): Promise<AdminApiResponse> => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, type: response.headers.get('content-type'), body: text === '' ? null : JSON.parse(text) };
  };
