import { type ChangeLog, orderWrites, type Plan, type PlannedWrite } from './changes.js';
import { clone, jsonEqual, type DestinationRule, type HTTPRoute, type HTTPRouteDestination, type IstioObject, type VirtualService } from './istio.js';
import { describeDestination } from './describe.js';
import { sameHost } from './names.js';
import { subsetUses } from './routes.js';

/** The namespace of an object, `default` when unset (as kubectl and manifests treat it). */
export function namespaceOf(obj: IstioObject, fallback: string): string {
  return obj.metadata.namespace ?? fallback;
}

/** Assembles a plan from before/after pairs, keeping only objects whose content changed, in make-before-break order. */
export function finishPlan(
  pairs: readonly { before: IstioObject; after: IstioObject; addsSubsets?: boolean }[],
  log: ChangeLog,
  warnings: readonly string[],
): Plan {
  const writes: PlannedWrite[] = pairs
    .filter((p) => !jsonEqual(p.before, p.after))
    .map((p) => ({ before: p.before, after: p.after, addsSubsets: p.addsSubsets ?? false }));
  return Object.freeze({
    writes: Object.freeze(orderWrites(writes)),
    changes: Object.freeze([...log.changes]),
    warnings: Object.freeze([...warnings]),
  });
}

export type EditableVirtualService = VirtualService & { spec: VirtualService['spec'] & { http: HTTPRoute[] } };

/** A working copy of a VirtualService whose `spec.http` always exists (removed again by the caller if it was absent). */
export function editableVirtualService(vs: VirtualService): EditableVirtualService {
  const copy = clone(vs);
  copy.spec.http ??= [];
  return copy as EditableVirtualService;
}

/** A working copy of a DestinationRule. */
export function editableDestinationRule(dr: DestinationRule): DestinationRule {
  return clone(dr);
}

/** `host:port subset 90%` for a list of route destinations. */
export function describeDestinations(dests: readonly HTTPRouteDestination[]): string {
  return dests.map((d) => `${describeDestination(d.destination)} ${d.weight ?? (dests.length === 1 ? 100 : 0)}%`).join(', ');
}

/**
 * Finishes an edited VirtualService: sets its HTTP routes, or removes the `http` key again when the
 * original had none and none were added (so that an untouched object stays identical).
 */
export function withHttpRoutes(original: VirtualService, edited: EditableVirtualService, routes: HTTPRoute[]): VirtualService {
  const result: VirtualService = edited;
  if (original.spec.http === undefined && routes.length === 0) delete result.spec.http;
  else result.spec.http = routes;
  return result;
}

/**
 * The first VirtualService of `users` that still sends traffic (a destination or a mirror) to `subset`
 * of the DestinationRule's host, or `undefined`. Hosts compare after resolution in each object's namespace.
 */
export function findSubsetUser(users: readonly VirtualService[], dr: DestinationRule, subset: string, ns: string): VirtualService | undefined {
  const drNs = namespaceOf(dr, ns);
  return users.find((vs) =>
    (vs.spec.http ?? []).some((r) => subsetUses(r).some((u) => u.subset === subset && sameHost(u.host, namespaceOf(vs, ns), dr.spec.host, drNs))),
  );
}
