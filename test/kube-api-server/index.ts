/**
 * Kubernetes API test server: a fixture for tests that need a real HTTPS
 * (or plain HTTP, as `kubectl proxy` serves) endpoint speaking the
 * Kubernetes REST conventions for Istio VirtualServices and
 * DestinationRules, and core pods and services: list (namespaced and across
 * namespaces), get, create, update, merge/JSON patch, delete, dry runs,
 * label and field selectors, and watch streams.
 *
 * Knobs for tests, all on {@link KubeApiServer.faults} and undone by
 * `faults.reset()`: latency, write errors and conflicts, dropped
 * connections, RBAC denials (`forbid`), untrusted answers (`interceptNext`:
 * an HTML page, `{}`, a list of another kind, an answer lost or held back
 * after the write was done), dropped watches and `410 Gone`. The request log
 * and {@link KubeApiServer.connections} count requests and connections.
 * Writes are checked against the Istio CRD schemas and against Istio's
 * webhook rules, written independently in `validation.ts`.
 *
 * @example
 * ```ts
 * const server = await startKubeApiServer();
 * server.seed([{ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'api', namespace: 'ns' }, spec: { hosts: ['api'] } }]);
 * const kubeconfig = server.writeKubeconfig(join(tmp, 'config'));
 * server.faults.forbid({ verb: 'list', resource: 'virtualservices', clusterScope: true });
 * server.faults.interceptNext({ method: 'PUT', path: /destinationrules/ }, { type: 'drop-after-handling' });
 * // ... run the code under test against `kubeconfig` ...
 * expect(new Set(server.requests().map((r) => r.connection)).size).toBe(1);
 * await server.close();
 * ```
 *
 * @module
 */
export {
  startKubeApiServer,
  type ConnectionInfo,
  type FaultControls,
  type ForbidRule,
  type GoneMode,
  type InterceptAction,
  type KubeApiServer,
  type KubeApiServerOptions,
  type KubeObject,
  type ObjectMeta,
  type RequestLogEntry,
  type RequestMatch,
  type RequestVerb,
} from './server.js';
export { startConnectProxy, type ConnectProxy, type ConnectProxyOptions } from './proxy.js';
export { type KubeconfigContext, type KubeconfigOptions, type KubeconfigTarget } from './kubeconfig.js';
export { ISTIO_GROUP, ISTIO_VERSIONS, type IstioVersion, type ResourcePlural } from './resources.js';
export { getTlsMaterial, type TlsMaterial } from './certs.js';
export { parseLabelSelector, matchesLabels, SelectorError, type LabelRequirement, type LabelOperator } from './selectors.js';
export { MAX_REGEX_BYTES, validateDestinationRule, validateVirtualService, type WebhookRules } from './validation.js';
export type { KubeStatus, StatusCause, StatusDetails } from './status.js';
