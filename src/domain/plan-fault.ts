import { NotFoundError } from '../errors.js';
import type { Plan } from './changes.js';
import { PlanContext, describeHeaders, headerConditions, narrowedMatch, placeManagedRoutes, refuseShadowedManagedRoutes, warnShadowed } from './edits.js';
import { jsonEqual, type HTTPRoute, type VirtualService } from './istio.js';
import { resolveHost } from './names.js';
import { describeDestinations } from './plan-common.js';
import type { FaultRemoveRequest, FaultRequest, HeaderTraffic } from './requests.js';
import { FAULT_ROUTE_PREFIX, describeRoute, generalRoutesOfHost, type RouteFacts } from './route-model.js';
import type { RoutingState } from './state.js';

/**
 * Istio's duration text for whole milliseconds: `5s` when a whole number of seconds, else `250ms`
 * (the forms Istio's `fixedDelay` accepts; it must be at least 1ms, Istio's webhook
 * `validateHTTPFaultInjectionDelay`).
 */
export function durationText(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** The Istio `HTTPFaultInjection` of a request: `delay` and/or `abort`, each with its percentage. */
export function faultOf(req: Pick<FaultRequest, 'delay' | 'abort'>): Record<string, unknown> {
  const fault: Record<string, unknown> = {};
  if (req.delay) fault['delay'] = { fixedDelay: durationText(req.delay.fixedDelayMs), percentage: { value: req.delay.percentage } };
  if (req.abort) fault['abort'] = { httpStatus: req.abort.httpStatus, percentage: { value: req.abort.percentage } };
  return fault;
}

function describeFault(req: Pick<FaultRequest, 'delay' | 'abort'>): string {
  const parts: string[] = [];
  if (req.delay) parts.push(`delay ${durationText(req.delay.fixedDelayMs)} for ${req.delay.percentage}%`);
  if (req.abort) parts.push(`abort ${req.abort.httpStatus} for ${req.abort.percentage}%`);
  return parts.join(', ');
}

/**
 * The stable name of the managed fault routes of a set of headers: `istiops-fault-` and 8 hex digits
 * of an FNV-1a hash of the sorted header conditions, so that the same headers find their routes again.
 */
export function faultRouteName(headers: HeaderTraffic): string {
  const text = JSON.stringify(headerConditions(headers));
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `${FAULT_ROUTE_PREFIX}${hash.toString(16).padStart(8, '0')}`;
}

/** The general routes a fault applies to in one VirtualService: of the host when given, else every general route with destinations. */
function faultTargets(ctx: PlanContext, vs: VirtualService, host: string | undefined): RouteFacts[] {
  const facts = ctx.factsOf(vs);
  if (host !== undefined) return generalRoutesOfHost(facts, host);
  return facts.filter((f) => f.unreachable === undefined && !f.targeted && f.managed === undefined && (f.route.route ?? []).length > 0);
}

/**
 * Plans `fault` (design: command table, `fault`): sets the route's whole `fault` (delay and/or abort)
 * on the general routes of every selected VirtualService (of the destination host with `destination`),
 * or, with `headers`, on a managed route in front of each of them that matches its entries plus the
 * headers, keeps that route's destinations (later weight shifts keep them in step) and carries the
 * stable name {@link faultRouteName}. Running it twice changes nothing.
 * @throws NotFoundError when no selected VirtualService has such a route.
 */
export function planFault(state: RoutingState, req: FaultRequest): Plan {
  const ctx = new PlanContext(state);
  const host = req.destination === undefined ? undefined : resolveHost(req.destination.host, ctx.namespace);
  const fault = faultOf(req);
  let found = 0;
  for (const vs of state.virtualServices) {
    const targets = faultTargets(ctx, vs, host);
    if (targets.length === 0) continue;
    found++;
    const after = ctx.edit(vs);
    if (req.headers === undefined) {
      const wanted = new Set(targets);
      const routes = ctx.factsOf(vs).map((f): HTTPRoute => {
        if (!wanted.has(f) || jsonEqual(f.route.fault, fault)) return f.route;
        ctx.log.add(after, ctx.namespace, 'set-fault', `set fault on ${describeRoute(f.route, f.index)}: ${describeFault(req)}`);
        return { ...f.route, fault };
      });
      ctx.setRoutes(vs, routes);
      continue;
    }
    const headers = req.headers;
    const name = faultRouteName(headers);
    const conditions = headerConditions(headers);
    const result = placeManagedRoutes(ctx, vs, targets, (f) => f.managed?.kind === 'fault' && f.managed.name === name, (general, previous) => ({
      ...(previous ?? {}),
      name,
      match: narrowedMatch(general.route, conditions),
      route: general.route.route ?? [],
      fault,
    }));
    if (result === undefined) continue;
    for (const p of result.placed) {
      ctx.log.add(
        after,
        ctx.namespace,
        result.previousCount === 0 ? 'add-route' : 'update-route',
        `${result.previousCount === 0 ? 'add' : 'set'} fault route "${name}" before ${describeRoute(p.before.route, p.before.index)}: headers ${describeHeaders(headers)}, ${describeFault(req)} -> ${describeDestinations(p.route.route ?? [])}`,
      );
    }
    refuseShadowedManagedRoutes(ctx, vs, result.routes, result.placed.map((p) => p.route));
    warnShadowed(ctx, vs, result.routes, result.placed.map((p) => p.route));
  }
  if (found === 0) {
    throw new NotFoundError(host === undefined ? 'no selected VirtualService has a general HTTP route' : `no selected VirtualService has a general route to ${host}`);
  }
  return ctx.finish();
}

/**
 * Plans `fault --remove`: takes the `fault` off the general routes (of the host with `destination`),
 * or with `headers` removes the managed fault routes of those headers. Nothing to remove plans nothing.
 */
export function planFaultRemove(state: RoutingState, req: FaultRemoveRequest): Plan {
  const ctx = new PlanContext(state);
  const host = req.destination === undefined ? undefined : resolveHost(req.destination.host, ctx.namespace);
  const name = req.headers === undefined ? undefined : faultRouteName(req.headers);
  for (const vs of state.virtualServices) {
    const facts = ctx.factsOf(vs);
    const targets = new Set(faultTargets(ctx, vs, host));
    let changed = false;
    const routes = facts.flatMap((f): HTTPRoute[] => {
      if (name !== undefined) {
        if (f.managed?.kind !== 'fault' || f.managed.name !== name) return [f.route];
        if (host !== undefined && !f.destinationHosts.every((h) => h === host)) return [f.route];
        changed = true;
        ctx.log.add(ctx.edit(vs), ctx.namespace, 'remove-route', `remove fault ${describeRoute(f.route, f.index)}`);
        return [];
      }
      if (!targets.has(f) || f.route.fault === undefined) return [f.route];
      changed = true;
      const next = { ...f.route };
      delete next.fault;
      ctx.log.add(ctx.edit(vs), ctx.namespace, 'remove-fault', `remove fault from ${describeRoute(f.route, f.index)}`);
      return [next];
    });
    if (changed) ctx.setRoutes(vs, routes);
  }
  if (ctx.log.changes.length === 0) ctx.warnings.push(name === undefined ? 'no selected route has a fault to remove' : `no managed fault route "${name}" to remove`);
  return ctx.finish();
}
