import type { IncomingMessage } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import type { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { ApiError, NotFoundError, OutcomeUnknownError } from '../errors.js';
import type { DestinationRule, IstioObject, VirtualService } from '../domain/istio.js';
import { describeObject } from '../domain/istio.js';
import { formatSelector, matchesSelector } from '../domain/label-selector.js';
import type { RoutingState, ServiceInfo, Workload } from '../domain/state.js';
import type { ReadQuery, RouteStore, WatchEvent, WriteOptions } from './route-store.js';
import { errorFromAnswer, expectList, expectObject, KubeTransport, type KubeRequest, type ListItem } from './kube-transport.js';

/** The Istio networking API group. */
export const ISTIO_GROUP = 'networking.istio.io';

/** Served versions in order of preference (design rule 9). */
export const PREFERRED_VERSIONS = ['v1', 'v1beta1', 'v1alpha3'] as const;

/** Options of {@link KubernetesStore}. */
export interface KubernetesStoreOptions {
  /** Timeout of each request in milliseconds (`--request-timeout`); 0 means none. Default 30000. */
  readonly requestTimeoutMs?: number;
  /** Field manager recorded by the API server for istiops' writes. Default `istiops`. */
  readonly fieldManager?: string;
  /** Environment for `HTTPS_PROXY` / `NO_PROXY`. Default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** Pause before listing again after a watch failed (milliseconds). Default 1000. */
  readonly watchRetryMs?: number;
}

const PLURAL = { VirtualService: 'virtualservices', DestinationRule: 'destinationrules' } as const;

/** A list as read: its items, or a 404, or the 403 error (see `KubernetesStore.list`). */
type Listed = { readonly items: ListItem[]; readonly resourceVersion: string | undefined } | 'not-found' | { readonly forbidden: Error };

/** A list the store reads: where, and what comes back. */
interface ListSpec {
  readonly what: string;
  readonly path: string;
  readonly listKind: string;
}

/**
 * Reads and writes VirtualServices and DestinationRules through the Kubernetes API over one
 * keep-alive connection pool (`KubeTransport`; client-node only for the kubeconfig).
 * Costs per read (design rule 8), sent together: the VirtualService and DestinationRule lists
 * (server-side `labelSelector`; with `subsetUsers` one VirtualService list across all namespaces),
 * the Service list and the pod list of the namespace when readiness matters. No discovery while the
 * server serves `networking.istio.io/v1`: only a 404 for it sends one `GET /apis/networking.istio.io`
 * (design rule 9). Writes are one PUT per changed object carrying the `resourceVersion` that was read,
 * in the version the object was read in.
 */
export class KubernetesStore implements RouteStore {
  readonly kind = 'kubernetes' as const;
  readonly kubeConfig: KubeConfig;
  private readonly options: KubernetesStoreOptions;
  private readonly transport: KubeTransport;
  /** The networking.istio.io version in use: `v1` until the server says otherwise. */
  private version: string = PREFERRED_VERSIONS[0];
  private versionKnown = false;

  /** @throws UsageError when the kubeconfig's cluster is unusable (a CA with insecure-skip-tls-verify, a CA that is not PEM) */
  constructor(kubeConfig: KubeConfig, options: KubernetesStoreOptions = {}) {
    this.kubeConfig = kubeConfig;
    this.options = options;
    this.transport = new KubeTransport(kubeConfig, {
      ...(options.requestTimeoutMs !== undefined ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
      ...(options.env !== undefined ? { env: options.env } : {}),
    });
  }

  /** The API server URL of the current context. */
  get server(): string {
    return this.transport.server;
  }

  /** Closes the kept-alive connections (the store stays usable: the next request opens one). */
  close(): void {
    this.transport.close();
  }

  /**
   * The networking.istio.io version to use: the first of v1, v1beta1, v1alpha3 the server serves,
   * from one `GET /apis/networking.istio.io` (kept for the store's life).
   * @throws NotFoundError when the server serves none of them (Istio is not installed).
   */
  async istioVersion(): Promise<string> {
    if (this.versionKnown) return this.version;
    const what = `discover the ${ISTIO_GROUP} API versions`;
    const answer = await this.transport.send({ what, method: 'GET', path: `/apis/${ISTIO_GROUP}` });
    if (answer.status === 404) throw this.noIstio();
    const group = expectObject(answer, what, 'APIGroup', this.server);
    const versions = Array.isArray(group['versions']) ? (group['versions'] as unknown[]) : [];
    const served = new Set(versions.map((v) => (v && typeof v === 'object' ? (v as { version?: unknown }).version : undefined)));
    const version = PREFERRED_VERSIONS.find((v) => served.has(v));
    if (!version) throw this.noIstio();
    this.version = version;
    this.versionKnown = true;
    return version;
  }

  private noIstio(): NotFoundError {
    return new NotFoundError(`the API server at ${this.server} serves no ${ISTIO_GROUP} version (${PREFERRED_VERSIONS.join(', ')}); is Istio installed?`);
  }

  private istioList(kind: IstioObject['kind'], namespace: string | undefined, labelSelector: string): ListSpec {
    const plural = PLURAL[kind];
    const where = namespace === undefined ? 'in all namespaces' : `in namespace ${namespace}`;
    const scope = namespace === undefined ? '' : `/namespaces/${encodeURIComponent(namespace)}`;
    return {
      what: `list ${plural} ${where}`,
      path: `/apis/${ISTIO_GROUP}/${this.version}${scope}/${plural}${query({ labelSelector })}`,
      listKind: `${kind}List`,
    };
  }

  /**
   * Sends a list request. A 404 (an unserved version) and a 403 (RBAC, with the server's message) are
   * returned for the caller to decide; every other failure is thrown.
   */
  private async list(spec: ListSpec, signal?: AbortSignal): Promise<Listed> {
    const answer = await this.transport.send({ what: spec.what, method: 'GET', path: spec.path, ...(signal ? { signal } : {}) });
    if (answer.status === 404) return 'not-found';
    if (answer.status === 403) return { forbidden: errorFromAnswer(answer, spec.what, this.server) };
    return expectList(answer, spec.what, spec.listKind, this.server);
  }

  private async mustList(spec: ListSpec, signal?: AbortSignal): Promise<{ items: ListItem[]; resourceVersion: string | undefined }> {
    const answer = await this.transport.send({ what: spec.what, method: 'GET', path: spec.path, ...(signal ? { signal } : {}) });
    return expectList(answer, spec.what, spec.listKind, this.server);
  }

  async read(q: ReadQuery): Promise<RoutingState> {
    const { namespace } = q;
    const selector = formatSelector(q.labelSelector);
    const ns = encodeURIComponent(namespace);
    const notes: string[] = [];
    const istioLists = (): [ListSpec, ListSpec] => [
      q.subsetUsers ? this.istioList('VirtualService', undefined, '') : this.istioList('VirtualService', namespace, selector),
      this.istioList('DestinationRule', namespace, selector),
    ];
    const servicesSpec: ListSpec = { what: `list services in namespace ${namespace}`, path: `/api/v1/namespaces/${ns}/services`, listKind: 'ServiceList' };
    const podSelector = q.readiness.kind === 'pods' ? Object.entries(q.readiness.podSelector).map(([k, v]) => `${k}=${v}`).join(',') : '';
    const podsSpec: ListSpec = { what: `list pods in namespace ${namespace}`, path: `/api/v1/namespaces/${ns}/pods${query({ labelSelector: podSelector })}`, listKind: 'PodList' };
    const readiness = q.readiness.kind !== 'none';

    // Every list goes out at once (design rule 8).
    const [vsSpec, drSpec] = istioLists();
    const [firstVs, firstDr, servicesAnswer, podsAnswer] = await Promise.all([
      this.list(vsSpec),
      this.list(drSpec),
      readiness ? this.list(servicesSpec) : Promise.resolve(undefined),
      readiness ? this.mustList(podsSpec) : Promise.resolve(undefined),
    ]);
    let vsAnswer = firstVs;
    let drAnswer = firstDr;
    if (!this.versionKnown && (vsAnswer === 'not-found' || drAnswer === 'not-found')) {
      // v1 is not served (design rule 9): discover once, then read the Istio lists again in the served version.
      const tried = this.version;
      await this.istioVersion();
      if (this.version === tried) throw new ApiError(`${vsSpec.what}: the server answered 404 although it serves ${ISTIO_GROUP}/${tried}`);
      const [vs2, dr2] = istioLists();
      [vsAnswer, drAnswer] = await Promise.all([this.list(vs2), this.list(dr2)]);
    } else if (drAnswer !== 'not-found' && !('forbidden' in drAnswer)) {
      this.versionKnown = true;
    }
    let scope: 'all-namespaces' | 'namespace' = 'all-namespaces';
    if (q.subsetUsers && vsAnswer !== 'not-found' && 'forbidden' in vsAnswer) {
      // RBAC may allow only the namespace: fall back to it and say so.
      scope = 'namespace';
      notes.push(`cannot list VirtualServices in all namespaces (forbidden); checked only namespace ${namespace}`);
      vsAnswer = await this.list(this.istioList('VirtualService', namespace, ''));
    }
    const vsItems = this.istioItems(vsAnswer);
    const drItems = this.istioItems(drAnswer);
    const virtualServices = vsItems.map((item) => this.asIstio<VirtualService>(item, 'VirtualService'));
    const destinationRules = drItems.map((item) => this.asIstio<DestinationRule>(item, 'DestinationRule'));
    const selected = q.subsetUsers
      ? virtualServices.filter((vs) => (vs.metadata.namespace ?? namespace) === namespace && matchesSelector(q.labelSelector, vs.metadata.labels))
      : virtualServices;

    let services: ServiceInfo[] = [];
    if (servicesAnswer !== undefined && servicesAnswer !== 'not-found' && 'forbidden' in servicesAnswer) {
      notes.push(`cannot list Services in namespace ${namespace} (forbidden); the pods behind a subset are chosen by its labels alone`);
    } else if (servicesAnswer === 'not-found') {
      throw new ApiError(`${servicesSpec.what}: the server answered 404`, { status: 404 });
    } else if (servicesAnswer !== undefined) {
      services = servicesAnswer.items.map((item) => serviceInfo(item, namespace));
    }
    const workloads = podsAnswer?.items.map((item) => podWorkload(item, namespace));
    return {
      namespace,
      virtualServices: selected,
      destinationRules,
      ...(q.subsetUsers ? { subsetUsers: { virtualServices, scope } } : {}),
      services,
      readiness: workloads === undefined ? { source: 'none', workloads: [] } : { source: 'cluster', workloads },
      ...(notes.length > 0 ? { notes } : {}),
    };
  }

  private istioItems(answer: Listed): ListItem[] {
    if (answer === 'not-found') throw this.noIstio();
    if ('forbidden' in answer) throw answer.forbidden;
    return answer.items;
  }

  /** An Istio object as read, with the apiVersion and kind it was read in (list items may omit them). */
  private asIstio<T extends IstioObject>(item: ListItem, kind: T['kind']): T {
    const spec = item['spec'];
    if (spec !== undefined && (spec === null || typeof spec !== 'object' || Array.isArray(spec))) {
      const ns = typeof item.metadata['namespace'] === 'string' ? item.metadata['namespace'] : '?';
      throw new ApiError(`${kind} ${ns}/${item.metadata.name}: spec is not an object`);
    }
    return { ...item, apiVersion: `${ISTIO_GROUP}/${this.version}`, kind, spec: spec ?? {} } as unknown as T;
  }

  async write(object: IstioObject, options: WriteOptions): Promise<IstioObject> {
    const namespace = object.metadata.namespace ?? 'default';
    // Written back in the version it was read in.
    const read = /^networking\.istio\.io\/(v1|v1beta1|v1alpha3)$/.exec(object.apiVersion ?? '')?.[1];
    const version = read ?? (this.versionKnown ? this.version : await this.istioVersion());
    const body = { ...object, apiVersion: `${ISTIO_GROUP}/${version}` };
    const name = describeObject(object);
    const what = `update ${name}`;
    const path =
      `/apis/${ISTIO_GROUP}/${version}/namespaces/${encodeURIComponent(namespace)}/${PLURAL[object.kind]}/${encodeURIComponent(object.metadata.name)}` +
      query({ fieldManager: this.options.fieldManager ?? 'istiops', dryRun: options.serverDryRun ? 'All' : '' });
    const req: KubeRequest = { what, method: 'PUT', path, body, writes: name };
    const answer = await this.transport.send(req);
    let stored: Record<string, unknown>;
    try {
      stored = expectObject(answer, what, object.kind, this.server, name);
    } catch (e) {
      // A success status with an answer that is not the object (a proxy's page): the write may or may not have landed.
      if (e instanceof ApiError && answer.status >= 200 && answer.status < 300) {
        throw new OutcomeUnknownError(`${e.message}; the outcome is unknown (${name} may or may not have been written)`, { cause: e, object: name });
      }
      throw e;
    }
    const meta = stored['metadata'] as { name?: unknown } | undefined;
    if (meta?.name !== object.metadata.name) {
      throw new ApiError(`${what}: the server answered a ${object.kind} named ${JSON.stringify(meta?.name ?? null)}`);
    }
    return { ...stored, apiVersion: `${ISTIO_GROUP}/${version}`, kind: object.kind } as unknown as IstioObject;
  }

  /**
   * Follows the objects `query` reads with the Kubernetes watch API (`?watch=1&resourceVersion=…&
   * allowWatchBookmarks=true`): the selected VirtualServices and DestinationRules, and the namespace's
   * pods and Services when readiness matters. Calls `onChange` per event; after a dropped connection
   * or `410 Gone` it lists again (`RELISTED`) and watches from the new resourceVersion. Resolves when
   * `signal` aborts.
   * @throws AuthError, NotFoundError, ApiError when a first list fails (later failures are retried)
   */
  async watch(q: ReadQuery, onChange: (event: WatchEvent) => void, signal: AbortSignal): Promise<void> {
    if (!this.versionKnown) await this.istioVersion();
    const selector = formatSelector(q.labelSelector);
    const ns = encodeURIComponent(q.namespace);
    const streams: { spec: ListSpec; kind: string }[] = [
      { spec: this.istioList('VirtualService', q.namespace, selector), kind: 'VirtualService' },
      { spec: this.istioList('DestinationRule', q.namespace, selector), kind: 'DestinationRule' },
    ];
    if (q.readiness.kind !== 'none') {
      streams.push(
        { spec: { what: `list pods in namespace ${q.namespace}`, path: `/api/v1/namespaces/${ns}/pods`, listKind: 'PodList' }, kind: 'Pod' },
        { spec: { what: `list services in namespace ${q.namespace}`, path: `/api/v1/namespaces/${ns}/services`, listKind: 'ServiceList' }, kind: 'Service' },
      );
    }
    // The first lists fail the watch at once (wrong selector, no permission); later failures are retried.
    const first = await Promise.all(streams.map((s) => this.mustList(s.spec, signal)));
    await Promise.all(streams.map((s, i) => this.follow(s.spec, s.kind, first[i]?.resourceVersion, onChange, signal)));
  }

  private async follow(spec: ListSpec, kind: string, initialVersion: string | undefined, onChange: (event: WatchEvent) => void, signal: AbortSignal): Promise<void> {
    let resourceVersion = initialVersion;
    const pause = this.options.watchRetryMs ?? 1000;
    while (!signal.aborted) {
      if (resourceVersion === undefined) {
        try {
          resourceVersion = (await this.mustList(spec, signal)).resourceVersion ?? '';
          onChange({ type: 'RELISTED', object: spec.what.replace(/^list /, '') });
        } catch {
          if (!signal.aborted) await delay(pause, undefined, { signal }).catch(() => undefined);
          continue;
        }
      }
      const outcome = await this.watchOnce(spec, kind, resourceVersion, onChange, signal).catch(() => ({ next: undefined, failed: true }));
      resourceVersion = outcome.next;
      if (outcome.failed && !signal.aborted) await delay(pause, undefined, { signal }).catch(() => undefined);
    }
  }

  /**
   * One watch request. Returns the resourceVersion to continue from, or `undefined` to list again
   * (410 Gone, an ERROR event, a dropped connection).
   */
  private async watchOnce(
    spec: ListSpec,
    kind: string,
    resourceVersion: string,
    onChange: (event: WatchEvent) => void,
    signal: AbortSignal,
  ): Promise<{ next: string | undefined; failed: boolean }> {
    const sep = spec.path.includes('?') ? '&' : '?';
    const path = `${spec.path}${sep}${query({ watch: '1', resourceVersion, allowWatchBookmarks: 'true' }).slice(1)}`;
    const req: KubeRequest = { what: spec.what.replace(/^list /, 'watch '), method: 'GET', path, signal };
    let res: IncomingMessage | undefined;
    try {
      const streamed = await this.transport.stream(req);
      res = streamed;
    } catch (e) {
      if (signal.aborted) return { next: resourceVersion, failed: false };
      throw e;
    }
    let current: string | undefined = resourceVersion;
    let failed = false;
    let buffer = '';
    const handleLine = (line: string): void => {
      if (line.trim() === '') return;
      let event: { type?: unknown; object?: { kind?: unknown; code?: unknown; metadata?: { name?: unknown; namespace?: unknown; resourceVersion?: unknown } } };
      try {
        event = JSON.parse(line) as typeof event;
      } catch {
        current = undefined;
        failed = true;
        return;
      }
      const meta = event.object?.metadata;
      if (event.type === 'ERROR') {
        // 410 Gone (resourceVersion too old) and every other error: list again.
        current = undefined;
        failed = event.object?.code !== 410;
        return;
      }
      if (typeof meta?.resourceVersion === 'string') current = meta.resourceVersion;
      if (event.type === 'BOOKMARK') return;
      if (event.type === 'ADDED' || event.type === 'MODIFIED' || event.type === 'DELETED') {
        const name = `${kind} ${typeof meta?.namespace === 'string' ? `${meta.namespace}/` : ''}${typeof meta?.name === 'string' ? meta.name : '?'}`;
        onChange({ type: event.type, object: name });
      }
    };
    await new Promise<void>((resolve) => {
      const stream = res;
      if (!stream) {
        resolve();
        return;
      }
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        buffer += chunk;
        let nl = buffer.indexOf('\n');
        while (nl >= 0 && current !== undefined) {
          handleLine(buffer.slice(0, nl));
          buffer = buffer.slice(nl + 1);
          nl = buffer.indexOf('\n');
        }
        if (current === undefined) stream.destroy();
      });
      stream.on('aborted', () => {
        if (!signal.aborted) {
          current = undefined;
          failed = true;
        }
      });
      stream.on('error', () => {
        if (!signal.aborted) {
          current = undefined;
          failed = true;
        }
      });
      stream.on('close', () => resolve());
    });
    if (res.statusCode !== 200) {
      // Not a stream: the server answered an error (410 Gone: list again).
      return { next: undefined, failed: res.statusCode !== 410 };
    }
    if (buffer.trim() !== '' && current !== undefined) handleLine(buffer);
    return { next: current, failed };
  }
}

