import { NotFoundError, PlanRefusedError } from '../errors.js';
import { ChangeLog, type Plan } from './changes.js';
import { describeDestination } from './describe.js';
import type { Destination, DestinationRule, HTTPMatchRequest, HTTPRoute, HTTPRouteDestination } from './istio.js';
import { jsonEqual } from './istio.js';
import { sameHost, subsetNameFor } from './names.js';
import { describeDestinations, editableDestinationRule, editableVirtualService, finishPlan, namespaceOf, type EditableVirtualService } from './plan-common.js';
import type { HeaderTraffic, ShiftRequest, WeightTraffic } from './requests.js';
import { catchAllMatch, effectiveWeight, findCatchAll, firstCatchAll, isCatchAll, isSubsetDestination, routesToHost } from './routes.js';
import { readyPodsFor, type RoutingState } from './state.js';

/**
 * What to do when the build's pods are not ready (design rule 5): `fail` refuses the plan
 * (weight shifts against a cluster without `--force`), `warn` only warns.
 */
export type ReadinessPolicy = 'fail' | 'warn';

/** Options of {@link planShift} that do not belong to the request itself. */
export interface ShiftOptions {
  readonly readinessPolicy: ReadinessPolicy;
}

/**
 * Plans `shift`: ensures the build's subset `<service>-<build>-<namespace>` in every selected
 * DestinationRule for the destination host, then in every selected VirtualService routing to that host:
 * - headers: ensures a managed route named after the subset, placed before every other route, that
 *   sends requests matching all headers 100% to the subset (its match is replaced if it differs);
 * - weight N: sets the catch-all route's destinations to `[primary: 100-N, subset: N]`, or the subset
 *   alone at 100 (promotion), dropping header routes and mirrors of the same build and any third
 *   destination; creates a catch-all last (100% to the subset) when there is none.
 * Pure and idempotent: the same request on its own result plans no writes.
 * @throws NotFoundError when no selected DestinationRule has the host, or no selected VirtualService routes to it.
 * @throws PlanRefusedError when the build is already the only destination and N < 100, its pods are not ready
 *   under policy `fail`, or a catch-all route to other hosts would shadow the one to create.
 * @throws UsageError when the subset name is not a DNS-1123 label.
 */
export function planShift(state: RoutingState, req: ShiftRequest, options: ShiftOptions = { readinessPolicy: 'warn' }): Plan {
  const ns = state.namespace;
  const host = req.destination.host;
  const subset = subsetNameFor(host, req.build, ns);
  const log = new ChangeLog();
  const warnings: string[] = [];

  const drs = state.destinationRules.filter((dr) => sameHost(dr.spec.host, namespaceOf(dr, ns), host, ns));
  if (drs.length === 0) {
    const found = state.destinationRules.map((dr) => dr.spec.host);
    throw new NotFoundError(
      `no selected DestinationRule has host "${host}" in namespace ${ns}` +
        (found.length > 0 ? ` (found hosts: ${[...new Set(found)].join(', ')})` : ' (no DestinationRule matched the label selector)'),
    );
  }
  const targets = state.virtualServices.filter((vs) => (vs.spec.http ?? []).some((r) => routesToHost(r, host, namespaceOf(vs, ns))));
  if (targets.length === 0) {
    throw new NotFoundError(
      state.virtualServices.length === 0
        ? `no VirtualService in namespace ${ns} matched the label selector`
        : `no selected VirtualService has an HTTP route to "${host}" (selected: ${state.virtualServices.map((v) => v.metadata.name).join(', ')})`,
    );
  }
  for (const vs of state.virtualServices) {
    if (!targets.includes(vs)) warnings.push(`skipped VirtualService ${namespaceOf(vs, ns)}/${vs.metadata.name}: no HTTP route to ${host}`);
  }

  checkReadiness(state, req, subset, options.readinessPolicy, warnings);

  const drPairs = drs.map((dr) => ({ before: dr, after: ensureSubset(dr, subset, req.podSelector, ns, log), addsSubsets: true }));
  const dest: Destination = { host, port: { number: req.destination.port }, subset };
  const vsPairs = targets.map((vs) => {
    const after = editableVirtualService(vs);
    if (req.traffic.kind === 'headers') ensureHeaderRoute(after, dest, req.traffic, ns, log);
    else shiftWeight(after, dest, req.traffic, ns, log, warnings);
    return { before: vs, after };
  });
  return finishPlan([...drPairs, ...vsPairs], log, warnings);
}

