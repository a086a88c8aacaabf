import { NotFoundError, PlanRefusedError } from '../errors.js';
import type { Plan } from './changes.js';
import { describeDestination } from './describe.js';
import { PlanContext, chooseDestinationRule, describeMirror, ensureSubset, isDestinationOf, labelsText, removeMirrors, type SubsetRef } from './edits.js';
import { jsonEqual, type Destination, type HTTPRoute, type VirtualService } from './istio.js';
import { resolveHost, subsetNameFor } from './names.js';
import type { ReadinessPolicy } from './plan-shift.js';
import type { MirrorRemoveRequest, MirrorRequest } from './requests.js';
import { describeRoute, generalRoutesOfHost, routesOfHost } from './route-model.js';
import type { RoutingState } from './state.js';

/** Options of {@link planMirror}. */
export interface MirrorOptions {
  /** Against a cluster a mirror towards a subset with no ready pods is refused (`fail`) unless forced (design rule 5). */
  readonly readinessPolicy: ReadinessPolicy;
}

const percentText = (p: number): string => `${p}%`;

/**
 * Plans `mirror` (design: command table, `mirror`): ensures the build's subset (DestinationRule
 * first), then mirrors every general route of the host to it with `percentage` (0..100, decimals),
 * always written: when a route already uses the `mirrors` list (Istio 1.22+), the build's entry is
 * added or updated there; otherwise `mirror` (host, port, subset) and `mirrorPercentage.value` are
 * set, replacing (and reporting) a mirror to another destination. Istio discards the mirror's
 * responses (VirtualService reference, `HTTPRoute.mirror`).
 * @throws NotFoundError when no selected VirtualService has a general route of the host.
 * @throws PlanRefusedError when the subset is already one of a route's destinations (a mirror would
 *   duplicate live requests to it), or its pods are not ready under policy `fail` (`overridable`).
 * @throws UsageError when the subset name is not a DNS-1123 label.
 */
export function planMirror(state: RoutingState, req: MirrorRequest, options: MirrorOptions = { readinessPolicy: 'warn' }): Plan {
  const ctx = new PlanContext(state);
  const subset = subsetNameFor(req.destination.host, req.build, ctx.namespace);
  const ref: SubsetRef = { host: resolveHost(req.destination.host, ctx.namespace), subset };
  const dest: Destination = { host: req.destination.host, port: { number: req.destination.port }, subset };
  const dr = chooseDestinationRule(ctx, ref.host, subset);

  const readiness = ctx.readiness.podsBehind(ref.host, req.podSelector);
  if (readiness.known && readiness.ready === 0) {
    const what = `no ready pods behind subset ${subset} (labels ${labelsText(req.podSelector)}) of ${ref.host}`;
    if (options.readinessPolicy === 'fail') throw new PlanRefusedError(`${what}: refusing to mirror traffic to nothing`, { overridable: true });
    ctx.warnings.push(`warning: ${what}`);
  } else if (!readiness.known && state.readiness.source !== 'none') {
    ctx.warnings.push(`readiness of subset ${subset} is unknown: ${readiness.why}`);
  }
  ensureSubset(ctx, dr, subset, req.podSelector);

  let edited = 0;
  for (const vs of state.virtualServices) {
    const generals = generalRoutesOfHost(ctx.factsOf(vs), ref.host);
    if (generals.length === 0) {
      if (routesOfHost(ctx.factsOf(vs), ref.host).length > 0) ctx.warnings.push(`skipped VirtualService ${ctx.namespaceOf(vs)}/${vs.metadata.name}: its routes to ${ref.host} are all targeted`);
      continue;
    }
    edited++;
    mirrorVirtualService(ctx, vs, ref, dest, req.percentage, new Set(generals.map((g) => g.index)));
  }
  if (edited === 0) throw new NotFoundError(`no selected VirtualService has a general route to ${ref.host}`);
  return ctx.finish();
}

function mirrorVirtualService(ctx: PlanContext, vs: VirtualService, ref: SubsetRef, dest: Destination, percentage: number, generals: ReadonlySet<number>): void {
  const vsNs = ctx.namespaceOf(vs);
  const isBuild = (d: Destination): boolean => isDestinationOf(d, ref, vsNs);
  const after = ctx.edit(vs);
  const routes = ctx.factsOf(vs).map((f): HTTPRoute => {
    if (!generals.has(f.index)) return f.route;
    const label = describeRoute(f.route, f.index);
    if ((f.route.route ?? []).some((d) => isBuild(d.destination))) {
      throw new PlanRefusedError(
        `VirtualService ${vsNs}/${vs.metadata.name}: ${label} already sends live traffic to subset ${ref.subset}; mirroring it there too would send it each request twice`,
      );
    }
    if (f.route.mirrors !== undefined) {
      const entry = { destination: dest, percentage: { value: percentage } };
      const index = f.route.mirrors.findIndex((m) => isBuild(m.destination));
      const mirrors = index < 0 ? [...f.route.mirrors, entry] : f.route.mirrors.map((m, i) => (i === index ? { ...m, ...entry } : m));
      if (jsonEqual(mirrors, f.route.mirrors)) return f.route;
      ctx.log.add(after, ctx.namespace, 'set-mirror', `${index < 0 ? 'add' : 'set'} ${label} mirrors entry -> ${describeDestination(dest)} ${percentText(percentage)}`);
      return { ...f.route, mirrors };
    }
    const next: HTTPRoute = { ...f.route, mirror: { ...(f.route.mirror !== undefined && isBuild(f.route.mirror) ? f.route.mirror : {}), ...dest }, mirrorPercentage: { ...(f.route.mirrorPercentage ?? {}), value: percentage } };
    if (jsonEqual(next, f.route)) return f.route;
    if (f.route.mirror !== undefined && !isBuild(f.route.mirror)) {
      ctx.log.add(after, ctx.namespace, 'remove-mirror', `replace ${describeMirror(f.route.mirror)} on ${label}`);
    }
    ctx.log.add(after, ctx.namespace, 'set-mirror', `mirror ${label} -> ${describeDestination(dest)} ${percentText(percentage)}`);
    return next;
  });
  ctx.setRoutes(vs, routes);
}

/**
 * Plans `mirror --remove`: takes only the build's mirror (both forms) off every route of the selected
 * VirtualServices; the subset stays until `rollback` or `clear`. Nothing to remove plans nothing.
 * @throws UsageError when the subset name is not a DNS-1123 label.
 */
export function planMirrorRemove(state: RoutingState, req: MirrorRemoveRequest): Plan {
  const ctx = new PlanContext(state);
  const ref: SubsetRef = { host: resolveHost(req.destination.host, ctx.namespace), subset: subsetNameFor(req.destination.host, req.build, ctx.namespace) };
  for (const vs of state.virtualServices) {
    const vsNs = ctx.namespaceOf(vs);
    let changed = false;
    const routes = ctx.factsOf(vs).map((f) => {
      const { route, removed } = removeMirrors(f.route, (d) => isDestinationOf(d, ref, vsNs));
      for (const m of removed) ctx.log.add(ctx.edit(vs), ctx.namespace, 'remove-mirror', `remove ${describeMirror(m)} from ${describeRoute(f.route, f.index)}`);
      changed ||= removed.length > 0;
      return route;
    });
    if (changed) ctx.setRoutes(vs, routes);
  }
  if (ctx.log.changes.length === 0) ctx.warnings.push(`no route mirrors to subset ${ref.subset} of ${ref.host}`);
  return ctx.finish();
}
