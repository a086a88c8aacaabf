import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parse, parseAllDocuments, visit } from 'yaml';
import type { DestinationRule, IstioObject, VirtualService } from '../domain/istio.js';
import { ConflictError, ManifestError } from '../errors.js';
import { removePendingTempFiles } from './file-lock.js';
import { ManifestStore } from './manifest-store.js';
import type { ReadQuery } from './route-store.js';

const dirs: string[] = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const dir of dirs.splice(0)) {
    fs.chmodSync(dir, 0o755);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'istiops-formats-'));
  dirs.push(root);
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), content);
  }
  return root;
}

function query(more: Partial<ReadQuery> = {}): ReadQuery {
  return { namespace: 'default', labelSelector: [], readiness: { kind: 'none' }, subsetUsers: false, ...more };
}

const VS = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'api', namespace: 'default' },
  spec: { hosts: ['api'], http: [{ route: [{ destination: { host: 'api', subset: 'v1' } }] }] },
};
const DR = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'DestinationRule',
  metadata: { name: 'api', namespace: 'default' },
  spec: { host: 'api', subsets: [{ name: 'v1', labels: { version: 'v1' } }] },
};

/** The DestinationRule with one more subset. */
function withSubset(dr: DestinationRule, name: string, labels: Record<string, string>): DestinationRule {
  return { ...dr, spec: { ...dr.spec, subsets: [...(dr.spec.subsets ?? []), { name, labels }] } };
}

/** The VirtualService with a header route in front. */
function withHeaderRoute(vs: VirtualService, headers: Record<string, string>): VirtualService {
  const match = [{ headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, { exact: v }])) }];
  return { ...vs, spec: { ...vs.spec, http: [{ name: 'canary', match, route: [{ destination: { host: 'api', subset: 'v2' } }] }, ...(vs.spec.http ?? [])] } };
}

async function readOne(root: string, more: Partial<ReadQuery> = {}): Promise<{ store: ManifestStore; vs: VirtualService; dr: DestinationRule }> {
  const store = new ManifestStore({ paths: [root] });
  const state = await store.read(query(more));
  return { store, vs: state.virtualServices[0]!, dr: state.destinationRules[0]! };
}

describe('Services and workloads', () => {
  const files = {
    'app.yaml': [
      'apiVersion: v1\nkind: Service\nmetadata: {name: api}\nspec:\n  selector: {app: api}\n',
      'apiVersion: v1\nkind: Service\nmetadata: {name: external}\nspec:\n  ports: [{port: 80}]\n',
      'apiVersion: v1\nkind: Service\nmetadata: {name: other, namespace: elsewhere}\nspec:\n  selector: {app: other}\n',
      'apiVersion: serving.knative.dev/v1\nkind: Service\nmetadata: {name: knative}\nspec: {}\n',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: rolling}\nspec:\n  replicas: 3\n  template: {metadata: {labels: {app: api}}}\nstatus:\n  replicas: 3\n',
    ].join('---\n'),
  };

  it('reads the Services (apiVersion v1) of the namespace with their selectors whenever readiness is read', async () => {
    const state = await new ManifestStore({ paths: [tree(files)] }).read(query({ readiness: { kind: 'namespace' } }));
    expect(state.services).toEqual([
      { namespace: 'default', name: 'api', selector: { app: 'api' } },
      { namespace: 'default', name: 'external', selector: undefined },
    ]);
  });

  it('reads no Service when readiness is not read', async () => {
    expect((await new ManifestStore({ paths: [tree(files)] }).read(query())).services).toEqual([]);
  });

  it('counts 0 ready pods for a workload whose status has no readyReplicas', async () => {
    const state = await new ManifestStore({ paths: [tree(files)] }).read(query({ readiness: { kind: 'namespace' } }));
    expect(state.readiness.workloads.map((w) => [w.ref, w.readyPods])).toEqual([['Deployment default/rolling', 0]]);
  });
});

