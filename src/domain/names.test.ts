import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { dns1123LabelError, isManagedSubsetName, resolveHost, sameHost, serviceNameOf, serviceOfHost, subsetNameFor } from './names.js';

describe('dns1123LabelError', () => {
  it.each(['a', '3', 'api-domain', 'api-pr-10-default', 'a'.repeat(63), 'x1-2y'])('accepts the DNS-1123 label %j', (value) => {
    expect(dns1123LabelError(value)).toBeUndefined();
  });

  it.each([
    ['', /empty/],
    ['a'.repeat(64), /at most 63 characters \(has 64\)/],
    ['API', /DNS-1123/],
    ['-api', /DNS-1123/],
    ['api-', /DNS-1123/],
    ['api_domain', /DNS-1123/],
    ['api.domain', /DNS-1123/],
    ['api domain', /DNS-1123/],
  ])('rejects %j with a reason', (value, reason) => {
    expect(dns1123LabelError(value)).toMatch(reason);
  });
});

describe('serviceNameOf', () => {
  it.each([
    ['reviews', 'reviews'],
    ['reviews.prod', 'reviews'],
    ['reviews.prod.svc.cluster.local', 'reviews'],
    ['api-domain', 'api-domain'],
  ])('takes the first DNS label of %j', (host, service) => {
    expect(serviceNameOf(host)).toBe(service);
  });
});

describe('subsetNameFor', () => {
  it('names the subset <service>-<build>-<namespace>, as the original tool did', () => {
    expect(subsetNameFor('api-domain', '3', 'default')).toBe('api-domain-3-default');
  });

  it('uses only the first DNS label of a fully qualified host', () => {
    expect(subsetNameFor('reviews.prod.svc.cluster.local', 'pr-10', 'prod')).toBe('reviews-pr-10-prod');
  });

  it('accepts a name of exactly 63 characters', () => {
    const service = 'a'.repeat(63 - '-1-default'.length);
    expect(subsetNameFor(service, '1', 'default')).toHaveLength(63);
  });

  it('throws a UsageError naming --build when the name is longer than 63 characters', () => {
    const build = 'b'.repeat(60);
    expect(() => subsetNameFor('api-domain', build, 'default')).toThrow(UsageError);
    expect(() => subsetNameFor('api-domain', build, 'default')).toThrow(/--build .*at most 63 characters/);
  });

  it.each(['PR-10', 'pr_10', 'pr.10'])('throws a UsageError when the build %j makes the name invalid', (build) => {
    expect(() => subsetNameFor('api-domain', build, 'default')).toThrow(UsageError);
  });
});

describe('resolveHost', () => {
  it.each([
    ['reviews', 'default', 'reviews.default.svc.cluster.local'],
    ['reviews', 'prod', 'reviews.prod.svc.cluster.local'],
    ['reviews.prod', 'default', 'reviews.prod'],
    ['reviews.prod', 'prod', 'reviews.prod'],
    ['reviews.prod.svc', 'default', 'reviews.prod.svc'],
    ['reviews.prod.svc.cluster.local', 'default', 'reviews.prod.svc.cluster.local'],
    ['reviews.default.svc.cluster.local.', 'default', 'reviews.default.svc.cluster.local.'],
    ['Reviews', 'default', 'reviews.default.svc.cluster.local'],
    ['api.example.com', 'default', 'api.example.com'],
    ['*.example.com', 'default', '*.example.com'],
  ])('resolves %j in namespace %j to %j (only a name without a dot is expanded, as Istio does)', (host, ns, resolved) => {
    expect(resolveHost(host, ns)).toBe(resolved);
  });
});

describe('sameHost', () => {
  it.each([
    ['reviews', 'default', 'reviews.default.svc.cluster.local', 'default', true],
    ['reviews', 'default', 'reviews.default', 'prod', false],
    ['reviews.default', 'default', 'reviews.default', 'prod', true],
    ['reviews.bookinfo', 'bookinfo', 'reviews', 'bookinfo', false],
    ['reviews', 'default', 'reviews', 'default', true],
    ['reviews', 'default', 'reviews', 'prod', false],
    ['reviews', 'default', 'ratings', 'default', false],
    ['reviews.prod.svc.cluster.local', 'default', 'reviews', 'prod', true],
  ])('%j in %j and %j in %j are the same service: %j', (a, aNs, b, bNs, same) => {
    expect(sameHost(a, aNs, b, bNs)).toBe(same);
  });
});

describe('isManagedSubsetName', () => {
  it.each([
    ['reviews-2-default', 'reviews', 'default', true],
    ['reviews-pr-10-bookinfo', 'reviews', 'bookinfo', true],
    ['api-domain-3-default', 'api-domain', 'default', true],
    ['v2', 'reviews', 'default', false],
    ['reviews--default', 'reviews', 'default', false],
    ['reviews-2-prod', 'reviews', 'default', false],
    ['ratings-2-default', 'reviews', 'default', false],
    ['stable', 'rollouts-demo', 'default', false],
  ])('%j is a managed subset of service %j in %j: %j', (name, service, ns, expected) => {
    expect(isManagedSubsetName(name, service, ns)).toBe(expected);
  });
});

describe('serviceOfHost', () => {
  it.each([
    ['reviews.bookinfo.svc.cluster.local', { name: 'reviews', namespace: 'bookinfo' }],
    ['reviews.bookinfo', undefined],
    ['reviews.bookinfo.svc', undefined],
    ['api.example.com', undefined],
    ['*.bookinfo.svc.cluster.local', undefined],
  ])('reads %j as %j', (host, expected) => {
    expect(serviceOfHost(host)).toEqual(expected);
  });
});
