import { describe, expect, it } from 'vitest';
import type { HTTPMatchRequest, HTTPRoute, VirtualService } from './istio.js';
import {
  FAULT_ROUTE_PREFIX,
  classifyRoutes,
  classifyVirtualService,
  describeRoute,
  effectiveWeight,
  generalRoutesOfHost,
  isCatchAll,
  isCatchAllEntry,
  mirrorsOf,
  routesOfHost,
  subsetUses,
} from './route-model.js';
import { CATCH_ALL_FORMS, catchAll, destination, headerRoute, prefixRoute, subsetOf, to, virtualService } from './testing.js';

function routeWith(match: HTTPMatchRequest[] | undefined): HTTPRoute {
  return match === undefined ? { route: [to('1')] } : { match, route: [to('1')] };
}

const facts = (routes: HTTPRoute[], ns = 'default') => classifyRoutes(routes, ns);
const API = 'api-domain.default.svc.cluster.local';

describe('catch-all routes', () => {
  it.each<[string, HTTPMatchRequest[] | undefined]>([
    ...CATCH_ALL_FORMS,
    ['uri prefix "/" with ignoreUriCase', [{ uri: { prefix: '/' }, ignoreUriCase: true }]],
    ['uri regex ".*" with a name and ignoreUriCase', [{ name: 'all', uri: { regex: '.*' }, ignoreUriCase: false }]],
    ['an empty match entry', [{}]],
    ['a named empty entry', [{ name: 'everything' }]],
    ['a header entry OR a uri prefix "/" entry (entries are alternatives)', [{ headers: { 'x-cid': { exact: 'a' } } }, { uri: { prefix: '/' } }]],
    ['a path entry OR an empty entry', [{ uri: { prefix: '/api' } }, {}]],
  ])('recognises a route with %s as a catch-all', (_, match) => {
    expect(isCatchAll(routeWith(match))).toBe(true);
    expect(facts([routeWith(match)])[0]?.catchAll).toBe(true);
  });

  it.each<[string, HTTPMatchRequest[]]>([
    ['uri regex ".+" and a header in one entry (AND)', [{ uri: { regex: '.+' }, headers: { 'x-cid': { exact: 'a' } } }]],
    ['a header only', [{ headers: { 'x-cid': { exact: 'a' } } }]],
    ['uri prefix "/api"', [{ uri: { prefix: '/api' } }]],
    ['uri exact "/"', [{ uri: { exact: '/' } }]],
    ['uri regex "/.+"', [{ uri: { regex: '/.+' } }]],
    ['uri prefix "/" and a method', [{ uri: { prefix: '/' }, method: { exact: 'GET' } }]],
    ['uri prefix "/" and a port', [{ uri: { prefix: '/' }, port: 8080 }]],
    ['uri prefix "/" and a gateway', [{ uri: { prefix: '/' }, gateways: ['mesh'] }]],
    ['a uri with two string matches', [{ uri: { prefix: '/', exact: '/' } }]],
    ['two path entries', [{ uri: { prefix: '/a' } }, { uri: { prefix: '/b' } }]],
  ])('does not take a route with %s for a catch-all', (_, match) => {
    expect(isCatchAll(routeWith(match))).toBe(false);
  });

  it.each<[HTTPMatchRequest, boolean]>([
    [{}, true],
    [{ uri: { prefix: '/' } }, true],
    [{ uri: { regex: '.+' }, ignoreUriCase: true, name: 'x' }, true],
    [{ sourceNamespace: 'istio-system' }, false],
  ])('isCatchAllEntry(%j) is %j', (entry, expected) => {
    expect(isCatchAllEntry(entry)).toBe(expected);
  });
});

