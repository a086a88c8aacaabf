/**
 * Parsers for the flags of `mirror`, `fault` and `canary`. Each takes the raw text and the flag it came
 * from, returns a typed value, and throws {@link UsageError} naming the flag otherwise. Pure, no I/O:
 * they run before any request.
 */
import { UsageError } from '../errors.js';

const DECIMAL = /^\d+(\.\d+)?$/;

/**
 * Parses a mirror percentage: 0..100, decimals allowed (Istio `mirrorPercentage.value`, a `Percent`).
 */
export function parseMirrorPercentage(text: string, flag = '--percentage'): number {
  const t = text.trim();
  const n = Number(t);
  if (!DECIMAL.test(t) || n > 100) throw new UsageError(`${flag} "${text}": must be a percent from 0 to 100 (decimals allowed, e.g. 12.5)`);
  return n;
}

/**
 * Parses a fault percentage: 0, or 0.0001..100 (Istio `HTTPFaultInjection` percentages; Envoy counts
 * them in millionths, so 0.0001 is the smallest share above 0).
 */
export function parseFaultPercentage(text: string, flag: string): number {
  const t = text.trim();
  const n = Number(t);
  if (!DECIMAL.test(t) || n > 100 || (n > 0 && n < 0.0001)) {
    throw new UsageError(`${flag} "${text}": must be 0, or a percent from 0.0001 to 100`);
  }
  return n;
}

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DAY_MS = 24 * 3_600_000;

/**
 * Parses a fault delay (Istio `HTTPFaultInjection.Delay.fixedDelay`) written as kubectl and Istio write
 * durations (`500ms`, `5s`, `1m30s`): whole milliseconds, at least 1ms (Istio's webhook refuses less),
 * at most 24h. Returns milliseconds.
 */
export function parseFaultDelay(text: string, flag = '--delay'): number {
  const t = text.trim();
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(t)) throw new UsageError(`${flag} "${text}": expected a duration such as 500ms, 5s or 1m`);
  let ms = 0;
  for (const m of t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) ms += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  // Sums of decimals carry float noise (0.1s + 0.2s); a whole number of milliseconds is what Istio writes.
  const rounded = Math.round(ms);
  if (Math.abs(ms - rounded) > 1e-6) throw new UsageError(`${flag} "${text}": must be a whole number of milliseconds`);
  if (rounded < 1) throw new UsageError(`${flag} "${text}": must be at least 1ms`);
  if (rounded > DAY_MS) throw new UsageError(`${flag} "${text}": must be at most 24h`);
  return rounded;
}

/** Parses an HTTP status for an abort fault: an integer 200..599 (Istio `HTTPFaultInjection.Abort.httpStatus`). */
export function parseHttpStatus(text: string, flag = '--abort-status'): number {
  const t = text.trim();
  if (!/^\d{3}$/.test(t) || Number(t) < 200 || Number(t) > 599) throw new UsageError(`${flag} "${text}": must be an HTTP status from 200 to 599`);
  return Number(t);
}

/**
 * Checks the weights of a canary: integer percents 1..100, strictly increasing, ending at 100 unless
 * `promote` is false (then ending below 100: the build keeps the last weight).
 * @throws UsageError naming `flag`.
 */
export function checkCanarySteps(steps: readonly number[], promote: boolean, flag = '--steps'): void {
  const text = steps.join(',');
  if (steps.length === 0) throw new UsageError(`${flag}: at least one step is required, e.g. 10,25,50,100`);
  for (const [i, s] of steps.entries()) {
    if (!Number.isInteger(s) || s < 1 || s > 100) throw new UsageError(`${flag} "${text}": every step must be an integer percent from 1 to 100 (got ${s})`);
    const previous = steps[i - 1];
    if (previous !== undefined && s <= previous) throw new UsageError(`${flag} "${text}": steps must be strictly increasing (${s} after ${previous})`);
  }
  const last = steps.at(-1) as number;
  if (promote && last !== 100) throw new UsageError(`${flag} "${text}": the last step must be 100 (promotion), or give --no-promote`);
  if (!promote && last === 100) throw new UsageError(`${flag} "${text}": with --no-promote the last step must be below 100`);
}

/** Parses `--steps 10,25,50,100` and checks it with {@link checkCanarySteps}. */
export function parseSteps(text: string, promote: boolean, flag = '--steps'): number[] {
  const parts = text.split(',').map((p) => p.trim());
  for (const p of parts) {
    if (!/^\d+$/.test(p)) throw new UsageError(`${flag} "${text}": every step must be an integer percent from 1 to 100 (got "${p}")`);
  }
  const steps = parts.map(Number);
  checkCanarySteps(steps, promote, flag);
  return steps;
}

/** Parses a finite number such as `0.05`, `-1`, `1e3` (gate thresholds). */
export function parseNumber(text: string, flag: string): number {
  const t = text.trim();
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(t)) throw new UsageError(`${flag} "${text}": must be a number, e.g. 0.05`);
  return Number(t);
}

/** Parses a positive integer (at least 1), e.g. `--gate-failures 3`. */
export function parsePositiveInteger(text: string, flag: string): number {
  const t = text.trim();
  if (!/^\d+$/.test(t) || Number(t) < 1 || !Number.isSafeInteger(Number(t))) throw new UsageError(`${flag} "${text}": must be an integer of at least 1`);
  return Number(t);
}

/** Checks a Prometheus base URL: `http://` or `https://` with a host (a path prefix is kept). */
export function parseHttpUrl(text: string, flag = '--prometheus-url'): URL {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new UsageError(`${flag} "${redactUrl(text)}": not a URL; expected e.g. http://prometheus.monitoring:9090`);
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    throw new UsageError(`${flag} "${redactUrl(text)}": must be an http:// or https:// URL with a host`);
  }
  if (url.search !== '' || url.hash !== '') throw new UsageError(`${flag} "${redactUrl(text)}": give the server's base URL, without ?query or #fragment`);
  return url;
}

/** A URL for output: the password of `user:password@` (a credential) is replaced by `***`. */
export function redactUrl(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^/@:]*):[^/@]*@/i, '$1:***@');
}
