/**
 * Issue 6, "What is wrong today": each case that is a planner or `show` behaviour, on the objects
 * users really have (Istio's bookinfo and helloworld samples, a gateway VirtualService in
 * istio-system, Flagger- and Argo Rollouts-style VirtualServices).
 */
import { describe, expect, it } from 'vitest';
import { NotFoundError, PlanRefusedError } from '../errors.js';
import type { Plan } from './changes.js';
import type { HTTPRoute, VirtualService } from './istio.js';
import { planClear } from './plan-clear.js';
import { planRollback } from './plan-rollback.js';
import { planShift } from './plan-shift.js';
import type { RoutingState } from './state.js';
import { isCatchAll } from './route-model.js';
import { buildTrafficReport } from './show.js';
import {
  applyPlan,
  argoRollout,
  bookinfo,
  bookinfoGateway,
  bookinfoWorkloads,
  deepFreeze,
  dest,
  flagger,
  helloworld,
  missingSubsets,
  routesOf,
  sampleDestinationRule,
  sampleVirtualService,
  service,
  shift,
  state,
  subsetNames,
  written,
} from './testing.js';

const REVIEWS_FQDN = 'reviews.default.svc.cluster.local';
const MANAGED_REVIEWS = { name: 'reviews-2-default', labels: { app: 'reviews', build: '2' } };

function vsNamed(s: RoutingState, name: string): VirtualService {
  const vs = s.virtualServices.find((v) => v.metadata.name === name);
  if (vs === undefined) throw new Error(`no VirtualService ${name}`);
  return vs;
}

/** The bookinfo gateway VirtualService kept in istio-system, sending `/reviews` to a reviews subset by its full name. */
function gatewayUsingReviews(subset: string, form: 'route' | 'mirrors' = 'route'): VirtualService {
  const route: HTTPRoute =
    form === 'route'
      ? { match: [{ uri: { prefix: '/reviews' } }], route: [dest(REVIEWS_FQDN, subset, undefined, 9080)] }
      : { match: [{ uri: { prefix: '/reviews' } }], route: [dest(REVIEWS_FQDN, 'v1', undefined, 9080)], mirrors: [{ destination: { host: REVIEWS_FQDN, subset }, percentage: { value: 10 } }] };
  return bookinfoGateway({ namespace: 'istio-system', host: 'productpage.default.svc.cluster.local', extra: [route] });
}

const reviewsShift = (build: string, traffic: { weight: number } | { headers: Record<string, string> }) =>
  shift(build, { host: 'reviews', port: 9080, podSelector: { app: 'reviews', build }, ...traffic });

