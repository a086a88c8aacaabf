import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../errors.js';
import type { DestinationRule, HTTPRoute, HTTPRouteDestination, VirtualService } from './istio.js';
import { PlanContext, chooseDestinationRule, ensureSubset, removeMirrors, removeShare, removeUnusedSubsets, setShare } from './edits.js';
import type { RoutingState } from './state.js';
import {
  catchAll,
  deepFreeze,
  dest,
  destination,
  destinationRule,
  sampleDestinationRule,
  sampleVirtualService,
  state,
  subset,
  subsetNames,
  subsetOf,
  to,
  virtualService,
  writeOrder,
  written,
} from './testing.js';

const API = 'api-domain.default.svc.cluster.local';
const REVIEWS = 'reviews.default.svc.cluster.local';

function ctxOf(s: RoutingState): PlanContext {
  return new PlanContext(deepFreeze(s));
}

function chosen(drs: DestinationRule[], subsetName = subsetOf('3'), host = API, namespace = 'default'): string {
  return chooseDestinationRule(ctxOf(state({ namespace, destinationRules: drs })), host, subsetName).metadata.name;
}

describe('chooseDestinationRule', () => {
  it('picks the one DestinationRule of the host', () => {
    expect(chosen([destinationRule({ name: 'other', host: 'other' }), destinationRule()])).toBe('api-domain');
  });

  it('never picks a DestinationRule with a workloadSelector (it applies to some clients only)', () => {
    const scoped = destinationRule({ name: 'a-scoped', subsets: ['1', '3'], spec: { workloadSelector: { matchLabels: { app: 'gateway' } } } });
    expect(chosen([scoped, destinationRule({ name: 'b-all', subsets: [] })])).toBe('b-all');
  });

  it('fails with NotFoundError naming the workloadSelector DestinationRule when it is the only one of the host', () => {
    const scoped = destinationRule({ name: 'scoped', spec: { workloadSelector: { matchLabels: { app: 'gateway' } } } });
    expect(() => chosen([scoped])).toThrow(NotFoundError);
    expect(() => chosen([scoped])).toThrow(/DestinationRule scoped applies only to the workloads it selects/);
  });

  it.each<[string, DestinationRule[], string]>([
    ['the one that already holds the subset', [destinationRule({ name: 'a', subsets: ['1'] }), destinationRule({ name: 'b', subsets: [] , spec: {} }), destinationRule({ name: 'c', subsets: ['3'] })], 'c'],
    ['else the one holding other managed subsets of the service', [destinationRule({ name: 'a', subsets: [{ name: 'v1', labels: { version: 'v1' } }] }), destinationRule({ name: 'b', subsets: ['2'] })], 'b'],
    ['else the first by name', [destinationRule({ name: 'zeta', subsets: [] }), destinationRule({ name: 'alpha', subsets: [{ name: 'v1' }] })], 'alpha'],
  ])('between two DestinationRules of one host picks %s', (_, drs, name) => {
    expect(chosen(drs)).toBe(name);
  });

  it('matches the host however each DestinationRule writes it', () => {
    expect(chosen([destinationRule({ name: 'fqdn', host: API, subsets: [] }), destinationRule({ name: 'other', host: 'api-domain.prod.svc.cluster.local' })])).toBe('fqdn');
  });

  it('does not take a DestinationRule of another namespace, even one naming the host in full', () => {
    expect(() => chosen([destinationRule({ namespace: 'istio-system', host: API })])).toThrow(NotFoundError);
  });

  it('does not take a dotted host for a short one: "api-domain.default" is another host to Istio', () => {
    expect(() => chosen([destinationRule({ host: 'api-domain.default' })])).toThrow(/found hosts: api-domain\.default/);
  });

  it('fails with NotFoundError saying no DestinationRule was selected', () => {
    expect(() => chosen([])).toThrow(/no DestinationRule was selected/);
  });
});

