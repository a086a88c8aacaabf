import { describe, expect, it } from 'vitest';
import { InvalidObjectError } from '../errors.js';
import type { DestinationRule, VirtualService } from './istio.js';
import { narrowState } from './narrow.js';
import { catchAll, destinationRule, state, to, virtualService } from './testing.js';

/** A VirtualService whose spec is patched with a malformed value, as a store might return it. */
function badVs(patch: (vs: Record<string, unknown> & { spec: Record<string, unknown> }) => void, namespace: string | null = 'default'): VirtualService {
  const vs = virtualService({ name: 'api', namespace, http: [catchAll([to('1', 90), to('2', 10)])] }) as unknown as Record<string, unknown> & { spec: Record<string, unknown> };
  patch(vs);
  return vs as unknown as VirtualService;
}

function badDr(patch: (dr: Record<string, unknown> & { spec: Record<string, unknown> }) => void): DestinationRule {
  const dr = destinationRule({ name: 'api' }) as unknown as Record<string, unknown> & { spec: Record<string, unknown> };
  patch(dr);
  return dr as unknown as DestinationRule;
}

const http = (vs: { spec: Record<string, unknown> }) => vs.spec['http'] as Record<string, unknown>[];
const route0 = (vs: { spec: Record<string, unknown> }) => http(vs)[0] as Record<string, unknown>;
const dests0 = (vs: { spec: Record<string, unknown> }) => route0(vs)['route'] as Record<string, unknown>[];

describe('narrowState accepts well-formed objects', () => {
  it('returns the state itself for objects of the shapes Istio defines, extra fields and all', () => {
    const s = state({ virtualServices: [virtualService({ spec: { tcp: [{ route: [] }], exportTo: ['.'] } })] });
    expect(narrowState(s)).toBe(s);
  });

  it('accepts both mirror forms, null lists and empty specs', () => {
    const vs = virtualService({ http: [catchAll([to('1')], { mirror: { host: 'a' }, mirrors: [{ destination: { host: 'b', subset: 'x' }, percentage: { value: 5 } }] })] });
    const empty = virtualService({ name: 'empty', http: null, spec: { hosts: null } });
    expect(() => narrowState(state({ virtualServices: [vs, empty] }))).not.toThrow();
  });
});