function checkReadiness(state: RoutingState, req: ShiftRequest, subset: string, policy: ReadinessPolicy, warnings: string[]): void {
  const ready = readyPodsFor(state, state.namespace, req.podSelector);
  if (ready !== 0) return;
  const what = `no ready pods carry the labels of subset ${subset} (${Object.entries(req.podSelector).map(([k, v]) => `${k}=${v}`).join(',')})`;
  if (req.traffic.kind === 'weight' && policy === 'fail') {
    throw new PlanRefusedError(`${what}; refusing to send traffic to nothing (use --force to override)`);
  }
  warnings.push(`warning: ${what}`);
}

/** Adds the subset, or relabels it when its labels differ. Returns the DestinationRule to write (the same content when nothing changed). */
function ensureSubset(dr: DestinationRule, subset: string, labels: Readonly<Record<string, string>>, ns: string, log: ChangeLog): DestinationRule {
  const after = editableDestinationRule(dr);
  const subsets = after.spec.subsets ?? [];
  const existing = subsets.find((s) => s.name === subset);
  const text = Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');
  if (existing === undefined) {
    after.spec.subsets = [...subsets, { name: subset, labels: { ...labels } }];
    log.add(after, ns, 'add-subset', `add subset ${subset} (labels ${text})`);
  } else if (!jsonEqual(existing.labels ?? {}, labels)) {
    existing.labels = { ...labels };
    log.add(after, ns, 'update-subset', `set labels of subset ${subset} to ${text}`);
  }
  return after;
}

function headerMatch(traffic: HeaderTraffic): HTTPMatchRequest[] {
  const names = Object.keys(traffic.headers).sort();
  return [{ headers: Object.fromEntries(names.map((n) => [n, traffic.regex ? { regex: traffic.headers[n] as string } : { exact: traffic.headers[n] as string }])) }];
}

function describeHeaders(traffic: HeaderTraffic): string {
  return Object.entries(traffic.headers)
    .map(([k, v]) => `${k}=${v}`)
    .join(',') + (traffic.regex ? ' (regex)' : ' (exact)');
}

/**
 * Index of the build's managed route: the route named after the subset, or, for routes the original
 * tool created without a name, a header-matching route whose every destination is the subset.
 */
export function findManagedRoute(routes: readonly HTTPRoute[], host: string, subset: string, ns: string): number {
  const named = routes.findIndex((r) => r.name === subset);
  if (named >= 0) return named;
  return routes.findIndex(
    (r) =>
      r.name === undefined &&
      !isCatchAll(r) &&
      (r.match ?? []).some((m) => m.headers !== undefined) &&
      (r.route ?? []).length > 0 &&
      (r.route ?? []).every((d) => isSubsetDestination(d.destination, host, subset, ns)),
  );
}

function ensureHeaderRoute(vs: EditableVirtualService, dest: Destination, traffic: HeaderTraffic, ns: string, log: ChangeLog): void {
  const subset = dest.subset as string;
  const routes = vs.spec.http;
  const match = headerMatch(traffic);
  const route: HTTPRouteDestination[] = [{ destination: dest, weight: 100 }];
  const index = findManagedRoute(routes, dest.host, subset, namespaceOf(vs, ns));
  if (index < 0) {
    routes.unshift({ name: subset, match, route });
    log.add(vs, ns, 'add-route', `add route "${subset}" first: headers ${describeHeaders(traffic)} -> ${describeDestination(dest)} 100%`);
    return;
  }
  const existing = routes[index] as HTTPRoute;
  const updated: HTTPRoute = { ...existing, name: subset, match, route };
  if (!jsonEqual(existing, updated)) {
    routes[index] = updated;
    log.add(vs, ns, 'update-route', `set route "${subset}" to headers ${describeHeaders(traffic)} -> ${describeDestination(dest)} 100%`);
  }
  // A managed route stranded after a catch-all can never match: it moves first.
  const catchAll = firstCatchAll(routes);
  if (catchAll >= 0 && index > catchAll) {
    routes.splice(index, 1);
    routes.unshift(updated);
    log.add(vs, ns, 'update-route', `move route "${subset}" first: after the catch-all route it could never match`);
  }
}