describe('ensureSubset', () => {
  const run = (dr: DestinationRule, labels: Record<string, string>) => {
    const ctx = ctxOf(state({ destinationRules: [dr] }));
    ensureSubset(ctx, dr, subsetOf('3'), labels);
    return ctx.finish();
  };

  it('adds the subset with the labels and writes the DestinationRule first', () => {
    const p = run(destinationRule(), { app: 'api-domain', build: '3' });
    expect(written(p, 'DestinationRule', 'api-domain').spec.subsets).toEqual([subset('1'), subset('3')]);
    expect(p.writes[0]?.addsSubsets).toBe(true);
    expect(p.changes.map((c) => c.op)).toEqual(['add-subset']);
  });

  it('relabels an existing subset, keeping its other fields', () => {
    const stale = subset('3', { build: 'old' }, { trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } });
    const p = run(destinationRule({ subsets: ['1', stale] }), { app: 'api-domain', build: '3' });
    expect(written(p, 'DestinationRule', 'api-domain').spec.subsets?.[1]).toEqual({ ...stale, labels: { app: 'api-domain', build: '3' } });
    expect(p.changes.map((c) => c.op)).toEqual(['update-subset']);
  });

  it('changes nothing when the subset already has exactly the labels, in any key order', () => {
    const p = run(destinationRule({ subsets: ['1', '3'] }), { build: '3', app: 'api-domain' });
    expect(p.writes).toEqual([]);
    expect(p.changes).toEqual([]);
  });
});

type Case = [string, HTTPRouteDestination[], string, number, HTTPRouteDestination[], string[]];

const isB = (name: string) => (d: HTTPRouteDestination) => d.destination.subset === name;

describe('setShare', () => {
  it.each<Case>([
    ['stable 40 / a 60, shifting b 10: stable and a keep their 2:3 ratio', [dest('api', 'stable', 40), dest('api', 'a', 60)], 'b', 10, [dest('api', 'stable', 36), dest('api', 'a', 54), dest('api', 'b', 10)], []],
    ['hand-written v1 50 / v3 50, shifting v4 20', [dest('reviews', 'v1', 50), dest('reviews', 'v3', 50)], 'v4', 20, [dest('reviews', 'v1', 40), dest('reviews', 'v3', 40), dest('reviews', 'v4', 20)], []],
    ['a lone destination without weight, shifting 10', [dest('api', 'v1')], 'b', 10, [dest('api', 'v1', 90), dest('api', 'b', 10)], []],
    ['the build already present keeps its position', [dest('api', 'b', 10), dest('api', 'v1', 90)], 'b', 50, [dest('api', 'b', 50), dest('api', 'v1', 50)], []],
    ['a share that rounds to 0 is dropped', [dest('api', 'v1', 99), dest('api', 'v2', 1)], 'b', 60, [dest('api', 'v1', 40), dest('api', 'b', 60)], ['v2']],
    ['a tie of remainders goes to the earlier destination', [dest('api', 'v1', 50), dest('api', 'v2', 50)], 'b', 1, [dest('api', 'v1', 50), dest('api', 'v2', 49), dest('api', 'b', 1)], []],
    ['100 promotes: the build is the only destination, the others dropped', [dest('api', 'v1', 70), dest('api', 'b', 30)], 'b', 100, [dest('api', 'b', 100)], ['v1']],
    ['weights summing to less than 100 are proportions', [dest('api', 'v1', 1), dest('api', 'v2', 3)], 'b', 20, [dest('api', 'v1', 20), dest('api', 'v2', 60), dest('api', 'b', 20)], []],
    ['a destination with weight 0 (Argo Rollouts\' idle canary) stays, at 0', [dest('api', 'stable', 100), dest('api', 'canary', 0)], 'b', 10, [dest('api', 'stable', 90), dest('api', 'canary', 0), dest('api', 'b', 10)], []],
  ])('%s', (_, before, build, percent, after, dropped) => {
    const result = setShare(deepFreeze(before), isB(build), { host: 'api', subset: build, ...(before[0]?.destination.host === 'reviews' ? { host: 'reviews' } : {}) }, percent);
    expect(result?.destinations).toEqual(after);
    expect(result?.dropped.map((d) => d.destination.subset)).toEqual(dropped);
    expect(result?.destinations.reduce((sum, d) => sum + (d.weight ?? 0), 0)).toBe(100);
  });

  it('returns undefined below 100 when the build is already the only destination (nothing to share the rest with)', () => {
    expect(setShare([dest('api', 'b')], isB('b'), { host: 'api', subset: 'b' }, 50)).toBeUndefined();
  });

  it('gives an existing build destination the new host and port, keeping its other fields', () => {
    const before: HTTPRouteDestination[] = [dest('api', 'v1', 90), { ...dest('api', 'b', 10, 5001), headers: { request: { set: { x: '1' } } } }];
    const result = setShare(before, isB('b'), { host: 'api.default.svc.cluster.local', port: { number: 5000 }, subset: 'b' }, 20);
    expect(result?.destinations[1]).toEqual({ destination: { host: 'api.default.svc.cluster.local', port: { number: 5000 }, subset: 'b' }, weight: 20, headers: { request: { set: { x: '1' } } } });
  });
});

