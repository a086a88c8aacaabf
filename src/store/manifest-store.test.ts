import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { DestinationRule, VirtualService } from '../domain/istio.js';
import { parseLabelSelector } from '../domain/label-selector.js';
import { ConflictError, ManifestError } from '../errors.js';
import { listManifestFiles, ManifestStore } from './manifest-store.js';
import type { ReadinessQuery, ReadQuery } from './route-store.js';

const testdata = path.join(path.dirname(fileURLToPath(import.meta.url)), 'testdata');
const bookinfo = fs.readFileSync(path.join(testdata, 'bookinfo.yaml'), 'utf8');

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

/** Creates a temporary folder holding `files` (relative path → content) and returns its path. */
function tree(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'istiops-manifests-'));
  dirs.push(root);
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(root, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
  }
  return root;
}

function query(selector: string, namespace = 'default', more: Partial<ReadQuery> = {}): ReadQuery {
  return {
    namespace,
    labelSelector: parseLabelSelector(selector),
    readiness: { kind: 'none' },
    subsetUsers: false,
    ...more,
  };
}

const vs = (name: string, labels: Record<string, string>, namespace?: string, group = 'networking.istio.io/v1'): string =>
  [
    `apiVersion: ${group}`,
    'kind: VirtualService',
    'metadata:',
    `  name: ${name}`,
    ...(namespace ? [`  namespace: ${namespace}`] : []),
    '  labels:',
    ...Object.entries(labels).map(([k, v]) => `    ${k}: "${v}"`),
    'spec:',
    `  hosts: [${name}]`,
    '  http:',
    '  - route:',
    '    - destination:',
    `        host: ${name}`,
    '',
  ].join('\n');

const dr = (name: string, labels: Record<string, string>, namespace?: string, version = 'v1'): string =>
  [
    `apiVersion: networking.istio.io/${version}`,
    'kind: DestinationRule',
    'metadata:',
    `  name: ${name}`,
    ...(namespace ? [`  namespace: ${namespace}`] : []),
    '  labels:',
    ...Object.entries(labels).map(([k, v]) => `    ${k}: ${v}`),
    'spec:',
    `  host: ${name}`,
    '',
  ].join('\n');

/** A folder tree with every case the reader must handle. */
function repository(): string {
  return tree({
    'a.yaml': `# alpha, no namespace: default\n${vs('alpha', { app: 'alpha' })}---\n${dr('alpha', { app: 'alpha' }, undefined, 'v1alpha3')}`,
    'b.yml': `${vs('beta', { app: 'beta', canary: 'true' }, 'default', 'networking.istio.io/v1beta1')}---\n${vs('gamma', { app: 'gamma' }, 'other')}`,
    'd.yaml': vs('fake', { app: 'alpha' }, undefined, 'example.com/v1'),
    'nested/deeper/c.yaml': [
      vs('delta', { app: 'delta' }),
      dr('delta', { app: 'delta' }),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  labels: {app: alpha}\n',
      '# an empty document\n',
      '- a list\n- is not an object\n',
      'just a scalar\n',
    ].join('---\n'),
    'notes.txt': vs('ignored', { app: 'alpha' }),
  });
}

const names = (objects: readonly { metadata: { name: string } }[] | undefined): string[] =>
  (objects ?? []).map((o) => o.metadata.name);

describe('listManifestFiles', () => {
  it('walks folders recursively for .yaml and .yml files, in sorted order, ignoring other files', () => {
    const root = repository();
    expect(listManifestFiles([root]).map((f) => path.relative(root, f))).toEqual([
      'a.yaml',
      'b.yml',
      'd.yaml',
      path.join('nested', 'deeper', 'c.yaml'),
    ]);
  });

  it('reads a file named explicitly whatever its extension, and a file named twice once', () => {
    const root = repository();
    const notes = path.join(root, 'notes.txt');
    const a = path.join(root, 'a.yaml');
    expect(listManifestFiles([notes, a, root])).toEqual([notes, a, ...listManifestFiles([root]).slice(1)]);
  });

  it('fails naming a path that does not exist', () => {
    const missing = path.join(repository(), 'missing.yaml');
    expect(() => listManifestFiles([missing])).toThrow(ManifestError);
    expect(() => listManifestFiles([missing])).toThrow(missing);
    expect(() => new ManifestStore({ paths: [missing] })).toThrow(`manifest path ${missing} does not exist`);
  });
});

