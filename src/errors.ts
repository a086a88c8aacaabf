/**
 * Typed errors. Every error a user can provoke is an {@link IstiopsError} whose `exitCode` the CLI
 * uses: 2 for invalid usage or input (nothing was read or written), 1 for runtime and API errors.
 */

/** Base class of every error the CLI maps to an exit code instead of a stack trace. */
export abstract class IstiopsError extends Error {
  /** Process exit code: 2 for usage errors, 130/143 when interrupted by SIGINT/SIGTERM, 1 otherwise. */
  abstract readonly exitCode: 1 | 2 | 130 | 143;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Invalid flag, argument or input value. Thrown before any request. Exit code 2. */
export class UsageError extends IstiopsError {
  readonly exitCode = 2;
}

/** A runtime failure that is not the user's syntax: nothing matched, a refused plan. Exit code 1. */
export class RuntimeError extends IstiopsError {
  readonly exitCode = 1;
}

/** No object matched what the command needs (no VirtualService, no DestinationRule for a host). Exit code 1. */
export class NotFoundError extends RuntimeError {}

/**
 * The plan would break a rule (empty a VirtualService, route to a missing subset, send traffic to a
 * build without ready pods, roll back what looks like the stable version). Nothing was written.
 * `overridable` tells the caller that forcing (`RunOptions.force`, the CLI's `--force`) would let
 * the plan through. Exit code 1.
 */
export class PlanRefusedError extends RuntimeError {
  readonly overridable: boolean;
  constructor(message: string, options?: { cause?: unknown; overridable?: boolean }) {
    super(message, options);
    this.overridable = options?.overridable ?? false;
  }
}

/**
 * The object changed since it was read (HTTP 409 from the Kubernetes API, or a manifest file edited
 * meanwhile). The use case reads again, plans again and writes again. Exit code 1 when retries run out.
 */
export class ConflictError extends RuntimeError {}

/**
 * A failure worth retrying after a pause: HTTP 429, 500, 502, 503, 504, a timeout or a reset
 * connection. `retryAfterMs` carries the server's `Retry-After` when it sent one. Exit code 1.
 */
export class TransientError extends RuntimeError {
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options?: { cause?: unknown; retryAfterMs?: number | undefined }) {
    super(message, options);
    this.retryAfterMs = options?.retryAfterMs;
  }
}

/**
 * A write whose outcome cannot be known: the request was sent, then the answer never came (timeout,
 * connection lost) or the server said it may still be processing it (504). The object may or may not
 * have been stored; the use case reads again and plans again (design rule 3). `object` names it
 * (`Kind namespace/name`). Exit code 1 when retries run out.
 */
export class OutcomeUnknownError extends TransientError {
  readonly object: string;
  constructor(message: string, options: { cause?: unknown; object: string; retryAfterMs?: number | undefined }) {
    super(message, options);
    this.object = options.object;
  }
}

/** The API server refused the credentials (401) or the permission (403). Exit code 1. */
export class AuthError extends RuntimeError {}

/** The API server or the schema rejected an object, or any other API error. Exit code 1. */
export class ApiError extends RuntimeError {
  /** HTTP status code, when the error came from an HTTP response. */
  readonly status: number | undefined;
  constructor(message: string, options?: { cause?: unknown; status?: number | undefined }) {
    super(message, options);
    this.status = options?.status;
  }
}

/** A manifest file could not be read, parsed or written. Message names the file (and line). Exit code 1. */
export class ManifestError extends RuntimeError {}

/**
 * SIGINT or SIGTERM arrived during a mutating command (design rule 12): it stopped before the next
 * write. `written`, `notWritten` and `unknown` name the objects (`Kind namespace/name`). Exit code 130
 * for SIGINT, 143 for SIGTERM (128 + the signal number, as shells report it).
 */
export class InterruptedError extends IstiopsError {
  readonly exitCode: 130 | 143;
  readonly signal: 'SIGINT' | 'SIGTERM';
  readonly written: readonly string[];
  readonly notWritten: readonly string[];
  readonly unknown: readonly string[];
  constructor(
    message: string,
    options: {
      signal: 'SIGINT' | 'SIGTERM';
      written: readonly string[];
      notWritten: readonly string[];
      unknown?: readonly string[];
      cause?: unknown;
    },
  ) {
    super(message, { cause: options.cause });
    this.signal = options.signal;
    this.exitCode = options.signal === 'SIGTERM' ? 143 : 130;
    this.written = options.written;
    this.notWritten = options.notWritten;
    this.unknown = options.unknown ?? [];
  }
}

/**
 * Some writes of a plan landed and a later one failed for good. `written`, `notWritten` and `unknown`
 * (writes whose outcome cannot be known, see {@link OutcomeUnknownError}) name the objects
 * (`Kind namespace/name`) so that the user knows the exact state. Exit code 1.
 */
export class PartialWriteError extends RuntimeError {
  readonly written: readonly string[];
  readonly notWritten: readonly string[];
  readonly unknown: readonly string[];
  constructor(
    message: string,
    options: { cause?: unknown; written: readonly string[]; notWritten: readonly string[]; unknown?: readonly string[] },
  ) {
    super(message, { cause: options.cause });
    this.written = options.written;
    this.notWritten = options.notWritten;
    this.unknown = options.unknown ?? [];
  }
}

/**
 * An object read from the cluster or the manifests does not have the shape Istio defines for the
 * fields istiops reads (a weight that is a string, a route that is not a mapping). The message names
 * the object and the field. Exit code 1.
 */
export class InvalidObjectError extends RuntimeError {}