describe('removeShare', () => {
  it.each<[string, HTTPRouteDestination[], string, HTTPRouteDestination[], number]>([
    ['a canary of 10% goes back to the lone other', [dest('api', 'v1', 90), dest('api', 'b', 10)], 'b', [dest('api', 'v1', 100)], 10],
    ['the weight goes back in proportion', [dest('api', 'v1', 50), dest('api', 'v2', 30), dest('api', 'b', 20)], 'b', [dest('api', 'v1', 63), dest('api', 'v2', 37)], 20],
    ['an 80% build reports its 80%', [dest('api', 'b', 80), dest('api', 'v1', 20)], 'b', [dest('api', 'v1', 100)], 80],
    ['weights are relative proportions', [dest('api', 'v1', 1), dest('api', 'b', 3)], 'b', [dest('api', 'v1', 100)], 75],
    ['a lone build without weight leaves nothing', [dest('api', 'b')], 'b', [], 100],
    ['a route without the build keeps its weights normalised', [dest('api', 'v1', 60), dest('api', 'v2', 40)], 'b', [dest('api', 'v1', 60), dest('api', 'v2', 40)], 0],
  ])('%s', (_, before, build, after, removedPercent) => {
    const result = removeShare(deepFreeze(before), isB(build));
    expect(result.destinations).toEqual(after);
    expect(result.removedPercent).toBeCloseTo(removedPercent, 6);
  });
});

describe('removeMirrors', () => {
  const isB3 = (d: { subset?: string }) => d.subset === subsetOf('3');

  it('removes the mirror form with its mirrorPercentage', () => {
    const route = catchAll([to('1')], { mirror: destination(subsetOf('3')), mirrorPercentage: { value: 10 } });
    const { route: after, removed } = removeMirrors(deepFreeze(route), isB3);
    expect(after).toEqual(catchAll([to('1')]));
    expect(removed).toEqual([destination(subsetOf('3'))]);
  });

  it('removes only the build\'s entry of the mirrors list', () => {
    const route = catchAll([to('1')], { mirrors: [{ destination: destination(subsetOf('3')), percentage: { value: 5 } }, { destination: destination(subsetOf('4')) }] });
    expect(removeMirrors(deepFreeze(route), isB3).route).toEqual(catchAll([to('1')], { mirrors: [{ destination: destination(subsetOf('4')) }] }));
  });

  it('removes a mirrors list left empty', () => {
    const route = catchAll([to('1')], { mirrors: [{ destination: destination(subsetOf('3')) }] });
    expect(removeMirrors(deepFreeze(route), isB3).route).toEqual(catchAll([to('1')]));
  });

  it('removes both forms at once and keeps other mirrors', () => {
    const route = catchAll([to('1')], { mirror: destination(subsetOf('4')), mirrors: [{ destination: destination(subsetOf('3')) }] });
    const { route: after, removed } = removeMirrors(deepFreeze(route), isB3);
    expect(after).toEqual(catchAll([to('1')], { mirror: destination(subsetOf('4')) }));
    expect(removed).toHaveLength(1);
  });

  it('returns the same route when no mirror goes', () => {
    const route = catchAll([to('1')], { mirror: destination(subsetOf('4')) });
    expect(removeMirrors(route, isB3).route).toBe(route);
  });
});

