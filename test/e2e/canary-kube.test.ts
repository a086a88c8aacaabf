import { afterEach, describe, expect, it } from 'vitest';
import { apiDomain, apiDomainService, startCluster, type Cluster } from '../support/cluster.js';

/** `traffic canary` against the Kubernetes API test server (TLS, resourceVersions, schema validation). */
let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.server.close();
  cluster = undefined;
});

const build = (n: number): string[] => ['-l', 'app=api-domain', '-d', 'api-domain:5000', '-b', String(n), '-p', `app=api-domain,build=${n}`];
const spec = (c: Cluster, resource: 'virtualservices' | 'destinationrules'): unknown => (c.server.getObject(resource, 'default', 'api-domain') as { spec: unknown }).spec;
const catchAll = (c: Cluster): { destination: { subset?: string }; weight?: number }[] =>
  (spec(c, 'virtualservices') as { http: { route: { destination: { subset?: string }; weight?: number }[] }[] }).http[0]?.route ?? [];

describe('traffic canary on a cluster', () => {
  it('promotes through the steps when the command gate passes', async () => {
    cluster = await startCluster([...apiDomain(), apiDomainService()]);
    const res = await cluster.cli(['traffic', 'canary', ...build(2), '--steps', '20,100', '--interval', '0', '--gate-cmd', 'true']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('promoted: api-domain-2-default takes 100%');
    expect(catchAll(cluster)).toEqual([{ destination: { host: 'api-domain', port: { number: 5000 }, subset: 'api-domain-2-default' }, weight: 100 }]);
  });

  it('rolls back to the objects as they were when the gate fails', async () => {
    cluster = await startCluster([...apiDomain(), apiDomainService()]);
    const before = { vs: spec(cluster, 'virtualservices'), dr: spec(cluster, 'destinationrules') };
    const res = await cluster.cli(['traffic', 'canary', ...build(2), '--steps', '30,60,100', '--interval', '0', '--gate-cmd', `sh -c '[ "$ISTIOPS_CANARY_WEIGHT" -lt 60 ]'`]);
    expect(res.code).toBe(1);
    expect(res.stderr).toBe('istiops: canary rolled back at 60%: the gate failed: command exited with 1\n');
    expect({ vs: spec(cluster, 'virtualservices'), dr: spec(cluster, 'destinationrules') }).toEqual(before);
  });

  it('refuses the first step towards a build with no ready pod, writing nothing', async () => {
    cluster = await startCluster([...apiDomain(), apiDomainService()]);
    const before = { vs: spec(cluster, 'virtualservices'), dr: spec(cluster, 'destinationrules') };
    const res = await cluster.cli(['traffic', 'canary', ...build(3), '--steps', '10,100', '--interval', '0']);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/^istiops: canary step 1\/2 \(10%\) failed: .*ready.*; the build keeps 0%\n$/);
    expect({ vs: spec(cluster, 'virtualservices'), dr: spec(cluster, 'destinationrules') }).toEqual(before);
  });
});