describe('namespaces', () => {
  it('writes a document without namespace back without one, even when the object carries the namespace of the read', async () => {
    const text = 'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: api\nspec:\n  host: api\n';
    const root = tree({ 'dr.yaml': text });
    const { store, dr } = await readOne(root, { namespace: 'bookinfo' });
    expect(dr.metadata).toEqual({ name: 'api' });
    const next = { ...dr, metadata: { ...dr.metadata, namespace: 'bookinfo' }, spec: { ...dr.spec, subsets: [{ name: 'v1', labels: { version: 'v1' } }] } };
    await store.write(next, { serverDryRun: false });
    expect(fs.readFileSync(path.join(root, 'dr.yaml'), 'utf8')).toBe(`${text}  subsets:\n  - name: v1\n    labels:\n      version: v1\n`);
  });

  it('does not take a document of the namespace default for one without namespace when reading another namespace', async () => {
    const root = tree({ 'dr.yaml': `${JSON.stringify({ ...DR, metadata: { name: 'api', namespace: 'default' } })}\n` });
    const state = await new ManifestStore({ paths: [root] }).read(query({ namespace: 'bookinfo' }));
    expect(state.destinationRules).toEqual([]);
  });
});

describe('JSON manifests', () => {
  it.each([
    ['two spaces', '  '],
    ['four spaces', '    '],
    ['a tab', '\t'],
  ])('are read and written back as JSON indented with %s, keeping the final newline', async (_, indent) => {
    const text = `${JSON.stringify(VS, null, indent)}\n`;
    const root = tree({ 'vs.json': text, 'dr.json': JSON.stringify(DR, null, indent) });
    const { store, vs, dr } = await readOne(root);
    await store.write(withHeaderRoute(vs, { 'x-canary': 'yes' }), { serverDryRun: false });
    await store.write(withSubset(dr, 'v2', { version: 'v2' }), { serverDryRun: false });
    const written = fs.readFileSync(path.join(root, 'vs.json'), 'utf8');
    expect(written).toBe(`${JSON.stringify(withHeaderRoute(VS as VirtualService, { 'x-canary': 'yes' }), null, indent)}\n`);
    const drText = fs.readFileSync(path.join(root, 'dr.json'), 'utf8');
    expect(drText.endsWith('\n')).toBe(false);
    expect(JSON.parse(drText)).toEqual(withSubset(DR as DestinationRule, 'v2', { version: 'v2' }));
    expect(JSON.parse(execFileSync('jq', ['-c', '.spec.http[0].match[0].headers', path.join(root, 'vs.json')], { encoding: 'utf8' }))).toEqual({
      'x-canary': { exact: 'yes' },
    });
  });

  it('edits an item of a kind: List in place and leaves the other items byte-identical', async () => {
    const list = { apiVersion: 'v1', kind: 'List', items: [DR, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: 'b' } }, VS] };
    const text = `${JSON.stringify(list, null, 2)}\n`;
    const root = tree({ 'all.json': text });
    const { store, vs } = await readOne(root);
    expect(vs.metadata.name).toBe('api');
    await store.write(withHeaderRoute(vs, { 'x-b': 'on' }), { serverDryRun: false });
    const written = fs.readFileSync(path.join(root, 'all.json'), 'utf8');
    const expected = { ...list, items: [DR, list.items[1], withHeaderRoute(VS as VirtualService, { 'x-b': 'on' })] };
    expect(written).toBe(`${JSON.stringify(expected, null, 2)}\n`);
  });

  it('keeps CRLF line endings and a BOM', async () => {
    const text = `\uFEFF${JSON.stringify(DR, null, 2).replace(/\n/g, '\r\n')}\r\n`;
    const root = tree({ 'dr.json': text });
    const { store, dr } = await readOne(root);
    await store.write(withSubset(dr, 'v2', { version: 'v2' }), { serverDryRun: false });
    const written = fs.readFileSync(path.join(root, 'dr.json'), 'utf8');
    expect(written.startsWith('\uFEFF{\r\n')).toBe(true);
    expect(written.replace(/\r\n/g, '').includes('\n')).toBe(false);
    expect(JSON.parse(written.slice(1))).toEqual(withSubset(DR as DestinationRule, 'v2', { version: 'v2' }));
  });

  it('fails with file:line:col on invalid JSON', async () => {
    const root = tree({ 'bad.json': '{\n  "kind": "VirtualService",\n  oops\n}\n' });
    await expect(new ManifestStore({ paths: [root] }).read(query())).rejects.toThrow(new RegExp(`${path.join(root, 'bad.json')}:3:\\d+: invalid JSON`));
  });

  it('are found in folders next to .yaml and .yml files', async () => {
    const root = tree({ 'a/vs.json': JSON.stringify(VS), 'b/dr.yml': JSON.stringify(DR) });
    const { vs, dr } = await readOne(root);
    expect([vs.metadata.name, dr.metadata.name]).toEqual(['api', 'api']);
  });
});

