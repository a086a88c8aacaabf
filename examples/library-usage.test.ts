import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyExamples, snapshotFiles } from '../test/support/cli.js';
import { WeightLimitGate, canary, canaryStep } from './library-usage.js';

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

  it('runs a canary with its own gate: promotes within the budget', async () => {
    const dir = copyExamples();
    const result = await canary(dir, [10, 25, 100], new WeightLimitGate(25));
    expect(result).toEqual({
      outcome: 'promoted',
      log: ['step 1: 10%', 'gate: pass (10% is within the budget of 25%)', 'step 2: 25%', 'gate: pass (25% is within the budget of 25%)', 'step 3: 100%', 'promoted'],
    });
  });

  it('runs a canary with its own gate: rolls back over the budget, leaving the files as they were', async () => {
    const dir = copyExamples();
    const before = snapshotFiles(dir);
    const result = await canary(dir, [25, 50, 100], new WeightLimitGate(25));
    expect(result.outcome).toBe('rolled-back');
    expect(result.log.at(-1)).toBe('rolled back from 50%');
    expect(snapshotFiles(dir)).toEqual(before);
  });
});
