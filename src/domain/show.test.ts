import { describe, expect, it } from 'vitest';
import { clone } from './istio.js';
import { buildTrafficReport, type RouteReport, type TrafficReport, type VirtualServiceReport } from './show.js';
import type { RoutingState } from './state.js';
import {
  catchAll,
  deepFreeze,
  destination,
  destinationRule,
  headerRoute,
  prefixRoute,
  state,
  subset,
  subsetOf,
  to,
  virtualService,
  workload,
  type StateOptions,
} from './testing.js';

function report(s: RoutingState): TrafficReport {
  return buildTrafficReport(deepFreeze(s));
}

function onlyVs(r: TrafficReport): VirtualServiceReport {
  expect(r.virtualServices).toHaveLength(1);
  return r.virtualServices[0] as VirtualServiceReport;
}

function route(r: TrafficReport, index: number): RouteReport {
  const found = onlyVs(r).http[index];
  if (found === undefined) throw new Error(`no route #${index}`);
  return found;
}

/** The README's example: header route for PR-10, then a 90/10 catch-all. */
function example(opts: StateOptions = {}): RoutingState {
  return state({
    virtualServices: [
      virtualService({
        name: 'api-domain-virtualservice',
        gateways: ['api-gateway'],
        spec: { tcp: [{ route: [{ destination: { host: 'db' } }] }] },
        http: [
          headerRoute('3', { 'x-cid': 'seu_madruga', 'x-account-id': '3' }),
          catchAll([to('1', 90), to('3', 10)], { mirror: destination(subsetOf('2')), mirrorPercentage: { value: 25 }, fault: { abort: { httpStatus: 503, percentage: { value: 1 } } } }),
        ],
      }),
    ],
    destinationRules: [destinationRule({ subsets: ['1', '2', subset('3', { app: 'api-domain', build: 'PR-10' })] })],
    workloads: [workload('1', 3), workload('2', 1), workload({ app: 'api-domain', build: 'PR-10' }, 2)],
    ...opts,
  });
}

