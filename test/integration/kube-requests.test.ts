/**
 * The Kubernetes store's requests as the API server sees them (design rules 8-10): which requests,
 * how many, on how many connections, and what happens when an answer cannot be trusted.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { apiDomain, startCluster, type Cluster } from '../support/cluster.js';
import type { RequestLogEntry } from '../kube-api-server/index.js';

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.server.close();
  cluster = undefined;
});

const build2 = ['-l', 'app=api-domain', '-d', 'api-domain:5000', '-b', '2', '-p', 'app=api-domain,build=2'];

/** `verb resource [all-namespaces]` of each request, reads sorted (they go out together), writes in order. */
function summary(log: RequestLogEntry[]): { reads: string[]; writes: string[] } {
  const text = (r: RequestLogEntry): string =>
    `${r.verb} ${r.resource ?? r.path}${r.resource && !r.path.includes('/namespaces/') ? ' all-namespaces' : ''}${r.dryRun ? ' dryRun' : ''}`;
  return { reads: log.filter((r) => r.method === 'GET').map(text).sort(), writes: log.filter((r) => r.method !== 'GET').map(text) };
}

interface DR {
  spec: { subsets: { name: string }[] };
}
const drOf = (c: Cluster): DR => c.server.getObject('destinationrules', 'default', 'api-domain') as unknown as DR;

