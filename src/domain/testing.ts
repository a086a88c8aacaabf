/**
 * Fixture builders for the planner tests: small functions that build VirtualServices,
 * DestinationRules, workloads and routing states with sensible defaults, so that each test states only
 * what matters to it. The default world is one service `api-domain:5000` in namespace `default`,
 * whose stable build `1` (subset `api-domain-1-default`, pods `app=api-domain,build=1`) takes all
 * traffic through a catch-all route.
 *
 * Test support only: nothing in the product imports this module.
 */
import type { Plan } from './changes.js';
import type {
  Destination,
  DestinationRule,
  HTTPMatchRequest,
  HTTPRoute,
  HTTPRouteDestination,
  IstioObject,
  Subset,
  VirtualService,
} from './istio.js';
import { clone } from './istio.js';
import { sameHost } from './names.js';
import type { ShiftRequest, RollbackRequest } from './requests.js';
import { subsetUses } from './route-model.js';
import type { ReadinessSource, RoutingState, ServiceInfo, SubsetUsers, Workload } from './state.js';

export const NS = 'default';
export const HOST = 'api-domain';
export const PORT = 5000;
export const API_VERSION = 'networking.istio.io/v1';

/** The subset name of a build of `api-domain` in `default`: `api-domain-<build>-default`. */
export function subsetOf(build: string, host = HOST, namespace = NS): string {
  return `${host.split('.')[0] ?? host}-${build}-${namespace}`;
}

/** The pod labels of a build of `api-domain`: `app=api-domain,build=<build>`. */
export function podsOf(build: string): Record<string, string> {
  return { app: 'api-domain', build };
}

/** A destination of `api-domain:5000`, optionally a subset (`subset: null` for the whole service). */
export function destination(subset: string | null, opts: { host?: string; port?: number | null } = {}): Destination {
  const d: Destination = { host: opts.host ?? HOST };
  if (opts.port !== null) d.port = { number: opts.port ?? PORT };
  if (subset !== null) d.subset = subset;
  return d;
}

/** A route destination to the subset of `build` (or to `subset: <name>` when given a full subset name), with an optional weight. */
export function to(build: string, weight?: number, opts: { host?: string; port?: number | null; subset?: string } = {}): HTTPRouteDestination {
  const hostOpts: { host?: string; port?: number | null } = {};
  if (opts.host !== undefined) hostOpts.host = opts.host;
  if (opts.port !== undefined) hostOpts.port = opts.port;
  const d: HTTPRouteDestination = { destination: destination(opts.subset ?? subsetOf(build, opts.host ?? HOST), hostOpts) };
  if (weight !== undefined) d.weight = weight;
  return d;
}

/** The catch-all match the original tool wrote. */
export const CATCH_ALL_MATCH: HTTPMatchRequest[] = [{ uri: { regex: '.+' } }];

/** Every form of catch-all route found in the wild (design: "catch-all route"). */
export const CATCH_ALL_FORMS: [string, HTTPMatchRequest[] | undefined][] = [
  ['no match at all', undefined],
  ['an empty match', []],
  ['uri regex ".+" (the original tool)', [{ uri: { regex: '.+' } }]],
  ['uri regex ".*"', [{ uri: { regex: '.*' } }]],
  ['uri prefix "/"', [{ uri: { prefix: '/' } }]],
  ['several catch-all entries', [{ uri: { regex: '.+' } }, { uri: { prefix: '/' } }, { uri: { regex: '.*' } }]],
  ['a named uri regex ".+" entry', [{ name: 'all', uri: { regex: '.+' } }]],
];

/** A catch-all route (`match: [{uri: {regex: ".+"}}]` unless `match` is given; `match: null` for none). */
export function catchAll(route: HTTPRouteDestination[], extra: Omit<Partial<HTTPRoute>, 'match'> & { match?: HTTPMatchRequest[] | null } = {}): HTTPRoute {
  const { match, ...rest } = extra;
  const r: HTTPRoute = { ...rest };
  if (match !== null) r.match = clone(match ?? CATCH_ALL_MATCH);
  r.route = route;
  return r;
}

