import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyExamples } from '../test/support/cli.js';
import { canaryStep } from './library-usage.js';

describe('the library example program', () => {
  it('shifts 10% then 50% of api-domain to build 2 through the public API', async () => {
    const dir = copyExamples();
    const first = await canaryStep(dir, 10);
    expect(first.weights).toEqual(['api-domain-1-default=90%', 'api-domain-2-default=10%']);
    expect(first.changes.some((c) => c.includes('add subset api-domain-2-default'))).toBe(true);
    const second = await canaryStep(dir, 50);
    expect(second.weights).toEqual(['api-domain-1-default=50%', 'api-domain-2-default=50%']);
    expect(readFileSync(join(dir, 'api-domain/api-domain.yaml'), 'utf8')).toContain('# The catch-all ("master") route');
    const again = await canaryStep(dir, 50);
    expect(again.changes).toEqual([]);
  });
});