function shiftWeight(
  vs: EditableVirtualService,
  dest: Destination,
  traffic: WeightTraffic,
  ns: string,
  log: ChangeLog,
  warnings: string[],
): void {
  const subset = dest.subset as string;
  const vsNs = namespaceOf(vs, ns);
  const percent = traffic.percent;

  // Header routes and mirrors of the same build are superseded by the weight.
  for (let i = vs.spec.http.length - 1; i >= 0; i--) {
    const r = vs.spec.http[i] as HTTPRoute;
    if (!isCatchAll(r) && findManagedRoute([r], dest.host, subset, vsNs) === 0) {
      vs.spec.http.splice(i, 1);
      log.add(vs, ns, 'remove-route', `remove header route "${r.name ?? `#${i}`}" of subset ${subset} (superseded by the weight)`);
    }
  }
  for (const r of vs.spec.http) {
    if (r.mirror && isSubsetDestination(r.mirror, dest.host, subset, vsNs)) {
      delete r.mirror;
      delete r.mirrorPercentage;
      log.add(vs, ns, 'remove-mirror', `remove mirror to subset ${subset} (superseded by the weight)`);
    }
  }

  const index = findCatchAll(vs, dest.host, vsNs);
  if (index < 0) {
    const other = firstCatchAll(vs.spec.http);
    if (other >= 0) {
      // A catch-all to other hosts already matches every request: one appended after it could never match.
      throw new PlanRefusedError(
        `VirtualService ${vsNs}/${vs.metadata.name}: its catch-all route (#${other}) sends traffic to other hosts than ${dest.host}; a catch-all route for ${dest.host} after it could never match`,
      );
    }
    vs.spec.http.push({ match: catchAllMatch(), route: [{ destination: dest, weight: 100 }] });
    log.add(vs, ns, 'add-route', `add catch-all route last -> ${describeDestination(dest)} 100%`);
    if (percent < 100) warnings.push(`warning: VirtualService ${vsNs}/${vs.metadata.name} had no catch-all route to ${dest.host}; the new one sends 100% to ${subset}`);
    return;
  }
  const route = vs.spec.http[index] as HTTPRoute;
  const dests = route.route ?? [];
  const own = dests.find((d) => isSubsetDestination(d.destination, dest.host, subset, vsNs));
  const others = dests.filter((d) => d !== own);
  const primary = others.reduce<HTTPRouteDestination | undefined>(
    (best, d) => (best === undefined || effectiveWeight(d, dests.length) > effectiveWeight(best, dests.length) ? d : best),
    undefined,
  );
  // An existing destination keeps its other fields (headers, ...) but takes the requested host and port.
  const subsetDest: HTTPRouteDestination = own ? { ...own, destination: { ...own.destination, ...dest } } : { destination: dest };
  let next: HTTPRouteDestination[];
  if (percent === 100) {
    next = [{ ...subsetDest, weight: 100 }];
  } else if (primary === undefined) {
    throw new PlanRefusedError(
      `VirtualService ${vsNs}/${vs.metadata.name}: the catch-all route already sends all traffic to ${subset}; there is no primary to keep ${100 - percent}% (roll back first)`,
    );
  } else {
    next = [{ ...primary, weight: 100 - percent }, { ...subsetDest, weight: percent }];
  }
  if (jsonEqual(dests, next)) return;
  for (const d of others) {
    if (d !== primary || percent === 100) {
      const why = d === primary ? 'promoted build replaces the primary' : 'left from an earlier canary';
      log.add(vs, ns, 'remove-destination', `drop ${describeDestination(d.destination)} (${effectiveWeight(d, dests.length)}%) from the catch-all route: ${why}`);
    }
  }
  route.route = next;
  log.add(vs, ns, 'set-destinations', `catch-all route -> ${describeDestinations(next)}${percent === 100 ? ' (promotion)' : ''}`);
}
