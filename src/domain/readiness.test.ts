import { describe, expect, it } from 'vitest';
import { ReadinessIndex, type Readiness } from './readiness.js';
import type { ReadinessSource, ServiceInfo, Workload } from './state.js';
import { bookinfoWorkloads, service } from './testing.js';

const pod = (app: string, version: string, ready: number, namespace = 'bookinfo'): Workload => ({
  ref: `Deployment ${namespace}/${app}-${version}`,
  namespace,
  podLabels: { app, version },
  readyPods: ready,
});

/** Bookinfo's workloads, each with a different number of ready pods so that a sum tells which were counted. */
const WORKLOADS: Workload[] = [pod('productpage', 'v1', 2), pod('details', 'v1', 3), pod('ratings', 'v1', 4), pod('reviews', 'v1', 5), pod('reviews', 'v2', 6), pod('reviews', 'v3', 7)];
const SERVICES: ServiceInfo[] = ['productpage', 'details', 'ratings', 'reviews'].map((n) => service(n, { app: n }, 'bookinfo'));

function index(opts: { source?: ReadinessSource; workloads?: Workload[]; services?: ServiceInfo[]; namespace?: string } = {}): ReadinessIndex {
  return new ReadinessIndex({
    namespace: opts.namespace ?? 'bookinfo',
    readiness: { source: opts.source ?? 'cluster', workloads: opts.workloads ?? WORKLOADS },
    services: opts.services ?? SERVICES,
  });
}

const host = (name: string, ns = 'bookinfo') => `${name}.${ns}.svc.cluster.local`;

describe('ReadinessIndex: the pods behind a subset are those the Service selects that carry the subset labels', () => {
  it.each<[string, string, Record<string, string>, number]>([
    ['only reviews\' own pods behind reviews subset v1, though every v1 workload is labelled version=v1', 'reviews', { version: 'v1' }, 5],
    ['reviews subset v2', 'reviews', { version: 'v2' }, 6],
    ['details subset v1', 'details', { version: 'v1' }, 3],
    ['no pod behind details subset v2, though reviews-v2 is labelled version=v2', 'details', { version: 'v2' }, 0],
    ['every pod of the Service behind a subset without labels', 'reviews', {}, 18],
    ['no pod behind a subset whose labels contradict the selector', 'reviews', { app: 'ratings', version: 'v1' }, 0],
    ['the pods matching subset labels that repeat the selector', 'reviews', { app: 'reviews', version: 'v3' }, 7],
  ])('counts %s', (_, service, labels, ready) => {
    expect(index().podsBehind(host(service), labels)).toEqual({ known: true, ready });
  });

  it('sums the ready pods of every workload behind the subset and ignores other namespaces', () => {
    const workloads = [...WORKLOADS, pod('reviews', 'v1', 1), pod('reviews', 'v1', 100, 'other')];
    expect(index({ workloads }).podsBehind(host('reviews'), { version: 'v1' })).toEqual({ known: true, ready: 6 });
  });

  it('counts a workload with no ready pods (a Deployment whose status has no readyReplicas) as 0', () => {
    const workloads = [pod('reviews', 'v1', 0)];
    expect(index({ workloads }).podsBehind(host('reviews'), { version: 'v1' })).toEqual({ known: true, ready: 0 });
  });

  it('works with the bookinfo fixture\'s workloads (one ready pod each)', () => {
    const idx = index({ workloads: bookinfoWorkloads('bookinfo') });
    expect(idx.podsBehind(host('reviews'), { version: 'v1' })).toEqual({ known: true, ready: 1 });
    expect(idx.podsBehind(host('details'), { version: 'v2' })).toEqual({ known: true, ready: 0 });
  });
});

describe('ReadinessIndex when the Service is missing or has no selector', () => {
  it('selects by the subset labels alone when the Service was not found, and says so', () => {
    const r = index({ services: [] }).podsBehind(host('details'), { version: 'v2' });
    expect(r).toEqual({ known: true, ready: 6, note: expect.stringMatching(/Service bookinfo\/details was not found: the subset's labels alone select the pods/) });
  });

  it('selects by the subset labels alone for a Service without selector (endpoints kept by hand)', () => {
    const r = index({ services: [service('details', null, 'bookinfo')] }).podsBehind(host('details'), { version: 'v1' });
    expect(r).toEqual({ known: true, ready: 14 });
  });
});

describe('ReadinessIndex unknown cases', () => {
  it.each<[string, ReturnType<typeof index>, string, RegExp]>([
    ['a host in another namespace than the command\'s', index(), host('reviews', 'prod'), /namespace prod \(only bookinfo was read\)/],
    ['a host that is no cluster service', index(), 'reviews.example.com', /not a service of the cluster/],
    ['a dotted short host Istio takes literally', index(), 'reviews.bookinfo', /not a service of the cluster/],
    ['readiness not read', index({ source: 'none' }), host('reviews'), /not read/],
    ['manifests holding neither the Service nor a matching workload', index({ source: 'manifests', services: [], workloads: [pod('ratings', 'v2', 1)] }), host('reviews'), /no Service reviews and no workload with labels version=v1 in the manifests/],
  ])('is unknown for %s', (_, idx, h, why) => {
    const r: Readiness = idx.podsBehind(h, { version: 'v1' });
    expect(r.known).toBe(false);
    if (!r.known) expect(r.why).toMatch(why);
  });

  it.each<[string, ServiceInfo[], Workload[], Readiness]>([
    ['the Service without workloads: 0 ready', [service('reviews', { app: 'reviews' }, 'bookinfo')], [], { known: true, ready: 0 }],
    ['a workload without the Service: its pods, with a note', [], [pod('reviews', 'v1', 2)], { known: true, ready: 2, note: expect.stringMatching(/was not found/) as unknown as string }],
  ])('is known in manifests holding %s', (_, services, workloads, expected) => {
    expect(index({ source: 'manifests', services, workloads }).podsBehind(host('reviews'), { version: 'v1' })).toEqual(expected);
  });

  it('counts no matching pod in a cluster as 0 ready (every pod of the namespace was listed)', () => {
    expect(index({ source: 'cluster', services: [], workloads: [] }).podsBehind(host('reviews'), { version: 'v1' })).toMatchObject({ known: true, ready: 0 });
  });
});
