import { setTimeout as delay } from 'node:timers/promises';
import type { Gate, GateContext, GateResult } from './gate.js';

/** The bound a {@link PrometheusGate} holds the query's value to: exactly one of `max` and `min`. */
export type PrometheusBound = { readonly max: number; readonly min?: never } | { readonly min: number; readonly max?: never };

/** Options of {@link PrometheusGate}. */
export type PrometheusGateOptions = PrometheusBound & {
  /** Base URL of the Prometheus server, e.g. `http://prometheus.monitoring:9090` (a path prefix is kept; `user:password@` becomes basic auth). */
  readonly url: string | URL;
  /** PromQL evaluated as an instant query; it should return a scalar or an instant vector. */
  readonly query: string;
  /** No series, or only NaN values, passes instead of failing. Default false. */
  readonly allowEmpty?: boolean;
  /** Consecutive query errors that fail the gate. Default 3. */
  readonly failures?: number;
  /** Pause between two attempts after an error, in milliseconds. Default 1000. */
  readonly retryDelayMs?: number;
  /** Timeout of one query, in milliseconds. Default 10000. */
  readonly timeoutMs?: number;
  /** Told about each query error that will be retried. */
  readonly onRetry?: (attempt: number, reason: string) => void;
  /** Injected for tests. */
  readonly fetch?: typeof fetch;
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
};

/** A query that could not be evaluated (network, HTTP status, Prometheus error, unexpected body). Retried. */
class QueryError extends Error {}

/**
 * A gate on a Prometheus instant query (`GET <url>/api/v1/query?query=...`, Prometheus HTTP API v1).
 * The response must be `{status: "success", data: {resultType: "vector" | "scalar", result}}`; sample
 * values are strings (`"0.05"`, `"NaN"`, `"+Inf"`). With several series the worst one counts (the
 * highest against `max`, the lowest against `min`). It fails above `max` / below `min`; no series or
 * only NaN fails unless `allowEmpty`. A query that errors (network, timeout, HTTP error, `status:
 * "error"`, a body that is not the API's JSON) is retried every `retryDelayMs`, and `failures`
 * consecutive errors fail the gate with the last error as the reason.
 */
export class PrometheusGate implements Gate {
  readonly description: string;
  private readonly options: PrometheusGateOptions;
  private readonly endpoint: URL;
  private readonly authorization: string | undefined;

