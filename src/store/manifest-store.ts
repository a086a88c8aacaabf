import fs from 'node:fs';
import path from 'node:path';
import { Composer, isMap, isNode, isSeq, Parser } from 'yaml';
import type { DestinationRule, IstioObject, VirtualService } from '../domain/istio.js';
import { clone } from '../domain/istio.js';
import { matchesSelector } from '../domain/label-selector.js';
import type { RoutingState, ServiceInfo, Workload } from '../domain/state.js';
import { ConflictError, ManifestError } from '../errors.js';
import { lockFile, replaceFileLocked } from './file-lock.js';
import { jsonObjects, JsonSyntaxError, replaceJsonValue } from './manifest-json.js';
import type { FilePreview, ReadQuery, RouteStore, WriteOptions } from './route-store.js';
import { editDocumentSource, PARSE_OPTIONS, YamlEditError } from './yaml-edit.js';

/** Options of {@link ManifestStore}. */
export interface ManifestStoreOptions {
  /**
   * Manifest files and folders (`--manifests`, repeatable). Folders are walked recursively for files
   * ending in `.yaml`, `.yml` or `.json`; a file given by name is read whatever its extension (as JSON
   * when it ends in `.json`, else as YAML).
   */
  readonly paths: readonly string[];
}

/** One file as last read or written by the store. */
interface FileState {
  readonly format: 'yaml' | 'json';
  readonly text: string;
  /** YAML: each document's text range `[start, end)` (the first from 0, each up to the next's start). */
  readonly docs: readonly (readonly [number, number])[];
}

/** Where an object was found in the last read. */
interface Location {
  readonly file: string;
  /** Index of the YAML document in the file (counting empty documents); 0 for JSON. */
  readonly index: number;
  /** Path of the object in the document: `[]`, or `['items', i]` for an item of a `kind: List`. */
  readonly path: readonly (string | number)[];
  readonly line: number;
  /** Whether the object has its own `metadata.namespace` (else it is in the read's namespace). */
  readonly namespaced: boolean;
}

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet', 'ReplicaSet']);
const ISTIO_KINDS = new Set(['VirtualService', 'DestinationRule']);
const MANIFEST_FILE = /\.(?:ya?ml|json)$/i;
const JSON_FILE = /\.json$/i;

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

/** `metadata.namespace` when set, else `fallback` (the `-n` namespace, as with `kubectl apply -n`). */
function namespaceOf(metadata: PlainObject, fallback: string): string {
  const ns = metadata['namespace'];
  return typeof ns === 'string' && ns !== '' ? ns : fallback;
}

function hasOwnNamespace(metadata: PlainObject): boolean {
  const ns = metadata['namespace'];
  return typeof ns === 'string' && ns !== '';
}

/** Label values as strings (`version: 1` in YAML is a number, Kubernetes would reject it anyway). */
function labelsOf(value: unknown): Record<string, string> {
  const labels: Record<string, string> = {};
  if (isPlainObject(value)) for (const [k, v] of Object.entries(value)) labels[k] = String(v);
  return labels;
}

/** 1-based line numbers of offsets in one text, in O(log lines) each after an O(length) scan. */
function lineIndex(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

function isIstioNetworking(apiVersion: unknown): boolean {
  return typeof apiVersion === 'string' && apiVersion.split('/')[0] === 'networking.istio.io';
}

/**
 * Ready pods of a Deployment, StatefulSet or ReplicaSet: with a `status`, `status.readyReplicas`
 * (absent: 0, as the API server omits it when no pod is ready); without one (a manifest not yet
 * applied), `spec.replicas` (default 1).
 */
function readyReplicas(value: PlainObject): number {
  const status = value['status'];
  if (isPlainObject(status)) return typeof status['readyReplicas'] === 'number' ? status['readyReplicas'] : 0;
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
 * `.yaml`/`.yml`/`.json` files (recursively, following symlinks, without loops) sorted by path. A file named
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
        else if (isFile && MANIFEST_FILE.test(entry.name)) found.push(full);
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
    throw new ManifestError(`${file}: not valid UTF-8 (manifest files must be UTF-8)`, { cause: error });
  }
}

/** One object found in a file, with where it is. */
interface Found {
  readonly value: PlainObject;
  readonly index: number;
  readonly path: readonly (string | number)[];
  readonly offset: number;
}

