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
  /**
   * Namespace of the VirtualServices, DestinationRules, Services and workloads. In manifest mode a
   * document without `metadata.namespace` belongs to this namespace (as with `kubectl apply -n`).
   */
  readonly namespace: string;
  /** Picks the VirtualServices and DestinationRules by their own labels; an empty selector picks all. */
  readonly labelSelector: LabelSelector;
  /**
   * Readiness facts to read. Anything but `none` also reads the namespace's Services (their
   * selectors decide which pods are behind a destination, design rule 4).
   */
  readonly readiness: ReadinessQuery;
  /**
   * Also return every VirtualService of every namespace (as `RoutingState.subsetUsers`), for commands
   * that remove subsets: a gateway VirtualService in `istio-system` may use an application's subset.
   * Against a cluster one list across namespaces; on 403 the namespace's list, with a note.
   */
  readonly subsetUsers: boolean;
}

/** One change seen by {@link RouteStore.watch}: something among the watched objects changed. */
export interface WatchEvent {
  /** `ADDED`, `MODIFIED`, `DELETED`, or `RELISTED` after a reconnect (410 Gone, dropped connection). */
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'RELISTED';
  /** `Kind namespace/name`, or the list that was read again. */
  readonly object: string;
}

/** A file as it is and as a plan would leave it (manifest mode `--dry-run`). */
export interface FilePreview {
  /** Path as the store knows it (as given or found under a given folder). */
  readonly path: string;
  readonly before: string;
  readonly after: string;
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
  /**
   * Follows the objects `query` reads (Kubernetes watch API) and calls `onChange` after every change,
   * reconnecting on a dropped watch and on `410 Gone` by listing again; resolves when `signal` aborts.
   * Absent on stores that cannot watch (manifests).
   */
  watch?(query: ReadQuery, onChange: (event: WatchEvent) => void, signal: AbortSignal): Promise<void>;
  /**
   * The files as `write` would leave them after writing `objects` (in order), without writing
   * anything: the manifest-mode dry-run diff. Absent on stores without files.
   */
  previewFiles?(objects: readonly IstioObject[]): Promise<readonly FilePreview[]>;
  /** Releases what the store holds (file locks, kept-alive connections); the store is not used after. */
  close?(): Promise<void> | void;
}
