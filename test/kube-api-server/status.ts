/**
 * Kubernetes `Status` objects, shaped like the ones the real API server sends
 * for failures.
 *
 * @module
 */

/** One field-level cause of an `Invalid` status. */
export interface StatusCause {
  readonly reason?: string;
  readonly field: string;
  readonly message: string;
}

/** `details` of a Status. `kind` is the resource's plural, as the API server does it. */
export interface StatusDetails {
  readonly name?: string;
  readonly group?: string;
  readonly kind?: string;
  readonly uid?: string;
  readonly causes?: readonly StatusCause[];
  readonly retryAfterSeconds?: number;
}

/** A `v1` `Status` object. */
export interface KubeStatus {
  readonly kind: 'Status';
  readonly apiVersion: 'v1';
  readonly metadata: Record<string, never>;
  readonly status: 'Success' | 'Failure';
  readonly message?: string;
  readonly reason?: string;
  readonly details?: StatusDetails;
  readonly code: number;
}

/** An error that the server turns into a Status response. */
export class StatusError extends Error {
  override name = 'StatusError';
  readonly status: KubeStatus;

  constructor(code: number, reason: string, message: string, details?: StatusDetails) {
    super(message);
    this.status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      ...(details ? { details } : {}),
      code,
    };
  }
}

const REASONS: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

/** The Status `reason` the API server uses for an HTTP status code (empty when it has none). */
export function reasonFor(code: number): string {
  return REASONS[code] ?? '';
}

/** Identifies a resource in messages: `virtualservices.networking.istio.io` or `pods`. */
export interface ResourceRef {
  readonly plural: string;
  readonly group: string;
  readonly kind: string;
}

/** `plural.group`, or just `plural` for the core group. */
export function qualifiedResource(ref: ResourceRef): string {
  return ref.group ? `${ref.plural}.${ref.group}` : ref.plural;
}

/** 404 for a missing object. */
export function notFound(ref: ResourceRef, name: string): StatusError {
  return new StatusError(404, 'NotFound', `${qualifiedResource(ref)} "${name}" not found`, {
    name,
    group: ref.group,
    kind: ref.plural,
  });
}

/** 409 AlreadyExists for a create of an existing object. */
export function alreadyExists(ref: ResourceRef, name: string): StatusError {
  return new StatusError(409, 'AlreadyExists', `${qualifiedResource(ref)} "${name}" already exists`, {
    name,
    group: ref.group,
    kind: ref.plural,
  });
}

/** 409 Conflict; `why` defaults to the optimistic-concurrency message. */
export function conflict(ref: ResourceRef, name: string, why?: string): StatusError {
  const reason = why ?? 'the object has been modified; please apply your changes to the latest version and try again';
  return new StatusError(409, 'Conflict', `Operation cannot be fulfilled on ${qualifiedResource(ref)} "${name}": ${reason}`, {
    name,
    group: ref.group,
    kind: ref.plural,
  });
}

/** 422 Invalid listing field causes, worded like the API server. */
export function invalid(ref: ResourceRef, name: string, causes: readonly StatusCause[]): StatusError {
  const qualifiedKind = ref.group ? `${ref.kind}.${ref.group}` : ref.kind;
  const parts = causes.map((c) => `${c.field}: ${c.message}`);
  const summary = parts.length === 1 ? (parts[0] ?? '') : `[${parts.join(', ')}]`;
  return new StatusError(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${summary}`, {
    name,
    group: ref.group,
    kind: ref.kind,
    causes: causes.map((c) => ({ reason: c.reason ?? 'FieldValueInvalid', message: c.message, field: c.field })),
  });
}

/** 400 BadRequest. */
export function badRequest(message: string): StatusError {
  return new StatusError(400, 'BadRequest', message);
}

/** 404 for a path the server does not serve. */
export function pathNotFound(): StatusError {
  return new StatusError(404, 'NotFound', 'the server could not find the requested resource', {});
}

/** 405 for a method the path does not support. */
export function methodNotAllowed(message = 'the server does not allow this method on the requested resource'): StatusError {
  return new StatusError(405, 'MethodNotAllowed', message, {});
}
