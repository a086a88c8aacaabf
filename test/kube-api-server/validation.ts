/**
 * Write-time validation: object metadata, the Istio CRD schemas (through
 * `@kubernetes-models/istio`) and the rules Istio's validating webhook adds on
 * top of the schemas. The webhook rules are written here from Istio's Go
 * sources (`pkg/config/validation/validation.go` and `virtualservice.go`),
 * independently of any library the tool under test uses, so that the two
 * can disagree in a test.
 *
 * @module
 */
import { DestinationRule as DestinationRuleV1alpha3 } from '@kubernetes-models/istio/networking.istio.io/v1alpha3/DestinationRule';
import { VirtualService as VirtualServiceV1alpha3 } from '@kubernetes-models/istio/networking.istio.io/v1alpha3/VirtualService';
import { DestinationRule as DestinationRuleV1beta1 } from '@kubernetes-models/istio/networking.istio.io/v1beta1/DestinationRule';
import { VirtualService as VirtualServiceV1beta1 } from '@kubernetes-models/istio/networking.istio.io/v1beta1/VirtualService';
import { RE2JS } from 're2js';
import { isJsonObject, type JsonObject, type JsonValue } from './patch.js';
import { SelectorError, validateLabelKey, validateLabelValue } from './selectors.js';
import type { StatusCause } from './status.js';

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** True for a DNS-1123 label: at most 63 lowercase alphanumerics or '-', alphanumeric at both ends. */
export function isDnsLabel(value: string): boolean {
  return value.length <= 63 && DNS_LABEL.test(value);
}

/** Checks `metadata.name` (a DNS-1123 subdomain) and the label keys and values. */
export function validateMetadata(obj: JsonObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const metadata = obj['metadata'];
  const meta = isJsonObject(metadata) ? metadata : {};
  const name = meta['name'];
  if (typeof name !== 'string' || name === '') {
    causes.push({ reason: 'FieldValueRequired', field: 'metadata.name', message: 'Required value: name or generateName is required' });
  } else if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) {
    causes.push({
      field: 'metadata.name',
      message: `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`,
    });
  }
  const labels = meta['labels'];
  if (isJsonObject(labels)) {
    for (const [key, value] of Object.entries(labels)) {
      try {
        validateLabelKey(key);
        if (typeof value === 'string') validateLabelValue(value);
      } catch (err) {
        if (!(err instanceof SelectorError)) throw err;
        causes.push({ field: `metadata.labels`, message: err.message });
      }
    }
  }
  return causes;
}

interface AjvError {
  readonly instancePath?: string;
  readonly message?: string;
  readonly keyword?: string;
  readonly params?: Readonly<Record<string, unknown>>;
}

/** `/spec/http/0/route` → `spec.http[0].route`. */
function fieldPath(pointer: string, extra?: string): string {
  const segments = pointer.split('/').filter((s) => s !== '');
  if (extra !== undefined) segments.push(extra);
  let path = '';
  for (const segment of segments) {
    const decoded = segment.replace(/~1/g, '/').replace(/~0/g, '~');
    if (/^\d+$/.test(decoded)) path += `[${decoded}]`;
    else path += path === '' ? decoded : `.${decoded}`;
  }
  return path;
}

type SchemaModel = new (data: JsonObject) => { validate(): void };

function schemaErrors(Model: SchemaModel, obj: JsonObject, apiVersion: string): StatusCause[] {
  try {
    new Model({ ...obj, apiVersion }).validate();
    return [];
  } catch (err) {
    const errors = (err as { errors?: unknown }).errors;
    if (!Array.isArray(errors)) throw err;
    return (errors as AjvError[]).map((e) => {
      const params = e.params ?? {};
      const missing = typeof params['missingProperty'] === 'string' ? params['missingProperty'] : undefined;
      const extra = typeof params['additionalProperty'] === 'string' ? params['additionalProperty'] : undefined;
      return {
        reason: missing !== undefined ? 'FieldValueRequired' : 'FieldValueInvalid',
        field: fieldPath(e.instancePath ?? '', missing ?? extra),
        message: e.message ?? 'is invalid',
      };
    });
  }
}

function models(version: string): { vs: SchemaModel; dr: SchemaModel; apiVersion: string } {
  // The package has no v1 folder; v1 is schema-identical to v1beta1.
  if (version === 'v1alpha3') {
    return {
      vs: VirtualServiceV1alpha3,
      dr: DestinationRuleV1alpha3,
      apiVersion: 'networking.istio.io/v1alpha3',
    };
  }
  return {
    vs: VirtualServiceV1beta1,
    dr: DestinationRuleV1beta1,
    apiVersion: 'networking.istio.io/v1beta1',
  };
}

