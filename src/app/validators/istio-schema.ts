/**
 * Istio schema validation with validators precompiled at build time (scripts/generate-validators.mjs)
 * from the schemas `@kubernetes-models/istio` ships, with the same ajv version and options. Gives the
 * same verdicts and error paths as `new VirtualService(data).validate()` of that package, without
 * compiling its JSON schemas at run time (about 350 ms of CPU per process).
 * @module
 */
import {
  NULL_BRANCHES,
  destinationRuleV1alpha3,
  destinationRuleV1beta1,
  virtualServiceV1alpha3,
  virtualServiceV1beta1,
  type AjvErrorObject,
  type CompiledValidator,
} from './generated/istio.js';

export type { AjvErrorObject } from './generated/istio.js';

/** The object to check: kind and apiVersion pick the schema; only `metadata` and `spec` are validated. */
export interface SchemaSubject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata?: unknown;
  readonly spec?: unknown;
}

/** Why an object failed its schema: the errors @kubernetes-models/validate would report (nullable-branch noise removed). */
export interface SchemaFailure {
  readonly errors: readonly AjvErrorObject[];
}

const VALIDATORS = {
  VirtualService: { v1beta1: virtualServiceV1beta1, v1alpha3: virtualServiceV1alpha3 },
  DestinationRule: { v1beta1: destinationRuleV1beta1, v1alpha3: destinationRuleV1alpha3 },
} as const;

/** Copies `data` without `undefined` object values, as @kubernetes-models/base's Model constructor does. */
function withoutUndefined(data: unknown): unknown {
  if (Array.isArray(data)) return data.map(withoutUndefined);
  if (data !== null && typeof data === 'object' && (Object.getPrototypeOf(data) === Object.prototype || Object.getPrototypeOf(data) === null)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(data)) if (v !== undefined) out[k] = withoutUndefined(v);
    return out;
  }
  return data;
}

/**
 * Drops the errors of the `{type: null}` branch of nullable `oneOf`s (and the `oneOf` error itself),
 * as @kubernetes-models/validate does, so that a bad `metadata` reports what is wrong inside it.
 */
function excludeNullableRefErrors(errors: readonly AjvErrorObject[]): AjvErrorObject[] {
  const excluded = new Set<string>();
  const kept: AjvErrorObject[] = [];
  for (const e of errors) {
    const nullIndex = e.keyword === 'oneOf' ? NULL_BRANCHES[e.schemaPath] : undefined;
    if (nullIndex !== undefined) {
      excluded.add(`${e.schemaPath}/${nullIndex}/type`);
      continue;
    }
    kept.push(e);
  }
  return kept.filter((e) => !excluded.has(e.schemaPath));
}

/**
 * Checks `obj` against the networking.istio.io schema of its kind and version: `v1alpha3` objects
 * against v1alpha3, every other version (v1, v1beta1) against v1beta1 (v1 is schema-identical to it).
 * As in @kubernetes-models/istio, apiVersion and kind are taken from the schema, not from `obj`.
 * @returns undefined when valid, else the errors (in ajv's order).
 * @throws TypeError for a kind other than VirtualService or DestinationRule.
 */
export function checkIstioSchema(obj: SchemaSubject): SchemaFailure | undefined {
  if (obj.kind !== 'VirtualService' && obj.kind !== 'DestinationRule') throw new TypeError(`no Istio schema for kind ${obj.kind}`);
  const version = obj.apiVersion.endsWith('/v1alpha3') ? 'v1alpha3' : 'v1beta1';
  const validator: CompiledValidator = VALIDATORS[obj.kind][version];
  const data = withoutUndefined({ apiVersion: `networking.istio.io/${version}`, kind: obj.kind, metadata: obj.metadata, spec: obj.spec });
  if (validator(data)) return undefined;
  return { errors: excludeNullableRefErrors(validator.errors ?? []) };
}
