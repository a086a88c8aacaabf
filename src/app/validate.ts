import { ApiError, PlanRefusedError } from '../errors.js';
import type { PlannedWrite } from '../domain/changes.js';
import { describeObject, type DestinationRule, type IstioObject, type VirtualService } from '../domain/istio.js';
import { sameHost } from '../domain/names.js';
import { namespaceOf } from '../domain/plan-common.js';
import { subsetUses } from '../domain/route-model.js';

/**
 * Validates an object against Istio's published schema: the schemas of `@kubernetes-models/istio`,
 * compiled into standalone validators at build time (src/app/validators, loaded only when a write is
 * planned). v1 is schema-identical to v1beta1, which that package models; v1alpha3 has its own.
 * @throws ApiError listing the schema errors as `<JSON pointer> <message>`, separated by `; `.
 */
export async function validateSchema(obj: IstioObject): Promise<void> {
  const { checkIstioSchema } = await import('./validators/istio-schema.js');
  const failure = checkIstioSchema(obj);
  if (!failure) return;
  const text =
    failure.errors.length > 0 ? failure.errors.map((i) => `${i.instancePath} ${i.message ?? ''}`.trim()).join('; ') : 'Error: No errors';
  throw new ApiError(`${describeObject(obj)} would be invalid: ${text}`, { cause: failure });
}

function subsetReferences(vs: VirtualService, ns: string): Set<string> {
  const vsNs = namespaceOf(vs, ns);
  return new Set((vs.spec.http ?? []).flatMap((r) => subsetUses(r).map((u) => `${u.host}\u0000${u.subset}\u0000${vsNs}`)));
}

/**
 * Guards the central rule: no VirtualService written may refer to a subset that its host's
 * DestinationRule (among those read) lacks, for any reference the plan adds. References that were
 * already broken before the command are left to `show` to report.
 * @throws PlanRefusedError naming the VirtualService and subset.
 */
export function checkSubsetReferences(writes: readonly PlannedWrite[], destinationRules: readonly DestinationRule[], ns: string): void {
  const after = new Map<string, DestinationRule>();
  for (const dr of destinationRules) after.set(`${namespaceOf(dr, ns)}/${dr.metadata.name}`, dr);
  for (const w of writes) if (w.after.kind === 'DestinationRule') after.set(`${namespaceOf(w.after, ns)}/${w.after.metadata.name}`, w.after);
  for (const w of writes) {
    if (w.after.kind !== 'VirtualService' || w.before.kind !== 'VirtualService') continue;
    const before = subsetReferences(w.before, ns);
    for (const ref of subsetReferences(w.after, ns)) {
      if (before.has(ref)) continue;
      const [host, subset, vsNs] = ref.split('\u0000') as [string, string, string];
      const rules = [...after.values()].filter((dr) => sameHost(dr.spec.host, namespaceOf(dr, ns), host, vsNs));
      if (rules.length > 0 && !rules.some((dr) => (dr.spec.subsets ?? []).some((s) => s.name === subset))) {
        throw new PlanRefusedError(`${describeObject(w.after)} would route to subset ${subset}, which no DestinationRule for ${host} defines`);
      }
    }
  }
}
