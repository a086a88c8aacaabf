/**
 * The contract every {@link RouteStore} passes (hono's shared router suite, applied to stores): the
 * manifest store and the Kubernetes store run these same tests through a small harness each.
 */
import { describe, expect, it } from 'vitest';
import { Istiops } from '../app/istiops.js';
import { ConflictError } from '../errors.js';
import type { IstioObject, VirtualService } from '../domain/istio.js';
import { parseLabelSelector } from '../domain/label-selector.js';
import { readyPodsFor } from '../domain/state.js';
import type { ReadQuery, RouteStore } from './route-store.js';

/** A workload fixture: pods with these labels, ready or not. Each store materialises it its own way. */
export interface WorkloadFixture {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly ready: boolean;
}

/** What a store implementation gives the contract. */
export interface StoreHarness {
  readonly store: RouteStore;
  /** Changes an object behind the store's back, as another writer would. */
  touch(object: IstioObject, mutate: (obj: IstioObject) => void): Promise<void>;
  /** The object as stored now, or undefined. */
  get(kind: IstioObject['kind'], namespace: string, name: string): Promise<IstioObject | undefined>;
  close(): Promise<void>;
}

/** Opens a store holding `objects` and `workloads`. */
export type OpenStore = (objects: readonly IstioObject[], workloads: readonly WorkloadFixture[]) => Promise<StoreHarness>;

const labels = { app: 'shop', tier: 'web' };

function vs(name: string, namespace: string, objLabels: Record<string, string>): VirtualService {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name, namespace, labels: objLabels, annotations: { 'example.com/owner': 'web-team' } },
    spec: {
      hosts: [name],
      http: [{ route: [{ destination: { host: name, subset: 'stable' } }], timeout: '3s', corsPolicy: { allowOrigins: [{ exact: 'https://a.example' }] } }],
    },
  };
}

function dr(name: string, namespace: string, objLabels: Record<string, string>): IstioObject {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'DestinationRule',
    metadata: { name, namespace, labels: objLabels },
    spec: { host: name, trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } }, subsets: [{ name: 'stable', labels: { app: name, track: 'stable' } }] },
  };
}

const fixture: IstioObject[] = [
  vs('shop', 'prod', labels),
  dr('shop', 'prod', labels),
  vs('admin', 'prod', { app: 'admin' }),
  vs('shop', 'staging', labels),
  dr('shop', 'staging', labels),
];
const workloads: WorkloadFixture[] = [
  { name: 'shop-stable', namespace: 'prod', labels: { app: 'shop', track: 'stable' }, ready: true },
  { name: 'shop-canary', namespace: 'prod', labels: { app: 'shop', track: 'canary' }, ready: false },
];

const query = (overrides: Partial<ReadQuery> = {}): ReadQuery => ({
  namespace: 'prod',
  labelSelector: parseLabelSelector('app=shop'),
  readiness: { kind: 'none' },
  subsetUsers: false,
  ...overrides,
});

