/**
 * A small Kubernetes API server for tests: HTTP and HTTPS listeners on
 * 127.0.0.1 that speak enough of the Kubernetes REST API for
 * `@kubernetes/client-node` and `kubectl` to read, write and watch Istio
 * VirtualServices and DestinationRules, and core pods and services; with
 * knobs for faults, RBAC denials, untrusted answers and connection counts.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { getTlsMaterial } from './certs.js';
import { writeKubeconfigFile, type KubeconfigOptions } from './kubeconfig.js';
import { isJsonObject, type JsonObject, type JsonValue } from './patch.js';
import {
  apiVersionOf,
  CORE_RESOURCES,
  coreResourcesDocument,
  coreVersionsDocument,
  groupListDocument,
  istioGroup,
  istioResourcesDocument,
  ISTIO_GROUP,
  openApiGroupVersionDocument,
  openApiIndexDocument,
  ISTIO_VERSIONS,
  resourceByKind,
  resourceByPlural,
  versionDocument,
  type IstioVersion,
  type ResourceDef,
  type ResourcePlural,
} from './resources.js';
import { matchesLabels, parseFieldSelector, parseLabelSelector, SelectorError } from './selectors.js';
import {
  badRequest,
  conflict,
  methodNotAllowed,
  notFound,
  pathNotFound,
  reasonFor,
  qualifiedResource,
  StatusError,
  type KubeStatus,
  type ResourceRef,
} from './status.js';
import { ObjectStore, type PatchType } from './store.js';
import type { WebhookRules } from './validation.js';
import { expired, WatchHub, type WatchRequest } from './watch.js';
import { seededRandom } from '../support/random.js';

/** Metadata of a stored object, as far as tests usually need it. */
export interface ObjectMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: string;
  uid?: string;
  generation?: number;
  creationTimestamp?: string;
  [key: string]: unknown;
}

/** A Kubernetes object as the server stores it. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  [key: string]: unknown;
}

/** Classification of a logged request (Kubernetes' RBAC verbs, plus `discovery` and `other`). */
export type RequestVerb = 'list' | 'watch' | 'get' | 'create' | 'update' | 'patch' | 'delete' | 'discovery' | 'other';

/** One entry of the request log. */
export interface RequestLogEntry {
  readonly method: string;
  /** URL path without the query string. */
  readonly path: string;
  /** Query parameters (the last value wins for repeated ones). */
  readonly query: Readonly<Record<string, string>>;
  /** HTTP status answered; 0 when the connection was dropped by fault injection. */
  readonly status: number;
  /** `Content-Type` of the request, when it had one. */
  readonly contentType?: string;
  readonly verb: RequestVerb;
  /** Plural resource name for resource requests (including `namespaces`). */
  readonly resource?: string;
  /** True for `?dryRun=All`. */
  readonly dryRun: boolean;
  /** Id of the TCP connection (TLS or plain) that carried the request; see {@link KubeApiServer.connections}. */
  readonly connection: number;
}

/** One accepted connection, as counted by {@link KubeApiServer.connections}. */
export interface ConnectionInfo {
  /** 1, 2, ... in the order the connections were accepted (after the TLS handshake for `https`). */
  readonly id: number;
  readonly listener: 'https' | 'http';
  /** Requests received on this connection so far. */
  readonly requests: number;
}

/**
 * Selects requests for {@link FaultControls.forbid}: every given field must
 * match. `clusterScope: true` matches only requests without a namespace
 * (cluster-wide lists and watches), `false` only namespaced ones.
 */
export interface ForbidRule {
  readonly verb?: RequestVerb;
  /** Plural resource name, e.g. `virtualservices`, `pods`, `namespaces`. */
  readonly resource?: string;
  readonly namespace?: string;
  readonly clusterScope?: boolean;
}

/** Selects requests for {@link FaultControls.interceptNext}: every given field must match. */
export interface RequestMatch {
  /** HTTP method, e.g. `PUT` (case-insensitive). */
  readonly method?: string;
  /** The URL path without query: equal to a string, or tested by a RegExp. */
  readonly path?: string | RegExp;
  readonly verb?: RequestVerb;
}

