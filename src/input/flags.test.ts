import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import {
  checkRe2,
  parseBuild,
  parseClearMode,
  parseDestination,
  parseDryRun,
  parseDuration,
  parseHeaders,
  parseHost,
  parseNamespace,
  parseOutput,
  parsePodSelector,
  parsePort,
  parseWeight,
} from './flags.js';

describe('parseDestination', () => {
  it.each([
    ['api-domain:5000', { host: 'api-domain', port: 5000 }],
    ['reviews.prod.svc.cluster.local:9080', { host: 'reviews.prod.svc.cluster.local', port: 9080 }],
    ['reviews:1', { host: 'reviews', port: 1 }],
    ['reviews:65535', { host: 'reviews', port: 65535 }],
  ])('parses %j', (text, expected) => {
    expect(parseDestination(text)).toEqual(expected);
  });

  it.each([
    ['no port', 'api-domain'],
    ['no host', ':5000'],
    ['port 0', 'api-domain:0'],
    ['port 65536', 'api-domain:65536'],
    ['a port that is not a number', 'api-domain:http'],
    ['a decimal port', 'api-domain:80.5'],
    ['a negative port', 'api-domain:-1'],
    ['an empty port', 'api-domain:'],
    ['an uppercase host', 'API-domain:5000'],
    ['a host with an underscore', 'api_domain:5000'],
    ['a host ending with a dot', 'api.:5000'],
    ['a scheme', 'http://api-domain:5000'],
  ])('rejects %s with a UsageError naming --destination', (_, text) => {
    expect(() => parseDestination(text)).toThrow(UsageError);
    expect(() => parseDestination(text)).toThrow(/^--destination/);
  });
});

describe('parsePort and parseHost', () => {
  it('accepts a port with surrounding blanks', () => {
    expect(parsePort(' 8080 ', '--port')).toBe(8080);
  });

  it('names the flag it is given', () => {
    expect(() => parsePort('x', '--port')).toThrow(/^--port "x"/);
    expect(() => parseHost('A', '--hostname')).toThrow(/^--hostname "A"/);
  });

  it('accepts a wildcard host', () => {
    expect(parseHost('*.example.com', '--hostname')).toBe('*.example.com');
  });

  it('rejects a host longer than 253 characters', () => {
    expect(() => parseHost(`${'a'.repeat(60)}.`.repeat(5).slice(0, 254), '--hostname')).toThrow(UsageError);
  });
});

describe('parseWeight', () => {
  it.each([
    ['1', 1],
    ['10', 10],
    ['50', 50],
    ['100', 100],
    [' 20 ', 20],
  ])('accepts %j as %j', (text, weight) => {
    expect(parseWeight(text)).toBe(weight);
  });

  it.each(['0', '101', '1.5', 'abc', '', '-5', '1e2', '10%'])('rejects %j with a UsageError naming --weight', (text) => {
    expect(() => parseWeight(text)).toThrow(UsageError);
    expect(() => parseWeight(text)).toThrow(/^--weight .*from 1 to 100/);
  });
});

