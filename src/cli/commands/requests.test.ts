import { describe, expect, it } from 'vitest';
import { canaryFlags } from './canary.js';
import { faultRequest } from './fault.js';
import { mirrorRequest } from './mirror.js';

/** The typed requests the mirror, fault and canary flags become (bad values: test/cli/strategy-bad-input.test.ts). */
const destination = { host: 'api-domain', port: 5000 };

describe('mirror flags', () => {
  it.each([
    { flags: { percentage: '12.5' }, percentage: 12.5 },
    { flags: {}, percentage: 100 },
    { flags: { percentage: '0' }, percentage: 0 },
  ])('--percentage $flags.percentage -> $percentage', ({ flags, percentage }) =>
    expect(mirrorRequest({ labelSelector: 'app=x', destination: 'api-domain:5000', build: '2', podSelector: 'app=api-domain,build=2', ...flags })).toEqual({
      kind: 'set',
      request: { destination, build: '2', podSelector: { app: 'api-domain', build: '2' }, percentage },
    }),
  );
  it('--remove needs no pod selector', () =>
    expect(mirrorRequest({ labelSelector: 'app=x', destination: 'api-domain:5000', build: '2', remove: true })).toEqual({ kind: 'remove', request: { destination, build: '2' } }));
});

describe('fault flags', () => {
  const base = { labelSelector: 'app=x' };
  it.each([
    { name: 'delay', flags: { delay: '1.5s', delayPercentage: '10' }, want: { delay: { fixedDelayMs: 1500, percentage: 10 } } },
    { name: 'abort', flags: { abortStatus: '503', abortPercentage: '0.0001' }, want: { abort: { httpStatus: 503, percentage: 0.0001 } } },
    {
      name: 'both, on one host',
      flags: { destination: 'api-domain:5000', delay: '5s', delayPercentage: '100', abortStatus: '500', abortPercentage: '0' },
      want: { destination, delay: { fixedDelayMs: 5000, percentage: 100 }, abort: { httpStatus: 500, percentage: 0 } },
    },
    {
      name: 'with headers',
      flags: { headers: ['X-Chaos=on', 'x-team=qa'], abortStatus: '503', abortPercentage: '50' },
      want: { headers: { kind: 'headers', headers: { 'x-chaos': 'on', 'x-team': 'qa' }, regex: false }, abort: { httpStatus: 503, percentage: 50 } },
    },
    {
      name: 'with regex headers',
      flags: { headers: ['x-user=qa-.*'], regexp: true, delay: '100ms', delayPercentage: '1' },
      want: { headers: { kind: 'headers', headers: { 'x-user': 'qa-.*' }, regex: true }, delay: { fixedDelayMs: 100, percentage: 1 } },
    },
  ])('$name', async ({ flags, want }) => expect(await faultRequest({ ...base, ...flags })).toEqual({ kind: 'set', request: want }));

  it.each([
    { name: 'everywhere', flags: {}, want: {} },
    { name: 'with headers on one host', flags: { destination: 'api-domain:5000', headers: ['x-chaos=on'] }, want: { destination, headers: { kind: 'headers', headers: { 'x-chaos': 'on' }, regex: false } } },
  ])('--remove $name', async ({ flags, want }) => expect(await faultRequest({ ...base, remove: true, ...flags })).toEqual({ kind: 'remove', request: want }));
});

describe('canary flags', () => {
  const base = { labelSelector: 'app=x', destination: 'api-domain:5000', build: '2', podSelector: 'app=api-domain,build=2', interval: '60s', promote: true };
  it('steps, interval and no gate', () =>
    expect(canaryFlags({ ...base, steps: '10,25,50,100', interval: '1m30s' })).toEqual({
      request: { destination, build: '2', podSelector: { app: 'api-domain', build: '2' }, steps: [10, 25, 50, 100], promote: true },
      intervalMs: 90_000,
      gate: { kind: 'none' },
    }));
  it('a command gate keeps its words unexpanded', () =>
    expect(canaryFlags({ ...base, steps: '100', gateCmd: `./check.sh --env "$ENV" 'a b'` }).gate).toEqual({ kind: 'command', text: `./check.sh --env "$ENV" 'a b'`, words: ['./check.sh', '--env', '$ENV', 'a b'] }));
  it.each([
    { flags: { max: '0.05' }, bound: { max: 0.05 }, allowEmpty: false, failures: 3 },
    { flags: { min: '0.99', allowEmpty: true, gateFailures: '5' }, bound: { min: 0.99 }, allowEmpty: true, failures: 5 },
  ])('a Prometheus gate $bound', ({ flags, bound, allowEmpty, failures }) => {
    const { gate } = canaryFlags({ ...base, steps: '50,100', prometheusUrl: 'http://prom:9090', query: 'up', ...flags });
    expect(gate).toMatchObject({ kind: 'prometheus', query: 'up', bound, allowEmpty, failures });
  });
  it('--no-promote ends below 100', () => expect(canaryFlags({ ...base, steps: '10,50', promote: false }).request).toMatchObject({ steps: [10, 50], promote: false }));
});
