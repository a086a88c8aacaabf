/**
 * The cold path (issue 10): the built CLI keeps client-node only for the kubeconfig; its generated
 * API clients (a 14.5 MB chunk, half of a cold `show`) must not be in the bundle at all, and what the
 * kubeconfig module needs only for rare kubeconfigs lives apart in dist/deferred, loaded on first use.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';

const deferred = join(ROOT, 'dist/deferred');

describe('the CLI bundle', () => {
  const files = [join(ROOT, 'dist/cli.cjs'), ...readdirSync(deferred).map((f) => join(deferred, f))];

  it("holds none of client-node's generated API clients", () => {
    const withApi = files.filter((f) => /class (Object)?CoreV1Api\b|CustomObjectsApi/.test(readFileSync(f, 'utf8')));
    expect(withApi).toEqual([]);
  });

  it('has no file near the size of the generated API (14.5 MB)', () => {
    const largest = Math.max(...files.map((f) => statSync(f).size));
    expect(largest).toBeLessThan(4 * 1024 * 1024);
  });

  it.each([
    { module: 'node-fetch', marker: 'FetchError' },
    { module: 'socks-proxy-agent', marker: 'SocksClient' },
    { module: 'openid-client', marker: 'authorizationCodeGrant' },
    { module: 'jsonpath-plus', marker: 'JSONPath.cache' },
  ])('keeps $module out of dist/cli.cjs, in its own file in dist/deferred', ({ module, marker }) => {
    expect(readFileSync(join(deferred, `${module}.cjs`), 'utf8')).toContain(marker);
    expect(readFileSync(join(ROOT, 'dist/cli.cjs'), 'utf8').includes(marker)).toBe(false);
  });
});