/** A header route as istiops writes it: named after the subset, exact (or regex) header match, 100% to the subset. */
export function headerRoute(
  build: string,
  headers: Record<string, string>,
  opts: { regex?: boolean; name?: string | null; host?: string; weight?: number | null } = {},
): HTTPRoute {
  const subset = subsetOf(build, opts.host ?? HOST);
  const match: HTTPMatchRequest[] = [
    {
      headers: Object.fromEntries(
        Object.keys(headers)
          .sort()
          .map((k) => [k, opts.regex ? { regex: headers[k] as string } : { exact: headers[k] as string }]),
      ),
    },
  ];
  const dest = to(build, opts.weight === null ? undefined : (opts.weight ?? 100), opts.host !== undefined ? { host: opts.host } : {});
  const r: HTTPRoute = {};
  if (opts.name !== null) r.name = opts.name ?? subset;
  r.match = match;
  r.route = [dest];
  return r;
}

/** A route matching a `uri.prefix`. */
export function prefixRoute(prefix: string, route: HTTPRouteDestination[], extra: Partial<HTTPRoute> = {}): HTTPRoute {
  return { ...extra, match: [{ uri: { prefix } }], route };
}

export interface VirtualServiceOptions {
  name?: string;
  namespace?: string | null;
  hosts?: string[];
  gateways?: string[];
  /** Defaults to one catch-all route sending 100% (no weight) to build 1. */
  http?: HTTPRoute[] | null;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: string;
  /** Other spec fields (tcp, tls, exportTo, ...). */
  spec?: Record<string, unknown>;
}

/** A VirtualService (`api-domain` in `default`, labelled `app=api-domain`, routing everything to build 1). */
export function virtualService(opts: VirtualServiceOptions = {}): VirtualService {
  const metadata: VirtualService['metadata'] = { name: opts.name ?? 'api-domain' };
  if (opts.namespace !== null) metadata.namespace = opts.namespace ?? NS;
  metadata.labels = opts.labels ?? { app: 'api-domain' };
  if (opts.annotations !== undefined) metadata.annotations = opts.annotations;
  metadata.resourceVersion = opts.resourceVersion ?? '100';
  const spec: VirtualService['spec'] = { hosts: opts.hosts ?? ['api.domain.io'] };
  if (opts.gateways !== undefined) spec.gateways = opts.gateways;
  if (opts.http !== null) spec.http = opts.http ?? [catchAll([to('1')])];
  Object.assign(spec, opts.spec ?? {});
  return { apiVersion: API_VERSION, kind: 'VirtualService', metadata, spec };
}

export interface DestinationRuleOptions {
  name?: string;
  namespace?: string | null;
  host?: string;
  /** Subsets; a string is a build of `api-domain` with its default pod labels. Defaults to build 1. */
  subsets?: (string | Subset)[] | null;
  labels?: Record<string, string>;
  resourceVersion?: string;
  /** Other spec fields (trafficPolicy, exportTo, ...). */
  spec?: Record<string, unknown>;
}

/** A subset of `api-domain` for a build, labelled with the build's pod labels unless told otherwise. */
export function subset(build: string, labels: Record<string, string> = podsOf(build), extra: Record<string, unknown> = {}): Subset {
  return { ...extra, name: subsetOf(build), labels };
}

/** A DestinationRule (`api-domain` in `default`, host `api-domain`, one subset for build 1). */
export function destinationRule(opts: DestinationRuleOptions = {}): DestinationRule {
  const metadata: DestinationRule['metadata'] = { name: opts.name ?? 'api-domain' };
  if (opts.namespace !== null) metadata.namespace = opts.namespace ?? NS;
  metadata.labels = opts.labels ?? { app: 'api-domain' };
  metadata.resourceVersion = opts.resourceVersion ?? '200';
  const spec: DestinationRule['spec'] = { host: opts.host ?? HOST };
  if (opts.subsets !== null) spec.subsets = (opts.subsets ?? ['1']).map((s) => (typeof s === 'string' ? subset(s) : s));
  Object.assign(spec, opts.spec ?? {});
  return { apiVersion: API_VERSION, kind: 'DestinationRule', metadata, spec };
}

/** A workload whose pods carry `labels` (a build name stands for that build's pod labels), with `readyPods` ready pods. */
export function workload(labels: Record<string, string> | string, readyPods = 1, namespace = NS): Workload {
  const podLabels = typeof labels === 'string' ? podsOf(labels) : labels;
  return { ref: `Deployment ${namespace}/${Object.values(podLabels).join('-')}`, namespace, podLabels, readyPods };
}

/** A Kubernetes Service of `namespace` (default `default`) selecting `selector` (`null`: a Service without selector). */
export function service(name: string, selector: Record<string, string> | null, namespace = NS): ServiceInfo {
  return { namespace, name, selector: selector ?? undefined };
}

