import { setTimeout as delay } from 'node:timers/promises';
import { ConflictError, InterruptedError, IstiopsError, OutcomeUnknownError, PartialWriteError, TransientError, UsageError } from '../errors.js';
import pLimit from 'p-limit';
import type { Change, Plan, PlannedWrite } from '../domain/changes.js';
import { describeObject, type DestinationRule, type IstioObject } from '../domain/istio.js';
import { resolveHost } from '../domain/names.js';
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
import type { CanaryOptions, CanaryRequest, CanaryResult } from './canary.js';
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
  /**
   * Interrupts the command (design rule 12): when it aborts, no further write starts (a running wait
   * or backoff ends at once) and the command throws {@link InterruptedError} naming what was written
   * and what was not. `signal.reason` `'SIGTERM'` gives exit code 143, anything else 130 (SIGINT).
   */
  readonly signal?: AbortSignal;
}

/** Something the use case reports while it works (retries, waits); the CLI prints these on stderr. */
export type ProgressEvent =
  | { readonly kind: 'retry'; readonly attempt: number; readonly delayMs: number; readonly reason: string }
  | { readonly kind: 'propagation-wait'; readonly delayMs: number }
  /** `object` (`Kind namespace/name`) was written; `changes` are the plan's changes of that object. */
  | { readonly kind: 'written'; readonly object: string; readonly changes: readonly Change[] }
  /** A fact about the read itself, e.g. an RBAC fallback (`RoutingState.notes`); each note once per command. */
  | { readonly kind: 'note'; readonly text: string };

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
   * fails within about one request timeout). Default, and 0: no deadline.
   */
  readonly retryDeadlineMs?: number;
  /** Wait after writing a DestinationRule that adds a subset, against a cluster (design rule 3). Default 3000. */
  readonly propagationWaitMs?: number;
  /**
   * Writes sent at once within one make-before-break phase (many VirtualServices, many
   * DestinationRules). Default 8; `--concurrency` on the command line.
   */
  readonly concurrency?: number;
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

  /**
   * `canary`: a progressive weight shift, each step an ordinary {@link Istiops.shift}, checked by
   * `options.gate` between steps; a failing gate rolls the build back. See `runCanary` in
   * `app/canary.ts` (loaded on first use).
   */
  async canary(selection: Selection, request: CanaryRequest, options: CanaryOptions): Promise<CanaryResult> {
    const { runCanary } = await import('./canary.js');
    return runCanary(this, selection, request, options);
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

  /**
   * Read → plan → validate → write, again on conflicts and transient errors (withRetries).
   * Make before break (design rule 3): before a VirtualService write that gains its first reference
   * to a subset missing from the DestinationRules at the FIRST read, wait `propagationWaitMs` (against
   * a cluster), also when a retry finds the subset already written. A write whose outcome is unknown
   * ({@link OutcomeUnknownError}) is resolved by reading again; it is never reported as not written.
   * When `run.signal` aborts, no further write starts ({@link InterruptedError}).
   */
  private async execute(query: ReadQuery, plan: (state: RoutingState) => Plan, run: RunOptions): Promise<Outcome> {
    const dryRun = run.dryRun ?? 'none';
    const written: string[] = [];
    /** Writes whose outcome is unknown and that no later attempt has written since. */
    let unknown: string[] = [];
    let attempts = 0;
    /** Objects of the current plan not written yet (a set: fleets write thousands). */
    let pending = new Set<string>();
    const writtenSet = new Set<string>();
    /** `host\0subset` of every subset the DestinationRules held at the first read. */
    let existingAtFirstRead: Set<string> | undefined;
    /** Subsets this command already waited for after they appeared. */
    const propagated = new Set<string>();
    const notes = new Set<string>();
    const waitMs = this.options.propagationWaitMs ?? 3000;
    const waits = this.store.kind === 'kubernetes' && dryRun === 'none' && waitMs > 0;
    const signal = run.signal;
    const stopIfInterrupted = (next: string | undefined): void => {
      if (!signal?.aborted) return;
      throw interruptedError(signal, next, written, [...pending], unknown);
    };
    try {
      return await this.withRetries(async () => {
        attempts++;
        stopIfInterrupted(undefined);
        const state = await this.store.read(query);
        for (const text of state.notes ?? []) {
          if (notes.has(text)) continue;
          notes.add(text);
          this.options.onProgress?.({ kind: 'note', text });
        }
        existingAtFirstRead ??= subsetKeys(state.destinationRules, state.namespace);
        const p = plan(state);
        checkSubsetReferences(p.writes, state.destinationRules, state.namespace);
        if (this.options.validate !== false) for (const w of p.writes) await validateSchema(w.after);
        if (dryRun === 'client') return { plan: p, written, dryRun, attempts };
        pending = new Set(p.writes.map((w) => describeObject(w.after, state.namespace)));
        const changesOf = new Map<string, Change[]>();
        for (const c of p.changes) {
          const key = `${c.kind} ${c.namespace}/${c.name}`;
          const list = changesOf.get(key);
          if (list) list.push(c);
          else changesOf.set(key, [c]);
        }
        const writeOne = async (w: PlannedWrite): Promise<void> => {
          const name = describeObject(w.after, state.namespace);
          stopIfInterrupted(name);
          if (w.after.kind === 'DestinationRule') {
            // A subset this write adds (again) is new, whatever the first read saw: wait before using it.
            const had = subsetKeys([w.before as DestinationRule], state.namespace);
            for (const k of subsetKeys([w.after], state.namespace)) {
              if (!had.has(k)) {
                existingAtFirstRead?.delete(k);
                propagated.delete(k);
              }
            }
          }
          try {
            await this.store.write(w.after, { serverDryRun: dryRun === 'server' });
          } catch (e) {
            if (e instanceof OutcomeUnknownError && !unknown.includes(name)) unknown.push(name);
            throw e;
          }
          if (unknown.includes(name)) unknown = unknown.filter((n) => n !== name);
          if (!writtenSet.has(name)) {
            writtenSet.add(name);
            written.push(name);
          }
          pending.delete(name);
          this.options.onProgress?.({ kind: 'written', object: name, changes: changesOf.get(name) ?? [] });
        };
        // Make before break, in phases (the plan is ordered: subset-adding DestinationRules, then
        // VirtualServices, then subset-removing DestinationRules). Within a phase the writes go out
        // together, at most `concurrency` at a time; one propagation wait separates the phases.
        const limit = pLimit(Math.max(1, this.options.concurrency ?? 8));
        for (const phase of writePhases(p.writes)) {
          if (waits && phase[0]?.after.kind === 'VirtualService') {
            const firstUses = new Set<string>();
            for (const w of phase) {
              const before = subsetReferences(w.before, state.namespace);
              for (const k of subsetReferences(w.after, state.namespace)) {
                if (!before.has(k) && !existingAtFirstRead.has(k) && !propagated.has(k)) firstUses.add(k);
              }
            }
            if (firstUses.size > 0) {
              const next = describeObject(phase[0].after, state.namespace);
              stopIfInterrupted(next);
              this.options.onProgress?.({ kind: 'propagation-wait', delayMs: waitMs });
              await this.pause(waitMs, signal);
              stopIfInterrupted(next);
              for (const k of firstUses) propagated.add(k);
            }
          }
          const results = await Promise.allSettled(phase.map((w) => limit(() => writeOne(w))));
          const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
          if (failed) throw failed.reason;
        }
        return { plan: p, written, dryRun, attempts };
      }, signal);
    } catch (e) {
      if (e instanceof InterruptedError) throw e;
      if ((written.length > 0 || unknown.length > 0) && dryRun === 'none' && e instanceof IstiopsError) {
        const notWritten = [...pending].filter((n) => !writtenSet.has(n) && !unknown.includes(n));
        const parts = [
          written.length > 0 ? `Written: ${written.join(', ')}` : undefined,
          unknown.length > 0 ? `outcome unknown: ${unknown.join(', ')}` : undefined,
          `not written: ${notWritten.join(', ') || 'none'}`,
        ].filter((x): x is string => x !== undefined);
        throw new PartialWriteError(
          `${e.message}. ${parts.join('; ')}. ` + 'No route points at a missing subset; run the command again to finish.',
          { cause: e, written: [...written], notWritten, unknown: [...unknown] },
        );
      }
      throw e;
    }
  }

  private sleep(ms: number): Promise<void> {
    return this.options.sleep ? this.options.sleep(ms) : delay(ms);
  }

  /** Sleeps `ms`, or less when `signal` aborts meanwhile (the caller then checks it). */
  private async pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
    if (!signal) return this.sleep(ms);
    if (signal.aborted) return;
    // The timer itself must go, or it keeps the process alive after the interruption.
    if (!this.options.sleep) return delay(ms, undefined, { signal }).catch(() => undefined);
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<void>((resolve) => {
      onAbort = resolve;
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      await Promise.race([this.sleep(ms), aborted]);
    } finally {
      if (onAbort) signal.removeEventListener('abort', onAbort);
    }
  }

  /** Runs `fn`, again on ConflictError and TransientError, with jittered exponential backoff. */
  private async withRetries<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const max = this.options.maxAttempts ?? 5;
    const now = this.options.now ?? Date.now;
    const started = now();
    const deadline = this.options.retryDeadlineMs;
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn();
      } catch (e) {
        const retryable = (e instanceof ConflictError || e instanceof TransientError) && !signal?.aborted;
        const pastDeadline = deadline !== undefined && deadline > 0 && now() - started >= deadline;
        if (!retryable || attempt >= max || pastDeadline) {
          if (retryable && attempt > 1 && e instanceof Error) e.message = `${e.message} (gave up after ${attempt} attempts)`;
          throw e;
        }
        const exp = Math.min(this.options.maxBackoffMs ?? 3000, (this.options.baseBackoffMs ?? 200) * 2 ** (attempt - 1));
        const jittered = Math.round(exp / 2 + (this.options.random ?? Math.random)() * (exp / 2));
        const delayMs = e instanceof TransientError && e.retryAfterMs !== undefined ? Math.max(e.retryAfterMs, jittered) : jittered;
        this.options.onProgress?.({ kind: 'retry', attempt, delayMs, reason: e.message });
        // An interruption ends the backoff at once; `fn` then stops before its next write.
        await this.pause(delayMs, signal);
      }
    }
  }
}

