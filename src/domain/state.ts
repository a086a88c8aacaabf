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

/** A Kubernetes Service: its selector decides which pods are behind a destination host (design rule 4). */
export interface ServiceInfo {
  readonly namespace: string;
  readonly name: string;
  /** `spec.selector`; `undefined` for a Service without selector (its endpoints are managed by hand). */
  readonly selector: Readonly<Record<string, string>> | undefined;
}

/** Every VirtualService a store could see, for "who uses this subset" before a subset is removed. */
export interface SubsetUsers {
  /** Every VirtualService read, the selected ones included (as read, before the plan). */
  readonly virtualServices: readonly VirtualService[];
  /** `all-namespaces`: one list across the cluster (or every file); `namespace`: only the command's (RBAC fallback). */
  readonly scope: 'all-namespaces' | 'namespace';
}

/** Everything a planner needs, read from one store in one go. Planners never mutate it. */
export interface RoutingState {
  /** The namespace the command works in (`-n`). */
  readonly namespace: string;
  /** VirtualServices picked by the label selector. */
  readonly virtualServices: readonly VirtualService[];
  /** DestinationRules picked by the label selector. */
  readonly destinationRules: readonly DestinationRule[];
  /**
   * Every VirtualService of every namespace, read only by commands that remove subsets (`rollback`,
   * `clear`) so that a subset still used anywhere is never removed.
   */
  readonly subsetUsers?: SubsetUsers;
  /** The Services of the namespace, read with readiness (empty when readiness was not read). */
  readonly services: readonly ServiceInfo[];
  readonly readiness: { readonly source: ReadinessSource; readonly workloads: readonly Workload[] };
  /** Facts the store reports about the read itself (an RBAC fallback), printed as notes. */
  readonly notes?: readonly string[];
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