export interface StateOptions {
  namespace?: string;
  virtualServices?: VirtualService[];
  destinationRules?: DestinationRule[];
  /**
   * VirtualServices the selector did not pick (other labels, other namespaces such as a gateway
   * VirtualService in `istio-system`): with them the state carries `subsetUsers` (the selected ones
   * plus these), as `rollback` and `clear` read it.
   */
  otherVirtualServices?: VirtualService[];
  /** Scope of `subsetUsers` (default `all-namespaces`; `namespace` is the RBAC fallback). */
  subsetUsersScope?: SubsetUsers['scope'];
  /** Defaults to `cluster`. */
  readiness?: ReadinessSource;
  /** Defaults to build 1 with 2 ready pods. */
  workloads?: Workload[];
  /** The Services read (default: Service `api-domain` of the namespace selecting `app=api-domain`). */
  services?: ServiceInfo[];
  notes?: string[];
}

/** A routing state: by default the default VirtualService and DestinationRule, read from a cluster where build 1 is ready. */
export function state(opts: StateOptions = {}): RoutingState {
  const virtualServices = opts.virtualServices ?? [virtualService()];
  return {
    namespace: opts.namespace ?? NS,
    virtualServices,
    destinationRules: opts.destinationRules ?? [destinationRule()],
    readiness: { source: opts.readiness ?? 'cluster', workloads: opts.workloads ?? [workload('1', 2)] },
    services: opts.services ?? [service(HOST, { app: HOST }, opts.namespace ?? NS)],
    ...(opts.otherVirtualServices !== undefined || opts.subsetUsersScope !== undefined
      ? { subsetUsers: { virtualServices: [...virtualServices, ...(opts.otherVirtualServices ?? [])], scope: opts.subsetUsersScope ?? ('all-namespaces' as const) } }
      : {}),
    ...(opts.notes !== undefined ? { notes: opts.notes } : {}),
  };
}

export interface ShiftFixtureOptions {
  headers?: Record<string, string>;
  regex?: boolean;
  weight?: number;
  host?: string;
  port?: number;
  podSelector?: Record<string, string>;
}

/** A shift request for a build of `api-domain:5000`: by headers when `headers` is given, else by `weight`. */
export function shift(build: string, opts: ShiftFixtureOptions): ShiftRequest {
  return {
    destination: { host: opts.host ?? HOST, port: opts.port ?? PORT },
    build,
    podSelector: opts.podSelector ?? podsOf(build),
    traffic:
      opts.headers !== undefined
        ? { kind: 'headers', headers: opts.headers, regex: opts.regex ?? false }
        : { kind: 'weight', percent: opts.weight ?? 100 },
  };
}

/** A rollback request by build and destination `api-domain:5000`. */
export function rollbackBuild(build: string, host = HOST): RollbackRequest {
  return { by: 'build', build, destination: { host, port: PORT } };
}

/** A rollback request by the build's pod labels. */
export function rollbackPods(build: string | Record<string, string>): RollbackRequest {
  return { by: 'pods', podSelector: typeof build === 'string' ? podsOf(build) : build };
}

/** Freezes a value and everything it holds, so that a planner that mutates its input throws. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function sameObject(a: IstioObject, b: IstioObject, ns: string): boolean {
  return a.kind === b.kind && a.metadata.name === b.metadata.name && (a.metadata.namespace ?? ns) === (b.metadata.namespace ?? ns);
}

/** The state after writing one planned object (as a store would: the object is replaced by the written version). */
export function applyWrite(s: RoutingState, after: IstioObject): RoutingState {
  const next = { ...s };
  if (after.kind === 'VirtualService') {
    const written = clone(after);
    next.virtualServices = s.virtualServices.map((vs) => (sameObject(vs, after, s.namespace) ? written : vs));
    if (s.subsetUsers !== undefined) {
      next.subsetUsers = { ...s.subsetUsers, virtualServices: s.subsetUsers.virtualServices.map((vs) => (sameObject(vs, after, s.namespace) ? written : vs)) };
    }
  } else {
    next.destinationRules = s.destinationRules.map((dr) => (sameObject(dr, after, s.namespace) ? clone(after) : dr));
  }
  return next;
}

/** The state after writing every object of a plan in order. */
export function applyPlan(s: RoutingState, plan: Plan): RoutingState {
  return plan.writes.reduce((acc, w) => applyWrite(acc, w.after), s);
}