describe('ManifestStore.read', () => {
  it('is a store of kind manifests', () => {
    expect(new ManifestStore({ paths: [repository()] }).kind).toBe('manifests');
  });

  it.each<[string, string, string[], string[]]>([
    ['app=alpha', 'default', ['alpha'], ['alpha']],
    ['app==alpha', 'default', ['alpha'], ['alpha']],
    ['app in (alpha,beta)', 'default', ['alpha', 'beta'], ['alpha']],
    ['app notin (alpha,beta)', 'default', ['delta'], ['delta']],
    ['!canary', 'default', ['alpha', 'delta'], ['alpha', 'delta']],
    ['app,canary', 'default', ['beta'], []],
    ['app!=alpha,!canary', 'default', ['delta'], ['delta']],
    ['app=gamma', 'other', ['gamma'], []],
    ['app=gamma', 'default', [], []],
    ['app=alpha', 'nowhere', ['alpha'], ['alpha']],
    ['app=beta', 'nowhere', [], []],
  ])('selects with "%s" in namespace %s', async (selector, namespace, virtualServices, destinationRules) => {
    const state = await new ManifestStore({ paths: [repository()] }).read(query(selector, namespace));
    expect(state.namespace).toBe(namespace);
    expect(names(state.virtualServices)).toEqual(virtualServices);
    expect(names(state.destinationRules)).toEqual(destinationRules);
    expect(state).not.toHaveProperty('subsetUsers');
  });

  it('returns the documents as they are: no namespace is invented for documents in default', async () => {
    const state = await new ManifestStore({ paths: [repository()] }).read(query('app=alpha'));
    const alpha = state.virtualServices[0]!;
    expect(alpha.apiVersion).toBe('networking.istio.io/v1');
    expect(alpha.metadata).toEqual({ name: 'alpha', labels: { app: 'alpha' } });
    expect(alpha.spec).toEqual({ hosts: ['alpha'], http: [{ route: [{ destination: { host: 'alpha' } }] }] });
  });

  it('returns every VirtualService of every namespace in every file as subset users when asked', async () => {
    const store = new ManifestStore({ paths: [repository()] });
    const state = await store.read(query('app=alpha', 'default', { subsetUsers: true }));
    expect(names(state.virtualServices)).toEqual(['alpha']);
    expect(names(state.subsetUsers?.virtualServices)).toEqual(['alpha', 'beta', 'gamma', 'delta']);
    expect(state.subsetUsers?.scope).toBe('all-namespaces');
    expect(state.subsetUsers?.virtualServices[0]).toBe(state.virtualServices[0]);
  });

  it('puts documents without metadata.namespace in the namespace of the read, as kubectl apply -n does', async () => {
    const store = new ManifestStore({ paths: [repository()] });
    const state = await store.read(query('app=alpha', 'bookinfo'));
    expect(names(state.virtualServices)).toEqual(['alpha']);
    expect(state.virtualServices[0]?.metadata).not.toHaveProperty('namespace');
  });

  it('returns deep copies: changing them changes neither the files nor the next read', async () => {
    const root = repository();
    const before = fs.readFileSync(path.join(root, 'a.yaml'), 'utf8');
    const store = new ManifestStore({ paths: [root] });
    const first = await store.read(query('app=alpha'));
    (first.virtualServices[0]!.spec.http![0]!.route![0]!.destination as { host: string }).host = 'changed';
    const second = await store.read(query('app=alpha'));
    expect(second.virtualServices[0]!.spec.http![0]!.route![0]!.destination.host).toBe('alpha');
    expect(fs.readFileSync(path.join(root, 'a.yaml'), 'utf8')).toBe(before);
  });

  it('reads the files afresh on every call', async () => {
    const root = tree({ 'vs.yaml': vs('alpha', { app: 'alpha' }) });
    const store = new ManifestStore({ paths: [root] });
    expect(names((await store.read(query('app=alpha'))).virtualServices)).toEqual(['alpha']);
    fs.writeFileSync(path.join(root, 'vs.yaml'), vs('alpha', { app: 'other' }));
    expect(names((await store.read(query('app=alpha'))).virtualServices)).toEqual([]);
  });

  it('fails with file:line:col on a YAML syntax error', async () => {
    const root = tree({ 'ok.yaml': vs('alpha', { app: 'alpha' }), 'broken.yaml': 'kind: VirtualService\nmetadata:\n  name: [x\n' });
    const read = new ManifestStore({ paths: [root] }).read(query('app=alpha'));
    await expect(read).rejects.toThrow(ManifestError);
    await expect(read).rejects.toThrow(new RegExp(`^${path.join(root, 'broken.yaml')}:4:1: \\S`));
  });

  it('fails naming both places when a selected object is defined twice', async () => {
    const root = tree({ 'one.yaml': vs('alpha', { app: 'alpha' }), 'two.yaml': `# copy\n${vs('alpha', { app: 'alpha' })}` });
    await expect(new ManifestStore({ paths: [root] }).read(query('app=alpha'))).rejects.toThrow(
      `VirtualService default/alpha is defined more than once: ${path.join(root, 'one.yaml')}:1, ${path.join(root, 'two.yaml')}:2`,
    );
  });

  it('fails on a selected object without spec, naming the file and line', async () => {
    const root = tree({ 'bad.yaml': `a: 1\n---\napiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: x\n` });
    await expect(new ManifestStore({ paths: [root] }).read(query('!canary'))).rejects.toThrow(
      `${path.join(root, 'bad.yaml')}:3: DestinationRule default/x has no spec mapping`,
    );
  });

  describe('readiness', () => {
    const workloads = [
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: ready}\nspec:\n  replicas: 3\n  template:\n    metadata:\n      labels: {app: api, build: "1"}\nstatus:\n  readyReplicas: 2\n',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: planned}\nspec:\n  replicas: 4\n  template:\n    metadata:\n      labels: {app: api, build: "2"}\n',
      'apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: single}\nspec:\n  template:\n    metadata:\n      labels: {app: db}\n',
      'apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: scaled-down}\nspec:\n  replicas: 0\n  template:\n    metadata:\n      labels: {app: api, build: "0"}\n',
      'apiVersion: v1\nkind: Pod\nmetadata: {name: bare, labels: {app: api, build: "3"}}\n',
      'apiVersion: v1\nkind: Pod\nmetadata: {name: up, labels: {app: api, build: "4"}}\nstatus:\n  conditions:\n  - {type: Ready, status: "True"}\n',
      'apiVersion: v1\nkind: Pod\nmetadata: {name: down, labels: {app: api, build: "5"}}\nstatus:\n  conditions:\n  - {type: Ready, status: "False"}\n',
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: elsewhere, namespace: other}\nspec:\n  template:\n    metadata:\n      labels: {app: api}\n',
      'apiVersion: v1\nkind: Service\nmetadata: {name: api}\nspec:\n  selector: {app: api}\n',
    ].join('---\n');

    it.each<[string, ReadinessQuery, string, [string, number][]]>([
      ['none', { kind: 'none' }, 'none', []],
      [
        'namespace',
        { kind: 'namespace' },
        'manifests',
        [
          ['Deployment default/ready', 2],
          ['Deployment default/planned', 4],
          ['StatefulSet default/single', 1],
          ['ReplicaSet default/scaled-down', 0],
          ['Pod default/bare', 1],
          ['Pod default/up', 1],
          ['Pod default/down', 0],
        ],
      ],
      ['pods', { kind: 'pods', podSelector: { app: 'api', build: '2' } }, 'manifests', [['Deployment default/planned', 4]]],
      ['pods without a match', { kind: 'pods', podSelector: { app: 'none' } }, 'manifests', []],
    ])('reports %s readiness', async (_, readiness, source, expected) => {
      const root = tree({ 'vs.yaml': vs('alpha', { app: 'alpha' }), 'workloads.yaml': workloads });
      const state = await new ManifestStore({ paths: [root] }).read(query('app=alpha', 'default', { readiness }));
      expect(state.readiness.source).toBe(source);
      expect(state.readiness.workloads.map((w) => [w.ref, w.readyPods])).toEqual(expected);
      for (const w of state.readiness.workloads) expect(w.namespace).toBe('default');
    });

    it('takes pod labels from the pod template, and from the pod itself', async () => {
      const root = tree({ 'workloads.yaml': workloads });
      const state = await new ManifestStore({ paths: [root] }).read(query('app=alpha', 'default', { readiness: { kind: 'namespace' } }));
      const labels = Object.fromEntries(state.readiness.workloads.map((w) => [w.ref, w.podLabels]));
      expect(labels['Deployment default/ready']).toEqual({ app: 'api', build: '1' });
      expect(labels['Pod default/up']).toEqual({ app: 'api', build: '4' });
    });
  });
});

