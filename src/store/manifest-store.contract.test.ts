import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import type { IstioObject } from '../domain/istio.js';
import { ManifestStore } from './manifest-store.js';
import { storeContract } from './store.contract.js';

storeContract('manifests', (objects, workloads) => {
  const dir = mkdtempSync(join(tmpdir(), 'istiops-contract-'));
  const file = join(dir, 'routing.yaml');
  const deployments = workloads.map((w) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: w.name, namespace: w.namespace },
    spec: { replicas: 2, template: { metadata: { labels: { ...w.labels } } } },
    status: { readyReplicas: w.ready ? 2 : 0 },
  }));
  const writeAll = (docs: unknown[]): void => writeFileSync(file, docs.map((d) => `# document\n${stringify(d)}`).join('---\n'));
  writeAll([...objects, ...deployments]);
  const readAll = (): IstioObject[] => parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as IstioObject);
  const same = (o: IstioObject, kind: string, namespace: string, name: string): boolean =>
    o.kind === kind && (o.metadata.namespace ?? 'default') === namespace && o.metadata.name === name;
  return Promise.resolve({
    store: new ManifestStore({ paths: [dir] }),
    touch: (object, mutate) => {
      const docs = readAll();
      const target = docs.find((o) => same(o, object.kind, object.metadata.namespace ?? 'default', object.metadata.name));
      if (target) mutate(target);
      writeAll(docs);
      return Promise.resolve();
    },
    get: (kind, namespace, name) => Promise.resolve(readAll().find((o) => same(o, kind, namespace, name))),
    close: () => Promise.resolve(),
  });
});

// The same contract over one JSON file holding a `kind: List` (JSON in, JSON out; List items as objects).
storeContract('manifests (JSON List)', (objects, workloads) => {
  const dir = mkdtempSync(join(tmpdir(), 'istiops-contract-json-'));
  const file = join(dir, 'routing.json');
  const deployments = workloads.map((w) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: w.name, namespace: w.namespace },
    spec: { replicas: 2, template: { metadata: { labels: { ...w.labels } } } },
    status: { readyReplicas: w.ready ? 2 : 0 },
  }));
  const writeAll = (items: unknown[]): void => writeFileSync(file, `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items }, null, 4)}\n`);
  writeAll([...objects, ...deployments]);
  const readAll = (): IstioObject[] => (JSON.parse(readFileSync(file, 'utf8')) as { items: IstioObject[] }).items;
  const same = (o: IstioObject, kind: string, namespace: string, name: string): boolean =>
    o.kind === kind && (o.metadata.namespace ?? 'default') === namespace && o.metadata.name === name;
  return Promise.resolve({
    store: new ManifestStore({ paths: [dir] }),
    touch: (object, mutate) => {
      const items = readAll();
      const target = items.find((o) => same(o, object.kind, object.metadata.namespace ?? 'default', object.metadata.name));
      if (target) mutate(target);
      writeAll(items);
      return Promise.resolve();
    },
    get: (kind, namespace, name) => Promise.resolve(readAll().find((o) => same(o, kind, namespace, name))),
    close: () => Promise.resolve(),
  });
});
