import { UsageError } from '../errors.js';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Checks a DNS-1123 label (RFC 1123, as Kubernetes uses it for namespaces and Istio for subset
 * names): at most 63 characters, lowercase alphanumerics and `-`, starting and ending alphanumeric.
 * Returns an error text, or `undefined` when valid.
 */
export function dns1123LabelError(value: string): string | undefined {
  if (value.length === 0) return 'must not be empty';
  if (value.length > 63) return `must be at most 63 characters (has ${value.length})`;
  if (!DNS1123_LABEL.test(value)) {
    return 'must be a DNS-1123 label: lowercase letters, digits and "-", starting and ending with a letter or digit';
  }
  return undefined;
}

/** The first DNS label of a host: `reviews` for `reviews.prod.svc.cluster.local`. */
export function serviceNameOf(host: string): string {
  return host.split('.')[0] ?? host;
}

/**
 * The subset name of a build: `<service>-<build>-<namespace>`, where `<service>` is the first DNS label
 * of the destination host. This is the original istiops convention, kept so that clusters it managed
 * keep working; every subset name is built here and nowhere else.
 * @throws UsageError when the result is not a DNS-1123 label (Istio requires it for subset names).
 */
export function subsetNameFor(host: string, build: string, namespace: string): string {
  const name = `${serviceNameOf(host)}-${build}-${namespace}`;
  const error = dns1123LabelError(name);
  if (error) throw new UsageError(`--build "${build}": subset name "${name}" ${error}`);
  return name;
}

/**
 * Resolves a host as Istio does for short names in an object's namespace: `reviews` in `prod` is
 * `reviews.prod.svc.cluster.local`, `reviews.prod` is `reviews.prod.svc.cluster.local`, and
 * `reviews.prod.svc` gains `.cluster.local`. Other names (external FQDNs, wildcards) stay as they are.
 */
export function resolveHost(host: string, namespace: string): string {
  const h = host.toLowerCase().replace(/\.$/, '');
  if (h.startsWith('*')) return h;
  const parts = h.split('.');
  if (parts.length === 1) return `${h}.${namespace}.svc.cluster.local`;
  if (parts.length === 2) return `${h}.svc.cluster.local`;
  if (parts.length === 3 && parts[2] === 'svc') return `${h}.cluster.local`;
  return h;
}

/** True when two hosts name the same service once both are resolved in their objects' namespaces. */
export function sameHost(a: string, aNamespace: string, b: string, bNamespace: string): boolean {
  return resolveHost(a, aNamespace) === resolveHost(b, bNamespace);
}