describe('1. clear and rollback keep a subset that a VirtualService in another namespace still uses', () => {
  it('rollback of reviews v2 by its pod labels keeps subset v2, which the gateway VirtualService in istio-system uses', () => {
    const s = bookinfo({ otherVirtualServices: [gatewayUsingReviews('v2')] });
    const p = planRollback(deepFreeze(s), { by: 'pods', podSelector: { version: 'v2' } });
    expect(routesOf(written(p, 'VirtualService', 'reviews'))).toEqual([{ route: [dest('reviews', 'v1')] }]);
    // -p version=v2 names every subset labelled exactly version=v2: details' and ratings' unused v2 go, reviews' stays.
    expect(p.writes.map((w) => w.after.metadata.name)).toEqual(['reviews', 'ratings', 'details']);
    expect(p.warnings.join('\n')).toMatch(/kept subset v2 of DestinationRule default\/reviews: still used by VirtualService istio-system\/bookinfo/);
    expect(missingSubsets(applyPlan(s, p))).toEqual([]);
  });

  it('the same rollback without the gateway VirtualService removes subset v2 (the check is what keeps it)', () => {
    const p = planRollback(deepFreeze(bookinfo({ otherVirtualServices: [] })), { by: 'pods', podSelector: { version: 'v2' } });
    expect(subsetNames(written(p, 'DestinationRule', 'reviews'))).toEqual(['v1', 'v3']);
  });

  it('rollback of a managed build keeps its subset for the gateway VirtualService in istio-system', () => {
    const s = bookinfo({ reviews: [{ route: [dest('reviews', 'v1', 90), dest('reviews', MANAGED_REVIEWS.name, 10)] }], reviewsSubsets: [MANAGED_REVIEWS], otherVirtualServices: [gatewayUsingReviews(MANAGED_REVIEWS.name)] });
    const p = planRollback(deepFreeze(s), { by: 'build', build: '2', destination: { host: 'reviews', port: 9080 } });
    expect(routesOf(written(p, 'VirtualService', 'reviews'))).toEqual([{ route: [dest('reviews', 'v1', 100)] }]);
    expect(p.writes.some((w) => w.after.kind === 'DestinationRule')).toBe(false);
    expect(missingSubsets(applyPlan(s, p))).toEqual([]);
  });

  it.each(['soft', 'hard'] as const)('a %s clear keeps a managed subset used only by the gateway VirtualService in istio-system, through a route or a mirrors entry', (mode) => {
    for (const form of ['route', 'mirrors'] as const) {
      const s = bookinfo({ reviewsSubsets: [MANAGED_REVIEWS], otherVirtualServices: [gatewayUsingReviews(MANAGED_REVIEWS.name, form)], workloads: bookinfoWorkloads('default', [{ ref: 'x', namespace: 'default', podLabels: { app: 'reviews', build: '2' }, readyPods: 1 }]) });
      const p = planClear(deepFreeze(s), { mode });
      const reviewsDr = p.writes.find((w) => w.after.kind === 'DestinationRule' && w.after.metadata.name === 'reviews');
      expect(reviewsDr, form).toBeUndefined();
      expect(missingSubsets(applyPlan(s, p)), form).toEqual([]);
    }
  });

  it('a clear removes that managed subset when nothing in any namespace uses it, and never the hand-written ones', () => {
    const s = bookinfo({ reviewsSubsets: [MANAGED_REVIEWS], otherVirtualServices: [bookinfoGateway({ namespace: 'istio-system', host: 'productpage.default.svc.cluster.local' })] });
    const p = planClear(deepFreeze(s), { mode: 'soft' });
    expect(subsetNames(written(p, 'DestinationRule', 'reviews'))).toEqual(['v1', 'v2', 'v3']);
    expect(p.writes.map((w) => w.after.metadata.name)).toEqual(['reviews']);
  });
});

describe('2. a header shift on a VirtualService serving several services reaches the build only for its own paths', () => {
  const shop = (): RoutingState =>
    state({
      namespace: 'shop',
      virtualServices: [
        sampleVirtualService(
          'shop',
          [
            { match: [{ uri: { prefix: '/api' } }], route: [dest('api', undefined, undefined, 80)] },
            { match: [{ uri: { prefix: '/' } }], route: [dest('web', undefined, undefined, 80)] },
          ],
          { namespace: 'shop', hosts: ['shop.example.com'], gateways: ['istio-system/public'] },
        ),
      ],
      destinationRules: [sampleDestinationRule('api', ['v1'], { namespace: 'shop' }), sampleDestinationRule('web', ['v1'], { namespace: 'shop' })],
      services: [service('api', { app: 'api' }, 'shop'), service('web', { app: 'web' }, 'shop')],
      workloads: [{ ref: 'Deployment shop/api-7', namespace: 'shop', podLabels: { app: 'api', build: '7' }, readyPods: 1 }],
    });

  it('puts the managed route in front of /api only, matching /api and the headers: testers\' / and /static requests still reach web', () => {
    const p = planShift(deepFreeze(shop()), shift('7', { host: 'api', port: 80, podSelector: { app: 'api', build: '7' }, headers: { 'x-cid': 'qa' } }));
    const routes = routesOf(written(p, 'VirtualService', 'shop'));
    expect(routes).toEqual([
      { name: 'api-7-shop', match: [{ uri: { prefix: '/api' }, headers: { 'x-cid': { exact: 'qa' } } }], route: [{ destination: { host: 'api', port: { number: 80 }, subset: 'api-7-shop' }, weight: 100 }] },
      { match: [{ uri: { prefix: '/api' } }], route: [dest('api', undefined, undefined, 80)] },
      { match: [{ uri: { prefix: '/' } }], route: [dest('web', undefined, undefined, 80)] },
    ]);
    expect(routes.filter((r) => isCatchAll(r) && r.route?.some((d) => d.destination.subset === 'api-7-shop'))).toEqual([]);
  });

  it('a weight shift of api leaves the route of web alone and adds no route', () => {
    const p = planShift(deepFreeze(shop()), shift('7', { host: 'api', port: 80, podSelector: { app: 'api', build: '7' }, weight: 10 }));
    const routes = routesOf(written(p, 'VirtualService', 'shop'));
    expect(routes).toHaveLength(2);
    expect(routes[1]).toEqual({ match: [{ uri: { prefix: '/' } }], route: [dest('web', undefined, undefined, 80)] });
  });
});