describe('requests per command (design rule 8)', () => {
  it.each([
    {
      command: 'show',
      args: ['traffic', 'show', '-l', 'app=api-domain', '-o', 'json'],
      reads: ['list destinationrules', 'list pods', 'list services', 'list virtualservices'],
      writes: [],
    },
    {
      command: 'header shift',
      args: ['traffic', 'shift', ...build2, '-H', 'x-cid=a'],
      // Rule 5: a header shift warns about a build without ready pods, so it reads them too.
      reads: ['list destinationrules', 'list pods', 'list services', 'list virtualservices'],
      writes: ['update destinationrules', 'update virtualservices'],
    },
    {
      command: 'weight shift',
      args: ['traffic', 'shift', ...build2, '-w', '10'],
      reads: ['list destinationrules', 'list pods', 'list services', 'list virtualservices'],
      writes: ['update destinationrules', 'update virtualservices'],
    },
    {
      command: 'rollback',
      args: ['traffic', 'rollback', '-l', 'app=api-domain', '-p', 'app=api-domain,build=1'],
      reads: ['list destinationrules', 'list virtualservices all-namespaces'],
      writes: [],
    },
  ])('$command: no discovery while v1 is served, the lists together, everything on one kept-alive connection', async ({ args, reads, writes }) => {
    cluster = await startCluster(apiDomain());
    const before = cluster.server.connections().length;
    const res = await cluster.cli(args);
    expect([0, 1], res.stderr).toContain(res.code);
    const log = cluster.server.requests();
    expect(summary(log)).toEqual({ reads, writes });
    expect(log.some((r) => r.verb === 'discovery')).toBe(false);
    // One TLS connection, kept alive for every list and write of the command.
    const connections = cluster.server.connections().slice(before);
    expect(connections).toHaveLength(1);
    expect(connections[0]?.requests).toBe(log.length);
    expect(new Set(log.map((r) => r.connection))).toEqual(new Set([connections[0]?.id]));
  });

  it('sends the label selectors to the server: Istio lists by the selector, pods by the pod selector', async () => {
    cluster = await startCluster(apiDomain());
    expect((await cluster.cli(['traffic', 'shift', ...build2, '-w', '10'])).code).toBe(0);
    const log = cluster.server.requests();
    expect(log.find((r) => r.resource === 'virtualservices')?.query['labelSelector']).toBe('app=api-domain');
    expect(log.find((r) => r.resource === 'destinationrules')?.query['labelSelector']).toBe('app=api-domain');
    expect(log.find((r) => r.resource === 'pods')?.query['labelSelector']).toBe('app=api-domain,build=2');
    expect(log.filter((r) => r.verb === 'update').map((r) => r.query['fieldManager'])).toEqual(['istiops', 'istiops']);
  });

  it('discovers once, on the 404 for v1, then reads and writes in the served version', async () => {
    cluster = await startCluster(apiDomain('default', 'v1beta1'), { servedVersions: ['v1beta1', 'v1alpha3'] });
    const res = await cluster.cli(['traffic', 'shift', ...build2, '-H', 'x=1']);
    expect(res.code, res.stderr).toBe(0);
    const log = cluster.server.requests();
    expect(log.filter((r) => r.verb === 'discovery').map((r) => r.path)).toEqual(['/apis/networking.istio.io']);
    const after = log.slice(log.findIndex((r) => r.verb === 'discovery') + 1);
    expect(after.every((r) => r.path.startsWith('/apis/networking.istio.io/v1beta1/'))).toBe(true);
    expect(summary(after)).toEqual({ reads: ['list destinationrules', 'list virtualservices'], writes: ['update destinationrules', 'update virtualservices'] });
  });

  it('says Istio is not installed when the group is not served at all', async () => {
    cluster = await startCluster(apiDomain(), { servedVersions: [] });
    const res = await cluster.cli(['traffic', 'show', '-l', 'app=api-domain']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('serves no networking.istio.io version');
    expect(cluster.server.requests().filter((r) => r.path === '/apis/networking.istio.io')).toHaveLength(1);
  });
});

describe('untrusted answers are errors, never empty lists (design rule 10)', () => {
  it.each([
    { action: { type: 'html' } as const, message: /list virtualservices in all namespaces: the server answered 200 with text\/html, not a VirtualServiceList \(a proxy or login page\?\)/ },
    { action: { type: 'empty-object' } as const, message: /list virtualservices in all namespaces: the server answered 200 with an object without kind, not a VirtualServiceList/ },
    { action: { type: 'wrong-kind' } as const, message: /list virtualservices in all namespaces: the server answered 200 with a ConfigMapList, not a VirtualServiceList/ },
  ])('a hard clear that gets $action.type for the VirtualService list fails and removes nothing', async ({ action, message }) => {
    cluster = await startCluster(apiDomain());
    expect((await cluster.cli(['traffic', 'shift', ...build2, '-H', 'x=1'])).code).toBe(0);
    const subsets = drOf(cluster).spec.subsets.map((s) => s.name);
    cluster.server.clearLog();
    cluster.server.faults.interceptNext({ method: 'GET', path: '/apis/networking.istio.io/v1/virtualservices' }, action);
    const res = await cluster.cli(['traffic', 'clear', '-l', 'app=api-domain', '-m', 'hard']);
    expect(res.code).toBe(1);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(res.stderr).toMatch(message);
    expect(cluster.server.requests().filter((r) => r.method !== 'GET')).toEqual([]);
    expect(drOf(cluster).spec.subsets.map((s) => s.name)).toEqual(subsets);
  });

  it.each(['pods', 'destinationrules', 'services'])('an HTML page instead of the %s list fails show', async (resource) => {
    cluster = await startCluster(apiDomain());
    const path = resource === 'destinationrules' ? '/apis/networking.istio.io/v1/namespaces/default/destinationrules' : `/api/v1/namespaces/default/${resource}`;
    cluster.server.faults.interceptNext({ method: 'GET', path }, { type: 'html' });
    const res = await cluster.cli(['traffic', 'show', '-l', 'app=api-domain']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain(`list ${resource} in namespace default: the server answered 200 with text/html`);
  });
});

describe('subset users across namespaces (design: who uses a subset)', () => {
  it('rollback says so when RBAC forbids listing VirtualServices in all namespaces, and checks the namespace', async () => {
    cluster = await startCluster(apiDomain());
    expect((await cluster.cli(['traffic', 'shift', ...build2, '-w', '10'])).code).toBe(0);
    cluster.server.faults.forbid({ verb: 'list', resource: 'virtualservices', clusterScope: true });
    cluster.server.clearLog();
    const res = await cluster.cli(['traffic', 'rollback', '-l', 'app=api-domain', '-p', 'app=api-domain,build=2']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain('note: cannot list VirtualServices in all namespaces (forbidden); checked only namespace default');
    const vsLists = cluster.server.requests().filter((r) => r.resource === 'virtualservices' && r.verb === 'list');
    expect(vsLists.map((r) => [r.path, r.status])).toEqual([
      ['/apis/networking.istio.io/v1/virtualservices', 403],
      ['/apis/networking.istio.io/v1/namespaces/default/virtualservices', 200],
    ]);
    expect(drOf(cluster).spec.subsets.map((s) => s.name)).toEqual(['api-domain-1-default']);
  });
});
