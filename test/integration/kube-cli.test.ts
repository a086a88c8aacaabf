import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { apiDomain, startCluster, type Cluster } from '../support/cluster.js';
import type { RequestLogEntry } from '../kube-api-server/index.js';

interface VS {
  apiVersion: string;
  metadata: { resourceVersion: string; annotations?: Record<string, string> };
  spec: { http: { name?: string; match?: unknown[]; route: { destination: { subset?: string }; weight?: number }[]; retries?: unknown }[]; tcp?: unknown[] };
}
interface DR {
  spec: { subsets: { name: string; labels: Record<string, string> }[]; trafficPolicy?: unknown };
}

const build2 = ['-l', 'app=api-domain', '-d', 'api-domain:5000', '-b', '2', '-p', 'app=api-domain,build=2'];
const kubectlAvailable = await promisify(execFile)('kubectl', ['version', '--client'])
  .then(() => true)
  .catch(() => false);

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.server.close();
  cluster = undefined;
});

const verbs = (log: RequestLogEntry[]): string[] => log.map((r) => `${r.verb} ${r.resource ?? r.path}${r.dryRun ? ' dryRun' : ''}`);
/** Requests of one command: the reads (sent in parallel after discovery, so sorted) and the writes in order. */
const summary = (log: RequestLogEntry[]): { reads: string[]; writes: string[] } => ({
  reads: verbs(log.filter((r) => r.method === 'GET')).sort(),
  writes: verbs(log.filter((r) => r.method !== 'GET')),
});
const vsOf = (c: Cluster, ns = 'default'): VS => c.server.getObject('virtualservices', ns, 'api-domain') as unknown as VS;
const drOf = (c: Cluster, ns = 'default'): DR => c.server.getObject('destinationrules', ns, 'api-domain') as unknown as DR;

