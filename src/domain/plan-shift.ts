import { NotFoundError, PlanRefusedError } from '../errors.js';
import type { Plan } from './changes.js';
import { describeDestination, describeMatch } from './describe.js';
import {
  PlanContext,
  chooseDestinationRule,
  describeMirror,
  ensureSubset,
  isDestinationOf,
  describeHeaders,
  headerConditions,
  labelsText,
  narrowedMatch,
  placeManagedRoutes,
  refuseShadowedManagedRoutes,
  removeMirrors,
  warnShadowed,
  setShare,
  type SubsetRef,
} from './edits.js';
import { jsonEqual, type Destination, type HTTPRoute, type HTTPRouteDestination, type VirtualService } from './istio.js';
import { resolveHost, subsetNameFor } from './names.js';
import { describeDestinations } from './plan-common.js';
import type { HeaderTraffic, ShiftRequest } from './requests.js';
import { generalRoutesOfHost, routesOfHost, describeRoute, type RouteFacts } from './route-model.js';
import type { RoutingState } from './state.js';

/**
 * What to do when the build's pods are not ready (design rule 5): `fail` refuses the plan
 * (weight shifts against a cluster without force), `warn` only warns.
 */
export type ReadinessPolicy = 'fail' | 'warn';

/** Options of {@link planShift} that do not belong to the request itself. */
export interface ShiftOptions {
  readonly readinessPolicy: ReadinessPolicy;
}

/**
 * Plans `shift` (design: command table, `shift`):
 * 1. ensures the build's subset `<service>-<build>-<namespace>` in the one right DestinationRule
 *    (see `chooseDestinationRule` in `edits.ts`);
 * 2. in every selected VirtualService that has routes of the destination host:
 *    - headers: in front of each general route of the host, a managed route named after the subset
 *      that matches what that route matches **and** carries all the headers (exact, or RE2 regex),
 *      100% to the subset (a catch-all contributes the headers alone); other headers for the same build
 *      replace the match; a managed route that makes an existing targeted route unreachable is written
 *      with a warning;
 *    - weight N (1..100): in every general route of the host the build gets N% and the route's other
 *      destinations share 100-N in proportion to their weights (largest remainder; a destination
 *      rounded to 0 is dropped and reported); at 100 the build is the only destination (promotion).
 *      The build's managed header routes and mirrors go; managed fault routes take the new
 *      destinations of the route they stand in front of. A catch-all route is never created.
 * Pure and idempotent: the same request on its own result plans no writes.
 * @throws NotFoundError when no DestinationRule fits, or no selected VirtualService has a route of the
 *   host (weight: a general route of the host).
 * @throws PlanRefusedError when N < 100 on a route whose only destination is the build (it was
 *   promoted), or the build has no ready pods under policy `fail` (weight shifts only).
 * @throws UsageError when the subset name is not a DNS-1123 label.
 */
export function planShift(state: RoutingState, req: ShiftRequest, options: ShiftOptions = { readinessPolicy: 'warn' }): Plan {
  const ctx = new PlanContext(state);
  const ns = ctx.namespace;
  const subset = subsetNameFor(req.destination.host, req.build, ns);
  const host = resolveHost(req.destination.host, ns);
  const ref: SubsetRef = { host, subset };
  const dest: Destination = { host: req.destination.host, port: { number: req.destination.port }, subset };

  const dr = chooseDestinationRule(ctx, host, subset);
  const targets = state.virtualServices.filter((vs) => routesOfHost(ctx.factsOf(vs), host).length > 0);
  if (targets.length === 0) {
    throw new NotFoundError(
      state.virtualServices.length === 0
        ? `no VirtualService selected in namespace ${ns}`
        : `no selected VirtualService has a reachable HTTP route to ${host} (selected: ${state.virtualServices.map((v) => `${ctx.namespaceOf(v)}/${v.metadata.name}`).join(', ')})`,
    );
  }
  for (const vs of state.virtualServices) {
    if (!targets.includes(vs)) ctx.warnings.push(`skipped VirtualService ${ctx.namespaceOf(vs)}/${vs.metadata.name}: no route to ${host}`);
  }

  checkReadiness(ctx, req, ref, options.readinessPolicy);
  ensureSubset(ctx, dr, subset, req.podSelector);

  if (req.traffic.kind === 'headers') {
    for (const vs of targets) ensureHeaderRoutes(ctx, vs, ref, dest, req.traffic);
  } else {
    let edited = 0;
    for (const vs of targets) if (shiftWeight(ctx, vs, ref, dest, req.traffic.percent)) edited++;
    if (edited === 0) {
      throw new NotFoundError(`no selected VirtualService has a general route to ${host}: its routes are all targeted (header, query or source matches), and istiops never creates a catch-all route`);
    }
  }
  return ctx.finish();
}

function checkReadiness(ctx: PlanContext, req: ShiftRequest, ref: SubsetRef, policy: ReadinessPolicy): void {
  const readiness = ctx.readiness.podsBehind(ref.host, req.podSelector);
  if (!readiness.known) {
    if (ctx.state.readiness.source !== 'none') ctx.warnings.push(`readiness of subset ${ref.subset} is unknown: ${readiness.why}`);
    return;
  }
  if (readiness.note !== undefined) ctx.warnings.push(readiness.note);
  if (readiness.ready > 0) return;
  const what = `no ready pods behind subset ${ref.subset} (labels ${labelsText(req.podSelector)}) of ${ref.host}`;
  if (req.traffic.kind === 'weight' && policy === 'fail') {
    throw new PlanRefusedError(`${what}: refusing to send traffic to nothing`, { overridable: true });
  }
  ctx.warnings.push(`warning: ${what}`);
}