/** Encodes query parameters, leaving out empty ones; `''` when none remain. */
function query(params: Readonly<Record<string, string>>): string {
  const parts = Object.entries(params)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`);
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record(value) ?? {})) if (typeof v === 'string') out[k] = v;
  return out;
}

/** A Service as the domain needs it: its selector (design rule 4). */
function serviceInfo(item: ListItem, namespace: string): ServiceInfo {
  const selector = record(record(item['spec'])?.['selector']);
  return {
    namespace: typeof item.metadata['namespace'] === 'string' ? item.metadata['namespace'] : namespace,
    name: item.metadata.name,
    selector: selector === undefined ? undefined : stringMap(selector),
  };
}

/** A pod as a workload: ready when its Ready condition is True and it is not being deleted. */
function podWorkload(item: ListItem, namespace: string): Workload {
  const conditions = record(item['status'])?.['conditions'];
  const ready =
    Array.isArray(conditions) &&
    conditions.some((c: unknown) => record(c)?.['type'] === 'Ready' && record(c)?.['status'] === 'True') &&
    item.metadata['deletionTimestamp'] === undefined;
  const podNamespace = typeof item.metadata['namespace'] === 'string' ? item.metadata['namespace'] : namespace;
  return {
    ref: `Pod ${podNamespace}/${item.metadata.name}`,
    namespace: podNamespace,
    podLabels: stringMap(item.metadata['labels']),
    readyPods: ready ? 1 : 0,
  };
}
