/**
 * In-memory object store with the API server's write semantics: global
 * integer resourceVersion, optimistic concurrency, generation tracking,
 * merge and JSON patches, dry runs and validation.
 *
 * Objects are stored once per resource type, independent of the version they
 * were written through; reads rewrite `apiVersion` to the requested version.
 *
 * @module
 */
import { randomBytes, randomUUID } from 'node:crypto';
import {
  applyJsonPatch,
  applyMergePatch,
  cloneJson,
  isJsonObject,
  jsonEqual,
  PatchApplyError,
  PatchFormatError,
  type JsonObject,
  type JsonValue,
} from './patch.js';
import { apiVersionOf, type ResourceDef } from './resources.js';
import {
  alreadyExists,
  badRequest,
  conflict,
  invalid,
  notFound,
  StatusError,
  type KubeStatus,
  type StatusCause,
} from './status.js';
import { validateMetadata, type WebhookRules } from './validation.js';

/** Options shared by every write. */
export interface WriteOptions {
  /** `?dryRun=All`: validate and answer, but store nothing and keep the resourceVersion. */
  readonly dryRun: boolean;
}

/** Patch content types the store understands. */
export type PatchType = 'application/merge-patch+json' | 'application/json-patch+json';

function metadataOf(obj: JsonObject): JsonObject {
  const meta = obj['metadata'];
  if (isJsonObject(meta)) return meta;
  const fresh: JsonObject = {};
  obj['metadata'] = fresh;
  return fresh;
}

function stringField(obj: JsonObject, key: string): string | undefined {
  const value = obj[key];
  return typeof value === 'string' ? value : undefined;
}

