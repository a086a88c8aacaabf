import { describe, expect, it } from 'vitest';
import { DestinationRule as DrV1alpha3 } from '@kubernetes-models/istio/networking.istio.io/v1alpha3/DestinationRule';
import { VirtualService as VsV1alpha3 } from '@kubernetes-models/istio/networking.istio.io/v1alpha3/VirtualService';
import { DestinationRule as DrV1beta1 } from '@kubernetes-models/istio/networking.istio.io/v1beta1/DestinationRule';
import { VirtualService as VsV1beta1 } from '@kubernetes-models/istio/networking.istio.io/v1beta1/VirtualService';
import { checkIstioSchema, type SchemaSubject } from './istio-schema.js';
import { validateSchema } from '../validate.js';
import type { IstioObject } from '../../domain/istio.js';

type Kind = 'VirtualService' | 'DestinationRule';
type Version = 'v1' | 'v1beta1' | 'v1alpha3';

interface Case {
  readonly name: string;
  readonly kind: Kind;
  readonly spec: unknown;
  readonly metadata?: unknown;
  readonly valid: boolean;
}

const dest = (host: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ destination: { host, ...extra } });
const http = (...routes: unknown[]): Record<string, unknown> => ({ hosts: ['reviews'], http: routes });
const route = (fields: Record<string, unknown>): Record<string, unknown> => ({ route: [dest('reviews')], ...fields });

