import { PlanRefusedError } from '../errors.js';
import type { Plan } from './changes.js';
import { describeDestination } from './describe.js';
import { PlanContext, describeMirror, isDestinationOf, labelsText, removeMirrors, removeShare, removeUnusedSubsets, type SubsetRef } from './edits.js';
import { jsonEqual, type Destination, type HTTPRoute, type VirtualService } from './istio.js';
import { resolveHost, subsetNameFor } from './names.js';
import { describeDestinations } from './plan-common.js';
import type { RollbackRequest } from './requests.js';
import { describeRoute, effectiveWeight } from './route-model.js';
import type { RoutingState } from './state.js';

/** Options of {@link planRollback}. */
export interface RollbackOptions {
  /**
   * Roll back even a build that carries more than 50% of a route that keeps other destinations (it is
   * most likely the stable version). A canary rolling back its own build passes true.
   */
  readonly force: boolean;
}

/** The build's subsets: by pod labels every subset whose labels equal them, by build the subset of the naming convention. */
function rollbackTargets(state: RoutingState, req: RollbackRequest): SubsetRef[] {
  const ns = state.namespace;
  if (req.by === 'build') {
    return [{ host: resolveHost(req.destination.host, ns), subset: subsetNameFor(req.destination.host, req.build, ns) }];
  }
  const targets: SubsetRef[] = [];
  for (const dr of state.destinationRules) {
    for (const s of dr.spec.subsets ?? []) {
      if (jsonEqual(s.labels ?? {}, req.podSelector)) targets.push({ host: resolveHost(dr.spec.host, dr.metadata.namespace ?? ns), subset: s.name });
    }
  }
  return targets;
}

/**
 * Plans `rollback` (design: command table, `rollback`): removes every route, destination and mirror
 * (both forms; a `mirrors` list left empty is removed) that leads to the build's subset from the
 * selected VirtualServices; in each route the build's weight goes back to the remaining destinations
 * in proportion to their weights; a targeted route leading only to the build is removed. Then the
 * subset is removed from the selected DestinationRules unless a VirtualService in any namespace still
 * uses it. VirtualServices are written first (break after make).
 *
 * Interlock: when the build carries more than 50% of a route that keeps other destinations (a general
 * route or a managed fault route), it is most likely the stable version: refused unless `force`.
 * Rolling back a build that is nowhere plans nothing.
 * @throws PlanRefusedError when the build is the only destination of a general route (it was
 *   promoted), a VirtualService would be left without HTTP routes, or the interlock holds (then
 *   `overridable`).
 * @throws UsageError when `by: 'build'` gives a subset name that is not a DNS-1123 label.
 */
export function planRollback(state: RoutingState, req: RollbackRequest, options: RollbackOptions = { force: false }): Plan {
  const ctx = new PlanContext(state);
  const targets = rollbackTargets(state, req);
  if (targets.length === 0) {
    ctx.warnings.push(
      req.by === 'pods'
        ? `no subset of the selected DestinationRules has exactly the labels ${labelsText(req.podSelector)}: nothing to roll back`
        : 'nothing to roll back',
    );
    return ctx.finish();
  }
  for (const vs of state.virtualServices) rollbackVirtualService(ctx, vs, targets, options);
  const named = new Set(targets.map((t) => `${t.host}\u0000${t.subset}`));
  removeUnusedSubsets(ctx, (dr, subset) => named.has(`${resolveHost(dr.spec.host, ctx.namespaceOf(dr))}\u0000${subset}`), { handWrittenToo: req.by === 'pods', noteKept: true });
  return ctx.finish();
}

function rollbackVirtualService(ctx: PlanContext, vs: VirtualService, targets: readonly SubsetRef[], options: RollbackOptions): void {
  const vsNs = ctx.namespaceOf(vs);
  const name = `${vsNs}/${vs.metadata.name}`;
  const isTarget = (d: Destination): boolean => targets.some((t) => isDestinationOf(d, t, vsNs));
  const facts = ctx.factsOf(vs);
  let changed = false;
  const after = ctx.edit(vs);
  const routes: HTTPRoute[] = [];
  for (const f of facts) {
    const label = describeRoute(f.route, f.index);
    const { route, removed } = removeMirrors(f.route, isTarget);
    for (const m of removed) ctx.log.add(after, ctx.namespace, 'remove-mirror', `remove ${describeMirror(m)} from ${label}`);
    changed ||= removed.length > 0;
    const dests = route.route ?? [];
    if (!dests.some((d) => isTarget(d.destination))) {
      routes.push(route);
      continue;
    }
    changed = true;
    const result = removeShare(dests, (d) => isTarget(d.destination));
    if (result.destinations.length === 0) {
      if (!f.targeted && f.unreachable === undefined) {
        throw new PlanRefusedError(
          `VirtualService ${name}: ${label} sends all its traffic to ${describeDestinations(dests)}; rolling it back would leave it without destination (the build was promoted: shift another build to 100 instead)`,
        );
      }
      ctx.log.add(after, ctx.namespace, 'remove-route', `remove ${label} -> ${describeDestinations(dests)}`);
      continue;
    }
    const keepsOthers = !f.targeted || f.managed?.kind === 'fault';
    if (keepsOthers && result.removedPercent > 50 && !options.force) {
      const weights = dests.map((d) => `${describeDestination(d.destination)} ${effectiveWeight(d, dests.length)}`).join(', ');
      throw new PlanRefusedError(
        `VirtualService ${name}: the build carries ${Math.round(result.removedPercent)}% of ${label} (${weights}); it looks like the stable version. ` +
          `Rolling it back would send that traffic to ${describeDestinations(result.destinations)}`,
        { overridable: true },
      );
    }
    ctx.log.add(after, ctx.namespace, 'set-destinations', `${label} -> ${describeDestinations(result.destinations)}`);
    routes.push({ ...route, route: result.destinations });
  }
  if (!changed) return;
  if (routes.length === 0 && (vs.spec.http ?? []).length > 0) {
    throw new PlanRefusedError(`VirtualService ${name} would be left with no HTTP route; nothing was written`);
  }
  ctx.setRoutes(vs, routes);
}
