import type { ApisApi, CoreV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { ApiError, AuthError, ConflictError, NotFoundError, TransientError } from '../errors.js';
import type { DestinationRule, IstioObject, VirtualService } from '../domain/istio.js';
import { describeObject } from '../domain/istio.js';
import { formatSelector, matchesSelector } from '../domain/label-selector.js';
import type { RoutingState, Workload } from '../domain/state.js';
import type { ReadQuery, RouteStore, WriteOptions } from './route-store.js';

/** The Istio networking API group. */
export const ISTIO_GROUP = 'networking.istio.io';

/** Served versions in order of preference (design rule 9). */
export const PREFERRED_VERSIONS = ['v1', 'v1beta1', 'v1alpha3'] as const;

/** Options of {@link KubernetesStore}. */
export interface KubernetesStoreOptions {
  /** Timeout of each request in milliseconds (`--request-timeout`). Default 30000. */
  readonly requestTimeoutMs?: number;
  /** Field manager recorded by the API server for istiops' writes. Default `istiops`. */
  readonly fieldManager?: string;
}

interface Clients {
  readonly custom: CustomObjectsApi;
  readonly core: CoreV1Api;
  readonly apis: ApisApi;
}

interface ListResult<T> {
  items?: T[];
}

interface PodLike {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  status?: { conditions?: { type?: string; status?: string }[] };
}

const PLURAL = { VirtualService: 'virtualservices', DestinationRule: 'destinationrules' } as const;

/**
 * Reads and writes VirtualServices and DestinationRules through the Kubernetes API with
 * `@kubernetes/client-node`. Costs per command (design rule 8): one discovery request (`GET /apis`),
 * one list per kind (server-side `labelSelector`), one pod list when readiness matters, and one PUT
 * per changed object, which carries the `resourceVersion` that was read (409 Conflict otherwise).
 */
export class KubernetesStore implements RouteStore {
  readonly kind = 'kubernetes' as const;
  readonly kubeConfig: KubeConfig;
  private readonly options: KubernetesStoreOptions;
  private clients: Clients | undefined;
  private version: string | undefined;

  constructor(kubeConfig: KubeConfig, options: KubernetesStoreOptions = {}) {
    this.kubeConfig = kubeConfig;
    this.options = options;
  }

  /** The API server URL of the current context. */
  get server(): string {
    return this.kubeConfig.getCurrentCluster()?.server ?? '(none)';
  }

  private async api(): Promise<Clients> {
    if (this.clients) return this.clients;
    const k8s = await import('@kubernetes/client-node');
    const timeoutMs = this.options.requestTimeoutMs ?? 30_000;
    const cluster = this.kubeConfig.getCurrentCluster();
    if (!cluster) throw new ApiError('the kubeconfig has no current cluster');
    const config = k8s.createConfiguration({
      baseServer: new k8s.ServerConfiguration(cluster.server, {}),
      authMethods: { default: this.kubeConfig },
      promiseMiddleware: [
        {
          pre: (ctx) => {
            ctx.setSignal(AbortSignal.timeout(timeoutMs));
            return Promise.resolve(ctx);
          },
          post: (ctx) => Promise.resolve(ctx),
        },
      ],
    });
    this.clients = { custom: new k8s.CustomObjectsApi(config), core: new k8s.CoreV1Api(config), apis: new k8s.ApisApi(config) };
    return this.clients;
  }

  /**
   * The networking.istio.io version to use: the first of v1, v1beta1, v1alpha3 the server serves.
   * One `GET /apis` per store; the answer is kept.
   * @throws NotFoundError when the server serves none of them (Istio is not installed).
   */
  async istioVersion(): Promise<string> {
    if (this.version) return this.version;
    const { apis } = await this.api();
    const groups = await this.call('discover API groups', () => apis.getAPIVersions());
    const group = groups.groups.find((g) => g.name === ISTIO_GROUP);
    const served = new Set(group?.versions.map((v) => v.version) ?? []);
    const version = PREFERRED_VERSIONS.find((v) => served.has(v));
    if (!version) {
      throw new NotFoundError(`the API server at ${this.server} serves no ${ISTIO_GROUP} version (${PREFERRED_VERSIONS.join(', ')}); is Istio installed?`);
    }
    this.version = version;
    return version;
  }

  async read(query: ReadQuery): Promise<RoutingState> {
    const version = await this.istioVersion();
    const { custom, core } = await this.api();
    const { namespace } = query;
    const selector = formatSelector(query.labelSelector);
    const list = async <T extends IstioObject>(kind: T['kind'], labelSelector: string): Promise<T[]> => {
      const plural = PLURAL[kind];
      // CustomObjectsApi answers `any`; the list shape is narrowed right here.
      const result: unknown = await this.call(`list ${plural} in namespace ${namespace}`, () =>
        custom.listNamespacedCustomObject({ group: ISTIO_GROUP, version, namespace, plural, ...(labelSelector ? { labelSelector } : {}) }),
      );
      return ((result as ListResult<T>).items ?? []).map((item) => ({ ...item, apiVersion: `${ISTIO_GROUP}/${version}`, kind }));
    };
    // Commands that remove subsets must see every VirtualService of the namespace: one list, selected client-side.
    const [allOrSelected, destinationRules, pods] = await Promise.all([
      list<VirtualService>('VirtualService', query.subsetUsers ? '' : selector),
      list<DestinationRule>('DestinationRule', selector),
      query.readiness.kind === 'none' ? Promise.resolve(undefined) : this.listPods(core, namespace, query.readiness.kind === 'pods' ? query.readiness.podSelector : undefined),
    ]);
    const selected = allOrSelected.filter((vs) => matchesSelector(query.labelSelector, vs.metadata.labels));
    return {
      namespace,
      virtualServices: selected,
      destinationRules,
      ...(query.subsetUsers ? { subsetUsers: { virtualServices: allOrSelected, scope: 'namespace' as const } } : {}),
      services: [],
      readiness: pods === undefined ? { source: 'none', workloads: [] } : { source: 'cluster', workloads: pods },
    };
  }

  private async listPods(core: CoreV1Api, namespace: string, podSelector: Readonly<Record<string, string>> | undefined): Promise<Workload[]> {
    const labelSelector = podSelector ? Object.entries(podSelector).map(([k, v]) => `${k}=${v}`).join(',') : undefined;
    const result = (await this.call(`list pods in namespace ${namespace}`, () =>
      core.listNamespacedPod({ namespace, ...(labelSelector ? { labelSelector } : {}) }),
    )) as ListResult<PodLike>;
    return (result.items ?? []).map((pod) => ({
      ref: `Pod ${namespace}/${pod.metadata?.name ?? '?'}`,
      namespace,
      podLabels: pod.metadata?.labels ?? {},
      readyPods: pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? 1 : 0,
    }));
  }

  async write(object: IstioObject, options: WriteOptions): Promise<IstioObject> {
    const version = await this.istioVersion();
    const { custom } = await this.api();
    const namespace = object.metadata.namespace ?? 'default';
    const body = { ...object, apiVersion: `${ISTIO_GROUP}/${version}` };
    const stored: unknown = await this.call(`update ${describeObject(object)}`, () =>
      custom.replaceNamespacedCustomObject({
        group: ISTIO_GROUP,
        version,
        namespace,
        plural: PLURAL[object.kind],
        name: object.metadata.name,
        body,
        fieldManager: this.options.fieldManager ?? 'istiops',
        ...(options.serverDryRun ? { dryRun: 'All' } : {}),
      }),
    );
    return stored as IstioObject;
  }

  /** Runs one request and translates its failure into a typed error whose message has no credentials. */
  private async call<T>(what: string, request: () => Promise<T>): Promise<T> {
    try {
      return await request();
    } catch (e) {
      throw translateError(e, what, this.server, this.options.requestTimeoutMs ?? 30_000);
    }
  }
}

interface StatusBody {
  message?: string;
  reason?: string;
}

function statusOf(body: unknown): StatusBody {
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as StatusBody;
    } catch {
      return { message: body.slice(0, 200) };
    }
  }
  return typeof body === 'object' && body !== null ? (body) : {};
}

