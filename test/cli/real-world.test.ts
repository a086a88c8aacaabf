/**
 * The built CLI on manifests as platform teams have them (test/fixtures/real-world): Istio's
 * bookinfo sample without namespaces or labels, a gateway VirtualService in istio-system that uses
 * bookinfo's subsets, one VirtualService in front of two services with a hand-written split, and a
 * Flagger-style List in JSON. Every case of issue 6 ("what is wrong today") that shows in manifest
 * mode, each checked afterwards by an analyzer independent of istiops' route model.
 */
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { analyze, loadObjects } from '../support/istio-analyzer.js';
import { runCli, snapshotFiles } from '../support/cli.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/real-world');

function copy(): string {
  const dir = mkdtempSync(join(tmpdir(), 'istiops-real-world-'));
  cpSync(FIXTURES, dir, { recursive: true });
  return dir;
}

type Obj = Record<string, unknown>;
interface Route {
  name?: string;
  match?: Obj[];
  route?: { destination: { host: string; subset?: string }; weight?: number }[];
  mirror?: Obj;
  mirrors?: Obj[];
}

function find(file: string, kind: string, name: string): { spec: { http?: Route[]; subsets?: { name: string }[] } } {
  const text = readFileSync(file, 'utf8');
  const docs = file.endsWith('.json') ? ((JSON.parse(text) as { items: Obj[] }).items) : parseAllDocuments(text).map((d) => d.toJS() as Obj);
  const found = docs.find((d) => d['kind'] === kind && (d['metadata'] as Obj)['name'] === name);
  if (found === undefined) throw new Error(`${kind} ${name} not in ${file}`);
  return found as { spec: { http?: Route[]; subsets?: { name: string }[] } };
}

/** Runs a command and then checks the whole tree with the independent analyzer. */
async function run(dir: string, args: string[], namespace = 'default'): Promise<{ code: number; stdout: string; stderr: string }> {
  const result = await runCli(args.map((a) => (a === '@' ? dir : a)));
  expect(analyze(loadObjects(dir, namespace, { 'bookinfo.yaml': 'bookinfo' })), `after: istiops ${args.join(' ')}`).toEqual([]);
  return result;
}

const bookinfo = (dir: string, namespace = 'bookinfo'): string[] => ['--manifests', join(dir, 'bookinfo.yaml'), '--manifests', join(dir, 'gateway.yaml'), '-n', namespace];
const shop = (dir: string): string[] => ['--manifests', join(dir, 'shop.yaml'), '-n', 'shop'];

