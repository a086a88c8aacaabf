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
