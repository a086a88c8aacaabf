import { serviceOfHost } from './names.js';
import type { RoutingState, ServiceInfo, Workload } from './state.js';

/** Ready pods behind a destination's subset, or why that cannot be known. */
export type Readiness =
  | { readonly known: true; readonly ready: number; readonly note?: string }
  | { readonly known: false; readonly why: string };

/** Kubernetes labels, `{key: value}`. */
export type Labels = Readonly<Record<string, string>>;

const text = (labels: Labels): string =>
  Object.entries(labels)
    .map(([k, v]) => `${k}=${v}`)
    .join(',');

/**
 * Answers "how many ready pods are behind this subset of this host" (design rule 4) in time linear in
 * the pods that could match, built once per plan: the pods behind a subset are those the destination
 * **Service selects** that also carry all the subset's labels (Istio sends a subset's traffic to the
 * service's endpoints whose labels match the subset; bookinfo labels every v1 workload `version: v1`,
 * so only `reviews`' own pods are behind `reviews` subset v1).
 *
 * - When the Service is not among those read, the subset's labels alone select the pods (with a note).
 * - A host in another namespace than the command's, a host that is no cluster service, or readiness
 *   not read: unknown.
 * - Manifests: unknown when neither the Service nor any matching workload is in the files (they may
 *   live elsewhere); against a cluster no matching pod means 0 ready pods.
 */
export class ReadinessIndex {
  readonly #state: Pick<RoutingState, 'namespace' | 'readiness' | 'services'>;
  readonly #services = new Map<string, ServiceInfo>();
  readonly #byLabel = new Map<string, Workload[]>();
  readonly #all: readonly Workload[];

  constructor(state: Pick<RoutingState, 'namespace' | 'readiness' | 'services'>) {
    this.#state = state;
    for (const s of state.services) this.#services.set(`${s.namespace}/${s.name}`, s);
    this.#all = state.readiness.workloads.filter((w) => w.namespace === state.namespace);
    for (const w of this.#all) {
      for (const [k, v] of Object.entries(w.podLabels)) {
        const key = `${k}=${v}`;
        const list = this.#byLabel.get(key);
        if (list) list.push(w);
        else this.#byLabel.set(key, [w]);
      }
    }
  }

  /** Workloads of the namespace whose pod labels carry every label of `labels`. */
  #matching(labels: Labels): Workload[] {
    const entries = Object.entries(labels);
    if (entries.length === 0) return [...this.#all];
    let smallest: Workload[] | undefined;
    for (const [k, v] of entries) {
      const list = this.#byLabel.get(`${k}=${v}`) ?? [];
      if (smallest === undefined || list.length < smallest.length) smallest = list;
    }
    return (smallest ?? []).filter((w) => entries.every(([k, v]) => w.podLabels[k] === v));
  }

  /**
   * Ready pods behind `subsetLabels` of `resolvedHost` (a host already resolved, see `resolveHost`).
   * @param subsetLabels the subset's labels from its DestinationRule (or a pod selector).
   */
  podsBehind(resolvedHost: string, subsetLabels: Labels): Readiness {
    const { source } = this.#state.readiness;
    if (source === 'none') return { known: false, why: 'readiness was not read' };
    const service = serviceOfHost(resolvedHost);
    if (service === undefined) return { known: false, why: `host ${resolvedHost} is not a service of the cluster` };
    if (service.namespace !== this.#state.namespace) {
      return { known: false, why: `host ${resolvedHost} is in namespace ${service.namespace} (only ${this.#state.namespace} was read)` };
    }
    const info = this.#services.get(`${service.namespace}/${service.name}`);
    const selector = info?.selector !== undefined && Object.keys(info.selector).length > 0 ? info.selector : undefined;
    const workloads = this.#matching({ ...subsetLabels, ...(selector ?? {}) }).filter(
      // A subset label that contradicts the selector selects nothing.
      (w) => Object.entries(subsetLabels).every(([k, v]) => w.podLabels[k] === v),
    );
    if (source === 'manifests' && info === undefined && workloads.length === 0) {
      return { known: false, why: `no Service ${service.name} and no workload with labels ${text(subsetLabels)} in the manifests` };
    }
    const ready = workloads.reduce((sum, w) => sum + w.readyPods, 0);
    if (info === undefined) {
      return { known: true, ready, note: `Service ${service.namespace}/${service.name} was not found: the subset's labels alone select the pods` };
    }
    return { known: true, ready };
  }
}
