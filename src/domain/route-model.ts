/**
 * The route model: the one answer to "what is this HTTP route" that every planner and `show` ask.
 *
 * Istio evaluates a VirtualService's HTTP routes in order and the first route that matches wins; the
 * entries of a route's `match` list are alternatives (OR) and the conditions inside one entry all
 * apply (AND) (istio.io reference, VirtualService `HTTPRoute.match` and `HTTPMatchRequest`). From that:
 * - a **catch-all** route matches every request: no `match`, or at least one entry that matches
 *   everything (an empty entry, or one whose only condition is `uri` `{prefix: "/"}`, `{regex: ".+"}`
 *   or `{regex: ".*"}`, with or without `name` and `ignoreUriCase`);
 * - a route is **unreachable** when a catch-all comes before it, or when each of its entries equals an
 *   entry of an earlier route (istioctl analyze reports both; see Istio's analyzer testdata
 *   `virtualservice_dupmatches.yaml`);
 * - a **targeted** route selects requests by who sends them: each of its entries has a `headers`,
 *   `withoutHeaders`, `queryParams`, `sourceLabels` or `sourceNamespace` condition; every other route
 *   is **general**;
 * - the **routes of a host** are the reachable routes with at least one destination whose
 *   destinations all go to that host;
 * - a **managed** route is one istiops created: a header route named after its build's subset (or,
 *   from the original tool, unnamed and leading only to a subset of the naming convention), or a fault
 *   route whose name starts with {@link FAULT_ROUTE_PREFIX}.
 */
import type { Destination, HTTPMatchRequest, HTTPRoute, HTTPRouteDestination, VirtualService } from './istio.js';
import { isManagedSubsetName, resolveHost, serviceNameOf, serviceOfHost } from './names.js';

/** Names of the managed fault routes start with this (`istiops-fault-<hash of the headers>`). */
export const FAULT_ROUTE_PREFIX = 'istiops-fault-';

/** Conditions that select requests by who sends them (design: "targeted route"). */
const TARGETING_CONDITIONS = ['headers', 'withoutHeaders', 'queryParams', 'sourceLabels', 'sourceNamespace'] as const;

/** Keys of a match entry that neither restrict nor select requests. */
const NEUTRAL_KEYS = new Set(['name', 'ignoreUriCase']);

/** What istiops made a route for, when it made it. */
export type ManagedRoute =
  /** A header route sending the requests of testers to a build's subset. */
  | { readonly kind: 'header'; readonly subset: string }
  /** A route that injects a fault for requests with some headers, in front of a general route. */
  | { readonly kind: 'fault'; readonly name: string };

/** Why a route can never match. */
export type Unreachable =
  | { readonly kind: 'after-catch-all'; readonly catchAllIndex: number }
  | { readonly kind: 'shadowed'; readonly byIndex: number };

/** The facts about one HTTP route of a VirtualService. */
export interface RouteFacts {
  /** Position in `spec.http`, from 0. */
  readonly index: number;
  readonly route: HTTPRoute;
  /** At least one match entry matches every request (or there is no `match`). */
  readonly catchAll: boolean;
  /** `undefined` when the route can match some request. */
  readonly unreachable: Unreachable | undefined;
  /** Every match entry selects requests by who sends them. */
  readonly targeted: boolean;
  /** Resolved hosts of the route's destinations (in the VirtualService's namespace), in order. */
  readonly destinationHosts: readonly string[];
  readonly managed: ManagedRoute | undefined;
}

/** True when a match entry matches every request. */
export function isCatchAllEntry(entry: HTTPMatchRequest): boolean {
  const keys = Object.keys(entry).filter((k) => entry[k] !== undefined && !NEUTRAL_KEYS.has(k));
  if (keys.length === 0) return true;
  if (keys.length !== 1 || keys[0] !== 'uri' || entry.uri === undefined) return false;
  const uri = entry.uri;
  const uriKeys = Object.keys(uri).filter((k) => uri[k] !== undefined);
  if (uriKeys.length !== 1) return false;
  return uri.prefix === '/' || uri.regex === '.+' || uri.regex === '.*';
}

/** True for a catch-all route: no `match`, an empty `match`, or one entry that matches everything. */
export function isCatchAll(route: HTTPRoute): boolean {
  return route.match === undefined || route.match.length === 0 || route.match.some(isCatchAllEntry);
}

/** True when a match entry selects requests by who sends them (headers, query parameters, source). */
export function isTargetingEntry(entry: HTTPMatchRequest): boolean {
  return TARGETING_CONDITIONS.some((k) => entry[k] !== undefined);
}

/** True for a targeted route: it has match entries and each of them selects by sender. */
export function isTargeted(route: HTTPRoute): boolean {
  return route.match !== undefined && route.match.length > 0 && route.match.every(isTargetingEntry);
}

/** A canonical text of a match entry without its `name` (keys sorted), to compare entries in linear time. */
export function entryKey(entry: HTTPMatchRequest): string {
  const canonical = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(canonical);
    if (typeof value === 'object' && value !== null) {
      const obj = value as Record<string, unknown>;
      return Object.fromEntries(
        Object.keys(obj)
          .filter((k) => obj[k] !== undefined)
          .sort()
          .map((k) => [k, canonical(obj[k])]),
      );
    }
    return value;
  };
  return JSON.stringify(canonical({ ...entry, name: undefined }));
}

/**
 * The subset of a managed header route: its name when the name is a subset of the convention that
 * all its destinations use, or (routes the original tool wrote without a name) that one subset.
 */
