import { type ChangeLog, orderWrites, type Plan, type PlannedWrite } from './changes.js';
import { jsonEqual, type HTTPRouteDestination, type IstioObject } from './istio.js';
import { describeDestination } from './describe.js';

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

/** `host:port subset 90%` for a list of route destinations. */
export function describeDestinations(dests: readonly HTTPRouteDestination[]): string {
  return dests.map((d) => `${describeDestination(d.destination)} ${d.weight ?? (dests.length === 1 ? 100 : 0)}%`).join(', ');
}
