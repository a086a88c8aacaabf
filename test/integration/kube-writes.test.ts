/**
 * Writes against the API server when answers get lost and when the user interrupts (design rules 3
 * and 12): an unknown outcome is said as such and resolved by reading again, the propagation wait is
 * kept on retries, and SIGINT/SIGTERM stop before the next write.
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI } from '../support/cli.js';
import { apiDomain, startCluster, type Cluster } from '../support/cluster.js';

let cluster: Cluster | undefined;
afterEach(async () => {
  await cluster?.server.close();
  cluster = undefined;
});

const build2 = ['-l', 'app=api-domain', '-d', 'api-domain:5000', '-b', '2', '-p', 'app=api-domain,build=2'];

interface VS {
  spec: { http: { name?: string }[] };
}
interface DR {
  spec: { subsets: { name: string }[] };
}
const vsOf = (c: Cluster): VS => c.server.getObject('virtualservices', 'default', 'api-domain') as unknown as VS;
const drOf = (c: Cluster): DR => c.server.getObject('destinationrules', 'default', 'api-domain') as unknown as DR;

async function waitFor(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 3000 && !condition(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!condition()) throw new Error(`never happened: ${what}`);
}

describe('a write whose answer is lost (design rule 3)', () => {
  it('reads again, finds the subset written, and still waits --propagation-wait before the VirtualService uses it', async () => {
    cluster = await startCluster(apiDomain());
    cluster.server.faults.interceptNext({ method: 'PUT', path: /destinationrules/ }, { type: 'drop-after-handling' });
    const res = await cluster.cli(['traffic', 'shift', ...build2, '-H', 'x-cid=a', '--propagation-wait', '100ms']);
    expect(res.code, res.stderr).toBe(0);
    const lines = res.stderr.split('\n');
    const retry = lines.findIndex((l) => l.startsWith('retrying') && l.includes('the outcome is unknown (DestinationRule default/api-domain may or may not have been written)'));
    const wait = lines.findIndex((l) => l.includes('--propagation-wait'));
    expect(retry).toBeGreaterThanOrEqual(0);
    expect(wait).toBeGreaterThan(retry);
    // The retry found the subset in place and wrote only the VirtualService.
    const updates = cluster.server.requests().filter((r) => r.verb === 'update').map((r) => r.resource);
    expect(updates).toEqual(['destinationrules', 'virtualservices']);
    expect(vsOf(cluster).spec.http[0]?.name).toBe('api-domain-2-default');
    expect(drOf(cluster).spec.subsets.map((s) => s.name)).toContain('api-domain-2-default');
  });

  it('never calls an object "not written" when its outcome is unknown', async () => {
    cluster = await startCluster(apiDomain());
    cluster.server.faults.interceptNext({ method: 'PUT', path: /destinationrules/ }, { type: 'drop-after-handling' });
    cluster.server.faults.forbid({ verb: 'update', resource: 'virtualservices' });
    const res = await cluster.cli(['traffic', 'shift', ...build2, '-H', 'x-cid=a']);
    expect(res.code).toBe(1);
    const message = res.stderr.split('\n').find((l) => l.startsWith('istiops:')) ?? '';
    expect(message).toContain('outcome unknown: DestinationRule default/api-domain');
    expect(message).toContain('not written: VirtualService default/api-domain');
    expect(message).not.toMatch(/not written: [^.]*DestinationRule/);
  });

  it('a write that times out after it was sent is reported with an unknown outcome, not as "not written"', async () => {
    cluster = await startCluster(apiDomain());
    cluster.server.faults.interceptNext({ method: 'PUT', path: /destinationrules/ }, { type: 'delay-after-handling', delayMs: 3000 });
    const res = await cluster.cli(['traffic', 'shift', ...build2, '-H', 'x-cid=a', '--request-timeout', '300ms']);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('update DestinationRule default/api-domain: no answer within 0.3s (--request-timeout); the outcome is unknown');
    expect(res.stderr).toContain('outcome unknown: DestinationRule default/api-domain');
    expect(res.stderr).not.toMatch(/not written: [^.]*DestinationRule/);
  });

  it('a success status with a page that is not the object makes the outcome unknown, then the write is done again', async () => {
    cluster = await startCluster(apiDomain());
    cluster.server.faults.interceptNext({ method: 'PUT', path: /virtualservices/ }, { type: 'html' });
    const res = await cluster.cli(['traffic', 'shift', ...build2, '-H', 'x-cid=a']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stderr).toContain('not a VirtualService (a proxy or login page?); the outcome is unknown');
    expect(vsOf(cluster).spec.http[0]?.name).toBe('api-domain-2-default');
  });
});

describe('interrupted (design rule 12)', () => {
  it.each([
    { signal: 'SIGINT' as const, code: 130 },
    { signal: 'SIGTERM' as const, code: 143 },
  ])('$signal during the propagation wait after the DestinationRule write exits $code and says what was written', async ({ signal, code }) => {
    cluster = await startCluster(apiDomain());
    const c = cluster;
    const child = spawn(process.execPath, [CLI, 'traffic', 'shift', ...build2, '-H', 'x-cid=a', '--kubeconfig', c.kubeconfig, '--propagation-wait', '60s'], {
      env: { PATH: process.env['PATH'], HOME: c.dir, NO_COLOR: '1' },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (status) => resolve(status)));
    await waitFor(() => stderr.includes('--propagation-wait'), 'the propagation wait');
    child.kill(signal);
    expect(await exited).toBe(code);
    const message = stderr.split('\n').find((l) => l.startsWith('istiops:')) ?? '';
    expect(message).toContain(`interrupted by ${signal} before writing VirtualService default/api-domain`);
    expect(message).toContain('written: DestinationRule default/api-domain');
    expect(message).toContain('not written: VirtualService default/api-domain');
    expect(c.server.requests().filter((r) => r.verb === 'update').map((r) => r.resource)).toEqual(['destinationrules']);
    expect(vsOf(c).spec.http.map((r) => r.name ?? null)).toEqual([null]);
  });
});
