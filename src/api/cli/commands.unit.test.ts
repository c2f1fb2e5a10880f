import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { usage } from './commands';

describe('gatehouse help', () => {
  // The list of settings people read first: it must name every variable the configuration reads.
  it('names every GATEHOUSE_* variable that the configuration reads', () => {
    const source = readFileSync(join(__dirname, '../../infrastructure/config/config.ts'), 'utf8');
    const variables = [...new Set(source.match(/GATEHOUSE_[A-Z_]+/g))].sort();
    expect(variables.length).toBeGreaterThan(10);
    expect(variables.filter((variable) => !new RegExp(`\\b${variable}\\b`).test(usage()))).toEqual([]);
  });
});
