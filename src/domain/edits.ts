/**
 * The edit steps every planner composes, over one small planning context. Each step is pure: it
 * works on working copies of the objects that were read, logs what it changes, and never does I/O.
 */
import { NotFoundError, PlanRefusedError } from '../errors.js';
import { ChangeLog, type Plan } from './changes.js';
import { describeDestination } from './describe.js';
import { clone, jsonEqual, type Destination, type DestinationRule, type HTTPMatchRequest, type HTTPRoute, type HTTPRouteDestination, type StringMatch, type VirtualService } from './istio.js';
import { isManagedSubsetName, resolveHost, serviceNameOf } from './names.js';
import { finishPlan, namespaceOf } from './plan-common.js';
import { ReadinessIndex, type Readiness } from './readiness.js';
import { classifyRoutes, classifyVirtualService, describeRoute, effectiveWeight, entryKey, isCatchAll, subsetUses, type RouteFacts } from './route-model.js';
import type { HeaderTraffic } from './requests.js';
import type { RoutingState } from './state.js';
import { apportion } from './weights.js';

/** A subset of a resolved host: what a build is, once its name is known. */
export interface SubsetRef {
  /** Fully resolved host (see `resolveHost`). */
  readonly host: string;
  readonly subset: string;
}

/** `k=v,k2=v2`. */
export function labelsText(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');
}

/** True when a destination (written in a VirtualService of `vsNamespace`) is the subset `ref`. */
export function isDestinationOf(d: Destination, ref: SubsetRef, vsNamespace: string): boolean {
  return d.subset === ref.subset && resolveHost(d.host, vsNamespace) === ref.host;
}

/**
 * The state of one plan: working copies of the objects it edits, the change log and the warnings.
 * Planners edit only through it, so that the plan lists exactly the objects whose content changed.
 */
export class PlanContext {
  readonly state: RoutingState;
  /** The command's namespace: objects without `metadata.namespace` are in it. */
  readonly namespace: string;
  readonly log = new ChangeLog();
  readonly warnings: string[] = [];
  readonly #virtualServices = new Map<VirtualService, VirtualService>();
  readonly #destinationRules = new Map<DestinationRule, { after: DestinationRule; addsSubsets: boolean }>();
  #readiness: ReadinessIndex | undefined;
  #facts = new Map<VirtualService, RouteFacts[]>();
  #rulesByHost: Map<string, DestinationRule[]> | undefined;

  constructor(state: RoutingState) {
    this.state = state;
    this.namespace = state.namespace;
  }

  /** Namespace of an object read (the command's when unset). */
  namespaceOf(obj: VirtualService | DestinationRule): string {
    return namespaceOf(obj, this.namespace);
  }

  /** The readiness index of the state, built on first use. */
  get readiness(): ReadinessIndex {
    this.#readiness ??= new ReadinessIndex(this.state);
    return this.#readiness;
  }

  /** The route facts of a VirtualService as read (before any edit). */
  factsOf(vs: VirtualService): RouteFacts[] {
    let facts = this.#facts.get(vs);
    if (facts === undefined) {
      facts = classifyVirtualService(vs, this.namespace);
      this.#facts.set(vs, facts);
    }
    return facts;
  }

  /** The working copy of a VirtualService read: edits go there. */
  edit(vs: VirtualService): VirtualService {
    let copy = this.#virtualServices.get(vs);
    if (copy === undefined) {
      copy = clone(vs);
      this.#virtualServices.set(vs, copy);
    }
    return copy;
  }

  /** The working copy of a DestinationRule read. */
  editRule(dr: DestinationRule): DestinationRule {
    let entry = this.#destinationRules.get(dr);
    if (entry === undefined) {
      entry = { after: clone(dr), addsSubsets: false };
      this.#destinationRules.set(dr, entry);
    }
    return entry.after;
  }

  /** The VirtualService as the plan leaves it (the original when untouched). */
  current(vs: VirtualService): VirtualService {
    return this.#virtualServices.get(vs) ?? vs;
  }

