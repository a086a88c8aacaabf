import type { Destination, DestinationRule, HTTPRoute, StringMatch, VirtualService } from './istio.js';
import { resolveHost, serviceOfHost } from './names.js';
import { namespaceOf } from './plan-common.js';
import { ReadinessIndex } from './readiness.js';
import { classifyVirtualService, effectiveWeight, mirrorsOf, type RouteFacts } from './route-model.js';
import type { RoutingState } from './state.js';

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
  /** False when a catch-all route comes before it, or an earlier route has each of its match entries. */
  readonly reachable: boolean;
  /** True when every match entry selects requests by sender (headers, query parameters, source). */
  readonly targeted: boolean;
  /** Match entries (OR); the conditions of one entry all hold (AND). Empty for a route without match. */
  readonly match: readonly (readonly MatchConditionReport[])[];
  readonly destinations: readonly DestinationReport[];
  /** The `mirror` form (with `mirrorPercentage`), or null. */
  readonly mirror: MirrorReport | null;
  /** Every mirror of the route, both forms (`mirror` and the `mirrors` list), in that order. */
  readonly mirrors: readonly MirrorReport[];
  /** The route's `fault` as written, or null. */
  readonly fault: Readonly<Record<string, unknown>> | null;
  readonly warnings: readonly string[];
}

/** A mirror: where a copy of the requests goes (responses discarded), and the percent mirrored. */
export type MirrorReport = DestinationReport & {
  /** Percent of requests mirrored (0..100, decimals), null when not written (100). */
  readonly percentage: number | null;
  readonly form: 'mirror' | 'mirrors';
};

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
    if (key !== 'uri' && key !== 'headers' && key !== 'name' && match[key] !== undefined) out.push({ field: key, kind: 'other', value: JSON.stringify(match[key]) });
  }
  return out;
}

/** Indexes built once per report, so that the report costs time linear in the objects read. */
class ReportIndex {
  readonly state: RoutingState;
  readonly readiness: ReadinessIndex;
  /** DestinationRules read, by resolved host. */
  readonly rulesByHost = new Map<string, DestinationRule[]>();
  /** Namespaces whose DestinationRules were read. */
  readonly namespacesRead = new Set<string>();

  constructor(state: RoutingState) {
    this.state = state;
    this.readiness = new ReadinessIndex(state);
    this.namespacesRead.add(state.namespace);
    for (const dr of state.destinationRules) {
      const drNs = namespaceOf(dr, state.namespace);
      this.namespacesRead.add(drNs);
      const host = resolveHost(dr.spec.host, drNs);
      const list = this.rulesByHost.get(host);
      if (list) list.push(dr);
      else this.rulesByHost.set(host, [dr]);
    }
  }
}

function destinationReport(index: ReportIndex, dest: Destination, weight: number, vsNs: string, warnings: string[]): DestinationReport {
  const host = resolveHost(dest.host, vsNs);
  const rules = index.rulesByHost.get(host) ?? [];
  let labels: Record<string, string> | null = null;
  let readyPods: number | null = null;
  if (dest.subset !== undefined) {
    const subset = rules.flatMap((dr) => dr.spec.subsets ?? []).find((s) => s.name === dest.subset);
    if (subset !== undefined) {
      labels = { ...(subset.labels ?? {}) };
      const readiness = index.readiness.podsBehind(host, labels);
      readyPods = readiness.known ? readiness.ready : null;
      if (readyPods === 0) warnings.push(`subset ${dest.subset} of ${host} has no ready pods`);
    } else if (rules.length > 0) {
      warnings.push(`subset ${dest.subset} is missing from DestinationRule ${rules.map((r) => `${namespaceOf(r, index.state.namespace)}/${r.metadata.name}`).join(', ')} of host ${host}`);
    } else {
      const namespace = serviceOfHost(host)?.namespace;
      if (namespace === undefined || index.namespacesRead.has(namespace)) {
        warnings.push(`subset ${dest.subset} cannot be resolved: host ${host} resolves to no DestinationRule host`);
      }
    }
  }
  return { host: dest.host, port: dest.port?.number ?? null, weight, subset: dest.subset ?? null, labels, readyPods };
}