describe('removeUnusedSubsets', () => {
  const MANAGED = 'reviews-2-default';
  const reviewsWorld = (others: VirtualService[], extra: Partial<Parameters<typeof state>[0]> = {}) =>
    state({
      virtualServices: [sampleVirtualService('reviews', [{ route: [dest('reviews', 'v1')] }])],
      destinationRules: [sampleDestinationRule('reviews', ['v1', 'v2', 'v3'], { extraSubsets: [{ name: MANAGED, labels: { app: 'reviews', build: '2' } }] })],
      otherVirtualServices: others,
      ...extra,
    });
  const gatewayTo = (host: string, subsetName: string, form: 'route' | 'mirror' | 'mirrors' = 'route'): VirtualService => {
    const route: HTTPRoute =
      form === 'route'
        ? { match: [{ uri: { prefix: '/reviews' } }], route: [dest(host, subsetName, undefined, 9080)] }
        : form === 'mirror'
          ? { match: [{ uri: { prefix: '/reviews' } }], route: [dest(host, 'v1', undefined, 9080)], mirror: { host, subset: subsetName } }
          : { match: [{ uri: { prefix: '/reviews' } }], route: [dest(host, 'v1', undefined, 9080)], mirrors: [{ destination: { host, subset: subsetName } }] };
    return sampleVirtualService('bookinfo-gateway', [route], { namespace: 'istio-system', hosts: ['bookinfo.example.com'], gateways: ['bookinfo-gateway'] });
  };
  const run = (s: RoutingState, handWrittenToo = false) => {
    const ctx = ctxOf(s);
    removeUnusedSubsets(ctx, () => true, { handWrittenToo, noteKept: true });
    return ctx.finish();
  };

  it.each(['route', 'mirror', 'mirrors'] as const)('keeps a managed subset that a gateway VirtualService in istio-system uses through its %s, by the full host', (form) => {
    const p = run(reviewsWorld([gatewayTo(REVIEWS, MANAGED, form)]));
    expect(p.writes).toEqual([]);
    expect(p.warnings).toEqual([expect.stringMatching(new RegExp(`kept subset ${MANAGED} .*istio-system/bookinfo-gateway`))]);
  });

  it('removes a managed subset that the gateway names by a short host, which resolves to istio-system', () => {
    const p = run(reviewsWorld([gatewayTo('reviews', MANAGED)]));
    expect(subsetNames(written(p, 'DestinationRule', 'reviews'))).toEqual(['v1', 'v2', 'v3']);
  });

  it('never removes hand-written subsets (v2, v3 unused here) unless asked', () => {
    expect(run(reviewsWorld([])).changes.map((c) => c.message)).toEqual([`remove subset ${MANAGED}`]);
    expect(subsetNames(written(run(reviewsWorld([]), true), 'DestinationRule', 'reviews'))).toEqual(['v1']);
  });

  it('keeps a hand-written subset the gateway uses even when asked to remove hand-written ones', () => {
    const p = run(reviewsWorld([gatewayTo(REVIEWS, 'v2')]), true);
    expect(subsetNames(written(p, 'DestinationRule', 'reviews'))).toEqual(['v1', 'v2']);
  });

  it('counts the selected VirtualServices as the plan leaves them, not as read', () => {
    const s = reviewsWorld([], { virtualServices: [sampleVirtualService('reviews', [{ route: [dest('reviews', 'v1', 90), dest('reviews', MANAGED, 10)] }])] });
    const ctx = ctxOf(s);
    const vs = s.virtualServices[0] as VirtualService;
    ctx.setRoutes(vs, [{ route: [dest('reviews', 'v1', 100)] }]);
    removeUnusedSubsets(ctx, () => true, { handWrittenToo: false, noteKept: true });
    const p = ctx.finish();
    expect(subsetNames(written(p, 'DestinationRule', 'reviews'))).toEqual(['v1', 'v2', 'v3']);
    expect(writeOrder(p)).toEqual(['VirtualService/reviews', 'DestinationRule/reviews']);
  });

  it('does not count a stale cross-namespace copy of a selected VirtualService as a user', () => {
    const selected = sampleVirtualService('reviews', [{ route: [dest('reviews', 'v1', 90), dest('reviews', MANAGED, 10)] }]);
    const copy = sampleVirtualService('reviews', [{ route: [dest('reviews', 'v1', 90), dest('reviews', MANAGED, 10)] }]);
    const s = reviewsWorld([copy], { virtualServices: [selected] });
    const ctx = ctxOf(s);
    ctx.setRoutes(s.virtualServices[0] as VirtualService, [{ route: [dest('reviews', 'v1', 100)] }]);
    removeUnusedSubsets(ctx, () => true, { handWrittenToo: false, noteKept: true });
    expect(subsetNames(written(ctx.finish(), 'DestinationRule', 'reviews'))).not.toContain(MANAGED);
  });

  it('only removes the candidates it is given', () => {
    const ctx = ctxOf(reviewsWorld([]));
    removeUnusedSubsets(ctx, (_dr, name) => name === 'v3', { handWrittenToo: true, noteKept: true });
    expect(subsetNames(written(ctx.finish(), 'DestinationRule', 'reviews'))).toEqual(['v1', 'v2', MANAGED]);
  });

  it('treats a subset of the same name under another host as another subset', () => {
    const other = sampleVirtualService('ratings-gw', [{ route: [dest('ratings.default.svc.cluster.local', MANAGED)] }], { namespace: 'istio-system' });
    const p = run(reviewsWorld([other]));
    expect(subsetNames(written(p, 'DestinationRule', 'reviews'))).not.toContain(MANAGED);
  });
});