/** Registers the contract tests for one store implementation. */
export function storeContract(name: string, open: OpenStore): void {
  describe(`${name} store contract`, () => {
    const withStore = async (fn: (h: StoreHarness) => Promise<void>): Promise<void> => {
      const h = await open(fixture, workloads);
      try {
        await fn(h);
      } finally {
        await h.close();
      }
    };

    it('reads the VirtualServices and DestinationRules the selector picks, in the namespace only', () =>
      withStore(async ({ store }) => {
        const state = await store.read(query());
        expect(state.namespace).toBe('prod');
        expect(state.virtualServices.map((v) => v.metadata.name)).toEqual(['shop']);
        expect(state.destinationRules.map((d) => `${d.metadata.namespace}/${d.metadata.name}`)).toEqual(['prod/shop']);
        expect(state.subsetUsers).toBeUndefined();
        expect(state.readiness.source).toBe('none');
      }));

    it('supports set-based selectors', () =>
      withStore(async ({ store }) => {
        const state = await store.read(query({ labelSelector: parseLabelSelector('app in (shop,admin),!missing') }));
        expect(state.virtualServices.map((v) => v.metadata.name).sort()).toEqual(['admin', 'shop']);
      }));

    it('returns every VirtualService as the subset users when asked', () =>
      withStore(async ({ store }) => {
        const state = await store.read(query({ subsetUsers: true }));
        expect(state.virtualServices.map((v) => v.metadata.name)).toEqual(['shop']);
        expect(state.subsetUsers?.virtualServices.map((v) => v.metadata.name)).toEqual(expect.arrayContaining(['shop', 'admin']));
      }));

    it('reports readiness of the namespace workloads', () =>
      withStore(async ({ store }) => {
        const state = await store.read(query({ readiness: { kind: 'namespace' } }));
        expect(readyPodsFor(state, 'prod', { app: 'shop', track: 'stable' })).toBeGreaterThan(0);
        expect(readyPodsFor(state, 'prod', { app: 'shop', track: 'canary' })).toBe(0);
      }));

    it('writes an object back with every field it does not own intact', () =>
      withStore(async (h) => {
        const state = await h.store.read(query());
        const next = structuredClone(state.virtualServices[0]) as VirtualService;
        next.spec.http?.unshift({ name: 'beta', match: [{ headers: { 'x-beta': { exact: '1' } } }], route: [{ destination: { host: 'shop', subset: 'stable' } }] });
        await h.store.write(next, { serverDryRun: false });
        const stored = (await h.get('VirtualService', 'prod', 'shop')) as VirtualService;
        expect(stored.spec.http?.map((r) => r.name ?? null)).toEqual(['beta', null]);
        expect(stored.spec.http?.[1]).toMatchObject({ timeout: '3s', corsPolicy: { allowOrigins: [{ exact: 'https://a.example' }] } });
        expect(stored.metadata.annotations).toEqual({ 'example.com/owner': 'web-team' });
        expect((await h.store.read(query())).virtualServices[0]?.spec.http?.[0]?.name).toBe('beta');
      }));

    it('refuses with ConflictError to write over a change made since the read', () =>
      withStore(async (h) => {
        const state = await h.store.read(query());
        const mine = structuredClone(state.destinationRules[0]) as IstioObject;
        await h.touch(mine, (o) => {
          o.metadata.labels = { ...o.metadata.labels, touched: 'yes' };
        });
        await expect(h.store.write(mine, { serverDryRun: false })).rejects.toBeInstanceOf(ConflictError);
        expect((await h.get('DestinationRule', 'prod', 'shop'))?.metadata.labels?.['touched']).toBe('yes');
      }));

    it('stores nothing on a server dry run', () =>
      withStore(async (h) => {
        const state = await h.store.read(query());
        const next = structuredClone(state.destinationRules[0]) as IstioObject & { spec: { subsets: unknown[] } };
        next.spec.subsets.push({ name: 'canary', labels: { app: 'shop', track: 'canary' } });
        await h.store.write(next, { serverDryRun: true });
        expect(((await h.get('DestinationRule', 'prod', 'shop')) as typeof next).spec.subsets).toHaveLength(1);
      }));

    it('runs a header shift through the Istiops use case, and a second one changes nothing', () =>
      withStore(async (h) => {
        const istiops = new Istiops(h.store, { propagationWaitMs: 0 });
        const request = {
          destination: { host: 'shop', port: 80 },
          build: 'v2',
          podSelector: { app: 'shop', track: 'stable' },
          traffic: { kind: 'headers', headers: { 'x-v2': 'yes' }, regex: false },
        } as const;
        const first = await istiops.shift({ namespace: 'prod', labelSelector: 'app=shop' }, request);
        expect(first.written).toEqual(['DestinationRule prod/shop', 'VirtualService prod/shop']);
        const second = await istiops.shift({ namespace: 'prod', labelSelector: 'app=shop' }, request);
        expect(second.plan.changes).toEqual([]);
        const report = await istiops.get({ namespace: 'prod', labelSelector: 'app=shop' });
        expect(report.virtualServices[0]?.http[0]?.destinations[0]?.subset).toBe('shop-v2-prod');
      }));
  });
}