describe('YAML kind: List, anchors and merge keys', () => {
  it('reads the items of a kind: List and edits one in place', async () => {
    const text = [
      'apiVersion: v1',
      'kind: List',
      'items:',
      '# the rule',
      '- apiVersion: networking.istio.io/v1',
      '  kind: DestinationRule',
      '  metadata: {name: api}',
      '  spec:',
      '    host: api',
      '    subsets:',
      '    - name: v1',
      '      labels: {version: v1}',
      '- apiVersion: networking.istio.io/v1',
      '  kind: VirtualService',
      '  metadata: {name: api}',
      '  spec: {hosts: [api], http: [{route: [{destination: {host: api}}]}]}',
      '',
    ].join('\n');
    const root = tree({ 'list.yaml': text });
    const { store, dr, vs } = await readOne(root);
    expect(vs.spec.hosts).toEqual(['api']);
    await store.write(withSubset(dr, 'v2', { version: 'v2' }), { serverDryRun: false });
    const written = fs.readFileSync(path.join(root, 'list.yaml'), 'utf8');
    expect(written).toBe(text.replace('      labels: {version: v1}\n', '      labels: {version: v1}\n    - name: v2\n      labels:\n        version: v2\n'));
  });

  const merged = [
    'apiVersion: networking.istio.io/v1',
    'kind: DestinationRule',
    'metadata:',
    '  name: api',
    'spec:',
    '  host: api',
    '  trafficPolicy: &policy',
    '    tls: {mode: ISTIO_MUTUAL}',
    '  subsets:',
    '  - &v1',
    '    name: v1',
    '    labels: {version: v1}',
    '  - <<: *v1',
    '    name: v1-canary',
    '    trafficPolicy: *policy',
    '',
  ].join('\n');

  it('reads merge keys and aliases as Kubernetes does', async () => {
    const { dr } = await readOne(tree({ 'dr.yaml': merged }));
    expect(dr.spec.subsets).toEqual([
      { name: 'v1', labels: { version: 'v1' } },
      { name: 'v1-canary', labels: { version: 'v1' }, trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } },
    ]);
  });

  it('writes an edit beside the anchors without touching them', async () => {
    const root = tree({ 'dr.yaml': merged });
    const { store, dr } = await readOne(root);
    await store.write(withSubset(dr, 'v2', { version: 'v2' }), { serverDryRun: false });
    expect(fs.readFileSync(path.join(root, 'dr.yaml'), 'utf8')).toBe(`${merged}  - name: v2\n    labels:\n      version: v2\n`);
  });

  it('overrides a merged key with an own key, keeping the anchor', async () => {
    const root = tree({ 'dr.yaml': merged });
    const { store, dr } = await readOne(root);
    const next = structuredClone(dr);
    next.spec.subsets![1]!.labels = { version: 'v1', track: 'canary' };
    await store.write(next, { serverDryRun: false });
    const written = fs.readFileSync(path.join(root, 'dr.yaml'), 'utf8');
    expect(written).toContain('  - <<: *v1\n');
    const value = parseAllDocuments(written, { merge: true })[0]!.toJS() as DestinationRule;
    expect(value.spec).toEqual(next.spec);
  });

  it.each<[string, (dr: DestinationRule) => void, number]>([
    ['a change inside a node that an alias also uses', (dr) => (dr.spec.subsets![0]!.labels = { version: 'v1.1' }), 11],
    ['the removal of a key that a merge key supplies', (dr) => delete dr.spec.subsets![1]!.labels, 13],
  ])('refuses %s with file:line and writes nothing', async (_, change, line) => {
    const root = tree({ 'dr.yaml': merged });
    const file = path.join(root, 'dr.yaml');
    const { store, dr } = await readOne(root);
    const next = structuredClone(dr);
    change(next);
    const error = await store.write(next, { serverDryRun: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManifestError);
    expect((error as Error).message).toMatch(new RegExp(`^${file}:${line}: cannot write DestinationRule default/api: `));
    expect((error as Error).message).not.toContain('\n');
    expect(fs.readFileSync(file, 'utf8')).toBe(merged);
  });
});

