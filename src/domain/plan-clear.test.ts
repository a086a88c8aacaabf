import { describe, expect, it } from 'vitest';
import { PlanRefusedError } from '../errors.js';
import type { Plan } from './changes.js';
import { clone, type HTTPRoute, type VirtualService } from './istio.js';
import { planClear } from './plan-clear.js';
import type { ClearMode } from './requests.js';
import type { RoutingState } from './state.js';
import {
  applyPlan,
  catchAll,
  deepFreeze,
  destination,
  destinationRule,
  headerRoute,
  missingSubsets,
  prefixRoute,
  routesOf,
  state,
  subset,
  subsetNames,
  subsetOf,
  to,
  virtualService,
  workload,
  writeOrder,
  written,
  type StateOptions,
} from './testing.js';

function plan(s: RoutingState, mode: ClearMode): Plan {
  return planClear(deepFreeze(s), { mode });
}

/**
 * A namespace read from a cluster: build 1 (primary) and build 3 have ready pods, build 2 has none;
 * build 2 and 3 each have a header route.
 */
function cluster(opts: StateOptions = {}): RoutingState {
  return state({
    virtualServices: [virtualService({ http: [headerRoute('2', { 'x-cid': 'b' }), headerRoute('3', { 'x-cid': 'c' }), catchAll([to('1')])] })],
    destinationRules: [destinationRule({ subsets: ['1', '2', '3'] })],
    workloads: [workload('1', 2), workload('2', 0), workload('3', 1)],
    ...opts,
  });
}