describe('3. a weight shift moves traffic only to and from the build it names', () => {
  it('stable 40 / a 60 (Argo Rollouts-style): shifting build b 10 keeps stable and canary at 2:3, neither dropped', () => {
    const p = planShift(deepFreeze(argoRollout(40, 60)), shift('b', { host: 'rollouts-demo', port: 80, podSelector: { app: 'rollouts-demo', build: 'b' }, weight: 10 }));
    expect(routesOf(written(p, 'VirtualService', 'rollouts-demo'))).toEqual([
      { name: 'primary', route: [dest('rollouts-demo', 'stable', 36), dest('rollouts-demo', 'canary', 54), { destination: { host: 'rollouts-demo', port: { number: 80 }, subset: 'rollouts-demo-b-default' }, weight: 10 }] },
    ]);
    expect(p.changes.filter((c) => c.op === 'remove-destination')).toEqual([]);
  });

  it('a hand-written reviews v1 50 / v3 50 split keeps v3: shifting build 4 by 20 gives 40 / 40 / 20', () => {
    const s = bookinfo({ reviews: [{ route: [dest('reviews', 'v1', 50), dest('reviews', 'v3', 50)] }] });
    const p = planShift(deepFreeze(s), reviewsShift('4', { weight: 20 }));
    expect(routesOf(written(p, 'VirtualService', 'reviews'))).toEqual([
      { route: [dest('reviews', 'v1', 40), dest('reviews', 'v3', 40), { destination: { host: 'reviews', port: { number: 9080 }, subset: 'reviews-4-default' }, weight: 20 }] },
    ]);
  });

  it('helloworld v1 50 / v2 50: a canary of 10 leaves 45 / 45, and its promotion then drops both and reports them', () => {
    const req = (weight: number) => shift('3', { host: 'helloworld', port: 5000, podSelector: { app: 'helloworld', build: '3' }, weight });
    const s = helloworld({ workloads: [{ ref: 'Deployment default/helloworld-3', namespace: 'default', podLabels: { app: 'helloworld', build: '3' }, readyPods: 1 }] });
    const p = planShift(deepFreeze(s), req(10));
    expect(routesOf(written(p, 'VirtualService', 'helloworld'))[0]?.route?.map((d) => [d.destination.subset, d.weight])).toEqual([
      ['v1', 45],
      ['v2', 45],
      ['helloworld-3-default', 10],
    ]);
    const promoted = planShift(applyPlan(s, p), req(100));
    expect(routesOf(written(promoted, 'VirtualService', 'helloworld'))[0]?.route?.map((d) => [d.destination.subset, d.weight])).toEqual([['helloworld-3-default', 100]]);
    expect(promoted.changes.filter((c) => c.op === 'remove-destination').map((c) => c.message)).toEqual([expect.stringContaining('subset v1'), expect.stringContaining('subset v2')]);
  });

  it('never edits a Flagger-style route split between two Services: no route of either host', () => {
    const s = flagger(90, 10);
    expect(() => planShift(deepFreeze(s), shift('2', { host: 'podinfo-primary', port: 9898, podSelector: { app: 'podinfo-primary' }, weight: 10 }))).toThrow(NotFoundError);
    expect(planClear(deepFreeze(s), { mode: 'soft' }).writes).toEqual([]);
  });
});