/** `resolved host\0subset` of every subset of the DestinationRules. */
function subsetKeys(rules: readonly DestinationRule[], namespace: string): Set<string> {
  const keys = new Set<string>();
  for (const dr of rules) {
    const host = (dr.spec as { host?: unknown } | undefined)?.host;
    if (typeof host !== 'string') continue;
    const resolved = resolveHost(host, dr.metadata.namespace ?? namespace);
    for (const s of (dr.spec as { subsets?: { name?: unknown }[] }).subsets ?? []) if (typeof s.name === 'string') keys.add(`${resolved}\u0000${s.name}`);
  }
  return keys;
}

/** `resolved host\0subset` of every subset a VirtualService uses: route destinations and mirrors (both forms), HTTP, TCP and TLS. */
function subsetReferences(object: IstioObject, namespace: string): Set<string> {
  const keys = new Set<string>();
  if (object.kind !== 'VirtualService') return keys;
  const ns = object.metadata.namespace ?? namespace;
  const add = (d: unknown): void => {
    const dest = d as { host?: unknown; subset?: unknown } | undefined;
    if (typeof dest?.host === 'string' && typeof dest.subset === 'string') keys.add(`${resolveHost(dest.host, ns)}\u0000${dest.subset}`);
  };
  const spec = object.spec as Record<string, unknown>;
  for (const kind of ['http', 'tcp', 'tls'] as const) {
    const routes = spec[kind];
    if (!Array.isArray(routes)) continue;
    for (const r of routes as Record<string, unknown>[]) {
      for (const d of (Array.isArray(r['route']) ? r['route'] : []) as { destination?: unknown }[]) add(d.destination);
      add(r['mirror']);
      for (const m of (Array.isArray(r['mirrors']) ? r['mirrors'] : []) as { destination?: unknown }[]) add(m.destination);
    }
  }
  return keys;
}

