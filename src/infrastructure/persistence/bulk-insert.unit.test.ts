import { arrayInsertChunks } from './bulk-insert';

type Row = { id: number; schema: string };

const sizes = (rows: Row[]): number[] => [...arrayInsertChunks(rows, ['id', 'schema'])].map((chunk) => chunk.length);

describe('arrayInsertChunks', () => {
  it('keeps every row, in order, 10,000 rows a chunk at most', () => {
    const rows = Array.from({ length: 25_001 }, (_, id) => ({ id, schema: '{}' }));
    const chunks = [...arrayInsertChunks(rows, ['id', 'schema'])];
    expect(chunks.map((chunk) => chunk.length)).toEqual([10_000, 10_000, 5_001]);
    expect(chunks.flat()).toEqual(rows);
  });

  it('starts a new chunk before its text passes 32 MiB, so no array parameter grows without bound', () => {
    const large = 'x'.repeat(5 * 1024 * 1024);
    expect(sizes(Array.from({ length: 14 }, (_, id) => ({ id, schema: large })))).toEqual([6, 6, 2]);
  });

  it('still takes a single row larger than the limit, alone', () => {
    const huge = 'x'.repeat(40 * 1024 * 1024);
    expect(sizes([{ id: 1, schema: 'a' }, { id: 2, schema: huge }, { id: 3, schema: 'b' }])).toEqual([1, 1, 1]);
  });

  it('gives nothing for no rows', () => {
    expect(sizes([])).toEqual([]);
  });
});