describe('planClear soft', () => {
  it('removes the routes whose destinations have no ready pods, then their subsets', () => {
    const p = plan(cluster(), 'soft');
    expect(routesOf(written(p, 'VirtualService', 'api-domain'))).toEqual([headerRoute('3', { 'x-cid': 'c' }), catchAll([to('1')])]);
    expect(subsetNames(written(p, 'DestinationRule', 'api-domain'))).toEqual([subsetOf('1'), subsetOf('3')]);
    expect(p.changes.map((c) => c.op)).toEqual(['remove-route', 'remove-subset']);
  });

  it('writes the VirtualService before the DestinationRule that loses subsets', () => {
    expect(writeOrder(plan(cluster(), 'soft'))).toEqual(['VirtualService/api-domain', 'DestinationRule/api-domain']);
  });

  it('treats a subset without any matching pod in the cluster as having no ready pods', () => {
    const p = plan(cluster({ workloads: [workload('1', 2), workload('3', 1)] }), 'soft');
    expect(routesOf(written(p, 'VirtualService', 'api-domain')).map((r) => r.name ?? null)).toEqual([subsetOf('3'), null]);
  });

  it('keeps a route whose readiness is unknown (manifests with neither its Service nor its workload) and says why', () => {
    const p = plan(cluster({ readiness: 'manifests', services: [], workloads: [workload('1', 2), workload('3', 1)] }), 'soft');
    expect(p.writes).toEqual([]);
    expect(p.warnings.filter((w) => /readiness/.test(w))).toEqual([expect.stringMatching(new RegExp(`kept .*${subsetOf('2')}.*readiness unknown`))]);
  });

  it('says nothing about the subsets that routes simply keep using', () => {
    const s = cluster({ virtualServices: [virtualService({ http: [headerRoute('3', { 'x-cid': 'c' }), catchAll([to('1')])] })], destinationRules: [destinationRule({ subsets: ['1', '3'] })] });
    expect(plan(s, 'soft').warnings).toEqual([]);
  });

  it('removes a route in manifest mode when its workload has no ready replicas', () => {
    const p = plan(cluster({ readiness: 'manifests' }), 'soft');
    expect(routesOf(written(p, 'VirtualService', 'api-domain'))).toHaveLength(2);
  });

  it('drops a dead destination from a mixed catch-all route: its share goes to the live one', () => {
    const s = cluster({ virtualServices: [virtualService({ http: [catchAll([to('1', 90), to('2', 10)])] })] });
    const p = plan(s, 'soft');
    expect(routesOf(written(p, 'VirtualService', 'api-domain'))).toEqual([catchAll([to('1', 100)])]);
    expect(subsetNames(written(p, 'DestinationRule', 'api-domain'))).toEqual([subsetOf('1')]);
    expect(p.changes.map((c) => c.op)).toContain('remove-destination');
  });

  it('gives the whole catch-all to the canary when the primary is the dead one', () => {
    const s = cluster({ virtualServices: [virtualService({ http: [catchAll([to('2', 90), to('3', 10)])] })] });
    expect(routesOf(written(plan(s, 'soft'), 'VirtualService', 'api-domain'))).toEqual([catchAll([to('3', 100)])]);
  });

  it('shares a dead destination\'s weight among the live ones in proportion when several stay', () => {
    const s = cluster({ virtualServices: [virtualService({ http: [catchAll([to('1', 50), to('2', 30), to('3', 20)])] })] });
    expect(routesOf(written(plan(s, 'soft'), 'VirtualService', 'api-domain'))).toEqual([catchAll([to('1', 71), to('3', 29)])]);
  });

  it.each<[string, HTTPRoute[]]>([
    ['a catch-all route', [catchAll([to('2')])]],
    ['a path route', [prefixRoute('/api', [to('2')]), catchAll([to('1')])]],
  ])('keeps %s none of whose destinations has ready pods (a general route), and warns', (_, http) => {
    const s = cluster({ virtualServices: [virtualService({ http })] });
    const p = plan(s, 'soft');
    expect(writeOrder(p)).toEqual(['DestinationRule/api-domain']);
    expect(subsetNames(written(p, 'DestinationRule', 'api-domain'))).toContain(subsetOf('2'));
    expect(p.warnings.join('\n')).toMatch(/kept (catch-all )?route #0 .*none of its destinations has ready pods/);
  });

  it('removes a targeted route none of whose destinations has ready pods (its requests fall through as before it was added)', () => {
    const byQuery: HTTPRoute = { match: [{ queryParams: { canary: { exact: '1' } } }], route: [to('2')] };
    const s = cluster({ virtualServices: [virtualService({ http: [byQuery, catchAll([to('1')])] })] });
    expect(routesOf(written(plan(s, 'soft'), 'VirtualService', 'api-domain'))).toEqual([catchAll([to('1')])]);
  });

  it('keeps destinations without subset (the whole service) without a readiness warning', () => {
    const s = cluster({ virtualServices: [virtualService({ http: [prefixRoute('/static', [{ destination: destination(null) }]), catchAll([to('1')])] })] });
    const p = plan(s, 'soft');
    expect(writeOrder(p)).toEqual(['DestinationRule/api-domain']);
    expect(p.warnings.filter((w) => /readiness|static/.test(w))).toEqual([]);
  });

  it('removes a mirror to a subset without ready pods and keeps one to a ready subset', () => {
    const s = cluster({
      virtualServices: [
        virtualService({ http: [catchAll([to('1')], { mirror: destination(subsetOf('2')), mirrorPercentage: { value: 10 } })] }),
        virtualService({ name: 'api-mesh', hosts: ['api-domain'], http: [catchAll([to('1')], { mirror: destination(subsetOf('3')) })] }),
      ],
    });
    const p = plan(s, 'soft');
    expect(routesOf(written(p, 'VirtualService', 'api-domain'))).toEqual([catchAll([to('1')])]);
    expect(writeOrder(p)).not.toContain('VirtualService/api-mesh');
    expect(subsetNames(written(p, 'DestinationRule', 'api-domain'))).toEqual([subsetOf('1'), subsetOf('3')]);
  });

  it('removes a subset that no route uses, even when its pods are ready', () => {
    const s = cluster({ virtualServices: [virtualService()] });
    expect(subsetNames(written(plan(s, 'soft'), 'DestinationRule', 'api-domain'))).toEqual([subsetOf('1')]);
  });

  it('keeps a subset that a VirtualService the selector did not pick still uses', () => {
    const other = virtualService({ name: 'api-internal', http: [headerRoute('2', { 'x-cid': 'z' }), catchAll([to('1')])] });
    const p = plan(cluster({ otherVirtualServices: [other] }), 'soft');
    expect(routesOf(written(p, 'VirtualService', 'api-domain')).map((r) => r.name ?? null)).toEqual([subsetOf('3'), null]);
    expect(writeOrder(p)).toEqual(['VirtualService/api-domain']);
  });

  it('refuses to leave a VirtualService with no HTTP route, writing nothing', () => {
    const s = cluster({ virtualServices: [virtualService({ http: [headerRoute('2', { 'x-cid': 'b' })] })] });
    expect(() => plan(s, 'soft')).toThrow(PlanRefusedError);
  });

  it('plans nothing when everything is alive and used', () => {
    const s = cluster({ virtualServices: [virtualService({ http: [headerRoute('3', { 'x-cid': 'c' }), catchAll([to('1')])] })], destinationRules: [destinationRule({ subsets: ['1', '3'] })] });
    const p = plan(s, 'soft');
    expect(p.writes).toEqual([]);
    expect(p.changes).toEqual([]);
  });

  it('is idempotent: a second clear plans nothing', () => {
    const once = applyPlan(cluster(), planClear(cluster(), { mode: 'soft' }));
    expect(planClear(once, { mode: 'soft' }).writes).toEqual([]);
  });
});

describe('planClear hard', () => {
  const mixed = (): RoutingState =>
    cluster({
      virtualServices: [
        virtualService({
          http: [
            headerRoute('3', { 'x-cid': 'c' }),
            prefixRoute('/api', [to('3')]),
            { match: [{ uri: { exact: '/health' } }], route: [to('1')] },
            { match: [{ uri: { regex: '/v[0-9]+' } }], route: [to('2')] },
            catchAll([to('1')]),
          ],
        }),
      ],
    });

  it('keeps only the catch-all route and the uri prefix routes, whatever their readiness', () => {
    const p = plan(mixed(), 'hard');
    expect(routesOf(written(p, 'VirtualService', 'api-domain'))).toEqual([prefixRoute('/api', [to('3')]), catchAll([to('1')])]);
    expect(p.changes.filter((c) => c.op === 'remove-route')).toHaveLength(3);
  });

  it('then removes the subsets no route uses', () => {
    expect(subsetNames(written(plan(mixed(), 'hard'), 'DestinationRule', 'api-domain'))).toEqual([subsetOf('1'), subsetOf('3')]);
  });

  it('does not need readiness', () => {
    const p = plan(cluster({ readiness: 'none', workloads: [] }), 'hard');
    expect(routesOf(written(p, 'VirtualService', 'api-domain'))).toEqual([catchAll([to('1')])]);
  });

  it('keeps a catch-all route in every recognised form', () => {
    const s = cluster({ virtualServices: [virtualService({ http: [headerRoute('3', { a: 'b' }), { match: [{ uri: { regex: '.*' } }, { uri: { prefix: '/' } }], route: [to('1')] }] })] });
    expect(routesOf(written(plan(s, 'hard'), 'VirtualService', 'api-domain'))).toEqual([{ match: [{ uri: { regex: '.*' } }, { uri: { prefix: '/' } }], route: [to('1')] }]);
  });

  it('refuses to leave a VirtualService with no HTTP route, writing nothing', () => {
    const s = cluster({ virtualServices: [virtualService({ http: [headerRoute('3', { 'x-cid': 'c' }), { match: [{ uri: { exact: '/' } }], route: [to('1')] }] })] });
    expect(() => plan(s, 'hard')).toThrow(PlanRefusedError);
  });

  it('leaves a VirtualService without HTTP routes (TCP only) alone', () => {
    const tcpOnly = virtualService({ name: 'tcp', http: null, spec: { tcp: [{ route: [{ destination: { host: 'db' } }] }] } });
    const p = plan(cluster({ virtualServices: [tcpOnly], destinationRules: [destinationRule({ subsets: [] })] }), 'hard');
    expect(p.writes).toEqual([]);
  });
});

describe('planClear owns only what it touches (rule 7)', () => {
  it.each(['soft', 'hard'] as const)('a %s clear changes only the removed routes and subsets', (mode) => {
    const vs = virtualService({
      annotations: { 'team.example/owner': 'payments' },
      gateways: ['istio-system/public'],
      spec: { exportTo: ['.'], tcp: [{ route: [{ destination: { host: 'api-domain', port: { number: 9000 } } }] }] },
      http: [
        headerRoute('2', { 'x-cid': 'b' }),
        prefixRoute('/static', [to('1')], { timeout: '1s', headers: { response: { remove: ['server'] } } }),
        catchAll([to('1')], { retries: { attempts: 3 }, timeout: '10s', corsPolicy: { allowOrigins: [{ exact: 'https://example.com' }] } }),
      ],
    });
    const dr = destinationRule({ spec: { trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } }, subsets: [subset('1', undefined, { trafficPolicy: { loadBalancer: { simple: 'RANDOM' } } }), subset('2')] });
    const p = plan(cluster({ virtualServices: [vs], destinationRules: [dr] }), mode);
    const expectedVs = clone(vs);
    (expectedVs.spec.http as HTTPRoute[]).shift();
    expect(written(p, 'VirtualService', 'api-domain')).toEqual(expectedVs);
    const expectedDr = clone(dr);
    expectedDr.spec.subsets = [subset('1', undefined, { trafficPolicy: { loadBalancer: { simple: 'RANDOM' } } })];
    expect(written(p, 'DestinationRule', 'api-domain')).toEqual(expectedDr);
  });
});

