/**
 * `KubernetesStore.watch` against the API test server's watch API: events while another writer
 * works, and a new list after a dropped connection or 410 Gone.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startKubeApiServer, type KubeApiServer } from '../kube-api-server/index.js';
import { parseLabelSelector } from '../../src/domain/label-selector.js';
import type { ReadQuery, WatchEvent } from '../../src/store/route-store.js';
import { KubernetesStore } from '../../src/store/kube-store.js';
import { loadKubeConfig } from '../../src/store/kubeconfig.js';
import { apiDomain, pod } from '../support/cluster.js';

let server: KubeApiServer | undefined;
let controller: AbortController | undefined;
afterEach(async () => {
  controller?.abort();
  await server?.close();
  server = undefined;
});

const query: ReadQuery = { namespace: 'default', labelSelector: parseLabelSelector('app=api-domain'), readiness: { kind: 'namespace' }, subsetUsers: false };

/** Starts watching; returns the events seen so far, a way to wait for one, and the watch's promise. */
async function watching(s: KubeApiServer, q: ReadQuery = query): Promise<{ events: WatchEvent[]; until: (p: (e: WatchEvent[]) => boolean) => Promise<void>; done: Promise<void>; store: KubernetesStore }> {
  const kubeconfig = s.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'istiops-watch-')), 'config'));
  const store = new KubernetesStore(await loadKubeConfig({ kubeconfig }), { watchRetryMs: 10 });
  controller = new AbortController();
  const events: WatchEvent[] = [];
  const waiters: (() => void)[] = [];
  const done = store.watch(q, (e) => {
    events.push(e);
    for (const w of waiters.splice(0)) w();
  }, controller.signal);
  const until = async (p: (e: WatchEvent[]) => boolean): Promise<void> => {
    while (!p(events)) await new Promise<void>((resolve) => waiters.push(resolve));
  };
  return { events, until, done, store };
}

describe('watch (KubernetesStore)', () => {
  it('reports changes to the selected VirtualServices, DestinationRules and pods while another writer works, and ends on abort', async () => {
    server = await startKubeApiServer();
    server.seed(apiDomain());
    const { events, until, done, store } = await watching(server);
    await server.waitForWatches(4);
    const log = server.requests().filter((r) => r.verb === 'watch');
    expect(log.map((r) => r.resource).sort()).toEqual(['destinationrules', 'pods', 'services', 'virtualservices']);
    expect(log.every((r) => r.query['allowWatchBookmarks'] === 'true' && r.query['resourceVersion'] !== undefined)).toBe(true);
    expect(log.find((r) => r.resource === 'virtualservices')?.query['labelSelector']).toBe('app=api-domain');

    // Another writer: a header shift through the store of another process would look the same.
    const other = new KubernetesStore(store.kubeConfig);
    const state = await other.read({ ...query, readiness: { kind: 'none' } });
    const vs = structuredClone(state.virtualServices[0]);
    if (!vs) throw new Error('no VirtualService');
    vs.metadata.labels = { ...vs.metadata.labels, touched: 'yes' };
    await other.write(vs, { serverDryRun: false });
    server.seed([pod('api-domain-4-xyz', 'default', { app: 'api-domain', build: '4' }, true)]);
    server.sendBookmarks();
    await until((e) => e.some((x) => x.object === 'VirtualService default/api-domain') && e.some((x) => x.object === 'Pod default/api-domain-4-xyz'));
    expect(events).toContainEqual({ type: 'MODIFIED', object: 'VirtualService default/api-domain' });
    expect(events).toContainEqual({ type: 'ADDED', object: 'Pod default/api-domain-4-xyz' });
    expect(events.some((e) => e.type === 'RELISTED')).toBe(false);
    controller?.abort();
    await done;
    other.close();
    store.close();
  });

  it.each([
    { fault: 'a dropped connection', arm: (s: KubeApiServer) => s.faults.dropWatches() },
    { fault: '410 Gone as an ERROR event', arm: (s: KubeApiServer) => { s.faults.goneOnNextWatch('event'); s.faults.dropWatches(); } },
    { fault: '410 Gone as HTTP status', arm: (s: KubeApiServer) => { s.faults.goneOnNextWatch('http'); s.faults.dropWatches(); } },
  ])('lists again after $fault and watches from the new resourceVersion', async ({ arm }) => {
    server = await startKubeApiServer();
    server.seed(apiDomain());
    const q: ReadQuery = { ...query, readiness: { kind: 'none' } };
    const { events, until, done } = await watching(server, q);
    await server.waitForWatches(2);
    arm(server);
    await until((e) => e.some((x) => x.type === 'RELISTED'));
    await server.waitForWatches(2);
    const s = server;
    // The relist, then the new watch from the list's resourceVersion: a later change still arrives.
    const dr = s.getObject('destinationrules', 'default', 'api-domain');
    if (!dr) throw new Error('no DestinationRule');
    s.seed([{ ...dr, metadata: { ...dr.metadata, labels: { ...dr.metadata?.labels, touched: 'yes' } } }]);
    await until((e) => e.some((x) => x.object === 'DestinationRule default/api-domain'));
    expect(events.find((e) => e.type === 'RELISTED')?.object).toMatch(/in namespace default/);
    const lists = s.requests().filter((r) => r.verb === 'list');
    expect(lists.length).toBeGreaterThan(2);
    controller?.abort();
    await done;
  });
});