describe('reachable routes', () => {
  it('marks every route after the first catch-all as unreachable, naming the catch-all', () => {
    const f = facts([prefixRoute('/api', [to('1')]), catchAll([to('1')], { match: [{ headers: { a: { exact: 'b' } } }, { uri: { prefix: '/' } }] }), headerRoute('2', { x: 'y' }), catchAll([to('1')])]);
    expect(f.map((x) => x.unreachable)).toEqual([undefined, undefined, { kind: 'after-catch-all', catchAllIndex: 1 }, { kind: 'after-catch-all', catchAllIndex: 1 }]);
  });

  it('marks a route shadowed when each of its entries equals an entry of an earlier route (names aside)', () => {
    const f = facts([
      { match: [{ name: 'a', uri: { prefix: '/a' } }], route: [to('1')] },
      { match: [{ uri: { prefix: '/b' } }], route: [to('1')] },
      { match: [{ uri: { prefix: '/b' } }, { name: 'again', uri: { prefix: '/a' } }], route: [to('2')] },
      { match: [{ uri: { prefix: '/a' } }, { uri: { prefix: '/c' } }], route: [to('2')] },
    ]);
    expect(f.map((x) => x.unreachable)).toEqual([undefined, undefined, { kind: 'shadowed', byIndex: 1 }, undefined]);
  });

  it('compares match entries whatever the order of their keys', () => {
    const f = facts([
      { match: [{ uri: { prefix: '/a' }, headers: { x: { exact: '1' } } }], route: [to('1')] },
      { match: [{ headers: { x: { exact: '1' } }, uri: { prefix: '/a' } }], route: [to('2')] },
    ]);
    expect(f[1]?.unreachable).toEqual({ kind: 'shadowed', byIndex: 0 });
  });

  it('keeps reachable a route whose entries differ only in the string match kind', () => {
    const f = facts([prefixRoute('/a', [to('1')]), { match: [{ uri: { exact: '/a' } }], route: [to('1')] }]);
    expect(f[1]?.unreachable).toBeUndefined();
  });

  it('treats a second catch-all as unreachable: only the first carries traffic', () => {
    const f = facts([catchAll([to('1')]), catchAll([to('2')], { match: null })]);
    expect(f.map((x) => [x.catchAll, x.unreachable?.kind ?? 'reachable'])).toEqual([
      [true, 'reachable'],
      [true, 'after-catch-all'],
    ]);
  });
});

describe('targeted and general routes', () => {
  it.each<[string, HTTPMatchRequest]>([
    ['headers', { headers: { 'x-cid': { exact: 'a' } } }],
    ['withoutHeaders', { withoutHeaders: { 'x-cid': { exact: 'a' } } }],
    ['queryParams', { queryParams: { canary: { exact: 'true' } } }],
    ['sourceLabels', { sourceLabels: { app: 'tester' } }],
    ['sourceNamespace', { sourceNamespace: 'qa' }],
    ['headers and a uri prefix', { uri: { prefix: '/api' }, headers: { 'x-cid': { exact: 'a' } } }],
  ])('a route whose every entry has %s is targeted', (_, entry) => {
    const f = facts([{ match: [entry, { ...entry, name: 'twice' }], route: [to('1')] }]);
    expect(f[0]?.targeted).toBe(true);
  });

  it.each<[string, HTTPMatchRequest[] | undefined]>([
    ['no match', undefined],
    ['a uri prefix', [{ uri: { prefix: '/api' } }]],
    ['a method', [{ method: { exact: 'POST' } }]],
    ['an authority', [{ authority: { exact: 'api.example.com' } }]],
    ['a header entry and a path entry (the path entry selects everyone)', [{ headers: { 'x-cid': { exact: 'a' } } }, { uri: { prefix: '/api' } }]],
  ])('a route with %s is general', (_, match) => {
    expect(facts([routeWith(match)])[0]?.targeted).toBe(false);
  });
});

