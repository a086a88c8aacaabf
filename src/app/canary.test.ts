import { cpSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { UsageError } from '../errors.js';
import type { Gate, GateContext, GateResult } from '../gates/gate.js';
import { ManifestStore } from '../store/manifest-store.js';
import { CanaryStepError, runCanary, type CanaryEvent, type CanaryRequest } from './canary.js';
import { Istiops } from './istiops.js';
import { snapshotFiles } from '../../test/support/cli.js';

const EXAMPLES = resolve(import.meta.dirname, '../../examples/manifests');
const selection = { namespace: 'default', labelSelector: 'app=api-domain' };
const request = (steps: number[], promote = true): CanaryRequest => ({
  destination: { host: 'api-domain', port: 5000 },
  build: '2',
  podSelector: { app: 'api-domain', build: '2' },
  steps,
  promote,
});

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'istiops-canary-'));
  cpSync(EXAMPLES, dir, { recursive: true });
  const istiops = new Istiops(new ManifestStore({ paths: [dir] }));
  const events: CanaryEvent[] = [];
  const waits: number[] = [];
  const sleep = (ms: number): Promise<void> => {
    waits.push(ms);
    return Promise.resolve();
  };
  const weights = async (): Promise<Record<string, number>> => {
    const report = await istiops.get(selection);
    const route = report.virtualServices[0]?.http.find((r) => r.catchAll);
    return Object.fromEntries((route?.destinations ?? []).map((d) => [d.subset ?? d.host, d.weight]));
  };
  return { dir, istiops, events, waits, sleep, weights, before: snapshotFiles(dir), onEvent: (e: CanaryEvent) => events.push(e) };
}

/** A gate that answers from a script and records what it was asked. */
function scriptedGate(results: GateResult[]): Gate & { asked: Omit<GateContext, 'signal'>[] } {
  const asked: Omit<GateContext, 'signal'>[] = [];
  return {
    description: 'scripted',
    asked,
    check: ({ step, weight }) => {
      asked.push({ step, weight });
      return Promise.resolve(results.shift() ?? { pass: true, reason: 'default pass' });
    },
  };
}