/**
 * What an intercepted request gets instead of its normal answer.
 * - `html`: 200 with `Content-Type: text/html` and a login page (a proxy in the way); nothing is done.
 * - `empty-object`: 200 with `{}`; nothing is done.
 * - `wrong-kind`: 200 with an empty `ConfigMapList` (`apiVersion: v1`); nothing is done.
 * - `raw`: `status` with `body` as `contentType` (e.g. a list without `items`); nothing is done.
 * - `drop-after-handling`: the request is carried out (a write is stored; a failure
 *   too is not answered), then the socket is destroyed without an answer: the
 *   client cannot know the outcome. The log entry keeps status 0.
 * - `delay-after-handling`: the request is carried out, then answered only after
 *   `delayMs` milliseconds (past the client's timeout, if shorter).
 */
export type InterceptAction =
  | { readonly type: 'html' }
  | { readonly type: 'empty-object' }
  | { readonly type: 'wrong-kind' }
  | { readonly type: 'raw'; readonly status: number; readonly contentType: string; readonly body: string }
  | { readonly type: 'drop-after-handling' }
  | { readonly type: 'delay-after-handling'; readonly delayMs: number };

/** How {@link FaultControls.goneOnNextWatch} answers: an ERROR event in a 200 stream (as the API server does) or HTTP 410. */
export type GoneMode = 'event' | 'http';

/**
 * Fault injection. `conflictOnNextWrites`, `dropNextConnections`,
 * `failNextWrites` and `writeErrorRate` only hit writes (POST, PUT, PATCH,
 * DELETE) to resource URLs, never discovery, list or get; priority when
 * several are armed: dropped connection, `failNextWrites`,
 * `conflictOnNextWrites`, then `writeErrorRate`. Dry-run writes count as
 * writes. `forbid` and `interceptNext` hit any authenticated request they
 * match (a `forbid` rule first). {@link FaultControls.reset} disarms all.
 */
export interface FaultControls {
  /** Delay before every request (authenticated or not) is handled. */
  latencyMs: number;
  /** Probability (0..1) that a write fails with {@link FaultControls.writeErrorStatus}; drawn from a seeded PRNG. */
  writeErrorRate: number;
  /** Status of random write errors; default 503. */
  writeErrorStatus: number;
  /** When set, injected errors carry `Retry-After` and `details.retryAfterSeconds`. */
  retryAfterSeconds: number | undefined;
  /** The next `count` writes answer 409 Conflict without changing anything. */
  conflictOnNextWrites(count: number): void;
  /** The next `count` writes have their socket destroyed without an answer (after the body was read). */
  dropNextConnections(count: number): void;
  /** The next `count` writes fail with `status` (default 500) and a Status body. */
  failNextWrites(count: number, status?: number): void;
  /**
   * RBAC denial: every request matching `rule` answers 403 Forbidden with a
   * Status worded like the API server's, until {@link FaultControls.reset}.
   * Example: `forbid({ verb: 'list', resource: 'virtualservices', clusterScope: true })`.
   */
  forbid(rule: ForbidRule): void;
  /** The next `count` (default 1) requests matching `match` get `action` instead of their normal answer. */
  interceptNext(match: RequestMatch, action: InterceptAction, count?: number): void;
  /** Destroys the connection of every open watch (the client sees the stream end). */
  dropWatches(): void;
  /**
   * The next watch that sends a `resourceVersion` other than `""` and `"0"`
   * answers 410 Gone ("too old resource version"), as after an etcd compaction.
   */
  goneOnNextWatch(mode?: GoneMode): void;
  /** Disarms every fault and restarts the PRNG from the server's seed. */
  reset(): void;
}

/** Options of {@link startKubeApiServer}. */
export interface KubeApiServerOptions {
  /** Bearer token clients must send; random by default. */
  readonly token?: string;
  /** Served versions of networking.istio.io; default all of v1, v1beta1, v1alpha3. */
  readonly servedVersions?: readonly IstioVersion[];
  /** Seed of the fault-injection PRNG; default 1. */
  readonly seed?: number;
  /**
   * Require the bearer token on the plain-HTTP listener too (default true).
   * kubectl never sends credentials over plain HTTP, so set this to false to
   * drive the HTTP listener with kubectl.
   */
  readonly authOnHttp?: boolean;
  /** Generation of Istio's validating webhook to imitate; default `current` (see {@link WebhookRules}). */
  readonly webhookRules?: WebhookRules;
}