/**
 * The subset references of the state's VirtualServices (selected and others) that no DestinationRule
 * for the host defines, as `vs-name: host subset` texts. Empty when the central rule holds.
 */
export function missingSubsets(s: RoutingState): string[] {
  const out: string[] = [];
  for (const vs of s.subsetUsers?.virtualServices ?? s.virtualServices) {
    const vsNs = vs.metadata.namespace ?? s.namespace;
    for (const route of vs.spec.http ?? []) {
      for (const use of subsetUses(route)) {
        const defined = s.destinationRules.some(
          (dr) =>
            sameHost(dr.spec.host, dr.metadata.namespace ?? s.namespace, use.host, vsNs) &&
            (dr.spec.subsets ?? []).some((sub) => sub.name === use.subset),
        );
        if (!defined) out.push(`${vs.metadata.name}: ${use.host} ${use.subset}`);
      }
    }
  }
  return out;
}

/** The VirtualService or DestinationRule a plan writes under a name (throws when the plan does not write it). */
export function written<K extends IstioObject['kind']>(
  plan: Plan,
  kind: K,
  name: string,
): K extends 'VirtualService' ? VirtualService : DestinationRule {
  const w = plan.writes.find((x) => x.after.kind === kind && x.after.metadata.name === name);
  if (w === undefined) throw new Error(`the plan writes no ${kind} ${name}`);
  return w.after as K extends 'VirtualService' ? VirtualService : DestinationRule;
}

/** The HTTP routes of a VirtualService (empty when it has none). */
export function routesOf(vs: VirtualService): HTTPRoute[] {
  return vs.spec.http ?? [];
}

/** The subset names of a DestinationRule. */
export function subsetNames(dr: DestinationRule): string[] {
  return (dr.spec.subsets ?? []).map((s) => s.name);
}

/** `Kind/name` of each write, in order. */
export function writeOrder(plan: Plan): string[] {
  return plan.writes.map((w) => `${w.after.kind}/${w.after.metadata.name}`);
}

// ---------------------------------------------------------------------------------------------
// Realistic worlds: Istio's bookinfo and helloworld samples, a Flagger-style and an Argo
// Rollouts-style VirtualService. Istio's samples carry no labels and often no namespace.
// ---------------------------------------------------------------------------------------------

/** A route destination written by hand: `host` (as written), optional subset, port and weight. */
export function dest(host: string, subset?: string, weight?: number, port?: number): HTTPRouteDestination {
  const destination: Destination = { host };
  if (port !== undefined) destination.port = { number: port };
  if (subset !== undefined) destination.subset = subset;
  const d: HTTPRouteDestination = { destination };
  if (weight !== undefined) d.weight = weight;
  return d;
}

/** A VirtualService as Istio's samples write it: no labels, hosts and HTTP routes only. */
export function sampleVirtualService(name: string, http: HTTPRoute[], opts: { namespace?: string | null; hosts?: string[]; gateways?: string[] } = {}): VirtualService {
  const metadata: VirtualService['metadata'] = { name, resourceVersion: '1' };
  if (opts.namespace !== null) metadata.namespace = opts.namespace ?? NS;
  const spec: VirtualService['spec'] = { hosts: opts.hosts ?? [name] };
  if (opts.gateways !== undefined) spec.gateways = opts.gateways;
  spec.http = http;
  return { apiVersion: API_VERSION, kind: 'VirtualService', metadata, spec };
}

/** A DestinationRule as Istio's samples write it: subsets `v1`, `v2`... labelled `version: <name>`. */
export function sampleDestinationRule(host: string, versions: string[], opts: { namespace?: string | null; name?: string; extraSubsets?: Subset[]; spec?: Record<string, unknown> } = {}): DestinationRule {
  const metadata: DestinationRule['metadata'] = { name: opts.name ?? host.split('.')[0] ?? host, resourceVersion: '1' };
  if (opts.namespace !== null) metadata.namespace = opts.namespace ?? NS;
  const spec: DestinationRule['spec'] = { host, subsets: [...versions.map((v) => ({ name: v, labels: { version: v } })), ...(opts.extraSubsets ?? [])] };
  Object.assign(spec, opts.spec ?? {});
  return { apiVersion: API_VERSION, kind: 'DestinationRule', metadata, spec };
}