describe('ManifestStore.write', () => {
  /** A folder with the bookinfo file and a store that has read it. */
  async function bookinfoStore(): Promise<{ file: string; store: ManifestStore; vs: VirtualService; dr: DestinationRule }> {
    const root = tree({ 'bookinfo.yaml': bookinfo });
    const file = path.join(root, 'bookinfo.yaml');
    const store = new ManifestStore({ paths: [root] });
    const state = await store.read(query('app=reviews', 'bookinfo'));
    return { file, store, vs: state.virtualServices[0]!, dr: state.destinationRules[0]! };
  }

  const addSubset = (dr: DestinationRule): DestinationRule => ({
    ...dr,
    spec: { ...dr.spec, subsets: [...(dr.spec.subsets ?? []), { name: 'reviews-pr-1-bookinfo', labels: { app: 'reviews', build: 'PR-1' } }] },
  });
  const addRoute = (vs: VirtualService): VirtualService => ({
    ...vs,
    spec: {
      ...vs.spec,
      http: [
        { name: 'reviews-pr-1-bookinfo', match: [{ headers: { 'x-cid': { exact: 'seu_madruga' } } }], route: [{ destination: { host: 'reviews', subset: 'reviews-pr-1-bookinfo' } }] },
        ...(vs.spec.http ?? []),
      ],
    },
  });
  const expectedSubset = "      version: 'v3'\n  - name: reviews-pr-1-bookinfo\n    labels:\n      app: reviews\n      build: PR-1\n";
  const expectedRoute = [
    '  http:',
    '  - name: reviews-pr-1-bookinfo',
    '    match:',
    '    - headers:',
    '        x-cid:',
    '          exact: seu_madruga',
    '    route:',
    '    - destination:',
    '        host: reviews',
    '        subset: reviews-pr-1-bookinfo',
    '',
  ].join('\n');

  it('writes the DestinationRule then the VirtualService of the same file, leaving everything else byte-identical', async () => {
    const { file, store, vs, dr } = await bookinfoStore();
    const writtenDr = await store.write(addSubset(dr), { serverDryRun: false });
    expect(writtenDr).toEqual(addSubset(dr));
    await store.write(addRoute(vs), { serverDryRun: false });
    expect(fs.readFileSync(file, 'utf8')).toBe(
      bookinfo.replace("      version: 'v3'\n", expectedSubset).replace('  http:\n', expectedRoute),
    );
    const again = await store.read(query('app=reviews', 'bookinfo'));
    expect(again.virtualServices).toEqual([addRoute(vs)]);
    expect(again.destinationRules).toEqual([addSubset(dr)]);
  });

  it('returns a copy of the object, not the object itself', async () => {
    const { store, dr } = await bookinfoStore();
    const object = addSubset(dr);
    const written = await store.write(object, { serverDryRun: false });
    expect(written).toEqual(object);
    expect(written).not.toBe(object);
  });

  it('refuses with a conflict when the file was edited between read and write', async () => {
    const { file, store, vs, dr } = await bookinfoStore();
    const edited = bookinfo.replace('weight: 90', 'weight: 70');
    fs.writeFileSync(file, edited);
    const write = store.write(addSubset(dr), { serverDryRun: false });
    await expect(write).rejects.toThrow(ConflictError);
    await expect(write).rejects.toThrow(`${file} changed since it was read; DestinationRule bookinfo/reviews was not written`);
    expect(fs.readFileSync(file, 'utf8')).toBe(edited);

    const state = await store.read(query('app=reviews', 'bookinfo'));
    await store.write(addRoute(state.virtualServices[0]!), { serverDryRun: false });
    expect(fs.readFileSync(file, 'utf8')).toBe(edited.replace('  http:\n', expectedRoute));
    expect(vs.spec.http?.[1]?.route?.[0]?.weight).toBe(90);
  });

  it('lets two pipelines on the same files end up with both changes, the second after a re-read', async () => {
    const root = tree({ 'bookinfo.yaml': bookinfo });
    const file = path.join(root, 'bookinfo.yaml');
    const first = new ManifestStore({ paths: [root] });
    const second = new ManifestStore({ paths: [root] });
    const seenByFirst = await first.read(query('app=reviews', 'bookinfo'));
    const seenBySecond = await second.read(query('app=reviews', 'bookinfo'));
    await first.write(addSubset(seenByFirst.destinationRules[0]!), { serverDryRun: false });
    await expect(second.write(addRoute(seenBySecond.virtualServices[0]!), { serverDryRun: false })).rejects.toThrow(ConflictError);
    const reread = await second.read(query('app=reviews', 'bookinfo'));
    await second.write(addRoute(reread.virtualServices[0]!), { serverDryRun: false });
    expect(fs.readFileSync(file, 'utf8')).toBe(
      bookinfo.replace("      version: 'v3'\n", expectedSubset).replace('  http:\n', expectedRoute),
    );
  });

  it('does not conflict when only another file changed', async () => {
    const root = tree({ 'bookinfo.yaml': bookinfo, 'other.yaml': vs('alpha', { app: 'alpha' }) });
    const store = new ManifestStore({ paths: [root] });
    const state = await store.read(query('app=reviews', 'bookinfo'));
    fs.appendFileSync(path.join(root, 'other.yaml'), '# edited meanwhile\n');
    await store.write(addSubset(state.destinationRules[0]!), { serverDryRun: false });
    expect(fs.readFileSync(path.join(root, 'bookinfo.yaml'), 'utf8')).toBe(bookinfo.replace("      version: 'v3'\n", expectedSubset));
  });

  it('refuses with a conflict when the file was removed after the read', async () => {
    const { file, store, dr } = await bookinfoStore();
    fs.rmSync(file);
    await expect(store.write(addSubset(dr), { serverDryRun: false })).rejects.toThrow(ConflictError);
  });

  it('does everything but write the file on a server dry run', async () => {
    const { file, store, dr } = await bookinfoStore();
    const past = new Date('2020-01-01T00:00:00Z');
    fs.utimesSync(file, past, past);
    expect(await store.write(addSubset(dr), { serverDryRun: true })).toEqual(addSubset(dr));
    expect(fs.readFileSync(file, 'utf8')).toBe(bookinfo);
    expect(fs.statSync(file).mtime).toEqual(past);
    await store.write(addSubset(dr), { serverDryRun: false });
    expect(fs.readFileSync(file, 'utf8')).toBe(bookinfo.replace("      version: 'v3'\n", expectedSubset));
  });

  it('leaves the file untouched when the object did not change', async () => {
    const { file, store, vs } = await bookinfoStore();
    const past = new Date('2020-01-01T00:00:00Z');
    fs.utimesSync(file, past, past);
    await store.write(vs, { serverDryRun: false });
    expect(fs.statSync(file).mtime).toEqual(past);
  });

  it('fails naming the file when it is read-only, and leaves it as it was', async () => {
    const { file, store, dr } = await bookinfoStore();
    fs.chmodSync(file, 0o444);
    const write = store.write(addSubset(dr), { serverDryRun: false });
    await expect(write).rejects.toThrow(ManifestError);
    await expect(write).rejects.toThrow(`cannot write ${file}`);
    expect(fs.readFileSync(file, 'utf8')).toBe(bookinfo);
  });

  it('fails when the object was not read from the manifests', async () => {
    const { store, dr } = await bookinfoStore();
    const stranger = { ...dr, metadata: { ...dr.metadata, name: 'ratings' } };
    await expect(store.write(stranger, { serverDryRun: false })).rejects.toThrow(
      'DestinationRule bookinfo/ratings is not in the manifests that were read',
    );
  });

  it('keeps the file mode and leaves no temporary file behind', async () => {
    const { file, store, dr } = await bookinfoStore();
    fs.chmodSync(file, 0o640);
    await store.write(addSubset(dr), { serverDryRun: false });
    expect(fs.statSync(file).mode & 0o777).toBe(0o640);
    expect(fs.readdirSync(path.dirname(file))).toEqual(['bookinfo.yaml']);
  });

  it('writes through a symbolic link and keeps the link', async () => {
    const root = tree({ 'real/bookinfo.yaml': bookinfo });
    const link = path.join(root, 'linked.yaml');
    fs.symlinkSync(path.join(root, 'real', 'bookinfo.yaml'), link);
    const store = new ManifestStore({ paths: [link] });
    const state = await store.read(query('app=reviews', 'bookinfo'));
    await store.write(addSubset(state.destinationRules[0]!), { serverDryRun: false });
    expect(fs.lstatSync(link).isSymbolicLink()).toBe(true);
    expect(fs.readFileSync(path.join(root, 'real', 'bookinfo.yaml'), 'utf8')).toBe(
      bookinfo.replace("      version: 'v3'\n", expectedSubset),
    );
  });

  it('edits a document without namespace and keeps it without namespace', async () => {
    const root = repository();
    const file = path.join(root, 'a.yaml');
    const before = fs.readFileSync(file, 'utf8');
    const store = new ManifestStore({ paths: [root] });
    const state = await store.read(query('app=alpha'));
    const alpha = state.virtualServices[0]!;
    await store.write({ ...alpha, spec: { ...alpha.spec, hosts: ['alpha', 'alpha.example.com'] } }, { serverDryRun: false });
    expect(fs.readFileSync(file, 'utf8')).toBe(before.replace('hosts: [alpha]', 'hosts: [alpha, alpha.example.com]'));
  });
});
