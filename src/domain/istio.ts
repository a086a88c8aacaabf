/**
 * The parts of Istio's VirtualService and DestinationRule that istiops reads and writes, as plain
 * JSON objects. Every interface keeps an index signature so that fields istiops does not own
 * (retries, timeouts, corsPolicy, trafficPolicy, exportTo, ...) travel through untouched.
 * Field names follow the networking.istio.io v1 reference (istio.io/latest/docs/reference/config/networking/).
 */

/** A JSON value as found in a Kubernetes object. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** Kubernetes object metadata; only the fields istiops uses are typed. */
export interface ObjectMeta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: string;
  [key: string]: unknown;
}

/** Istio StringMatch: exactly one of the three keys is set. */
export interface StringMatch {
  exact?: string;
  prefix?: string;
  regex?: string;
  [key: string]: unknown;
}

/**
 * Istio HTTPMatchRequest, one **match entry** of a route: every condition set in it must hold (AND);
 * the entries of a route's `match` list are alternatives (OR).
 */
export interface HTTPMatchRequest {
  name?: string;
  uri?: StringMatch;
  headers?: Record<string, StringMatch>;
  withoutHeaders?: Record<string, StringMatch>;
  queryParams?: Record<string, StringMatch>;
  sourceLabels?: Record<string, string>;
  sourceNamespace?: string;
  ignoreUriCase?: boolean;
  [key: string]: unknown;
}

/** Istio Destination: a service host, an optional port and an optional DestinationRule subset. */
export interface Destination {
  host: string;
  subset?: string;
  port?: { number?: number; [key: string]: unknown };
  [key: string]: unknown;
}

/** Istio HTTPRouteDestination: a destination and its weight in percent (0..100). */
export interface HTTPRouteDestination {
  destination: Destination;
  /** Percent of the route's traffic; omitted means 100 when it is the only destination. */
  weight?: number;
  [key: string]: unknown;
}

/** Istio Percent: a double, 0..100. */
export interface Percent {
  value?: number;
  [key: string]: unknown;
}

/** Istio HTTPMirrorPolicy, an entry of the `mirrors` list (Istio 1.22+). */
export interface HTTPMirrorPolicy {
  destination: Destination;
  /** Percent of requests mirrored; absent means 100. */
  percentage?: Percent;
  [key: string]: unknown;
}

/** Istio HTTPRoute. Routes are evaluated in order; the first that matches wins. */
export interface HTTPRoute {
  name?: string;
  match?: HTTPMatchRequest[];
  route?: HTTPRouteDestination[];
  /** The single mirror form, with {@link HTTPRoute.mirrorPercentage}. */
  mirror?: Destination;
  mirrorPercentage?: Percent;
  /** The list form of mirrors (Istio 1.22+); a route uses either this or `mirror`, not both. */
  mirrors?: HTTPMirrorPolicy[];
  fault?: Record<string, unknown>;
  [key: string]: unknown;
}

/** Istio VirtualService object (any served networking.istio.io version). */
export interface VirtualService {
  apiVersion: string;
  kind: 'VirtualService';
  metadata: ObjectMeta;
  spec: {
    hosts?: string[];
    gateways?: string[];
    http?: HTTPRoute[];
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** Istio Subset: a named group of a service's pods, selected by labels. */
export interface Subset {
  name: string;
  labels?: Record<string, string>;
  [key: string]: unknown;
}

/** Istio DestinationRule object (any served networking.istio.io version). */
export interface DestinationRule {
  apiVersion: string;
  kind: 'DestinationRule';
  metadata: ObjectMeta;
  spec: {
    host: string;
    subsets?: Subset[];
    /** When set, the rule applies only to the selected client workloads (not to every client). */
    workloadSelector?: Record<string, unknown>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** Either Istio object istiops edits. */
export type IstioObject = VirtualService | DestinationRule;

/** `Kind namespace/name` of an object, the form used in every message. */
export function describeObject(obj: IstioObject, defaultNamespace = 'default'): string {
  return `${obj.kind} ${obj.metadata.namespace ?? defaultNamespace}/${obj.metadata.name}`;
}

/** Deep copy of a JSON-compatible value (objects read from a store are never mutated in place). */
export function clone<T>(value: T): T {
  return structuredClone(value);
}

/** Structural equality of two JSON-compatible values; key order does not matter. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  }
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const ka = Object.keys(ra).filter((k) => ra[k] !== undefined);
  const kb = Object.keys(rb).filter((k) => rb[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(rb, k) && jsonEqual(ra[k], rb[k]));
}