/** VirtualServices: every field istiops writes, and the ways a hand-written or planned object can be wrong. */
const VIRTUAL_SERVICES: readonly Omit<Case, 'kind'>[] = [
  { name: 'minimal', spec: { hosts: ['reviews'] }, valid: true },
  { name: 'empty spec', spec: {}, valid: true },
  { name: 'weights summing to 100', spec: http({ route: [{ ...dest('reviews', { subset: 'v1' }), weight: 75 }, { ...dest('reviews', { subset: 'v2' }), weight: 25 }] }), valid: true },
  { name: 'weight as a string', spec: http({ route: [{ ...dest('reviews'), weight: '25' }] }), valid: false },
  { name: 'weight as a float', spec: http({ route: [{ ...dest('reviews'), weight: 12.5 }] }), valid: false },
  { name: 'negative weight (not bounded by the schema)', spec: http({ route: [{ ...dest('reviews'), weight: -5 }] }), valid: true },
  { name: 'weight beyond int32', spec: http({ route: [{ ...dest('reviews'), weight: 2 ** 31 }] }), valid: false },
  { name: 'weight null (nullable)', spec: http({ route: [{ ...dest('reviews'), weight: null }] }), valid: true },
  { name: 'destination without host (not required by the package\'s schema)', spec: http({ route: [{ destination: { subset: 'v1' }, weight: 100 }] }), valid: true },
  { name: 'route entry without destination (not required by the package\'s schema)', spec: http({ route: [{ weight: 100 }] }), valid: true },
  { name: 'host as a number', spec: http({ route: [{ destination: { host: 42 } }] }), valid: false },
  { name: 'subset as a number', spec: http({ route: [dest('reviews', { subset: 1 })] }), valid: false },
  { name: 'port as an object with a number', spec: http({ route: [dest('reviews', { port: { number: 9080 } })] }), valid: true },
  { name: 'port number as a string', spec: http({ route: [dest('reviews', { port: { number: '9080' } })] }), valid: false },
  { name: 'port as a bare number', spec: http({ route: [dest('reviews', { port: 9080 })] }), valid: false },
  { name: 'hosts as a string', spec: { hosts: 'reviews' }, valid: false },
  { name: 'hosts with a number', spec: { hosts: ['reviews', 7] }, valid: false },
  { name: 'gateways list', spec: { hosts: ['reviews'], gateways: ['mesh', 'istio-system/gw'] }, valid: true },
  { name: 'http not a list', spec: { hosts: ['reviews'], http: { route: [] } }, valid: false },
  { name: 'route not a list', spec: http({ route: dest('reviews') }), valid: false },
  { name: 'exact header match', spec: http(route({ name: 'b3', match: [{ headers: { 'end-user': { exact: 'jason' } } }] })), valid: true },
  { name: 'regex header match', spec: http(route({ match: [{ headers: { 'end-user': { regex: 'qa-.*' } } }] })), valid: true },
  { name: 'prefix uri match', spec: http(route({ match: [{ uri: { prefix: '/ratings' } }] })), valid: true },
  { name: 'catch-all regex .+', spec: http(route({ match: [{ uri: { regex: '.+' } }] })), valid: true },
  { name: 'header match with exact and regex', spec: http(route({ match: [{ headers: { 'end-user': { exact: 'a', regex: 'b' } } }] })), valid: false },
  { name: 'uri match with exact and prefix', spec: http(route({ match: [{ uri: { exact: '/a', prefix: '/b' } }] })), valid: false },
  { name: 'header match value as a string', spec: http(route({ match: [{ headers: { 'end-user': 'jason' } }] })), valid: false },
  { name: 'regex as a number', spec: http(route({ match: [{ headers: { 'end-user': { regex: 5 } } }] })), valid: false },
  { name: 'empty header match object', spec: http(route({ match: [{ headers: { 'end-user': {} } }] })), valid: true },
  { name: 'match not a list', spec: http(route({ match: { uri: { prefix: '/' } } })), valid: false },
  { name: 'withoutHeaders', spec: http(route({ match: [{ withoutHeaders: { 'x-canary': { exact: 'yes' } } }] })), valid: true },
  { name: 'queryParams with two kinds', spec: http(route({ match: [{ queryParams: { v: { exact: '1', prefix: '2' } } }] })), valid: false },
  { name: 'mirror', spec: http(route({ mirror: { host: 'reviews', subset: 'v2' }, mirrorPercentage: { value: 10 } })), valid: true },
  { name: 'mirror percentage as a fraction', spec: http(route({ mirror: { host: 'reviews' }, mirrorPercentage: { value: 0.5 } })), valid: true },
  { name: 'mirror without host (not required by the package\'s schema)', spec: http(route({ mirror: { subset: 'v2' } })), valid: true },
  { name: 'mirror percentage as a string', spec: http(route({ mirror: { host: 'reviews' }, mirrorPercentage: { value: '10' } })), valid: false },
  { name: 'mirrors list', spec: http(route({ mirrors: [{ destination: { host: 'reviews', subset: 'v2' }, percentage: { value: 5 } }] })), valid: true },
  { name: 'mirrors entry without destination (the package\'s schema predates `mirrors`)', spec: http(route({ mirrors: [{ percentage: { value: 5 } }] })), valid: true },
  { name: 'mirrors entry with a host-less destination (the package\'s schema predates `mirrors`)', spec: http(route({ mirrors: [{ destination: { subset: 'v2' } }] })), valid: true },
  { name: 'mirrors not a list (the package\'s schema predates `mirrors`)', spec: http(route({ mirrors: { destination: { host: 'reviews' } } })), valid: true },
  { name: 'fault delay', spec: http(route({ fault: { delay: { fixedDelay: '5s', percentage: { value: 10 } } } })), valid: true },
  { name: 'fault abort', spec: http(route({ fault: { abort: { httpStatus: 503, percentage: { value: 50 } } } })), valid: true },
  { name: 'fault abort with grpcStatus', spec: http(route({ fault: { abort: { grpcStatus: 'UNAVAILABLE' } } })), valid: true },
  { name: 'fault abort with two statuses', spec: http(route({ fault: { abort: { httpStatus: 503, grpcStatus: 'UNAVAILABLE' } } })), valid: false },
  { name: 'fault abort status as a string', spec: http(route({ fault: { abort: { httpStatus: '503' } } })), valid: false },
  { name: 'fault delay with two kinds', spec: http(route({ fault: { delay: { fixedDelay: '1s', exponentialDelay: '2s' } } })), valid: false },
  { name: 'fault delay percentage as a string', spec: http(route({ fault: { delay: { fixedDelay: '1s', percentage: { value: 'ten' } } } })), valid: false },
  { name: 'fault as a list', spec: http(route({ fault: [{ delay: { fixedDelay: '1s' } }] })), valid: false },
  { name: 'retries and timeout', spec: http(route({ retries: { attempts: 3, perTryTimeout: '2s' }, timeout: '10s' })), valid: true },
  { name: 'retries attempts as a string', spec: http(route({ retries: { attempts: 'three' } })), valid: false },
  { name: 'headers manipulation', spec: http(route({ headers: { request: { set: { 'x-a': 'b' } } } })), valid: true },
  { name: 'headers set to a number', spec: http(route({ headers: { request: { set: { 'x-a': 1 } } } })), valid: false },
  { name: 'unknown fields (kept, not forbidden by the schema)', spec: http(route({ 'x-unknown': { a: 1 } })), valid: true },
  { name: 'unknown top-level spec field', spec: { hosts: ['reviews'], somethingElse: true }, valid: true },
  { name: 'tcp and tls routes', spec: { hosts: ['m'], tcp: [{ match: [{ port: 27017 }], route: [{ destination: { host: 'mongo', port: { number: 27017 } } }] }], tls: [] }, valid: true },
  { name: 'tcp route port as a string', spec: { hosts: ['m'], tcp: [{ match: [{ port: 'x' }], route: [] }] }, valid: false },
  { name: 'redirect', spec: http({ redirect: { uri: '/v1', authority: 'x' } }), valid: true },
  { name: 'corsPolicy allowOrigins', spec: http(route({ corsPolicy: { allowOrigins: [{ exact: 'https://a' }], allowCredentials: 'yes' } })), valid: false },
  { name: 'several errors at once', spec: http({ route: [{ destination: { subset: 1 }, weight: 'x' }], match: [{ uri: { exact: 1 } }] }), valid: false },
  { name: 'spec null', spec: null, valid: true },
  { name: 'metadata labels as numbers', spec: { hosts: ['reviews'] }, metadata: { name: 'reviews', labels: { app: 1 } }, valid: false },
  { name: 'metadata name as a number', spec: { hosts: ['reviews'] }, metadata: { name: 5 }, valid: false },
  { name: 'metadata with annotations and resourceVersion', spec: {}, metadata: { name: 'r', namespace: 'n', annotations: { a: 'b' }, resourceVersion: '12' }, valid: true },
  { name: 'metadata as a string', spec: {}, metadata: 'reviews', valid: false },
  { name: 'metadata creationTimestamp not a date-time', spec: {}, metadata: { name: 'r', creationTimestamp: 'yesterday' }, valid: false },
];

