import type { ApiResponse } from './gatehouse';

/** Asserts an RFC 9457 problem with the API's fields; returns the body for further checks. */
export const expectProblem = (response: ApiResponse, status: number, code?: string): ApiResponse['body'] => {
  const summary = { status: response.status, contentType: response.headers.get('content-type'), code: response.body?.code };
  expect(summary).toEqual({ status, contentType: expect.stringContaining('application/problem+json'), code: code ?? expect.any(String) });
  expect(response.body).toEqual(
    expect.objectContaining({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String), code: expect.any(String) }),
  );
  return response.body;
};
