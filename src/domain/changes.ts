import type { DestinationRule, IstioObject, VirtualService } from './istio.js';

/** What a plan does to one object, as data: `show`, `--dry-run`, `-o json` and logs all render it. */
export type ChangeOp =
  | 'add-subset'
  | 'update-subset'
  | 'remove-subset'
  | 'add-route'
  | 'update-route'
  | 'remove-route'
  | 'set-destinations'
  | 'remove-destination'
  | 'set-mirror'
  | 'remove-mirror'
  | 'set-fault'
  | 'remove-fault';

/** One human-readable change to one object. */
export interface Change {
  /** `VirtualService` or `DestinationRule`. */
  readonly kind: IstioObject['kind'];
  readonly namespace: string;
  readonly name: string;
  readonly op: ChangeOp;
  /** One sentence, e.g. `add route "api-3-default" first: headers x-cid=tester (exact) -> subset api-3-default 100%`. */
  readonly message: string;
}

/** The result of a pure planner: the next version of every changed object, and why. */
export interface Plan {
  /** Objects whose spec changed, in write order (make-before-break, see {@link orderWrites}). */
  readonly writes: readonly PlannedWrite[];
  readonly changes: readonly Change[];
  /** Things the user should know that changed nothing (skipped objects, unknown readiness, no ready pods). */
  readonly warnings: readonly string[];
}

/** One object to write, with the version it was planned from. */
export interface PlannedWrite {
  readonly before: IstioObject;
  readonly after: IstioObject;
  /** True for a DestinationRule that gains or relabels a subset: it must land before the VirtualService using it. */
  readonly addsSubsets: boolean;
}

/**
 * Orders writes make-before-break (Istio "Traffic Management Best Practices"): DestinationRules that
 * add subsets first, then VirtualServices, then DestinationRules that only remove subsets. A
 * VirtualService therefore never points at a subset that is not there yet, nor still at one removed.
 */
export function orderWrites(writes: readonly PlannedWrite[]): PlannedWrite[] {
  const rank = (w: PlannedWrite): number => (w.after.kind === 'VirtualService' ? 1 : w.addsSubsets ? 0 : 2);
  return [...writes].sort((a, b) => rank(a) - rank(b));
}

/** Collects changes for one object while a planner works on it. */
export class ChangeLog {
  readonly changes: Change[] = [];
  add(obj: VirtualService | DestinationRule, namespace: string, op: ChangeOp, message: string): void {
    this.changes.push({ kind: obj.kind, namespace: obj.metadata.namespace ?? namespace, name: obj.metadata.name, op, message });
  }
}

/** One line of text for a change: `VirtualService default/api: <message>`. */
export function formatChange(c: Change): string {
  return `${c.kind} ${c.namespace}/${c.name}: ${c.message}`;
}