function asArray(value: JsonValue | undefined): JsonValue[] {
  return Array.isArray(value) ? value : [];
}

function asObject(value: JsonValue | undefined): JsonObject {
  return isJsonObject(value) ? value : {};
}

/**
 * Which generation of Istio's validating webhook the server imitates.
 *
 * - `current`: Istio 1.2x `pkg/config/validation` (`validation.go`,
 *   `virtualservice.go`): weights are relative (each `>= 0`, and not all 0
 *   when a route has several destinations); header match names are RFC 7230
 *   tokens (upper case allowed), pseudo headers or `@request.auth.claims.*`.
 * - `legacy`: older releases (before weights became relative): every weight
 *   in 0..100 (`ValidatePercent`) and a route with several destinations must
 *   total exactly 100; header match names must be lower case
 *   (`ValidateHTTPHeaderName`: "must be in lower case").
 *
 * Every other rule is the same in both.
 */
export type WebhookRules = 'current' | 'legacy';

/** Collects causes under a field path prefix. */
class Causes {
  readonly list: StatusCause[] = [];

  add(field: string, message: string, reason?: string): void {
    this.list.push({ ...(reason !== undefined ? { reason } : {}), field, message });
  }
}

/** RFC 7230 `tchar`s; Istio `validHeaderNameRegex` in validation.go. */
const HEADER_TOKEN = /^[!#$%&'*+\-.^_`|~A-Za-z0-9]+$/;
/** HTTP/2 pseudo headers accepted as match names (Istio `pseudoHeaders`). */
const PSEUDO_HEADERS = new Set([':method', ':scheme', ':authority', ':path', ':status']);
/** Istio `jwt.ToRoutingClaim`: header names of this form route on JWT claims. */
const JWT_CLAIM_PREFIX = '@request.auth.claims.';
/** Envoy's RE2 program-size limit, approximated by Istio as a length limit (`validateStringRegexp`). */
export const MAX_REGEX_BYTES = 1024;

/**
 * Istio `validateStringRegexp` (validation.go): a regex match must be
 * non-empty, at most {@link MAX_REGEX_BYTES} bytes and valid RE2 syntax
 * (Go's `regexp`, checked here with re2js).
 */
function checkRegex(match: JsonValue | undefined, where: string, field: string, causes: Causes): void {
  if (!isJsonObject(match) || !('regex' in match)) return;
  const re = match['regex'];
  if (typeof re !== 'string') return; // a mistyped value is reported by the schema
  if (re === '') {
    causes.add(field, `"${where}": regex string match should not be empty`);
    return;
  }
  if (Buffer.byteLength(re, 'utf8') > MAX_REGEX_BYTES) {
    causes.add(field, `"${where}": regex is too large, max length allowed is ${MAX_REGEX_BYTES}`);
    return;
  }
  try {
    RE2JS.compile(re);
  } catch (err) {
    const detail = err instanceof Error ? err.message : String(err);
    causes.add(field, `"${where}": ${detail}; Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)`);
  }
}

/**
 * Istio `validateStringMatch`: a `prefix` match must not be empty (except on
 * `uri`, which goes straight to {@link checkRegex}), a `regex` must be valid.
 */
function checkStringMatch(match: JsonValue | undefined, where: string, field: string, causes: Causes): void {
  if (isJsonObject(match) && match['prefix'] === '') causes.add(field, `"${where}": prefix string match should not be empty`);
  checkRegex(match, where, field, causes);
}

/** Header match names: Istio `ValidateHTTPHeaderNameOrJwtClaimRoute` (current) or `ValidateHTTPHeaderName` (legacy). */
function checkHeaderName(name: string, field: string, rules: WebhookRules, causes: Causes): void {
  if (name === '') {
    causes.add(field, 'header name cannot be empty');
    return;
  }
  if (rules === 'legacy') {
    if (name.toLowerCase() !== name) causes.add(field, `header match ${name} must be in lower case`);
    return;
  }
  if (name.startsWith(JWT_CLAIM_PREFIX) || PSEUDO_HEADERS.has(name)) return;
  if (!HEADER_TOKEN.test(name)) causes.add(field, `header name ${name} is not a valid header name`);
}

/** Istio `agent.ValidatePort`: 1..65535. */
function checkPort(port: JsonValue | undefined, field: string, causes: Causes): void {
  if (typeof port === 'number' && (port < 1 || port > 65535 || !Number.isInteger(port))) {
    causes.add(field, `port number ${port} must be in the range 1..65535`);
  }
}

const DURATION_UNITS: Readonly<Record<string, number>> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, 'µs': 0.001, ns: 0.000001 };

