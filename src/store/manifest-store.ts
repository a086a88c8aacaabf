import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments, isMap } from 'yaml';
import type { Document } from 'yaml';
import type { DestinationRule, IstioObject, VirtualService } from '../domain/istio.js';
import { clone } from '../domain/istio.js';
import { matchesSelector } from '../domain/label-selector.js';
import type { RoutingState, Workload } from '../domain/state.js';
import { ConflictError, ManifestError } from '../errors.js';
import type { ReadQuery, RouteStore, WriteOptions } from './route-store.js';
import { replaceDocumentValue } from './yaml-edit.js';

/** Options of {@link ManifestStore}. */
export interface ManifestStoreOptions {
  /**
   * Manifest files and folders (`--manifests`, repeatable). Folders are walked recursively for files
   * ending in `.yaml` or `.yml`; a file given by name is read whatever its extension.
   */
  readonly paths: readonly string[];
}

/** Where a VirtualService or DestinationRule was found in the last read. */
interface Location {
  readonly file: string;
  /** Index of the document in the file (counting empty documents). */
  readonly index: number;
  readonly line: number;
}

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'ReplicaSet']);
const ISTIO_KINDS = new Set(['VirtualService', 'DestinationRule']);
const YAML_FILE = /\.ya?ml$/i;

type PlainObject = Record<string, unknown>;

function isPlainObject(value: unknown): value is PlainObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function errorCode(error: unknown): string | undefined {
  return isPlainObject(error) && typeof error['code'] === 'string' ? error['code'] : undefined;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function objectKey(kind: string, namespace: string, name: string): string {
  return `${kind}\u0000${namespace}\u0000${name}`;
}

function namespaceOf(metadata: PlainObject): string {
  const ns = metadata['namespace'];
  return typeof ns === 'string' && ns !== '' ? ns : 'default';
}

/** Label values as strings (`version: 1` in YAML is a number, Kubernetes would reject it anyway). */
function labelsOf(value: unknown): Record<string, string> {
  const labels: Record<string, string> = {};
  if (isPlainObject(value)) for (const [k, v] of Object.entries(value)) labels[k] = String(v);
  return labels;
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

function isIstioNetworking(apiVersion: unknown): boolean {
  return typeof apiVersion === 'string' && apiVersion.split('/')[0] === 'networking.istio.io';
}

/** Ready pods of a Deployment, StatefulSet or ReplicaSet: `status.readyReplicas`, else `spec.replicas`, else 1. */
function readyReplicas(value: PlainObject): number {
  const status = value['status'];
  if (isPlainObject(status) && typeof status['readyReplicas'] === 'number') return status['readyReplicas'];
  const spec = value['spec'];
  if (isPlainObject(spec) && typeof spec['replicas'] === 'number') return spec['replicas'];
  return 1;
}

/** A Pod is ready when it has no `status` (a manifest) or a `Ready` condition with status `"True"`. */
function podReady(value: PlainObject): number {
  const status = value['status'];
  if (status === undefined || status === null) return 1;
  if (!isPlainObject(status) || !Array.isArray(status['conditions'])) return 0;
  const ready = status['conditions'].some(
    (c) => isPlainObject(c) && c['type'] === 'Ready' && String(c['status']) === 'True',
  );
  return ready ? 1 : 0;
}

/**
 * Lists the manifest files of `paths` in a stable order: each path in the order given, a folder's
 * `.yaml`/`.yml` files (recursively, following symlinks, without loops) sorted by path. A file named
 * twice is listed once.
 * @throws ManifestError naming a path that does not exist or cannot be read.
 */
export function listManifestFiles(paths: readonly string[]): string[] {
  const files: string[] = [];
  const seen = new Set<string>();
  const add = (file: string): void => {
    const key = path.resolve(file);
    if (!seen.has(key)) {
      seen.add(key);
      files.push(file);
    }
  };
  for (const given of paths) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(given);
    } catch (error) {
      if (errorCode(error) === 'ENOENT' || errorCode(error) === 'ENOTDIR') {
        throw new ManifestError(`manifest path ${given} does not exist`, { cause: error });
      }
      throw new ManifestError(`cannot read manifest path ${given}: ${errorText(error)}`, { cause: error });
    }
    if (!stat.isDirectory()) {
      add(given);
      continue;
    }
    const found: string[] = [];
    const visited = new Set<string>();
    const walk = (dir: string): void => {
      let real: string;
      let entries: fs.Dirent[];
      try {
        real = fs.realpathSync(dir);
        if (visited.has(real)) return;
        visited.add(real);
        entries = fs.readdirSync(dir, { withFileTypes: true });
      } catch (error) {
        throw new ManifestError(`cannot read manifest folder ${dir}: ${errorText(error)}`, { cause: error });
      }
      for (const entry of entries) {
        const full = path.join(dir, entry.name);
        let isDir = entry.isDirectory();
        let isFile = entry.isFile();
        if (entry.isSymbolicLink()) {
          try {
            const target = fs.statSync(full);
            isDir = target.isDirectory();
            isFile = target.isFile();
          } catch {
            continue; // dangling link
          }
        }
        if (isDir) walk(full);
        else if (isFile && YAML_FILE.test(entry.name)) found.push(full);
      }
    };
    walk(given);
    found.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    found.forEach(add);
  }
  return files;
}

