/**
 * Parsers for command-line values. Each takes the raw text and the flag it came from, returns a typed
 * value, and throws {@link UsageError} naming the flag otherwise. Pure, no I/O: they run before any request.
 */
import { UsageError } from '../errors.js';
import { labelKeyError, labelValueError } from '../domain/label-selector.js';
import { dns1123LabelError } from '../domain/names.js';
import type { ClearMode, DestinationRef } from '../domain/requests.js';

const HOST = /^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Parses a port: an integer 1..65535. */
export function parsePort(text: string, flag: string): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`${flag} "${text}": port must be an integer from 1 to 65535`);
  const port = Number(text.trim());
  if (port < 1 || port > 65535) throw new UsageError(`${flag} "${text}": port must be an integer from 1 to 65535`);
  return port;
}

/** Checks a destination host: a DNS name (lowercase labels separated by dots, at most 253 characters). */
export function parseHost(text: string, flag: string): string {
  if (text.length === 0 || text.length > 253 || !HOST.test(text)) {
    throw new UsageError(`${flag} "${text}": host must be a lowercase DNS name such as reviews or reviews.prod.svc.cluster.local`);
  }
  return text;
}

/** Parses `host:port`, e.g. `api-domain:5000`. */
export function parseDestination(text: string, flag = '--destination'): DestinationRef {
  const colon = text.lastIndexOf(':');
  if (colon <= 0) throw new UsageError(`${flag} "${text}": expected host:port, e.g. reviews:9080`);
  return { host: parseHost(text.slice(0, colon), flag), port: parsePort(text.slice(colon + 1), flag) };
}

/** Parses a weight: an integer percent from 1 to 100. */
export function parseWeight(text: string, flag = '--weight'): number {
  const t = text.trim();
  if (!/^\d+$/.test(t) || Number(t) < 1 || Number(t) > 100) {
    throw new UsageError(`${flag} "${text}": weight must be an integer from 1 to 100`);
  }
  return Number(t);
}

/** Token characters of an HTTP header name (RFC 9110 section 5.6.2). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Parses header matches `k=v[,k=v]` from one or more flag occurrences. Names are lowercased (Istio
 * requires lowercase header names; values are case-sensitive and kept). A comma starts a new pair only
 * when a `name=` follows, so regex values such as `a{1,3}` stay whole.
 */
export function parseHeaders(values: readonly string[], flag = '--headers'): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const value of values) {
    for (const pair of value.split(/,(?=\s*[!#$%&'*+.^_`|~0-9A-Za-z-]+=)/)) {
      const eq = pair.indexOf('=');
      if (eq < 0) throw new UsageError(`${flag} "${pair}": expected name=value`);
      const name = pair.slice(0, eq).trim().toLowerCase();
      const v = pair.slice(eq + 1);
      if (!HEADER_NAME.test(name)) throw new UsageError(`${flag} "${pair}": "${name}" is not a valid HTTP header name`);
      if (v.length === 0) throw new UsageError(`${flag} "${pair}": header ${name} needs a value`);
      if (Object.hasOwn(headers, name) && headers[name] !== v) throw new UsageError(`${flag}: header ${name} is given twice`);
      headers[name] = v;
    }
  }
  if (Object.keys(headers).length === 0) throw new UsageError(`${flag}: at least one name=value is required`);
  return headers;
}

/** Longest regex Istio's validating webhook accepts, in bytes. */
export const MAX_REGEX_BYTES = 1024;

/**
 * Checks that every value is a valid RE2 regular expression, the syntax Envoy uses for Istio regex
 * matches (istio.io VirtualService reference, StringMatch.regex), not empty and at most
 * {@link MAX_REGEX_BYTES} bytes as Istio's webhook demands. JavaScript-only syntax such as lookahead
 * or backreferences is rejected.
 * @throws UsageError naming the flag and the header.
 */
export async function checkRe2(values: Readonly<Record<string, string>>, flag = '--headers'): Promise<void> {
  const { RE2JS } = await import('re2js');
  for (const [name, pattern] of Object.entries(values)) {
    // Istio's webhook refuses regexes over 1024 bytes (validateStringMatchRegexp, pkg/config/validation).
    const bytes = Buffer.byteLength(pattern, 'utf8');
    if (bytes > MAX_REGEX_BYTES) throw new UsageError(`${flag} ${name}: the regular expression is ${bytes} bytes long; Istio accepts at most ${MAX_REGEX_BYTES}`);
    if (pattern === '') throw new UsageError(`${flag} ${name}: an empty regular expression is refused by Istio`);
    try {
      RE2JS.compile(pattern);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw new UsageError(`${flag} ${name}="${pattern}": not a valid RE2 regular expression (${why})`);
    }
  }
}

/** Parses an equality pod selector `k=v[,k=v]` (also `k==v`) into labels. Set-based forms are refused. */
export function parsePodSelector(text: string, flag = '--pod-selector'): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const part of text.split(',')) {
    const m = /^\s*([^=!\s]+)\s*==?\s*([^=\s]*)\s*$/.exec(part);
    if (!m) throw new UsageError(`${flag} "${text}": expected equality labels k=v[,k=v] (got "${part}")`);
    const key = m[1] as string;
    const value = m[2] as string;
    const err = labelKeyError(key) ?? labelValueError(value);
    if (err) throw new UsageError(`${flag}: ${err}`);
    if (Object.hasOwn(labels, key) && labels[key] !== value) throw new UsageError(`${flag}: label ${key} is given twice`);
    labels[key] = value;
  }
  return labels;
}

