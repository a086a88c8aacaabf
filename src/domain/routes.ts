import type { Destination, HTTPMatchRequest, HTTPRoute, HTTPRouteDestination, VirtualService } from './istio.js';
import { sameHost } from './names.js';

/** URI matches that match every request path, as written by istiops and by hand in the wild. */
function matchesEveryUri(match: HTTPMatchRequest): boolean {
  const keys = Object.keys(match).filter((k) => k !== 'name' && match[k] !== undefined);
  if (keys.length !== 1 || keys[0] !== 'uri' || match.uri === undefined) return false;
  const uri = match.uri;
  const uriKeys = Object.keys(uri).filter((k) => uri[k] !== undefined);
  if (uriKeys.length !== 1) return false;
  return uri.regex === '.+' || uri.regex === '.*' || uri.prefix === '/';
}

/**
 * True for a catch-all route (the original tool's "master route"): no `match`, an empty `match`, or
 * every match entry being only `uri: {regex: ".+"}`, `{regex: ".*"}` or `{prefix: "/"}`.
 */
export function isCatchAll(route: HTTPRoute): boolean {
  if (route.match === undefined || route.match.length === 0) return true;
  return route.match.every(matchesEveryUri);
}

/** The match istiops writes when it has to create a catch-all route (compatible with the original tool). */
export function catchAllMatch(): HTTPMatchRequest[] {
  return [{ uri: { regex: '.+' } }];
}

/** Weight of a route destination in percent; a lone destination without weight counts as 100, others as 0. */
export function effectiveWeight(d: HTTPRouteDestination, destinationCount: number): number {
  return d.weight ?? (destinationCount === 1 ? 100 : 0);
}

/** True when the route sends traffic (any destination) to `host` (resolved in `namespace`). */
export function routesToHost(route: HTTPRoute, host: string, namespace: string): boolean {
  return (route.route ?? []).some((d) => sameHost(d.destination.host, namespace, host, namespace));
}

/** True when a destination points at the given subset of the host. */
export function isSubsetDestination(d: Destination, host: string, subset: string, namespace: string): boolean {
  return d.subset === subset && sameHost(d.host, namespace, host, namespace);
}

/** Index of the first catch-all route of the VirtualService whose destinations point at `host`, or -1. */
export function findCatchAll(vs: VirtualService, host: string, namespace: string): number {
  return (vs.spec.http ?? []).findIndex((r) => isCatchAll(r) && routesToHost(r, host, namespace));
}

/** Index of the first catch-all route of any destination, or -1. */
export function firstCatchAll(routes: readonly HTTPRoute[]): number {
  return routes.findIndex(isCatchAll);
}

/** Every subset name an HTTP route uses through its destinations and its mirror, with their hosts. */
export function subsetUses(route: HTTPRoute): { host: string; subset: string }[] {
  const uses: { host: string; subset: string }[] = [];
  for (const d of route.route ?? []) {
    if (d.destination.subset !== undefined) uses.push({ host: d.destination.host, subset: d.destination.subset });
  }
  if (route.mirror?.subset !== undefined) uses.push({ host: route.mirror.host, subset: route.mirror.subset });
  return uses;
}

/** A short text of a route for messages: its name, or its position, and whether it is the catch-all. */
export function describeRoute(route: HTTPRoute, index: number): string {
  if (route.name) return `route "${route.name}"`;
  return isCatchAll(route) ? `catch-all route #${index}` : `route #${index}`;
}