function timestamp(): string {
  return new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Everything but metadata and status: a change here bumps `metadata.generation`. */
function generationRelevant(obj: JsonObject): JsonObject {
  const rest = { ...obj };
  delete rest['metadata'];
  delete rest['status'];
  delete rest['apiVersion'];
  return rest;
}

/** Type of a watch event caused by a stored change. */
export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

/**
 * One stored change, in the order of `resourceVersion`. `object` is the
 * object after the change (for DELETED: the last state, carrying the
 * resourceVersion of the deletion, as the API server sends it).
 */
export interface StoreChange {
  readonly type: ChangeType;
  readonly def: ResourceDef;
  readonly object: JsonObject;
  /** The global resourceVersion this change produced. */
  readonly revision: number;
}

/** Storage and write logic for the server. */
export class ObjectStore {
  private revision = 0;
  private readonly objects = new Map<string, JsonObject>();
  private readonly history: StoreChange[] = [];
  private readonly listeners = new Set<(change: StoreChange) => void>();

  private readonly rules: WebhookRules;

  /** `rules`: the generation of Istio's webhook rules writes are checked against. */
  constructor(rules: WebhookRules = 'current') {
    this.rules = rules;
  }

  /** Calls `listener` after every stored change; returns the function that unsubscribes. */
  subscribe(listener: (change: StoreChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Changes of `def` with a revision above `after`, oldest first. */
  changesSince(def: ResourceDef, after: number): StoreChange[] {
    return this.history.filter((c) => c.def === def && c.revision > after);
  }

  /** Stores `obj` under a fresh resourceVersion and tells the listeners. */
  private put(def: ResourceDef, namespace: string, name: string, obj: JsonObject): void {
    const key = this.key(def, namespace, name);
    const type: ChangeType = this.objects.has(key) ? 'MODIFIED' : 'ADDED';
    metadataOf(obj)['resourceVersion'] = String(++this.revision);
    this.objects.set(key, cloneJson(obj));
    this.record({ type, def, object: cloneJson(obj), revision: this.revision });
  }

  private record(change: StoreChange): void {
    this.history.push(change);
    for (const listener of this.listeners) listener(change);
  }

  /** The current global resourceVersion (the last one handed out). */
  resourceVersion(): string {
    return String(this.revision);
  }

  private key(def: ResourceDef, namespace: string, name: string): string {
    return `${def.plural}/${namespace}/${name}`;
  }

  private withVersion(obj: JsonObject, def: ResourceDef, version: string | undefined): JsonObject {
    const copy = cloneJson(obj);
    return version === undefined ? copy : { ...copy, apiVersion: apiVersionOf(def, version) };
  }

  /** A copy of one object, with `apiVersion` rewritten to `version` when given. */
  get(def: ResourceDef, namespace: string, name: string, version?: string): JsonObject | undefined {
    const obj = this.objects.get(this.key(def, namespace, name));
    return obj && this.withVersion(obj, def, version);
  }

  /** Copies of the objects of a type, optionally in one namespace, sorted by namespace then name. */
  list(def: ResourceDef, namespace?: string, version?: string): JsonObject[] {
    const prefix = namespace === undefined ? `${def.plural}/` : `${def.plural}/${namespace}/`;
    return [...this.objects.entries()]
      .filter(([key]) => key.startsWith(prefix))
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, obj]) => this.withVersion(obj, def, version));
  }

  /** Every namespace that holds at least one object. */
  namespaces(): string[] {
    const names = new Set<string>();
    for (const key of this.objects.keys()) names.add(key.split('/')[1] ?? '');
    return [...names].filter((n) => n !== '').sort();
  }

  /**
   * Stores an object without validation, filling in namespace (default
   * `default`), uid, creationTimestamp, generation, apiVersion and a fresh
   * resourceVersion. Replaces an existing object with the same name.
   */
  seed(def: ResourceDef, version: string, input: JsonObject): JsonObject {
    const obj = cloneJson(input);
    obj['apiVersion'] ??= apiVersionOf(def, version);
    obj['kind'] ??= def.kind;
    const meta = metadataOf(obj);
    const name = stringField(meta, 'name');
    if (!name) throw new Error(`cannot seed a ${def.kind} without metadata.name`);
    const namespace = stringField(meta, 'namespace') ?? 'default';
    meta['namespace'] = namespace;
    meta['uid'] ??= randomUUID();
    meta['creationTimestamp'] ??= timestamp();
    meta['generation'] ??= 1;
    this.put(def, namespace, name, obj);
    return cloneJson(obj);
  }

  /** Checks `apiVersion` and `kind` of a request body against the URL. */
  private checkTypeMeta(def: ResourceDef, version: string, obj: JsonObject): void {
    const kind = stringField(obj, 'kind');
    const apiVersion = stringField(obj, 'apiVersion');
    if (!kind) throw badRequest(`Object 'Kind' is missing in '${JSON.stringify(obj)}'`);
    if (!apiVersion) throw badRequest(`Object 'apiVersion' is missing in '${JSON.stringify(obj)}'`);
    const expected = apiVersionOf(def, version);
    if (apiVersion !== expected) {
      throw badRequest(`the API version in the data (${apiVersion}) does not match the expected API version (${expected})`);
    }
    if (kind !== def.kind) throw badRequest(`the kind in the data (${kind}) does not match the expected kind (${def.kind})`);
  }

  private checkNamespace(meta: JsonObject, namespace: string): void {
    const sent = meta['namespace'];
    if (sent !== undefined && sent !== '' && sent !== namespace) {
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    }
    meta['namespace'] = namespace;
  }

  private validate(def: ResourceDef, version: string, obj: JsonObject): void {
    const causes: StatusCause[] = [...validateMetadata(obj), ...(def.validate?.(obj, version, this.rules) ?? [])];
    if (causes.length > 0) throw invalid(def, stringField(metadataOf(obj), 'name') ?? '', causes);
  }

  /** POST: create a new object in `namespace`. */
  create(def: ResourceDef, version: string, namespace: string, body: JsonValue, options: WriteOptions): JsonObject {
    if (!isJsonObject(body)) throw badRequest('the request body must be a JSON object');
    this.checkTypeMeta(def, version, body);
    const obj = cloneJson(body);
    const meta = metadataOf(obj);
    this.checkNamespace(meta, namespace);
    const generateName = stringField(meta, 'generateName');
    if (!stringField(meta, 'name') && generateName) {
      meta['name'] = generateName + randomBytes(3).toString('hex').slice(0, 5);
    }
    const name = stringField(meta, 'name') ?? '';
    delete meta['resourceVersion'];
    meta['uid'] = randomUUID();
    meta['creationTimestamp'] = timestamp();
    meta['generation'] = 1;
    if (def.statusSubresource) delete obj['status'];
    // Like the API server: admission and validation run before the storage notices a duplicate.
    this.validate(def, version, obj);
    if (this.objects.has(this.key(def, namespace, name))) throw alreadyExists(def, name);
    if (!options.dryRun) this.put(def, namespace, name, obj);
    return obj;
  }

  /**
   * Shared tail of update and patch: carries the system fields over from the
   * stored object, validates, and stores unless it is a dry run or nothing
   * changed (the API server does not bump resourceVersion for no-op writes).
   */
  private commit(def: ResourceDef, version: string, current: JsonObject, next: JsonObject, options: WriteOptions): JsonObject {
    const meta = metadataOf(next);
    const currentMeta = metadataOf(current);
    meta['uid'] = currentMeta['uid'] ?? randomUUID();
    meta['creationTimestamp'] = currentMeta['creationTimestamp'] ?? timestamp();
    meta['resourceVersion'] = currentMeta['resourceVersion'] ?? '';
    const generation = typeof currentMeta['generation'] === 'number' ? currentMeta['generation'] : 1;
    meta['generation'] = jsonEqual(generationRelevant(current), generationRelevant(next)) ? generation : generation + 1;
    if (def.statusSubresource) {
      if (current['status'] === undefined) delete next['status'];
      else next['status'] = cloneJson(current['status']);
    }
    this.validate(def, version, next);
    if (jsonEqual(current, next)) return next;
    if (!options.dryRun) this.put(def, stringField(meta, 'namespace') ?? '', stringField(meta, 'name') ?? '', next);
    return next;
  }

  private existing(def: ResourceDef, version: string, namespace: string, name: string): JsonObject {
    const current = this.get(def, namespace, name, version);
    if (!current) throw notFound(def, name);
    return current;
  }

  /** Enforces that a body or patch result still names the object of the URL. */
  private checkIdentity(meta: JsonObject, namespace: string, name: string): void {
    const sentName = meta['name'];
    if (sentName !== undefined && sentName !== name) {
      throw badRequest(`the name of the object (${JSON.stringify(sentName)}) does not match the name on the URL (${name})`);
    }
    meta['name'] = name;
    this.checkNamespace(meta, namespace);
  }

  /**
   * PUT: replace an object. Like the API server for custom resources, the
   * body must carry `metadata.resourceVersion` (422 otherwise), and a stale
   * one is a 409 Conflict.
   */
  update(def: ResourceDef, version: string, namespace: string, name: string, body: JsonValue, options: WriteOptions): JsonObject {
    if (!isJsonObject(body)) throw badRequest('the request body must be a JSON object');
    this.checkTypeMeta(def, version, body);
    const next = cloneJson(body);
    const meta = metadataOf(next);
    this.checkIdentity(meta, namespace, name);
    const current = this.existing(def, version, namespace, name);
    const sentVersion = meta['resourceVersion'];
    if (sentVersion === undefined || sentVersion === '') {
      throw invalid(def, name, [
        { field: 'metadata.resourceVersion', message: 'Invalid value: 0x0: must be specified for an update' },
      ]);
    }
    if (sentVersion !== metadataOf(current)['resourceVersion']) throw conflict(def, name);
    return this.commit(def, version, current, next, options);
  }

  /**
   * PATCH with a merge patch or a JSON patch. A failing JSON patch operation
   * (including `test`) is a 422 Invalid, like the API server; a patched
   * `metadata.resourceVersion` that differs from the stored one is a 409 Conflict.
   */
  patch(
    def: ResourceDef,
    version: string,
    namespace: string,
    name: string,
    type: PatchType,
    patch: JsonValue,
    options: WriteOptions,
  ): JsonObject {
    const current = this.existing(def, version, namespace, name);
    let patched: JsonValue;
    try {
      patched = type === 'application/merge-patch+json' ? applyMergePatch(current, patch) : applyJsonPatch(current, patch);
    } catch (err) {
      if (err instanceof PatchFormatError) throw badRequest(err.message);
      if (err instanceof PatchApplyError) throw new StatusError(422, 'Invalid', err.message, {});
      throw err;
    }
    if (!isJsonObject(patched)) throw badRequest('the patched object is not a JSON object');
    this.checkTypeMeta(def, version, patched);
    const meta = metadataOf(patched);
    this.checkIdentity(meta, namespace, name);
    const sentVersion = meta['resourceVersion'];
    if (sentVersion !== undefined && sentVersion !== metadataOf(current)['resourceVersion']) throw conflict(def, name);
    return this.commit(def, version, current, patched, options);
  }

  /** DELETE, honouring `preconditions` (`uid`, `resourceVersion`) of a DeleteOptions body. */
  delete(def: ResourceDef, namespace: string, name: string, body: JsonValue | undefined, options: WriteOptions): KubeStatus {
    const current = this.get(def, namespace, name);
    if (!current) throw notFound(def, name);
    const meta = metadataOf(current);
    const preconditions = isJsonObject(body) && isJsonObject(body['preconditions']) ? body['preconditions'] : {};
    const wantVersion = preconditions['resourceVersion'];
    const storedVersion = stringField(meta, 'resourceVersion') ?? '';
    if (typeof wantVersion === 'string' && wantVersion !== storedVersion) {
      const why =
        `the ResourceVersion in the precondition (${wantVersion}) does not match ` +
        `the ResourceVersion in record (${storedVersion}). The object might have been modified`;
      throw conflict(def, name, why);
    }
    const wantUid = preconditions['uid'];
    const storedUid = stringField(meta, 'uid') ?? '';
    if (typeof wantUid === 'string' && wantUid !== storedUid) {
      const why =
        `the UID in the precondition (${wantUid}) does not match the UID in record (${storedUid}). ` +
        'The object might have been deleted and then recreated';
      throw conflict(def, name, why);
    }
    if (!options.dryRun) {
      this.objects.delete(this.key(def, namespace, name));
      meta['resourceVersion'] = String(++this.revision);
      this.record({ type: 'DELETED', def, object: current, revision: this.revision });
    }
    const uid = stringField(meta, 'uid');
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Success',
      details: { name, group: def.group, kind: def.plural, ...(uid ? { uid } : {}) },
      code: 200,
    };
  }
}
