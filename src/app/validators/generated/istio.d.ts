// Types of istio.js, which scripts/generate-validators.mjs generates at build time (gitignored): standalone
// ajv validators compiled from @kubernetes-models/istio's schemas. This stub is checked in so that
// type checking and lint never depend on generated code.

/** One ajv error (`allErrors` is on, as in @kubernetes-models/validate; `verbose` is off). */
export interface AjvErrorObject {
  /** JSON Pointer of the offending value, e.g. `/spec/http/0/route/0/weight`. */
  readonly instancePath: string;
  /** JSON Pointer into the schema, e.g. `#/properties/spec/.../oneOf`. */
  readonly schemaPath: string;
  readonly keyword: string;
  readonly params: Readonly<Record<string, unknown>>;
  /** e.g. `must be integer`. */
  readonly message?: string;
}

/**
 * The `oneOf`s that have a `{type: null}` branch (@kubernetes-models' nullable references): their
 * schemaPath (as in {@link AjvErrorObject.schemaPath}) -> the index of that branch.
 */
export declare const NULL_BRANCHES: Readonly<Record<string, number>>;

/** A compiled validator: true when `data` is valid; otherwise `errors` holds why. */
export interface CompiledValidator {
  (data: unknown): boolean;
  errors?: AjvErrorObject[] | null;
}

/** networking.istio.io/v1beta1 VirtualService (also used for v1, which has the same schema). */
export declare const virtualServiceV1beta1: CompiledValidator;
/** networking.istio.io/v1alpha3 VirtualService. */
export declare const virtualServiceV1alpha3: CompiledValidator;
/** networking.istio.io/v1beta1 DestinationRule (also used for v1). */
export declare const destinationRuleV1beta1: CompiledValidator;
/** networking.istio.io/v1alpha3 DestinationRule. */
export declare const destinationRuleV1alpha3: CompiledValidator;
