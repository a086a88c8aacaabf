/**
 * A small Istio analyzer for the tests, written from Istio's rules and independent of istiops' own
 * route model (it imports nothing from src/), so that a bug in the route model cannot hide itself:
 * - every subset a route uses (destination, `mirror`, `mirrors`) exists in a DestinationRule of its
 *   host, in any namespace (istioctl analyze IST0101 ReferencedResourceNotFound);
 * - weights are integers and, on a route with several destinations, sum to 100 (istiops writes them so);
 * - no route after a catch-all route carries a subset of the istiops naming convention.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Every Kubernetes object of the YAML and JSON files below `dir` (List items included), with its
 * namespace defaulted: from `perFile` (by file name) when given there, else `defaultNamespace`, as
 * `kubectl apply -n` would have applied each file.
 */
export function loadObjects(dir: string, defaultNamespace: string, perFile: Readonly<Record<string, string>> = {}): Obj[] {
  const out: Obj[] = [];
  let fileNamespace = defaultNamespace;
  const add = (o: unknown): void => {
    if (!isObj(o)) return;
    if (o['kind'] === 'List' && Array.isArray(o['items'])) {
      o['items'].forEach(add);
      return;
    }
    const meta = isObj(o['metadata']) ? o['metadata'] : {};
    out.push({ ...o, metadata: { ...meta, namespace: typeof meta['namespace'] === 'string' ? meta['namespace'] : fileNamespace } });
  };
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      fileNamespace = perFile[name] ?? defaultNamespace;
      if (statSync(p).isDirectory()) walk(p);
      else if (/\.json$/.test(name)) add(JSON.parse(readFileSync(p, 'utf8')));
      else if (/\.ya?ml$/.test(name)) for (const doc of parseAllDocuments(readFileSync(p, 'utf8'), { merge: true })) add(doc.toJS());
    }
  };
  walk(dir);
  return out;
}

function fqdn(host: string, namespace: string): string {
  return host.includes('.') || host.startsWith('*') ? host.toLowerCase() : `${host.toLowerCase()}.${namespace}.svc.cluster.local`;
}

function isMatchAll(entry: Obj): boolean {
  const keys = Object.keys(entry).filter((k) => k !== 'name' && k !== 'ignoreUriCase');
  if (keys.length === 0) return true;
  if (keys.length !== 1 || keys[0] !== 'uri' || !isObj(entry['uri'])) return false;
  const uri = entry['uri'];
  return uri['prefix'] === '/' || uri['regex'] === '.+' || uri['regex'] === '.*';
}

/** Problems Istio (or istiops' own promises) would report in a set of objects; empty when all is well. */
export function analyze(objects: readonly Obj[]): string[] {
  const problems: string[] = [];
  const subsets = new Set<string>();
  for (const o of objects) {
    if (o['kind'] !== 'DestinationRule' || !isObj(o['spec']) || !isObj(o['metadata'])) continue;
    const host = fqdn(String(o['spec']['host']), String(o['metadata']['namespace']));
    for (const s of Array.isArray(o['spec']['subsets']) ? o['spec']['subsets'] : []) if (isObj(s)) subsets.add(`${host} ${String(s['name'])}`);
  }
  for (const o of objects) {
    if (o['kind'] !== 'VirtualService' || !isObj(o['spec']) || !isObj(o['metadata'])) continue;
    const ns = String(o['metadata']['namespace']);
    const where = `VirtualService ${ns}/${String(o['metadata']['name'])}`;
    let catchAllSeen = false;
    const routes = Array.isArray(o['spec']['http']) ? o['spec']['http'] : [];
    routes.forEach((r, i) => {
      if (!isObj(r)) return;
      const dests = (Array.isArray(r['route']) ? r['route'] : []).filter(isObj);
      const mirrors = [r['mirror'], ...(Array.isArray(r['mirrors']) ? r['mirrors'].map((m) => (isObj(m) ? m['destination'] : undefined)) : [])].filter(isObj);
      for (const d of [...dests.map((x) => x['destination']), ...mirrors].filter(isObj)) {
        if (typeof d['subset'] !== 'string') continue;
        const key = `${fqdn(String(d['host']), ns)} ${d['subset']}`;
        if (!subsets.has(key)) problems.push(`${where} route #${i}: subset ${key} does not exist`);
        if (catchAllSeen && /-[a-z0-9-]+$/.test(d['subset']) && d['subset'].endsWith(`-${ns}`)) problems.push(`${where} route #${i}: unreachable route carries managed subset ${d['subset']}`);
      }
      const weights = dests.map((d) => d['weight']);
      if (weights.some((w) => w !== undefined && !Number.isInteger(w))) problems.push(`${where} route #${i}: a weight is not an integer`);
      if (dests.length > 1) {
        const sum = weights.reduce<number>((a, w) => a + (typeof w === 'number' ? w : 0), 0);
        if (sum !== 100) problems.push(`${where} route #${i}: weights sum to ${sum}`);
      }
      const match = Array.isArray(r['match']) ? r['match'].filter(isObj) : [];
      if (match.length === 0 || match.some(isMatchAll)) catchAllSeen = true;
    });
  }
  return problems;
}
