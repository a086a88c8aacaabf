/**
 * Writes kubeconfig files pointing at a running test server.
 *
 * @module
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { stringify } from 'yaml';

/** Which listener a cluster entry points at. `unreachable` is a closed local port. */
export type KubeconfigTarget = 'https' | 'http' | 'unreachable';

/** One context of the written kubeconfig. */
export interface KubeconfigContext {
  readonly name: string;
  /** Default namespace of the context; omitted from the file when undefined. */
  readonly namespace?: string;
  /** User name; defaults to `test-user`, whose token is {@link KubeconfigOptions.token}. */
  readonly user?: string;
  /** Listener the context's cluster points at; defaults to {@link KubeconfigOptions.server}. */
  readonly server?: KubeconfigTarget;
}

/** Options of {@link writeKubeconfigFile} (and `KubeApiServer.writeKubeconfig`). */
export interface KubeconfigOptions {
  /** Contexts to write; default one context `kube-api-test` with namespace `default`. */
  readonly contexts?: readonly KubeconfigContext[];
  /** `current-context`; defaults to the first context. */
  readonly currentContext?: string;
  /** Listener for contexts that do not choose one; default `https`. */
  readonly server?: KubeconfigTarget;
  /** Token of the default user `test-user`; defaults to the server's token. Pass another value to provoke 401s. */
  readonly token?: string;
  /** Extra users that contexts can refer to. */
  readonly users?: readonly { readonly name: string; readonly token: string }[];
  /** Written as `proxy-url` of every cluster, e.g. the `url` of a `startConnectProxy()` proxy. */
  readonly proxyUrl?: string;
  /**
   * Whether the `http` cluster carries `insecure-skip-tls-verify: true`
   * (default true, which older client-node versions need for `http://`).
   * Pass false for a kubeconfig shaped like one for `kubectl proxy`: a bare
   * `http://` server.
   */
  readonly httpSkipTlsVerify?: boolean;
}

/** Connection facts about a server that the kubeconfig needs. */
export interface KubeconfigServerInfo {
  readonly httpsUrl: string;
  readonly httpUrl: string;
  readonly unreachableUrl: string;
  readonly caPem: string;
  readonly token: string;
}

/** Name of the default user in written kubeconfigs. */
export const DEFAULT_USER = 'test-user';

/**
 * Writes a YAML kubeconfig for `server` to `path` (creating parent
 * directories) and returns `path`. HTTPS clusters carry the CA as
 * `certificate-authority-data`; the HTTP cluster has `insecure-skip-tls-verify: true`
 * instead (unless {@link KubeconfigOptions.httpSkipTlsVerify} is false).
 */
export function writeKubeconfigFile(path: string, server: KubeconfigServerInfo, options: KubeconfigOptions = {}): string {
  const defaultTarget = options.server ?? 'https';
  const contexts = options.contexts ?? [{ name: 'kube-api-test', namespace: 'default' }];
  const caData = Buffer.from(server.caPem).toString('base64');
  const urls: Record<KubeconfigTarget, string> = {
    https: server.httpsUrl,
    http: server.httpUrl,
    unreachable: server.unreachableUrl,
  };
  const targets = [...new Set(contexts.map((c) => c.server ?? defaultTarget))];
  const clusters = targets.map((target) => ({
    name: `test-${target}`,
    cluster: {
      server: urls[target],
      // client-node refuses plain HTTP unless TLS verification is (nominally) skipped.
      ...(target !== 'http' ? { 'certificate-authority-data': caData } : options.httpSkipTlsVerify === false ? {} : { 'insecure-skip-tls-verify': true }),
      ...(options.proxyUrl !== undefined ? { 'proxy-url': options.proxyUrl } : {}),
    },
  }));
  const users = [{ name: DEFAULT_USER, token: options.token ?? server.token }, ...(options.users ?? [])].map((u) => ({
    name: u.name,
    user: { token: u.token },
  }));
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    clusters,
    users,
    contexts: contexts.map((c) => ({
      name: c.name,
      context: {
        cluster: `test-${c.server ?? defaultTarget}`,
        user: c.user ?? DEFAULT_USER,
        ...(c.namespace !== undefined ? { namespace: c.namespace } : {}),
      },
    })),
    'current-context': options.currentContext ?? contexts[0]?.name ?? '',
  };
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, stringify(config), { mode: 0o600 });
  return path;
}
