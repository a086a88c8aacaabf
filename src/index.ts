/**
 * istiops as a library: the same operations as the CLI for programs.
 *
 * - {@link Istiops}: get / shift / rollback / clear over a {@link RouteStore}.
 * - Stores: {@link ManifestStore} (YAML files) and {@link KubernetesStore} (Kubernetes API).
 * - Pure planners: {@link planShift}, {@link planRollback}, {@link planClear}, {@link buildTrafficReport}.
 * - Request types and error classes.
 * @packageDocumentation
 */
export { Istiops } from './app/istiops.js';
export type { IstiopsOptions, Outcome, ProgressEvent, RunOptions, Selection } from './app/istiops.js';
export { checkSubsetReferences, validateSchema } from './app/validate.js';

export { planShift } from './domain/plan-shift.js';
export type { ReadinessPolicy, ShiftOptions } from './domain/plan-shift.js';
export { planRollback } from './domain/plan-rollback.js';
export { planClear } from './domain/plan-clear.js';
export { buildTrafficReport } from './domain/show.js';
export type { DestinationReport, MatchConditionReport, RouteReport, TrafficReport, VirtualServiceReport } from './domain/show.js';
export { formatChange, orderWrites } from './domain/changes.js';
export type { Change, ChangeOp, Plan, PlannedWrite } from './domain/changes.js';
export type { ClearMode, ClearRequest, DestinationRef, HeaderTraffic, RollbackRequest, ShiftRequest, WeightTraffic } from './domain/requests.js';
export type { Destination, DestinationRule, HTTPMatchRequest, HTTPRoute, HTTPRouteDestination, IstioObject, ObjectMeta, StringMatch, Subset, VirtualService } from './domain/istio.js';
export type { ReadinessSource, RoutingState, Workload } from './domain/state.js';
export { readyPodsFor } from './domain/state.js';
export { formatSelector, matchesSelector, parseLabelSelector } from './domain/label-selector.js';
export type { LabelRequirement, LabelSelector } from './domain/label-selector.js';
export { isCatchAll } from './domain/routes.js';
export { resolveHost, subsetNameFor } from './domain/names.js';

export type { ReadQuery, ReadinessQuery, RouteStore, WriteOptions } from './store/route-store.js';
export { ManifestStore } from './store/manifest-store.js';
export { KubernetesStore, ISTIO_GROUP, PREFERRED_VERSIONS } from './store/kube-store.js';
export type { KubernetesStoreOptions } from './store/kube-store.js';
export { contextNamespace, loadKubeConfig } from './store/kubeconfig.js';
export type { KubeconfigOptions } from './store/kubeconfig.js';

export {
  ApiError,
  AuthError,
  ConflictError,
  InterruptedError,
  IstiopsError,
  ManifestError,
  NotFoundError,
  OutcomeUnknownError,
  PartialWriteError,
  PlanRefusedError,
  RuntimeError,
  TransientError,
  UsageError,
} from './errors.js';