/** The bookinfo reviews route of `virtual-service-reviews-test-v2.yaml`: user jason to v2, everyone else to v1. */
export function reviewsJasonRoutes(): HTTPRoute[] {
  return [{ match: [{ headers: { 'end-user': { exact: 'jason' } } }], route: [dest('reviews', 'v2')] }, { route: [dest('reviews', 'v1')] }];
}

/**
 * The bookinfo gateway VirtualService of the sample (`bookinfo-gateway.yaml`): every public path
 * (`/productpage`, `/static`, `/login`, `/logout`, `/api/v1/products`) to productpage:9080, and no
 * catch-all. `host` is how it names productpage (`productpage` when it lives beside it).
 */
export function bookinfoGateway(opts: { namespace?: string | null; host?: string; extra?: HTTPRoute[] } = {}): VirtualService {
  const host = opts.host ?? 'productpage';
  return sampleVirtualService(
    'bookinfo',
    [
      {
        match: [{ uri: { exact: '/productpage' } }, { uri: { prefix: '/static' } }, { uri: { exact: '/login' } }, { uri: { exact: '/logout' } }, { uri: { prefix: '/api/v1/products' } }],
        route: [dest(host, undefined, undefined, 9080)],
      },
      ...(opts.extra ?? []),
    ],
    { namespace: opts.namespace === undefined ? NS : opts.namespace, hosts: ['*'], gateways: ['bookinfo-gateway'] },
  );
}

export interface BookinfoOptions {
  namespace?: string;
  /** Leave `metadata.namespace` out of every object (the samples as downloaded). */
  namespaceLess?: boolean;
  /** Replaces the reviews VirtualService's routes (default: jason to v2, the rest to v1). */
  reviews?: HTTPRoute[];
  /** Extra subsets of the reviews DestinationRule (managed ones, say). */
  reviewsSubsets?: Subset[];
  otherVirtualServices?: VirtualService[];
  /** Extra VirtualServices among the selected ones (the bookinfo gateway, say). */
  extraVirtualServices?: VirtualService[];
  workloads?: Workload[];
  readiness?: ReadinessSource;
}

/** The workloads of bookinfo: every Deployment labelled `app=<service>,version=<v>`, one ready pod each. */
export function bookinfoWorkloads(namespace = NS, extra: Workload[] = []): Workload[] {
  const pods = (app: string, version: string): Workload => ({ ref: `Deployment ${namespace}/${app}-${version}`, namespace, podLabels: { app, version }, readyPods: 1 });
  return [pods('productpage', 'v1'), pods('details', 'v1'), pods('ratings', 'v1'), pods('reviews', 'v1'), pods('reviews', 'v2'), pods('reviews', 'v3'), ...extra];
}

/**
 * Istio's bookinfo in one namespace (`default` unless told): VirtualServices productpage, reviews
 * (jason to v2), ratings and details all to v1 (`virtual-service-all-v1.yaml` with the reviews test
 * route); DestinationRules with every sample subset (`destination-rule-all.yaml`); the Services selecting
 * `app=<service>`; the six Deployments with one ready pod each.
 */
export function bookinfo(opts: BookinfoOptions = {}): RoutingState {
  const namespace = opts.namespace ?? NS;
  const ns = opts.namespaceLess === true ? null : namespace;
  const vs = (name: string, http: HTTPRoute[]) => sampleVirtualService(name, http, { namespace: ns });
  const virtualServices = [
    vs('productpage', [{ route: [dest('productpage', 'v1')] }]),
    vs('reviews', opts.reviews ?? reviewsJasonRoutes()),
    vs('ratings', [{ route: [dest('ratings', 'v1')] }]),
    vs('details', [{ route: [dest('details', 'v1')] }]),
    ...(opts.extraVirtualServices ?? []),
  ];
  const stateOpts: StateOptions = {
    namespace,
    virtualServices,
    destinationRules: [
      sampleDestinationRule('productpage', ['v1'], { namespace: ns }),
      sampleDestinationRule('reviews', ['v1', 'v2', 'v3'], { namespace: ns, ...(opts.reviewsSubsets !== undefined ? { extraSubsets: opts.reviewsSubsets } : {}) }),
      sampleDestinationRule('ratings', ['v1', 'v2', 'v2-mysql', 'v2-mysql-vm'], { namespace: ns }),
      sampleDestinationRule('details', ['v1', 'v2'], { namespace: ns }),
    ],
    services: ['productpage', 'reviews', 'ratings', 'details'].map((name) => service(name, { app: name }, namespace)),
    workloads: opts.workloads ?? bookinfoWorkloads(namespace),
    readiness: opts.readiness ?? 'cluster',
  };
  if (opts.otherVirtualServices !== undefined) stateOpts.otherVirtualServices = opts.otherVirtualServices;
  return state(stateOpts);
}

