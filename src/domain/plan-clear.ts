import { PlanRefusedError } from '../errors.js';
import { ChangeLog, type Plan } from './changes.js';
import { describeDestination } from './describe.js';
import type { Destination, DestinationRule, HTTPRoute, HTTPRouteDestination, VirtualService } from './istio.js';
import { sameHost } from './names.js';
import { describeDestinations, editableVirtualService, findSubsetUser, finishPlan, namespaceOf, withHttpRoutes } from './plan-common.js';
import { removeSubsets } from './plan-rollback.js';
import type { ClearRequest } from './requests.js';
import { effectiveWeight, isCatchAll } from './routes.js';
import { readyPodsFor, type RoutingState } from './state.js';

/**
 * Readiness of a destination: ready pods behind its subset, or `undefined` when unknown (no subset,
 * subset absent from the selected DestinationRules, or no workload known to carry its labels).
 */
export function destinationReadiness(state: RoutingState, dest: Destination, vsNamespace: string): { ready: number | undefined; why?: string } {
  if (dest.subset === undefined) return { ready: undefined, why: 'no subset (the whole service)' };
  const dr = findSubsetRule(state.destinationRules, dest, vsNamespace, state.namespace);
  const subset = dr?.spec.subsets?.find((s) => s.name === dest.subset);
  if (dr === undefined || subset === undefined) return { ready: undefined, why: `subset ${dest.subset} is in no selected DestinationRule` };
  const ready = readyPodsFor(state, namespaceOf(dr, state.namespace), subset.labels ?? {});
  return ready === undefined ? { ready, why: `no workload in the manifests carries the labels of subset ${dest.subset}` } : { ready };
}

/** The selected DestinationRule for the destination's host that defines its subset (or the first for the host). */
export function findSubsetRule(drs: readonly DestinationRule[], dest: Destination, vsNamespace: string, ns: string): DestinationRule | undefined {
  const forHost = drs.filter((dr) => sameHost(dr.spec.host, namespaceOf(dr, ns), dest.host, vsNamespace));
  return forHost.find((dr) => (dr.spec.subsets ?? []).some((s) => s.name === dest.subset)) ?? forHost[0];
}

function softClearRoute(state: RoutingState, route: HTTPRoute, index: number, vs: VirtualService, ns: string, log: ChangeLog, warnings: string[]): HTTPRoute | undefined {
  const label = route.name !== undefined ? `"${route.name}"` : `#${index}`;
  const dests = route.route ?? [];
  const status = dests.map((d) => ({ d, ...destinationReadiness(state, d.destination, ns) }));
  const next: HTTPRoute = { ...route };
  if (route.mirror?.subset !== undefined && destinationReadiness(state, route.mirror, ns).ready === 0) {
    delete next.mirror;
    delete next.mirrorPercentage;
    log.add(vs, ns, 'remove-mirror', `remove mirror to ${describeDestination(route.mirror)}: no ready pods`);
  }
  const dead = status.filter((s) => s.ready === 0);
  for (const s of status) {
    if (s.ready === undefined && s.d.destination.subset !== undefined) {
      warnings.push(`kept ${describeDestination(s.d.destination)} in route ${label} of VirtualService ${ns}/${vs.metadata.name}: readiness unknown (${s.why})`);
    }
  }
  if (dead.length === 0) return next;
  const alive = dests.filter((d) => !dead.some((s) => s.d === d));
  if (alive.length === 0) {
    if (isCatchAll(route)) {
      warnings.push(`kept the catch-all route of VirtualService ${ns}/${vs.metadata.name}: none of its destinations has ready pods`);
      return next;
    }
    log.add(vs, ns, 'remove-route', `remove route ${label} -> ${describeDestinations(dests)}: no ready pods`);
    return undefined;
  }
  // Some destinations are dead: their share goes to the heaviest live destination.
  const removedShare = dead.reduce((sum, s) => sum + effectiveWeight(s.d, dests.length), 0);
  const best = alive.reduce((a, d) => (effectiveWeight(d, dests.length) > effectiveWeight(a, dests.length) ? d : a));
  const kept: HTTPRouteDestination[] = alive.map((d) =>
    d === best ? { ...d, weight: alive.length === 1 ? 100 : effectiveWeight(d, dests.length) + removedShare } : d,
  );
  next.route = kept;
  for (const s of dead) log.add(vs, ns, 'remove-destination', `drop ${describeDestination(s.d.destination)} from route ${label}: no ready pods`);
  log.add(vs, ns, 'set-destinations', `route ${label} -> ${describeDestinations(kept)}`);
  return next;
}

function keepsUriPrefix(route: HTTPRoute): boolean {
  return (route.match ?? []).some((m) => m.uri?.prefix !== undefined);
}

/**
 * Plans `clear`:
 * - `soft`: removes routes whose destinations all have no ready pods (a catch-all route is kept), drops
 *   dead destinations from mixed routes (their share goes to the heaviest live one), and mirrors to dead
 *   subsets; a destination whose readiness is unknown is kept with a warning (design rule 4);
 * - `hard`: keeps only catch-all routes and routes matching on a `uri.prefix`;
 * then removes the DestinationRule subsets no route uses (destinations and mirrors of every VirtualService
 * read, selected or not).
 * @throws PlanRefusedError when a VirtualService would be left with no HTTP route (nothing is written).
 */
export function planClear(state: RoutingState, req: ClearRequest): Plan {
  const ns = state.namespace;
  const log = new ChangeLog();
  const warnings: string[] = [];
  const vsPairs = state.virtualServices.map((vs) => {
    const after = editableVirtualService(vs);
    const vsNs = namespaceOf(vs, ns);
    const routes = after.spec.http.flatMap<HTTPRoute>((route, i) => {
      if (req.mode === 'soft') return softClearRoute(state, route, i, after, vsNs, log, warnings) ?? [];
      if (isCatchAll(route) || keepsUriPrefix(route)) return [route];
      log.add(after, vsNs, 'remove-route', `remove route ${route.name !== undefined ? `"${route.name}"` : `#${i}`} (hard clear keeps only the catch-all and uri prefix routes)`);
      return [];
    });
    if (routes.length === 0 && after.spec.http.length > 0) {
      throw new PlanRefusedError(`clear would leave VirtualService ${vsNs}/${vs.metadata.name} with no HTTP route; nothing was written`);
    }
    return { before: vs, after: withHttpRoutes(vs, after, routes) };
  });
  const users = [...vsPairs.map((p) => p.after), ...(state.subsetUsers?.virtualServices ?? []).filter((vs) => !state.virtualServices.includes(vs))];
  const drPairs = state.destinationRules.map((dr) => ({
    before: dr,
    after: removeSubsets(dr, (s) => findSubsetUser(users, dr, s, ns) === undefined, [], ns, log, warnings),
  }));
  return finishPlan([...vsPairs, ...drPairs], log, warnings);
}
