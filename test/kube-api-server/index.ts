/**
 * Kubernetes API test server: a fixture for tests that need a real HTTPS
 * endpoint speaking the Kubernetes REST conventions for Istio
 * VirtualServices, DestinationRules and pods.
 *
 * @example
 * ```ts
 * const server = await startKubeApiServer();
 * server.seed([{ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'api', namespace: 'ns' }, spec: { hosts: ['api'] } }]);
 * const kubeconfig = server.writeKubeconfig(join(tmp, 'config'));
 * // ... run the code under test against `kubeconfig` ...
 * await server.close();
 * ```
 *
 * @module
 */
export {
  startKubeApiServer,
  type FaultControls,
  type KubeApiServer,
  type KubeApiServerOptions,
  type KubeObject,
  type ObjectMeta,
  type RequestLogEntry,
  type RequestVerb,
} from './server.js';
export { type KubeconfigContext, type KubeconfigOptions, type KubeconfigTarget } from './kubeconfig.js';
export { ISTIO_GROUP, ISTIO_VERSIONS, type IstioVersion, type ResourcePlural } from './resources.js';
export { getTlsMaterial, type TlsMaterial } from './certs.js';
export { parseLabelSelector, matchesLabels, SelectorError, type LabelRequirement, type LabelOperator } from './selectors.js';
export type { KubeStatus, StatusCause, StatusDetails } from './status.js';