describe('parseHeaders', () => {
  it.each<[string, string[], Record<string, string>]>([
    ['one exact header', ['x-cid=seu_madruga'], { 'x-cid': 'seu_madruga' }],
    ['two headers in one flag', ['x-cid=seu_madruga,x-account-id=3'], { 'x-cid': 'seu_madruga', 'x-account-id': '3' }],
    ['headers from several flags', ['x-cid=a', 'x-account-id=3'], { 'x-cid': 'a', 'x-account-id': '3' }],
    ['a header name in capitals, lowercased', ['X-Cid=Seu_Madruga'], { 'x-cid': 'Seu_Madruga' }],
    ['a regex with a comma inside braces', ['x-id=a{1,3}'], { 'x-id': 'a{1,3}' }],
    ['a regex with a comma, then another header', ['x-id=a{1,3},x-cid=b'], { 'x-id': 'a{1,3}', 'x-cid': 'b' }],
    ['a regex alternation', ['x-id=1|2|3|4'], { 'x-id': '1|2|3|4' }],
    ['a value holding "="', ['x-token=a=b'], { 'x-token': 'a=b' }],
    ['the same header twice with the same value', ['x-cid=a', 'X-CID=a'], { 'x-cid': 'a' }],
    ['blanks around the name', [' x-cid =a'], { 'x-cid': 'a' }],
  ])('parses %s', (_, values, expected) => {
    expect(parseHeaders(values)).toEqual(expected);
  });

  it('keeps header values case-sensitive', () => {
    expect(parseHeaders(['x-cid=AbC'])['x-cid']).toBe('AbC');
  });

  it.each<[string, string[]]>([
    ['no "="', ['x-cid']],
    ['an empty value', ['x-cid=']],
    ['an empty name', ['=a']],
    ['a name with a blank inside', ['x cid=a']],
    ['a name with a colon', ['x:cid=a']],
    ['the same header with two values', ['x-cid=a', 'x-cid=b']],
    ['no header at all', []],
  ])('rejects %s with a UsageError naming --headers', (_, values) => {
    expect(() => parseHeaders(values)).toThrow(UsageError);
    expect(() => parseHeaders(values)).toThrow(/--headers/);
  });
});

describe('checkRe2', () => {
  it.each(['1|2|3|4', '^seu_madruga$', 'a{1,3}', '[a-z]+', '.*', '(?i)tester', 'x\\d+'])('accepts the RE2 pattern %j', async (pattern) => {
    await expect(checkRe2({ 'x-id': pattern })).resolves.toBeUndefined();
  });

  it.each([
    ['a lookahead', '(?=x)'],
    ['a negative lookahead', 'a(?!b)'],
    ['a lookbehind', '(?<=a)b'],
    ['a backreference', '(a)\\1'],
    ['an unbalanced group', '(a'],
    ['a dangling quantifier', '*a'],
  ])('rejects %s with a UsageError naming the header', async (_, pattern) => {
    await expect(checkRe2({ 'x-id': pattern })).rejects.toThrow(UsageError);
    await expect(checkRe2({ 'x-id': pattern })).rejects.toThrow(/--headers x-id=.*not a valid RE2/);
  });
});

describe('parsePodSelector', () => {
  it.each<[string, Record<string, string>]>([
    ['app=api-domain,build=PR-10', { app: 'api-domain', build: 'PR-10' }],
    ['app==api-domain', { app: 'api-domain' }],
    [' app = api-domain , build = 3 ', { app: 'api-domain', build: '3' }],
    ['app.kubernetes.io/name=api', { 'app.kubernetes.io/name': 'api' }],
    ['app=api,app=api', { app: 'api' }],
  ])('parses %j', (text, labels) => {
    expect(parsePodSelector(text)).toEqual(labels);
  });

  it.each([
    ['a set-based "in"', 'app in (a,b)'],
    ['a set-based "notin"', 'app notin (a)'],
    ['an inequality', 'app!=a'],
    ['an existence test', 'app'],
    ['a non-existence test', '!app'],
    ['an empty text', ''],
    ['a trailing comma', 'app=a,'],
    ['the same label with two values', 'app=a,app=b'],
    ['an invalid key', '-app=a'],
    ['an invalid value', 'app=a b'],
  ])('refuses %s with a UsageError naming --pod-selector', (_, text) => {
    expect(() => parsePodSelector(text)).toThrow(UsageError);
    expect(() => parsePodSelector(text)).toThrow(/--pod-selector/);
  });
});