describe('managed routes', () => {
  it.each<[string, HTTPRoute, ReturnType<typeof classifyRoutes>[number]['managed']]>([
    ['a header route named after its subset', headerRoute('3', { 'x-cid': 'a' }), { kind: 'header', subset: subsetOf('3') }],
    ['an unnamed header route of the original tool to a subset of the convention', headerRoute('3', { 'x-cid': 'a' }, { name: null, weight: null }), { kind: 'header', subset: subsetOf('3') }],
    ['a header route with a uri condition named after its subset', { ...headerRoute('3', { a: 'b' }), match: [{ uri: { prefix: '/api' }, headers: { a: { exact: 'b' } } }] }, { kind: 'header', subset: subsetOf('3') }],
    ['a fault route', { name: `${FAULT_ROUTE_PREFIX}1a2b`, match: [{ headers: { 'x-chaos': { exact: '1' } } }], route: [to('1')], fault: { abort: { httpStatus: 503 } } }, { kind: 'fault', name: `${FAULT_ROUTE_PREFIX}1a2b` }],
    ['a hand-written header route to subset v2 (bookinfo jason)', { match: [{ headers: { 'end-user': { exact: 'jason' } } }], route: [{ destination: { host: 'reviews', subset: 'v2' } }] }, undefined],
    ['a header route named otherwise', headerRoute('3', { a: 'b' }, { name: 'testers' }), undefined],
    ['a header route to two subsets', { name: subsetOf('3'), match: [{ headers: { a: { exact: 'b' } } }], route: [to('3', 50), to('2', 50)] }, undefined],
    ['a catch-all route to a subset of the convention (general, not managed)', catchAll([to('3')]), undefined],
    ['a fault-named route without targeting (general)', { name: `${FAULT_ROUTE_PREFIX}x`, route: [to('1')] }, undefined],
  ])('classifies %s', (_, route, managed) => {
    expect(facts([route, catchAll([to('1')])])[0]?.managed).toEqual(managed);
  });

  it('recognises the convention with the namespace of a fully qualified destination host', () => {
    const route = headerRoute('3', { a: 'b' }, { name: null, host: 'api-domain.prod.svc.cluster.local' });
    const r = { ...route, route: [{ destination: { host: 'api-domain.prod.svc.cluster.local', subset: 'api-domain-3-prod' } }] };
    expect(facts([r], 'default')[0]?.managed).toEqual({ kind: 'header', subset: 'api-domain-3-prod' });
  });
});

describe('routes of a host', () => {
  /** A gateway VirtualService serving two services: `/api` to api, everything else to web. */
  const gateway = (): VirtualService =>
    virtualService({
      name: 'public',
      namespace: 'istio-system',
      gateways: ['public-gateway'],
      hosts: ['shop.example.com'],
      http: [
        prefixRoute('/api', [{ destination: { host: 'api.shop.svc.cluster.local', port: { number: 80 } } }]),
        catchAll([{ destination: { host: 'web.shop.svc.cluster.local', port: { number: 80 } } }], { match: [{ uri: { prefix: '/' } }] }),
        prefixRoute('/api/v2', [{ destination: { host: 'api.shop.svc.cluster.local', port: { number: 80 } } }]),
      ],
    });

  it('finds on a gateway VirtualService only the reachable routes whose destinations all go to the host', () => {
    const f = classifyVirtualService(gateway(), 'shop');
    expect(routesOfHost(f, 'api.shop.svc.cluster.local').map((x) => x.index)).toEqual([0]);
    expect(routesOfHost(f, 'web.shop.svc.cluster.local').map((x) => x.index)).toEqual([1]);
    expect(f[2]?.unreachable).toEqual({ kind: 'after-catch-all', catchAllIndex: 1 });
  });

  it('resolves short hosts in the VirtualService\'s namespace, not the command\'s', () => {
    const vs = virtualService({ namespace: 'istio-system', http: [catchAll([{ destination: { host: 'api' } }])] });
    const f = classifyVirtualService(vs, 'shop');
    expect(f[0]?.destinationHosts).toEqual(['api.istio-system.svc.cluster.local']);
    expect(routesOfHost(f, 'api.shop.svc.cluster.local')).toEqual([]);
  });

  it('uses the command\'s namespace for a VirtualService without one (manifests)', () => {
    const f = classifyVirtualService(virtualService({ namespace: null }), 'team-a');
    expect(f[0]?.destinationHosts).toEqual(['api-domain.team-a.svc.cluster.local']);
  });

  it.each([
    ['api-domain', true],
    ['api-domain.default.svc.cluster.local', true],
    ['API-Domain', true],
    ['api-domain.default', false],
    ['api-domain.prod.svc.cluster.local', false],
  ])('takes a destination host %j written in namespace default as the host api-domain.default.svc.cluster.local: %j', (host, expected) => {
    const f = facts([catchAll([to('1', undefined, { host })])]);
    expect(routesOfHost(f, API).length === 1).toBe(expected);
  });

  it('leaves out a route with destinations to two hosts, a route without destinations, and unreachable routes', () => {
    const f = facts([
      catchAll([to('1', 50), to('1', 50, { host: 'other' })], { match: [{ uri: { prefix: '/split' } }] }),
      { match: [{ uri: { prefix: '/redirect' } }], redirect: { uri: '/' } },
      prefixRoute('/a', [to('1')]),
      prefixRoute('/a', [to('2')]),
    ]);
    expect(routesOfHost(f, API).map((x) => x.index)).toEqual([2]);
  });

  it('general routes of a host leave out targeted and managed routes', () => {
    const f = facts([
      headerRoute('3', { a: 'b' }),
      { match: [{ queryParams: { beta: { exact: '1' } } }], route: [to('2')] },
      prefixRoute('/api', [to('1')]),
      catchAll([to('1')]),
    ]);
    expect(routesOfHost(f, API).map((x) => x.index)).toEqual([0, 1, 2, 3]);
    expect(generalRoutesOfHost(f, API).map((x) => x.index)).toEqual([2, 3]);
  });
});