describe('istiops against the Kubernetes API over TLS', () => {
  it('header shift: the four lists, DestinationRule written before the VirtualService, nothing else', async () => {
    cluster = await startCluster(apiDomain());
    const res = await cluster.cli(['traffic', 'shift', ...build2, '-H', 'x-cid=seu_madruga']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('add subset api-domain-2-default');
    const requests = cluster.server.requests();
    expect(summary(requests)).toEqual({
      reads: ['list destinationrules', 'list pods', 'list services', 'list virtualservices'],
      writes: ['update destinationrules', 'update virtualservices'],
    });
    const vs = vsOf(cluster);
    expect(vs.spec.http[0]).toMatchObject({ name: 'api-domain-2-default', match: [{ headers: { 'x-cid': { exact: 'seu_madruga' } } }] });
    expect(vs.spec.http[1]?.retries).toEqual({ attempts: 3, perTryTimeout: '2s' });
    expect(vs.spec.tcp).toHaveLength(1);
    expect(vs.metadata.annotations).toEqual({ 'owner.example.com/team': 'payments' });
    expect(drOf(cluster).spec.subsets.map((s) => s.name)).toEqual(['api-domain-1-default', 'api-domain-2-default']);
    expect(drOf(cluster).spec.trafficPolicy).toBeDefined();

    cluster.server.clearLog();
    const again = await cluster.cli(['traffic', 'shift', ...build2, '-H', 'x-cid=seu_madruga']);
    expect(again.stdout).toBe('no changes\n');
    expect(cluster.server.requests().filter((r) => r.verb === 'update')).toHaveLength(0);
  });

  it('weight shift lists only the pods of the build, and promotion at 100 leaves the subset alone', async () => {
    cluster = await startCluster(apiDomain());
    const res = await cluster.cli(['traffic', 'shift', ...build2, '-w', '20']);
    expect(res.code, res.stderr).toBe(0);
    const log = cluster.server.requests();
    expect(summary(log)).toEqual({
      reads: ['list destinationrules', 'list pods', 'list services', 'list virtualservices'],
      writes: ['update destinationrules', 'update virtualservices'],
    });
    expect(log.find((r) => r.resource === 'pods')?.query['labelSelector']).toBe('app=api-domain,build=2');
    expect(log.find((r) => r.resource === 'virtualservices')?.query['labelSelector']).toBe('app=api-domain');
    expect(vsOf(cluster).spec.http[0]?.route.map((d) => [d.destination.subset, d.weight])).toEqual([
      ['api-domain-1-default', 80],
      ['api-domain-2-default', 20],
    ]);
    expect((await cluster.cli(['traffic', 'shift', ...build2, '-w', '100'])).code).toBe(0);
    expect(vsOf(cluster).spec.http[0]?.route.map((d) => [d.destination.subset, d.weight])).toEqual([['api-domain-2-default', 100]]);
  });

  it('waits --propagation-wait between adding a subset and using it', async () => {
    cluster = await startCluster(apiDomain());
    const started = Date.now();
    const res = await cluster.cli(['traffic', 'shift', ...build2, '-w', '10', '--propagation-wait', '1500ms']);
    expect(res.code, res.stderr).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    expect(res.stderr).toContain('--propagation-wait');
  });

  it('refuses a weight shift to a build with no ready pods unless --force', async () => {
    cluster = await startCluster(apiDomain());
    const build3 = ['-l', 'app=api-domain', '-d', 'api-domain:5000', '-b', '3', '-p', 'app=api-domain,build=3', '-w', '10'];
    const refused = await cluster.cli(['traffic', 'shift', ...build3]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('no ready pods');
    expect(cluster.server.requests().filter((r) => r.verb === 'update')).toHaveLength(0);
    const forced = await cluster.cli(['traffic', 'shift', ...build3, '--force']);
    expect(forced.code, forced.stderr).toBe(0);
  });

  it('rollback restores 100% primary, then removes the subset, VirtualService first', async () => {
    cluster = await startCluster(apiDomain());
    expect((await cluster.cli(['traffic', 'shift', ...build2, '-w', '30'])).code).toBe(0);
    cluster.server.clearLog();
    const res = await cluster.cli(['traffic', 'rollback', '-l', 'app=api-domain', '-p', 'app=api-domain,build=2']);
    expect(res.code, res.stderr).toBe(0);
    expect(verbs(cluster.server.requests()).filter((v) => v.startsWith('update'))).toEqual(['update virtualservices', 'update destinationrules']);
    expect(vsOf(cluster).spec.http[0]?.route.map((d) => [d.destination.subset, d.weight])).toEqual([['api-domain-1-default', 100]]);
    expect(drOf(cluster).spec.subsets.map((s) => s.name)).toEqual(['api-domain-1-default']);
  });

  it('soft clear removes routes to builds whose pods are not ready; hard clear keeps only the catch-all', async () => {
    cluster = await startCluster(apiDomain());
    const build3 = ['-l', 'app=api-domain', '-d', 'api-domain:5000', '-b', '3', '-p', 'app=api-domain,build=3'];
    expect((await cluster.cli(['traffic', 'shift', ...build3, '-H', 'x-b=3'])).code).toBe(0);
    expect((await cluster.cli(['traffic', 'shift', ...build2, '-H', 'x-b=2'])).code).toBe(0);
    const soft = await cluster.cli(['traffic', 'clear', '-l', 'app=api-domain']);
    expect(soft.code, soft.stderr).toBe(0);
    expect(soft.stdout).toContain('remove route "api-domain-3-default"');
    expect(vsOf(cluster).spec.http.map((r) => r.name ?? 'catch-all')).toEqual(['api-domain-2-default', 'catch-all']);
    expect(drOf(cluster).spec.subsets.map((s) => s.name)).toEqual(['api-domain-1-default', 'api-domain-2-default']);
    const hard = await cluster.cli(['traffic', 'clear', '-l', 'app=api-domain', '-m', 'hard']);
    expect(hard.code, hard.stderr).toBe(0);
    expect(vsOf(cluster).spec.http).toHaveLength(1);
    expect(drOf(cluster).spec.subsets.map((s) => s.name)).toEqual(['api-domain-1-default']);
  });

  it('show costs the VirtualService, DestinationRule, Service and pod lists, and prints ready pods', async () => {
    cluster = await startCluster(apiDomain());
    const res = await cluster.cli(['traffic', 'show', '-l', 'app=api-domain', '-o', 'json']);
    expect(res.code, res.stderr).toBe(0);
    expect(summary(cluster.server.requests())).toEqual({ reads: ['list destinationrules', 'list pods', 'list services', 'list virtualservices'], writes: [] });
    const report = JSON.parse(res.stdout) as { virtualServices: { http: { destinations: { readyPods: number }[] }[] }[] };
    expect(report.virtualServices[0]?.http[0]?.destinations[0]?.readyPods).toBe(1);
  });

  it('--dry-run=server sends the writes with dryRun=All and stores nothing; --dry-run sends no write', async () => {
    cluster = await startCluster(apiDomain());
    const rv = vsOf(cluster).metadata.resourceVersion;
    const server = await cluster.cli(['traffic', 'shift', ...build2, '-w', '10', '--dry-run=server']);
    expect(server.code, server.stderr).toBe(0);
    const updates = cluster.server.requests().filter((r) => r.verb === 'update');
    expect(updates.map((r) => r.dryRun)).toEqual([true, true]);
    expect(vsOf(cluster).metadata.resourceVersion).toBe(rv);
    cluster.server.clearLog();
    const client = await cluster.cli(['traffic', 'shift', ...build2, '-w', '10', '--dry-run']);
    expect(client.code, client.stderr).toBe(0);
    expect(client.stdout).toContain('+++ b/VirtualService/default/api-domain');
    expect(cluster.server.requests().filter((r) => r.verb === 'update')).toHaveLength(0);
  });

  it('uses --context and the context namespace, and $KUBECONFIG lists merged like kubectl', async () => {
    cluster = await startCluster(apiDomain('team-a'));
    const contexts = cluster.kubeconfigWith({ contexts: [{ name: 'other', namespace: 'default' }, { name: 'team', namespace: 'team-a' }] });
    const res = await cluster.cli(['traffic', 'show', '-l', 'app=api-domain', '--kubeconfig', contexts, '--context', 'team']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('VirtualService team-a/api-domain');
    const empty = await cluster.cli(['traffic', 'show', '-l', 'app=api-domain', '--kubeconfig', contexts]);
    expect(empty.stdout).toContain('no VirtualService in namespace default');
    const missing = await cluster.cli(['traffic', 'show', '-l', 'app=api-domain', '--kubeconfig', contexts, '--context', 'nope']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--context "nope"');
    const second = cluster.kubeconfigWith({ contexts: [{ name: 'team-b', namespace: 'team-a' }] });
    const viaEnv = await cluster.cli(['traffic', 'shift', ...build2.map((a) => a.replace('-default', '')), '-H', 'x=1', '--context', 'team-b'], {
      env: { KUBECONFIG: `${join(cluster.dir, 'missing')}:${contexts}:${second}` },
    });
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    expect((cluster.server.getObject('destinationrules', 'team-a', 'api-domain') as unknown as DR | undefined)?.spec.subsets.map((s) => s.name)).toContain('api-domain-2-team-a');
  });

  it('falls back to v1beta1 when v1 is not served, and writes in the version read', async () => {
    cluster = await startCluster(apiDomain('default', 'v1beta1'), { servedVersions: ['v1beta1', 'v1alpha3'] });
    const res = await cluster.cli(['traffic', 'shift', ...build2, '-w', '10']);
    expect(res.code, res.stderr).toBe(0);
    const paths = cluster.server.requests().filter((r) => r.verb === 'update').map((r) => r.path);
    expect(paths.every((p) => p.startsWith('/apis/networking.istio.io/v1beta1/'))).toBe(true);
    cluster.server.setServedVersions([]);
    const none = await cluster.cli(['traffic', 'show', '-l', 'app=api-domain']);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('networking.istio.io');
  });

  it.skipIf(!kubectlAvailable)('kubectl reads back what istiops wrote', async () => {
    cluster = await startCluster(apiDomain());
    expect((await cluster.cli(['traffic', 'shift', ...build2, '-w', '25'])).code).toBe(0);
    const cache = mkdtempSync(join(tmpdir(), 'kubectl-cache-'));
    const { stdout } = await promisify(execFile)('kubectl', ['--kubeconfig', cluster.kubeconfig, '--cache-dir', cache, 'get', 'virtualservices', '-n', 'default', '-o', 'json'], {
      env: { PATH: process.env['PATH'], HOME: cache },
    });
    const list = JSON.parse(stdout) as { items: VS[] };
    expect(list.items[0]?.spec.http[0]?.route.map((d) => d.weight)).toEqual([75, 25]);
    const dr = await promisify(execFile)('kubectl', ['--kubeconfig', cluster.kubeconfig, '--cache-dir', cache, 'get', 'dr', 'api-domain', '-o', 'json'], {
      env: { PATH: process.env['PATH'], HOME: cache },
    });
    expect((JSON.parse(dr.stdout) as DR).spec.subsets.map((s) => s.name)).toEqual(['api-domain-1-default', 'api-domain-2-default']);
  });

  it('a wrong token gives one line "Unauthorized" and exit 1, without the token', async () => {
    cluster = await startCluster(apiDomain());
    const bad = cluster.kubeconfigWith({ token: 'not-the-token-0123456789' });
    const res = await cluster.cli(['traffic', 'show', '-l', 'app=api-domain', '--kubeconfig', bad]);
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toContain('Unauthorized');
    expect(res.stderr + res.stdout).not.toContain('not-the-token');
    expect(res.stderr + res.stdout).not.toContain(cluster.server.token);
  });

  it('an unreachable server fails fast with a clear message', async () => {
    cluster = await startCluster(apiDomain());
    const unreachable = cluster.kubeconfigWith({ server: 'unreachable' });
    const started = Date.now();
    const res = await cluster.cli(['traffic', 'show', '-l', 'app=api-domain', '--kubeconfig', unreachable, '--request-timeout', '2s']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/cannot reach the API server at https:\/\/127\.0\.0\.1:\d+/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('a server slower than --request-timeout fails within about that timeout', async () => {
    cluster = await startCluster(apiDomain());
    cluster.server.faults.latencyMs = 5_000;
    const started = Date.now();
    const res = await cluster.cli(['traffic', 'show', '-l', 'app=api-domain', '--request-timeout', '1s']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('--request-timeout');
    expect(Date.now() - started).toBeLessThan(4_500);
  });

  it("reports the API server's 422 Invalid as one line naming the object, and writes nothing else", async () => {
    const objects = apiDomain();
    const vs = objects[0] as { spec: { http: unknown[] } };
    // A route istiops does not own whose weights add up to 90: Istio's webhook with the legacy
    // weight rule (weights must sum to 100) rejects the object on any write.
    vs.spec.http.unshift({
      match: [{ uri: { prefix: '/legacy' } }],
      route: [
        { destination: { host: 'api-domain', subset: 'api-domain-1-default' }, weight: 50 },
        { destination: { host: 'legacy' }, weight: 40 },
      ],
    });
    cluster = await startCluster(objects, { webhookRules: 'legacy' });
    const res = await cluster.cli(['traffic', 'shift', ...build2, '-H', 'x-cid=a']);
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toContain('VirtualService');
    expect(res.stderr).toMatch(/invalid|weight/i);
    // The DestinationRule got its subset (make before break); the VirtualService was never changed.
    expect(res.stderr).toContain('not written: VirtualService default/api-domain');
    expect(vsOf(cluster).spec.http).toHaveLength(2);
  });
});