/** The error of an interrupted command: which objects were written, which not, which are unknown. */
function interruptedError(signal: AbortSignal, next: string | undefined, written: readonly string[], pending: readonly string[], unknown: readonly string[]): InterruptedError {
  const name = signal.reason === 'SIGTERM' ? 'SIGTERM' : 'SIGINT';
  const notWritten = pending.filter((n) => !written.includes(n) && !unknown.includes(n));
  const parts = [
    `written: ${written.join(', ') || 'none'}`,
    ...(unknown.length > 0 ? [`outcome unknown: ${unknown.join(', ')}`] : []),
    `not written: ${notWritten.join(', ') || 'none'}`,
  ];
  if (written.length === 0 && unknown.length === 0 && next === undefined) {
    return new InterruptedError(`interrupted by ${name} before any write; nothing was written`, { signal: name, written: [], notWritten, unknown: [] });
  }
  const where = next !== undefined ? ` before writing ${next}` : '';
  const advice = written.length > 0 || unknown.length > 0 ? ' No route points at a missing subset; run the command again to finish.' : '';
  return new InterruptedError(`interrupted by ${name}${where}; ${parts.join('; ')}.${advice}`, {
    signal: name,
    written: [...written],
    notWritten,
    unknown: [...unknown],
  });
}

/**
 * Splits planned writes (already in make-before-break order, see `orderWrites`) into phases that may be
 * written together: subset-adding DestinationRules, VirtualServices, then the other DestinationRules.
 */
function writePhases(writes: readonly PlannedWrite[]): PlannedWrite[][] {
  const rank = (w: PlannedWrite): number => (w.after.kind === 'VirtualService' ? 1 : w.addsSubsets ? 0 : 2);
  const phases: PlannedWrite[][] = [];
  let current = -1;
  for (const w of writes) {
    if (rank(w) !== current) {
      phases.push([]);
      current = rank(w);
    }
    phases.at(-1)?.push(w);
  }
  return phases;
}