describe('subset uses and mirrors', () => {
  it('lists the subsets of the destinations, of mirror and of every mirrors entry, skipping destinations without subset', () => {
    const route = catchAll([to('1', 90), { destination: destination(null), weight: 10 }], {
      mirror: destination(subsetOf('4')),
      mirrors: [{ destination: destination(subsetOf('5')), percentage: { value: 5 } }, { destination: destination(null) }],
    });
    expect(subsetUses(route)).toEqual([
      { host: 'api-domain', subset: subsetOf('1'), via: 'destination' },
      { host: 'api-domain', subset: subsetOf('4'), via: 'mirror' },
      { host: 'api-domain', subset: subsetOf('5'), via: 'mirrors' },
    ]);
  });

  it('reads both mirror forms with their percentages (absent means 100, reported as undefined)', () => {
    const route = catchAll([to('1')], {
      mirror: destination(subsetOf('4')),
      mirrorPercentage: { value: 12.5 },
      mirrors: [{ destination: destination(subsetOf('5')) }],
    });
    expect(mirrorsOf(route)).toEqual([
      { destination: destination(subsetOf('4')), percentage: 12.5, form: 'mirror' },
      { destination: destination(subsetOf('5')), percentage: undefined, form: 'mirrors' },
    ]);
  });
});

describe('effectiveWeight and describeRoute', () => {
  it.each([
    ['a lone destination without weight', undefined, 1, 100],
    ['a lone destination with weight 40', 40, 1, 40],
    ['one of two destinations without weight', undefined, 2, 0],
    ['one of two destinations with weight 90', 90, 2, 90],
  ])('counts %s as its weight', (_, weight, count, expected) => {
    expect(effectiveWeight(to('1', weight), count)).toBe(expected);
  });

  it.each([
    ['a named route by its name and position', headerRoute('3', { a: 'b' }), 0, 'route "api-domain-3-default" #0'],
    ['an unnamed catch-all by its position', catchAll([to('1')]), 2, 'catch-all route #2'],
    ['another unnamed route by its position', prefixRoute('/api', [to('1')]), 1, 'route #1'],
  ])('describes %s', (_, route, index, text) => {
    expect(describeRoute(route, index)).toBe(text);
  });
});
