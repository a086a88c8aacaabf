import type { Destination, DestinationRule, HTTPRoute, StringMatch, VirtualService } from './istio.js';
import { resolveHost, sameHost } from './names.js';
import { namespaceOf } from './plan-common.js';
import { effectiveWeight, isCatchAll } from './routes.js';
import { readyPodsFor, type RoutingState } from './state.js';

/**
 * The `show` report, `-o json|yaml` prints it as is. Stable: fields are only ever added, and
 * `apiVersion` changes when one changes meaning.
 */
export interface TrafficReport {
  readonly apiVersion: 'istiops/v1';
  readonly kind: 'TrafficReport';
  readonly namespace: string;
  readonly virtualServices: readonly VirtualServiceReport[];
  /** Findings across objects (more than one selected VirtualService for one host). */
  readonly warnings: readonly string[];
}

/** One VirtualService: its hosts and HTTP routes in evaluation order. */
export interface VirtualServiceReport {
  readonly name: string;
  readonly namespace: string;
  readonly hosts: readonly string[];
  readonly gateways: readonly string[];
  readonly http: readonly RouteReport[];
  /** Number of TCP and TLS routes (shown, never edited). */
  readonly tcpRoutes: number;
  readonly tlsRoutes: number;
  readonly warnings: readonly string[];
}

/** One match condition: `uri` or a header, with its kind of string match. */
export interface MatchConditionReport {
  readonly field: string;
  readonly kind: 'exact' | 'prefix' | 'regex' | 'other';
  readonly value: string;
}

/** One HTTP route. */
export interface RouteReport {
  /** Position in `spec.http`, from 0. */
  readonly index: number;
  readonly name: string | null;
  readonly catchAll: boolean;
  /** Match entries (OR); the conditions of one entry all hold (AND). Empty for a route without match. */
  readonly match: readonly (readonly MatchConditionReport[])[];
  readonly destinations: readonly DestinationReport[];
  readonly mirror: (DestinationReport & { readonly percentage: number | null }) | null;
  /** The route's `fault` as written, or null. */
  readonly fault: Readonly<Record<string, unknown>> | null;
  readonly warnings: readonly string[];
}

/** One destination of a route, with the subset's labels and ready pods when known. */
export interface DestinationReport {
  readonly host: string;
  readonly port: number | null;
  /** Percent of the route's traffic (a lone destination without weight counts as 100). */
  readonly weight: number;
  readonly subset: string | null;
  /** Labels of the subset from the DestinationRule, null when the subset is not found. */
  readonly labels: Readonly<Record<string, string>> | null;
  /** Ready pods behind the subset, null when unknown. */
  readonly readyPods: number | null;
}

function conditions(match: NonNullable<HTTPRoute['match']>[number]): MatchConditionReport[] {
  const out: MatchConditionReport[] = [];
  const add = (field: string, m: StringMatch): void => {
    const kind = m.exact !== undefined ? 'exact' : m.prefix !== undefined ? 'prefix' : m.regex !== undefined ? 'regex' : 'other';
    out.push({ field, kind, value: m.exact ?? m.prefix ?? m.regex ?? JSON.stringify(m) });
  };
  if (match.uri) add('uri', match.uri);
  for (const [name, value] of Object.entries(match.headers ?? {})) add(`headers.${name}`, value);
  for (const key of Object.keys(match)) {
    if (key !== 'uri' && key !== 'headers' && key !== 'name') out.push({ field: key, kind: 'other', value: JSON.stringify(match[key]) });
  }
  return out;
}

function subsetRule(state: RoutingState, dest: Destination, vsNs: string): DestinationRule[] {
  return state.destinationRules.filter((dr) => sameHost(dr.spec.host, namespaceOf(dr, state.namespace), dest.host, vsNs));
}

function destinationReport(state: RoutingState, dest: Destination, weight: number, vsNs: string, warnings: string[]): DestinationReport {
  const rules = subsetRule(state, dest, vsNs);
  let labels: Record<string, string> | null = null;
  let readyPods: number | null = null;
  if (dest.subset !== undefined) {
    const found = rules.map((dr) => ({ dr, s: dr.spec.subsets?.find((s) => s.name === dest.subset) })).find((x) => x.s !== undefined);
    if (found?.s) {
      labels = { ...(found.s.labels ?? {}) };
      readyPods = readyPodsFor(state, namespaceOf(found.dr, state.namespace), labels) ?? null;
      if (readyPods === 0) warnings.push(`subset ${dest.subset} has no ready pods`);
    } else {
      warnings.push(
        rules.length > 0
          ? `subset ${dest.subset} is missing from DestinationRule ${rules.map((r) => r.metadata.name).join(', ')}`
          : `subset ${dest.subset} is missing: no selected DestinationRule has host ${dest.host}`,
      );
    }
  }
  return { host: dest.host, port: dest.port?.number ?? null, weight, subset: dest.subset ?? null, labels, readyPods };
}