describe('parseNamespace and parseBuild', () => {
  it.each(['default', 'team-a', 'ns1'])('accepts the namespace %j', (ns) => {
    expect(parseNamespace(ns)).toBe(ns);
  });

  it.each(['', 'Default', 'team_a', 'a'.repeat(64), '-ns'])('rejects the namespace %j', (ns) => {
    expect(() => parseNamespace(ns)).toThrow(UsageError);
  });

  it.each(['3', 'pr-10', 'a1b2'])('accepts the build %j', (build) => {
    expect(parseBuild(build)).toBe(build);
  });

  it.each(['', 'PR-10', 'pr_10', '-pr', 'pr-', 'pr.10'])('rejects the build %j with a UsageError naming --build', (build) => {
    expect(() => parseBuild(build)).toThrow(/^--build/);
  });
});

describe('enumerated flags', () => {
  it.each(['soft', 'hard'] as const)('parses the clear mode %j', (mode) => {
    expect(parseClearMode(mode)).toBe(mode);
  });

  it.each(['pretty', 'json', 'yaml'] as const)('parses the output %j', (output) => {
    expect(parseOutput(output)).toBe(output);
  });

  it.each(['client', 'server', 'none'] as const)('parses the dry-run mode %j', (mode) => {
    expect(parseDryRun(mode)).toBe(mode);
  });

  it.each([
    [() => parseClearMode('medium'), /^--mode "medium"/],
    [() => parseOutput('xml'), /^--output "xml"/],
    [() => parseDryRun('all'), /^--dry-run "all"/],
    [() => parseClearMode('SOFT'), /^--mode/],
  ])('rejects an unknown value with a UsageError naming the flag (%#)', (parse, message) => {
    expect(parse).toThrow(UsageError);
    expect(parse).toThrow(message);
  });
});

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['5s', 5_000],
    ['1m', 60_000],
    ['1h', 3_600_000],
    ['1m30s', 90_000],
    ['1h2m3s', 3_723_000],
    ['1s500ms', 1_500],
    ['1.5s', 1_500],
    ['0', 0],
    ['0s', 0],
    [' 30s ', 30_000],
  ])('parses %j as %j milliseconds', (text, ms) => {
    expect(parseDuration(text, '--request-timeout')).toBe(ms);
  });

  it.each([
    ['1ms', 1],
    ['24h', 86_400_000],
    ['23h59m59s999ms', 86_399_999],
    ['1440m', 86_400_000],
    ['0ms', 0],
    ['0h0m', 0],
    ['1.001s', 1_001],
  ])('accepts %j at the limits (0 or 1ms..24h) as %j milliseconds', (text, ms) => {
    expect(parseDuration(text, '--request-timeout')).toBe(ms);
  });

  it.each(['', '5', 'abc', '-1s', '5d', '1 m', 's', '1.s', '5sec'])('rejects %j with a UsageError naming the flag', (text) => {
    expect(() => parseDuration(text, '--interval')).toThrow(UsageError);
    expect(() => parseDuration(text, '--interval')).toThrow(/^--interval/);
  });

  it.each([
    ['24h1ms', 'at most 24h'],
    ['700h', 'at most 24h'],
    ['2000h', 'at most 24h'],
    ['99999999999999999999h', 'at most 24h'],
    ['86400001ms', 'at most 24h'],
    ['0.5ms', 'whole number of milliseconds'],
    ['1.0005s', 'whole number of milliseconds'],
  ])('refuses %j (%s) instead of overflowing a timer', (text, message) => {
    expect(() => parseDuration(text, '--request-timeout')).toThrow(UsageError);
    expect(() => parseDuration(text, '--request-timeout')).toThrow(message);
  });
});

describe('checkRe2 and the webhook limit', () => {
  it('accepts a regular expression of exactly 1024 bytes and refuses 1025, counting bytes, not characters', async () => {
    await expect(checkRe2({ 'x-id': 'a'.repeat(1024) })).resolves.toBeUndefined();
    await expect(checkRe2({ 'x-id': 'a'.repeat(1025) })).rejects.toThrow(/--headers x-id: the regular expression is 1025 bytes long; Istio accepts at most 1024/);
    await expect(checkRe2({ 'x-id': 'é'.repeat(513) })).rejects.toThrow(/1026 bytes/);
  });
});