function routeReport(index: ReportIndex, f: RouteFacts, vsNs: string): RouteReport {
  const warnings: string[] = [];
  const route = f.route;
  const dests = route.route ?? [];
  const destinations = dests.map((d) => destinationReport(index, d.destination, effectiveWeight(d, dests.length), vsNs, warnings));
  if (f.unreachable?.kind === 'after-catch-all') warnings.push(`unreachable: catch-all route #${f.unreachable.catchAllIndex} comes before it`);
  if (f.unreachable?.kind === 'shadowed') warnings.push(`unreachable: route #${f.unreachable.byIndex} before it has each of its match entries`);
  if (dests.length === 1 && dests[0]?.weight !== undefined && dests[0].weight < 100) {
    warnings.push(`lone destination with weight ${dests[0].weight} (Istio sends it 100%)`);
  }
  const mirrors: MirrorReport[] = mirrorsOf(route).map((m) => ({
    ...destinationReport(index, m.destination, 0, vsNs, warnings),
    percentage: m.percentage ?? null,
    form: m.form,
  }));
  return {
    index: f.index,
    name: route.name ?? null,
    catchAll: f.catchAll,
    reachable: f.unreachable === undefined,
    targeted: f.targeted,
    match: (route.match ?? []).map(conditions),
    destinations,
    mirror: mirrors.find((m) => m.form === 'mirror') ?? null,
    mirrors,
    fault: route.fault ?? null,
    warnings,
  };
}

function virtualServiceReport(index: ReportIndex, vs: VirtualService): VirtualServiceReport {
  const vsNs = namespaceOf(vs, index.state.namespace);
  const facts = classifyVirtualService(vs, index.state.namespace);
  const warnings: string[] = [];
  const hosts = new Set(facts.flatMap((f) => [...f.destinationHosts, ...mirrorsOf(f.route).map((m) => resolveHost(m.destination.host, vsNs))]));
  for (const host of hosts) {
    for (const dr of index.rulesByHost.get(host) ?? []) {
      const seen = new Set<string>();
      const dups = new Set<string>();
      for (const s of dr.spec.subsets ?? []) (seen.has(s.name) ? dups : seen).add(s.name);
      if (dups.size > 0) warnings.push(`DestinationRule ${namespaceOf(dr, index.state.namespace)}/${dr.metadata.name} has duplicate subset names: ${[...dups].join(', ')}`);
    }
  }
  return {
    name: vs.metadata.name,
    namespace: vsNs,
    hosts: [...(vs.spec.hosts ?? [])],
    gateways: [...(vs.spec.gateways ?? [])],
    http: facts.map((f) => routeReport(index, f, vsNs)),
    tcpRoutes: Array.isArray(vs.spec['tcp']) ? vs.spec['tcp'].length : 0,
    tlsRoutes: Array.isArray(vs.spec['tls']) ? vs.spec['tls'].length : 0,
    warnings,
  };
}

/**
 * Builds the `show` report of every selected VirtualService, with the checks Kiali and
 * `istioctl analyze` report: a subset missing from the DestinationRules of its host, a host that
 * resolves to no DestinationRule host, unreachable routes (after a catch-all, or shadowed by an
 * earlier route with the same match entries), a lone destination weighted below 100, duplicate subset
 * names, subsets with no ready pods (readiness through the Service's selector, or unknown), and more
 * than one selected VirtualService bound to the mesh for the same host (istioctl analyze's
 * "conflicting mesh gateway hosts"). Pure; linear in the objects read.
 */
export function buildTrafficReport(state: RoutingState): TrafficReport {
  const index = new ReportIndex(state);
  const warnings: string[] = [...(state.notes ?? [])];
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
    virtualServices: state.virtualServices.map((vs) => virtualServiceReport(index, vs)),
    warnings,
  };
}
