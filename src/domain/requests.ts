/**
 * Requests to the planners, already validated by the CLI or by the caller (see `src/input/`).
 * Hosts are written into routes exactly as given.
 */

/** A Kubernetes service host and port to route to. */
export interface DestinationRef {
  readonly host: string;
  /** 1..65535 */
  readonly port: number;
}

/** How to match requests: exact header values, or RE2 regular expressions (the syntax Envoy uses). */
export interface HeaderTraffic {
  readonly kind: 'headers';
  /** Lowercase header names to values (exact text, or RE2 patterns when `regex`). Every header must match (AND). */
  readonly headers: Readonly<Record<string, string>>;
  readonly regex: boolean;
}

/** Send a share of the catch-all route's traffic. */
export interface WeightTraffic {
  readonly kind: 'weight';
  /** Integer percent, 1..100; 100 promotes the build (the old primary is dropped). */
  readonly percent: number;
}

/** `shift`: send header-matched or weighted traffic to a build. */
export interface ShiftRequest {
  readonly destination: DestinationRef;
  /** Release identifier; the subset is `<service>-<build>-<namespace>`. */
  readonly build: string;
  /** Equality labels of the build's pods; they become the subset's labels. */
  readonly podSelector: Readonly<Record<string, string>>;
  readonly traffic: HeaderTraffic | WeightTraffic;
}

/** `rollback`: remove everything that leads to a build, found by its pod labels or by build and destination. */
export type RollbackRequest =
  | { readonly by: 'pods'; readonly podSelector: Readonly<Record<string, string>> }
  | { readonly by: 'build'; readonly build: string; readonly destination: DestinationRef };

/** `clear` modes: `soft` removes routes with no ready pods; `hard` keeps only the catch-all and `uri.prefix` routes. */
export type ClearMode = 'soft' | 'hard';

/** `clear`: remove routes that no longer lead anywhere, then the subsets no route uses. */
export interface ClearRequest {
  readonly mode: ClearMode;
}

/** `mirror`: copy a share of the general routes' requests of a host to a build (responses are discarded by Istio). */
export interface MirrorRequest {
  readonly destination: DestinationRef;
  readonly build: string;
  /** Equality labels of the build's pods; they become the subset's labels. */
  readonly podSelector: Readonly<Record<string, string>>;
  /** Percent of requests mirrored, 0..100, decimals allowed (Istio `Percent`); always written. */
  readonly percentage: number;
}

/** `mirror --remove`: take the build's mirror off the routes of the host; the subset stays. */
export interface MirrorRemoveRequest {
  readonly destination: DestinationRef;
  readonly build: string;
}

/** Istio HTTPFaultInjection.Delay: a fixed delay before forwarding, for a share of requests. */
export interface FaultDelay {
  /** Whole milliseconds, at least 1 (Istio `fixedDelay`, written as a duration such as `5s` or `500ms`). */
  readonly fixedDelayMs: number;
  /** Percent of requests delayed: 0 or 0.0001..100. */
  readonly percentage: number;
}

/** Istio HTTPFaultInjection.Abort: answer with an HTTP status instead of forwarding, for a share of requests. */
export interface FaultAbort {
  /** HTTP status, 200..599. */
  readonly httpStatus: number;
  /** Percent of requests aborted: 0 or 0.0001..100. */
  readonly percentage: number;
}

/**
 * `fault`: set a route's whole `fault` on the general routes of every selected VirtualService (of the
 * destination host when given), or, with headers, on managed routes in front of each of them.
 */
export interface FaultRequest {
  /** Narrows the routes to those of this host; absent: every general route of the selected VirtualServices. */
  readonly destination?: DestinationRef;
  /** Only requests with these headers get the fault (a managed route in front of each general route). */
  readonly headers?: HeaderTraffic;
  /** At least one of `delay` and `abort`. */
  readonly delay?: FaultDelay;
  readonly abort?: FaultAbort;
}

/** `fault --remove`: take the fault off the general routes, or with headers remove those managed fault routes. */
export interface FaultRemoveRequest {
  readonly destination?: DestinationRef;
  readonly headers?: HeaderTraffic;
}
