import { PlanRefusedError } from '../errors.js';
import { ChangeLog, type Plan } from './changes.js';
import { describeDestination } from './describe.js';
import { jsonEqual, type DestinationRule, type HTTPRoute, type HTTPRouteDestination, type VirtualService } from './istio.js';
import { resolveHost, subsetNameFor } from './names.js';
import { describeDestinations, editableDestinationRule, editableVirtualService, findSubsetUser, finishPlan, namespaceOf, withHttpRoutes } from './plan-common.js';
import type { RollbackRequest } from './requests.js';
import { describeRoute, effectiveWeight, isCatchAll } from './routes.js';
import type { RoutingState } from './state.js';

/** A subset of a resolved host: what rollback and clear remove. */
export interface SubsetTarget {
  /** Fully resolved host (see `resolveHost`). */
  readonly host: string;
  readonly subset: string;
}

function isTarget(targets: readonly SubsetTarget[], host: string, subset: string | undefined, ns: string): boolean {
  if (subset === undefined) return false;
  const resolved = resolveHost(host, ns);
  return targets.some((t) => t.host === resolved && t.subset === subset);
}

/** The subsets a rollback removes: by pod labels (every subset whose labels equal them) or by build name. */
function rollbackTargets(state: RoutingState, req: RollbackRequest): SubsetTarget[] {
  const ns = state.namespace;
  if (req.by === 'build') {
    return [{ host: resolveHost(req.destination.host, ns), subset: subsetNameFor(req.destination.host, req.build, ns) }];
  }
  const targets: SubsetTarget[] = [];
  for (const dr of state.destinationRules) {
    for (const s of dr.spec.subsets ?? []) {
      if (jsonEqual(s.labels ?? {}, req.podSelector)) targets.push({ host: resolveHost(dr.spec.host, namespaceOf(dr, ns)), subset: s.name });
    }
  }
  return targets;
}

/**
 * Removes from a route every destination and mirror leading to `targets`. Returns the route to keep,
 * or `undefined` when the route led only to the targets and must go.
 * A catch-all route returns to 100% primary (its highest-weight remaining destination); another route
 * gives the removed share to its highest-weight remaining destination.
 * @throws PlanRefusedError when a catch-all route would be left without destination (the build was promoted).
 */
function withoutTargets(route: HTTPRoute, index: number, vs: VirtualService, targets: readonly SubsetTarget[], ns: string, log: ChangeLog): HTTPRoute | undefined {
  const next: HTTPRoute = { ...route };
  if (route.mirror && isTarget(targets, route.mirror.host, route.mirror.subset, ns)) {
    delete next.mirror;
    delete next.mirrorPercentage;
    log.add(vs, ns, 'remove-mirror', `remove mirror to ${describeDestination(route.mirror)}`);
  }
  const dests = route.route ?? [];
  const remaining = dests.filter((d) => !isTarget(targets, d.destination.host, d.destination.subset, ns));
  if (remaining.length === dests.length) return next;
  const name = describeRoute(route, index);
  if (remaining.length === 0) {
    if (isCatchAll(route)) {
      throw new PlanRefusedError(
        `VirtualService ${ns}/${vs.metadata.name}: the catch-all route sends all traffic to ${describeDestinations(dests)}; rolling it back would leave no destination (the build was promoted)`,
      );
    }
    log.add(vs, ns, 'remove-route', `remove ${name} -> ${describeDestinations(dests)}`);
    return undefined;
  }
  const best = remaining.reduce((a, d) => (effectiveWeight(d, dests.length) > effectiveWeight(a, dests.length) ? d : a));
  let kept: HTTPRouteDestination[];
  if (isCatchAll(route) || remaining.length === 1) {
    kept = [{ ...best, weight: 100 }];
    for (const d of remaining) {
      if (d !== best) log.add(vs, ns, 'remove-destination', `drop ${describeDestination(d.destination)} from the catch-all route (it returns to 100% primary)`);
    }
  } else {
    const removedShare = dests.filter((d) => !remaining.includes(d)).reduce((sum, d) => sum + effectiveWeight(d, dests.length), 0);
    kept = remaining.map((d) => (d === best ? { ...d, weight: effectiveWeight(d, dests.length) + removedShare } : d));
  }
  next.route = kept;
  log.add(vs, ns, 'set-destinations', `${name} -> ${describeDestinations(kept)}`);
  return next;
}