describe('narrowState refuses malformed objects with an error naming the object and the field', () => {
  it.each<[string, VirtualService, RegExp]>([
    ['a weight given as a string', badVs((vs) => (dests0(vs)[1] = { ...dests0(vs)[1], weight: '10' })), /^VirtualService default\/api: spec\.http\[0\]\.route\[1\]\.weight must be a non-negative integer, not string "10"$/],
    ['a negative weight', badVs((vs) => (dests0(vs)[0] = { ...dests0(vs)[0], weight: -1 })), /spec\.http\[0\]\.route\[0\]\.weight must be a non-negative integer/],
    ['a fractional weight', badVs((vs) => (dests0(vs)[0] = { ...dests0(vs)[0], weight: 12.5 })), /spec\.http\[0\]\.route\[0\]\.weight must be a non-negative integer, not number 12.5/],
    ['a route that is not a mapping', badVs((vs) => (http(vs)[0] = 'catch-all' as unknown as Record<string, unknown>)), /spec\.http\[0\] must be a mapping, not string "catch-all"/],
    ['http that is a mapping', badVs((vs) => (vs.spec['http'] = { route: [] })), /spec\.http must be a list, not a mapping/],
    ['a destination without host', badVs((vs) => (dests0(vs)[0] = { destination: { subset: 'x' } })), /spec\.http\[0\]\.route\[0\]\.destination\.host must be a non-empty string, not missing/],
    ['a missing destination', badVs((vs) => (dests0(vs)[0] = { weight: 90 })), /spec\.http\[0\]\.route\[0\]\.destination must be a mapping/],
    ['a subset that is a number', badVs((vs) => (dests0(vs)[0] = { destination: { host: 'a', subset: 3 }, weight: 90 })), /destination\.subset must be a string, not number 3/],
    ['a port number that is a string', badVs((vs) => (dests0(vs)[0] = { destination: { host: 'a', port: { number: '80' } }, weight: 90 })), /destination\.port\.number must be a number/],
    ['a match that is a mapping', badVs((vs) => (route0(vs)['match'] = { uri: { prefix: '/' } })), /spec\.http\[0\]\.match must be a list/],
    ['a match entry that is a string', badVs((vs) => (route0(vs)['match'] = ['/api'])), /spec\.http\[0\]\.match\[0\] must be a mapping/],
    ['a route name that is a number', badVs((vs) => (route0(vs)['name'] = 7)), /spec\.http\[0\]\.name must be a string/],
    ['a mirror without host', badVs((vs) => (route0(vs)['mirror'] = { subset: 'x' })), /spec\.http\[0\]\.mirror\.host must be a non-empty string/],
    ['a mirrors entry without destination', badVs((vs) => (route0(vs)['mirrors'] = [{ percentage: { value: 1 } }])), /spec\.http\[0\]\.mirrors\[0\]\.destination must be a mapping/],
    ['a host that is a number', badVs((vs) => (vs.spec['hosts'] = [42])), /spec\.hosts\[0\] must be a non-empty string, not number 42/],
    ['a gateway list that is a string', badVs((vs) => (vs.spec['gateways'] = 'mesh')), /spec\.gateways must be a list, not string "mesh"/],
    ['a missing spec', badVs((vs) => delete (vs as Record<string, unknown>)['spec']), /spec must be a mapping, not missing/],
    ['a label value that is a number', badVs((vs) => ((vs['metadata'] as Record<string, unknown>)['labels'] = { version: 2 })), /metadata\.labels\.version must be a string, not number 2/],
    ['a missing name', badVs((vs) => delete (vs['metadata'] as Record<string, unknown>)['name']), /metadata\.name must be a non-empty string/],
  ])('a VirtualService with %s', (_, vs, message) => {
    const s = state({ virtualServices: [vs] });
    expect(() => narrowState(s)).toThrow(InvalidObjectError);
    expect(() => narrowState(s)).toThrow(message);
  });

  it('names an object without namespace by the command\'s namespace', () => {
    const vs = badVs((vs) => (dests0(vs)[0] = { ...dests0(vs)[0], weight: 'x' }), null);
    expect(() => narrowState(state({ namespace: 'bookinfo', virtualServices: [vs] }))).toThrow(/^VirtualService bookinfo\/api: /);
  });

  it('checks the VirtualServices of other namespaces read as subset users too', () => {
    const gw = badVs((vs) => (vs.spec['http'] = 'nope'));
    (gw.metadata as { namespace?: string; name: string }).namespace = 'istio-system';
    expect(() => narrowState(state({ otherVirtualServices: [gw] }))).toThrow(/^VirtualService istio-system\/api: spec\.http must be a list/);
  });

  it.each<[string, DestinationRule, RegExp]>([
    ['a missing host', badDr((dr) => delete dr.spec['host']), /^DestinationRule default\/api: spec\.host must be a non-empty string/],
    ['subsets that are a mapping', badDr((dr) => (dr.spec['subsets'] = { v1: {} })), /spec\.subsets must be a list, not a mapping/],
    ['a subset without name', badDr((dr) => (dr.spec['subsets'] = [{ labels: { version: 'v1' } }])), /spec\.subsets\[0\]\.name must be a non-empty string/],
    ['a subset label that is a boolean', badDr((dr) => (dr.spec['subsets'] = [{ name: 'v1', labels: { canary: true } }])), /spec\.subsets\[0\]\.labels\.canary must be a string, not boolean true/],
  ])('a DestinationRule with %s', (_, dr, message) => {
    const s = state({ destinationRules: [dr] });
    expect(() => narrowState(s)).toThrow(InvalidObjectError);
    expect(() => narrowState(s)).toThrow(message);
  });

  it('words an absent field as missing', () => {
    const s = state({ destinationRules: [badDr((dr) => delete dr.spec['host'])] });
    expect(() => narrowState(s)).toThrow(/spec\.host must be a non-empty string, not missing$/);
  });

  it.each<[string, VirtualService, RegExp]>([
    ['headers given as a string', badVs((vs) => (route0(vs)['match'] = [{ headers: 'x-cid' }])), /spec\.http\[0\]\.match\[0\]\.headers must be a mapping/],
    ['a header condition that is a bare string', badVs((vs) => (route0(vs)['match'] = [{ headers: { 'x-cid': 'a' } }])), /spec\.http\[0\]\.match\[0\]\.headers\.x-cid must be a mapping/],
    ['a uri given as a string', badVs((vs) => (route0(vs)['match'] = [{ uri: '/api' }])), /spec\.http\[0\]\.match\[0\]\.uri must be a mapping/],
  ])('a VirtualService with a match entry with %s', (_, vs, message) => {
    expect(() => narrowState(state({ virtualServices: [vs] }))).toThrow(message);
  });
});