/** A running test server. */
export interface KubeApiServer {
  /** `https://127.0.0.1:PORT` */
  readonly httpsUrl: string;
  /** `http://127.0.0.1:PORT` (same API, same auth). */
  readonly httpUrl: string;
  /** `https://127.0.0.1:PORT` of a port that was free when the server started; connections are refused. */
  readonly unreachableUrl: string;
  readonly token: string;
  /** CA certificate (PEM) that signed the HTTPS certificate. */
  readonly caPem: string;
  readonly faults: FaultControls;
  /** Currently served versions of networking.istio.io, in priority order. */
  servedVersions(): IstioVersion[];
  /** Serve only these versions (may be empty: the group disappears); other versions answer 404. */
  setServedVersions(versions: readonly IstioVersion[]): void;
  /**
   * Puts objects straight into the store, without validation. The type comes
   * from `kind` (VirtualService, DestinationRule, Pod, or Namespace to make an
   * empty namespace exist); namespace defaults to `default`. Returns the
   * stored copies with resourceVersion, uid, creationTimestamp and generation.
   */
  seed(objects: readonly KubeObject[]): KubeObject[];
  /** A deep copy of a stored object, or undefined. `T` is an unchecked convenience cast. */
  getObject<T extends KubeObject = KubeObject>(plural: ResourcePlural, namespace: string, name: string): T | undefined;
  /** Deep copies of the stored objects of a type, optionally in one namespace, sorted by namespace and name. */
  listObjects<T extends KubeObject = KubeObject>(plural: ResourcePlural, namespace?: string): T[];
  /** The current global resourceVersion. */
  resourceVersion(): string;
  /** A copy of the request log, oldest first. Entries are recorded when the request is answered (a watch: when its stream starts). */
  requests(): RequestLogEntry[];
  /** Clears the request log (the connection counts stay). */
  clearLog(): void;
  /** Every connection accepted since the server started, oldest first. */
  connections(): ConnectionInfo[];
  /** Number of watch streams open now. */
  openWatches(): number;
  /** Resolves once at least `count` watch streams are open (no clock involved). */
  waitForWatches(count: number): Promise<void>;
  /** Sends a BOOKMARK event with the current resourceVersion to every open watch that asked for `allowWatchBookmarks`. */
  sendBookmarks(): void;
  /** Writes a kubeconfig for this server; returns `path`. */
  writeKubeconfig(path: string, options?: KubeconfigOptions): string;
  /** Closes both listeners and destroys open connections, watches included. */
  close(): Promise<void>;
}

type Route =
  | { readonly type: 'discovery'; readonly document: JsonObject }
  | { readonly type: 'namespaces'; readonly name?: string }
  | {
      readonly type: 'resource';
      readonly def: ResourceDef;
      readonly version: string;
      readonly namespace?: string;
      readonly name?: string;
    };

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const WATCH_VALUES = new Set(['1', 'true']);

/** The user named in RBAC denials. */
const RBAC_USER = 'system:serviceaccount:ci:istiops';

/** How namespaces appear in RBAC messages. */
const NAMESPACES: ResourceRef = { plural: 'namespaces', group: '', kind: 'Namespace' };

/** What a login proxy in front of the API server answers. */
const LOGIN_PAGE = '<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body><form method="post" action="/login"><input name="user"></form></body></html>\n';

function assertNever(value: never): never {
  throw new Error(`unhandled ${JSON.stringify(value)}`);
}

const FAULT_MESSAGES: Readonly<Record<number, string>> = {
  429: 'Too many requests, please try again later.',
  500: 'Internal error occurred: injected fault',
  503: 'the server is currently unable to handle the request',
  504: 'the server was unable to return a response in the time allotted, but may still be processing the request',
};

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseJson(text: string): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch (err) {
    throw badRequest(`the request body is not valid JSON: ${(err as Error).message}`);
  }
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