/**
 * Parses a file into its objects (a document's root mapping, or each mapping item of a `kind: List`)
 * and its document ranges. YAML is parsed with merge keys (`<<`) as Kubernetes reads them.
 * @throws ManifestError `file:line:col: message` on a syntax error, `file:line: message` on an
 *   unresolvable alias.
 */
function parseFile(file: string, text: string, lineOf: (offset: number) => number): { state: FileState; found: Found[] } {
  const found: Found[] = [];
  const addObject = (value: unknown, index: number, offset: number, itemOffset: (i: number) => number): void => {
    if (!isPlainObject(value)) return;
    if (value['kind'] === 'List' && Array.isArray(value['items'])) {
      value['items'].forEach((item: unknown, i) => {
        if (isPlainObject(item)) found.push({ value: item, index, path: ['items', i], offset: itemOffset(i) });
      });
      return;
    }
    found.push({ value, index, path: [], offset });
  };
  if (JSON_FILE.test(file)) {
    let objects;
    try {
      objects = jsonObjects(text);
    } catch (error) {
      if (error instanceof JsonSyntaxError) {
        const line = lineOf(error.offset);
        const col = error.offset - text.lastIndexOf('\n', error.offset - 1);
        throw new ManifestError(`${file}:${line}:${col}: ${error.message}`, { cause: error });
      }
      throw error;
    }
    for (const o of objects) found.push({ value: o.value as PlainObject, index: 0, path: o.path, offset: o.offset });
    return { state: { format: 'json', text, docs: [] }, found };
  }
  // Documents are composed and converted one at a time, so that only one document's syntax tree is
  // in memory at once (parseAllDocuments would hold every document of a 10 MB file).
  const ranges: [number, number][] = [];
  const composer = new Composer(PARSE_OPTIONS);
  let index = 0;
  for (const doc of composer.compose(new Parser().parse(text))) {
    const error = doc.errors[0];
    if (error) {
      const line = lineOf(error.pos[0]);
      const col = error.pos[0] - text.lastIndexOf('\n', error.pos[0] - 1);
      const message = (error.message.split('\n')[0] ?? error.message).replace(/ at line \d+, column \d+:?$/, '');
      throw new ManifestError(`${file}:${line}:${col}: ${message}`, { cause: error });
    }
    const previous = ranges[index - 1];
    if (previous) previous[1] = doc.range[0];
    ranges.push([index === 0 ? 0 : doc.range[0], text.length]);
    if (isMap(doc.contents)) {
      const offset = doc.contents.range[0];
      let value: unknown;
      try {
        value = doc.toJS();
      } catch (error) {
        throw new ManifestError(`${file}:${lineOf(offset)}: ${errorText(error)}`, { cause: error });
      }
      const items = doc.contents.get('items', true);
      addObject(value, index, offset, (i) => {
        const item: unknown = isSeq(items) ? items.items[i] : undefined;
        return isNode(item) && item.range ? item.range[0] : offset;
      });
    }
    index++;
  }
  return { state: { format: 'yaml', text, docs: ranges }, found };
}

/**
 * A {@link RouteStore} over YAML and JSON manifest files (`--manifests`), for GitOps repositories and tests.
 *
 * `read` parses every file afresh and remembers each file's exact text and where each document is;
 * `write` edits the one document (or List item) that holds the object, keeps every other byte of the
 * file (other documents, `---` separators, comments, key order, quoting; a JSON file stays JSON with
 * its indentation) and replaces the file atomically under a per-file lock, but only when the file
 * still holds the text that was read (or that this store last wrote): otherwise it throws
 * {@link ConflictError} and the use case reads again. Cost is linear in the size of the files.
 *
 * Conventions (design "Namespaces in manifest mode"): a document without `metadata.namespace` is in
 * the namespace of the read (`-n`, as with `kubectl apply -n`) and is written back without one; the
 * items of a `kind: List` are objects like any other; documents of other kinds, empty documents and
 * documents that are not mappings are ignored. Readiness (design rule 4) comes from the Services,
 * Deployments, StatefulSets, ReplicaSets and Pods of the manifests.
 */