  /** Replaces the HTTP routes of a VirtualService (keeping `http` absent when it was and stays empty). */
  setRoutes(vs: VirtualService, routes: HTTPRoute[]): void {
    const copy = this.edit(vs);
    if (vs.spec.http === undefined && routes.length === 0) delete copy.spec.http;
    else copy.spec.http = routes;
  }

  /** Marks a DestinationRule as gaining or relabelling a subset (it is written before the VirtualServices). */
  markAddsSubsets(dr: DestinationRule): void {
    this.editRule(dr);
    const entry = this.#destinationRules.get(dr);
    if (entry) entry.addsSubsets = true;
  }

  /** The ready pods behind a destination of a VirtualService in `vsNamespace`, through its subset's labels. */
  readinessOf(d: Destination, vsNamespace: string): Readiness {
    if (d.subset === undefined) return { known: false, why: 'no subset (the whole service)' };
    const host = resolveHost(d.host, vsNamespace);
    const labels = this.subsetLabels(host, d.subset);
    if (labels === undefined) return { known: false, why: `subset ${d.subset} is in no DestinationRule read for ${host}` };
    return this.readiness.podsBehind(host, labels);
  }

  /** The DestinationRules read, by resolved host (built on first use). */
  get rulesByHost(): ReadonlyMap<string, readonly DestinationRule[]> {
    if (this.#rulesByHost === undefined) {
      const map = new Map<string, DestinationRule[]>();
      for (const dr of this.state.destinationRules) {
        const host = resolveHost(dr.spec.host, this.namespaceOf(dr));
        const list = map.get(host);
        if (list) list.push(dr);
        else map.set(host, [dr]);
      }
      this.#rulesByHost = map;
    }
    return this.#rulesByHost;
  }

  /** The labels of a subset of a resolved host in the DestinationRules read (as the plan leaves them). */
  subsetLabels(host: string, subset: string): Readonly<Record<string, string>> | undefined {
    for (const dr of this.rulesByHost.get(host) ?? []) {
      const current = this.#destinationRules.get(dr)?.after ?? dr;
      const s = current.spec.subsets?.find((x) => x.name === subset);
      if (s) return s.labels ?? {};
    }
    return undefined;
  }

