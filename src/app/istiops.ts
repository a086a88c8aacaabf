import { setTimeout as delay } from 'node:timers/promises';
import { ConflictError, IstiopsError, PartialWriteError, TransientError, UsageError } from '../errors.js';
import type { Change, Plan } from '../domain/changes.js';
import { describeObject } from '../domain/istio.js';
import { parseLabelSelector, type LabelSelector } from '../domain/label-selector.js';
import { narrowState } from '../domain/narrow.js';
import { planClear } from '../domain/plan-clear.js';
import { planRollback } from '../domain/plan-rollback.js';
import { planShift } from '../domain/plan-shift.js';
import { planFault, planFaultRemove } from '../domain/plan-fault.js';
import { planMirror, planMirrorRemove } from '../domain/plan-mirror.js';
import type { ClearRequest, FaultRemoveRequest, FaultRequest, MirrorRemoveRequest, MirrorRequest, RollbackRequest, ShiftRequest } from '../domain/requests.js';
import { buildTrafficReport, type TrafficReport } from '../domain/show.js';
import type { RoutingState } from '../domain/state.js';
import type { ReadQuery, ReadinessQuery, RouteStore } from '../store/route-store.js';
import { checkSubsetReferences, validateSchema } from './validate.js';

/** Which objects a command works on: a namespace and a label selector (text or parsed). */
export interface Selection {
  readonly namespace: string;
  readonly labelSelector: LabelSelector | string;
}

/** How a mutating command runs. */
export interface RunOptions {
  /** `client`: plan only, write nothing. `server`: send the writes with `dryRun=All`. Default `none`. */
  readonly dryRun?: 'none' | 'client' | 'server';
  /** Send weighted traffic to a subset with no ready pods against a cluster (design rule 5). */
  readonly force?: boolean;
}

/** Something the use case reports while it works (retries, waits); the CLI prints these on stderr. */
export type ProgressEvent =
  | { readonly kind: 'retry'; readonly attempt: number; readonly delayMs: number; readonly reason: string }
  | { readonly kind: 'propagation-wait'; readonly delayMs: number }
  /** `object` (`Kind namespace/name`) was written; `changes` are the plan's changes of that object. */
  | { readonly kind: 'written'; readonly object: string; readonly changes: readonly Change[] };

/** Tuning of the read → plan → write loop. */
export interface IstiopsOptions {
  /** Attempts of read → plan → write on conflicts and transient errors. Default 5. */
  readonly maxAttempts?: number;
  /** First backoff in milliseconds; doubles each attempt (jittered), capped by `maxBackoffMs`. Default 200. */
  readonly baseBackoffMs?: number;
  /** Default 3000. */
  readonly maxBackoffMs?: number;
  /**
   * No retry starts after this many milliseconds since the command began (so an unreachable server
   * fails within about one request timeout). Default: no deadline.
   */
  readonly retryDeadlineMs?: number;
  /** Wait after writing a DestinationRule that adds a subset, against a cluster (design rule 3). Default 3000. */
  readonly propagationWaitMs?: number;
  /** Validate every object against Istio's schema before writing. Default true. */
  readonly validate?: boolean;
  readonly onProgress?: (event: ProgressEvent) => void;
  /** Injected for tests. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly now?: () => number;
}

/** What a mutating command did. */
export interface Outcome {
  /** The plan of the last attempt (the one written, or the dry run). */
  readonly plan: Plan;
  /** `Kind namespace/name` of every object written (server dry runs included), in write order. */
  readonly written: readonly string[];
  readonly dryRun: 'none' | 'client' | 'server';
  /** How many read → plan → write attempts it took (1 when nothing conflicted). */
  readonly attempts: number;
}

/**
 * The istiops operations over a {@link RouteStore}, in the spirit of the original `Operator`
 * (`Get/Update/Clear`): each one reads, plans purely, validates and writes make-before-break, and on a
 * conflict or transient error reads again, plans again and writes again (bounded, jittered backoff).
 *
 * @example
 * const istiops = new Istiops(new ManifestStore({ paths: ['examples/'] }));
 * const outcome = await istiops.shift({ namespace: 'default', labelSelector: 'app=api-domain' }, request);
 */
export class Istiops {
  readonly store: RouteStore;
  readonly options: IstiopsOptions;