function ensureHeaderRoutes(ctx: PlanContext, vs: VirtualService, ref: SubsetRef, dest: Destination, traffic: HeaderTraffic): void {
  const vsNs = ctx.namespaceOf(vs);
  const generals = generalRoutesOfHost(ctx.factsOf(vs), ref.host);
  if (generals.length === 0) {
    ctx.warnings.push(`skipped VirtualService ${vsNs}/${vs.metadata.name}: its routes to ${ref.host} are all targeted`);
    return;
  }
  const isOwn = (f: RouteFacts): boolean =>
    f.managed?.kind === 'header' && f.managed.subset === ref.subset && f.route.route?.every((d) => isDestinationOf(d.destination, ref, vsNs)) === true;
  const conditions = headerConditions(traffic);
  const result = placeManagedRoutes(ctx, vs, generals, isOwn, (general, previous) => ({
    ...(previous ?? {}),
    name: ref.subset,
    match: narrowedMatch(general.route, conditions),
    route: [{ destination: dest, weight: 100 }],
  }));
  if (result === undefined) return;
  const after = ctx.edit(vs);
  const first = result.previousCount === 0;
  for (const p of result.placed) {
    const where = p.before.index === 0 && first ? 'first' : `before ${describeRoute(p.before.route, p.before.index)}`;
    const matchText = p.before.catchAll ? '' : ` and ${(p.before.route.match ?? []).map(describeMatch).join(' | ')}`;
    ctx.log.add(after, ctx.namespace, first ? 'add-route' : 'update-route', `${first ? 'add' : 'set'} route "${ref.subset}" ${where}: headers ${describeHeaders(traffic)}${matchText} -> ${describeDestination(dest)} 100%`);
  }
  for (let i = result.placed.length; i < result.previousCount; i++) {
    ctx.log.add(after, ctx.namespace, 'remove-route', `remove route "${ref.subset}" left in front of a route that no longer goes to ${ref.host}`);
  }
  refuseShadowedManagedRoutes(ctx, vs, result.routes, result.placed.map((p) => p.route));
  warnShadowed(ctx, vs, result.routes, result.placed.map((p) => p.route));
}

/** Returns false when the VirtualService has no general route of the host (skipped with a warning). */
function shiftWeight(ctx: PlanContext, vs: VirtualService, ref: SubsetRef, dest: Destination, percent: number): boolean {
  const facts = ctx.factsOf(vs);
  const vsNs = ctx.namespaceOf(vs);
  const name = `${vsNs}/${vs.metadata.name}`;
  const general = generalRoutesOfHost(facts, ref.host);
  if (general.length === 0) {
    ctx.warnings.push(`skipped VirtualService ${name}: its routes to ${ref.host} are all targeted, and istiops never creates a catch-all route`);
    return false;
  }
  const isBuild = (d: Destination): boolean => isDestinationOf(d, ref, vsNs);
  const after = ctx.edit(vs);
  const kept: { route: HTTPRoute; fact: RouteFacts }[] = [];
  const newDestinations = new Map<RouteFacts, HTTPRouteDestination[]>();
  for (const f of facts) {
    if (general.includes(f)) {
      const result = setShare(f.route.route ?? [], (d) => isBuild(d.destination), dest, percent);
      if (result === undefined) {
        throw new PlanRefusedError(
          `VirtualService ${name}: ${describeRoute(f.route, f.index)} already sends all its traffic to ${ref.subset}; there is no other destination to keep ${100 - percent}% (shift another build to 100 instead)`,
        );
      }
      newDestinations.set(f, result.destinations);
      if (!jsonEqual(result.destinations, f.route.route)) {
        for (const d of result.dropped) {
          const why = d.why === 'promoted' ? 'the promoted build replaces it' : 'its share rounds to 0';
          ctx.log.add(after, ctx.namespace, 'remove-destination', `drop ${describeDestination(d.destination)} (${d.weight}%) from ${describeRoute(f.route, f.index)}: ${why}`);
        }
        ctx.log.add(after, ctx.namespace, 'set-destinations', `${describeRoute(f.route, f.index)} -> ${describeDestinations(result.destinations)}${percent === 100 ? ' (promotion)' : ''}`);
      }
      kept.push({ route: { ...f.route, route: result.destinations }, fact: f });
    } else if (f.managed?.kind === 'header' && f.managed.subset === ref.subset) {
      ctx.log.add(after, ctx.namespace, 'remove-route', `remove header route "${f.route.name ?? `#${f.index}`}" of subset ${ref.subset} (superseded by the weight)`);
    } else {
      kept.push({ route: f.route, fact: f });
    }
  }
  const routes = kept.map(({ route, fact }, i) => {
    // A weight supersedes the build's mirrors.
    const { route: unmirrored, removed } = removeMirrors(route, isBuild);
    for (const m of removed) ctx.log.add(after, ctx.namespace, 'remove-mirror', `remove ${describeMirror(m)} from ${describeRoute(route, fact.index)} (superseded by the weight)`);
    if (fact.managed?.kind !== 'fault') return unmirrored;
    // A managed fault route takes the new destinations of the general route it stands in front of.
    const behind = kept.slice(i + 1).find((k) => k.fact.managed === undefined);
    const dests = behind === undefined ? undefined : newDestinations.get(behind.fact);
    if (dests === undefined || jsonEqual(dests, unmirrored.route)) return unmirrored;
    ctx.log.add(after, ctx.namespace, 'set-destinations', `fault ${describeRoute(route, fact.index)} -> ${describeDestinations(dests)} (follows the route behind it)`);
    return { ...unmirrored, route: dests };
  });
  ctx.setRoutes(vs, routes);
  return true;
}
