/**
 * The cold path (issue 10): the built CLI keeps client-node only for the kubeconfig; its generated
 * API clients (a 14.5 MB chunk, half of a cold `show`) must not be in the bundle at all.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';

describe('the CLI bundle', () => {
  const files = [join(ROOT, 'dist/cli.js'), ...readdirSync(join(ROOT, 'dist/cli-chunks')).map((f) => join(ROOT, 'dist/cli-chunks', f))];

  it("holds none of client-node's generated API clients", () => {
    const withApi = files.filter((f) => /class (Object)?CoreV1Api\b|CustomObjectsApi/.test(readFileSync(f, 'utf8')));
    expect(withApi).toEqual([]);
  });

  it('has no chunk near the size of the generated API (14.5 MB)', () => {
    const largest = Math.max(...files.map((f) => statSync(f).size));
    expect(largest).toBeLessThan(4 * 1024 * 1024);
  });
});