describe('4. rollback of the build that carries most of a route is refused unless forced', () => {
  const eighty = () => bookinfo({ reviews: [{ route: [dest('reviews', MANAGED_REVIEWS.name, 80), dest('reviews', 'v1', 20)] }], reviewsSubsets: [MANAGED_REVIEWS] });
  const req = { by: 'build', build: '2', destination: { host: 'reviews', port: 9080 } } as const;

  it('refuses (overridable) naming the route, its weights and where the traffic would go', () => {
    let error: unknown;
    try {
      planRollback(deepFreeze(eighty()), req);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PlanRefusedError);
    expect((error as PlanRefusedError).overridable).toBe(true);
    expect((error as Error).message).toMatch(/default\/reviews.*80%.*catch-all route #0.*reviews-2-default 80, reviews subset v1 20.*reviews subset v1 100%/);
  });

  it('with force, gives the whole route to the rest and removes the subset', () => {
    const p = planRollback(deepFreeze(eighty()), req, { force: true });
    expect(routesOf(written(p, 'VirtualService', 'reviews'))).toEqual([{ route: [dest('reviews', 'v1', 100)] }]);
    expect(subsetNames(written(p, 'DestinationRule', 'reviews'))).toEqual(['v1', 'v2', 'v3']);
  });

  it('refuses the rollback of an Argo Rollouts stable subset at 80% by its pod labels', () => {
    const s = argoRollout(80, 20);
    expect(() => planRollback(deepFreeze(s), { by: 'pods', podSelector: { app: 'rollouts-demo', 'rollouts-pod-template-hash': '5c5d8d9b8d' } })).toThrow(PlanRefusedError);
  });

  it('rolls back exactly 50% without force (the interlock is "more than 50%")', () => {
    const s = helloworld();
    const p = planRollback(deepFreeze(s), { by: 'pods', podSelector: { version: 'v2' } });
    expect(routesOf(written(p, 'VirtualService', 'helloworld'))).toEqual([{ route: [dest('helloworld', 'v1', 100, 5000)] }]);
  });
});

describe('5. a weight shift on the bookinfo gateway VirtualService never appends a catch-all', () => {
  const world = () => bookinfo({ extraVirtualServices: [bookinfoGateway()], workloads: bookinfoWorkloads('default', [{ ref: 'x', namespace: 'default', podLabels: { app: 'productpage', build: '2' }, readyPods: 1 }]) });
  const req = shift('2', { host: 'productpage', port: 9080, podSelector: { app: 'productpage', build: '2' }, weight: 10 });

  it('gives the build 10% of the gateway\'s path route itself, and the gateway keeps exactly its one route', () => {
    const p = planShift(deepFreeze(world()), req);
    const routes = routesOf(written(p, 'VirtualService', 'bookinfo'));
    expect(routes).toHaveLength(1);
    expect(routes[0]?.match).toEqual(routesOf(bookinfoGateway())[0]?.match);
    expect(routes[0]?.route).toEqual([dest('productpage', undefined, 90, 9080), { destination: { host: 'productpage', port: { number: 9080 }, subset: 'productpage-2-default' }, weight: 10 }]);
    expect(routesOf(written(p, 'VirtualService', 'productpage'))[0]?.route?.map((d) => d.weight)).toEqual([90, 10]);
  });

  it('a header shift puts the testers\' route in front of the path route with each path entry and the headers', () => {
    const p = planShift(deepFreeze(world()), { ...req, traffic: { kind: 'headers', headers: { 'x-cid': 'qa' }, regex: false } });
    const routes = routesOf(written(p, 'VirtualService', 'bookinfo'));
    expect(routes).toHaveLength(2);
    expect(routes[0]?.match).toEqual([
      { uri: { exact: '/productpage' }, headers: { 'x-cid': { exact: 'qa' } } },
      { uri: { prefix: '/static' }, headers: { 'x-cid': { exact: 'qa' } } },
      { uri: { exact: '/login' }, headers: { 'x-cid': { exact: 'qa' } } },
      { uri: { exact: '/logout' }, headers: { 'x-cid': { exact: 'qa' } } },
      { uri: { prefix: '/api/v1/products' }, headers: { 'x-cid': { exact: 'qa' } } },
    ]);
    expect(routes.some(isCatchAll)).toBe(false);
  });
});

describe('6. a catch-all is any entry that matches everything, and an unreachable route is never edited', () => {
  const routes = (): HTTPRoute[] => [
    { match: [{ headers: { 'x-beta': { exact: '1' } } }, { uri: { prefix: '/' } }], route: [dest('reviews', 'v1')] },
    { match: [{ uri: { prefix: '/api' } }], route: [dest('reviews', 'v1')] },
    { route: [dest('reviews', 'v3')] },
  ];

  it('a weight shift edits the [{headers}, {uri prefix /}] route and not the routes after it', () => {
    const p = planShift(deepFreeze(bookinfo({ reviews: routes() })), reviewsShift('2', { weight: 10 }));
    const after = routesOf(written(p, 'VirtualService', 'reviews'));
    expect(after[0]?.route?.map((d) => [d.destination.subset, d.weight])).toEqual([
      ['v1', 90],
      ['reviews-2-default', 10],
    ]);
    expect(after.slice(1)).toEqual(routes().slice(1));
  });

  it('a header shift adds the headers alone in front of that catch-all, and nothing in front of the unreachable routes', () => {
    const p = planShift(deepFreeze(bookinfo({ reviews: routes() })), reviewsShift('2', { headers: { 'x-cid': 'qa' } }));
    const after = routesOf(written(p, 'VirtualService', 'reviews'));
    expect(after.map((r) => r.name ?? null)).toEqual(['reviews-2-default', null, null, null]);
    expect(after[0]?.match).toEqual([{ headers: { 'x-cid': { exact: 'qa' } } }]);
  });

  it('show reports the route as a catch-all and the routes after it as unreachable', () => {
    const r = buildTrafficReport(deepFreeze(bookinfo({ reviews: routes() })));
    const reviews = r.virtualServices.find((v) => v.name === 'reviews');
    expect(reviews?.http.map((h) => [h.catchAll, h.reachable])).toEqual([
      [true, true],
      [false, false],
      [true, false],
    ]);
  });

  it('a rollback removes the build from an unreachable route it alone fills, without refusing as for a promoted route', () => {
    const s = bookinfo({ reviews: [{ route: [dest('reviews', 'v1', 90), dest('reviews', MANAGED_REVIEWS.name, 10)] }, { route: [dest('reviews', MANAGED_REVIEWS.name)] }], reviewsSubsets: [MANAGED_REVIEWS] });
    const p = planRollback(deepFreeze(s), { by: 'build', build: '2', destination: { host: 'reviews', port: 9080 } });
    expect(routesOf(written(p, 'VirtualService', 'reviews'))).toEqual([{ route: [dest('reviews', 'v1', 100)] }]);
  });
});

describe('7. a destination host with a dot is taken literally, as Istio does', () => {
  it('-d reviews.bookinfo in namespace bookinfo is not reviews.bookinfo.svc.cluster.local: nothing is written', () => {
    const s = bookinfo({ namespace: 'bookinfo' });
    expect(() => planShift(deepFreeze(s), shift('2', { host: 'reviews.bookinfo', port: 9080, podSelector: { app: 'reviews', build: '2' }, weight: 10 }))).toThrow(NotFoundError);
  });

  it('-d reviews.bookinfo.svc.cluster.local finds the short-named objects and is written exactly as given', () => {
    const s = bookinfo({ namespace: 'bookinfo' });
    const p = planShift(deepFreeze(s), shift('2', { host: 'reviews.bookinfo.svc.cluster.local', port: 9080, podSelector: { app: 'reviews', build: '2' }, weight: 10 }));
    expect(routesOf(written(p, 'VirtualService', 'reviews'))[1]?.route?.[1]?.destination).toEqual({ host: 'reviews.bookinfo.svc.cluster.local', port: { number: 9080 }, subset: 'reviews-2-bookinfo' });
  });
});

describe('8. readiness counts only the pods the destination Service selects', () => {
  const detailsV2 = (weight: number) => shift('v2', { host: 'details', port: 9080, podSelector: { version: 'v2' }, weight });

  it('refuses a 50% shift of details to version=v2 although reviews-v2\'s pod (version=v2) is ready', () => {
    expect(() => planShift(deepFreeze(bookinfo()), detailsV2(50), { readinessPolicy: 'fail' })).toThrow(/no ready pods behind subset details-v2-default/);
  });

  it('lets it through once a details v2 pod is ready', () => {
    const s = bookinfo({ workloads: bookinfoWorkloads('default', [{ ref: 'Deployment default/details-v2', namespace: 'default', podLabels: { app: 'details', version: 'v2' }, readyPods: 1 }]) });
    expect(planShift(deepFreeze(s), detailsV2(50), { readinessPolicy: 'fail' }).writes).toHaveLength(2);
  });

  it('refuses when the only matching workload has no ready replicas', () => {
    const s = bookinfo({ workloads: bookinfoWorkloads('default', [{ ref: 'Deployment default/details-v2', namespace: 'default', podLabels: { app: 'details', version: 'v2' }, readyPods: 0 }]) });
    expect(() => planShift(deepFreeze(s), detailsV2(50), { readinessPolicy: 'fail' })).toThrow(PlanRefusedError);
  });

  it('show counts only reviews\' own pods behind reviews subset v1', () => {
    const workloads = bookinfoWorkloads('default').map((w) => ({ ...w, readyPods: w.podLabels['app'] === 'reviews' ? 2 : 5 }));
    const r = buildTrafficReport(deepFreeze(bookinfo({ workloads })));
    const reviews = r.virtualServices.find((v) => v.name === 'reviews');
    expect(reviews?.http[1]?.destinations[0]).toMatchObject({ subset: 'v1', readyPods: 2 });
  });
});

describe('9. the subset goes into one DestinationRule of the host, never one with a workloadSelector', () => {
  it('writes the subset only into the DestinationRule that applies to every client', () => {
    const scoped = sampleDestinationRule('reviews', ['v1'], { name: 'a-reviews-for-gateway', spec: { workloadSelector: { matchLabels: { istio: 'ingressgateway' } } } });
    const s = bookinfo();
    const p = planShift(deepFreeze({ ...s, destinationRules: [scoped, ...s.destinationRules] }), reviewsShift('2', { weight: 10 }));
    expect(p.writes.filter((w) => w.after.kind === 'DestinationRule').map((w) => w.after.metadata.name)).toEqual(['reviews']);
    expect(subsetNames(written(p, 'DestinationRule', 'reviews'))).toEqual(['v1', 'v2', 'v3', 'reviews-2-default']);
  });

  it('with two DestinationRules of the host, writes the subset into the one already holding managed subsets', () => {
    const managed = sampleDestinationRule('reviews', [], { name: 'reviews-canaries', extraSubsets: [{ name: 'reviews-1-default', labels: { app: 'reviews', build: '1' } }] });
    const s = bookinfo();
    const p = planShift(deepFreeze({ ...s, destinationRules: [...s.destinationRules, managed] }), reviewsShift('2', { weight: 10 }));
    expect(p.writes.filter((w) => w.after.kind === 'DestinationRule').map((w) => w.after.metadata.name)).toEqual(['reviews-canaries']);
  });
});

describe('10. the mirrors list (Istio 1.22+) counts everywhere a mirror does', () => {
  const mirrored = (subset: string, extra: HTTPRoute[] = []): HTTPRoute[] => [...extra, { route: [dest('reviews', 'v1')], mirrors: [{ destination: { host: 'reviews', subset }, percentage: { value: 20 } }, { destination: { host: 'reviews', subset: 'v3' } }] }];
  const world = (workloadReady = 1) =>
    bookinfo({
      reviews: mirrored(MANAGED_REVIEWS.name),
      reviewsSubsets: [MANAGED_REVIEWS],
      workloads: bookinfoWorkloads('default', [{ ref: 'Deployment default/reviews-2', namespace: 'default', podLabels: { app: 'reviews', build: '2' }, readyPods: workloadReady }]),
    });
  const onlyV3 = [{ route: [dest('reviews', 'v1')], mirrors: [{ destination: { host: 'reviews', subset: 'v3' } }] }];

  it('rollback removes the build\'s mirrors entry and then its subset, leaving no mirror to a removed subset', () => {
    const s = world();
    const p = planRollback(deepFreeze(s), { by: 'build', build: '2', destination: { host: 'reviews', port: 9080 } });
    expect(routesOf(written(p, 'VirtualService', 'reviews'))).toEqual(onlyV3);
    expect(subsetNames(written(p, 'DestinationRule', 'reviews'))).toEqual(['v1', 'v2', 'v3']);
    expect(missingSubsets(applyPlan(s, p))).toEqual([]);
  });

  it('a soft clear removes a mirrors entry to a subset without ready pods', () => {
    const p = planClear(deepFreeze(world(0)), { mode: 'soft' });
    expect(routesOf(written(p, 'VirtualService', 'reviews'))).toEqual(onlyV3);
  });

  it('a weight shift of the build removes its mirrors entry', () => {
    const p = planShift(deepFreeze(world()), reviewsShift('2', { weight: 10 }));
    expect(routesOf(written(p, 'VirtualService', 'reviews'))).toEqual([{ route: [dest('reviews', 'v1', 90), { destination: { host: 'reviews', port: { number: 9080 }, subset: MANAGED_REVIEWS.name }, weight: 10 }], mirrors: [{ destination: { host: 'reviews', subset: 'v3' } }] }]);
  });

  it('a clear keeps a managed subset used only through a mirrors entry', () => {
    const p = planClear(deepFreeze(world()), { mode: 'hard' });
    expect(p.writes).toEqual([]);
  });

  it('show reports every mirrors entry and warns about one to a missing subset', () => {
    const r = buildTrafficReport(deepFreeze(bookinfo({ reviews: mirrored('reviews-9-default') })));
    const route = r.virtualServices.find((v) => v.name === 'reviews')?.http[0];
    expect(route?.mirrors.map((m) => [m.subset, m.percentage, m.form])).toEqual([
      ['reviews-9-default', 20, 'mirrors'],
      ['v3', null, 'mirrors'],
    ]);
    expect(route?.mirror).toBeNull();
    expect(route?.warnings).toEqual([expect.stringMatching(/subset reviews-9-default is missing from DestinationRule default\/reviews/)]);
  });
});

describe('12. documents without a namespace belong to the command\'s namespace', () => {
  it('a weight shift on namespace-less bookinfo in -n bookinfo names the subset after bookinfo and writes the objects there', () => {
    const s = bookinfo({ namespace: 'bookinfo', namespaceLess: true, workloads: bookinfoWorkloads('bookinfo', [{ ref: 'x', namespace: 'bookinfo', podLabels: { app: 'reviews', build: '2' }, readyPods: 1 }]) });
    const p = planShift(deepFreeze(s), reviewsShift('2', { weight: 10 }));
    expect(subsetNames(written(p, 'DestinationRule', 'reviews'))).toContain('reviews-2-bookinfo');
    expect(routesOf(written(p, 'VirtualService', 'reviews'))[1]?.route?.[1]?.destination.subset).toBe('reviews-2-bookinfo');
    expect(new Set(p.changes.map((c) => c.namespace))).toEqual(new Set(['bookinfo']));
    expect(p.warnings).toEqual(['productpage', 'ratings', 'details'].map((n) => `skipped VirtualService bookinfo/${n}: no route to reviews.bookinfo.svc.cluster.local`));
  });

  it('rollback and clear on namespace-less bookinfo see the short hosts in -n bookinfo', () => {
    let s = bookinfo({ namespace: 'bookinfo', namespaceLess: true, workloads: bookinfoWorkloads('bookinfo', [{ ref: 'x', namespace: 'bookinfo', podLabels: { app: 'reviews', build: '2' }, readyPods: 1 }]) });
    s = applyPlan(s, planShift(s, reviewsShift('2', { weight: 10 })));
    const p = planRollback(deepFreeze(s), { by: 'build', build: '2', destination: { host: 'reviews', port: 9080 } });
    expect(routesOf(written(p, 'VirtualService', 'reviews'))).toEqual(reviewsJasonRoutesWith100());
    expect(subsetNames(written(p, 'DestinationRule', 'reviews'))).toEqual(['v1', 'v2', 'v3']);
    expect(planClear(deepFreeze(applyPlan(s, p)), { mode: 'soft' }).writes).toEqual([]);
  });
});

function reviewsJasonRoutesWith100(): HTTPRoute[] {
  return [{ match: [{ headers: { 'end-user': { exact: 'jason' } } }], route: [dest('reviews', 'v2')] }, { route: [dest('reviews', 'v1', 100)] }];
}

describe('13. a header shift warns about a build without ready pods', () => {
  it('writes the route and warns, even under the fail policy of a cluster', () => {
    const p: Plan = planShift(deepFreeze(bookinfo()), reviewsShift('9', { headers: { 'end-user': 'qa' } }), { readinessPolicy: 'fail' });
    expect(p.writes).toHaveLength(2);
    expect(p.warnings.filter((w) => !w.startsWith('skipped'))).toEqual([expect.stringMatching(/^warning: no ready pods behind subset reviews-9-default/)]);
    expect(routesOf(vsNamed(applyPlan(bookinfo(), p), 'reviews'))[1]?.name).toBe('reviews-9-default');
  });
});
