import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.js';
import {
  checkCanarySteps,
  parseFaultDelay,
  parseFaultPercentage,
  parseHttpStatus,
  parseHttpUrl,
  parseMirrorPercentage,
  parseNumber,
  parsePositiveInteger,
  parseSteps,
  redactUrl,
} from './strategy-flags.js';

describe('mirror percentage: 0..100 with decimals', () => {
  it.each([
    ['0', 0],
    ['12.5', 12.5],
    ['100', 100],
    ['0.0001', 0.0001],
    [' 50 ', 50],
  ])('accepts %s', (text, want) => expect(parseMirrorPercentage(text)).toBe(want));
  it.each(['-1', '100.1', '101', 'abc', '', '1e2', '.5', '5.', '50%'])('refuses "%s" naming --percentage', (text) =>
    expect(() => parseMirrorPercentage(text)).toThrow(/^--percentage/),
  );
});

describe('fault percentage: 0 or 0.0001..100', () => {
  it.each([
    ['0', 0],
    ['0.0001', 0.0001],
    ['0.5', 0.5],
    ['100', 100],
  ])('accepts %s', (text, want) => expect(parseFaultPercentage(text, '--delay-percentage')).toBe(want));
  it.each(['0.00001', '0.00009', '100.0001', '-5', 'x', ''])('refuses "%s"', (text) =>
    expect(() => parseFaultPercentage(text, '--abort-percentage')).toThrow(/^--abort-percentage/),
  );
});

describe('fault delay: whole milliseconds, 1ms..24h', () => {
  it.each([
    ['1ms', 1],
    ['500ms', 500],
    ['5s', 5000],
    ['1.5s', 1500],
    ['0.1s', 100],
    ['1m30s', 90_000],
    ['24h', 86_400_000],
  ])('%s is %d ms', (text, want) => expect(parseFaultDelay(text)).toBe(want));
  it.each([
    ['0ms', 'at least 1ms'],
    ['0s', 'at least 1ms'],
    ['0.5ms', 'whole number'],
    ['1.0005s', 'whole number'],
    ['25h', 'at most 24h'],
    ['5', 'duration'],
    ['5 s', 'duration'],
    ['-1s', 'duration'],
    ['1d', 'duration'],
  ])('refuses %s (%s)', (text, why) => {
    expect(() => parseFaultDelay(text)).toThrow(UsageError);
    expect(() => parseFaultDelay(text)).toThrow(new RegExp(`^--delay .*${why}`));
  });
});

describe('abort status: 200..599', () => {
  it.each(['200', '404', '503', '599'])('accepts %s', (text) => expect(parseHttpStatus(text)).toBe(Number(text)));
  it.each(['199', '600', '0', '50', '5000', '503.0', 'abc', ''])('refuses "%s"', (text) => expect(() => parseHttpStatus(text)).toThrow(/^--abort-status/));
});

describe('canary steps', () => {
  it.each([
    ['10,25,50,100', true, [10, 25, 50, 100]],
    ['100', true, [100]],
    ['1, 2 ,100', true, [1, 2, 100]],
    ['10,50', false, [10, 50]],
  ] as const)('%s (promote %s)', (text, promote, want) => expect(parseSteps(text, promote)).toEqual(want));
  it.each([
    ['', true, 'integer'],
    ['10,,100', true, 'integer'],
    ['0,100', true, 'from 1 to 100'],
    ['10,101', true, 'from 1 to 100'],
    ['10.5,100', true, 'integer'],
    ['-10,100', true, 'integer'],
    ['50,25,100', true, 'strictly increasing'],
    ['25,25,100', true, 'strictly increasing'],
    ['10,50', true, 'last step must be 100'],
    ['10,100', false, 'below 100'],
    ['ten', true, 'integer'],
  ] as const)('refuses "%s" (promote %s): %s', (text, promote, why) => expect(() => parseSteps(text, promote)).toThrow(new RegExp(`^--steps.*${why}`)));
  it('refuses an empty list given by a program', () => expect(() => checkCanarySteps([], true)).toThrow(/at least one step/));
});

describe('gate values', () => {
  it.each([
    ['0.05', 0.05],
    ['-1', -1],
    ['1e3', 1000],
    ['.5', 0.5],
  ])('number %s', (text, want) => expect(parseNumber(text, '--max')).toBe(want));
  it.each(['', 'abc', '1,5', 'NaN', 'Infinity', '0x10'])('refuses number "%s"', (text) => expect(() => parseNumber(text, '--min')).toThrow(/^--min/));
  it.each(['1', '3', '10'])('positive integer %s', (text) => expect(parsePositiveInteger(text, '--gate-failures')).toBe(Number(text)));
  it.each(['0', '-1', '1.5', 'x', ''])('refuses positive integer "%s"', (text) => expect(() => parsePositiveInteger(text, '--gate-failures')).toThrow(/^--gate-failures/));
});

describe('Prometheus URL', () => {
  it.each(['http://127.0.0.1:9090', 'https://prom.example.com/prometheus', 'http://user:pw@prom:9090/'])('accepts %s', (text) =>
    expect(parseHttpUrl(text).protocol).toMatch(/^https?:$/),
  );
  it.each(['prometheus:9090', 'ftp://prom', 'http://', 'not a url', 'http://prom:9090/?x=1', 'file:///etc/passwd'])('refuses %s', (text) =>
    expect(() => parseHttpUrl(text)).toThrow(/^--prometheus-url/),
  );
  it('never repeats a password it refuses', () => {
    expect(() => parseHttpUrl('ftp://me:s3cret@prom')).toThrow(/me:\*\*\*@prom/);
    expect(() => parseHttpUrl('ftp://me:s3cret@prom')).not.toThrow(/s3cret/);
  });
  it('redacts only the password', () => expect(redactUrl('https://me:s3cret@prom:9090/x')).toBe('https://me:***@prom:9090/x'));
});
