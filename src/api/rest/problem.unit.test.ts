import { DatabaseBusyError } from '../../infrastructure/persistence/database-errors';
import { toProblem } from './problem';

describe('toProblem', () => {
  it('answers a full write queue with 503 BUSY and Retry-After, never a 500', () => {
    const { body, headers } = toProblem(new DatabaseBusyError(1024));
    expect(body).toMatchObject({ status: 503, code: 'BUSY', detail: '1024 writes are already waiting; retry shortly' });
    expect(headers).toEqual({ 'Retry-After': '1' });
  });

  it('hides what an unexpected error says', () => {
    const { body } = toProblem(new Error('SQLITE_IOERR at /secret/path'));
    expect(body.status).toBe(500);
    expect(JSON.stringify(body)).not.toContain('/secret/path');
  });
});