describe('planClear safety', () => {
  it.each(['soft', 'hard'] as const)('a %s clear never mutates its input', (mode) => {
    const s = cluster();
    const copy = clone(s);
    expect(() => planClear(deepFreeze(s), { mode })).not.toThrow();
    expect(s).toEqual(copy);
  });

  it.each(['soft', 'hard'] as const)('a %s clear leaves no VirtualService pointing at a removed subset', (mode) => {
    const s = cluster({ virtualServices: [virtualService({ http: [headerRoute('2', { 'x-cid': 'b' }), catchAll([to('1', 90), to('3', 10)], { mirror: destination(subsetOf('3')) })] })] });
    expect(missingSubsets(applyPlan(s, plan(s, mode)))).toEqual([]);
  });
});

describe('planClear soft decides by the ready pods behind each subset', () => {
  it.each<[string, StateOptions, string, 'removed' | 'kept']>([
    ['ready pods in the cluster', {}, '3', 'kept'],
    ['no ready pods in the cluster', {}, '2', 'removed'],
    ['no matching pod in the cluster', { workloads: [workload('1', 2)] }, '3', 'removed'],
    ['no Service and no matching workload in the manifests (unknown)', { readiness: 'manifests', services: [], workloads: [workload('1', 2)] }, '3', 'kept'],
    ['readiness not read (unknown)', { readiness: 'none' }, '2', 'kept'],
    ['a subset missing from every DestinationRule (unknown)', { destinationRules: [destinationRule({ subsets: ['1', '2', '3'] })] }, '9', 'kept'],
    ['pods only in another namespace', { workloads: [workload('1', 2), workload('3', 4, 'other-ns')] }, '3', 'removed'],
  ])('a header route to a subset with %s is %s', (_, opts, build, outcome) => {
    const s = cluster({ ...opts, virtualServices: [virtualService({ http: [headerRoute(build, { 'x-cid': 'c' }), catchAll([to('1')])] })] });
    const after = applyPlan(s, planClear(s, { mode: 'soft' }));
    const names = routesOf(after.virtualServices[0] as VirtualService).map((r) => r.name ?? null);
    expect(names).toEqual(outcome === 'kept' ? [subsetOf(build), null] : [null]);
  });
});
