import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import type { IstioObject } from '../domain/istio.js';
import { ManifestStore } from './manifest-store.js';
import { storeContract, type OpenStore } from './store.contract.js';

/** How one manifest format holds a list of objects in one file. */
interface FileFormat {
  readonly fileName: string;
  readonly write: (objects: unknown[]) => string;
  readonly read: (text: string) => IstioObject[];
}

/** The shared contract over one manifest file of the given format, with the workloads as Deployments. */
function manifestsIn(format: FileFormat): OpenStore {
  return (objects, workloads) => {
    const file = join(mkdtempSync(join(tmpdir(), 'istiops-contract-')), format.fileName);
    const deployments = workloads.map((w) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: w.name, namespace: w.namespace },
      spec: { replicas: 2, template: { metadata: { labels: { ...w.labels } } } },
      status: { readyReplicas: w.ready ? 2 : 0 },
    }));
    const writeAll = (items: unknown[]): void => writeFileSync(file, format.write(items));
    const readAll = (): IstioObject[] => format.read(readFileSync(file, 'utf8'));
    const same = (o: IstioObject, kind: string, namespace: string, name: string): boolean =>
      o.kind === kind && (o.metadata.namespace ?? 'default') === namespace && o.metadata.name === name;
    writeAll([...objects, ...deployments]);
    return Promise.resolve({
      store: new ManifestStore({ paths: [join(file, '..')] }),
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
  };
}

storeContract(
  'manifests',
  manifestsIn({
    fileName: 'routing.yaml',
    write: (docs) => docs.map((d) => `# document\n${stringify(d)}`).join('---\n'),
    read: (text) => parseAllDocuments(text).map((d) => d.toJS() as IstioObject),
  }),
);

// The same contract over one JSON file holding a `kind: List` (JSON in, JSON out; List items as objects).
storeContract(
  'manifests (JSON List)',
  manifestsIn({
    fileName: 'routing.json',
    write: (items) => `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items }, null, 4)}\n`,
    read: (text) => (JSON.parse(text) as { items: IstioObject[] }).items,
  }),
);
