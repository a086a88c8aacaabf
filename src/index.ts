/**
 * istiops as a library: the same operations as the CLI for programs.
 *
 * - {@link Istiops}: get / shift / rollback / clear over a {@link RouteStore}.
 * - Stores: {@link ManifestStore} (YAML files) and {@link KubernetesStore} (Kubernetes API).
 * - Pure planners: {@link planShift}, {@link planRollback}, {@link planClear}, {@link buildTrafficReport}.
 * - The canary: {@link runCanary} with a {@link Gate} ({@link PrometheusGate}, {@link CommandGate}, or your own).
 * - Request types and error classes.
 * @packageDocumentation
 */
export { Istiops } from './app/istiops.js';
export type { IstiopsOptions, Outcome, ProgressEvent, RunOptions, Selection } from './app/istiops.js';
export { checkSubsetReferences, validateSchema } from './app/validate.js';
export { runCanary, CanaryRollbackError, CanaryStepError } from './app/canary.js';
export type { CanaryEvent, CanaryOptions, CanaryRequest, CanaryResult } from './app/canary.js';
export type { Gate, GateContext, GateResult } from './gates/gate.js';
export { PrometheusGate } from './gates/prometheus-gate.js';
export type { PrometheusBound, PrometheusGateOptions } from './gates/prometheus-gate.js';
export { CommandGate } from './gates/command-gate.js';
export type { CommandGateOptions } from './gates/command-gate.js';
export { splitShellWords } from './gates/shell-words.js';

export { planShift } from './domain/plan-shift.js';
export type { ReadinessPolicy, ShiftOptions } from './domain/plan-shift.js';
export { planRollback } from './domain/plan-rollback.js';
export type { RollbackOptions } from './domain/plan-rollback.js';
export { planMirror, planMirrorRemove } from './domain/plan-mirror.js';
export type { MirrorOptions } from './domain/plan-mirror.js';
export { durationText, faultOf, faultRouteName, planFault, planFaultRemove } from './domain/plan-fault.js';
export { planClear } from './domain/plan-clear.js';
export { buildTrafficReport } from './domain/show.js';
export { narrowState } from './domain/narrow.js';
export type { DestinationReport, MatchConditionReport, MirrorReport, RouteReport, TrafficReport, VirtualServiceReport } from './domain/show.js';
export { formatChange, orderWrites } from './domain/changes.js';
export type { Change, ChangeOp, Plan, PlannedWrite } from './domain/changes.js';
export type { ClearMode, ClearRequest, DestinationRef, FaultAbort, FaultDelay, FaultRemoveRequest, FaultRequest, HeaderTraffic, MirrorRemoveRequest, MirrorRequest, RollbackRequest, ShiftRequest, WeightTraffic } from './domain/requests.js';
export type { Destination, DestinationRule, HTTPMatchRequest, HTTPMirrorPolicy, HTTPRoute, HTTPRouteDestination, IstioObject, ObjectMeta, Percent, StringMatch, Subset, VirtualService } from './domain/istio.js';
export type { ReadinessSource, RoutingState, ServiceInfo, SubsetUsers, Workload } from './domain/state.js';
export { readyPodsFor } from './domain/state.js';
export { formatSelector, matchesSelector, parseLabelSelector } from './domain/label-selector.js';
export type { LabelRequirement, LabelSelector } from './domain/label-selector.js';
export { classifyRoutes, classifyVirtualService, generalRoutesOfHost, isCatchAll, isCatchAllEntry, isTargeted, routesOfHost, subsetUses, FAULT_ROUTE_PREFIX } from './domain/route-model.js';
export type { ManagedRoute, RouteFacts, SubsetUse, Unreachable } from './domain/route-model.js';
export { apportion } from './domain/weights.js';
export { ReadinessIndex } from './domain/readiness.js';
export type { Labels, Readiness } from './domain/readiness.js';
export { resolveHost, subsetNameFor } from './domain/names.js';

export type { FilePreview, ReadQuery, ReadinessQuery, RouteStore, WatchEvent, WriteOptions } from './store/route-store.js';
export { ManifestStore } from './store/manifest-store.js';
export type { ManifestStoreOptions } from './store/manifest-store.js';
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
  InvalidObjectError,
  ManifestError,
  NotFoundError,
  OutcomeUnknownError,
  PartialWriteError,
  PlanRefusedError,
  RuntimeError,
  TransientError,
  UsageError,
} from './errors.js';
