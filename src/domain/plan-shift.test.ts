import { describe, expect, it } from 'vitest';
import { NotFoundError, PlanRefusedError, UsageError } from '../errors.js';
import { orderWrites, type Plan, type PlannedWrite } from './changes.js';
import { clone, type DestinationRule, type HTTPRoute, type HTTPRouteDestination, type VirtualService } from './istio.js';
import { planShift } from './plan-shift.js';
import { classifyVirtualService } from './route-model.js';
import {
  CATCH_ALL_FORMS,
  applyPlan,
  catchAll,
  deepFreeze,
  destination,
  destinationRule,
  headerRoute,
  missingSubsets,
  prefixRoute,
  routesOf,
  shift,
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
import type { RoutingState } from './state.js';
import type { ShiftRequest } from './requests.js';

const B3 = subsetOf('3');

/** Plans on a deep-frozen state, so that any mutation of the input throws. */
function plan(s: RoutingState, req: ShiftRequest, policy: 'warn' | 'fail' = 'warn'): Plan {
  return planShift(deepFreeze(s), req, { readinessPolicy: policy });
}

function vsAfter(p: Plan, name = 'api-domain'): VirtualService {
  return written(p, 'VirtualService', name);
}

function withWorkloads(opts: StateOptions = {}): RoutingState {
  return state({ workloads: [workload('1', 2), workload('2', 1), workload('3', 1)], ...opts });
}

/** Plans, applies the plan, plans the same request again: the second plan must do nothing. */
function expectIdempotent(s: RoutingState, req: ShiftRequest): void {
  const first = planShift(s, req);
  const again = planShift(applyPlan(s, first), req);
  expect(again.writes).toEqual([]);
  expect(again.changes).toEqual([]);
}

describe('planShift by weight', () => {
  it('sends 10% to the build and 90% to the primary on the catch-all route', () => {
    const p = plan(withWorkloads(), shift('3', { weight: 10 }));
    expect(routesOf(vsAfter(p))).toEqual([catchAll([to('1', 90), to('3', 10)])]);
    expect(p.changes.map((c) => c.op)).toContain('set-destinations');
  });

  it('moves from 10% to 50% without adding a destination', () => {
    const s = withWorkloads({ virtualServices: [virtualService({ http: [catchAll([to('1', 90), to('3', 10)])] })], destinationRules: [destinationRule({ subsets: ['1', '3'] })] });
    const p = plan(s, shift('3', { weight: 50 }));
    expect(routesOf(vsAfter(p))).toEqual([catchAll([to('1', 50), to('3', 50)])]);
  });

  it('promotes at 100%: the build is the only destination and the old primary is dropped and reported', () => {
    const s = withWorkloads({ virtualServices: [virtualService({ http: [catchAll([to('1', 50), to('3', 50)])] })], destinationRules: [destinationRule({ subsets: ['1', '3'] })] });
    const p = plan(s, shift('3', { weight: 100 }));
    expect(routesOf(vsAfter(p))).toEqual([catchAll([to('3', 100)])]);
    const dropped = p.changes.filter((c) => c.op === 'remove-destination');
    expect(dropped).toHaveLength(1);
    expect(dropped[0]?.message).toContain(subsetOf('1'));
  });

  it('promotes straight from 0% to 100%', () => {
    const p = plan(withWorkloads(), shift('3', { weight: 100 }));
    expect(routesOf(vsAfter(p))).toEqual([catchAll([to('3', 100)])]);
  });

  it('keeps a second canary left from an earlier shift, sharing the rest in proportion instead of dropping it', () => {
    const s = withWorkloads({
      virtualServices: [virtualService({ http: [catchAll([to('1', 80), to('2', 20)])] })],
      destinationRules: [destinationRule({ subsets: ['1', '2'] })],
    });
    const p = plan(s, shift('3', { weight: 10 }));
    expect(routesOf(vsAfter(p))).toEqual([catchAll([to('1', 72), to('2', 18), to('3', 10)])]);
    expect(p.changes.filter((c) => c.op === 'remove-destination')).toEqual([]);
  });

  it.each<[string, HTTPRoute, number, HTTPRoute]>([
    ['the heavier destination listed second', catchAll([to('2', 30), to('1', 70)]), 10, catchAll([to('2', 27), to('1', 63), to('3', 10)])],
    ['the build already heavier than the other', catchAll([to('3', 60), to('1', 40)]), 70, catchAll([to('3', 70), to('1', 30)])],
    ['a lone destination without weight', catchAll([to('1')]), 70, catchAll([to('1', 30), to('3', 70)])],
  ])('keeps every other destination in its order and proportion (%s)', (_, before, weight, after) => {
    const s = withWorkloads({ virtualServices: [virtualService({ http: [before] })], destinationRules: [destinationRule({ subsets: ['1', '2', '3'] })] });
    expect(routesOf(vsAfter(plan(s, shift('3', { weight }))))).toEqual([after]);
  });

  it('drops and reports a destination whose proportional share rounds to 0', () => {
    const s = withWorkloads({
      virtualServices: [virtualService({ http: [catchAll([to('1', 99), to('2', 1)])] })],
      destinationRules: [destinationRule({ subsets: ['1', '2'] })],
    });
    const p = plan(s, shift('3', { weight: 60 }));
    expect(routesOf(vsAfter(p))).toEqual([catchAll([to('1', 40), to('3', 60)])]);
    const dropped = p.changes.filter((c) => c.op === 'remove-destination');
    expect(dropped).toHaveLength(1);
    expect(dropped[0]?.message).toContain(subsetOf('2'));
    expect(dropped[0]?.message).toMatch(/rounds to 0/);
  });

  it.each([
    ['with weight 100', catchAll([to('3', 100)])],
    ['without weight', catchAll([to('3')])],
  ])('refuses a share below 100% when the build is already promoted (%s)', (_, route) => {
    const s = withWorkloads({ virtualServices: [virtualService({ http: [route] })], destinationRules: [destinationRule({ subsets: ['3'] })] });
    expect(() => plan(s, shift('3', { weight: 50 }))).toThrow(PlanRefusedError);
  });

  it('plans nothing when the build is already promoted and 100% is asked again', () => {
    const s = withWorkloads({ virtualServices: [virtualService({ http: [catchAll([to('3', 100)])] })], destinationRules: [destinationRule({ subsets: ['3'] })] });
    const p = plan(s, shift('3', { weight: 100 }));
    expect(p.writes).toEqual([]);
    expect(p.changes).toEqual([]);
  });

  it.each(CATCH_ALL_FORMS)('edits a catch-all route with %s in place instead of appending one', (_, match) => {
    const route: HTTPRoute = match === undefined ? { route: [to('1')] } : { match, route: [to('1')] };
    const s = withWorkloads({ virtualServices: [virtualService({ http: [headerRoute('2', { 'x-cid': 'b' }), route] })], destinationRules: [destinationRule({ subsets: ['1', '2'] })] });
    const routes = routesOf(vsAfter(plan(s, shift('3', { weight: 10 }))));
    expect(routes).toHaveLength(2);
    expect(routes[1]).toEqual({ ...route, route: [to('1', 90), to('3', 10)] });
  });

  it('does not add a match to a catch-all route that has none', () => {
    const s = withWorkloads({ virtualServices: [virtualService({ http: [catchAll([to('1')], { match: null })] })] });
    const routes = routesOf(vsAfter(plan(s, shift('3', { weight: 10 }))));
    expect(routes).toEqual([{ route: [to('1', 90), to('3', 10)] }]);
  });

  it('refuses with NotFoundError when the only route of the host is targeted (uri regex ".+" and a header), never creating a catch-all', () => {
    const headerOnly: HTTPRoute = { match: [{ uri: { regex: '.+' }, headers: { 'x-region': { exact: 'eu' } } }], route: [to('1')] };
    const s = withWorkloads({ virtualServices: [virtualService({ http: [headerOnly] })] });
    expect(() => plan(s, shift('3', { weight: 10 }))).toThrow(NotFoundError);
    expect(() => plan(s, shift('3', { weight: 10 }))).toThrow(/never creates a catch-all/);
  });

  it('shifts the weight on a path route of the host when there is no catch-all, without adding any route', () => {
    const s = withWorkloads({ virtualServices: [virtualService({ http: [prefixRoute('/static', [to('1')])] })] });
    const p = plan(s, shift('3', { weight: 10 }));
    expect(routesOf(vsAfter(p))).toEqual([prefixRoute('/static', [to('1', 90), to('3', 10)])]);
    expect(p.changes.some((c) => c.op === 'add-route')).toBe(false);
  });

  it('edits the reachable routes of the host and never a route after another service\'s catch-all', () => {
    const other = catchAll([to('1', undefined, { host: 'other', subset: 'other-v1' })], { match: [{ uri: { prefix: '/' } }] });
    const s = withWorkloads({ virtualServices: [virtualService({ http: [prefixRoute('/api', [to('1')]), other, catchAll([to('1')])] })] });
    const routes = routesOf(vsAfter(plan(s, shift('3', { weight: 10 }))));
    expect(routes).toEqual([prefixRoute('/api', [to('1', 90), to('3', 10)]), other, catchAll([to('1')])]);
  });

  it('removes the header routes of the same build, named or left unnamed by the original tool', () => {
    const s = withWorkloads({
      virtualServices: [
        virtualService({
          http: [headerRoute('3', { 'x-cid': 'a' }), headerRoute('3', { 'x-id': '1' }, { name: null }), headerRoute('2', { 'x-cid': 'b' }), catchAll([to('1')])],
        }),
      ],
      destinationRules: [destinationRule({ subsets: ['1', '2', '3'] })],
    });
    const p = plan(s, shift('3', { weight: 10 }));
    expect(routesOf(vsAfter(p))).toEqual([headerRoute('2', { 'x-cid': 'b' }), catchAll([to('1', 90), to('3', 10)])]);
    expect(p.changes.filter((c) => c.op === 'remove-route')).toHaveLength(2);
  });

  it('removes the mirror of the same build and keeps the mirror of another build', () => {
    const mirrored = (build: string): HTTPRoute => catchAll([to('1')], { mirror: destination(subsetOf(build)), mirrorPercentage: { value: 20 } });
    const s = withWorkloads({
      virtualServices: [virtualService({ http: [mirrored('3')] }), virtualService({ name: 'api-internal', hosts: ['api-domain'], http: [mirrored('2')] })],
      destinationRules: [destinationRule({ subsets: ['1', '2', '3'] })],
    });
    const p = plan(s, shift('3', { weight: 10 }));
    expect(routesOf(vsAfter(p))).toEqual([catchAll([to('1', 90), to('3', 10)])]);
    expect(routesOf(vsAfter(p, 'api-internal'))).toEqual([{ ...mirrored('2'), route: [to('1', 90), to('3', 10)] }]);
    expect(p.changes.filter((c) => c.op === 'remove-mirror')).toHaveLength(1);
  });

  it('is idempotent: the same weight on its own result plans nothing', () => {
    const s = withWorkloads({ virtualServices: [virtualService({ http: [headerRoute('3', { 'x-cid': 'a' }), catchAll([to('1')])] })] });
    for (const weight of [10, 50, 100]) expectIdempotent(s, shift('3', { weight }));
  });

  it('writes the destination host exactly as given, even when the catch-all names it differently', () => {
    const fqdn = 'api-domain.default.svc.cluster.local';
    const s = withWorkloads({ virtualServices: [virtualService({ http: [catchAll([to('1', undefined, { host: fqdn })])] })] });
    const routes = routesOf(vsAfter(plan(s, shift('3', { weight: 10 }))));
    expect(routes).toEqual([catchAll([to('1', 90, { host: fqdn }), to('3', 10)])]);
  });
});

describe('planShift by headers', () => {
  it('adds a managed route named <service>-<build>-<namespace> first, sending matching requests 100% to the subset', () => {
    const p = plan(withWorkloads(), shift('3', { headers: { 'x-cid': 'seu_madruga' } }));
    expect(routesOf(vsAfter(p))).toEqual([
      { name: B3, match: [{ headers: { 'x-cid': { exact: 'seu_madruga' } } }], route: [{ destination: { host: 'api-domain', port: { number: 5000 }, subset: B3 }, weight: 100 }] },
      catchAll([to('1')]),
    ]);
    expect(p.changes.map((c) => c.op)).toEqual(['add-subset', 'add-route']);
  });

  it('places a managed route directly in front of each general route of the host, after the header routes of other builds', () => {
    const s = withWorkloads({
      virtualServices: [virtualService({ http: [headerRoute('2', { 'x-cid': 'b' }), prefixRoute('/api', [to('1')]), catchAll([to('1')])] })],
      destinationRules: [destinationRule({ subsets: ['1', '2'] })],
    });
    const routes = routesOf(vsAfter(plan(s, shift('3', { headers: { 'x-cid': 'a' } }))));
    expect(routes.map((r) => r.name ?? null)).toEqual([subsetOf('2'), B3, null, B3, null]);
    expect(routes[1]?.match).toEqual([{ uri: { prefix: '/api' }, headers: { 'x-cid': { exact: 'a' } } }]);
    expect(routes[3]?.match).toEqual([{ headers: { 'x-cid': { exact: 'a' } } }]);
  });

  it('matches all headers in one match entry (AND)', () => {
    const p = plan(withWorkloads(), shift('3', { headers: { 'x-cid': 'seu_madruga', 'x-account-id': '3' } }));
    expect(routesOf(vsAfter(p))[0]?.match).toEqual([{ headers: { 'x-account-id': { exact: '3' }, 'x-cid': { exact: 'seu_madruga' } } }]);
  });

  it('writes regex matches with -r', () => {
    const p = plan(withWorkloads(), shift('3', { headers: { 'x-id': '1|2|3|4' }, regex: true }));
    expect(routesOf(vsAfter(p))[0]?.match).toEqual([{ headers: { 'x-id': { regex: '1|2|3|4' } } }]);
  });

  it.each([
    ['exact', false],
    ['regex', true],
  ])('is idempotent (%s): the same request on its own result plans no writes and no changes', (_, regex) => {
    expectIdempotent(withWorkloads(), shift('3', { headers: { 'x-cid': 'a', 'x-account-id': '3' }, regex }));
  });

  it('replaces the match of the build\'s route in place when other headers are given', () => {
    const s = withWorkloads({
      virtualServices: [virtualService({ http: [headerRoute('2', { 'x-cid': 'b' }), headerRoute('3', { 'x-cid': 'a' }), catchAll([to('1')])] })],
      destinationRules: [destinationRule({ subsets: ['1', '2', '3'] })],
    });
    const p = plan(s, shift('3', { headers: { 'x-user': 'qa' }, regex: true }));
    expect(routesOf(vsAfter(p))).toEqual([headerRoute('2', { 'x-cid': 'b' }), headerRoute('3', { 'x-user': 'qa' }, { regex: true }), catchAll([to('1')])]);
    expect(p.changes.map((c) => c.op)).toEqual(['update-route']);
  });

  it('keeps the other fields of the build\'s route when replacing its match', () => {
    const own = { ...headerRoute('3', { 'x-cid': 'a' }), timeout: '5s', retries: { attempts: 3 } };
    const s = withWorkloads({ virtualServices: [virtualService({ http: [own, catchAll([to('1')])] })], destinationRules: [destinationRule({ subsets: ['1', '3'] })] });
    const routes = routesOf(vsAfter(plan(s, shift('3', { headers: { 'x-cid': 'b' } }))));
    expect(routes[0]).toEqual({ ...own, match: [{ headers: { 'x-cid': { exact: 'b' } } }] });
  });

  it.each<[string, HTTPRoute]>([
    ['headers only', headerRoute('3', { 'x-cid': 'a' }, { name: null, weight: null })],
    ['headers and uri regex ".+"', { match: [{ uri: { regex: '.+' }, headers: { 'x-cid': { exact: 'a' } } }], route: [to('3')] }],
  ])('recognises an unnamed route of the original tool to the subset (%s) and names it instead of adding another', (_, legacy) => {
    const s = withWorkloads({ virtualServices: [virtualService({ http: [legacy, catchAll([to('1')])] })], destinationRules: [destinationRule({ subsets: ['1', '3'] })] });
    const p = plan(s, shift('3', { headers: { 'x-cid': 'a' } }));
    expect(routesOf(vsAfter(p))).toEqual([headerRoute('3', { 'x-cid': 'a' }), catchAll([to('1')])]);
  });

  it('does not take the catch-all route of a promoted build for its header route', () => {
    const s = withWorkloads({ virtualServices: [virtualService({ http: [catchAll([to('3')])] })], destinationRules: [destinationRule({ subsets: ['3'] })] });
    const routes = routesOf(vsAfter(plan(s, shift('3', { headers: { 'x-cid': 'a' } }))));
    expect(routes).toEqual([headerRoute('3', { 'x-cid': 'a' }), catchAll([to('3')])]);
  });

  it('only warns when the build has no ready pods, even under the fail policy', () => {
    const p = plan(state(), shift('3', { headers: { 'x-cid': 'a' } }), 'fail');
    expect(p.writes).toHaveLength(2);
    expect(p.warnings.join('\n')).toMatch(/no ready pods/);
  });
});

describe('planShift across builds and steps', () => {
  it('keeps the routes of two builds shifted one after the other', () => {
    let s = withWorkloads();
    s = applyPlan(s, planShift(s, shift('2', { headers: { 'x-cid': 'b' } })));
    s = applyPlan(s, planShift(s, shift('3', { weight: 10 })));
    s = applyPlan(s, planShift(s, shift('3', { headers: { 'x-cid': 'c' } })));
    expect(routesOf(s.virtualServices[0] as VirtualService)).toEqual([headerRoute('2', { 'x-cid': 'b' }), headerRoute('3', { 'x-cid': 'c' }), catchAll([to('1', 90), to('3', 10)])]);
    expect(subsetNames(s.destinationRules[0] as DestinationRule)).toEqual([subsetOf('1'), subsetOf('2'), B3]);
  });

  it('records each change with the object it concerns', () => {
    const p = plan(withWorkloads(), shift('3', { weight: 10 }));
    expect(p.changes[0]).toEqual({ kind: 'DestinationRule', namespace: 'default', name: 'api-domain', op: 'add-subset', message: expect.stringContaining(B3) });
    expect(p.changes.at(-1)).toEqual({ kind: 'VirtualService', namespace: 'default', name: 'api-domain', op: 'set-destinations', message: expect.stringMatching(/90%.*10%/) });
  });

  it('moves a managed route stranded after the catch-all (where it can never match) before it', () => {
    const s = withWorkloads({ virtualServices: [virtualService({ http: [catchAll([to('1')]), headerRoute('3', { 'x-cid': 'a' })] })], destinationRules: [destinationRule({ subsets: ['1', '3'] })] });
    const p = plan(s, shift('3', { headers: { 'x-cid': 'a' } }));
    expect(routesOf(applyPlan(s, p).virtualServices[0] as VirtualService)).toEqual([headerRoute('3', { 'x-cid': 'a' }), catchAll([to('1')])]);
  });

  it('routes the weight to the port given in --destination when the build is already in the catch-all on another port', () => {
    const s = withWorkloads({ virtualServices: [virtualService({ http: [catchAll([to('1', 90), to('3', 10, { port: 5001 })])] })], destinationRules: [destinationRule({ subsets: ['1', '3'] })] });
    const p = plan(s, shift('3', { weight: 50 }));
    expect(routesOf(vsAfter(p))).toEqual([catchAll([to('1', 50), to('3', 50)])]);
  });
});

describe('planShift readiness (rule 5)', () => {
  it('refuses a weight shift towards a build without ready pods under the fail policy', () => {
    expect(() => plan(state(), shift('3', { weight: 10 }), 'fail')).toThrow(PlanRefusedError);
  });

  it('warns about a weight shift towards a build without ready pods under the warn policy', () => {
    const p = plan(state(), shift('3', { weight: 10 }), 'warn');
    expect(p.writes).toHaveLength(2);
    expect(p.warnings.join('\n')).toMatch(/no ready pods/);
  });

  it('shifts and notes that readiness is unknown when the manifests hold neither the Service nor the workload', () => {
    const p = plan(state({ readiness: 'manifests', workloads: [], services: [] }), shift('3', { weight: 10 }), 'fail');
    expect(p.writes).toHaveLength(2);
    expect(p.warnings).toEqual([expect.stringMatching(new RegExp(`readiness of subset ${B3} is unknown`))]);
  });

  it('says nothing about readiness when it was not read', () => {
    const p = plan(state({ readiness: 'none', workloads: [] }), shift('3', { weight: 10 }), 'fail');
    expect(p.writes).toHaveLength(2);
    expect(p.warnings).toEqual([]);
  });
});

describe('planShift DestinationRules', () => {
  it('adds the subset with the pod selector as labels', () => {
    const p = plan(withWorkloads(), shift('3', { weight: 10 }));
    const dr = written(p, 'DestinationRule', 'api-domain');
    expect(dr.spec.subsets).toEqual([subset('1'), { name: B3, labels: { app: 'api-domain', build: '3' } }]);
    expect(p.writes.find((w) => w.after.kind === 'DestinationRule')?.addsSubsets).toBe(true);
  });

  it('adds the subset to one DestinationRule of the host only, the first by name, however the host is written', () => {
    const s = withWorkloads({
      destinationRules: [
        destinationRule({ name: 'api-domain-fqdn', host: 'api-domain.default.svc.cluster.local', subsets: [] }),
        destinationRule({ subsets: [] }),
        destinationRule({ name: 'other', host: 'other', subsets: [] }),
      ],
    });
    const p = plan(s, shift('3', { weight: 10 }));
    expect(subsetNames(written(p, 'DestinationRule', 'api-domain'))).toEqual([B3]);
    expect(writeOrder(p)).toEqual(['DestinationRule/api-domain', 'VirtualService/api-domain']);
  });

  it('matches a DestinationRule host "reviews" in namespace default with the destination reviews.default.svc.cluster.local', () => {
    const s = withWorkloads({
      virtualServices: [virtualService({ http: [catchAll([to('1', undefined, { host: 'reviews', subset: 'reviews-1-default' })])] })],
      destinationRules: [destinationRule({ name: 'reviews', host: 'reviews', subsets: [] })],
    });
    const p = plan(s, shift('3', { weight: 10, host: 'reviews.default.svc.cluster.local' }));
    expect(subsetNames(written(p, 'DestinationRule', 'reviews'))).toEqual(['reviews-3-default']);
    expect(routesOf(vsAfter(p))[0]?.route?.[1]?.destination).toEqual({ host: 'reviews.default.svc.cluster.local', port: { number: 5000 }, subset: 'reviews-3-default' });
  });

  it('relabels an existing subset whose labels differ, keeping its other fields', () => {
    const stale = subset('3', { app: 'api-domain', build: 'old' }, { trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN' } } });
    const s = withWorkloads({ destinationRules: [destinationRule({ subsets: ['1', stale] })] });
    const p = plan(s, shift('3', { headers: { 'x-cid': 'a' } }));
    expect(written(p, 'DestinationRule', 'api-domain').spec.subsets).toEqual([subset('1'), { ...stale, labels: { app: 'api-domain', build: '3' } }]);
    expect(p.changes.map((c) => c.op)).toContain('update-subset');
  });

  it('does not write a DestinationRule whose subset is already right', () => {
    const s = withWorkloads({ destinationRules: [destinationRule({ subsets: ['1', '3'] })] });
    const p = plan(s, shift('3', { weight: 10 }));
    expect(writeOrder(p)).toEqual(['VirtualService/api-domain']);
  });

  it('fails with NotFoundError naming the hosts found when no selected DestinationRule has the host', () => {
    const s = withWorkloads({ destinationRules: [destinationRule({ name: 'ratings', host: 'ratings' }), destinationRule({ name: 'reviews', host: 'reviews.default.svc.cluster.local' })] });
    expect(() => plan(s, shift('3', { weight: 10 }))).toThrow(NotFoundError);
    expect(() => plan(s, shift('3', { weight: 10 }))).toThrow(/found hosts: ratings, reviews\.default\.svc\.cluster\.local/);
  });

  it('fails with NotFoundError when no DestinationRule was selected at all', () => {
    expect(() => plan(withWorkloads({ destinationRules: [] }), shift('3', { weight: 10 }))).toThrow(NotFoundError);
  });

  it('does not treat a DestinationRule of the same short name in another namespace as the host', () => {
    const s = withWorkloads({ destinationRules: [destinationRule({ namespace: 'prod' })] });
    expect(() => plan(s, shift('3', { weight: 10 }))).toThrow(NotFoundError);
  });
});

describe('planShift VirtualServices', () => {
  it('fails with NotFoundError when no selected VirtualService routes to the host', () => {
    const s = withWorkloads({ virtualServices: [virtualService({ http: [catchAll([to('1', undefined, { host: 'other', subset: 'o' })])] })] });
    expect(() => plan(s, shift('3', { weight: 10 }))).toThrow(NotFoundError);
    expect(() => plan(withWorkloads({ virtualServices: [] }), shift('3', { weight: 10 }))).toThrow(NotFoundError);
  });

  it('edits every VirtualService routing to the host and skips the others with a warning', () => {
    const elsewhere = virtualService({ name: 'ratings', hosts: ['ratings'], http: [catchAll([to('1', undefined, { host: 'ratings', subset: 'ratings-1-default' })])] });
    const s = withWorkloads({ virtualServices: [virtualService(), elsewhere, virtualService({ name: 'api-mesh', hosts: ['api-domain'] })] });
    const p = plan(s, shift('3', { weight: 10 }));
    expect(writeOrder(p)).toEqual(['DestinationRule/api-domain', 'VirtualService/api-domain', 'VirtualService/api-mesh']);
    expect(p.warnings).toEqual([expect.stringMatching(/skipped VirtualService default\/ratings/)]);
  });

  it('treats objects without a namespace (manifests) as in the command\'s namespace', () => {
    const s = state({
      namespace: 'team-a',
      virtualServices: [virtualService({ namespace: null, http: [catchAll([to('1', undefined, { subset: 'api-domain-1-team-a' })])] })],
      destinationRules: [destinationRule({ namespace: null, host: 'api-domain.team-a.svc.cluster.local', subsets: [] })],
      workloads: [workload('3', 1, 'team-a')],
    });
    const p = plan(s, shift('3', { weight: 10 }));
    expect(subsetNames(written(p, 'DestinationRule', 'api-domain'))).toEqual(['api-domain-3-team-a']);
    expect(routesOf(vsAfter(p))[0]?.route?.[1]?.destination.subset).toBe('api-domain-3-team-a');
    expect(new Set(p.changes.map((c) => c.namespace))).toEqual(new Set(['team-a']));
    expect(p.warnings).toEqual([]);
  });

  it('fails with a UsageError before planning when the subset name is too long', () => {
    expect(() => plan(withWorkloads(), shift('b'.repeat(60), { weight: 10 }))).toThrow(UsageError);
  });
});

describe('planShift write order (make before break)', () => {
  it.each([
    ['a header shift', shift('3', { headers: { 'x-cid': 'a' } })],
    ['a weight shift', shift('3', { weight: 10 })],
    ['a promotion', shift('3', { weight: 100 })],
  ])('writes the DestinationRule adding the subset before the VirtualService in %s', (_, req) => {
    const s = withWorkloads({ virtualServices: [virtualService(), virtualService({ name: 'api-mesh', hosts: ['api-domain'] })] });
    expect(writeOrder(plan(s, req))).toEqual(['DestinationRule/api-domain', 'VirtualService/api-domain', 'VirtualService/api-mesh']);
  });

  it('orderWrites puts subset-adding DestinationRules first, VirtualServices next, subset-removing DestinationRules last', () => {
    const vs = virtualService();
    const dr = destinationRule();
    const writes: PlannedWrite[] = [
      { before: dr, after: { ...dr, metadata: { ...dr.metadata, name: 'removes' } }, addsSubsets: false },
      { before: vs, after: vs, addsSubsets: false },
      { before: dr, after: { ...dr, metadata: { ...dr.metadata, name: 'adds' } }, addsSubsets: true },
    ];
    expect(orderWrites(writes).map((w) => w.after.metadata.name)).toEqual(['adds', 'api-domain', 'removes']);
    expect(writes.map((w) => w.after.metadata.name)).toEqual(['removes', 'api-domain', 'adds']);
  });
});

describe('planShift owns only what it touches (rule 7)', () => {
  const richVs = (): VirtualService =>
    virtualService({
      annotations: { 'team.example/owner': 'payments', 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
      gateways: ['istio-system/public', 'mesh'],
      resourceVersion: '4711',
      spec: {
        exportTo: ['.'],
        tcp: [{ match: [{ port: 9000 }], route: [{ destination: { host: 'api-domain', port: { number: 9000 } } }] }],
        tls: [{ match: [{ sniHosts: ['api.domain.io'] }], route: [{ destination: { host: 'api-domain', port: { number: 443 } } }] }],
      },
      http: [
        prefixRoute('/static', [to('1', undefined, { host: 'static', subset: 'static-1-default' })], { name: 'static', headers: { response: { set: { 'cache-control': 'max-age=60' } } } }),
        headerRoute('2', { 'x-cid': 'b' }),
        catchAll([to('1')], {
          name: 'primary',
          retries: { attempts: 3, perTryTimeout: '2s', retryOn: 'gateway-error,connect-failure' },
          timeout: '10s',
          corsPolicy: { allowOrigins: [{ exact: 'https://example.com' }], allowMethods: ['GET'] },
          headers: { request: { add: { 'x-served-by': 'istio' } } },
        }),
      ],
    });
  const richDr = () =>
    destinationRule({
      resourceVersion: '815',
      spec: { trafficPolicy: { connectionPool: { http: { http1MaxPendingRequests: 10 } }, tls: { mode: 'ISTIO_MUTUAL' } }, exportTo: ['.'] },
      subsets: [subset('1', undefined, { trafficPolicy: { loadBalancer: { simple: 'LEAST_REQUEST' } } }), subset('2'), { name: 'unrelated', labels: { version: 'v0' } }],
    });

  it('a weight shift changes only the catch-all destinations and appends the subset', () => {
    const vs = richVs();
    const dr = richDr();
    const p = plan(withWorkloads({ virtualServices: [vs], destinationRules: [dr] }), shift('3', { weight: 10 }));
    const afterVs = vsAfter(p);
    const expectedVs = clone(vs);
    (expectedVs.spec.http?.[2] as HTTPRoute).route = [to('1', 90), to('3', 10)];
    expect(afterVs).toEqual(expectedVs);
    const afterDr = written(p, 'DestinationRule', 'api-domain');
    const expectedDr = clone(dr);
    expectedDr.spec.subsets = [...(dr.spec.subsets ?? []), subset('3')];
    expect(afterDr).toEqual(expectedDr);
  });

  it('a header shift only inserts the managed route in front of the general route of the host', () => {
    const vs = richVs();
    const p = plan(withWorkloads({ virtualServices: [vs], destinationRules: [richDr()] }), shift('3', { headers: { 'x-cid': 'a' } }));
    const expectedVs = clone(vs);
    expectedVs.spec.http?.splice(2, 0, headerRoute('3', { 'x-cid': 'a' }));
    expect(vsAfter(p)).toEqual(expectedVs);
  });

  it('a promotion keeps the catch-all route\'s other fields', () => {
    const vs = richVs();
    const p = plan(withWorkloads({ virtualServices: [vs], destinationRules: [richDr()] }), shift('3', { weight: 100 }));
    const expectedVs = clone(vs);
    (expectedVs.spec.http?.[2] as HTTPRoute).route = [to('3', 100)];
    expect(vsAfter(p)).toEqual(expectedVs);
  });

  it('keeps the before object of each write identical to the input', () => {
    const vs = richVs();
    const p = plan(withWorkloads({ virtualServices: [vs], destinationRules: [richDr()] }), shift('3', { weight: 10 }));
    expect(p.writes.find((w) => w.after.kind === 'VirtualService')?.before).toEqual(richVs());
  });
});

describe('planShift purity', () => {
  it.each([
    ['a header shift', shift('3', { headers: { 'x-cid': 'a' } })],
    ['a weight shift', shift('3', { weight: 10 })],
    ['a promotion', shift('3', { weight: 100 })],
  ])('never mutates its input in %s', (_, req) => {
    const s = withWorkloads({
      virtualServices: [
        virtualService({
          http: [headerRoute('3', { 'x-cid': 'z' }, { name: null }), headerRoute('2', { 'x-cid': 'b' }), catchAll([to('1', 80), to('2', 10), to('3', 10)], { mirror: destination(B3) })],
        }),
      ],
      destinationRules: [destinationRule({ subsets: ['1', '2', subset('3', { stale: 'x' })] })],
    });
    const copy = clone(s);
    expect(() => planShift(deepFreeze(s), req)).not.toThrow();
    expect(s).toEqual(copy);
  });

  it('keeps every subset the written VirtualServices use in the written DestinationRules', () => {
    for (const req of [shift('3', { headers: { 'x-cid': 'a' } }), shift('3', { weight: 10 }), shift('3', { weight: 100 })]) {
      expect(missingSubsets(applyPlan(withWorkloads(), plan(withWorkloads(), req)))).toEqual([]);
    }
  });
});

// The property over random sequences of shift, rollback and clear lives in planners.property.test.ts.

describe('weight shift next to a catch-all route of another host', () => {
  it('refuses with NotFoundError instead of appending a catch-all route that could never match', () => {
    const vs = virtualService({
      http: [headerRoute('3', { 'x-cid': 'a' }), { route: [{ destination: { host: 'other-service' } }] }],
    });
    const s = state({ virtualServices: [vs] });
    expect(() => planShift(deepFreeze(s), shift('3', { weight: 10 }), { readinessPolicy: 'warn' })).toThrow(NotFoundError);
  });
});

describe('planShift never writes a header route that can never match without saying so', () => {
  /** True when the build's managed route is reachable in the VirtualService, or a warning says it is unreachable. */
  function reachableOrWarned(p: Plan, vsName: string, subsetName: string): boolean {
    const facts = classifyVirtualService(vsAfter(p, vsName), 'default');
    const own = facts.filter((f) => f.managed?.kind === 'header' && f.managed.subset === subsetName);
    return own.length > 0 && (own.every((f) => f.unreachable === undefined) || p.warnings.some((w) => w.includes(subsetName) && /unreachable|never match/.test(w)));
  }

  it('refuses to send the headers another build\'s managed route already receives: one of the two routes could never match', () => {
    const s = withWorkloads({ virtualServices: [virtualService({ http: [headerRoute('2', { 'x-cid': 'a' }), catchAll([to('1')])] })], destinationRules: [destinationRule({ subsets: ['1', '2'] })] });
    expect(() => plan(s, shift('3', { headers: { 'x-cid': 'a' } }))).toThrow(new RegExp(`already go to the header route of subset ${subsetOf('2')}`));
    expect(() => plan(s, shift('3', { headers: { 'x-cid': 'b' } }))).not.toThrow();
  });

  it('does not silently write a managed route behind a hand-written targeted route with the same conditions', () => {
    const qa: HTTPRoute = { match: [{ headers: { 'x-team': { exact: 'qa' } } }], route: [to('1', undefined, { host: 'other', subset: 'v2' })] };
    const s = withWorkloads({ virtualServices: [virtualService({ http: [qa, prefixRoute('/static', [to('1', undefined, { host: 'static', subset: 'v1' })]), catchAll([to('1')])] })] });
    const p = plan(s, shift('3', { headers: { 'x-team': 'qa' } }));
    expect(reachableOrWarned(p, 'api-domain', B3)).toBe(true);
  });
});

describe('planShift on routes the design singles out', () => {
  const faultRoute = (route: HTTPRouteDestination[]): HTTPRoute => ({
    name: 'istiops-fault-3f2a',
    match: [{ headers: { 'x-chaos': { exact: '1' } } }],
    fault: { abort: { httpStatus: 503, percentage: { value: 100 } } },
    route,
  });

  it('a managed fault route takes the new destinations of the general route it stands in front of', () => {
    const s = withWorkloads({ virtualServices: [virtualService({ http: [faultRoute([to('1')]), catchAll([to('1')])] })] });
    const routes = routesOf(vsAfter(plan(s, shift('3', { weight: 10 }))));
    expect(routes).toEqual([faultRoute([to('1', 90), to('3', 10)]), catchAll([to('1', 90), to('3', 10)])]);
  });

  it('a hand-written targeted route of the host keeps its destinations in a weight shift', () => {
    const beta: HTTPRoute = { match: [{ queryParams: { beta: { exact: '1' } } }], route: [to('2')] };
    const s = withWorkloads({ virtualServices: [virtualService({ http: [beta, catchAll([to('1')])] })], destinationRules: [destinationRule({ subsets: ['1', '2'] })] });
    expect(routesOf(vsAfter(plan(s, shift('3', { weight: 10 }))))).toEqual([beta, catchAll([to('1', 90), to('3', 10)])]);
  });

  it('skips with a warning a VirtualService whose routes of the host are all targeted, and shifts the others', () => {
    const targetedOnly = virtualService({ name: 'testers', hosts: ['api-domain'], http: [headerRoute('2', { 'x-cid': 'b' })] });
    const s = withWorkloads({ virtualServices: [virtualService(), targetedOnly], destinationRules: [destinationRule({ subsets: ['1', '2'] })] });
    const p = plan(s, shift('3', { weight: 10 }));
    expect(writeOrder(p)).toEqual(['DestinationRule/api-domain', 'VirtualService/api-domain']);
    expect(p.warnings).toEqual([expect.stringMatching(/skipped VirtualService default\/testers: its routes to api-domain\.default\.svc\.cluster\.local are all targeted/)]);
  });

  it('removes the build\'s mirror in both forms, keeping another build\'s entry of the mirrors list', () => {
    const route = catchAll([to('1')], {
      mirror: destination(B3),
      mirrorPercentage: { value: 10 },
      mirrors: [{ destination: destination(B3), percentage: { value: 5 } }, { destination: destination(subsetOf('2')) }],
    });
    const s = withWorkloads({ virtualServices: [virtualService({ http: [route] })], destinationRules: [destinationRule({ subsets: ['1', '2', '3'] })] });
    const p = plan(s, shift('3', { weight: 10 }));
    expect(routesOf(vsAfter(p))).toEqual([catchAll([to('1', 90), to('3', 10)], { mirrors: [{ destination: destination(subsetOf('2')) }] })]);
    expect(p.changes.filter((c) => c.op === 'remove-mirror')).toHaveLength(2);
  });

  it('gives every general route of the host the share, each keeping its own other destinations', () => {
    const s = withWorkloads({
      virtualServices: [virtualService({ http: [prefixRoute('/v2', [to('1', 50), to('2', 50)]), prefixRoute('/static', [to('1', undefined, { host: 'static', subset: 'v1' })]), catchAll([to('1')])] })],
      destinationRules: [destinationRule({ subsets: ['1', '2'] })],
    });
    const routes = routesOf(vsAfter(plan(s, shift('3', { weight: 20 }))));
    expect(routes[0]?.route).toEqual([to('1', 40), to('2', 40), to('3', 20)]);
    expect(routes[1]).toEqual(prefixRoute('/static', [to('1', undefined, { host: 'static', subset: 'v1' })]));
    expect(routes[2]?.route).toEqual([to('1', 80), to('3', 20)]);
  });

  it('a header shift does not widen a general route\'s entry that requires another value of the same header', () => {
    const general: HTTPRoute = { match: [{ headers: { 'x-cid': { exact: 'b' } } }, { uri: { prefix: '/api' } }], route: [to('1')] };
    const web = catchAll([to('1', undefined, { host: 'web', subset: 'v1' })], { match: [{ uri: { prefix: '/' } }] });
    const s = withWorkloads({ virtualServices: [virtualService({ http: [general, web] })] });
    const managed = routesOf(vsAfter(plan(s, shift('3', { headers: { 'x-cid': 'a' } }))))[0];
    // A tester's request for "/" with x-cid: a matched the web route before; it must not match the build's route now.
    expect(managed?.match?.some((m) => m.uri === undefined)).toBe(false);
  });
});

describe('planShift header routes and the targeted routes after them', () => {
  it('warns, naming it, about a targeted route the new managed route makes unreachable (same conditions)', () => {
    const later: HTTPRoute = { name: 'qa-api', match: [{ uri: { prefix: '/api' }, headers: { 'x-cid': { exact: 'a' } } }], route: [to('1', undefined, { host: 'other', subset: 'v1' })] };
    const s = withWorkloads({ virtualServices: [virtualService({ http: [prefixRoute('/api', [to('1')]), later, catchAll([to('1')])] })] });
    const p = plan(s, shift('3', { headers: { 'x-cid': 'a' } }));
    expect(routesOf(vsAfter(p)).map((r) => r.name ?? null)).toEqual([B3, null, 'qa-api', B3, null]);
    expect(p.warnings).toEqual([expect.stringMatching(/route "qa-api" #2 of VirtualService default\/api-domain is now unreachable/)]);
  });
});

describe('planShift towards a service of another namespace named in full', () => {
  /** A client-side VirtualService and DestinationRule in default for reviews of namespace prod. */
  const FQ = 'reviews.prod.svc.cluster.local';
  const prodReviews = (): RoutingState =>
    state({
      virtualServices: [virtualService({ name: 'reviews-prod', hosts: [FQ], http: [catchAll([to('1', undefined, { host: FQ, subset: 'v1' })], { match: null })] })],
      destinationRules: [destinationRule({ name: 'reviews-prod', host: FQ, subsets: [{ name: 'v1', labels: { version: 'v1' } }] })],
      readiness: 'none',
      workloads: [],
    });
  const req = (traffic: ShiftRequest['traffic']): ShiftRequest => ({ destination: { host: FQ, port: 9080 }, build: '3', podSelector: { app: 'reviews', build: '3' }, traffic });

  it('names the subset after the command\'s namespace and writes it into the DestinationRule of the namespace', () => {
    const p = plan(prodReviews(), req({ kind: 'weight', percent: 10 }));
    expect(subsetNames(written(p, 'DestinationRule', 'reviews-prod'))).toEqual(['v1', 'reviews-3-default']);
  });

  it('is idempotent for headers: the second run finds the route it wrote', () => {
    const s = prodReviews();
    const once = applyPlan(s, planShift(s, req({ kind: 'headers', headers: { 'x-cid': 'a' }, regex: false })));
    expect(planShift(once, req({ kind: 'headers', headers: { 'x-cid': 'a' }, regex: false })).writes).toEqual([]);
  });

  it('a weight shift removes the header route it wrote for the build', () => {
    const s = prodReviews();
    const once = applyPlan(s, planShift(s, req({ kind: 'headers', headers: { 'x-cid': 'a' }, regex: false })));
    const after = applyPlan(once, planShift(once, req({ kind: 'weight', percent: 10 })));
    expect(routesOf(after.virtualServices[0] as VirtualService).map((r) => r.name ?? null)).toEqual([null]);
  });
});