  /** The frozen plan: every object whose content changed, make-before-break ordered. */
  finish(): Plan {
    const pairs = [
      ...[...this.#virtualServices].map(([before, after]) => ({ before, after })),
      ...[...this.#destinationRules].map(([before, { after, addsSubsets }]) => ({ before, after, addsSubsets })),
    ];
    return finishPlan(pairs, this.log, this.warnings);
  }
}

/**
 * Picks the one DestinationRule that gets a build's subset (design: "Which objects a command edits"):
 * among the selected DestinationRules of the command's namespace whose host resolves to `host` and
 * which have no `workloadSelector` (such a rule applies to some clients only), the one that already
 * holds the subset, else one holding other managed subsets of the service, else the first by name.
 * Istio merges the DestinationRules of a host and only the first definition of a subset name takes
 * effect, so the subset is written once.
 * @throws NotFoundError naming the hosts that were found when there is none.
 */
export function chooseDestinationRule(ctx: PlanContext, host: string, subset: string): DestinationRule {
  const service = serviceNameOf(host);
  // Subset names carry the namespace of the DestinationRule that holds them (the command's).
  const namespace = ctx.namespace;
  const candidates = ctx.state.destinationRules
    .filter((dr) => ctx.namespaceOf(dr) === ctx.namespace && resolveHost(dr.spec.host, ctx.namespaceOf(dr)) === host && dr.spec.workloadSelector === undefined)
    .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
  const chosen =
    candidates.find((dr) => (dr.spec.subsets ?? []).some((s) => s.name === subset)) ??
    candidates.find((dr) => (dr.spec.subsets ?? []).some((s) => isManagedSubsetName(s.name, service, namespace))) ??
    candidates[0];
  if (chosen === undefined) {
    const found = [...new Set(ctx.state.destinationRules.map((dr) => dr.spec.host))];
    const withSelector = ctx.state.destinationRules.filter((dr) => resolveHost(dr.spec.host, ctx.namespaceOf(dr)) === host && dr.spec.workloadSelector !== undefined);
    throw new NotFoundError(
      `no selected DestinationRule of namespace ${ctx.namespace} has host ${host} without a workloadSelector` +
        (withSelector.length > 0
          ? ` (DestinationRule ${withSelector.map((d) => d.metadata.name).join(', ')} applies only to the workloads it selects)`
          : found.length > 0
            ? ` (found hosts: ${found.join(', ')})`
            : ' (no DestinationRule was selected)'),
    );
  }
  return chosen;
}

/**
 * Ensures the subset exists in the DestinationRule with exactly these labels: adds it, or relabels it
 * (keeping its other fields). Marks the rule to be written before the VirtualServices.
 */
export function ensureSubset(ctx: PlanContext, dr: DestinationRule, subset: string, labels: Readonly<Record<string, string>>): void {
  const existing = (dr.spec.subsets ?? []).find((s) => s.name === subset);
  if (existing !== undefined && jsonEqual(existing.labels ?? {}, labels)) return;
  const after = ctx.editRule(dr);
  ctx.markAddsSubsets(dr);
  if (existing === undefined) {
    after.spec.subsets = [...(after.spec.subsets ?? []), { name: subset, labels: { ...labels } }];
    ctx.log.add(after, ctx.namespace, 'add-subset', `add subset ${subset} (labels ${labelsText(labels)})`);
  } else {
    const copy = after.spec.subsets?.find((s) => s.name === subset);
    if (copy) copy.labels = { ...labels };
    ctx.log.add(after, ctx.namespace, 'update-subset', `set labels of subset ${subset} to ${labelsText(labels)}`);
  }
}

/** A destination list after an edit, and the destinations it dropped (with their weight before). */
export interface ShareResult {
  readonly destinations: HTTPRouteDestination[];
  readonly dropped: readonly { readonly destination: Destination; readonly weight: number; readonly why: 'promoted' | 'rounded to 0' }[];
}

/**
 * Gives the build `percent` (integer 1..100) of a route and lets the route's other destinations share
 * the rest in proportion to their current weights (largest remainder, ties to the earlier one); a
 * destination rounded to 0 is dropped, one that already had weight 0 stays at 0. At 100 the build is the only destination. An existing build
 * destination keeps its position and its other fields but takes `buildDestination`'s host and port;
 * a new one is appended.
 * @returns `undefined` when `percent` < 100 and the build is already the only destination (nothing to
 *   share the rest with): the caller refuses.
 */
export function setShare(
  dests: readonly HTTPRouteDestination[],
  isBuild: (d: HTTPRouteDestination) => boolean,
  buildDestination: Destination,
  percent: number,
): ShareResult | undefined {
  const own = dests.find(isBuild);
  const others = dests.filter((d) => !isBuild(d));
  const build: HTTPRouteDestination = own ? { ...own, destination: { ...own.destination, ...buildDestination } } : { destination: buildDestination };
  if (percent === 100) {
    return { destinations: [{ ...build, weight: 100 }], dropped: others.map((d) => ({ destination: d.destination, weight: effectiveWeight(d, dests.length), why: 'promoted' as const })) };
  }
  if (others.length === 0) return undefined;
  const parts = apportion(others.map((d) => effectiveWeight(d, dests.length)), 100 - percent);
  const dropped: ShareResult['dropped'][number][] = [];
  const next: HTTPRouteDestination[] = [];
  let placed = false;
  for (const d of dests) {
    if (isBuild(d)) {
      if (!placed) next.push({ ...build, weight: percent });
      placed = true;
      continue;
    }
    const part = parts[others.indexOf(d)] ?? 0;
    const before = effectiveWeight(d, dests.length);
    // A destination already at 0 (Argo Rollouts keeps its canary there) stays, at 0; one rounded to 0 goes.
    if (part === 0 && before > 0) dropped.push({ destination: d.destination, weight: before, why: 'rounded to 0' });
    else next.push({ ...d, weight: part });
  }
  if (!placed) next.push({ ...build, weight: percent });
  return { destinations: next, dropped };
}

/**
 * Removes the destinations `isRemoved` picks and gives their weight back to the others in proportion
 * to their weights (largest remainder); integers summing to 100. A lone remaining destination gets 100.
 * @returns the remaining destinations (empty when all went) and the share that was removed, in
 *   percent of the route's traffic (weights are relative proportions).
 */
export function removeShare(
  dests: readonly HTTPRouteDestination[],
  isRemoved: (d: HTTPRouteDestination) => boolean,
): { readonly destinations: HTTPRouteDestination[]; readonly removedPercent: number } {
  const total = dests.reduce((sum, d) => sum + effectiveWeight(d, dests.length), 0);
  const removed = dests.filter(isRemoved).reduce((sum, d) => sum + effectiveWeight(d, dests.length), 0);
  const remaining = dests.filter((d) => !isRemoved(d));
  const parts = apportion(remaining.map((d) => effectiveWeight(d, dests.length)), 100);
  return {
    destinations: remaining.map((d, i) => ({ ...d, weight: parts[i] ?? 0 })),
    removedPercent: total > 0 ? (removed * 100) / total : 100 / Math.max(1, dests.length),
  };
}

/**
 * Removes every mirror of a route (both forms: `mirror` with `mirrorPercentage`, and entries of
 * `mirrors`) that `isRemoved` picks; a `mirrors` list left empty is removed. Returns the route and the
 * mirrors removed.
 */
export function removeMirrors(route: HTTPRoute, isRemoved: (d: Destination) => boolean): { readonly route: HTTPRoute; readonly removed: readonly Destination[] } {
  const removed: Destination[] = [];
  const next: HTTPRoute = { ...route };
  if (route.mirror !== undefined && isRemoved(route.mirror)) {
    removed.push(route.mirror);
    delete next.mirror;
    delete next.mirrorPercentage;
  }
  if (route.mirrors !== undefined) {
    const kept = route.mirrors.filter((m) => {
      if (!isRemoved(m.destination)) return true;
      removed.push(m.destination);
      return false;
    });
    if (kept.length !== route.mirrors.length) {
      if (kept.length === 0) delete next.mirrors;
      else next.mirrors = kept;
    }
  }
  return { route: removed.length > 0 ? next : route, removed };
}

/** Text of a mirror for messages. */
export function describeMirror(d: Destination): string {
  return `mirror to ${describeDestination(d)}`;
}

/**
 * Removes the managed subsets `candidates` picks from the selected DestinationRules, unless a
 * VirtualService in any namespace still uses them (design: "Who uses a subset"): the VirtualServices
 * this plan writes count as the plan leaves them, every other one as read. Hand-written subsets
 * (names not of the convention) are never removed unless `handWrittenToo` (rollback by pod labels
 * removes exactly the subsets the user named). Logs each removal and notes each subset kept.
 */
export function removeUnusedSubsets(
  ctx: PlanContext,
  candidates: (dr: DestinationRule, subset: string) => boolean,
  options: {
    readonly handWrittenToo: boolean;
    /** Note each subset kept because it is in use (rollback: the user asked for it to go; clear: it is just in use). */
    readonly noteKept: boolean;
  },
): void {
  const users = usersAfterPlan(ctx);
  for (const dr of ctx.state.destinationRules) {
    const drNs = ctx.namespaceOf(dr);
    const host = resolveHost(dr.spec.host, drNs);
    const service = serviceNameOf(host);
    const remove = new Set<string>();
    for (const s of dr.spec.subsets ?? []) {
      if (!candidates(dr, s.name)) continue;
      if (!options.handWrittenToo && !isManagedSubsetName(s.name, service, drNs)) continue;
      const user = users.get(`${host}\u0000${s.name}`);
      if (user !== undefined) {
        if (options.noteKept) ctx.warnings.push(`kept subset ${s.name} of DestinationRule ${drNs}/${dr.metadata.name}: still used by VirtualService ${user}`);
        continue;
      }
      remove.add(s.name);
    }
    if (remove.size === 0) continue;
    const after = ctx.editRule(dr);
    after.spec.subsets = (after.spec.subsets ?? []).filter((s) => !remove.has(s.name));
    for (const name of remove) ctx.log.add(after, ctx.namespace, 'remove-subset', `remove subset ${name}`);
  }
}

/**
 * Every (resolved host, subset) used by a VirtualService in any namespace, as the plan leaves the
 * selected ones, mapped to the first user's `namespace/name`. Linear in the routes read.
 */
function usersAfterPlan(ctx: PlanContext): Map<string, string> {
  const selected = new Set(ctx.state.virtualServices);
  // The cross-namespace list may hold other copies of the selected VirtualServices: those count as planned.
  const selectedKeys = new Set(ctx.state.virtualServices.map((vs) => `${ctx.namespaceOf(vs)}/${vs.metadata.name}`));
  const others = (ctx.state.subsetUsers?.virtualServices ?? []).filter((vs) => !selected.has(vs) && !selectedKeys.has(`${ctx.namespaceOf(vs)}/${vs.metadata.name}`));
  const all = [...ctx.state.virtualServices, ...others];
  const users = new Map<string, string>();
  for (const read of all) {
    const vs = ctx.current(read);
    const vsNs = ctx.namespaceOf(vs);
    for (const route of vs.spec.http ?? []) {
      for (const use of subsetUses(route)) {
        const key = `${resolveHost(use.host, vsNs)}\u0000${use.subset}`;
        if (!users.has(key)) users.set(key, `${vsNs}/${vs.metadata.name}`);
      }
    }
  }
  return users;
}

/** One managed route placed in front of a general route by {@link placeManagedRoutes}. */
export interface PlacedRoute {
  readonly route: HTTPRoute;
  /** The general route it stands in front of. */
  readonly before: RouteFacts;
}

/**
 * Puts one managed route in front of each of `generals` (routes of `facts`, the VirtualService as
 * read) and removes the routes `isOwn` picks from everywhere else: the shape of header routes and of
 * managed fault routes. `make(general, previous)` builds the route for a general route, `previous`
 * being the own route that stood there before (to keep fields a user added), if any. Routes are only
 * rewritten when the result differs, so that running a command twice changes nothing.
 * @returns the routes placed and how many own routes there were before, or `undefined` when nothing changed.
 */
export function placeManagedRoutes(
  ctx: PlanContext,
  vs: VirtualService,
  generals: readonly RouteFacts[],
  isOwn: (f: RouteFacts) => boolean,
  make: (general: RouteFacts, previous: HTTPRoute | undefined) => HTTPRoute,
): { readonly placed: readonly PlacedRoute[]; readonly previousCount: number; readonly routes: readonly HTTPRoute[] } | undefined {
  const facts = ctx.factsOf(vs);
  const wanted = new Set(generals);
  const next: HTTPRoute[] = [];
  const placed: PlacedRoute[] = [];
  let previousCount = 0;
  for (const [i, f] of facts.entries()) {
    if (isOwn(f)) {
      previousCount++;
      continue;
    }
    if (wanted.has(f)) {
      const previous = i > 0 && facts[i - 1] !== undefined && isOwn(facts[i - 1] as RouteFacts) ? facts[i - 1]?.route : undefined;
      const route = make(f, previous);
      if ((route.match ?? []).length > 0 || route.match === undefined) {
        next.push(route);
        placed.push({ route, before: f });
      }
    }
    next.push(f.route);
  }
  // A managed route every entry of which an earlier route already has could never match: it goes in
  // front of the first such route (which it then shadows, and warnShadowed says so).
  for (const p of placed) {
    const keys = new Set((p.route.match ?? []).map(entryKey));
    const at = next.indexOf(p.route);
    const covered = new Set<string>();
    let first = -1;
    for (let j = 0; j < at; j++) {
      const hits = (next[j]?.match ?? []).map(entryKey).filter((k) => keys.has(k));
      if (hits.length > 0 && first < 0) first = j;
      for (const k of hits) covered.add(k);
    }
    if (first >= 0 && covered.size === keys.size) {
      next.splice(at, 1);
      next.splice(first, 0, p.route);
    }
  }
  if (jsonEqual(vs.spec.http ?? [], next)) return undefined;
  ctx.setRoutes(vs, next);
  return { placed, previousCount, routes: next };
}

/**
 * The match of a managed route in front of a general route: the requests that route matches **and**
 * that carry the headers. Each of its entries gets the header conditions added; an entry that already
 * requires another value of one of those headers can match no such request and is left out; in front
 * of a catch-all route (which matches every request anyway) the header conditions alone. Entry names
 * are dropped: they belong to the general route.
 * @returns the entries; empty when no request can match both (no managed route belongs there).
 */
export function narrowedMatch(general: HTTPRoute, headers: Readonly<Record<string, StringMatch>>): HTTPMatchRequest[] {
  if (isCatchAll(general)) return [{ headers: { ...headers } }];
  return (general.match ?? []).flatMap((entry) => {
    const own = entry.headers ?? {};
    if (Object.keys(headers).some((name) => own[name] !== undefined && !jsonEqual(own[name], headers[name]))) return [];
    const narrowed: HTTPMatchRequest = { ...entry, headers: { ...own, ...headers } };
    delete narrowed.name;
    return [narrowed];
  });
}

/**
 * Refuses a placement that would leave another build's managed route unreachable: two builds cannot
 * both receive the requests of the same headers, and istiops never leaves a managed route that can
 * no longer match (it would keep its subset in use forever).
 * @throws PlanRefusedError naming the route and the build whose route would be shadowed.
 */
export function refuseShadowedManagedRoutes(ctx: PlanContext, vs: VirtualService, routes: readonly HTTPRoute[], placed: readonly HTTPRoute[]): void {
  const own = new Set(placed);
  for (const f of classifyRoutes(routes, ctx.namespaceOf(vs))) {
    if (own.has(f.route) || f.unreachable?.kind !== 'shadowed' || f.managed === undefined) continue;
    const shadower = routes[f.unreachable.byIndex];
    if (shadower === undefined || !own.has(shadower)) continue;
    const what = f.managed.kind === 'header' ? `the header route of subset ${f.managed.subset}` : `the fault route "${f.managed.name}"`;
    throw new PlanRefusedError(
      `VirtualService ${ctx.namespaceOf(vs)}/${vs.metadata.name}: the same request conditions already go to ${what} (${describeRoute(f.route, routes.indexOf(f.route))}); roll that back or use other headers`,
    );
  }
}

/** Warns about routes that managed routes placed before them make unreachable (each entry repeated earlier). */
export function warnShadowed(ctx: PlanContext, vs: VirtualService, routes: readonly HTTPRoute[], managed: readonly HTTPRoute[]): void {
  const keys = new Set(managed.flatMap((r) => (r.match ?? []).map(entryKey)));
  const own = new Set(managed);
  routes.forEach((r, i) => {
    if (own.has(r) || r.match === undefined || r.match.length === 0) return;
    if (r.match.every((m) => keys.has(entryKey(m)))) {
      ctx.warnings.push(`warning: ${describeRoute(r, i)} of VirtualService ${ctx.namespaceOf(vs)}/${vs.metadata.name} is now unreachable: a managed route before it has the same conditions`);
    }
  });
}

/** The header conditions of a request's headers (exact, or RE2 regex), names sorted. */
export function headerConditions(traffic: HeaderTraffic): Record<string, StringMatch> {
  const names = Object.keys(traffic.headers).sort();
  return Object.fromEntries(names.map((n) => [n, traffic.regex ? { regex: traffic.headers[n] as string } : { exact: traffic.headers[n] as string }]));
}

/** `k=v,k2=v2 (exact)` or `(regex)`. */
export function describeHeaders(traffic: HeaderTraffic): string {
  return (
    Object.entries(traffic.headers)
      .map(([k, v]) => `${k}=${v}`)
      .join(',') + (traffic.regex ? ' (regex)' : ' (exact)')
  );
}
