/**
 * The resources the test server knows and the discovery documents that
 * describe them.
 *
 * @module
 */
import type { JsonObject } from './patch.js';
import type { ResourceRef, StatusCause } from './status.js';
import { validateDestinationRule, validateVirtualService, type WebhookRules } from './validation.js';

/** API group of the Istio networking resources. */
export const ISTIO_GROUP = 'networking.istio.io';

/** Versions of {@link ISTIO_GROUP} the server can serve, in the API server's priority order. */
export const ISTIO_VERSIONS = ['v1', 'v1beta1', 'v1alpha3'] as const;

/** One of {@link ISTIO_VERSIONS}. */
export type IstioVersion = (typeof ISTIO_VERSIONS)[number];

/** Plural names of the stored resource types. */
export type ResourcePlural = 'virtualservices' | 'destinationrules' | 'pods' | 'services';

/** Static description of a served resource type. */
export interface ResourceDef extends ResourceRef {
  readonly plural: ResourcePlural;
  readonly singular: string;
  readonly listKind: string;
  readonly shortNames: readonly string[];
  readonly categories?: readonly string[];
  /** When true, writes to the main resource never change `status` (like a CRD with the status subresource). */
  readonly statusSubresource: boolean;
  /** Extra semantic validation run on every write; `version` is the version of the request. */
  readonly validate?: (obj: JsonObject, version: string, rules: WebhookRules) => StatusCause[];
}

const ALL_VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'] as const;

/** Istio `VirtualService`. */
export const VIRTUAL_SERVICES: ResourceDef = {
  plural: 'virtualservices',
  singular: 'virtualservice',
  group: ISTIO_GROUP,
  kind: 'VirtualService',
  listKind: 'VirtualServiceList',
  shortNames: ['vs'],
  categories: ['istio-io', 'networking-istio-io'],
  statusSubresource: true,
  validate: validateVirtualService,
};

/** Istio `DestinationRule`. */
export const DESTINATION_RULES: ResourceDef = {
  plural: 'destinationrules',
  singular: 'destinationrule',
  group: ISTIO_GROUP,
  kind: 'DestinationRule',
  listKind: 'DestinationRuleList',
  shortNames: ['dr'],
  categories: ['istio-io', 'networking-istio-io'],
  statusSubresource: true,
  validate: validateDestinationRule,
};

/**
 * Core `v1` `Pod`. Unlike the real API server, `status` sent on create or
 * update is kept, so tests can create ready or unready pods directly.
 */
export const PODS: ResourceDef = {
  plural: 'pods',
  singular: 'pod',
  group: '',
  kind: 'Pod',
  listKind: 'PodList',
  shortNames: ['po'],
  categories: ['all'],
  statusSubresource: false,
};

/** Core `v1` `Service`: stored as sent (`spec.selector`, `spec.ports`), no cluster IP allocation. */
export const SERVICES: ResourceDef = {
  plural: 'services',
  singular: 'service',
  group: '',
  kind: 'Service',
  listKind: 'ServiceList',
  shortNames: ['svc'],
  categories: ['all'],
  statusSubresource: false,
};

/** Every stored resource type. */
export const RESOURCES: readonly ResourceDef[] = [VIRTUAL_SERVICES, DESTINATION_RULES, PODS, SERVICES];

/** The stored core (`v1`) resource types. */
export const CORE_RESOURCES: readonly ResourceDef[] = RESOURCES.filter((r) => r.group === '');

/** Looks a resource type up by plural name. */
export function resourceByPlural(plural: string): ResourceDef | undefined {
  return RESOURCES.find((r) => r.plural === plural);
}

/** Looks a resource type up by kind, e.g. `VirtualService`. */
export function resourceByKind(kind: string): ResourceDef | undefined {
  return RESOURCES.find((r) => r.kind === kind);
}

/** `apiVersion` string for a resource type at a version: `networking.istio.io/v1` or `v1`. */
export function apiVersionOf(def: ResourceRef, version: string): string {
  return def.group ? `${def.group}/${version}` : version;
}

function apiResource(def: ResourceDef): JsonObject {
  return {
    name: def.plural,
    singularName: def.singular,
    namespaced: true,
    kind: def.kind,
    verbs: [...ALL_VERBS],
    shortNames: [...def.shortNames],
    ...(def.categories ? { categories: [...def.categories] } : {}),
  };
}