export class ManifestStore implements RouteStore {
  /** Always `manifests`: readiness is a warning only and no propagation wait is needed. */
  readonly kind = 'manifests' as const;
  readonly #paths: readonly string[];
  /** Each file as last read or written by this store. */
  #files = new Map<string, FileState>();
  /** Every VirtualService and DestinationRule of the last read, by kind, namespace and name. */
  #objects = new Map<string, Location[]>();
  /** The namespace of the last read: the namespace of documents without one. */
  #namespace = 'default';
  /** Real paths of files whose write met a conflict: the next read takes their locks first. */
  #contended = new Set<string>();
  /** Locks held from a read to the writes that follow it, by real path. */
  #held = new Map<string, () => Promise<void>>();
  #idle: NodeJS.Timeout | undefined;

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
   * `query.namespace` whose own labels match `query.labelSelector`; with `query.subsetUsers`, every
   * VirtualService of every namespace in the files (scope `all-namespaces`); with readiness, the
   * namespace's Services (`kind: Service`, `apiVersion: v1`) and workloads. The objects are plain deep
   * copies, as written in the files (no namespace is added).
   * @throws ManifestError when a path is missing, a file cannot be read or does not parse
   *   (`file:line:col: message`), or a returned object is defined twice or lacks `metadata.name`/`spec`.
   */
  async read(query: ReadQuery): Promise<RoutingState> {
    await this.#releaseLocks();
    // After a conflict, pipelines take turns: the re-read happens under the file's lock, held until
    // the writes that follow (or a few seconds of idleness), so the retry cannot conflict again.
    for (const target of [...this.#contended].sort()) {
      if (!fs.existsSync(target)) continue;
      this.#held.set(target, await lockFile(target));
    }
    this.#contended.clear();
    if (this.#held.size > 0) this.#releaseWhenIdle();
    const files = new Map<string, FileState>();
    const objects = new Map<string, Location[]>();
    const virtualServices: VirtualService[] = [];
    const destinationRules: DestinationRule[] = [];
    const users: VirtualService[] = [];
    const returned: { key: string; description: string }[] = [];
    const services: ServiceInfo[] = [];
    const workloads: Workload[] = [];
    const readiness = query.readiness;

    for (const file of listManifestFiles(this.#paths)) {
      const text = readText(file);
      const lineOf = lineIndex(text);
      const { state, found } = parseFile(file, text, lineOf);
      files.set(file, state);
      for (const { value, index, path: at, offset } of found) {
        const kind = value['kind'];
        if (typeof kind !== 'string') continue;
        const metadata = isPlainObject(value['metadata']) ? value['metadata'] : {};
        const namespace = namespaceOf(metadata, query.namespace);
        const line = lineOf(offset);

        if (ISTIO_KINDS.has(kind) && isIstioNetworking(value['apiVersion'])) {
          const name = metadata['name'];
          const valid = typeof name === 'string' && name !== '' && isPlainObject(value['spec']);
          if (typeof name === 'string') {
            const key = objectKey(kind, namespace, name);
            const location: Location = { file, index, path: at, line, namespaced: hasOwnNamespace(metadata) };
            objects.set(key, [...(objects.get(key) ?? []), location]);
          }
          const selected = namespace === query.namespace && matchesSelector(query.labelSelector, labelsOf(metadata['labels']));
          if (selected) {
            if (typeof name !== 'string' || name === '') {
              throw new ManifestError(`${file}:${line}: ${kind} without metadata.name`);
            }
            if (!isPlainObject(value['spec'])) {
              throw new ManifestError(`${file}:${line}: ${kind} ${namespace}/${name} has no spec mapping`);
            }
            returned.push({ key: objectKey(kind, namespace, name), description: `${kind} ${namespace}/${name}` });
            if (kind === 'VirtualService') virtualServices.push(value as VirtualService);
            else destinationRules.push(value as DestinationRule);
          }
          if (query.subsetUsers && kind === 'VirtualService' && valid) users.push(value as VirtualService);
          continue;
        }

        if (readiness.kind === 'none' || namespace !== query.namespace) continue;
        const name = typeof metadata['name'] === 'string' ? metadata['name'] : `(${file}:${line})`;
        if (kind === 'Service' && value['apiVersion'] === 'v1') {
          const spec = isPlainObject(value['spec']) ? value['spec'] : {};
          const selector = isPlainObject(spec['selector']) ? labelsOf(spec['selector']) : undefined;
          services.push({ namespace, name, selector });
          continue;
        }
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
        if (workload === undefined) continue;
        if (readiness.kind === 'pods') {
          const labels = workload.podLabels;
          if (!Object.entries(readiness.podSelector).every(([k, v]) => labels[k] === v)) continue;
        }
        workloads.push(workload);
      }
    }

    for (const { key, description } of returned) {
      const locations = objects.get(key) ?? [];
      if (locations.length > 1) {
        const where = locations.map((l) => `${l.file}:${l.line}`).join(', ');
        throw new ManifestError(`${description} is defined more than once: ${where}`);
      }
    }
    this.#files = files;
    this.#objects = objects;
    this.#namespace = query.namespace;
    return {
      namespace: query.namespace,
      virtualServices,
      destinationRules,
      ...(query.subsetUsers ? { subsetUsers: { virtualServices: users, scope: 'all-namespaces' as const } } : {}),
      services: readiness.kind === 'none' ? [] : services,
      readiness: readiness.kind === 'none' ? { source: 'none', workloads: [] } : { source: 'manifests', workloads },
    };
  }

  /**
   * Writes `object` (a changed copy of an object returned by the last `read`) back into its document
   * or List item, editing only what changed (see `yaml-edit.ts`, `manifest-json.ts`). Under the file's
   * lock, the file must still hold the text that was read (or last written by this store); it is then
   * replaced atomically (temporary file in the same folder, fsync, rename), keeping its mode and owner.
   * With `serverDryRun` everything happens except writing the file. Writing a value equal to the
   * current one leaves the file untouched.
   * @returns a copy of `object`.
   * @throws ConflictError when the file changed (or disappeared) since it was read or last written by
   *   this store; ManifestError when the object was not read, is defined twice, the edit falls inside
   *   a node shared through a YAML anchor (`file:line: ...`), or the file cannot be written (read-only,
   *   permission denied, no temporary file possible in its folder, owner cannot be kept).
   */
  async write(object: IstioObject, options: WriteOptions): Promise<IstioObject> {
    const { file, before, after } = this.#edit(this.#files, object);
    const description = describe(object, this.#namespace);
    if (options.serverDryRun || after.text === before.text) {
      // Nothing to write; as with a resourceVersion precondition, a change since the read is a conflict.
      let current: string | undefined;
      try {
        current = fs.readFileSync(file, 'utf8');
      } catch {
        current = undefined;
      }
      if (current === undefined) {
        throw new ConflictError(`${file} was removed since it was read; ${description} was not written`);
      }
      if (current !== before.text) {
        this.#contended.add(fs.realpathSync(file));
        throw new ConflictError(`${file} changed since it was read; ${description} was not written`);
      }
    } else {
      let target: string;
      try {
        target = fs.realpathSync(file);
      } catch (error) {
        if (errorCode(error) === 'ENOENT') {
          throw new ConflictError(`${file} was removed since it was read; ${description} was not written`, { cause: error });
        }
        throw new ManifestError(`cannot write ${file}: ${errorText(error)}`, { cause: error });
      }
      let mode = 0o644;
      try {
        mode = fs.statSync(target).mode & 0o7777;
        fs.accessSync(target, fs.constants.W_OK);
      } catch (error) {
        throw new ManifestError(`cannot write ${file}: ${errorCode(error) ?? errorText(error)}`, { cause: error });
      }
      if ((mode & 0o222) === 0) {
        throw new ManifestError(`cannot write ${file}: the file is read-only (mode ${mode.toString(8).padStart(4, '0')})`);
      }
      const locked = this.#held.has(target);
      try {
        await replaceFileLocked(
          target,
          (current) => {
            if (current !== before.text) {
              throw new ConflictError(`${file} changed since it was read; ${description} was not written`);
            }
            return after.text;
          },
          file,
          locked,
        );
      } catch (error) {
        if (error instanceof ConflictError) this.#contended.add(target);
        throw error;
      }
      if (locked) this.#releaseWhenIdle();
      this.#files.set(file, after);
    }
    return clone(object);
  }

  /**
   * Releases the file locks this store still holds (taken by a read after a conflict). Call it when
   * done; a process exit releases them too, but not under every runtime.
   */
  async close(): Promise<void> {
    await this.#releaseLocks();
  }

  /** Releases the locks taken by the last read. */
  async #releaseLocks(): Promise<void> {
    if (this.#idle !== undefined) clearTimeout(this.#idle);
    this.#idle = undefined;
    const releases = [...this.#held.values()];
    this.#held.clear();
    await Promise.all(releases.map((release) => release()));
  }

  /** Releases held locks after 5 s without a write (a use case writes right after it reads). */
  #releaseWhenIdle(): void {
    if (this.#idle !== undefined) clearTimeout(this.#idle);
    this.#idle = setTimeout(() => void this.#releaseLocks(), 5000);
    this.#idle.unref();
  }

  /**
   * The files as {@link write} would leave them after writing `objects` in order (nothing is written).
   * Files that would not change are left out.
   * @throws ManifestError as {@link write} does.
   */
  async previewFiles(objects: readonly IstioObject[]): Promise<readonly FilePreview[]> {
    await Promise.resolve();
    const files = new Map(this.#files);
    const first = new Map<string, string>();
    for (const object of objects) {
      const { file, before, after } = this.#edit(files, object);
      if (!first.has(file)) first.set(file, before.text);
      files.set(file, after);
    }
    const previews: FilePreview[] = [];
    for (const [file, before] of first) {
      const after = files.get(file)?.text ?? before;
      if (after !== before) previews.push({ path: file, before, after });
    }
    return previews;
  }

  /** Computes the new state of the file holding `object` from `files` (no I/O). */
  #edit(files: ReadonlyMap<string, FileState>, object: IstioObject): { file: string; before: FileState; after: FileState } {
    const metadata: PlainObject = isPlainObject(object.metadata) ? object.metadata : {};
    const namespace = namespaceOf(metadata, this.#namespace);
    const description = describe(object, this.#namespace);
    const locations = this.#objects.get(objectKey(object.kind, namespace, String(metadata['name'])));
    const location = locations?.[0];
    if (locations === undefined || location === undefined) {
      throw new ManifestError(`${description} is not in the manifests that were read`);
    }
    if (locations.length > 1) {
      const where = locations.map((l) => `${l.file}:${l.line}`).join(', ');
      throw new ManifestError(`${description} is defined more than once: ${where}`);
    }
    const { file, index, path: at } = location;
    const before = files.get(file);
    if (before === undefined) throw new ManifestError(`${description} is not in the manifests that were read`);
    // A document without namespace stays without one (it is applied with `-n`).
    let value: unknown = object;
    if (!location.namespaced && hasOwnNamespace(metadata)) {
      const rest = { ...metadata };
      delete rest['namespace'];
      value = { ...object, metadata: rest };
    }
    if (before.format === 'json') {
      try {
        const text = replaceJsonValue(before.text, at, value);
        return { file, before, after: { ...before, text } };
      } catch (error) {
        throw new ManifestError(`${file}:${location.line}: cannot write ${description}: ${errorText(error)}`, { cause: error });
      }
    }
    const range = before.docs[index];
    if (range === undefined) throw new ManifestError(`${file}: cannot write ${description}: document ${index + 1} not found`);
    const [start, end] = range;
    const source = before.text.slice(start, end);
    let edited: string;
    try {
      edited = editDocumentSource(source, value, { path: at });
    } catch (error) {
      const line = error instanceof YamlEditError ? lineIndex(before.text)(start + error.offset) : location.line;
      throw new ManifestError(`${file}:${line}: cannot write ${description}: ${errorText(error)}`, { cause: error });
    }
    if (edited === source) return { file, before, after: before };
    const delta = edited.length - source.length;
    const text = before.text.slice(0, start) + edited + before.text.slice(end);
    const docs = before.docs.map(([s, e], k): readonly [number, number] =>
      k < index ? [s, e] : k === index ? [s, e + delta] : [s + delta, e + delta],
    );
    return { file, before, after: { format: 'yaml', text, docs } };
  }
}

function describe(object: IstioObject, fallback: string): string {
  const metadata: PlainObject = isPlainObject(object.metadata) ? object.metadata : {};
  return `${object.kind} ${namespaceOf(metadata, fallback)}/${String(metadata['name'])}`;
}
