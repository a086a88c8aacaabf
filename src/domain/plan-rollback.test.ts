import { describe, expect, it } from 'vitest';
import { PlanRefusedError, UsageError } from '../errors.js';
import type { Plan } from './changes.js';
import { clone, type HTTPRoute, type HTTPRouteDestination, type VirtualService } from './istio.js';
import { planRollback } from './plan-rollback.js';
import type { RollbackRequest } from './requests.js';
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
  rollbackBuild,
  rollbackPods,
  routesOf,
  state,
  subset,
  subsetNames,
  subsetOf,
  to,
  virtualService,
  writeOrder,
  written,
  type StateOptions,
} from './testing.js';

const B3 = subsetOf('3');

function plan(s: RoutingState, req: RollbackRequest): Plan {
  return planRollback(deepFreeze(s), req);
}

/** A namespace where build 3 is under test: a header route, 10% of the catch-all and a mirror. */
function canary(opts: StateOptions = {}): RoutingState {
  return state({
    virtualServices: [
      virtualService({
        http: [
          headerRoute('3', { 'x-cid': 'seu_madruga' }),
          headerRoute('2', { 'x-cid': 'other' }),
          catchAll([to('1', 90), to('3', 10)], { mirror: destination(B3), mirrorPercentage: { value: 50 } }),
        ],
      }),
    ],
    destinationRules: [destinationRule({ subsets: ['1', '2', '3'] })],
    ...opts,
  });
}

const ROLLED_BACK: HTTPRoute[] = [headerRoute('2', { 'x-cid': 'other' }), catchAll([to('1', 100)])];

