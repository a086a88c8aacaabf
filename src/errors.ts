/**
 * Typed errors. Every error a user can provoke is an {@link IstiopsError} whose `exitCode` the CLI
 * uses: 2 for invalid usage or input (nothing was read or written), 1 for runtime and API errors.
 */

/** Base class of every error the CLI maps to an exit code instead of a stack trace. */
export abstract class IstiopsError extends Error {
  /** Process exit code: 2 for usage errors, 1 otherwise. */
  abstract readonly exitCode: 1 | 2;
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
 * Some writes of a plan landed and a later one failed for good. `written` and `notWritten` name the
 * objects (`Kind namespace/name`) so that the user knows the exact state. Exit code 1.
 */
export class PartialWriteError extends RuntimeError {
  readonly written: readonly string[];
  readonly notWritten: readonly string[];
  constructor(
    message: string,
    options: { cause?: unknown; written: readonly string[]; notWritten: readonly string[] },
  ) {
    super(message, { cause: options.cause });
    this.written = options.written;
    this.notWritten = options.notWritten;
  }
}

/**
 * An object read from the cluster or the manifests does not have the shape Istio defines for the
 * fields istiops reads (a weight that is a string, a route that is not a mapping). The message names
 * the object and the field. Exit code 1.
 */
export class InvalidObjectError extends RuntimeError {}
