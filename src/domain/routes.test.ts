import { describe, expect, it } from 'vitest';
import type { HTTPMatchRequest, HTTPRoute } from './istio.js';
import {
  catchAllMatch,
  describeRoute,
  effectiveWeight,
  findCatchAll,
  firstCatchAll,
  isCatchAll,
  isSubsetDestination,
  routesToHost,
  subsetUses,
} from './routes.js';
import { CATCH_ALL_FORMS, catchAll, destination, headerRoute, prefixRoute, subsetOf, to, virtualService } from './testing.js';

function routeWith(match: HTTPMatchRequest[] | undefined): HTTPRoute {
  return match === undefined ? { route: [to('1')] } : { match, route: [to('1')] };
}

describe('isCatchAll', () => {
  it.each(CATCH_ALL_FORMS)('recognises a route with %s as the catch-all', (_, match) => {
    expect(isCatchAll(routeWith(match))).toBe(true);
  });

  it.each<[string, HTTPMatchRequest[]]>([
    ['uri regex ".+" and a header', [{ uri: { regex: '.+' }, headers: { 'x-cid': { exact: 'a' } } }]],
    ['a header only', [{ headers: { 'x-cid': { exact: 'a' } } }]],
    ['uri prefix "/api"', [{ uri: { prefix: '/api' } }]],
    ['uri exact "/"', [{ uri: { exact: '/' } }]],
    ['uri regex ".+" with ignoreUriCase', [{ uri: { regex: '.+' }, ignoreUriCase: true }]],
    ['uri regex "/.+"', [{ uri: { regex: '/.+' } }]],
    ['uri regex ".+" and a method', [{ uri: { regex: '.+' }, method: { exact: 'GET' } }]],
    ['a catch-all entry and a header entry', [{ uri: { regex: '.+' } }, { headers: { 'x-cid': { exact: 'a' } } }]],
  ])('does not take a route with %s for the catch-all', (_, match) => {
    expect(isCatchAll(routeWith(match))).toBe(false);
  });
});

describe('catchAllMatch', () => {
  it('writes the original tool\'s uri regex ".+" match', () => {
    expect(catchAllMatch()).toEqual([{ uri: { regex: '.+' } }]);
  });

  it('returns a fresh value each time, so that callers may edit it', () => {
    const a = catchAllMatch();
    a.push({ uri: { prefix: '/x' } });
    expect(catchAllMatch()).toHaveLength(1);
  });
});

describe('effectiveWeight', () => {
  it.each([
    ['a lone destination without weight', undefined, 1, 100],
    ['a lone destination with weight 40', 40, 1, 40],
    ['one of two destinations without weight', undefined, 2, 0],
    ['one of two destinations with weight 90', 90, 2, 90],
  ])('counts %s as its weight', (_, weight, count, expected) => {
    expect(effectiveWeight(to('1', weight), count)).toBe(expected);
  });
});

describe('routesToHost', () => {
  it.each([
    ['api-domain', true],
    ['api-domain.default', true],
    ['api-domain.default.svc.cluster.local', true],
    ['api-domain.prod.svc.cluster.local', false],
    ['other', false],
  ])('a route to "api-domain" in namespace default routes to %j: %j', (host, expected) => {
    expect(routesToHost(catchAll([to('1')]), host, 'default')).toBe(expected);
  });

  it('is false for a route without destinations', () => {
    expect(routesToHost({ match: [{ uri: { prefix: '/' } }] }, 'api-domain', 'default')).toBe(false);
  });
});

describe('isSubsetDestination', () => {
  it('matches the subset of the same host written differently', () => {
    expect(isSubsetDestination(destination(subsetOf('3'), { host: 'api-domain.default.svc.cluster.local' }), 'api-domain', subsetOf('3'), 'default')).toBe(true);
  });

  it('does not match another subset or another host', () => {
    expect(isSubsetDestination(destination(subsetOf('2')), 'api-domain', subsetOf('3'), 'default')).toBe(false);
    expect(isSubsetDestination(destination(subsetOf('3'), { host: 'other' }), 'api-domain', subsetOf('3'), 'default')).toBe(false);
  });
});

describe('findCatchAll', () => {
  it('finds the catch-all route whose destinations point at the host, not the first catch-all', () => {
    const vs = virtualService({
      http: [headerRoute('3', { 'x-cid': 'a' }), catchAll([to('1', undefined, { host: 'other', subset: 'v1' })]), catchAll([to('1')])],
    });
    expect(findCatchAll(vs, 'api-domain', 'default')).toBe(2);
    expect(firstCatchAll(vs.spec.http ?? [])).toBe(1);
  });

  it('returns -1 when no catch-all route points at the host', () => {
    const vs = virtualService({ http: [headerRoute('3', { 'x-cid': 'a' })] });
    expect(findCatchAll(vs, 'api-domain', 'default')).toBe(-1);
    expect(firstCatchAll(vs.spec.http ?? [])).toBe(-1);
  });
});

describe('subsetUses', () => {
  it('lists the subsets of the destinations and of the mirror, skipping destinations without subset', () => {
    const route = catchAll([to('1', 90), { destination: destination(null), weight: 10 }], { mirror: destination(subsetOf('4')) });
    expect(subsetUses(route)).toEqual([
      { host: 'api-domain', subset: subsetOf('1') },
      { host: 'api-domain', subset: subsetOf('4') },
    ]);
  });
});

describe('describeRoute', () => {
  it.each([
    ['a named route by its name', headerRoute('3', { a: 'b' }), 0, 'route "api-domain-3-default"'],
    ['an unnamed catch-all by its position', catchAll([to('1')]), 2, 'catch-all route #2'],
    ['another unnamed route by its position', prefixRoute('/api', [to('1')]), 1, 'route #1'],
  ])('describes %s', (_, route, index, text) => {
    expect(describeRoute(route, index)).toBe(text);
  });
});