/** Milliseconds of a Go/protobuf duration string (`1.5s`, `10ms`, `1m30s`), or undefined when it does not parse. */
function durationMs(text: string): number | undefined {
  const parts = /^(?:(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns))+$/.test(text) ? text.match(/\d+(?:\.\d+)?(?:h|ms|m|s|us|µs|ns)/g) : null;
  if (!parts) return undefined;
  let total = 0;
  for (const part of parts) {
    const [, value = '0', unit = 's'] = /^(\d+(?:\.\d+)?)(.+)$/.exec(part) ?? [];
    total += Number(value) * (DURATION_UNITS[unit] ?? Number.NaN);
  }
  return Number.isFinite(total) ? total : undefined;
}

/** Istio `agent.ValidateDuration`: at least 1ms, whole milliseconds. */
function checkDuration(value: JsonValue | undefined, field: string, causes: Causes): void {
  if (typeof value !== 'string') return;
  const ms = durationMs(value);
  if (ms === undefined) causes.add(field, `invalid duration "${value}"`);
  else if (ms < 1) causes.add(field, 'duration must be greater than 1ms');
  else if (Math.abs(ms - Math.round(ms)) > 1e-9) causes.add(field, 'only durations to ms precision are supported');
}

/** Istio `validatePercentage`: 0, or 0.0001..100. */
function checkPercentage(percentage: JsonValue | undefined, field: string, causes: Causes): void {
  const value = asObject(percentage)['value'];
  if (typeof value !== 'number') return;
  if (value < 0 || value > 100 || (value > 0 && value < 0.0001)) {
    causes.add(`${field}.value`, `percentage ${value} is neither 0.0, nor in range [0.0001, 100.0]`);
  }
}

/** Istio `validateSubsetName`: a DNS-1123 label. */
function checkSubsetName(name: JsonValue | undefined, field: string, causes: Causes): void {
  if (typeof name !== 'string') return;
  if (name === '') causes.add(field, 'subset name cannot be empty');
  else if (!isDnsLabel(name)) causes.add(field, `subset name is invalid: ${name}`);
}

/** Istio `validateDestination`: host not `*`, subset a DNS-1123 label, port 1..65535. */
function checkDestination(destination: JsonValue | undefined, field: string, causes: Causes): void {
  if (!isJsonObject(destination)) return;
  if (destination['host'] === '*') causes.add(`${field}.host`, 'invalid destination host *');
  if (destination['subset'] !== undefined) checkSubsetName(destination['subset'], `${field}.subset`, causes);
  checkPort(asObject(destination['port'])['number'], `${field}.port.number`, causes);
}

/**
 * Istio `validateHTTPRouteDestinations` (current: `validateWeight` and
 * "total destination weight = 0"; legacy: `ValidatePercent` and
 * "total destination weight N != 100"). An omitted weight counts as 0, as
 * in the protobuf.
 */
function checkRouteDestinations(route: JsonValue[], at: string, rules: WebhookRules, causes: Causes): void {
  let total = 0;
  let numeric = true;
  route.forEach((raw, j) => {
    const field = `${at}.route[${j}]`;
    const destination = asObject(raw);
    if (destination['destination'] === undefined) causes.add(`${field}.destination`, 'destination is required', 'FieldValueRequired');
    checkDestination(destination['destination'], `${field}.destination`, causes);
    const weight = destination['weight'] ?? 0;
    if (typeof weight !== 'number' || !Number.isInteger(weight)) {
      numeric = false; // reported by the schema
      return;
    }
    if (rules === 'legacy' && (weight < 0 || weight > 100)) causes.add(`${field}.weight`, `percentage ${weight} is not in range 0..100`);
    if (rules === 'current' && weight < 0) causes.add(`${field}.weight`, `weight ${weight} < 0`);
    total += weight;
  });
  if (!numeric || route.length < 2) return;
  if (rules === 'legacy' && total !== 100) causes.add(`${at}.route`, `total destination weight ${total} != 100`);
  if (rules === 'current' && total === 0) causes.add(`${at}.route`, 'total destination weight = 0');
}