describe('buildTrafficReport structure', () => {
  it('reports every selected VirtualService with its hosts, routes in order, matches, destinations, mirror and fault', () => {
    const r = report(example());
    expect(r).toEqual({
      apiVersion: 'istiops/v1',
      kind: 'TrafficReport',
      namespace: 'default',
      warnings: [],
      virtualServices: [
        {
          name: 'api-domain-virtualservice',
          namespace: 'default',
          hosts: ['api.domain.io'],
          gateways: ['api-gateway'],
          tcpRoutes: 1,
          tlsRoutes: 0,
          warnings: [],
          http: [
            {
              index: 0,
              name: subsetOf('3'),
              catchAll: false,
              reachable: true,
              targeted: true,
              match: [
                [
                  { field: 'headers.x-account-id', kind: 'exact', value: '3' },
                  { field: 'headers.x-cid', kind: 'exact', value: 'seu_madruga' },
                ],
              ],
              destinations: [
                { host: 'api-domain', port: 5000, weight: 100, subset: subsetOf('3'), labels: { app: 'api-domain', build: 'PR-10' }, readyPods: 2 },
              ],
              mirror: null,
              mirrors: [],
              fault: null,
              warnings: [],
            },
            {
              index: 1,
              name: null,
              catchAll: true,
              reachable: true,
              targeted: false,
              match: [[{ field: 'uri', kind: 'regex', value: '.+' }]],
              destinations: [
                { host: 'api-domain', port: 5000, weight: 90, subset: subsetOf('1'), labels: { app: 'api-domain', build: '1' }, readyPods: 3 },
                { host: 'api-domain', port: 5000, weight: 10, subset: subsetOf('3'), labels: { app: 'api-domain', build: 'PR-10' }, readyPods: 2 },
              ],
              mirror: { host: 'api-domain', port: 5000, weight: 0, subset: subsetOf('2'), labels: { app: 'api-domain', build: '2' }, readyPods: 1, percentage: 25, form: 'mirror' },
              mirrors: [{ host: 'api-domain', port: 5000, weight: 0, subset: subsetOf('2'), labels: { app: 'api-domain', build: '2' }, readyPods: 1, percentage: 25, form: 'mirror' }],
              fault: { abort: { httpStatus: 503, percentage: { value: 1 } } },
              warnings: [],
            },
          ],
        },
      ],
    });
  });

  it('is plain JSON data (what -o json prints)', () => {
    const r = report(example());
    expect(JSON.parse(JSON.stringify(r))).toEqual(r);
  });

  it.each([
    ['uri prefix', { uri: { prefix: '/api' } }, [{ field: 'uri', kind: 'prefix', value: '/api' }]],
    ['uri exact', { uri: { exact: '/health' } }, [{ field: 'uri', kind: 'exact', value: '/health' }]],
    ['header regex', { headers: { 'x-id': { regex: '1|2' } } }, [{ field: 'headers.x-id', kind: 'regex', value: '1|2' }]],
    ['header prefix', { headers: { 'x-id': { prefix: 'ab' } } }, [{ field: 'headers.x-id', kind: 'prefix', value: 'ab' }]],
    ['another condition', { method: { exact: 'GET' } }, [{ field: 'method', kind: 'other', value: '{"exact":"GET"}' }]],
  ])('reports a %s condition', (_, match, conditions) => {
    const r = report(state({ virtualServices: [virtualService({ http: [{ match: [match], route: [to('1')] }, catchAll([to('1')])] })] }));
    expect(route(r, 0).match).toEqual([conditions]);
  });

  it('reports a route without match as a catch-all with no conditions', () => {
    const r = report(state({ virtualServices: [virtualService({ http: [catchAll([to('1')], { match: null })] })] }));
    expect(route(r, 0)).toMatchObject({ catchAll: true, match: [] });
  });

  it('reports a destination without port or subset with nulls', () => {
    const r = report(state({ virtualServices: [virtualService({ http: [catchAll([{ destination: destination(null, { port: null }) }])] })] }));
    expect(route(r, 0).destinations).toEqual([{ host: 'api-domain', port: null, weight: 100, subset: null, labels: null, readyPods: null }]);
    expect(route(r, 0).warnings).toEqual([]);
  });

  it('reports a mirror without percentage with percentage null', () => {
    const r = report(example({ virtualServices: [virtualService({ http: [catchAll([to('1')], { mirror: destination(subsetOf('2')) })] })] }));
    expect(route(r, 0).mirror?.percentage).toBeNull();
  });

  it.each<[string, StateOptions]>([
    ['readiness comes from manifests with neither the Service nor the workload', { readiness: 'manifests', workloads: [], services: [] }],
    ['readiness was not read', { readiness: 'none' }],
  ])('reports readyPods null when %s, without a warning', (_, opts) => {
    const r = report(example(opts));
    expect(route(r, 1).destinations.map((d) => d.readyPods)).toEqual([null, null]);
    expect(route(r, 1).warnings).toEqual([]);
  });

  it('reports an object without namespace (manifests) in the command\'s namespace', () => {
    const r = report(state({ namespace: 'team-a', virtualServices: [virtualService({ namespace: null })] }));
    expect(r.namespace).toBe('team-a');
    expect(onlyVs(r).namespace).toBe('team-a');
  });

  it('counts TLS routes', () => {
    const r = report(state({ virtualServices: [virtualService({ spec: { tls: [{}, {}] } })] }));
    expect(onlyVs(r)).toMatchObject({ tcpRoutes: 0, tlsRoutes: 2 });
  });

  it('reports a VirtualService without HTTP routes', () => {
    const r = report(state({ virtualServices: [virtualService({ http: null })] }));
    expect(onlyVs(r).http).toEqual([]);
  });

  it('never mutates its input', () => {
    const s = example();
    const copy = clone(s);
    expect(() => buildTrafficReport(deepFreeze(s))).not.toThrow();
    expect(s).toEqual(copy);
  });
});