/**
 * Removes the routes, destinations and mirrors that lead to `targets` from every given VirtualService.
 * Shared by `rollback`; exported for tests.
 */
export function removeTargetsFromVirtualService(vs: VirtualService, targets: readonly SubsetTarget[], ns: string, log: ChangeLog): VirtualService {
  const after = editableVirtualService(vs);
  const vsNs = namespaceOf(vs, ns);
  const routes = after.spec.http.flatMap<HTTPRoute>((r, i) => withoutTargets(r, i, after, targets, vsNs, log) ?? []);
  if (routes.length === 0 && after.spec.http.length > 0) {
    throw new PlanRefusedError(`VirtualService ${vsNs}/${vs.metadata.name} would be left with no HTTP route; nothing was written`);
  }
  return withHttpRoutes(vs, after, routes);
}

/**
 * Removes subsets named in `remove` from a DestinationRule unless a VirtualService in `users` still
 * uses them (through a destination or a mirror). Logs each removal, warns for each subset kept.
 */
export function removeSubsets(
  dr: DestinationRule,
  remove: (subset: string) => boolean,
  users: readonly VirtualService[],
  ns: string,
  log: ChangeLog,
  warnings: string[],
): DestinationRule {
  const after = editableDestinationRule(dr);
  const drNs = namespaceOf(dr, ns);
  const kept = (after.spec.subsets ?? []).filter((s) => {
    if (!remove(s.name)) return true;
    const user = findSubsetUser(users, dr, s.name, ns);
    if (user) {
      warnings.push(`kept subset ${s.name} of DestinationRule ${drNs}/${dr.metadata.name}: still used by VirtualService ${namespaceOf(user, ns)}/${user.metadata.name}`);
      return true;
    }
    log.add(after, ns, 'remove-subset', `remove subset ${s.name}`);
    return false;
  });
  if (dr.spec.subsets !== undefined) after.spec.subsets = kept;
  return after;
}

/**
 * Plans `rollback`: removes every route, destination and mirror that leads to the build's subset
 * from the selected VirtualServices (the catch-all route returns to 100% primary), then the subset
 * from the selected DestinationRules, unless a VirtualService the selector did not pick still uses it.
 * The VirtualServices are written first (break after make). Rolling back a build that is nowhere plans nothing.
 * @throws PlanRefusedError when the build is the catch-all's only destination, or a VirtualService would be left without routes.
 * @throws UsageError when `by: 'build'` gives a subset name that is not a DNS-1123 label.
 */
export function planRollback(state: RoutingState, req: RollbackRequest): Plan {
  const ns = state.namespace;
  const targets = rollbackTargets(state, req);
  const log = new ChangeLog();
  const warnings: string[] = [];
  if (targets.length === 0) {
    return finishPlan([], log, [`no subset of the selected DestinationRules has labels ${req.by === 'pods' ? Object.entries(req.podSelector).map(([k, v]) => `${k}=${v}`).join(',') : ''}`]);
  }
  const vsPairs = state.virtualServices.map((vs) => ({ before: vs, after: removeTargetsFromVirtualService(vs, targets, ns, log) }));
  const users = [...vsPairs.map((p) => p.after), ...(state.subsetUsers?.virtualServices ?? []).filter((vs) => !state.virtualServices.includes(vs))];
  const drPairs = state.destinationRules.map((dr) => {
    const host = resolveHost(dr.spec.host, namespaceOf(dr, ns));
    return { before: dr, after: removeSubsets(dr, (s) => targets.some((t) => t.host === host && t.subset === s), users, ns, log, warnings) };
  });
  return finishPlan([...vsPairs, ...drPairs], log, warnings);
}