describe('real-world manifests (issue 6)', () => {
  it('1. rollback keeps a subset that a gateway VirtualService in istio-system still uses', async () => {
    const dir = copy();
    const res = await run(dir, ['traffic', 'rollback', ...bookinfo(dir), '-p', 'version=v2'], 'bookinfo');
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain('still used by VirtualService istio-system/bookinfo-gateway');
    expect(find(join(dir, 'bookinfo.yaml'), 'DestinationRule', 'reviews').spec.subsets?.map((s) => s.name)).toContain('v2');
    // jason's route led only to v2: it is gone, his requests fall through to v1.
    expect(find(join(dir, 'bookinfo.yaml'), 'VirtualService', 'reviews').spec.http).toHaveLength(1);
  });

  it('2. a header shift on a VirtualService serving two services narrows only the routes of the host', async () => {
    const dir = copy();
    const res = await run(dir, ['traffic', 'shift', ...shop(dir), '-d', 'api:8080', '-b', '9', '-p', 'app=api,build=9', '-H', 'x-tester=me'], 'shop');
    expect(res.code, res.stderr).toBe(0);
    const http = find(join(dir, 'shop.yaml'), 'VirtualService', 'shop').spec.http ?? [];
    expect(http.map((r) => r.name)).toEqual(['web-preview', 'api-9-shop', 'api', 'web']);
    expect(http[1]?.match).toEqual([{ uri: { prefix: '/api' }, headers: { 'x-tester': { exact: 'me' } } }]);
    expect(http[3]?.route?.[0]?.destination.subset).toBe('stable');
  });

  it('3. a weight shift keeps the ratio of a hand-written 50/50 split', async () => {
    const dir = copy();
    const res = await run(dir, ['traffic', 'shift', ...shop(dir), '-d', 'api:8080', '-b', '9', '-p', 'app=api,build=9', '-w', '20'], 'shop');
    expect(res.code, res.stderr).toBe(0);
    const api = find(join(dir, 'shop.yaml'), 'VirtualService', 'shop').spec.http?.find((r) => r.name === 'api');
    expect(api?.route?.map((d) => [d.destination.subset, d.weight])).toEqual([
      ['api-7-shop', 40],
      ['api-8-shop', 40],
      ['api-9-shop', 20],
    ]);
  });

  it('4. rollback of the build that carries most of a route is refused without --force, and nothing is written', async () => {
    const dir = copy();
    expect((await run(dir, ['traffic', 'shift', ...shop(dir), '-d', 'api:8080', '-b', '9', '-p', 'app=api,build=9', '-w', '80'], 'shop')).code).toBe(0);
    const before = snapshotFiles(dir);
    const refused = await run(dir, ['traffic', 'rollback', ...shop(dir), '-b', '9', '-d', 'api:8080'], 'shop');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/carries 80% of route "api".*--force/s);
    expect(snapshotFiles(dir)).toEqual(before);
    const forced = await run(dir, ['traffic', 'rollback', ...shop(dir), '-b', '9', '-d', 'api:8080', '--force'], 'shop');
    expect(forced.code, forced.stderr).toBe(0);
    const api = find(join(dir, 'shop.yaml'), 'VirtualService', 'shop').spec.http?.find((r) => r.name === 'api');
    expect(api?.route?.map((d) => [d.destination.subset, d.weight])).toEqual([
      ['api-7-shop', 50],
      ['api-8-shop', 50],
    ]);
  });

  it('5. a weight shift never appends a catch-all route to a gateway VirtualService with path routes', async () => {
    const dir = copy();
    const before = snapshotFiles(dir);
    const res = await run(dir, ['traffic', 'shift', '--manifests', join(dir, 'gateway.yaml'), '-n', 'istio-system', '-d', 'productpage.bookinfo.svc.cluster.local:9080', '-b', '2', '-p', 'app=productpage,version=v2', '-w', '10'], 'bookinfo');
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^istiops: .*DestinationRule/);
    expect(snapshotFiles(dir)).toEqual(before);

    // With a mesh-wide DestinationRule for productpage in istio-system, the path route gets the weight.
    writeFileSync(
      join(dir, 'gateway.yaml'),
      `${readFileSync(join(dir, 'gateway.yaml'), 'utf8')}---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata: {name: productpage, namespace: istio-system}\nspec:\n  host: productpage.bookinfo.svc.cluster.local\n  subsets:\n  - {name: v1, labels: {version: v1}}\n`,
    );
    const shifted = await run(dir, ['traffic', 'shift', '--manifests', join(dir, 'gateway.yaml'), '-n', 'istio-system', '-d', 'productpage.bookinfo.svc.cluster.local:9080', '-b', '2', '-p', 'app=productpage,version=v2', '-w', '10'], 'bookinfo');
    expect(shifted.code, shifted.stderr).toBe(0);
    const http = find(join(dir, 'gateway.yaml'), 'VirtualService', 'bookinfo-gateway').spec.http ?? [];
    expect(http).toHaveLength(2);
    expect(http[0]?.route?.map((d) => [d.destination.subset, d.weight])).toEqual([
      ['v1', 90],
      ['productpage-2-istio-system', 10],
    ]);
  });

  it('6. a route with one match-everything entry among others is the catch-all, in a JSON List', async () => {
    const dir = copy();
    const res = await run(dir, ['traffic', 'shift', '--manifests', join(dir, 'flagger.json'), '-n', 'test', '-d', 'podinfo:9898', '-b', '2', '-p', 'app=podinfo,build=2', '-w', '10'], 'test');
    expect(res.code, res.stderr).toBe(0);
    const route = find(join(dir, 'flagger.json'), 'VirtualService', 'podinfo').spec.http?.[0];
    expect(route?.route?.map((d) => [d.destination.subset, d.weight])).toEqual([
      ['primary', 72],
      ['canary', 18],
      ['podinfo-2-test', 10],
    ]);
    expect(() => JSON.parse(readFileSync(join(dir, 'flagger.json'), 'utf8')) as unknown).not.toThrow();
  });

  it('7. a host with a dot is taken literally: reviews.bookinfo is not the reviews service', async () => {
    const dir = copy();
    const before = snapshotFiles(dir);
    const res = await run(dir, ['traffic', 'shift', ...bookinfo(dir), '-d', 'reviews.bookinfo:9080', '-b', '4', '-p', 'app=reviews,version=v4', '-w', '10'], 'bookinfo');
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('reviews.bookinfo');
    expect(snapshotFiles(dir)).toEqual(before);
  });

  it("8. readiness goes through the Service's selector: reviews-v2's pod is not behind details subset v2", async () => {
    const dir = copy();
    const res = await run(dir, ['traffic', 'shift', ...bookinfo(dir), '-d', 'details:9080', '-b', '2', '-p', 'version=v2', '-w', '50'], 'bookinfo');
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toMatch(/no ready pods behind subset details-2-bookinfo/);
  });

  it('9. the subset goes into the one DestinationRule without a workloadSelector', async () => {
    const dir = copy();
    const res = await run(dir, ['traffic', 'shift', ...shop(dir), '-d', 'api:8080', '-b', '9', '-p', 'app=api,build=9', '-w', '10'], 'shop');
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('DestinationRule shop/api: add subset api-9-shop');
    expect(res.stdout).not.toContain('api-clients-only');
  });

  it('10. rollback removes the build from a mirrors list and drops the list when it empties', async () => {
    const dir = copy();
    const file = join(dir, 'shop.yaml');
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(
        '    timeout: 3s\n',
        '    timeout: 3s\n    mirrors:\n    - destination: {host: api, port: {number: 8080}, subset: api-9-shop}\n      percentage: {value: 12.5}\n',
      ).replace('  - {name: api-8-shop, labels: {app: api, build: "8"}}\n', '  - {name: api-8-shop, labels: {app: api, build: "8"}}\n  - {name: api-9-shop, labels: {app: api, build: "9"}}\n'),
    );
    const res = await run(dir, ['traffic', 'rollback', ...shop(dir), '-b', '9', '-d', 'api:8080'], 'shop');
    expect(res.code, res.stderr).toBe(0);
    const api = find(file, 'VirtualService', 'shop').spec.http?.find((r) => r.name === 'api');
    expect(api?.mirrors).toBeUndefined();
    expect(find(file, 'DestinationRule', 'api').spec.subsets?.map((s) => s.name)).toEqual(['api-7-shop', 'api-8-shop']);
  });

  it('12. namespace-less documents belong to the -n namespace and -l is optional', async () => {
    const dir = copy();
    const res = await run(dir, ['traffic', 'shift', ...bookinfo(dir), '-d', 'reviews:9080', '-b', '3', '-p', 'app=reviews,version=v3', '-H', 'end-user=qa'], 'bookinfo');
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('DestinationRule bookinfo/reviews: add subset reviews-3-bookinfo');
    const show = await runCli(['traffic', 'show', ...bookinfo(dir), '-o', 'json']);
    expect(show.code, show.stderr).toBe(0);
    const report = JSON.parse(show.stdout) as { virtualServices: { name: string; http: { name: string | null; destinations: { subset: string; readyPods: number | null }[] }[] }[] };
    const reviews = report.virtualServices.find((v) => v.name === 'reviews');
    expect(reviews?.http.map((r) => r.name)).toEqual([null, 'reviews-3-bookinfo', null]);
    expect(reviews?.http[1]?.destinations[0]?.readyPods).toBe(1);
  });
});