function readText(file: string): string {
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(file);
  } catch (error) {
    throw new ManifestError(`cannot read manifest file ${file}: ${errorText(error)}`, { cause: error });
  }
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch (error) {
    throw new ManifestError(`${file}: not valid UTF-8 (YAML files must be UTF-8)`, { cause: error });
  }
}

function parseFile(file: string, text: string): Document.Parsed[] {
  const docs = [...parseAllDocuments(text)];
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) {
      const pos = error.linePos?.[0];
      const where = pos ? `${file}:${pos.line}:${pos.col}` : file;
      const message = (error.message.split('\n')[0] ?? error.message).replace(/ at line \d+, column \d+:?$/, '');
      throw new ManifestError(`${where}: ${message}`, { cause: error });
    }
  }
  return docs;
}

/**
 * A {@link RouteStore} over YAML manifest files (`--manifests`), for GitOps repositories and tests.
 *
 * `read` parses every file afresh and remembers each file's exact text; `write` edits the one
 * document that holds the object, keeps every other byte of the file (other documents, `---`
 * separators, comments, key order, quoting) and replaces the file atomically, but only when the file
 * still holds the text that was read (or that this store last wrote): otherwise it throws
 * {@link ConflictError} and the use case reads again.
 *
 * Conventions: a document without `metadata.namespace` is in namespace `default`; documents of other
 * kinds, empty documents and documents that are not mappings are ignored. Readiness (design rule 4)
 * comes from the Deployments, StatefulSets, ReplicaSets and Pods of the manifests.
 */
export class ManifestStore implements RouteStore {
  /** Always `manifests`: readiness is a warning only and no propagation wait is needed. */
  readonly kind = 'manifests' as const;
  readonly #paths: readonly string[];
  /** Each file's text as last read or written by this store. */
  #contents = new Map<string, string>();
  /** Every VirtualService and DestinationRule of the last read, by kind, namespace and name. */
  #objects = new Map<string, Location[]>();

  /**
   * @param options.paths files and folders; at least one.
   * @throws ManifestError when no path is given or a path does not exist.
   */
  constructor(options: ManifestStoreOptions) {
    if (options.paths.length === 0) throw new ManifestError('no manifest path given');
    this.#paths = [...options.paths];
    for (const given of this.#paths) {
      if (!fs.existsSync(given)) throw new ManifestError(`manifest path ${given} does not exist`);
    }
  }

