import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusGate } from './prometheus-gate.js';

/** A stand-in for Prometheus' HTTP API: answers each request with the next scripted reply. */
interface Reply {
  readonly status?: number;
  readonly body: string;
}
let server: Server;
let base: string;
let replies: Reply[] = [];
const seen: IncomingMessage[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    seen.push(req);
    const reply = replies.shift() ?? { status: 500, body: 'no reply scripted' };
    res.writeHead(reply.status ?? 200, { 'content-type': 'application/json' }).end(reply.body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((done) => server.close(() => done())));

const vector = (...values: string[]): Reply => ({
  body: JSON.stringify({ status: 'success', data: { resultType: 'vector', result: values.map((v, i) => ({ metric: { pod: `p${i}` }, value: [1700000000.5, v] })) } }),
});
const scalar = (v: string): Reply => ({ body: JSON.stringify({ status: 'success', data: { resultType: 'scalar', result: [1700000000.5, v] } }) });
const ctx = { step: 1, weight: 10, signal: new AbortController().signal };
const noSleep = (): Promise<void> => Promise.resolve();

async function check(options: { max: number } | { min: number }, script: Reply[], extra: { allowEmpty?: boolean; failures?: number; url?: string } = {}) {
  replies = [...script];
  const retries: string[] = [];
  const gate = new PrometheusGate({ url: extra.url ?? base, query: 'sum(rate(errors[1m]))', sleep: noSleep, onRetry: (_n, why) => retries.push(why), ...options, ...extra });
  const result = await gate.check(ctx);
  return { result, retries, left: replies.length };
}

describe('PrometheusGate judges the value of an instant query', () => {
  it.each([
    { name: 'vector under max passes', bound: { max: 0.05 }, reply: vector('0.01'), pass: true, value: 0.01 },
    { name: 'vector equal to max passes', bound: { max: 0.05 }, reply: vector('0.05'), pass: true, value: 0.05 },
    { name: 'vector above max fails', bound: { max: 0.05 }, reply: vector('0.2'), pass: false, value: 0.2 },
    { name: 'the worst series counts against max', bound: { max: 0.05 }, reply: vector('0.01', '0.3', '0'), pass: false, value: 0.3 },
    { name: 'the worst series counts against min', bound: { min: 0.9 }, reply: vector('0.99', '0.5'), pass: false, value: 0.5 },
    { name: 'scalar above min passes', bound: { min: 0.9 }, reply: scalar('0.95'), pass: true, value: 0.95 },
    { name: 'scalar below min fails', bound: { min: 0.9 }, reply: scalar('0.5'), pass: false, value: 0.5 },
    { name: '+Inf is above any max', bound: { max: 1e9 }, reply: vector('+Inf'), pass: false, value: Number.POSITIVE_INFINITY },
    { name: 'NaN series are ignored beside real ones', bound: { max: 1 }, reply: vector('NaN', '0.5'), pass: true, value: 0.5 },
  ])('$name', async ({ bound, reply, pass, value }) => {
    const { result } = await check(bound, [reply]);
    expect(result.pass).toBe(pass);
    expect(result.value).toBe(value);
    expect(result.reason).toContain(String(value));
  });

  it.each([
    { name: 'no series', reply: vector() },
    { name: 'only NaN', reply: vector('NaN') },
    { name: 'a NaN scalar', reply: scalar('NaN') },
  ])('$name fails as no data, and passes with allowEmpty', async ({ reply }) => {
    const strict = await check({ max: 1 }, [reply]);
    expect(strict.result).toMatchObject({ pass: false, reason: expect.stringMatching(/^no data/) });
    expect(strict.result.value).toBeUndefined();
    const lenient = await check({ max: 1 }, [reply], { allowEmpty: true });
    expect(lenient.result).toMatchObject({ pass: true, reason: expect.stringContaining('allowed') });
  });

  it('sends the query URL-encoded to <url>/api/v1/query, keeping a path prefix', async () => {
    seen.length = 0;
    await check({ max: 1 }, [vector('0')], { url: `${base}/prom` });
    const url = new URL(seen[0]?.url ?? '', base);
    expect(url.pathname).toBe('/prom/api/v1/query');
    expect(url.searchParams.get('query')).toBe('sum(rate(errors[1m]))');
  });

  it('turns user:password@ into basic auth and never repeats the password', async () => {
    seen.length = 0;
    const withCreds = base.replace('http://', 'http://me:s3cret@');
    const { result } = await check({ max: 1 }, [{ status: 401, body: 'unauthorized' }, { status: 401, body: 'unauthorized' }, { status: 401, body: 'unauthorized' }], { url: withCreds });
    expect(seen[0]?.headers.authorization).toBe(`Basic ${Buffer.from('me:s3cret').toString('base64')}`);
    expect(JSON.stringify(result)).not.toContain('s3cret');
    expect(new PrometheusGate({ url: withCreds, query: 'up', max: 1 }).description).not.toContain('s3cret');
  });
});

describe('PrometheusGate retries query errors and fails after `failures` in a row', () => {
  const errors: { name: string; reply: Reply; mentions: string }[] = [
    { name: 'HTTP 503', reply: { status: 503, body: 'overloaded' }, mentions: 'HTTP 503' },
    { name: 'status error', reply: { status: 400, body: JSON.stringify({ status: 'error', errorType: 'bad_data', error: 'parse error at char 5' }) }, mentions: 'bad_data: parse error' },
    { name: 'an HTML page', reply: { body: '<html>proxy login</html>' }, mentions: 'not JSON' },
    { name: 'JSON that is not the API', reply: { body: '{}' }, mentions: 'not a Prometheus API answer' },
    { name: 'a range vector', reply: { body: JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [] } }) }, mentions: 'matrix' },
    { name: 'a sample that is not a number', reply: vector('abc'), mentions: 'not a number' },
  ];
  it.each(errors)('$name: three in a row fail the gate with the last error', async ({ reply, mentions }) => {
    const { result, retries, left } = await check({ max: 1 }, [reply, reply, reply, vector('0')]);
    expect(result.pass).toBe(false);
    expect(result.reason).toMatch(/failed 3 times in a row/);
    expect(result.reason).toContain(mentions);
    expect(retries).toHaveLength(2);
    expect(left).toBe(1);
  });

  it('an answer after two errors resets the count and is judged', async () => {
    const bad = { status: 502, body: 'bad gateway' };
    const { result, retries } = await check({ max: 1 }, [bad, bad, vector('0.5')]);
    expect(result).toMatchObject({ pass: true, value: 0.5 });
    expect(retries).toHaveLength(2);
  });

  it('failures: 1 fails at the first error', async () => {
    const { result, retries } = await check({ max: 1 }, [{ status: 500, body: 'x' }], { failures: 1 });
    expect(result.reason).toMatch(/failed 1 time in a row: HTTP 500/);
    expect(retries).toHaveLength(0);
  });

  it('a server that is not there counts as an error', async () => {
    const closed = createServer();
    await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((done) => closed.close(() => done()));
    const gate = new PrometheusGate({ url: `http://127.0.0.1:${port}`, query: 'up', min: 1, sleep: noSleep });
    const result = await gate.check(ctx);
    expect(result.pass).toBe(false);
    expect(result.reason).toMatch(/failed 3 times in a row: .*ECONNREFUSED/);
  });

  it('stops retrying when the canary is interrupted', async () => {
    const controller = new AbortController();
    replies = [{ status: 503, body: 'x' }, { status: 503, body: 'x' }, { status: 503, body: 'x' }];
    const gate = new PrometheusGate({
      url: base,
      query: 'up',
      max: 1,
      sleep: () => {
        controller.abort('SIGINT');
        return Promise.reject(new Error('aborted'));
      },
    });
    const result = await gate.check({ ...ctx, signal: controller.signal });
    expect(result).toEqual({ pass: false, reason: 'interrupted' });
    expect(replies).toHaveLength(2);
  });

  it('refuses both bounds or none', () => {
    expect(() => new PrometheusGate({ url: base, query: 'up' } as never)).toThrow(/exactly one of max and min/);
    expect(() => new PrometheusGate({ url: base, query: 'up', max: 1, min: 0 } as never)).toThrow(/exactly one of max and min/);
  });
});