describe('PlanContext', () => {
  it('leaves the store\'s notes (an RBAC fallback) to the use case, which reports them once per command, not once per attempt', () => {
    const ctx = ctxOf(state({ notes: ['could not list VirtualServices in every namespace (403): checked namespace default only'], subsetUsersScope: 'namespace' }));
    expect(ctx.finish().warnings).toEqual([]);
  });

  it('writes nothing for an edit that leaves an object as it was', () => {
    const s = state({ virtualServices: [virtualService()] });
    const ctx = ctxOf(s);
    const vs = s.virtualServices[0] as VirtualService;
    ctx.setRoutes(vs, [...(vs.spec.http ?? [])]);
    expect(ctx.finish().writes).toEqual([]);
  });
});

describe('removeUnusedSubsets notes', () => {
  it('says nothing about a subset kept in use when told not to note it (clear)', () => {
    const s = state({ destinationRules: [destinationRule({ subsets: ['1', '3'] })] });
    const ctx = ctxOf(s);
    removeUnusedSubsets(ctx, () => true, { handWrittenToo: false, noteKept: false });
    const p = ctx.finish();
    expect(p.warnings).toEqual([]);
    expect(subsetNames(written(p, 'DestinationRule', 'api-domain'))).toEqual([subsetOf('1')]);
  });
});
