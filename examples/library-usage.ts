/**
 * istiops as a library: a canary step from a program instead of the CLI.
 * Runs against YAML files here; swap the store for `new KubernetesStore(await loadKubeConfig({}))`
 * to do the same against a cluster.
 *
 *   node --experimental-strip-types examples/library-usage.ts <manifests-folder>   (Node 22.6+)
 *   npx tsx examples/library-usage.ts <manifests-folder>
 */
import { Istiops, ManifestStore, formatChange, type ShiftRequest } from 'istiops';

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

const folder = process.argv[2];
if (folder !== undefined && import.meta.url === `file://${process.argv[1] ?? ''}`) {
  const { changes, weights } = await canaryStep(folder, 10);
  console.log(changes.join('\n') || 'no changes');
  console.log(`catch-all: ${weights.join(', ')}`);
}
