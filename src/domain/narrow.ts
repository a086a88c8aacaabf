/**
 * Parse, don't trust: the objects a store returns (API JSON, YAML documents) are checked once, at
 * the edge, against the shapes the planners rely on, so that a malformed object is a clear error
 * naming it and the field, never a TypeError from deep inside a planner. Only the fields istiops
 * reads are checked; the rest travels untouched. The full Istio schema is checked before writing.
 */
import { InvalidObjectError } from '../errors.js';
import type { DestinationRule, VirtualService } from './istio.js';
import type { RoutingState } from './state.js';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

class Checker {
  readonly #what: string;
  constructor(what: string) {
    this.#what = what;
  }
  fail(path: string, expected: string, value: unknown): never {
    const got =
      value === undefined
        ? 'missing'
        : Array.isArray(value)
          ? 'a list'
          : value === null
            ? 'null'
            : typeof value === 'object'
              ? 'a mapping'
              : `${typeof value} ${JSON.stringify(value)}`;
    throw new InvalidObjectError(`${this.#what}: ${path} must be ${expected}, not ${got}`);
  }
  object(v: unknown, path: string): Json {
    return isObject(v) ? v : this.fail(path, 'a mapping', v);
  }
  optionalObject(v: unknown, path: string): Json | undefined {
    return v === undefined ? undefined : this.object(v, path);
  }
  list(v: unknown, path: string): unknown[] {
    return Array.isArray(v) ? v : this.fail(path, 'a list', v);
  }
  optionalList(v: unknown, path: string): unknown[] {
    return v === undefined || v === null ? [] : this.list(v, path);
  }
  string(v: unknown, path: string): string {
    return typeof v === 'string' && v !== '' ? v : this.fail(path, 'a non-empty string', v);
  }
  optionalString(v: unknown, path: string): void {
    if (v !== undefined && typeof v !== 'string') this.fail(path, 'a string', v);
  }
  stringMap(v: unknown, path: string): void {
    if (v === undefined || v === null) return;
    const map = this.object(v, path);
    for (const [k, x] of Object.entries(map)) if (typeof x !== 'string') this.fail(`${path}.${k}`, 'a string', x);
  }
  /** An Istio StringMatch: a mapping with exactly one of exact, prefix, regex (a string). */
  stringMatch(v: unknown, path: string): void {
    const m = this.object(v, path);
    const kinds = ['exact', 'prefix', 'regex'].filter((k) => m[k] !== undefined);
    if (kinds.length !== 1) this.fail(path, 'a string match with one of exact, prefix or regex', v);
    for (const k of kinds) if (typeof m[k] !== 'string') this.fail(`${path}.${k}`, 'a string', m[k]);
  }
  /** A match entry: its string-match conditions are well formed. */
  matchEntry(v: unknown, path: string): void {
    const entry = this.object(v, path);
    for (const key of ['uri', 'scheme', 'method', 'authority']) if (entry[key] !== undefined) this.stringMatch(entry[key], `${path}.${key}`);
    for (const key of ['headers', 'withoutHeaders', 'queryParams']) {
      if (entry[key] === undefined) continue;
      for (const [name, m] of Object.entries(this.object(entry[key], `${path}.${key}`))) this.stringMatch(m, `${path}.${key}.${name}`);
    }
    this.stringMap(entry['sourceLabels'], `${path}.sourceLabels`);
    this.optionalString(entry['sourceNamespace'], `${path}.sourceNamespace`);
  }
  destination(v: unknown, path: string): void {
    const d = this.object(v, path);
    this.string(d['host'], `${path}.host`);
    this.optionalString(d['subset'], `${path}.subset`);
    const port = this.optionalObject(d['port'], `${path}.port`);
    if (port?.['number'] !== undefined && typeof port['number'] !== 'number') this.fail(`${path}.port.number`, 'a number', port['number']);
  }
}

function checkVirtualService(vs: VirtualService, namespace: string): void {
  const metadata: Json = isObject(vs.metadata) ? vs.metadata : {};
  const c = new Checker(`VirtualService ${typeof metadata['namespace'] === 'string' ? metadata['namespace'] : namespace}/${String(metadata['name'])}`);
  c.string(metadata['name'], 'metadata.name');
  c.stringMap(metadata['labels'], 'metadata.labels');
  const spec = c.object(vs.spec, 'spec');
  c.optionalList(spec['hosts'], 'spec.hosts').forEach((h, i) => c.string(h, `spec.hosts[${i}]`));
  c.optionalList(spec['gateways'], 'spec.gateways').forEach((g, i) => c.string(g, `spec.gateways[${i}]`));
  c.optionalList(spec['http'], 'spec.http').forEach((r, i) => {
    const at = `spec.http[${i}]`;
    const route = c.object(r, at);
    c.optionalString(route['name'], `${at}.name`);
    c.optionalList(route['match'], `${at}.match`).forEach((m, j) => c.matchEntry(m, `${at}.match[${j}]`));
    c.optionalList(route['route'], `${at}.route`).forEach((d, j) => {
      const dest = c.object(d, `${at}.route[${j}]`);
      c.destination(dest['destination'], `${at}.route[${j}].destination`);
      const w = dest['weight'];
      if (w !== undefined && (typeof w !== 'number' || !Number.isInteger(w) || w < 0)) c.fail(`${at}.route[${j}].weight`, 'a non-negative integer', w);
    });
    if (route['mirror'] !== undefined) c.destination(route['mirror'], `${at}.mirror`);
    c.optionalList(route['mirrors'], `${at}.mirrors`).forEach((m, j) => c.destination(c.object(m, `${at}.mirrors[${j}]`)['destination'], `${at}.mirrors[${j}].destination`));
  });
}

function checkDestinationRule(dr: DestinationRule, namespace: string): void {
  const metadata: Json = isObject(dr.metadata) ? dr.metadata : {};
  const c = new Checker(`DestinationRule ${typeof metadata['namespace'] === 'string' ? metadata['namespace'] : namespace}/${String(metadata['name'])}`);
  c.string(metadata['name'], 'metadata.name');
  c.stringMap(metadata['labels'], 'metadata.labels');
  const spec = c.object(dr.spec, 'spec');
  c.string(spec['host'], 'spec.host');
  c.optionalList(spec['subsets'], 'spec.subsets').forEach((s, i) => {
    const subset = c.object(s, `spec.subsets[${i}]`);
    c.string(subset['name'], `spec.subsets[${i}].name`);
    c.stringMap(subset['labels'], `spec.subsets[${i}].labels`);
  });
}

/**
 * Checks every VirtualService and DestinationRule of a state read from a store and returns it.
 * @throws InvalidObjectError naming the object and the field, e.g.
 *   `VirtualService default/api: spec.http[0].route[1].weight must be a non-negative integer, not string "50"`.
 */
export function narrowState(state: RoutingState): RoutingState {
  const seen = new Set<VirtualService>();
  for (const vs of [...state.virtualServices, ...(state.subsetUsers?.virtualServices ?? [])]) {
    if (seen.has(vs)) continue;
    seen.add(vs);
    checkVirtualService(vs, state.namespace);
  }
  for (const dr of state.destinationRules) checkDestinationRule(dr, state.namespace);
  return state;
}
