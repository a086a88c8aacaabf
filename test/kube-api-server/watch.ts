/**
 * Watch streams of the test server: newline-delimited JSON events
 * (`{"type":"ADDED|MODIFIED|DELETED|BOOKMARK|ERROR","object":{...}}`) on a
 * 200 response that stays open, as the Kubernetes API server sends them for
 * `?watch=1`.
 *
 * @module
 */
import type { ServerResponse } from 'node:http';
import { isJsonObject, type JsonObject, type JsonValue } from './patch.js';
import { apiVersionOf, type ResourceDef } from './resources.js';
import { StatusError, type KubeStatus } from './status.js';
import type { ObjectStore, StoreChange } from './store.js';

/** What one watch follows. */
export interface WatchRequest {
  readonly def: ResourceDef;
  /** Version of the URL; events carry `apiVersion` of this version. */
  readonly version: string;
  /** Undefined for a watch across namespaces. */
  readonly namespace?: string;
  /** The label and field selectors of the request. */
  readonly matches: (obj: JsonObject) => boolean;
  /** The `resourceVersion` parameter: `""` or `"0"` start with ADDED events for every current object. */
  readonly resourceVersion: string;
  /** `allowWatchBookmarks=true` */
  readonly bookmarks: boolean;
  /** `timeoutSeconds`; 0 for none. */
  readonly timeoutSeconds: number;
}

interface OpenWatch {
  readonly bookmarks: boolean;
  bookmark(): void;
  destroy(): void;
}

/** The open watches of one server. */
export class WatchHub {
  private readonly store: ObjectStore;
  private readonly open = new Set<OpenWatch>();
  private readonly waiters: { count: number; resolve: () => void }[] = [];

  constructor(store: ObjectStore) {
    this.store = store;
  }

  /** Number of open streams. */
  get size(): number {
    return this.open.size;
  }

  /**
   * Answers `res` with a stream of events for `request`: first the current
   * objects (as ADDED) or the stored changes after `resourceVersion`, then
   * every change as it is stored. With `gone`, answers instead a single
   * ERROR event carrying a 410 Expired Status and ends the stream. Throws
   * a 400 {@link StatusError} for a `resourceVersion` that is not a number.
   */
  start(res: ServerResponse, request: WatchRequest, gone: boolean): void {
    const { def, version, namespace, matches, resourceVersion: sent } = request;
    const fromScratch = sent === '' || sent === '0';
    if (!fromScratch && !/^\d+$/.test(sent)) throw new StatusError(400, 'BadRequest', `invalid resource version: ${sent}`);
    const visible = (change: StoreChange): boolean => {
      const meta = isJsonObject(change.object['metadata']) ? change.object['metadata'] : {};
      return change.def === def && (namespace === undefined || meta['namespace'] === namespace) && matches(change.object);
    };
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    const write = (type: string, object: JsonValue | KubeStatus): void => {
      res.write(`${JSON.stringify({ type, object })}\n`);
    };
    const event = (type: string, object: JsonObject): void => write(type, { ...object, apiVersion: apiVersionOf(def, version) });
    if (gone) {
      write('ERROR', expired(sent, this.store.resourceVersion()).status);
      res.end();
      return;
    }
    if (fromScratch) {
      for (const obj of this.store.list(def, namespace, version).filter(matches)) event('ADDED', obj);
    } else {
      for (const change of this.store.changesSince(def, Number(sent)).filter(visible)) event(change.type, change.object);
    }
    const unsubscribe = this.store.subscribe((change) => {
      if (visible(change)) event(change.type, change.object);
    });
    const timer = request.timeoutSeconds > 0 ? setTimeout(() => res.end(), request.timeoutSeconds * 1000) : undefined;
    const watch: OpenWatch = {
      bookmarks: request.bookmarks,
      bookmark: () => write('BOOKMARK', { kind: def.kind, apiVersion: apiVersionOf(def, version), metadata: { resourceVersion: this.store.resourceVersion() } }),
      destroy: () => res.socket?.destroy(),
    };
    this.open.add(watch);
    res.once('close', () => {
      unsubscribe();
      if (timer) clearTimeout(timer);
      this.open.delete(watch);
    });
    for (const waiter of this.waiters.filter((w) => this.open.size >= w.count)) {
      this.waiters.splice(this.waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  }

  /** Resolves once at least `count` streams are open. */
  waitFor(count: number): Promise<void> {
    if (this.open.size >= count) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ count, resolve }));
  }

  /** A BOOKMARK with the current resourceVersion to every stream that allows bookmarks. */
  sendBookmarks(): void {
    for (const watch of this.open) if (watch.bookmarks) watch.bookmark();
  }

  /** Destroys the connection of every open stream. */
  dropAll(): void {
    for (const watch of [...this.open]) watch.destroy();
  }
}

/** The 410 Expired the API server answers for a watch from a compacted resourceVersion. */
export function expired(sent: string, current: string): StatusError {
  return new StatusError(410, 'Expired', `too old resource version: ${sent} (${current})`);
}