  constructor(store: RouteStore, options: IstiopsOptions = {}) {
    this.store = store;
    this.options = options;
  }

  /** Reads the selected VirtualServices (and their DestinationRules and readiness) and reports them. */
  async get(selection: Selection): Promise<TrafficReport> {
    const state = await this.withRetries(() => this.store.read(this.query(selection, { kind: 'namespace' }, false)));
    return buildTrafficReport(narrowState(state));
  }

  /**
   * Follows the selected objects (`show --watch`): reports the routing at once, then again after every
   * change the store sees, until `signal` aborts. Changes that arrive while a report is being built
   * are folded into the next one.
   * @throws UsageError when the store cannot watch (manifest files).
   */
  async watch(selection: Selection, onReport: (report: TrafficReport) => void, signal: AbortSignal): Promise<void> {
    const store = this.store;
    if (store.watch === undefined) throw new UsageError('show --watch needs a cluster: manifest files cannot be watched');
    onReport(await this.get(selection));
    let pending: Promise<void> = Promise.resolve();
    let dirty = false;
    const refresh = (): void => {
      if (dirty) return;
      dirty = true;
      pending = pending.then(async () => {
        dirty = false;
        if (!signal.aborted) onReport(await this.get(selection));
      });
    };
    await store.watch(this.query(selection, { kind: 'namespace' }, false), refresh, signal);
    await pending;
  }

  /** `shift`: header or weight routing to a build. See {@link planShift}. */
  shift(selection: Selection, request: ShiftRequest, run: RunOptions = {}): Promise<Outcome> {
    // Header shifts read readiness too, to warn about a build without ready pods (design rule 5).
    const readiness: ReadinessQuery = { kind: 'pods', podSelector: request.podSelector };
    const policy = this.store.kind === 'kubernetes' && !run.force ? 'fail' : 'warn';
    return this.execute(this.query(selection, readiness, false), (state) => planShift(narrowState(state), request, { readinessPolicy: policy }), run);
  }

  /** `mirror`: mirror the general routes of a host to a build. See {@link planMirror}. */
  mirror(selection: Selection, request: MirrorRequest, run: RunOptions = {}): Promise<Outcome> {
    const policy = this.store.kind === 'kubernetes' && !run.force ? 'fail' : 'warn';
    return this.execute(this.query(selection, { kind: 'pods', podSelector: request.podSelector }, false), (state) => planMirror(narrowState(state), request, { readinessPolicy: policy }), run);
  }

  /** `mirror --remove`: take a build's mirror off. See {@link planMirrorRemove}. */
  unmirror(selection: Selection, request: MirrorRemoveRequest, run: RunOptions = {}): Promise<Outcome> {
    return this.execute(this.query(selection, { kind: 'none' }, false), (state) => planMirrorRemove(narrowState(state), request), run);
  }

  /** `fault`: set a fault on the general routes, or on managed header routes. See {@link planFault}. */
  fault(selection: Selection, request: FaultRequest, run: RunOptions = {}): Promise<Outcome> {
    return this.execute(this.query(selection, { kind: 'none' }, false), (state) => planFault(narrowState(state), request), run);
  }

  /** `fault --remove`. See {@link planFaultRemove}. */
  unfault(selection: Selection, request: FaultRemoveRequest, run: RunOptions = {}): Promise<Outcome> {
    return this.execute(this.query(selection, { kind: 'none' }, false), (state) => planFaultRemove(narrowState(state), request), run);
  }

  /**
   * `rollback`: remove everything that leads to a build. See {@link planRollback}; `run.force` lifts
   * the interlock on a build that carries more than 50% of a route.
   */
  rollback(selection: Selection, request: RollbackRequest, run: RunOptions = {}): Promise<Outcome> {
    return this.execute(this.query(selection, { kind: 'none' }, true), (state) => planRollback(narrowState(state), request, { force: run.force === true }), run);
  }