  /**
   * Reads every manifest file afresh and returns the VirtualServices and DestinationRules of
   * `query.namespace` whose own labels match `query.labelSelector` (and, when asked, the namespace's
   * other VirtualServices), plus readiness facts. The objects are plain deep copies.
   * @throws ManifestError when a path is missing, a file cannot be read or is not valid YAML
   *   (`file:line:col: message`), or a returned object is defined twice or lacks `metadata.name`/`spec`.
   */
  async read(query: ReadQuery): Promise<RoutingState> {
    await Promise.resolve();
    const contents = new Map<string, string>();
    const objects = new Map<string, Location[]>();
    const virtualServices: VirtualService[] = [];
    const destinationRules: DestinationRule[] = [];
    const otherVirtualServices: VirtualService[] = [];
    const returned: { key: string; description: string }[] = [];
    const workloads: Workload[] = [];
    const readiness = query.readiness;

    for (const file of listManifestFiles(this.#paths)) {
      const text = readText(file);
      contents.set(file, text);
      parseFile(file, text).forEach((doc, index) => {
        if (!isMap(doc.contents)) return;
        const line = lineOf(text, doc.contents.range[0]);
        let value: unknown;
        try {
          value = doc.toJS();
        } catch (error) {
          throw new ManifestError(`${file}:${line}: ${errorText(error)}`, { cause: error });
        }
        if (!isPlainObject(value)) return;
        const kind = value['kind'];
        const metadata = isPlainObject(value['metadata']) ? value['metadata'] : {};
        const namespace = namespaceOf(metadata);
        if (typeof kind !== 'string') return;

        if (ISTIO_KINDS.has(kind) && isIstioNetworking(value['apiVersion'])) {
          const name = metadata['name'];
          if (typeof name === 'string') {
            const key = objectKey(kind, namespace, name);
            objects.set(key, [...(objects.get(key) ?? []), { file, index, line }]);
          }
          if (namespace !== query.namespace) return;
          const selected = matchesSelector(query.labelSelector, labelsOf(metadata['labels']));
          const other = !selected && query.subsetUsers && kind === 'VirtualService';
          if (!selected && !other) return;
          if (typeof name !== 'string' || name === '') {
            throw new ManifestError(`${file}:${line}: ${kind} without metadata.name`);
          }
          if (!isPlainObject(value['spec'])) {
            throw new ManifestError(`${file}:${line}: ${kind} ${namespace}/${name} has no spec mapping`);
          }
          returned.push({ key: objectKey(kind, namespace, name), description: `${kind} ${namespace}/${name}` });
          if (other) otherVirtualServices.push(value as VirtualService);
          else if (kind === 'VirtualService') virtualServices.push(value as VirtualService);
          else destinationRules.push(value as DestinationRule);
          return;
        }

        if (readiness.kind === 'none' || namespace !== query.namespace) return;
        const name = typeof metadata['name'] === 'string' ? metadata['name'] : `(${file}:${line})`;
        let workload: Workload | undefined;
        if (WORKLOAD_KINDS.has(kind)) {
          const spec = isPlainObject(value['spec']) ? value['spec'] : {};
          const template = isPlainObject(spec['template']) ? spec['template'] : {};
          const templateMeta = isPlainObject(template['metadata']) ? template['metadata'] : {};
          workload = {
            ref: `${kind} ${namespace}/${name}`,
            namespace,
            podLabels: labelsOf(templateMeta['labels']),
            readyPods: readyReplicas(value),
          };
        } else if (kind === 'Pod') {
          workload = {
            ref: `${kind} ${namespace}/${name}`,
            namespace,
            podLabels: labelsOf(metadata['labels']),
            readyPods: podReady(value),
          };
        }
        if (workload === undefined) return;
        if (readiness.kind === 'pods') {
          const labels = workload.podLabels;
          if (!Object.entries(readiness.podSelector).every(([k, v]) => labels[k] === v)) return;
        }
        workloads.push(workload);
      });
    }

    for (const { key, description } of returned) {
      const locations = objects.get(key) ?? [];
      if (locations.length > 1) {
        const where = locations.map((l) => `${l.file}:${l.line}`).join(', ');
        throw new ManifestError(`${description} is defined more than once: ${where}`);
      }
    }
    this.#contents = contents;
    this.#objects = objects;
    return {
      namespace: query.namespace,
      virtualServices,
      destinationRules,
      ...(query.subsetUsers ? { subsetUsers: { virtualServices: [...virtualServices, ...otherVirtualServices], scope: 'all-namespaces' as const } } : {}),
      services: [],
      readiness: readiness.kind === 'none' ? { source: 'none', workloads: [] } : { source: 'manifests', workloads },
    };
  }

  /**
   * Writes `object` (a changed copy of an object returned by the last `read`) back into its document,
   * editing only what changed (see `yaml-edit.ts`). With `serverDryRun` everything happens except
   * writing the file. Writing a value equal to the current one leaves the file untouched.
   * @returns a copy of `object`.
   * @throws ConflictError when the file changed (or disappeared) since it was read or last written by
   *   this store; ManifestError when the object was not read, is defined twice, or the file cannot be
   *   edited or written (read-only, permission denied).
   */
  async write(object: IstioObject, options: WriteOptions): Promise<IstioObject> {
    await Promise.resolve();
    const metadata = isPlainObject(object.metadata) ? object.metadata : { name: undefined };
    const namespace = namespaceOf(metadata);
    const description = `${object.kind} ${namespace}/${String(metadata['name'])}`;
    const locations = this.#objects.get(objectKey(object.kind, namespace, String(metadata['name'])));
    const location = locations?.[0];
    if (locations === undefined || location === undefined) {
      throw new ManifestError(`${description} is not in the manifests that were read`);
    }
    if (locations.length > 1) {
      const where = locations.map((l) => `${l.file}:${l.line}`).join(', ');
      throw new ManifestError(`${description} is defined more than once: ${where}`);
    }
    const { file, index } = location;
    const expected = this.#contents.get(file);
    const current = this.#currentText(file, description);
    if (current !== expected) {
      throw new ConflictError(`${file} changed since it was read; ${description} was not written`);
    }
    let next: string;
    try {
      next = replaceDocumentValue(current, index, object);
    } catch (error) {
      throw new ManifestError(`${file}: cannot write ${description}: ${errorText(error)}`, { cause: error });
    }
    if (!options.serverDryRun && next !== current) {
      this.#replaceFile(file, current, next, description);
      this.#contents.set(file, next);
    }
    return clone(object);
  }

  #currentText(file: string, description: string): string {
    if (!fs.existsSync(file)) {
      throw new ConflictError(`${file} was removed since it was read; ${description} was not written`);
    }
    return readText(file);
  }

