/**
 * Write-time validation: object metadata, the Istio CRD schemas (through
 * `@kubernetes-models/istio`) and the rules Istio's validating webhook adds on
 * top of the schemas.
 *
 * @module
 */
import { DestinationRule as DestinationRuleV1alpha3 } from '@kubernetes-models/istio/networking.istio.io/v1alpha3/DestinationRule';
import { VirtualService as VirtualServiceV1alpha3 } from '@kubernetes-models/istio/networking.istio.io/v1alpha3/VirtualService';
import { DestinationRule as DestinationRuleV1beta1 } from '@kubernetes-models/istio/networking.istio.io/v1beta1/DestinationRule';
import { VirtualService as VirtualServiceV1beta1 } from '@kubernetes-models/istio/networking.istio.io/v1beta1/VirtualService';
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

/** The webhook rules for the HTTP routes of a VirtualService spec. */
function virtualServiceRules(spec: JsonObject): StatusCause[] {
  const causes: StatusCause[] = [];
  asArray(spec['http']).forEach((rawRoute, i) => {
    const route = asObject(rawRoute);
    const at = `spec.http[${i}]`;
    const destinations = asArray(route['route']);
    const terminal = route['redirect'] !== undefined || route['directResponse'] !== undefined || route['direct_response'] !== undefined;
    if (destinations.length === 0 && !terminal) {
      causes.push({ reason: 'FieldValueRequired', field: `${at}.route`, message: 'HTTP route, redirect or direct_response is required' });
    }
    if (destinations.length > 1) {
      let total = 0;
      let numeric = true;
      destinations.forEach((rawDestination, j) => {
        const weight = asObject(rawDestination)['weight'];
        if (weight === undefined || weight === null) {
          causes.push({
            reason: 'FieldValueRequired',
            field: `${at}.route[${j}].weight`,
            message: 'weight may only be omitted when the route has a single destination',
          });
        } else if (typeof weight === 'number' && Number.isInteger(weight)) {
          if (weight < 0) causes.push({ field: `${at}.route[${j}].weight`, message: `weight ${weight} must not be negative` });
          total += weight;
        } else {
          numeric = false; // already reported by the schema
        }
      });
      if (numeric && total !== 100) {
        causes.push({ field: `${at}.route`, message: `total destination weight ${total} != 100` });
      }
    }
    asArray(route['match']).forEach((rawMatch, j) => {
      const match = asObject(rawMatch);
      for (const key of ['headers', 'withoutHeaders'] as const) {
        for (const header of Object.keys(asObject(match[key]))) {
          if (header !== header.toLowerCase()) {
            causes.push({ field: `${at}.match[${j}].${key}.${header}`, message: `header match ${header} must be in lower case` });
          }
        }
      }
    });
  });
  return causes;
}

/** The webhook rules for the subsets of a DestinationRule spec. */
function destinationRuleRules(spec: JsonObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const seen = new Set<string>();
  asArray(spec['subsets']).forEach((rawSubset, i) => {
    const name = asObject(rawSubset)['name'];
    if (typeof name !== 'string') return; // missing or mistyped names are reported by the schema
    const field = `spec.subsets[${i}].name`;
    if (!isDnsLabel(name)) causes.push({ field, message: `subset name "${name}" is invalid: must be a DNS-1123 label` });
    if (seen.has(name)) causes.push({ reason: 'FieldValueDuplicate', field, message: `duplicate subset name "${name}"` });
    seen.add(name);
  });
  return causes;
}

/** Schema plus webhook validation of a VirtualService written through `version`. */
export function validateVirtualService(obj: JsonObject, version: string): StatusCause[] {
  const { vs, apiVersion } = models(version);
  return [...schemaErrors(vs, obj, apiVersion), ...virtualServiceRules(asObject(obj['spec']))];
}

/** Schema plus webhook validation of a DestinationRule written through `version`. */
export function validateDestinationRule(obj: JsonObject, version: string): StatusCause[] {
  const { dr, apiVersion } = models(version);
  return [...schemaErrors(dr, obj, apiVersion), ...destinationRuleRules(asObject(obj['spec']))];
}