function routeReport(state: RoutingState, route: HTTPRoute, index: number, afterCatchAll: boolean, vsNs: string): RouteReport {
  const warnings: string[] = [];
  const dests = route.route ?? [];
  const destinations = dests.map((d) => destinationReport(state, d.destination, effectiveWeight(d, dests.length), vsNs, warnings));
  if (afterCatchAll) warnings.push('unreachable: a catch-all route comes before it');
  if (dests.length === 1 && dests[0]?.weight !== undefined && dests[0].weight < 100) {
    warnings.push(`lone destination with weight ${dests[0].weight} (Istio sends it 100%)`);
  }
  const mirror = route.mirror
    ? { ...destinationReport(state, route.mirror, 0, vsNs, warnings), percentage: route.mirrorPercentage?.value ?? null }
    : null;
  return {
    index,
    name: route.name ?? null,
    catchAll: isCatchAll(route),
    match: (route.match ?? []).map(conditions),
    destinations,
    mirror,
    fault: route.fault ?? null,
    warnings,
  };
}

function virtualServiceReport(state: RoutingState, vs: VirtualService): VirtualServiceReport {
  const vsNs = namespaceOf(vs, state.namespace);
  const routes = vs.spec.http ?? [];
  const firstCatchAll = routes.findIndex(isCatchAll);
  const warnings: string[] = [];
  for (const dr of state.destinationRules) {
    const names = (dr.spec.subsets ?? []).map((s) => s.name);
    const dups = [...new Set(names.filter((n, i) => names.indexOf(n) !== i))];
    const usesHost = routes.some((r) => (r.route ?? []).some((d) => sameHost(d.destination.host, vsNs, dr.spec.host, namespaceOf(dr, state.namespace))));
    if (dups.length > 0 && usesHost) warnings.push(`DestinationRule ${dr.metadata.name} has duplicate subset names: ${dups.join(', ')}`);
  }
  return {
    name: vs.metadata.name,
    namespace: vsNs,
    hosts: [...(vs.spec.hosts ?? [])],
    gateways: [...(vs.spec.gateways ?? [])],
    http: routes.map((r, i) => routeReport(state, r, i, firstCatchAll >= 0 && i > firstCatchAll, vsNs)),
    tcpRoutes: Array.isArray(vs.spec['tcp']) ? vs.spec['tcp'].length : 0,
    tlsRoutes: Array.isArray(vs.spec['tls']) ? vs.spec['tls'].length : 0,
    warnings,
  };
}

/**
 * Builds the `show` report of every selected VirtualService, with the checks Kiali and
 * `istioctl analyze` report: subsets missing from the DestinationRules, routes after the catch-all
 * that can never match, a lone destination weighted below 100, duplicate subset names, subsets with
 * no ready pods, and more than one selected VirtualService for the same host. Pure.
 */
export function buildTrafficReport(state: RoutingState): TrafficReport {
  const warnings: string[] = [];
  const byHost = new Map<string, string[]>();
  for (const vs of state.virtualServices) {
    // Only VirtualServices bound to the mesh (no gateways, or "mesh" among them) conflict, as istioctl analyze has it.
    const gateways = vs.spec.gateways ?? [];
    if (gateways.length > 0 && !gateways.includes('mesh')) continue;
    for (const h of vs.spec.hosts ?? []) {
      const key = resolveHost(h, namespaceOf(vs, state.namespace));
      byHost.set(key, [...(byHost.get(key) ?? []), vs.metadata.name]);
    }
  }
  for (const [host, names] of byHost) {
    if (names.length > 1) warnings.push(`more than one selected VirtualService for host ${host}: ${names.join(', ')}`);
  }
  return {
    apiVersion: 'istiops/v1',
    kind: 'TrafficReport',
    namespace: state.namespace,
    virtualServices: state.virtualServices.map((vs) => virtualServiceReport(state, vs)),
    warnings,
  };
}
