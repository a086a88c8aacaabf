/**
 * istiops as a library: a canary step from a program instead of the CLI, then a whole canary with a
 * gate of our own.
 * Runs against YAML files here; swap the store for `new KubernetesStore(await loadKubeConfig({}))`
 * to do the same against a cluster.
 *
 *   node --experimental-strip-types examples/library-usage.ts <manifests-folder>   (Node 22.6+)
 *   npx tsx examples/library-usage.ts <manifests-folder>
 */
import { Istiops, ManifestStore, formatChange, type CanaryEvent, type Gate, type GateResult, type ShiftRequest } from 'istiops';

/** Sends `percent` of api-domain's traffic to build 2 and returns the lines of changes and the new weights. */
export async function canaryStep(manifests: string, percent: number): Promise<{ changes: string[]; weights: string[] }> {
  const istiops = new Istiops(new ManifestStore({ paths: [manifests] }));
  const selection = { namespace: 'default', labelSelector: 'app=api-domain' };
  const request: ShiftRequest = {
    destination: { host: 'api-domain', port: 5000 },
    build: '2',
    podSelector: { app: 'api-domain', build: '2' },
    traffic: { kind: 'weight', percent },
  };
  const outcome = await istiops.shift(selection, request);
  const report = await istiops.get(selection);
  const catchAll = report.virtualServices[0]?.http.find((r) => r.catchAll);
  return {
    changes: outcome.plan.changes.map(formatChange),
    weights: (catchAll?.destinations ?? []).map((d) => `${d.subset ?? d.host}=${d.weight}%`),
  };
}

/**
 * A gate of our own: any object with `check({ step, weight, signal })`. This one lets the build go up to
 * `limit` percent and fails above it, as an error budget would; a real one would ask a monitoring API.
 */
export class WeightLimitGate implements Gate {
  readonly description: string;
  readonly limit: number;
  constructor(limit: number) {
    this.limit = limit;
    this.description = `weight at most ${limit}%`;
  }
  check({ weight }: { weight: number }): Promise<GateResult> {
    return Promise.resolve(
      weight <= this.limit
        ? { pass: true, value: weight, reason: `${weight}% is within the budget of ${this.limit}%` }
        : { pass: false, value: weight, reason: `${weight}% is over the budget of ${this.limit}%` },
    );
  }
}

/**
 * Runs a canary of api-domain build 2 through `steps`, checking `gate` between steps with no wait, and
 * returns how it ended and one line per event.
 */
export async function canary(manifests: string, steps: number[], gate: Gate): Promise<{ outcome: string; log: string[] }> {
  const istiops = new Istiops(new ManifestStore({ paths: [manifests] }));
  const log: string[] = [];
  const onEvent = (e: CanaryEvent): void => {
    if (e.kind === 'step-done') log.push(`step ${e.step}: ${e.weight}%`);
    if (e.kind === 'gate') log.push(`gate: ${e.result.pass ? 'pass' : 'fail'} (${e.result.reason})`);
    if (e.kind === 'rolled-back') log.push(`rolled back from ${e.weight}%`);
    if (e.kind === 'promoted') log.push('promoted');
  };
  const result = await istiops.canary(
    { namespace: 'default', labelSelector: 'app=api-domain' },
    { destination: { host: 'api-domain', port: 5000 }, build: '2', podSelector: { app: 'api-domain', build: '2' }, steps },
    { gate, intervalMs: 0, onEvent },
  );
  return { outcome: result.outcome, log };
}

const folder = process.argv[2];
if (folder !== undefined && import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const { changes, weights } = await canaryStep(folder, 10);
  console.log(changes.join('\n') || 'no changes');
  console.log(`catch-all: ${weights.join(', ')}`);
  const { outcome, log } = await canary(folder, [25, 50, 100], new WeightLimitGate(25));
  console.log(`${log.join('\n')}\ncanary: ${outcome}`);
}