describe('runCanary', () => {
  it('shifts through every step, waiting and checking the gate between steps, then promotes', async () => {
    const t = setup();
    const gate = scriptedGate([]);
    const result = await runCanary(t.istiops, selection, request([10, 25, 50, 100]), { gate, intervalMs: 60_000, sleep: t.sleep, onEvent: t.onEvent });
    expect(result).toEqual({ outcome: 'promoted', weight: 100 });
    expect(await t.weights()).toEqual({ 'api-domain-2-default': 100 });
    expect(gate.asked).toEqual([
      { step: 1, weight: 10 },
      { step: 2, weight: 25 },
      { step: 3, weight: 50 },
    ]);
    expect(t.waits).toEqual([60_000, 60_000, 60_000]);
    expect(t.events.map((e) => `${e.kind}${'weight' in e ? ` ${e.weight}` : ''}`)).toEqual([
      'plan',
      'step-started 10', 'step-done 10', 'waiting 10', 'gate 10',
      'step-started 25', 'step-done 25', 'waiting 25', 'gate 25',
      'step-started 50', 'step-done 50', 'waiting 50', 'gate 50',
      'step-started 100', 'step-done 100',
      'promoted 100',
    ]);
  });

  it('without a gate, only waits between the steps', async () => {
    const t = setup();
    const result = await runCanary(t.istiops, selection, request([50, 100]), { intervalMs: 1000, sleep: t.sleep, onEvent: t.onEvent });
    expect(result.outcome).toBe('promoted');
    expect(t.waits).toEqual([1000]);
    expect(t.events.some((e) => e.kind === 'gate')).toBe(false);
  });

  it('with promote false, ends at the last step and keeps the primary', async () => {
    const t = setup();
    const result = await runCanary(t.istiops, selection, request([10, 50], false), { gate: scriptedGate([]), intervalMs: 5, sleep: t.sleep });
    expect(result).toEqual({ outcome: 'completed', weight: 50 });
    expect(await t.weights()).toEqual({ 'api-domain-1-default': 50, 'api-domain-2-default': 50 });
  });

  it('a failing gate rolls the build back with force, leaving the files as they were', async () => {
    const t = setup();
    const rollback = vi.spyOn(t.istiops, 'rollback');
    const gate = scriptedGate([{ pass: true, value: 0, reason: 'fine' }, { pass: false, value: 0.3, reason: 'value 0.3 is above the maximum 0.05' }]);
    const result = await runCanary(t.istiops, selection, request([10, 60, 100]), { gate, intervalMs: 5, sleep: t.sleep, onEvent: t.onEvent });
    expect(result).toMatchObject({ outcome: 'rolled-back', step: 2, weight: 60, gate: { pass: false, value: 0.3 } });
    expect(rollback).toHaveBeenCalledWith(selection, { by: 'build', build: '2', destination: { host: 'api-domain', port: 5000 } }, { force: true });
    expect(snapshotFiles(t.dir)).toEqual(t.before);
    expect(t.events.at(-1)).toMatchObject({ kind: 'rolled-back', weight: 60 });
  });

  it('a gate that throws counts as failing: the build is rolled back', async () => {
    const t = setup();
    const gate: Gate = { check: () => Promise.reject(new Error('metrics backend exploded')) };
    const result = await runCanary(t.istiops, selection, request([10, 100]), { gate, intervalMs: 0, sleep: t.sleep });
    expect(result).toMatchObject({ outcome: 'rolled-back', weight: 10, gate: { pass: false, reason: 'the gate threw: metrics backend exploded' } });
    expect(snapshotFiles(t.dir)).toEqual(t.before);
  });

  it('an interruption during the wait keeps the weight and returns the remaining steps', async () => {
    const t = setup();
    const controller = new AbortController();
    const gate = scriptedGate([]);
    const sleep = (_ms: number, signal: AbortSignal): Promise<void> => {
      controller.abort('SIGINT');
      return Promise.reject(signal.reason as Error);
    };
    const result = await runCanary(t.istiops, selection, request([10, 25, 100]), { gate, intervalMs: 60_000, sleep, signal: controller.signal });
    expect(result).toEqual({ outcome: 'interrupted', weight: 10, completedSteps: [10], remainingSteps: [25, 100], reason: 'SIGINT' });
    expect(gate.asked).toEqual([]);
    expect(await t.weights()).toEqual({ 'api-domain-1-default': 90, 'api-domain-2-default': 10 });
  });

  it('an interruption during the gate check keeps the weight', async () => {
    const t = setup();
    const controller = new AbortController();
    const gate: Gate = {
      check: () => {
        controller.abort('SIGTERM');
        return Promise.resolve({ pass: false, reason: 'interrupted' });
      },
    };
    const result = await runCanary(t.istiops, selection, request([10, 25, 100]), { gate, intervalMs: 0, sleep: t.sleep, signal: controller.signal });
    expect(result).toMatchObject({ outcome: 'interrupted', weight: 10, remainingSteps: [25, 100], reason: 'SIGTERM' });
    expect(await t.weights()).toEqual({ 'api-domain-1-default': 90, 'api-domain-2-default': 10 });
  });

  it('an interruption before the first step writes nothing', async () => {
    const t = setup();
    const controller = new AbortController();
    controller.abort('SIGINT');
    const result = await runCanary(t.istiops, selection, request([10, 100]), { intervalMs: 0, signal: controller.signal });
    expect(result).toMatchObject({ outcome: 'interrupted', weight: 0, remainingSteps: [10, 100] });
    expect(snapshotFiles(t.dir)).toEqual(t.before);
  });

  it('a dry run plans the first step and writes nothing', async () => {
    const t = setup();
    const result = await runCanary(t.istiops, selection, request([10, 100]), { gate: scriptedGate([]), intervalMs: 60_000, dryRun: 'client', sleep: t.sleep });
    expect(result).toMatchObject({ outcome: 'planned', steps: [10, 100], intervalMs: 60_000, gate: 'scripted' });
    if (result.outcome !== 'planned') throw new Error('unreachable');
    expect(result.firstStep.plan.changes.map((c) => c.op)).toEqual(['add-subset', 'set-destinations']);
    expect(t.waits).toEqual([]);
    expect(snapshotFiles(t.dir)).toEqual(t.before);
  });

  it('a step that fails stops the canary with the weight the build keeps', async () => {
    const t = setup();
    const other = { namespace: 'default', labelSelector: 'app=nothing' };
    const error = await runCanary(t.istiops, other, request([10, 100]), { intervalMs: 0 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CanaryStepError);
    expect(error).toMatchObject({ weight: 0, remainingSteps: [10, 100], exitCode: 1 });
    expect(String((error as Error).message)).toMatch(/^canary step 1\/2 \(10%\) failed: .*; the build keeps 0%$/);
  });

  it.each([
    { steps: [], promote: true },
    { steps: [10, 50], promote: true },
    { steps: [50, 10, 100], promote: true },
    { steps: [10, 100], promote: false },
    { steps: [0, 100], promote: true },
  ])('refuses steps $steps (promote $promote) before writing', async ({ steps, promote }) => {
    const t = setup();
    await expect(runCanary(t.istiops, selection, request(steps, promote), { intervalMs: 0 })).rejects.toThrow(UsageError);
    expect(snapshotFiles(t.dir)).toEqual(t.before);
  });
});