describe('YAML 1.1-safe scalars', () => {
  const ambiguous = ['yes', 'No', 'ON', 'off', 'y', 'N', 'True', 'FALSE', 'yEs', '~', 'null', 'Null', '1_000', '0x1f', '0o17', '017', '0b101', '1:20', '190:20:30', '2024-01-01', '2001-12-14t21:59:43.10-05:00', '.inf', '-.Inf', '.NaN', '+1', '+1.5', '1e3', '=', '<<', '12', '1.0'];

  it('quotes every string a YAML 1.1 reader would take for another type, in new and changed values', async () => {
    const root = tree({ 'vs.yaml': `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: api\n  labels: {build: old}\nspec:\n  hosts: [api]\n  http:\n  - route:\n    - destination: {host: api}\n` });
    const { store, vs } = await readOne(root);
    const headers = Object.fromEntries(ambiguous.map((v, i) => [`x-h${i}`, v]));
    const next = withHeaderRoute(vs, headers);
    next.metadata = { ...next.metadata, labels: { build: '2024-01-01' } };
    await store.write(next, { serverDryRun: false });
    const written = fs.readFileSync(path.join(root, 'vs.yaml'), 'utf8');
    const doc = parseAllDocuments(written, { version: '1.1' })[0]!;
    const value = doc.toJS() as VirtualService;
    expect(value.metadata.labels).toEqual({ build: '2024-01-01' });
    const match = value.spec.http?.[0]?.match?.[0]?.headers as Record<string, { exact: unknown }>;
    expect(Object.values(match).map((m) => m.exact)).toEqual(ambiguous);
    let nonStrings = 0;
    visit(doc, {
      Scalar(_, node) {
        if (typeof node.value !== 'string' && !(node.value === null)) nonStrings++;
      },
    });
    expect(nonStrings).toBe(0);
  });
});

describe('byte preservation', () => {
  it('keeps CRLF line endings, a BOM and untouched lines of a file mixing sequence indentation styles', async () => {
    const lines = [
      'apiVersion: networking.istio.io/v1',
      'kind: VirtualService',
      'metadata:',
      '  name: api',
      'spec:',
      '  hosts:',
      '    - api',
      '    - api.example.com',
      '  gateways:',
      '  - mesh',
      '  http:',
      '  - name: first',
      '    match:',
      '      - uri: {prefix: /a}',
      '    route:',
      '    - destination: {host: api, subset: v1}',
      '  - route:',
      '      - destination: {host: api, subset: v1}',
      '',
    ];
    const text = `\uFEFF${lines.join('\r\n')}`;
    const root = tree({ 'vs.yaml': text });
    const { store, vs } = await readOne(root);
    await store.write(withHeaderRoute(vs, { 'x-canary': 'a' }), { serverDryRun: false });
    const written = fs.readFileSync(path.join(root, 'vs.yaml'), 'utf8');
    expect(written.startsWith('\uFEFFapiVersion')).toBe(true);
    expect(written.replace(/\r\n/g, '').includes('\n')).toBe(false);
    const out = written.slice(1).split('\r\n');
    // Every original line is still there, in order, untouched.
    let k = 0;
    for (const line of out) if (line === lines[k]) k++;
    expect(k).toBe(lines.length);
    expect(out.length).toBeGreaterThan(lines.length);
  });
});