function header(headers: unknown, name: string): string | undefined {
  if (headers && typeof headers === 'object') {
    for (const [k, v] of Object.entries(headers as Record<string, unknown>)) if (k.toLowerCase() === name) return String(v);
  }
  return undefined;
}

/**
 * Maps a client-node failure to a typed istiops error (conventions: translate at the adapter).
 * 409 → ConflictError; 429, 500, 502, 503, 504, timeouts and reset connections → TransientError
 * (with `Retry-After`); 401/403 → AuthError; 404 → NotFoundError; anything else → ApiError.
 */
export function translateError(e: unknown, what: string, server: string, timeoutMs: number): Error {
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'number') {
    const status = statusOf((e as { body?: unknown }).body);
    const message = status.message ?? `HTTP ${code}`;
    if (code === 409) return new ConflictError(`${what}: ${message}`, { cause: e });
    if (code === 401) return new AuthError(`${what}: Unauthorized: the API server at ${server} rejected the credentials`, { cause: e });
    if (code === 403) return new AuthError(`${what}: Forbidden: ${message}`, { cause: e });
    if (code === 404) return new NotFoundError(`${what}: ${message}`, { cause: e });
    if ([429, 500, 502, 503, 504].includes(code)) {
      const after = Number(header((e as { headers?: unknown }).headers, 'retry-after'));
      return new TransientError(`${what}: HTTP ${code} ${message}`, { cause: e, retryAfterMs: Number.isFinite(after) && after > 0 ? Math.min(after, 30) * 1000 : undefined });
    }
    return new ApiError(`${what}: ${message}`, { cause: e, status: code });
  }
  const err = e as { name?: string; type?: string; code?: string; errno?: string; message?: string };
  if (err.name === 'AbortError' || err.name === 'TimeoutError' || err.type === 'aborted') {
    return new TransientError(`${what}: no answer from ${server} within ${timeoutMs / 1000}s (--request-timeout)`, { cause: e });
  }
  const sys = err.code ?? err.errno;
  if (sys === 'ECONNRESET' || sys === 'EPIPE' || /socket hang up/i.test(err.message ?? '')) {
    return new TransientError(`${what}: connection to ${server} was reset`, { cause: e });
  }
  if (sys === 'ECONNREFUSED' || sys === 'ENOTFOUND' || sys === 'EHOSTUNREACH' || sys === 'ETIMEDOUT') {
    return new ApiError(`${what}: cannot reach the API server at ${server} (${sys})`, { cause: e });
  }
  if (e instanceof Error && 'exitCode' in e) return e;
  return new ApiError(`${what}: ${(err.message ?? String(e)).split('\n')[0]}`, { cause: e });
}