  constructor(options: PrometheusGateOptions) {
    if ((options.max === undefined) === (options.min === undefined)) throw new TypeError('PrometheusGate: give exactly one of max and min');
    this.options = options;
    const base = new URL(String(options.url));
    // fetch() refuses URLs with credentials; they become an Authorization header instead.
    if (base.username !== '' || base.password !== '') {
      this.authorization = `Basic ${Buffer.from(`${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`).toString('base64')}`;
      base.username = '';
      base.password = '';
    }
    this.endpoint = new URL('api/v1/query', base.href.endsWith('/') ? base.href : `${base.href}/`);
    this.endpoint.searchParams.set('query', options.query);
    const bound = options.max !== undefined ? `<= ${options.max}` : `>= ${String(options.min)}`;
    this.description = `prometheus ${base.origin}${base.pathname === '/' ? '' : base.pathname}: ${options.query} ${bound}${options.allowEmpty ? ' (no data passes)' : ''}`;
  }

  async check(ctx: GateContext): Promise<GateResult> {
    const failures = this.options.failures ?? 3;
    for (let attempt = 1; ; attempt++) {
      let values: number[];
      try {
        values = await this.query(ctx.signal);
      } catch (e) {
        if (ctx.signal.aborted) return { pass: false, reason: 'interrupted' };
        const why = e instanceof Error ? e.message : String(e);
        if (attempt >= failures) return { pass: false, reason: `the query failed ${attempt} time${attempt === 1 ? '' : 's'} in a row: ${why}` };
        this.options.onRetry?.(attempt, why);
        try {
          await (this.options.sleep ?? ((ms, signal) => delay(ms, undefined, { signal })))(this.options.retryDelayMs ?? 1000, ctx.signal);
        } catch {
          return { pass: false, reason: 'interrupted' };
        }
        continue;
      }
      return this.judge(values);
    }
  }

  /** Applies the bound to the values of one successful query. */
  private judge(values: readonly number[]): GateResult {
    const real = values.filter((v) => !Number.isNaN(v));
    if (real.length === 0) {
      const what = values.length === 0 ? 'the query returned no series' : 'the query returned only NaN';
      return this.options.allowEmpty ? { pass: true, reason: `${what} (allowed: no data passes)` } : { pass: false, reason: `no data: ${what}` };
    }
    if (this.options.max !== undefined) {
      const value = Math.max(...real);
      const max = this.options.max;
      return value > max
        ? { pass: false, value, reason: `value ${value} is above the maximum ${max}` }
        : { pass: true, value, reason: `value ${value} is within the maximum ${max}` };
    }
    const value = Math.min(...real);
    const min = this.options.min;
    return value < min
      ? { pass: false, value, reason: `value ${value} is below the minimum ${min}` }
      : { pass: true, value, reason: `value ${value} is within the minimum ${min}` };
  }

  /** One instant query; returns the sample values (possibly none). @throws QueryError */
  private async query(signal: AbortSignal): Promise<number[]> {
    const doFetch = this.options.fetch ?? fetch;
    let res: Response;
    let text: string;
    try {
      res = await doFetch(this.endpoint, {
        headers: { accept: 'application/json', ...(this.authorization !== undefined ? { authorization: this.authorization } : {}) },
        signal: AbortSignal.any([signal, AbortSignal.timeout(this.options.timeoutMs ?? 10_000)]),
      });
      text = await res.text();
    } catch (e) {
      const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : '';
      throw new QueryError(`${e instanceof Error ? e.message : String(e)}${cause}`);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new QueryError(`HTTP ${res.status}: the answer is not JSON (${oneLine(text)})`);
    }
    const b = body as { status?: unknown; error?: unknown; errorType?: unknown; data?: { resultType?: unknown; result?: unknown } };
    if (b.status === 'error') {
      const type = typeof b.errorType === 'string' ? b.errorType : 'error';
      throw new QueryError(`HTTP ${res.status}: ${type}: ${oneLine(typeof b.error === 'string' ? b.error : JSON.stringify(b.error ?? ''))}`);
    }
    if (!res.ok) throw new QueryError(`HTTP ${res.status}: ${oneLine(text)}`);
    if (b.status !== 'success' || typeof b.data !== 'object' || b.data === null) throw new QueryError(`HTTP ${res.status}: not a Prometheus API answer (${oneLine(text)})`);
    const { resultType, result } = b.data;
    if (resultType === 'scalar') return [sampleValue(result)];
    if (resultType === 'vector') {
      if (!Array.isArray(result)) throw new QueryError('a vector result that is not a list');
      // Native-histogram samples carry `histogram` instead of `value`: they give no number to compare.
      return result.filter((s: { value?: unknown }) => s.value !== undefined).map((s: { value?: unknown }) => sampleValue(s.value));
    }
    throw new QueryError(`the query returns a ${String(resultType)}, not a scalar or an instant vector`);
  }
}

/** A sample `[unixTime, "value"]`; Prometheus writes values as strings (`"1.5"`, `"NaN"`, `"+Inf"`). */
function sampleValue(sample: unknown): number {
  if (!Array.isArray(sample) || sample.length !== 2 || typeof sample[1] !== 'string') throw new QueryError(`a sample that is not [time, "value"]: ${oneLine(JSON.stringify(sample))}`);
  const v = sample[1];
  if (v === 'NaN') return Number.NaN;
  if (v === '+Inf' || v === 'Inf') return Number.POSITIVE_INFINITY;
  if (v === '-Inf') return Number.NEGATIVE_INFINITY;
  const n = Number(v);
  if (v.trim() === '' || Number.isNaN(n)) throw new QueryError(`a sample value that is not a number: "${v}"`);
  return n;
}

function oneLine(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length > 200 ? `${t.slice(0, 200)}...` : t;
}