/** DestinationRules: subsets istiops adds, traffic policies it carries through. */
const DESTINATION_RULES: readonly Omit<Case, 'kind'>[] = [
  { name: 'host only', spec: { host: 'reviews' }, valid: true },
  { name: 'subsets with labels', spec: { host: 'reviews', subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'reviews-3-bookinfo', labels: { app: 'reviews', version: 'v3' } }] }, valid: true },
  { name: 'subset without name (not required by the package\'s schema)', spec: { host: 'reviews', subsets: [{ labels: { version: 'v1' } }] }, valid: true },
  { name: 'subset name as a number', spec: { host: 'reviews', subsets: [{ name: 3 }] }, valid: false },
  { name: 'subset label value as a number', spec: { host: 'reviews', subsets: [{ name: 'v1', labels: { version: 1 } }] }, valid: false },
  { name: 'subsets as a map', spec: { host: 'reviews', subsets: { v1: { labels: {} } } }, valid: false },
  { name: 'missing host (not required by the package\'s schema)', spec: { subsets: [{ name: 'v1' }] }, valid: true },
  { name: 'host as a list', spec: { host: ['reviews'] }, valid: false },
  { name: 'trafficPolicy connection pool', spec: { host: 'reviews', trafficPolicy: { connectionPool: { http: { http1MaxPendingRequests: 100 }, tcp: { maxConnections: 10, connectTimeout: '30ms' } } } }, valid: true },
  { name: 'trafficPolicy pool size as a string', spec: { host: 'reviews', trafficPolicy: { connectionPool: { tcp: { maxConnections: 'ten' } } } }, valid: false },
  { name: 'trafficPolicy load balancer simple', spec: { host: 'reviews', trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN' } } }, valid: true },
  { name: 'trafficPolicy load balancer unknown enum', spec: { host: 'reviews', trafficPolicy: { loadBalancer: { simple: 'FASTEST' } } }, valid: false },
  { name: 'trafficPolicy consistent hash with two keys (no oneOf in the package\'s schema)', spec: { host: 'reviews', trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: 'x', useSourceIp: true } } } }, valid: true },
  { name: 'trafficPolicy tls mode', spec: { host: 'reviews', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } }, valid: true },
  { name: 'trafficPolicy tls unknown mode', spec: { host: 'reviews', trafficPolicy: { tls: { mode: 'SOMETIMES' } } }, valid: false },
  { name: 'outlier detection', spec: { host: 'reviews', trafficPolicy: { outlierDetection: { consecutive5xxErrors: 7, interval: '5m', baseEjectionTime: '15m' } } }, valid: true },
  { name: 'outlier detection errors as a float', spec: { host: 'reviews', trafficPolicy: { outlierDetection: { consecutive5xxErrors: 1.5 } } }, valid: false },
  { name: 'subset traffic policy', spec: { host: 'reviews', subsets: [{ name: 'v2', labels: { version: 'v2' }, trafficPolicy: { loadBalancer: { simple: 'RANDOM' } } }] }, valid: true },
  { name: 'port level settings', spec: { host: 'reviews', trafficPolicy: { portLevelSettings: [{ port: { number: 80 }, loadBalancer: { simple: 'LEAST_REQUEST' } }] } }, valid: true },
  { name: 'port level settings port as a string', spec: { host: 'reviews', trafficPolicy: { portLevelSettings: [{ port: { number: '80' } }] } }, valid: false },
  { name: 'exportTo and workloadSelector', spec: { host: 'reviews', exportTo: ['.'], workloadSelector: { matchLabels: { app: 'x' } } }, valid: true },
  { name: 'unknown fields (not forbidden)', spec: { host: 'reviews', subsets: [{ name: 'v1', weight: 3 }] }, valid: true },
];