  /** `clear`: remove routes that lead nowhere, then unused subsets. See {@link planClear}. */
  clear(selection: Selection, request: ClearRequest, run: RunOptions = {}): Promise<Outcome> {
    const readiness: ReadinessQuery = request.mode === 'soft' ? { kind: 'namespace' } : { kind: 'none' };
    return this.execute(this.query(selection, readiness, true), (state) => planClear(narrowState(state), request), run);
  }

  private query(selection: Selection, readiness: ReadinessQuery, subsetUsers: boolean): ReadQuery {
    const labelSelector = typeof selection.labelSelector === 'string' ? parseLabelSelector(selection.labelSelector) : selection.labelSelector;
    return { namespace: selection.namespace, labelSelector, readiness, subsetUsers };
  }

  private async execute(query: ReadQuery, plan: (state: RoutingState) => Plan, run: RunOptions): Promise<Outcome> {
    const dryRun = run.dryRun ?? 'none';
    const written: string[] = [];
    let attempts = 0;
    let pending: string[] = [];
    try {
      return await this.withRetries(async () => {
        attempts++;
        const state = await this.store.read(query);
        const p = plan(state);
        checkSubsetReferences(p.writes, state.destinationRules, state.namespace);
        if (this.options.validate !== false) for (const w of p.writes) await validateSchema(w.after);
        if (dryRun === 'client') return { plan: p, written, dryRun, attempts };
        pending = p.writes.map((w) => describeObject(w.after, state.namespace));
        for (const [i, w] of p.writes.entries()) {
          await this.store.write(w.after, { serverDryRun: dryRun === 'server' });
          const name = describeObject(w.after, state.namespace);
          if (!written.includes(name)) written.push(name);
          pending = pending.filter((n) => n !== name);
          const changes = p.changes.filter((c) => `${c.kind} ${c.namespace}/${c.name}` === name);
          this.options.onProgress?.({ kind: 'written', object: name, changes });
          const wait = this.options.propagationWaitMs ?? 3000;
          const laterVirtualService = p.writes.slice(i + 1).some((x) => x.after.kind === 'VirtualService');
          if (w.addsSubsets && this.store.kind === 'kubernetes' && dryRun === 'none' && wait > 0 && laterVirtualService) {
            this.options.onProgress?.({ kind: 'propagation-wait', delayMs: wait });
            await this.sleep(wait);
          }
        }
        return { plan: p, written, dryRun, attempts };
      });
    } catch (e) {
      if (written.length > 0 && dryRun === 'none' && e instanceof IstiopsError) {
        const notWritten = pending.filter((n) => !written.includes(n));
        throw new PartialWriteError(
          `${e.message}. Written: ${written.join(', ')}; not written: ${notWritten.join(', ') || 'none'}. ` +
            'No route points at a missing subset; run the command again to finish.',
          { cause: e, written, notWritten },
        );
      }
      throw e;
    }
  }

  private sleep(ms: number): Promise<void> {
    return this.options.sleep ? this.options.sleep(ms) : delay(ms);
  }

  /** Runs `fn`, again on ConflictError and TransientError, with jittered exponential backoff. */
  private async withRetries<T>(fn: () => Promise<T>): Promise<T> {
    const max = this.options.maxAttempts ?? 5;
    const now = this.options.now ?? Date.now;
    const started = now();
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        const retryable = e instanceof ConflictError || e instanceof TransientError;
        const pastDeadline = this.options.retryDeadlineMs !== undefined && now() - started >= this.options.retryDeadlineMs;
        if (!retryable || attempt >= max || pastDeadline) {
          if (retryable && attempt > 1 && e instanceof Error) e.message = `${e.message} (gave up after ${attempt} attempts)`;
          throw e;
        }
        const exp = Math.min(this.options.maxBackoffMs ?? 3000, (this.options.baseBackoffMs ?? 200) * 2 ** (attempt - 1));
        const jittered = Math.round(exp / 2 + (this.options.random ?? Math.random)() * (exp / 2));
        const delayMs = e instanceof TransientError && e.retryAfterMs !== undefined ? Math.max(e.retryAfterMs, jittered) : jittered;
        this.options.onProgress?.({ kind: 'retry', attempt, delayMs, reason: e.message });
        await this.sleep(delayMs);
      }
    }
  }
}