async function closedPort(): Promise<number> {
  const probe = createHttpServer();
  const port = await listen(probe);
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

function isIstioVersion(value: string): value is IstioVersion {
  return (ISTIO_VERSIONS as readonly string[]).includes(value);
}

/** Starts a server with its own empty store. */
export async function startKubeApiServer(options: KubeApiServerOptions = {}): Promise<KubeApiServer> {
  const tls = await getTlsMaterial();
  const token = options.token ?? randomBytes(16).toString('hex');
  const seedValue = options.seed ?? 1;
  const authOnHttp = options.authOnHttp ?? true;
  const startedAt = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const store = new ObjectStore(options.webhookRules ?? 'current');
  const extraNamespaces = new Set<string>(['default', 'kube-system']);
  let served: IstioVersion[] = [];
  let log: RequestLogEntry[] = [];
  let random = seededRandom(seedValue);
  let conflictsLeft = 0;
  let dropsLeft = 0;
  let failuresLeft = 0;
  let failureStatus = 500;
  let forbidden: ForbidRule[] = [];
  let intercepts: { match: RequestMatch; action: InterceptAction; left: number }[] = [];
  let goneNext: GoneMode | undefined;
  let httpsPort = 0;
  const watches = new WatchHub(store);

  const setServedVersions = (versions: readonly IstioVersion[]): void => {
    for (const v of versions) if (!isIstioVersion(v)) throw new Error(`unknown networking.istio.io version ${String(v)}`);
    served = ISTIO_VERSIONS.filter((v) => versions.includes(v));
  };
  setServedVersions(options.servedVersions ?? ISTIO_VERSIONS);

  const faults: FaultControls = {
    latencyMs: 0,
    writeErrorRate: 0,
    writeErrorStatus: 503,
    retryAfterSeconds: undefined,
    conflictOnNextWrites(count) {
      conflictsLeft = count;
    },
    dropNextConnections(count) {
      dropsLeft = count;
    },
    failNextWrites(count, status = 500) {
      failuresLeft = count;
      failureStatus = status;
    },
    forbid(rule) {
      forbidden.push(rule);
    },
    interceptNext(match, action, count = 1) {
      intercepts.push({ match, action, left: count });
    },
    dropWatches() {
      watches.dropAll();
    },
    goneOnNextWatch(mode = 'event') {
      goneNext = mode;
    },
    reset() {
      faults.latencyMs = 0;
      faults.writeErrorRate = 0;
      faults.writeErrorStatus = 503;
      faults.retryAfterSeconds = undefined;
      conflictsLeft = dropsLeft = failuresLeft = 0;
      forbidden = [];
      intercepts = [];
      goneNext = undefined;
      random = seededRandom(seedValue);
    },
  };

  function route(segments: readonly string[]): Route {
    const [root, a, b, c, d, e, f, ...rest] = segments;
    if (root === 'version' && a === undefined) return { type: 'discovery', document: versionDocument() };
    if (root === 'openapi' && a === 'v3') {
      if (b === undefined) return { type: 'discovery', document: openApiIndexDocument(served) };
      const document = openApiGroupVersionDocument(segments.slice(2).join('/'), served);
      if (document) return { type: 'discovery', document };
    }
    if (root === 'api') {
      if (a === undefined) return { type: 'discovery', document: coreVersionsDocument(`127.0.0.1:${httpsPort}`) };
      if (a !== 'v1') throw pathNotFound();
      if (b === undefined) return { type: 'discovery', document: coreResourcesDocument() };
      const core = (plural: string | undefined): ResourceDef => {
        const def = CORE_RESOURCES.find((r) => r.plural === plural);
        if (!def) throw pathNotFound();
        return def;
      };
      if (b === 'namespaces') {
        if (c === undefined) return { type: 'namespaces' };
        if (d === undefined) return { type: 'namespaces', name: c };
        if (f === undefined) return { type: 'resource', def: core(d), version: 'v1', namespace: c, ...(e !== undefined ? { name: e } : {}) };
      }
      if (c === undefined) return { type: 'resource', def: core(b), version: 'v1' };
      throw pathNotFound();
    }
    if (root === 'apis') {
      if (a === undefined) return { type: 'discovery', document: groupListDocument(served) };
      if (a !== ISTIO_GROUP) throw pathNotFound();
      if (b === undefined) {
        const group = istioGroup(served);
        if (!group) throw pathNotFound();
        return { type: 'discovery', document: group };
      }
      if (!isIstioVersion(b) || !served.includes(b)) throw pathNotFound();
      if (c === undefined) return { type: 'discovery', document: istioResourcesDocument(b) };
      const istio = (plural: string | undefined): ResourceDef => {
        const def = plural === undefined ? undefined : resourceByPlural(plural);
        if (!def || def.group !== ISTIO_GROUP) throw pathNotFound();
        return def;
      };
      if (c !== 'namespaces' && d === undefined) return { type: 'resource', def: istio(c), version: b };
      if (c === 'namespaces' && d !== undefined && e !== undefined && rest.length === 0) {
        return { type: 'resource', def: istio(e), version: b, namespace: d, ...(f !== undefined ? { name: f } : {}) };
      }
    }
    throw pathNotFound();
  }

  function namespaceObject(name: string): JsonObject {
    return {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name, creationTimestamp: startedAt, labels: { 'kubernetes.io/metadata.name': name } },
      spec: { finalizers: ['kubernetes'] },
      status: { phase: 'Active' },
    };
  }

  function filterList(items: JsonObject[], query: URLSearchParams): JsonObject[] {
    return items.filter(selectorOf(query));
  }

  /** The label and field selectors of a list or watch request as a predicate; 400 BadRequest when they do not parse. */
  function selectorOf(query: URLSearchParams): (item: JsonObject) => boolean {
    let requirements: ReturnType<typeof parseLabelSelector>;
    let fieldMatch: ReturnType<typeof parseFieldSelector>;
    try {
      requirements = parseLabelSelector(query.get('labelSelector') ?? '');
      fieldMatch = parseFieldSelector(query.get('fieldSelector') ?? '');
    } catch (err) {
      if (err instanceof SelectorError) throw badRequest(`unable to parse requirement: ${err.message}`);
      throw err;
    }
    return (item) => {
      const meta = isJsonObject(item['metadata']) ? item['metadata'] : {};
      const labels = isJsonObject(meta['labels']) ? meta['labels'] : {};
      const stringLabels: Record<string, string> = {};
      for (const [k, v] of Object.entries(labels)) if (typeof v === 'string') stringLabels[k] = v;
      const name = typeof meta['name'] === 'string' ? meta['name'] : '';
      const namespace = typeof meta['namespace'] === 'string' ? meta['namespace'] : '';
      return matchesLabels(requirements, stringLabels) && fieldMatch({ 'metadata.name': name, 'metadata.namespace': namespace });
    };
  }

  function allNamespaces(): string[] {
    return [...new Set([...extraNamespaces, ...store.namespaces()])].sort();
  }

  /** Answers a namespaces request (read-only, derived from the store). */
  function handleNamespaces(method: string, r: { readonly name?: string }, query: URLSearchParams): [number, JsonValue] {
    if (method !== 'GET') throw methodNotAllowed();
    if (r.name !== undefined) {
      if (!allNamespaces().includes(r.name)) {
        throw new StatusError(404, 'NotFound', `namespaces "${r.name}" not found`, { name: r.name, kind: 'namespaces' });
      }
      return [200, namespaceObject(r.name)];
    }
    const items = filterList(allNamespaces().map(namespaceObject), query);
    return [200, { apiVersion: 'v1', kind: 'NamespaceList', metadata: { resourceVersion: store.resourceVersion() }, items }];
  }

  function patchType(contentType: string | undefined): PatchType {
    if (contentType === 'application/merge-patch+json' || contentType === 'application/json-patch+json') return contentType;
    throw new StatusError(
      415,
      'UnsupportedMediaType',
      'the body of the request was in an unknown format - accepted media types include: ' +
        'application/json-patch+json, application/merge-patch+json',
      {},
    );
  }

  /** Answers a resource request. */
  function handleResource(
    method: string,
    r: Extract<Route, { type: 'resource' }>,
    query: URLSearchParams,
    body: string,
    contentType: string | undefined,
    dryRun: boolean,
  ): [number, JsonValue | KubeStatus] {
    const { def, version, namespace, name } = r;
    const options = { dryRun };
    if (name === undefined) {
      if (method === 'GET') {
        const items = filterList(store.list(def, namespace, version), query);
        const metadata = { resourceVersion: store.resourceVersion() };
        return [200, { apiVersion: apiVersionOf(def, version), kind: def.listKind, metadata, items }];
      }
      if (method === 'POST' && namespace !== undefined) return [201, store.create(def, version, namespace, parseJson(body), options)];
      throw methodNotAllowed();
    }
    const ns = namespace ?? '';
    switch (method) {
      case 'GET': {
        const obj = store.get(def, ns, name, version);
        if (!obj) throw notFound(def, name);
        return [200, obj];
      }
      case 'PUT':
        return [200, store.update(def, version, ns, name, parseJson(body), options)];
      case 'PATCH':
        return [200, store.patch(def, version, ns, name, patchType(contentType), parseJson(body), options)];
      case 'DELETE':
        return [200, store.delete(def, ns, name, body.trim() === '' ? undefined : parseJson(body), options)];
      default:
        throw methodNotAllowed();
    }
  }

  /** The armed fault for this write, if any: `'drop'` or the error to answer. */
  function injectedFault(r: Extract<Route, { type: 'resource' }>, body: string): 'drop' | StatusError | undefined {
    const withRetry = (code: number): StatusError => {
      const retry = faults.retryAfterSeconds;
      return new StatusError(
        code,
        reasonFor(code),
        FAULT_MESSAGES[code] ?? `injected fault (HTTP ${code})`,
        retry !== undefined ? { retryAfterSeconds: retry } : {},
      );
    };
    if (dropsLeft > 0) {
      dropsLeft--;
      return 'drop';
    }
    if (failuresLeft > 0) {
      failuresLeft--;
      return withRetry(failureStatus);
    }
    if (conflictsLeft > 0) {
      conflictsLeft--;
      let name = r.name ?? '';
      if (!name) {
        try {
          const parsed = JSON.parse(body) as unknown;
          const meta = isJsonObject(parsed) ? parsed['metadata'] : undefined;
          if (isJsonObject(meta) && typeof meta['name'] === 'string') name = meta['name'];
        } catch {
          // keep the empty name
        }
      }
      return conflict(r.def, name);
    }
    if (faults.writeErrorRate > 0 && random() < faults.writeErrorRate) return withRetry(faults.writeErrorStatus);
    return undefined;
  }

  /** 403 for a request matching a {@link FaultControls.forbid} rule, worded like the API server's RBAC denial. */
  function forbiddenBy(verb: RequestVerb, def: ResourceRef, namespace: string | undefined, name: string | undefined): StatusError | undefined {
    const hit = forbidden.some(
      (rule) =>
        (rule.verb === undefined || rule.verb === verb) &&
        (rule.resource === undefined || rule.resource === def.plural) &&
        (rule.namespace === undefined || rule.namespace === namespace) &&
        (rule.clusterScope === undefined || rule.clusterScope === (namespace === undefined)),
    );
    if (!hit) return undefined;
    const scope = namespace === undefined ? 'at the cluster scope' : `in the namespace "${namespace}"`;
    const subject = name === undefined ? qualifiedResource(def) : `${qualifiedResource(def)} "${name}"`;
    const message = `${subject} is forbidden: User "${RBAC_USER}" cannot ${verb} resource "${def.plural}" in API group "${def.group}" ${scope}`;
    return new StatusError(403, 'Forbidden', message, { ...(name !== undefined ? { name } : {}), group: def.group, kind: def.plural });
  }

  /** Takes the first armed {@link FaultControls.interceptNext} rule matching this request, if any. */
  function takeIntercept(method: string, path: string, verb: RequestVerb): InterceptAction | undefined {
    const index = intercepts.findIndex(({ match }) => {
      const pathMatches = match.path === undefined || (typeof match.path === 'string' ? match.path === path : match.path.test(path));
      return (match.method === undefined || match.method.toUpperCase() === method) && pathMatches && (match.verb === undefined || match.verb === verb);
    });
    const hit = intercepts[index];
    if (!hit) return undefined;
    if (--hit.left <= 0) intercepts.splice(index, 1);
    return hit.action;
  }

  /** Starts a watch stream for a list URL (see {@link WatchHub.start}); consumes an armed `goneOnNextWatch`. */
  function startWatch(res: ServerResponse, r: Extract<Route, { type: 'resource' }>, query: URLSearchParams, entry: { status: number }): void {
    const sent = query.get('resourceVersion') ?? '';
    const gone = sent !== '' && sent !== '0' ? goneNext : undefined;
    if (gone !== undefined) goneNext = undefined;
    if (gone === 'http') throw expired(sent, store.resourceVersion());
    const request: WatchRequest = {
      def: r.def,
      version: r.version,
      ...(r.namespace !== undefined ? { namespace: r.namespace } : {}),
      matches: selectorOf(query),
      resourceVersion: sent,
      bookmarks: query.get('allowWatchBookmarks') === 'true',
      timeoutSeconds: Number(query.get('timeoutSeconds') ?? '0') || 0,
    };
    watches.start(res, request, gone === 'event');
    entry.status = 200;
  }

  /** Answers with an {@link InterceptAction} that replaces the handling; true when it did. */
  function answerInstead(action: InterceptAction, res: ServerResponse, entry: { status: number }): boolean {
    const send = (contentType: string, text: string, status = 200): void => {
      entry.status = status;
      res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) });
      res.end(text);
    };
    switch (action.type) {
      case 'html':
        send('text/html; charset=utf-8', LOGIN_PAGE);
        return true;
      case 'empty-object':
        send('application/json', '{}');
        return true;
      case 'wrong-kind':
        send('application/json', JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMapList', metadata: { resourceVersion: store.resourceVersion() }, items: [] }));
        return true;
      case 'raw':
        send(action.contentType, action.body, action.status);
        return true;
      case 'drop-after-handling':
      case 'delay-after-handling':
        return false;
      default:
        return assertNever(action);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const contentType = req.headers['content-type']?.split(';')[0]?.trim().toLowerCase();
    const dryRunValues = url.searchParams.getAll('dryRun');
    const connection = connectionOf(req.socket);
    const entry: {
      -readonly [K in keyof RequestLogEntry]: RequestLogEntry[K];
    } = {
      method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      status: 0,
      ...(contentType ? { contentType } : {}),
      verb: 'other',
      dryRun: dryRunValues.includes('All'),
      connection: connection?.id ?? 0,
    };
    if (connection) connection.requests++;
    let after: InterceptAction | undefined;
    const respond = async (code: number, payload: JsonValue | KubeStatus, headers: Record<string, string> = {}): Promise<void> => {
      if (after?.type === 'drop-after-handling') {
        req.socket.destroy();
        return;
      }
      const delayMs = after?.type === 'delay-after-handling' ? after.delayMs : 0;
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (req.socket.destroyed) return; // the client gave up while the answer was held back
      entry.status = code;
      const text = JSON.stringify(payload);
      res.writeHead(code, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
      res.end(text);
    };

    try {
      if (faults.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, faults.latencyMs));
      const body = WRITE_METHODS.has(method) ? await readBody(req) : '';
      const secure = (req.socket as Partial<TLSSocket>).encrypted === true;
      if ((secure || authOnHttp) && req.headers.authorization !== `Bearer ${token}`) {
        throw new StatusError(401, 'Unauthorized', 'Unauthorized');
      }
      const r = route(url.pathname.split('/').filter((s) => s !== ''));
      const watching = method === 'GET' && r.type === 'resource' && r.name === undefined && WATCH_VALUES.has(url.searchParams.get('watch') ?? '');
      entry.verb = r.type === 'discovery' ? 'discovery' : watching ? 'watch' : verbOf(method, r.name !== undefined);
      if (r.type !== 'discovery') entry.resource = r.type === 'namespaces' ? 'namespaces' : r.def.plural;
      const denied =
        r.type === 'discovery' ? undefined : forbiddenBy(entry.verb, r.type === 'namespaces' ? NAMESPACES : r.def, r.type === 'resource' ? r.namespace : undefined, r.name);
      if (denied) throw denied;
      const intercept = takeIntercept(method, url.pathname, entry.verb);
      if (intercept && answerInstead(intercept, res, entry)) return;
      after = intercept;
      if (r.type === 'discovery') {
        if (method !== 'GET') throw methodNotAllowed();
        await respond(200, r.document);
        return;
      }
      if (r.type === 'namespaces') {
        const [code, payload] = handleNamespaces(method, r, url.searchParams);
        await respond(code, payload);
        return;
      }
      if (dryRunValues.some((v) => v !== 'All')) {
        throw badRequest(`dryRun: Unsupported value: "${dryRunValues.join(',')}": supported values: "All"`);
      }
      if (watching) {
        startWatch(res, r, url.searchParams, entry);
        return;
      }
      if (WRITE_METHODS.has(method)) {
        const fault = injectedFault(r, body);
        if (fault === 'drop') {
          req.socket.destroy();
          return;
        }
        if (fault) throw fault;
      }
      const [code, payload] = handleResource(method, r, url.searchParams, body, contentType, entry.dryRun);
      await respond(code, payload);
    } catch (err) {
      const status = err instanceof StatusError ? err : new StatusError(500, 'InternalError', `Internal error occurred: ${String(err)}`);
      const retry = status.status.details?.retryAfterSeconds;
      await respond(status.status.code, status.status, retry !== undefined ? { 'Retry-After': String(retry) } : {});
    } finally {
      log.push({ ...entry });
    }
  }

  const sockets = new Set<Socket>();
  const connectionLog: { id: number; listener: 'https' | 'http'; requests: number }[] = [];
  const connectionIds = new WeakMap<Socket, (typeof connectionLog)[number]>();
  const connectionOf = (socket: Socket): (typeof connectionLog)[number] | undefined => connectionIds.get(socket);
  const count = (listener: 'https' | 'http') => (socket: Socket): void => {
    const info = { id: connectionLog.length + 1, listener, requests: 0 };
    connectionLog.push(info);
    connectionIds.set(socket, info);
  };
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    void handle(req, res);
  };
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  const httpsServer = createHttpsServer({ key: tls.keyPem, cert: tls.certPem }, onRequest);
  const httpServer = createHttpServer(onRequest);
  httpsServer.on('connection', track);
  httpServer.on('connection', track);
  httpsServer.on('secureConnection', count('https'));
  httpServer.on('connection', count('http'));

  httpsPort = await listen(httpsServer);
  const httpPort = await listen(httpServer);
  const unreachablePort = await closedPort();

  const toKube = (obj: JsonObject): KubeObject => obj;

  const api: KubeApiServer = {
    httpsUrl: `https://127.0.0.1:${httpsPort}`,
    httpUrl: `http://127.0.0.1:${httpPort}`,
    unreachableUrl: `https://127.0.0.1:${unreachablePort}`,
    token,
    caPem: tls.caPem,
    faults,
    servedVersions: () => [...served],
    setServedVersions,
    seed(objects) {
      return objects.map((input) => {
        const obj = JSON.parse(JSON.stringify(input)) as JsonObject;
        const kind = typeof obj['kind'] === 'string' ? obj['kind'] : '';
        if (kind === 'Namespace') {
          const meta = isJsonObject(obj['metadata']) ? obj['metadata'] : {};
          if (typeof meta['name'] !== 'string') throw new Error('cannot seed a Namespace without metadata.name');
          extraNamespaces.add(meta['name']);
          return toKube(namespaceObject(meta['name']));
        }
        const def = resourceByKind(kind);
        if (!def) throw new Error(`cannot seed objects of kind "${kind}"`);
        const apiVersion = typeof obj['apiVersion'] === 'string' ? obj['apiVersion'] : '';
        const version = def.group ? (apiVersion.startsWith(`${def.group}/`) ? apiVersion.slice(def.group.length + 1) : 'v1') : 'v1';
        return toKube(store.seed(def, version, obj));
      });
    },
    getObject<T extends KubeObject = KubeObject>(plural: ResourcePlural, namespace: string, name: string): T | undefined {
      const def = resourceByPlural(plural);
      const obj = def && store.get(def, namespace, name);
      return obj ? (obj as unknown as T) : undefined;
    },
    listObjects<T extends KubeObject = KubeObject>(plural: ResourcePlural, namespace?: string): T[] {
      const def = resourceByPlural(plural);
      return def ? (store.list(def, namespace) as unknown as T[]) : [];
    },
    resourceVersion: () => store.resourceVersion(),
    requests: () => log.map((e) => ({ ...e, query: { ...e.query } })),
    clearLog() {
      log = [];
    },
    connections: () => connectionLog.map((c) => ({ ...c })),
    openWatches: () => watches.size,
    waitForWatches: (wanted) => watches.waitFor(wanted),
    sendBookmarks: () => watches.sendBookmarks(),
    writeKubeconfig(path, kubeconfigOptions) {
      return writeKubeconfigFile(path, api, kubeconfigOptions);
    },
    async close() {
      const closing = [httpsServer, httpServer].map(
        (s) => new Promise<void>((resolve) => s.close(() => resolve())),
      );
      watches.dropAll();
      for (const socket of sockets) socket.destroy();
      httpsServer.closeAllConnections();
      httpServer.closeAllConnections();
      await Promise.all(closing);
    },
  };
  return api;
}

function verbOf(method: string, hasName: boolean): RequestVerb {
  switch (method) {
    case 'GET':
      return hasName ? 'get' : 'list';
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return 'delete';
    default:
      return 'other';
  }
}