const CASES: readonly Case[] = [
  ...VIRTUAL_SERVICES.map((c) => ({ ...c, kind: 'VirtualService' as const })),
  ...DESTINATION_RULES.map((c) => ({ ...c, kind: 'DestinationRule' as const })),
];

const LIBRARY = {
  VirtualService: { v1beta1: VsV1beta1, v1alpha3: VsV1alpha3 },
  DestinationRule: { v1beta1: DrV1beta1, v1alpha3: DrV1alpha3 },
} as const;

/** What the library says: the `instancePath message` of each error, or [] when valid. */
function libraryVerdict(kind: Kind, version: Version, metadata: unknown, spec: unknown): string[] {
  const Model = LIBRARY[kind][version === 'v1alpha3' ? 'v1alpha3' : 'v1beta1'];
  try {
    new Model({ metadata, spec } as never).validate();
    return [];
  } catch (e) {
    const errors = (e as { errors?: { instancePath: string; message?: string }[] }).errors;
    if (!errors) throw e;
    return errors.map((i) => `${i.instancePath} ${i.message ?? ''}`.trim());
  }
}

function precompiledVerdict(kind: Kind, version: Version, metadata: unknown, spec: unknown): string[] {
  const subject: SchemaSubject = { apiVersion: `networking.istio.io/${version}`, kind, metadata, spec };
  return (checkIstioSchema(subject)?.errors ?? []).map((i) => `${i.instancePath} ${i.message ?? ''}`.trim());
}

describe('precompiled Istio schema validators', () => {
  it('cover at least 60 objects, valid and invalid', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(60);
    expect(CASES.filter((c) => c.valid).length).toBeGreaterThanOrEqual(20);
    expect(CASES.filter((c) => !c.valid).length).toBeGreaterThanOrEqual(20);
  });

  describe.each(['v1', 'v1beta1', 'v1alpha3'] as const)('networking.istio.io/%s', (version) => {
    it.each(CASES)('agree with @kubernetes-models/istio on $kind: $name', ({ kind, spec, metadata, valid }) => {
      const meta = metadata ?? { name: 'reviews', namespace: 'bookinfo' };
      const library = libraryVerdict(kind, version, meta, spec);
      const precompiled = precompiledVerdict(kind, version, meta, spec);
      expect(precompiled).toEqual(library);
      // The corpus states its intent, so a schema change that flips a verdict is noticed, not absorbed.
      expect(precompiled.length === 0).toBe(valid);
    });
  });

  it('refuses kinds it has no schema for', () => {
    expect(() => checkIstioSchema({ apiVersion: 'networking.istio.io/v1', kind: 'Gateway', spec: {} })).toThrow(TypeError);
  });
});

describe('validateSchema', () => {
  it('names the object and every error path in one line', async () => {
    const obj = {
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'reviews', namespace: 'bookinfo' },
      spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews', subset: 1 }, weight: 'x' }] }] },
    } as unknown as IstioObject;
    await expect(validateSchema(obj)).rejects.toThrow(
      'VirtualService bookinfo/reviews would be invalid: /spec/http/0/route/0/destination/subset must be string; /spec/http/0/route/0/weight must be integer',
    );
  });

  it('accepts a valid DestinationRule', async () => {
    const obj = { apiVersion: 'networking.istio.io/v1beta1', kind: 'DestinationRule', metadata: { name: 'r' }, spec: { host: 'r', subsets: [{ name: 'v1', labels: { v: '1' } }] } } as unknown as IstioObject;
    await expect(validateSchema(obj)).resolves.toBeUndefined();
  });
});
