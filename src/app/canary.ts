/**
 * The one-shot progressive canary: a sequence of ordinary weight shifts with a wait and a gate between
 * them, rolling the build back when the gate fails. No controller: the process that runs it is the
 * controller, for as long as the canary lasts.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { RuntimeError } from '../errors.js';
import type { DestinationRef } from '../domain/requests.js';
import type { Gate, GateResult } from '../gates/gate.js';
import { checkCanarySteps } from '../input/strategy-flags.js';
import type { Istiops, Outcome, RunOptions, Selection } from './istiops.js';

/** `canary`: shift a build through increasing weights. */
export interface CanaryRequest {
  readonly destination: DestinationRef;
  /** Release identifier; the subset is `<service>-<build>-<namespace>`. */
  readonly build: string;
  /** Equality labels of the build's pods; they become the subset's labels. */
  readonly podSelector: Readonly<Record<string, string>>;
  /** Integer percents 1..100, strictly increasing; the last is 100 unless `promote` is false. */
  readonly steps: readonly number[];
  /** False: the canary ends at its last step (below 100) instead of promoting. Default true. */
  readonly promote?: boolean;
}

/** How a canary runs. */
export interface CanaryOptions {
  /** Checked after each step but the last, once the interval has passed. None: the steps only wait. */
  readonly gate?: Gate;
  /** Wait after each step but the last before the gate is checked, in milliseconds. */
  readonly intervalMs: number;
  /** Aborting it (SIGINT/SIGTERM) stops the canary at the current weight: the result is `interrupted`. */
  readonly signal?: AbortSignal;
  /** Told about each step, wait, gate result and the end (for progress output and logs). */
  readonly onEvent?: (event: CanaryEvent) => void;
  /** `client`/`server`: report the plan (and the first step as a dry run) and return at once. */
  readonly dryRun?: RunOptions['dryRun'];
  /** Passed to every step's shift: weight to a subset with no ready pods against a cluster. */
  readonly force?: boolean;
  /** Injected for tests; must reject when `signal` aborts. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** What a canary reports while it runs. `step` is 1-based; `weight` is a percent. */
export type CanaryEvent =
  | { readonly kind: 'plan'; readonly steps: readonly number[]; readonly intervalMs: number; readonly gate: string | null; readonly promote: boolean }
  | { readonly kind: 'step-started'; readonly step: number; readonly steps: number; readonly weight: number }
  | { readonly kind: 'step-done'; readonly step: number; readonly steps: number; readonly weight: number; readonly outcome: Outcome }
  | { readonly kind: 'waiting'; readonly step: number; readonly weight: number; readonly ms: number }
  | { readonly kind: 'gate'; readonly step: number; readonly weight: number; readonly result: GateResult }
  | { readonly kind: 'rolled-back'; readonly step: number; readonly weight: number; readonly result: GateResult; readonly outcome: Outcome }
  | { readonly kind: 'promoted'; readonly weight: 100 }
  | { readonly kind: 'completed'; readonly weight: number };

/** How a canary ended. */
export type CanaryResult =
  /** Dry run: nothing written; `firstStep` is the first shift planned as a dry run. */
  | { readonly outcome: 'planned'; readonly steps: readonly number[]; readonly intervalMs: number; readonly gate: string | null; readonly firstStep: Outcome }
  /** Every step passed; the build carries 100%. */
  | { readonly outcome: 'promoted'; readonly weight: 100 }
  /** `promote: false`: every step passed; the build keeps the last step's weight. */
  | { readonly outcome: 'completed'; readonly weight: number }
  /** The gate failed after step `step`: the build was rolled back (`rollback` is that outcome). */
  | { readonly outcome: 'rolled-back'; readonly step: number; readonly weight: number; readonly gate: GateResult; readonly rollback: Outcome }
  /**
   * The signal aborted: the build keeps `weight` (0 when no step was taken). `remainingSteps` resume
   * the canary; `reason` is the signal's reason (the CLI passes the signal's name).
   */
  | { readonly outcome: 'interrupted'; readonly weight: number; readonly completedSteps: readonly number[]; readonly remainingSteps: readonly number[]; readonly reason: unknown };

/** A step's weight shift failed for good; the build keeps the weight of the step before. Exit code 1. */
export class CanaryStepError extends RuntimeError {
  /** Percent the build carries (the last completed step's, 0 when none). */
  readonly weight: number;
  readonly remainingSteps: readonly number[];
  constructor(message: string, options: { cause: unknown; weight: number; remainingSteps: readonly number[] }) {
    super(message, { cause: options.cause });
    this.weight = options.weight;
    this.remainingSteps = options.remainingSteps;
  }
}

/** The gate failed and so did the rollback that followed. Exit code 1. */
export class CanaryRollbackError extends RuntimeError {}

const never = new AbortController().signal;

/**
 * Runs a canary: each step is an ordinary {@link Istiops.shift} of the build to the step's weight
 * (same validation, retries, make-before-break and readiness rule); after each step but the last it
 * waits `intervalMs`, then checks the gate. A failing gate rolls the build back with
 * {@link Istiops.rollback} by build and destination, with `force` (the interlock that protects a stable
 * build never blocks a canary's rollback of its own build), and the result is `rolled-back`.
 * When `signal` aborts, the shift under way finishes, nothing more is written, and the result is
 * `interrupted` with the current weight and the remaining steps.
 *
 * @throws UsageError on bad steps (see `checkCanarySteps`); {@link CanaryStepError} when a step's
 * shift fails (the build keeps the previous weight); {@link CanaryRollbackError} when the rollback fails.
 */
export async function runCanary(istiops: Istiops, selection: Selection, request: CanaryRequest, options: CanaryOptions): Promise<CanaryResult> {
  const promote = request.promote ?? true;
  checkCanarySteps(request.steps, promote);
  const steps = request.steps;
  const signal = options.signal ?? never;
  const emit = options.onEvent ?? (() => undefined);
  const sleep = options.sleep ?? ((ms: number, s: AbortSignal) => delay(ms, undefined, { signal: s }));
  const gateText = options.gate === undefined ? null : (options.gate.description ?? 'custom gate');
  const shift = (weight: number, dryRun: RunOptions['dryRun']): Promise<Outcome> =>
    istiops.shift(
      selection,
      { destination: request.destination, build: request.build, podSelector: request.podSelector, traffic: { kind: 'weight', percent: weight } },
      { dryRun: dryRun ?? 'none', force: options.force === true },
    );

  emit({ kind: 'plan', steps, intervalMs: options.intervalMs, gate: gateText, promote });
  if (options.dryRun !== undefined && options.dryRun !== 'none') {
    const firstStep = await shift(steps[0] as number, options.dryRun);
    return { outcome: 'planned', steps, intervalMs: options.intervalMs, gate: gateText, firstStep };
  }

  let weight = 0;
  const interrupted = (done: number): CanaryResult => ({
    outcome: 'interrupted',
    weight,
    completedSteps: steps.slice(0, done),
    remainingSteps: steps.slice(done),
    reason: signal.reason,
  });

  for (const [i, target] of steps.entries()) {
    const step = i + 1;
    if (signal.aborted) return interrupted(i);
    emit({ kind: 'step-started', step, steps: steps.length, weight: target });
    let outcome: Outcome;
    try {
      outcome = await shift(target, 'none');
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw new CanaryStepError(`canary step ${step}/${steps.length} (${target}%) failed: ${why}; the build keeps ${weight}%`, {
        cause: e,
        weight,
        remainingSteps: steps.slice(i),
      });
    }
    weight = target;
    emit({ kind: 'step-done', step, steps: steps.length, weight, outcome });
    if (step === steps.length) break;
    if (signal.aborted) return interrupted(step);

    emit({ kind: 'waiting', step, weight, ms: options.intervalMs });
    try {
      if (options.intervalMs > 0) await sleep(options.intervalMs, signal);
    } catch (e) {
      if (signal.aborted) return interrupted(step);
      throw e;
    }
    if (signal.aborted) return interrupted(step);
    if (options.gate === undefined) continue;

    let result: GateResult;
    try {
      result = await options.gate.check({ step, weight, signal });
    } catch (e) {
      // A gate that breaks says nothing good about the build: it fails, and the build goes back.
      result = { pass: false, reason: `the gate threw: ${e instanceof Error ? e.message : String(e)}` };
    }
    if (signal.aborted) return interrupted(step);
    emit({ kind: 'gate', step, weight, result });
    if (result.pass) continue;

    let rollback: Outcome;
    try {
      rollback = await istiops.rollback(selection, { by: 'build', build: request.build, destination: request.destination }, { force: true });
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw new CanaryRollbackError(`the gate failed at ${weight}% (${result.reason}) and the rollback failed: ${why}`, { cause: e });
    }
    emit({ kind: 'rolled-back', step, weight, result, outcome: rollback });
    return { outcome: 'rolled-back', step, weight, gate: result, rollback };
  }

  if (promote) {
    emit({ kind: 'promoted', weight: 100 });
    return { outcome: 'promoted', weight: 100 };
  }
  emit({ kind: 'completed', weight });
  return { outcome: 'completed', weight };
}