/** Build information answered on `/version`. */
export function versionDocument(): JsonObject {
  return {
    major: '1',
    minor: '32',
    gitVersion: 'v1.32.0-kube-api-test',
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2025-01-01T00:00:00Z',
    goVersion: 'go1.23.0',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

/** `APIVersions` for `/api`. */
export function coreVersionsDocument(serverAddress: string): JsonObject {
  return {
    kind: 'APIVersions',
    versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

/** `APIResourceList` for `/api/v1`. */
export function coreResourcesDocument(): JsonObject {
  return {
    kind: 'APIResourceList',
    groupVersion: 'v1',
    resources: [
      {
        name: 'namespaces',
        singularName: 'namespace',
        namespaced: false,
        kind: 'Namespace',
        verbs: ['get', 'list'],
        shortNames: ['ns'],
      },
      apiResource(PODS),
      apiResource(SERVICES),
    ],
  };
}

/** The `APIGroup` of the Istio networking group, or undefined when no version is served. */
export function istioGroup(served: readonly IstioVersion[]): JsonObject | undefined {
  const versions = ISTIO_VERSIONS.filter((v) => served.includes(v)).map((version) => ({
    groupVersion: `${ISTIO_GROUP}/${version}`,
    version,
  }));
  const preferred = versions[0];
  if (!preferred) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', name: ISTIO_GROUP, versions, preferredVersion: preferred };
}

/** `APIGroupList` for `/apis`. */
export function groupListDocument(served: readonly IstioVersion[]): JsonObject {
  const group = istioGroup(served);
  const groups: JsonObject[] = [];
  if (group) groups.push({ name: ISTIO_GROUP, versions: group['versions'] ?? [], preferredVersion: group['preferredVersion'] ?? null });
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}

/** `APIResourceList` for `/apis/networking.istio.io/<version>`. */
export function istioResourcesDocument(version: IstioVersion): JsonObject {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: `${ISTIO_GROUP}/${version}`,
    resources: [apiResource(DESTINATION_RULES), apiResource(VIRTUAL_SERVICES)],
  };
}

/** Group-version paths in OpenAPI v3 form: `api/v1`, `apis/networking.istio.io/v1`. */
function openApiGroupVersions(served: readonly IstioVersion[]): string[] {
  return ['api/v1', ...ISTIO_VERSIONS.filter((v) => served.includes(v)).map((v) => `apis/${ISTIO_GROUP}/${v}`)];
}

/**
 * The `/openapi/v3` index. kubectl needs it for `create`/`apply`: it looks
 * for a `fieldValidation` parameter on the PATCH operation of the object's
 * kind and, when found, leaves validation to the server instead of
 * downloading the (protobuf-only) OpenAPI v2 document.
 */
export function openApiIndexDocument(served: readonly IstioVersion[]): JsonObject {
  const paths: JsonObject = {};
  for (const gv of openApiGroupVersions(served)) paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=kube-api-test` };
  return { paths };
}

/**
 * A minimal OpenAPI v3 document for one group version (`api/v1` or
 * `apis/networking.istio.io/<v>`): only the item PATCH operations, each with
 * its `x-kubernetes-group-version-kind` and a `fieldValidation` parameter.
 * Returns undefined for a group version that is not served.
 */
export function openApiGroupVersionDocument(gv: string, served: readonly IstioVersion[]): JsonObject | undefined {
  if (!openApiGroupVersions(served).includes(gv)) return undefined;
  const version = gv.split('/').pop() ?? '';
  const defs = gv === 'api/v1' ? CORE_RESOURCES : [VIRTUAL_SERVICES, DESTINATION_RULES];
  const paths: JsonObject = {};
  for (const def of defs) {
    paths[`/${gv}/namespaces/{namespace}/${def.plural}/{name}`] = {
      patch: {
        'x-kubernetes-group-version-kind': { group: def.group, version, kind: def.kind },
        parameters: ['dryRun', 'fieldManager', 'fieldValidation', 'force'].map((name) => ({
          name,
          in: 'query',
          schema: { type: name === 'force' ? 'boolean' : 'string', uniqueItems: true },
        })),
        responses: { '200': { description: 'OK' } },
      },
    };
  }
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: versionDocument()['gitVersion'] ?? 'v1.32.0' },
    paths,
    components: { schemas: {} },
  };
}