  /** Replaces `file` by `text` atomically (temp file in the same folder, then rename), keeping its mode. */
  #replaceFile(file: string, expected: string, text: string, description: string): void {
    let target: string;
    let mode: number;
    try {
      target = fs.realpathSync(file);
      mode = fs.statSync(target).mode & 0o7777;
    } catch (error) {
      throw new ManifestError(`cannot write ${file}: ${errorText(error)}`, { cause: error });
    }
    if ((mode & 0o222) === 0) {
      throw new ManifestError(`cannot write ${file}: the file is read-only (mode ${mode.toString(8).padStart(4, '0')})`);
    }
    try {
      fs.accessSync(target, fs.constants.W_OK);
    } catch (error) {
      throw new ManifestError(`cannot write ${file}: ${errorText(error)}`, { cause: error });
    }
    const temp = path.join(
      path.dirname(target),
      `.${path.basename(target)}.istiops-${process.pid}-${randomBytes(4).toString('hex')}.tmp`,
    );
    let tempCreated = false;
    try {
      try {
        fs.writeFileSync(temp, text, { encoding: 'utf8', flag: 'wx', mode });
        tempCreated = true;
      } catch (error) {
        const code = errorCode(error);
        if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS') throw error;
        // The folder refuses new files but the file itself is writable: write it in place.
        if (this.#currentText(file, description) !== expected) {
          throw new ConflictError(`${file} changed since it was read; ${description} was not written`);
        }
        fs.writeFileSync(target, text, 'utf8');
        return;
      }
      fs.chmodSync(temp, mode);
      if (this.#currentText(file, description) !== expected) {
        throw new ConflictError(`${file} changed since it was read; ${description} was not written`);
      }
      fs.renameSync(temp, target);
      tempCreated = false;
    } catch (error) {
      if (error instanceof ConflictError || error instanceof ManifestError) throw error;
      throw new ManifestError(`cannot write ${file}: ${errorText(error)}`, { cause: error });
    } finally {
      if (tempCreated) fs.rmSync(temp, { force: true });
    }
  }
}
