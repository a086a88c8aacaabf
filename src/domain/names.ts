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
 * Resolves a host as Istio does (`ResolveShortnameToFQDN` in istio/pkg/config/model.go): a name
 * without a dot is a short name and becomes `<name>.<namespace of the object that holds it>.svc.cluster.local`;
 * a name with a dot is taken literally (`reviews.prod` stays `reviews.prod`, which Istio does not
 * expand), and so is a wildcard. Hosts are case-insensitive DNS names, so the result is lowercase.
 */
export function resolveHost(host: string, namespace: string): string {
  const h = host.toLowerCase();
  if (h.startsWith('*') || h.includes('.')) return h;
  return `${h}.${namespace}.svc.cluster.local`;
}

/** The Kubernetes Service a resolved host names (`reviews.prod.svc.cluster.local`), or undefined for other hosts. */
export function serviceOfHost(resolvedHost: string): { readonly name: string; readonly namespace: string } | undefined {
  const m = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.cluster\.local$/.exec(resolvedHost);
  return m ? { name: m[1] as string, namespace: m[2] as string } : undefined;
}

/**
 * True for a subset name of the shape istiops writes for a service: `<service>-<build>-<namespace>`
 * (design: "managed subset"), with a non-empty build part.
 */
export function isManagedSubsetName(subset: string, service: string, namespace: string): boolean {
  const head = `${service}-`;
  const tail = `-${namespace}`;
  return subset.length > head.length + tail.length && subset.startsWith(head) && subset.endsWith(tail);
}

/** True when two hosts name the same service once both are resolved in their objects' namespaces. */
export function sameHost(a: string, aNamespace: string, b: string, bNamespace: string): boolean {
  return resolveHost(a, aNamespace) === resolveHost(b, bNamespace);
}