describe('atomic writes', () => {
  const yaml = `${JSON.stringify(DR)}\n`;

  it('fails with a clear ManifestError and writes nothing when no temporary file can be created in the folder', async () => {
    const root = tree({ 'dr.yaml': yaml });
    const file = path.join(root, 'dr.yaml');
    const { store, dr } = await readOne(root);
    const open = fs.openSync.bind(fs);
    vi.spyOn(fs, 'openSync').mockImplementation((p, flags, mode) => {
      if (String(p).endsWith('.tmp')) throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
      return open(p, flags, mode);
    });
    const writeSpy = vi.spyOn(fs, 'writeFileSync');
    const error = await store.write(withSubset(dr, 'v2', { version: 'v2' }), { serverDryRun: false }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ManifestError);
    expect((error as Error).message).toBe(`cannot write ${file}: cannot create a temporary file in ${root} (EACCES); nothing was written`);
    expect(writeSpy).not.toHaveBeenCalled();
    expect(fs.readFileSync(file, 'utf8')).toBe(yaml);
  });

  it.skipIf(process.getuid?.() !== 0)('keeps the owner of the file when running as root', async () => {
    const root = tree({ 'dr.yaml': yaml });
    const file = path.join(root, 'dr.yaml');
    fs.chownSync(file, 4321, 4322);
    fs.chmodSync(file, 0o640);
    const { store, dr } = await readOne(root);
    await store.write(withSubset(dr, 'v2', { version: 'v2' }), { serverDryRun: false });
    const stat = fs.statSync(file);
    expect([stat.uid, stat.gid, stat.mode & 0o777]).toEqual([4321, 4322, 0o640]);
    expect(fs.readFileSync(file, 'utf8')).toContain('v2');
  });

  it('removes temporary files of writes in flight, and those left by killed processes at the next write', async () => {
    const root = tree({ 'dr.yaml': yaml });
    const file = path.join(root, 'dr.yaml');
    const orphan = path.join(root, '.dr.yaml.istiops-999999999-abcd.tmp');
    fs.writeFileSync(orphan, 'half');
    const { store, dr } = await readOne(root);
    await store.write(withSubset(dr, 'v2', { version: 'v2' }), { serverDryRun: false });
    expect(fs.existsSync(orphan)).toBe(false);
    removePendingTempFiles();
    expect(fs.readdirSync(root).sort()).toEqual(['dr.yaml']);
    expect(fs.readFileSync(file, 'utf8')).toContain('v2');
  });

  it('takes over a stale lock left by a killed process', async () => {
    const root = tree({ 'dr.yaml': yaml });
    const file = path.join(root, 'dr.yaml');
    fs.mkdirSync(`${file}.lock`);
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(`${file}.lock`, old, old);
    const { store, dr } = await readOne(root);
    await store.write(withSubset(dr, 'v2', { version: 'v2' }), { serverDryRun: false });
    expect(fs.readFileSync(file, 'utf8')).toContain('v2');
    expect(fs.existsSync(`${file}.lock`)).toBe(false);
  });

  it('turns a change made between read and write into a ConflictError under the lock', async () => {
    const root = tree({ 'dr.yaml': yaml });
    const file = path.join(root, 'dr.yaml');
    const { store, dr } = await readOne(root);
    fs.appendFileSync(file, '# edited\n');
    await expect(store.write(withSubset(dr, 'v2', { version: 'v2' }), { serverDryRun: false })).rejects.toBeInstanceOf(ConflictError);
    expect(fs.readFileSync(file, 'utf8')).toBe(`${yaml}# edited\n`);
  });

  it('after a conflict, re-reads under the file lock and keeps it through the writes, so the retry cannot conflict', async () => {
    const root = tree({ 'dr.yaml': yaml });
    const file = path.join(root, 'dr.yaml');
    const mine = await readOne(root);
    const other = await readOne(root);
    await other.store.write(withSubset(other.dr, 'v3', { version: 'v3' }), { serverDryRun: false });
    await expect(mine.store.write(withSubset(mine.dr, 'v2', { version: 'v2' }), { serverDryRun: false })).rejects.toBeInstanceOf(ConflictError);
    const again = await mine.store.read(query());
    expect(fs.existsSync(`${file}.lock`)).toBe(true);
    await mine.store.write(withSubset(again.destinationRules[0]!, 'v2', { version: 'v2' }), { serverDryRun: false });
    expect(fs.existsSync(`${file}.lock`)).toBe(true);
    await mine.store.read(query());
    expect(fs.existsSync(`${file}.lock`)).toBe(false);
    const subsets = (parse(fs.readFileSync(file, 'utf8')) as DestinationRule).spec.subsets?.map((s) => s.name);
    expect(subsets).toEqual(['v1', 'v3', 'v2']);
  });

  it('previews the files as a write would leave them, writing nothing', async () => {
    const root = tree({ 'dr.yaml': yaml, 'vs.yaml': `${JSON.stringify(VS)}\n` });
    const { store, dr, vs } = await readOne(root);
    const objects: IstioObject[] = [withSubset(dr, 'v2', { version: 'v2' }), withHeaderRoute(vs, { 'x-a': 'b' })];
    const previews = await store.previewFiles(objects);
    expect(previews.map((p) => path.basename(p.path))).toEqual(['dr.yaml', 'vs.yaml']);
    expect(fs.readFileSync(path.join(root, 'dr.yaml'), 'utf8')).toBe(yaml);
    for (const object of objects) await store.write(object, { serverDryRun: false });
    for (const p of previews) {
      expect(p.before).not.toBe(p.after);
      expect(fs.readFileSync(p.path, 'utf8')).toBe(p.after);
    }
    expect(parse(previews[1]!.after)).toEqual(withHeaderRoute(VS as VirtualService, { 'x-a': 'b' }));
  });
});