/** Istio `validateHTTPFaultInjection` with its abort and delay parts. */
function checkFault(fault: JsonValue | undefined, at: string, causes: Causes): void {
  if (!isJsonObject(fault)) return;
  const field = `${at}.fault`;
  const abort = fault['abort'];
  const delay = fault['delay'];
  if (abort === undefined && delay === undefined) causes.add(field, 'HTTP fault injection must have an abort and/or a delay');
  if (isJsonObject(abort)) {
    checkPercentage(abort['percentage'], `${field}.abort.percentage`, causes);
    const status = abort['httpStatus'];
    // Istio's check is `status < 200 || status > 600` although its message says 200-599.
    if (typeof status === 'number' && (status < 200 || status > 600)) {
      causes.add(`${field}.abort.httpStatus`, `HTTP status ${status} is not in range 200-599`);
    }
    if (abort['http2Error'] !== undefined) causes.add(`${field}.abort.http2Error`, 'HTTP/2 abort fault injection not supported yet');
  }
  if (isJsonObject(delay)) {
    checkPercentage(delay['percentage'], `${field}.delay.percentage`, causes);
    checkDuration(delay['fixedDelay'], `${field}.delay.fixedDelay`, causes);
    if (delay['exponentialDelay'] !== undefined) causes.add(`${field}.delay.exponentialDelay`, 'exponentialDelay not supported yet');
  }
}

/** Mirror rules of `validateHTTPRoute` and `validateHTTPMirrors`: percentages 0..100, valid destinations. */
function checkMirrors(route: JsonObject, at: string, causes: Causes): void {
  const mirrorPercent = route['mirrorPercent'] ?? route['mirror_percent'];
  if (typeof mirrorPercent === 'number' && mirrorPercent > 100) {
    causes.add(`${at}.mirrorPercent`, `mirror_percent must have a max value of 100 (it has ${mirrorPercent})`);
  }
  const mirrorPercentage = asObject(route['mirrorPercentage'])['value'];
  if (typeof mirrorPercentage === 'number') {
    if (mirrorPercentage > 100) causes.add(`${at}.mirrorPercentage.value`, `mirror_percentage must have a max value of 100 (it has ${mirrorPercentage})`);
    if (mirrorPercentage < 0) causes.add(`${at}.mirrorPercentage.value`, `mirror_percentage must have a min value of 0 (it has ${mirrorPercentage})`);
  }
  checkDestination(route['mirror'], `${at}.mirror`, causes);
  asArray(route['mirrors']).forEach((raw, k) => {
    const field = `${at}.mirrors[${k}]`;
    const mirror = asObject(raw);
    if (mirror['destination'] === undefined) {
      causes.add(`${field}.destination`, 'destination is required for mirrors', 'FieldValueRequired');
      return;
    }
    checkDestination(mirror['destination'], `${field}.destination`, causes);
    const value = asObject(mirror['percentage'])['value'];
    if (typeof value === 'number' && value > 100) causes.add(`${field}.percentage.value`, `mirror percentage must have a max value of 100 (it has ${value})`);
    if (typeof value === 'number' && value < 0) causes.add(`${field}.percentage.value`, `mirror percentage must have a min value of 0 (it has ${value})`);
  });
}

/** Istio `validateHTTPRouteMatchRequest` for an independent (non-delegate) route. */
function checkMatches(route: JsonObject, at: string, rules: WebhookRules, causes: Causes): void {
  asArray(route['match']).forEach((raw, j) => {
    const match = asObject(raw);
    const field = `${at}.match[${j}]`;
    for (const [name, header] of Object.entries(asObject(match['headers']))) {
      if (header === null) causes.add(`${field}.headers.${name}`, `header match ${name} cannot be null`);
      checkHeaderName(name, `${field}.headers.${name}`, rules, causes);
      checkStringMatch(header, 'headers', `${field}.headers.${name}`, causes);
    }
    for (const [name, header] of Object.entries(asObject(match['withoutHeaders']))) {
      checkHeaderName(name, `${field}.withoutHeaders.${name}`, rules, causes);
      // `regex: "*"` is not RE2 there: Istio turns it into a presence match.
      if (asObject(header)['regex'] !== '*') checkStringMatch(header, 'withoutHeaders', `${field}.withoutHeaders.${name}`, causes);
    }
    // uri allows an empty prefix (Envoy does); scheme, method and authority do not.
    checkRegex(match['uri'], 'uri', `${field}.uri`, causes);
    for (const key of ['scheme', 'method', 'authority'] as const) checkStringMatch(match[key], key, `${field}.${key}`, causes);
    for (const [name, param] of Object.entries(asObject(match['queryParams']))) {
      checkStringMatch(param, 'queryParams', `${field}.queryParams.${name}`, causes);
    }
    if (match['port'] !== 0) checkPort(match['port'], `${field}.port`, causes);
  });
}