describe('buildTrafficReport warnings', () => {
  it('warns about a subset missing from the DestinationRule', () => {
    const r = report(state({ virtualServices: [virtualService({ http: [catchAll([to('1', 90), to('9', 10)])] })] }));
    expect(route(r, 0).warnings).toEqual([`subset ${subsetOf('9')} is missing from DestinationRule default/api-domain of host api-domain.default.svc.cluster.local`]);
    expect(route(r, 0).destinations[1]).toMatchObject({ subset: subsetOf('9'), labels: null, readyPods: null });
  });

  it('warns about a subset whose host resolves to no DestinationRule host', () => {
    const r = report(state({ destinationRules: [] }));
    expect(route(r, 0).warnings).toEqual([`subset ${subsetOf('1')} cannot be resolved: host api-domain.default.svc.cluster.local resolves to no DestinationRule host`]);
  });

  it('warns about a dotted host that Istio takes literally, even when a DestinationRule has the short name', () => {
    const r = report(state({ virtualServices: [virtualService({ http: [catchAll([to('1', undefined, { host: 'api-domain.default' })])] })] }));
    expect(route(r, 0).warnings).toEqual([expect.stringMatching(/host api-domain\.default resolves to no DestinationRule host/)]);
  });

  it('does not warn about a subset of a host in a namespace whose DestinationRules were not read', () => {
    const r = report(state({ virtualServices: [virtualService({ http: [catchAll([to('1', undefined, { host: 'reviews.bookinfo.svc.cluster.local', subset: 'v1' })])] })] }));
    expect(route(r, 0).warnings).toEqual([]);
    expect(route(r, 0).destinations[0]).toMatchObject({ labels: null, readyPods: null });
  });

  it('warns about a mirror to a missing subset', () => {
    const r = report(state({ virtualServices: [virtualService({ http: [catchAll([to('1')], { mirror: destination(subsetOf('9')) })] })] }));
    expect(route(r, 0).warnings).toEqual([expect.stringContaining(`subset ${subsetOf('9')} is missing`)]);
  });

  it('warns about a route after the catch-all, which can never match', () => {
    const r = report(state({ virtualServices: [virtualService({ http: [catchAll([to('1')]), headerRoute('1', { 'x-cid': 'a' }), prefixRoute('/api', [to('1')])] })] }));
    expect(onlyVs(r).http.map((x) => x.warnings)).toEqual([[], ['unreachable: catch-all route #0 comes before it'], ['unreachable: catch-all route #0 comes before it']]);
    expect(onlyVs(r).http.map((x) => x.reachable)).toEqual([true, false, false]);
  });

  it('does not warn about routes before the catch-all', () => {
    const r = report(state({ virtualServices: [virtualService({ http: [headerRoute('1', { 'x-cid': 'a' }), catchAll([to('1')])] })] }));
    expect(onlyVs(r).http.flatMap((x) => x.warnings)).toEqual([]);
  });

  it('warns about a lone destination weighted below 100', () => {
    const r = report(state({ virtualServices: [virtualService({ http: [catchAll([to('1', 90)])] })] }));
    expect(route(r, 0).warnings).toEqual([expect.stringMatching(/lone destination with weight 90/)]);
    expect(route(r, 0).destinations[0]?.weight).toBe(90);
  });

  it('does not warn about a lone destination without weight or at 100', () => {
    const r = report(state({ virtualServices: [virtualService({ http: [prefixRoute('/a', [to('1', 100)]), catchAll([to('1')])] })] }));
    expect(onlyVs(r).http.flatMap((x) => x.warnings)).toEqual([]);
  });

  it('warns about duplicate subset names in a DestinationRule the VirtualService uses', () => {
    const r = report(state({ destinationRules: [destinationRule({ subsets: ['1', '1', '3'] }), destinationRule({ name: 'ratings', host: 'ratings', subsets: ['2', '2'] })] }));
    expect(onlyVs(r).warnings).toEqual([`DestinationRule default/api-domain has duplicate subset names: ${subsetOf('1')}`]);
  });

  it('warns about more than one selected VirtualService for the same host, however it is written', () => {
    const r = report(
      state({
        virtualServices: [
          virtualService({ name: 'a', hosts: ['reviews'] }),
          virtualService({ name: 'b', hosts: ['reviews.default.svc.cluster.local'] }),
          virtualService({ name: 'c', hosts: ['ratings'] }),
        ],
      }),
    );
    expect(r.warnings).toEqual(['more than one selected VirtualService for host reviews.default.svc.cluster.local: a, b']);
  });

  it.each([
    { gateways: [['mesh'], ['istio-ingressgateway', 'mesh']], conflict: true },
    { gateways: [[], ['mesh']], conflict: true },
    { gateways: [['mesh'], ['istio-ingressgateway']], conflict: false },
  ])('counts only VirtualServices bound to the mesh as conflicting: $gateways', ({ gateways, conflict }) => {
    const vss = gateways.map((g, i) => {
      const vs = virtualService({ name: `vs${i}`, hosts: ['reviews'] });
      if (g.length > 0) vs.spec.gateways = g;
      return vs;
    });
    expect(report(state({ virtualServices: vss })).warnings.length > 0).toBe(conflict);
  });

  it('warns about a subset with no ready pods', () => {
    const r = report(example({ workloads: [workload('1', 3), workload('2', 1), workload({ app: 'api-domain', build: 'PR-10' }, 0)] }));
    expect(route(r, 0).warnings).toEqual([`subset ${subsetOf('3')} of api-domain.default.svc.cluster.local has no ready pods`]);
    expect(route(r, 0).destinations[0]?.readyPods).toBe(0);
  });

  it('counts a subset without any pod in the cluster as having no ready pods', () => {
    const r = report(example({ workloads: [workload('1', 3), workload('2', 1)] }));
    expect(route(r, 0).destinations[0]?.readyPods).toBe(0);
    expect(route(r, 0).warnings).toEqual([`subset ${subsetOf('3')} of api-domain.default.svc.cluster.local has no ready pods`]);
  });
});