/** Checks a namespace name (a DNS-1123 label). */
export function parseNamespace(text: string, flag = '--namespace'): string {
  const err = dns1123LabelError(text);
  if (err) throw new UsageError(`${flag} "${text}": ${err}`);
  return text;
}

/** Checks a build identifier: non-empty, lowercase alphanumerics and `-` (it becomes part of a DNS-1123 subset name). */
export function parseBuild(text: string, flag = '--build'): string {
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(text)) {
    throw new UsageError(`${flag} "${text}": must be lowercase letters, digits and "-" (it becomes part of the subset name <service>-<build>-<namespace>)`);
  }
  return text;
}

/** Parses `soft` or `hard`. */
export function parseClearMode(text: string, flag = '--mode'): ClearMode {
  if (text === 'soft' || text === 'hard') return text;
  throw new UsageError(`${flag} "${text}": must be soft or hard`);
}

/** Output formats: `pretty` (people), `json` and `yaml` (programs), `name` (kubectl's `kind.group/name`), `mermaid` (`show` only). */
export type OutputFormat = 'pretty' | 'json' | 'yaml' | 'name' | 'mermaid';

/** Parses an output format among `allowed` (default: every format but `mermaid`, which only `show` prints). */
export function parseOutput(text: string, flag = '--output', allowed: readonly OutputFormat[] = ['pretty', 'json', 'yaml', 'name']): OutputFormat {
  const found = allowed.find((f) => f === text);
  if (found !== undefined) return found;
  const others = text === 'mermaid' ? ' (mermaid: show only)' : '';
  throw new UsageError(`${flag} "${text}": must be ${allowed.slice(0, -1).join(', ')} or ${allowed.at(-1) ?? ''}${others}`);
}

/**
 * The build of the first-version aliases (`traffic headers` / `traffic weight`), which had no
 * `--build`: the pod selector's `build` label, else its `version` label, else its values joined with
 * `-` in the order given (design.md, command table).
 * @throws UsageError naming `--pod-selector` when the derived build is not a valid build identifier.
 */
export function buildFromPodSelector(labels: Readonly<Record<string, string>>, flag = '--pod-selector'): string {
  const derived = labels['build'] ?? labels['version'] ?? Object.values(labels).join('-');
  try {
    return parseBuild(derived);
  } catch {
    throw new UsageError(`${flag}: the build "${derived}" taken from the pod labels is not valid (lowercase letters, digits and "-"): give --build`);
  }
}

/** `--dry-run` modes, as kubectl names them: `client` writes nothing, `server` sends writes with `dryRun=All`. */
export type DryRunMode = 'none' | 'client' | 'server';

/** Parses `client`, `server` or `none`. */
export function parseDryRun(text: string, flag = '--dry-run'): DryRunMode {
  if (text === 'client' || text === 'server' || text === 'none') return text;
  throw new UsageError(`${flag} "${text}": must be client or server (a bare --dry-run means client)`);
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Longest duration any flag accepts: 24 hours, in milliseconds (design rule 1). */
export const MAX_DURATION_MS = 24 * 3_600_000;

/**
 * Parses a duration as kubectl and Istio write them (Go's format restricted to ms, s, m, h):
 * `500ms`, `5s`, `1m30s`, `1h`; a bare `0` is zero. Returns whole milliseconds: 0, or 1 to
 * 86,400,000 (24h) (design rule 1). For `--request-timeout`, 0 means no timeout, as with kubectl.
 * @throws UsageError naming the flag for any other text, a value below 1ms (but not 0), a value that
 *   is not a whole number of milliseconds, or one above 24h (such values would overflow Node's timers).
 */
export function parseDuration(text: string, flag: string): number {
  const t = text.trim();
  if (t === '0') return 0;
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(t)) {
    throw new UsageError(`${flag} "${text}": expected a duration such as 500ms, 5s, 1m or 1h`);
  }
  let ms = 0;
  for (const m of t.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) ms += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  // Decimal fractions in binary floating point: 1.001s is 1000.9999999999999 ms.
  const rounded = Math.round(ms);
  if (Math.abs(ms - rounded) > 1e-6) throw new UsageError(`${flag} "${text}": must be a whole number of milliseconds`);
  if (rounded === 0) return 0;
  if (rounded > MAX_DURATION_MS) throw new UsageError(`${flag} "${text}": must be at most 24h`);
  return rounded;
}