describe('planRollback', () => {
  it.each<[string, RollbackRequest]>([
    ['its pod selector', rollbackPods('3')],
    ['its pod selector in another key order', rollbackPods({ build: '3', app: 'api-domain' })],
    ['build and destination', rollbackBuild('3')],
    ['build and the fully qualified destination host', rollbackBuild('3', 'api-domain.default.svc.cluster.local')],
  ])('removes the header routes, the catch-all share, the mirror and then the subset of a build found by %s', (_, req) => {
    const p = plan(canary(), req);
    expect(routesOf(written(p, 'VirtualService', 'api-domain'))).toEqual(ROLLED_BACK);
    expect(subsetNames(written(p, 'DestinationRule', 'api-domain'))).toEqual([subsetOf('1'), subsetOf('2')]);
    expect(p.changes.map((c) => c.op).sort()).toEqual(['remove-mirror', 'remove-route', 'remove-subset', 'set-destinations']);
  });

  it('writes the VirtualService before the DestinationRule that loses the subset', () => {
    const p = plan(canary(), rollbackPods('3'));
    expect(writeOrder(p)).toEqual(['VirtualService/api-domain', 'DestinationRule/api-domain']);
    expect(p.writes.every((w) => !w.addsSubsets)).toBe(true);
  });

  it('gives the build\'s share of the catch-all back to every other destination in proportion, dropping none', () => {
    const s = canary({ virtualServices: [virtualService({ http: [catchAll([to('1', 80), to('3', 10), to('2', 10)])] })] });
    const p = plan(s, rollbackBuild('3'));
    expect(routesOf(written(p, 'VirtualService', 'api-domain'))).toEqual([catchAll([to('1', 89), to('2', 11)])]);
  });

  it('gives the removed share of a path route back in proportion, the tie of the rounding to the earlier destination', () => {
    const s = canary({ virtualServices: [virtualService({ http: [prefixRoute('/v2', [to('1', 50), to('2', 30), to('3', 20)]), catchAll([to('1')])] })] });
    const p = plan(s, rollbackBuild('3'));
    expect(routesOf(written(p, 'VirtualService', 'api-domain'))).toEqual([prefixRoute('/v2', [to('1', 63), to('2', 37)]), catchAll([to('1')])]);
  });

  it('removes the build from every selected VirtualService', () => {
    const s = canary({
      virtualServices: [
        virtualService({ http: [headerRoute('3', { 'x-cid': 'a' }), catchAll([to('1')])] }),
        virtualService({ name: 'api-mesh', hosts: ['api-domain'], http: [catchAll([to('1', 50), to('3', 50)], { match: null })] }),
      ],
    });
    const p = plan(s, rollbackPods('3'));
    expect(routesOf(written(p, 'VirtualService', 'api-domain'))).toEqual([catchAll([to('1')])]);
    expect(routesOf(written(p, 'VirtualService', 'api-mesh'))).toEqual([{ route: [to('1', 100)] }]);
  });

  it('keeps a subset that a VirtualService the selector did not pick still uses, and warns', () => {
    const other = virtualService({ name: 'api-internal', labels: { app: 'internal' }, http: [catchAll([to('1', 50), to('3', 50)])] });
    const p = plan(canary({ otherVirtualServices: [other] }), rollbackPods('3'));
    expect(writeOrder(p)).toEqual(['VirtualService/api-domain']);
    expect(p.warnings).toEqual([expect.stringMatching(new RegExp(`kept subset ${B3} .*api-internal`))]);
  });

  it('keeps a subset that an unselected VirtualService uses only through its mirror', () => {
    const other = virtualService({ name: 'api-internal', http: [catchAll([to('1')], { mirror: destination(B3) })] });
    const p = plan(canary({ otherVirtualServices: [other] }), rollbackPods('3'));
    expect(writeOrder(p)).toEqual(['VirtualService/api-domain']);
  });

  it.each([
    ['with weight 100', catchAll([to('3', 100)])],
    ['without weight', catchAll([to('3')])],
  ])('refuses when the build is the only destination of the catch-all route (%s)', (_, route) => {
    const s = canary({ virtualServices: [virtualService({ http: [route] })] });
    expect(() => plan(s, rollbackPods('3'))).toThrow(PlanRefusedError);
    expect(() => plan(s, rollbackPods('3'))).toThrow(/promoted/);
  });

  it('refuses to leave a VirtualService without HTTP routes', () => {
    const s = canary({ virtualServices: [virtualService({ http: [headerRoute('3', { 'x-cid': 'a' })] })] });
    expect(() => plan(s, rollbackBuild('3'))).toThrow(PlanRefusedError);
  });

  it('plans no writes when no subset has the pod labels, and says so', () => {
    const p = plan(canary(), rollbackPods('9'));
    expect(p.writes).toEqual([]);
    expect(p.changes).toEqual([]);
    expect(p.warnings.join('\n')).toMatch(/no subset .* labels app=api-domain,build=9/);
  });

  it('does not roll back every subset whose labels merely include the pod selector', () => {
    const p = plan(canary(), rollbackPods({ app: 'api-domain' }));
    expect(p.writes).toEqual([]);
  });

  it('plans no writes when the build is nowhere', () => {
    const p = plan(state(), rollbackBuild('3'));
    expect(p.writes).toEqual([]);
    expect(p.changes).toEqual([]);
  });

  it('only removes the subset when no route uses the build any more', () => {
    const p = plan(state({ destinationRules: [destinationRule({ subsets: ['1', '3'] })] }), rollbackBuild('3'));
    expect(writeOrder(p)).toEqual(['DestinationRule/api-domain']);
    expect(subsetNames(written(p, 'DestinationRule', 'api-domain'))).toEqual([subsetOf('1')]);
  });

  it('does not touch a subset of the same name in a DestinationRule of another host', () => {
    const s = canary({ destinationRules: [destinationRule({ subsets: ['1', '2', '3'] }), destinationRule({ name: 'ratings', host: 'ratings', subsets: ['3'] })] });
    const p = plan(s, rollbackBuild('3'));
    expect(writeOrder(p)).toEqual(['VirtualService/api-domain', 'DestinationRule/api-domain']);
  });

  it('rejects a build whose subset name is not a DNS-1123 label', () => {
    expect(() => plan(canary(), rollbackBuild('b'.repeat(60)))).toThrow(UsageError);
  });

  it('is idempotent: rolling back again plans nothing', () => {
    for (const req of [rollbackPods('3'), rollbackBuild('3')]) {
      const once = applyPlan(canary(), planRollback(canary(), req));
      expect(planRollback(once, req).writes).toEqual([]);
    }
  });

  it('leaves no VirtualService pointing at a removed subset', () => {
    expect(missingSubsets(applyPlan(canary(), plan(canary(), rollbackPods('3'))))).toEqual([]);
  });

  it('never mutates its input', () => {
    const s = canary();
    const copy = clone(s);
    expect(() => planRollback(deepFreeze(s), rollbackPods('3'))).not.toThrow();
    expect(s).toEqual(copy);
  });
});

