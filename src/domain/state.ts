import type { DestinationRule, VirtualService } from './istio.js';

/**
 * A workload whose pods may sit behind a subset: a Deployment (or StatefulSet, ReplicaSet) from
 * manifests, or a single pod read from the cluster.
 */
export interface Workload {
  /** `Kind namespace/name`, for messages. */
  readonly ref: string;
  readonly namespace: string;
  /** Labels of the workload's pods (a Deployment's pod template labels, a pod's own labels). */
  readonly podLabels: Readonly<Record<string, string>>;
  /** Number of ready pods (0 or 1 for a single pod). */
  readonly readyPods: number;
}

/**
 * Where readiness facts come from, which decides what "no matching workload" means:
 * - `cluster`: every pod of the namespace was listed, so no matching pod means 0 ready pods.
 * - `manifests`: the workloads may live in files not given, so no matching workload means unknown.
 * - `none`: readiness was not read for this command.
 */
export type ReadinessSource = 'cluster' | 'manifests' | 'none';

/** Everything a planner needs, read from one store in one go. Planners never mutate it. */
export interface RoutingState {
  /** The namespace the command works in (`-n`). */
  readonly namespace: string;
  /** VirtualServices picked by the label selector. */
  readonly virtualServices: readonly VirtualService[];
  /** DestinationRules picked by the label selector. */
  readonly destinationRules: readonly DestinationRule[];
  /**
   * VirtualServices of the namespace that the selector did not pick, read only by commands that remove
   * subsets (`rollback`, `clear`) so that a subset still used elsewhere is never removed.
   */
  readonly otherVirtualServices?: readonly VirtualService[];
  readonly readiness: { readonly source: ReadinessSource; readonly workloads: readonly Workload[] };
}

/**
 * Ready pods behind a subset's labels: the sum over workloads of the namespace whose pod labels carry
 * every subset label. Returns `undefined` when readiness is unknown (manifests without such a
 * workload, or readiness not read). A subset without labels selects every workload.
 */
export function readyPodsFor(
  state: Pick<RoutingState, 'readiness'>,
  namespace: string,
  labels: Readonly<Record<string, string>>,
): number | undefined {
  const { source, workloads } = state.readiness;
  if (source === 'none') return undefined;
  const matching = workloads.filter(
    (w) => w.namespace === namespace && Object.entries(labels).every(([k, v]) => w.podLabels[k] === v),
  );
  if (matching.length === 0) return source === 'cluster' ? 0 : undefined;
  return matching.reduce((sum, w) => sum + w.readyPods, 0);
}
