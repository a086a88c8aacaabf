import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import { formatSelector, labelKeyError, labelValueError, matchesSelector, parseLabelSelector, type LabelSelector } from './label-selector.js';

describe('parseLabelSelector', () => {
  it.each<[string, LabelSelector]>([
    ['app=api-domain', [{ key: 'app', op: 'equals', value: 'api-domain' }]],
    ['app==api-domain', [{ key: 'app', op: 'equals', value: 'api-domain' }]],
    ['app!=api-domain', [{ key: 'app', op: 'notEquals', value: 'api-domain' }]],
    ['env in (prod,staging)', [{ key: 'env', op: 'in', values: ['prod', 'staging'] }]],
    ['env notin (dev)', [{ key: 'env', op: 'notIn', values: ['dev'] }]],
    ['canary', [{ key: 'canary', op: 'exists' }]],
    ['!canary', [{ key: 'canary', op: 'doesNotExist' }]],
    ['app=', [{ key: 'app', op: 'equals', value: '' }]],
    ['istio.io/rev=stable', [{ key: 'istio.io/rev', op: 'equals', value: 'stable' }]],
    [
      'app=api-domain,environment=pipeline-go',
      [
        { key: 'app', op: 'equals', value: 'api-domain' },
        { key: 'environment', op: 'equals', value: 'pipeline-go' },
      ],
    ],
    [
      'app=a,env in (prod),!canary,tier,track!=beta',
      [
        { key: 'app', op: 'equals', value: 'a' },
        { key: 'env', op: 'in', values: ['prod'] },
        { key: 'canary', op: 'doesNotExist' },
        { key: 'tier', op: 'exists' },
        { key: 'track', op: 'notEquals', value: 'beta' },
      ],
    ],
  ])('parses %j', (text, selector) => {
    expect(parseLabelSelector(text)).toEqual(selector);
  });

  it.each([
    ' app = api-domain ',
    'app=api-domain , env in ( prod , staging )',
    '\tapp=api-domain,\tenv in (prod,staging)',
    'app==api-domain,env   in(prod,staging)',
  ])('ignores whitespace around tokens in %j', (text) => {
    const parsed = parseLabelSelector(text);
    expect(parsed[0]).toEqual({ key: 'app', op: 'equals', value: 'api-domain' });
    if (parsed.length > 1) expect(parsed[1]).toEqual({ key: 'env', op: 'in', values: ['prod', 'staging'] });
  });

  it.each([
    ['an empty text', ''],
    ['blanks only', '   '],
    ['a lone comma', ','],
    ['a trailing comma', 'app=a,'],
    ['a leading comma', ',app=a'],
    ['two values', 'app=a=b'],
    ['a missing "(" after in', 'env in prod'],
    ['an unclosed value set', 'env in (prod'],
    ['a value set without separator', 'env in (prod staging)'],
    ['a lone "!"', '!'],
    ['two keys without operator', 'app api'],
    ['"!" between key and value', 'app!api'],
    ['an invalid key', '-app=a'],
    ['a key with an invalid prefix', 'Istio.IO/rev=a'],
    ['a key longer than 63 characters', `${'k'.repeat(64)}=a`],
    ['an invalid value', 'app=-a'],
    ['a value longer than 63 characters', `app=${'v'.repeat(64)}`],
    ['an invalid value in a set', 'env in (prod,-x)'],
    ['a stray ")"', 'app=a)'],
  ])('rejects %s with a UsageError naming the flag', (_, text) => {
    expect(() => parseLabelSelector(text)).toThrow(UsageError);
    expect(() => parseLabelSelector(text)).toThrow(/--label-selector/);
  });

  it('names the flag it is given in errors', () => {
    expect(() => parseLabelSelector('app=a=b', '--pod-selector')).toThrow(/^--pod-selector/);
  });
});

describe('labelKeyError and labelValueError', () => {
  it.each(['app', 'app.kubernetes.io/name', 'a_b.c-d', 'A1', 'x'.repeat(63)])('accept the key %j', (key) => {
    expect(labelKeyError(key)).toBeUndefined();
  });

  it.each(['', '/app', 'app/', '_app', 'app_', 'a/b/c', 'UPPER.example/x', 'x'.repeat(64), `${'p'.repeat(254)}/app`])('reject the key %j', (key) => {
    expect(labelKeyError(key)).toBeDefined();
  });

  it.each(['', 'api-domain', 'PR-10', 'v1.2_3', 'x'.repeat(63)])('accept the value %j', (value) => {
    expect(labelValueError(value)).toBeUndefined();
  });

  it.each(['-a', 'a-', 'a b', 'a/b', 'x'.repeat(64)])('reject the value %j', (value) => {
    expect(labelValueError(value)).toBeDefined();
  });
});

describe('matchesSelector', () => {
  const labels = { app: 'api-domain', env: 'prod' };
  it.each([
    ['app=api-domain', true],
    ['app=other', false],
    ['app!=other', true],
    ['app!=api-domain', false],
    ['missing!=x', true],
    ['env in (prod,staging)', true],
    ['env in (dev)', false],
    ['missing in (x)', false],
    ['env notin (dev)', true],
    ['env notin (prod)', false],
    ['missing notin (x)', true],
    ['app', true],
    ['missing', false],
    ['!missing', true],
    ['!app', false],
    ['app=api-domain,env=prod', true],
    ['app=api-domain,env=dev', false],
  ])('labels app=api-domain,env=prod satisfy %j: %j', (text, expected) => {
    expect(matchesSelector(parseLabelSelector(text), labels)).toBe(expected);
  });

  it('treats missing labels as an empty set', () => {
    expect(matchesSelector(parseLabelSelector('!app'), undefined)).toBe(true);
    expect(matchesSelector(parseLabelSelector('app'), undefined)).toBe(false);
  });

  it('selects everything with an empty selector', () => {
    expect(matchesSelector([], { any: 'thing' })).toBe(true);
  });
});

describe('formatSelector', () => {
  it.each([
    ['app=api-domain', 'app=api-domain'],
    ['app==api-domain', 'app=api-domain'],
    [' app != a , env  in ( x , y ) ,  !c , d ', 'app!=a,env in (x,y),!c,d'],
    ['env notin (dev)', 'env notin (dev)'],
  ])('formats %j canonically as %j', (text, canonical) => {
    expect(formatSelector(parseLabelSelector(text))).toBe(canonical);
  });

  it('round-trips: parsing the canonical text gives the same selector', () => {
    const selector = parseLabelSelector('app=a,env in (x,y),!c,d,e!=f,g notin (h)');
    expect(parseLabelSelector(formatSelector(selector))).toEqual(selector);
  });
});
