import type { IstioObject } from '../domain/istio.js';
import type { LabelSelector } from '../domain/label-selector.js';
import type { RoutingState } from '../domain/state.js';

/**
 * Which readiness facts a command needs:
 * - `none`: none (header shift, rollback, hard clear).
 * - `namespace`: every workload of the namespace (`show`, soft `clear`).
 * - `pods`: only workloads whose pods carry these labels (weight shift towards one subset).
 */
export type ReadinessQuery =
  | { readonly kind: 'none' }
  | { readonly kind: 'namespace' }
  | { readonly kind: 'pods'; readonly podSelector: Readonly<Record<string, string>> };

/** What to read: the objects a command may edit, in one namespace. */
export interface ReadQuery {
  /** Namespace of the VirtualServices, DestinationRules and workloads. */
  readonly namespace: string;
  /** Picks the VirtualServices and DestinationRules by their own labels. */
  readonly labelSelector: LabelSelector;
  readonly readiness: ReadinessQuery;
  /**
   * Also return the namespace's VirtualServices the selector does not pick (as
   * `RoutingState.otherVirtualServices`), for commands that remove subsets.
   */
  readonly includeOtherVirtualServices: boolean;
}

/** How to write. */
export interface WriteOptions {
  /** Server-side dry run (`dryRun=All`): validated by the server, stored nowhere. */
  readonly serverDryRun: boolean;
}

/**
 * The port every store implements: read a consistent set of objects, write one object back.
 * Implementations: {@link ManifestStore} (YAML files) and {@link KubernetesStore} (Kubernetes API).
 * Both pass the same contract suite (`store.contract.ts`).
 */
export interface RouteStore {
  /** `kubernetes` or `manifests`; decides readiness rules (design rule 5) and propagation waits. */
  readonly kind: 'kubernetes' | 'manifests';
  /**
   * Reads VirtualServices and DestinationRules matching `query`, and readiness facts.
   * @throws TransientError, AuthError, ApiError, ManifestError
   */
  read(query: ReadQuery): Promise<RoutingState>;
  /**
   * Writes one object that was returned by `read` (same kind, namespace and name), replacing it only if
   * it did not change since it was read (Kubernetes: `metadata.resourceVersion` precondition). Returns
   * the object as stored.
   * @throws ConflictError when it changed since read; TransientError when worth retrying;
   *   AuthError, ApiError (e.g. 422 Invalid), ManifestError otherwise.
   */
  write(object: IstioObject, options: WriteOptions): Promise<IstioObject>;
}
