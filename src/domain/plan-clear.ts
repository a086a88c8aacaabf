import { PlanRefusedError } from '../errors.js';
import type { Plan } from './changes.js';
import { describeDestination } from './describe.js';
import { PlanContext, describeMirror, removeMirrors, removeShare, removeUnusedSubsets } from './edits.js';
import type { Destination, HTTPRoute, VirtualService } from './istio.js';
import { describeDestinations } from './plan-common.js';
import type { ClearRequest } from './requests.js';
import { describeRoute, type RouteFacts } from './route-model.js';
import type { RoutingState } from './state.js';

/**
 * Plans `clear` (design: command table, `clear`):
 * - `soft`: from every route, the destinations whose subset has no ready pods (readiness known) go,
 *   the others taking their weight in proportion; a targeted route all of whose destinations have no
 *   ready pods is removed (its requests fall through to the routes after it, as before it was added); a
 *   general route in that case is kept and reported (removing it would send its traffic to routes
 *   never meant for it); a mirror (either form) to a subset with no ready pods is removed. A
 *   destination whose readiness is unknown is kept, with a note saying why (design rule 4).
 * - `hard`: keeps only catch-all routes and routes that match on a `uri.prefix`, except the managed
 *   header routes (which carry the prefix of the route they stand in front of).
 * Then both remove the **managed** subsets that no VirtualService in any namespace uses; hand-written
 * subsets stay.
 * @throws PlanRefusedError when a VirtualService would be left with no HTTP route (nothing is written).
 */
export function planClear(state: RoutingState, req: ClearRequest): Plan {
  const ctx = new PlanContext(state);
  for (const vs of state.virtualServices) {
    const facts = ctx.factsOf(vs);
    const routes = facts.flatMap((f) => (req.mode === 'soft' ? softClear(ctx, vs, f) : hardClear(ctx, vs, f)));
    if (routes.length === 0 && facts.length > 0) {
      throw new PlanRefusedError(`clear would leave VirtualService ${ctx.namespaceOf(vs)}/${vs.metadata.name} with no HTTP route; nothing was written`);
    }
    if (routes.length !== facts.length || routes.some((r, i) => r !== facts[i]?.route)) ctx.setRoutes(vs, routes);
  }
  removeUnusedSubsets(ctx, () => true, { handWrittenToo: false, noteKept: false });
  return ctx.finish();
}

function hardClear(ctx: PlanContext, vs: VirtualService, f: RouteFacts): HTTPRoute[] {
  // Managed header routes carry the path of the route they stand in front of: they go all the same,
  // as the original tool's hard clear removed every header route it had written.
  const keeps = f.managed?.kind !== 'header' && (f.catchAll || (f.route.match ?? []).some((m) => m.uri?.prefix !== undefined));
  if (keeps) return [f.route];
  ctx.log.add(ctx.edit(vs), ctx.namespace, 'remove-route', `remove ${describeRoute(f.route, f.index)} (hard clear keeps only the catch-all and uri prefix routes${f.managed?.kind === 'header' ? ', not header routes' : ''})`);
  return [];
}

function softClear(ctx: PlanContext, vs: VirtualService, f: RouteFacts): HTTPRoute[] {
  const vsNs = ctx.namespaceOf(vs);
  const name = `${vsNs}/${vs.metadata.name}`;
  const label = describeRoute(f.route, f.index);
  const dead = (d: Destination): boolean => {
    const r = ctx.readinessOf(d, vsNs);
    return r.known && r.ready === 0;
  };
  for (const d of f.route.route ?? []) {
    const r = ctx.readinessOf(d.destination, vsNs);
    if (!r.known && d.destination.subset !== undefined) ctx.warnings.push(`kept ${describeDestination(d.destination)} in ${label} of VirtualService ${name}: readiness unknown (${r.why})`);
  }
  const { route, removed } = removeMirrors(f.route, dead);
  for (const m of removed) ctx.log.add(ctx.edit(vs), ctx.namespace, 'remove-mirror', `remove ${describeMirror(m)} from ${label}: no ready pods`);
  const dests = route.route ?? [];
  const deadOnes = dests.filter((d) => dead(d.destination));
  if (deadOnes.length === 0) return [route];
  if (deadOnes.length === dests.length) {
    if (f.targeted) {
      ctx.log.add(ctx.edit(vs), ctx.namespace, 'remove-route', `remove ${label} -> ${describeDestinations(dests)}: no ready pods`);
      return [];
    }
    ctx.warnings.push(`kept ${label} of VirtualService ${name}: none of its destinations has ready pods, and its requests have nowhere else to go`);
    return [route];
  }
  const result = removeShare(dests, (d) => deadOnes.includes(d));
  for (const d of deadOnes) ctx.log.add(ctx.edit(vs), ctx.namespace, 'remove-destination', `drop ${describeDestination(d.destination)} from ${label}: no ready pods`);
  ctx.log.add(ctx.edit(vs), ctx.namespace, 'set-destinations', `${label} -> ${describeDestinations(result.destinations)}`);
  return [{ ...route, route: result.destinations }];
}