describe('buildTrafficReport: the route model in the report', () => {
  it('flags a route shadowed by an earlier route with the same match entries', () => {
    const r = report(state({ virtualServices: [virtualService({ http: [prefixRoute('/api', [to('1')]), prefixRoute('/api', [to('1')], { name: 'again' }), catchAll([to('1')])] })] }));
    expect(route(r, 1)).toMatchObject({ reachable: false, warnings: ['unreachable: route #0 before it has each of its match entries'] });
    expect(route(r, 2).reachable).toBe(true);
  });

  it.each<[string, Parameters<typeof catchAll>[1], boolean, boolean]>([
    ['a header route', { match: [{ headers: { 'x-cid': { exact: 'a' } } }] }, true, false],
    ['a source namespace route', { match: [{ sourceNamespace: 'qa' }] }, true, false],
    ['a header entry or everything', { match: [{ headers: { 'x-cid': { exact: 'a' } } }, { uri: { prefix: '/' } }] }, false, true],
    ['a path route', { match: [{ uri: { prefix: '/api' } }] }, false, false],
  ])('reports %s as targeted %j and catch-all %j', (_, extra, targeted, isCatchAllRoute) => {
    const r = report(state({ virtualServices: [virtualService({ http: [catchAll([to('1')], extra), catchAll([to('1')], { match: null })] })] }));
    expect(route(r, 0)).toMatchObject({ targeted, catchAll: isCatchAllRoute });
  });

  it('reports readiness through the Service\'s selector: pods of another app with the subset labels do not count', () => {
    const s = state({
      destinationRules: [destinationRule({ subsets: [{ name: 'v1', labels: { version: 'v1' } }] })],
      virtualServices: [virtualService({ http: [catchAll([to('1', undefined, { subset: 'v1' })])] })],
      workloads: [workload({ app: 'ratings', version: 'v1' }, 4), workload({ app: 'api-domain', version: 'v1' }, 1)],
    });
    expect(route(report(s), 0).destinations[0]?.readyPods).toBe(1);
  });

  it('passes the store\'s notes (an RBAC fallback) on as report warnings', () => {
    expect(report(state({ notes: ['listed VirtualServices of namespace default only (403 across namespaces)'] })).warnings).toEqual(['listed VirtualServices of namespace default only (403 across namespaces)']);
  });
});
