import { afterEach, describe, expect, it } from 'vitest';
import { apiDomain, startCluster, type Cluster } from '../support/cluster.js';

interface VS {
  spec: { http: { name?: string; route: { destination: { host: string; subset?: string }; weight?: number }[] }[] };
}
interface DR {
  spec: { subsets: { name: string }[] };
}

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.server.close();
  cluster = undefined;
});

/** Every subset the VirtualService routes to exists in the DestinationRule. */
function danglingSubsets(c: Cluster): string[] {
  const vs = c.server.getObject('virtualservices', 'default', 'api-domain') as unknown as VS;
  const dr = c.server.getObject('destinationrules', 'default', 'api-domain') as unknown as DR;
  const defined = new Set(dr.spec.subsets.map((s) => s.name));
  return vs.spec.http.flatMap((r) => r.route.map((d) => d.destination.subset)).filter((s): s is string => s !== undefined && !defined.has(s));
}

describe('reliability under concurrency and faults', () => {
  it('10 concurrent header shifts for 10 builds all land: 10 routes and 10 subsets', async () => {
    cluster = await startCluster(apiDomain());
    const c = cluster;
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        c.cli(['traffic', 'shift', '-l', 'app=api-domain', '-d', 'api-domain:5000', '-b', `b${i}`, '-p', `app=api-domain,build=b${i}`, '-H', `x-build=b${i}`]),
      ),
    );
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const vs = c.server.getObject('virtualservices', 'default', 'api-domain') as unknown as VS;
    const dr = c.server.getObject('destinationrules', 'default', 'api-domain') as unknown as DR;
    const expected = Array.from({ length: 10 }, (_, i) => `api-domain-b${i}-default`).sort();
    expect(vs.spec.http.map((r) => r.name).filter(Boolean).sort()).toEqual(expected);
    expect(dr.spec.subsets.map((s) => s.name).filter((n) => n !== 'api-domain-1-default').sort()).toEqual(expected);
    expect(vs.spec.http.at(-1)?.name).toBeUndefined(); // the catch-all stays last
    const conflicts = c.server.requests().filter((r) => r.status === 409).length;
    expect(conflicts).toBeGreaterThan(0); // the writers really raced
    console.log(`10 concurrent shifts: ${c.server.requests().length} requests, ${conflicts} conflicts resolved by re-planning`);
  });

  it('20 sequential shifts with 30% of writes failing (503) and 3 forced conflicts: each exits 0 or 1 clearly, and no route ever dangles', async () => {
    cluster = await startCluster(apiDomain(), { seed: 7 });
    cluster.server.faults.writeErrorRate = 0.3;
    cluster.server.faults.writeErrorStatus = 503;
    cluster.server.faults.conflictOnNextWrites(3);
    const outcomes: number[] = [];
    for (let i = 0; i < 20; i++) {
      const build = `b${i % 4}`;
      const traffic = i % 2 === 0 ? ['-H', `x-step=s${i}`] : ['-w', String(10 + i)];
      const res = await cluster.cli(['traffic', 'shift', '-l', 'app=api-domain', '-d', 'api-domain:5000', '-b', build, '-p', `app=api-domain,build=${build}`, ...traffic, '--force']);
      outcomes.push(res.code);
      expect([0, 1], res.stderr).toContain(res.code);
      if (res.code === 1) {
        expect(res.stderr.trim().split('\n').filter((l) => l.startsWith('istiops:'))).toHaveLength(1);
        expect(res.stderr).toMatch(/503|unable to handle|conflict|modified/i);
      }
      expect(danglingSubsets(cluster)).toEqual([]);
    }
    const log = cluster.server.requests();
    const injected = log.filter((r) => r.status === 503).length;
    const conflicts = log.filter((r) => r.status === 409).length;
    console.log(`20 shifts under faults: ${outcomes.filter((c) => c === 0).length} succeeded, ${outcomes.filter((c) => c === 1).length} failed cleanly; ${injected} injected 503s, ${conflicts} conflicts`);
    expect(injected).toBeGreaterThan(0);
    expect(conflicts).toBeGreaterThanOrEqual(3);
    expect(outcomes.filter((c) => c === 0).length).toBeGreaterThanOrEqual(15);
  });

  it('dropped connections and 429 with Retry-After are retried', async () => {
    cluster = await startCluster(apiDomain());
    cluster.server.faults.dropNextConnections(1);
    const dropped = await cluster.cli(['traffic', 'shift', '-l', 'app=api-domain', '-d', 'api-domain:5000', '-b', '2', '-p', 'app=api-domain,build=2', '-H', 'x=1']);
    expect(dropped.code, dropped.stderr).toBe(0);
    expect(dropped.stderr).toContain('retrying');
    cluster.server.faults.retryAfterSeconds = 1;
    cluster.server.faults.failNextWrites(1, 429);
    const started = Date.now();
    const limited = await cluster.cli(['traffic', 'shift', '-l', 'app=api-domain', '-d', 'api-domain:5000', '-b', '2', '-p', 'app=api-domain,build=2', '-w', '10']);
    expect(limited.code, limited.stderr).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    expect(danglingSubsets(cluster)).toEqual([]);
  });

  it('when the VirtualService write fails for good, the message says what was written and the cluster stays consistent', async () => {
    cluster = await startCluster(apiDomain());
    const c = cluster;
    const original = c.server.getObject('virtualservices', 'default', 'api-domain');
    // The DestinationRule write goes through; during the propagation wait every later write is set to fail.
    const run = c.cli(['traffic', 'shift', '-l', 'app=api-domain', '-d', 'api-domain:5000', '-b', '2', '-p', 'app=api-domain,build=2', '-H', 'x=1', '--propagation-wait', '300ms']);
    await waitFor(() => c.server.requests().some((r) => r.verb === 'update' && r.resource === 'destinationrules' && r.status === 200));
    c.server.faults.failNextWrites(10, 500);
    const res = await run;
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('Written: DestinationRule default/api-domain');
    expect(res.stderr).toContain('not written: VirtualService default/api-domain');
    expect(c.server.getObject('virtualservices', 'default', 'api-domain')).toEqual(original);
    expect(danglingSubsets(c)).toEqual([]);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