/** Istio `validateHTTPRouteConflict` for an independent route. */
function checkConflicts(route: JsonObject, at: string, causes: Causes): void {
  const hasRoute = asArray(route['route']).length > 0;
  const hasRedirect = route['redirect'] !== undefined;
  const hasDirect = route['directResponse'] !== undefined || route['direct_response'] !== undefined;
  const hasFault = route['fault'] !== undefined;
  const hasRewrite = route['rewrite'] !== undefined;
  if (hasRedirect) {
    if (hasRoute) causes.add(at, 'HTTP route cannot contain both route and redirect');
    if (hasFault) causes.add(at, 'HTTP route cannot contain both fault and redirect');
    if (hasRewrite) causes.add(at, 'HTTP route rule cannot contain both rewrite and redirect');
    if (hasDirect) causes.add(at, 'HTTP route rule cannot contain both direct_response and redirect');
  } else if (hasDirect) {
    if (hasRoute) causes.add(at, 'HTTP route cannot contain both route and direct_response');
    if (hasFault) causes.add(at, 'HTTP route cannot contain both fault and direct_response');
    if (hasRewrite) causes.add(at, 'HTTP route rule cannot contain both rewrite and direct_response');
  } else if (!hasRoute) {
    causes.add(`${at}.route`, 'HTTP route, redirect or direct_response is required', 'FieldValueRequired');
  }
  if (route['mirror'] !== undefined && asArray(route['mirrors']).length > 0) causes.add(at, 'HTTP route cannot contain both mirror and mirrors');
}

/**
 * The webhook rules for the HTTP routes of a VirtualService spec, written
 * from Istio's `validateHTTPRoute` (pkg/config/validation/virtualservice.go)
 * and the helpers it calls in validation.go.
 */
function virtualServiceRules(spec: JsonObject, rules: WebhookRules): StatusCause[] {
  const causes = new Causes();
  asArray(spec['http']).forEach((raw, i) => {
    const at = `spec.http[${i}]`;
    if (raw === null) {
      causes.add(at, 'http route may not be null');
      return;
    }
    const route = asObject(raw);
    checkConflicts(route, at, causes);
    checkMatches(route, at, rules, causes);
    checkFault(route['fault'], at, causes);
    checkMirrors(route, at, causes);
    checkRouteDestinations(asArray(route['route']), at, rules, causes);
    checkDuration(route['timeout'], `${at}.timeout`, causes);
    const retries = asObject(route['retries']);
    if (typeof retries['attempts'] === 'number' && retries['attempts'] < 0) causes.add(`${at}.retries.attempts`, 'attempts cannot be negative');
    checkDuration(retries['perTryTimeout'], `${at}.retries.perTryTimeout`, causes);
  });
  return causes.list;
}

/**
 * The webhook rules for the subsets of a DestinationRule spec: Istio
 * `ValidateDestinationRule` ("duplicate subset names: NAME") and
 * `validateSubset` (name a DNS-1123 label, labels valid).
 */
function destinationRuleRules(spec: JsonObject): StatusCause[] {
  const causes = new Causes();
  const seen = new Set<string>();
  asArray(spec['subsets']).forEach((raw, i) => {
    const field = `spec.subsets[${i}]`;
    if (raw === null) {
      causes.add(field, 'subset may not be null');
      return;
    }
    const subset = asObject(raw);
    const name = subset['name'];
    if (typeof name === 'string') {
      if (seen.has(name)) causes.add(`${field}.name`, `duplicate subset names: ${name}`, 'FieldValueDuplicate');
      seen.add(name);
    }
    checkSubsetName(name, `${field}.name`, causes);
    for (const [key, value] of Object.entries(asObject(subset['labels']))) {
      try {
        validateLabelKey(key);
        if (typeof value === 'string') validateLabelValue(value);
      } catch (err) {
        if (!(err instanceof SelectorError)) throw err;
        causes.add(`${field}.labels`, err.message);
      }
    }
  });
  return causes.list;
}

/** Schema plus webhook validation of a VirtualService written through `version`. */
export function validateVirtualService(obj: JsonObject, version: string, rules: WebhookRules = 'current'): StatusCause[] {
  const { vs, apiVersion } = models(version);
  return [...schemaErrors(vs, obj, apiVersion), ...virtualServiceRules(asObject(obj['spec']), rules)];
}

/** Schema plus webhook validation of a DestinationRule written through `version`. */
export function validateDestinationRule(obj: JsonObject, version: string, _rules: WebhookRules = 'current'): StatusCause[] {
  const { dr, apiVersion } = models(version);
  return [...schemaErrors(dr, obj, apiVersion), ...destinationRuleRules(asObject(obj['spec']))];
}