/** A world with one service of the samples' shape: VirtualService and DestinationRule `name`, Service selecting `app=name`. */
export function sampleWorld(name: string, http: HTTPRoute[], subsets: string[], opts: { workloads?: Workload[]; otherVirtualServices?: VirtualService[]; extraSubsets?: Subset[] } = {}): RoutingState {
  const stateOpts: StateOptions = {
    virtualServices: [sampleVirtualService(name, http)],
    destinationRules: [sampleDestinationRule(name, subsets, opts.extraSubsets !== undefined ? { extraSubsets: opts.extraSubsets } : {})],
    services: [service(name, { app: name })],
    workloads: opts.workloads ?? subsets.map((v) => ({ ref: `Deployment ${NS}/${name}-${v}`, namespace: NS, podLabels: { app: name, version: v }, readyPods: 1 })),
  };
  if (opts.otherVirtualServices !== undefined) stateOpts.otherVirtualServices = opts.otherVirtualServices;
  return state(stateOpts);
}

/** Istio's helloworld with a hand-written 50/50 split between v1 and v2. */
export function helloworld(opts: { workloads?: Workload[] } = {}): RoutingState {
  return sampleWorld('helloworld', [{ route: [dest('helloworld', 'v1', 50, 5000), dest('helloworld', 'v2', 50, 5000)] }], ['v1', 'v2'], opts);
}

/**
 * An Argo Rollouts-style canary: the route named `primary` splits between subsets `stable` and
 * `canary` of rollouts-demo (Argo writes the weights; the subsets' labels carry its pod template hash).
 */
export function argoRollout(stable: number, canary: number): RoutingState {
  return state({
    virtualServices: [sampleVirtualService('rollouts-demo', [{ name: 'primary', route: [dest('rollouts-demo', 'stable', stable), dest('rollouts-demo', 'canary', canary)] }])],
    destinationRules: [
      {
        apiVersion: API_VERSION,
        kind: 'DestinationRule',
        metadata: { name: 'rollouts-demo', namespace: NS },
        spec: {
          host: 'rollouts-demo',
          subsets: [
            { name: 'canary', labels: { app: 'rollouts-demo', 'rollouts-pod-template-hash': '7bf84f9696' } },
            { name: 'stable', labels: { app: 'rollouts-demo', 'rollouts-pod-template-hash': '5c5d8d9b8d' } },
          ],
        },
      },
    ],
    services: [service('rollouts-demo', { app: 'rollouts-demo' })],
    workloads: [
      { ref: `ReplicaSet ${NS}/rollouts-demo-5c5d8d9b8d`, namespace: NS, podLabels: { app: 'rollouts-demo', 'rollouts-pod-template-hash': '5c5d8d9b8d' }, readyPods: 3 },
      { ref: `ReplicaSet ${NS}/rollouts-demo-7bf84f9696`, namespace: NS, podLabels: { app: 'rollouts-demo', 'rollouts-pod-template-hash': '7bf84f9696' }, readyPods: 1 },
      { ref: `Deployment ${NS}/rollouts-demo-b`, namespace: NS, podLabels: { app: 'rollouts-demo', build: 'b' }, readyPods: 1 },
    ],
  });
}

/**
 * A Flagger-style VirtualService: Flagger routes between two Services, `podinfo-primary` and
 * `podinfo-canary` (no subsets), in one route.
 */
export function flagger(primary: number, canary: number): RoutingState {
  return state({
    virtualServices: [
      sampleVirtualService('podinfo', [{ route: [dest('podinfo-primary', undefined, primary, 9898), dest('podinfo-canary', undefined, canary, 9898)] }], { hosts: ['podinfo'] }),
    ],
    destinationRules: [
      sampleDestinationRule('podinfo-primary', []),
      sampleDestinationRule('podinfo-canary', []),
      sampleDestinationRule('podinfo', []),
    ],
    services: [service('podinfo', { app: 'podinfo-primary' }), service('podinfo-primary', { app: 'podinfo-primary' }), service('podinfo-canary', { app: 'podinfo' })],
    workloads: [{ ref: `Deployment ${NS}/podinfo-primary`, namespace: NS, podLabels: { app: 'podinfo-primary' }, readyPods: 2 }],
  });
}