describe('planRollback owns only what it touches (rule 7)', () => {
  it('changes only the removed routes, the catch-all destinations, the mirror and the subset', () => {
    const vs: VirtualService = virtualService({
      annotations: { 'team.example/owner': 'payments' },
      gateways: ['istio-system/public'],
      resourceVersion: '4711',
      spec: { exportTo: ['.'], tcp: [{ route: [{ destination: { host: 'api-domain', port: { number: 9000 } } }] }] },
      http: [
        headerRoute('3', { 'x-cid': 'a' }),
        prefixRoute('/static', [{ destination: { host: 'static' } }], { timeout: '1s' }),
        catchAll([to('1', 90), to('3', 10)], {
          retries: { attempts: 3, perTryTimeout: '2s' },
          timeout: '10s',
          corsPolicy: { allowOrigins: [{ exact: 'https://example.com' }] },
          mirror: destination(B3),
          mirrorPercentage: { value: 5 },
        }),
      ],
    });
    const dr = destinationRule({
      spec: { trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } },
      subsets: [subset('1', undefined, { trafficPolicy: { loadBalancer: { simple: 'LEAST_REQUEST' } } }), subset('3'), { name: 'unrelated', labels: { v: '0' } }],
    });
    const p = plan(state({ virtualServices: [vs], destinationRules: [dr] }), rollbackPods('3'));

    const expectedVs = clone(vs);
    const routes = expectedVs.spec.http as HTTPRoute[];
    const catchAllRoute = routes[2] as HTTPRoute;
    catchAllRoute.route = [to('1', 100)];
    delete catchAllRoute.mirror;
    delete catchAllRoute.mirrorPercentage;
    routes.shift();
    expect(written(p, 'VirtualService', 'api-domain')).toEqual(expectedVs);

    const expectedDr = clone(dr);
    expectedDr.spec.subsets = (dr.spec.subsets ?? []).filter((s) => s.name !== B3);
    expect(written(p, 'DestinationRule', 'api-domain')).toEqual(expectedDr);
  });
});

describe('planRollback interlock (a build with more than 50% of a route is most likely the stable version)', () => {
  const faultRoute = (route: HTTPRouteDestination[]): HTTPRoute => ({ name: 'istiops-fault-3f2a', match: [{ headers: { 'x-chaos': { exact: '1' } } }], fault: { delay: { fixedDelay: '5s', percentage: { value: 50 } } }, route });

  it.each<[string, HTTPRoute[]]>([
    ['a general route', [catchAll([to('3', 60), to('1', 40)])]],
    ['a path route', [prefixRoute('/api', [to('3', 51), to('1', 49)]), catchAll([to('1')])]],
    ['a managed fault route', [faultRoute([to('3', 80), to('1', 20)]), catchAll([to('1')])]],
  ])('refuses, overridably, when the build carries more than 50%% of %s', (_, http) => {
    const s = canary({ virtualServices: [virtualService({ http })] });
    let error: unknown;
    try {
      plan(s, rollbackBuild('3'));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PlanRefusedError);
    expect((error as PlanRefusedError).overridable).toBe(true);
    expect(planRollback(deepFreeze(s), rollbackBuild('3'), { force: true }).writes.length).toBeGreaterThan(0);
  });

  it('does not hold for a hand-written targeted route, whose requests are a few testers\'', () => {
    const testers: HTTPRoute = { match: [{ headers: { 'x-team': { exact: 'qa' } } }], route: [to('3', 80), to('1', 20)] };
    const s = canary({ virtualServices: [virtualService({ http: [testers, catchAll([to('1')])] })] });
    expect(routesOf(written(plan(s, rollbackBuild('3')), 'VirtualService', 'api-domain'))).toEqual([{ ...testers, route: [to('1', 100)] }, catchAll([to('1')])]);
  });

  it('counts weights as proportions: 3 of 4 is 75%', () => {
    const s = canary({ virtualServices: [virtualService({ http: [catchAll([to('3', 3), to('1', 1)])] })] });
    expect(() => plan(s, rollbackBuild('3'))).toThrow(/75%/);
  });

  it('writes nothing when one route of several is refused', () => {
    const s = canary({ virtualServices: [virtualService({ http: [headerRoute('3', { 'x-cid': 'a' }), catchAll([to('3', 90), to('1', 10)])] }), virtualService({ name: 'api-mesh', hosts: ['api-domain'], http: [catchAll([to('1', 90), to('3', 10)])] })] });
    expect(() => plan(s, rollbackBuild('3'))).toThrow(PlanRefusedError);
  });
});

describe('planRollback of a build of a service named in full in another namespace', () => {
  it('removes the subset it wrote, as for a short host', () => {
    const FQ = 'reviews.prod.svc.cluster.local';
    const s = state({
      virtualServices: [virtualService({ name: 'reviews-prod', hosts: [FQ], http: [catchAll([to('1', 90, { host: FQ, subset: 'v1' }), to('3', 10, { host: FQ, subset: 'reviews-3-default' })], { match: null })] })],
      destinationRules: [destinationRule({ name: 'reviews-prod', host: FQ, subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'reviews-3-default', labels: { app: 'reviews', build: '3' } }] })],
    });
    const p = plan(s, { by: 'build', build: '3', destination: { host: FQ, port: 9080 } });
    expect(routesOf(written(p, 'VirtualService', 'reviews-prod'))).toEqual([{ route: [to('1', 100, { host: FQ, subset: 'v1' })] }]);
    expect(subsetNames(written(p, 'DestinationRule', 'reviews-prod'))).toEqual(['v1']);
  });
});