function managedHeaderSubset(route: HTTPRoute, vsNamespace: string): string | undefined {
  const dests = route.route ?? [];
  const first = dests[0]?.destination;
  if (first?.subset === undefined || !dests.every((d) => d.destination.subset === first.subset && d.destination.host === first.host)) return undefined;
  if (route.name !== undefined && route.name !== first.subset) return undefined;
  // The subset's name carries the namespace of its DestinationRule: the VirtualService's (where istiops
  // writes both), or the service's own for a VirtualService elsewhere using a service's subsets.
  const service = serviceNameOf(first.host);
  const hostNamespace = serviceOfHost(resolveHost(first.host, vsNamespace))?.namespace;
  const managed = isManagedSubsetName(first.subset, service, vsNamespace) || (hostNamespace !== undefined && isManagedSubsetName(first.subset, service, hostNamespace));
  return managed ? first.subset : undefined;
}

function managedOf(route: HTTPRoute, targeted: boolean, vsNamespace: string): ManagedRoute | undefined {
  if (!targeted) return undefined;
  if (route.name?.startsWith(FAULT_ROUTE_PREFIX)) return { kind: 'fault', name: route.name };
  const subset = managedHeaderSubset(route, vsNamespace);
  return subset === undefined ? undefined : { kind: 'header', subset };
}

/**
 * Classifies every HTTP route of a list in one pass (linear in the number of match entries).
 * @param vsNamespace namespace of the VirtualService, for short host names.
 */
export function classifyRoutes(routes: readonly HTTPRoute[], vsNamespace: string): RouteFacts[] {
  const seen = new Map<string, number>();
  let catchAllIndex = -1;
  return routes.map((route, index) => {
    const entries = route.match ?? [];
    const catchAll = isCatchAll(route);
    const targeted = isTargeted(route);
    let unreachable: Unreachable | undefined;
    if (catchAllIndex >= 0) {
      unreachable = { kind: 'after-catch-all', catchAllIndex };
    } else if (entries.length > 0) {
      const shadowers = entries.map((e) => seen.get(entryKey(e)));
      if (shadowers.every((i) => i !== undefined)) unreachable = { kind: 'shadowed', byIndex: Math.max(...shadowers) };
    }
    for (const e of entries) {
      const key = entryKey(e);
      if (!seen.has(key)) seen.set(key, index);
    }
    if (catchAll && catchAllIndex < 0) catchAllIndex = index;
    return {
      index,
      route,
      catchAll,
      unreachable,
      targeted,
      destinationHosts: (route.route ?? []).map((d) => resolveHost(d.destination.host, vsNamespace)),
      managed: managedOf(route, targeted, vsNamespace),
    };
  });
}

/** Classifies the HTTP routes of a VirtualService. */
export function classifyVirtualService(vs: VirtualService, defaultNamespace: string): RouteFacts[] {
  return classifyRoutes(vs.spec.http ?? [], vs.metadata.namespace ?? defaultNamespace);
}

/** True when the route is one of the routes of `resolvedHost`: reachable, with destinations, all to that host. */
export function isRouteOfHost(facts: RouteFacts, resolvedHost: string): boolean {
  return facts.unreachable === undefined && facts.destinationHosts.length > 0 && facts.destinationHosts.every((h) => h === resolvedHost);
}

/** The routes of a host (design: "routes of a host"), in order. */
export function routesOfHost(facts: readonly RouteFacts[], resolvedHost: string): RouteFacts[] {
  return facts.filter((f) => isRouteOfHost(f, resolvedHost));
}

/** The general routes of a host that are not managed: where weight shifts, mirrors and faults apply. */
export function generalRoutesOfHost(facts: readonly RouteFacts[], resolvedHost: string): RouteFacts[] {
  return routesOfHost(facts, resolvedHost).filter((f) => !f.targeted && f.managed === undefined);
}

/** A short text of a route for messages: `route "name" #i`, `catch-all route #i` or `route #i`. */
export function describeRoute(route: HTTPRoute, index: number): string {
  if (route.name !== undefined) return `route "${route.name}" #${index}`;
  return isCatchAll(route) ? `catch-all route #${index}` : `route #${index}`;
}

/** Weight of a route destination as written: a lone destination without weight counts as 100, others as 0. */
export function effectiveWeight(d: HTTPRouteDestination, destinationCount: number): number {
  return d.weight ?? (destinationCount === 1 ? 100 : 0);
}

/** One use of a subset by a route: a destination, a `mirror`, or an entry of `mirrors`. */
export interface SubsetUse {
  readonly host: string;
  readonly subset: string;
  readonly via: 'destination' | 'mirror' | 'mirrors';
}

/** Every subset a route uses through its destinations and both mirror forms, with their hosts as written. */
export function subsetUses(route: HTTPRoute): SubsetUse[] {
  const uses: SubsetUse[] = [];
  const add = (d: Destination | undefined, via: SubsetUse['via']): void => {
    if (d?.subset !== undefined) uses.push({ host: d.host, subset: d.subset, via });
  };
  for (const d of route.route ?? []) add(d.destination, 'destination');
  add(route.mirror, 'mirror');
  for (const m of route.mirrors ?? []) add(m.destination, 'mirrors');
  return uses;
}

/** The mirrors of a route in both forms, as `{destination, percentage}` (percentage `undefined` means 100). */
export function mirrorsOf(route: HTTPRoute): { readonly destination: Destination; readonly percentage: number | undefined; readonly form: 'mirror' | 'mirrors' }[] {
  const out: { destination: Destination; percentage: number | undefined; form: 'mirror' | 'mirrors' }[] = [];
  if (route.mirror !== undefined) out.push({ destination: route.mirror, percentage: route.mirrorPercentage?.value, form: 'mirror' });
  for (const m of route.mirrors ?? []) out.push({ destination: m.destination, percentage: m.percentage?.value, form: 'mirrors' });
  return out;
}
