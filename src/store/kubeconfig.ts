import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
// Only the kubeconfig part of client-node: its package index also loads the generated API clients
// (a 14.5 MB chunk) that istiops never uses (issue 10).
import type { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import type { User } from '@kubernetes/client-node/dist/config_types.js';
import { RuntimeError, UsageError } from '../errors.js';

export type { KubeConfig };

/** Where the kubeconfig comes from, as kubectl decides it. */
export interface KubeconfigOptions {
  /** `--kubeconfig PATH`: this file only. */
  readonly kubeconfig?: string | undefined;
  /** `--context NAME`: use this context instead of the current one. */
  readonly context?: string | undefined;
  /** Environment to read `KUBECONFIG`, `HOME` and `KUBERNETES_SERVICE_HOST`/`_PORT` from. Default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /**
   * A folder standing in for `/` when reading the in-cluster service account files
   * (`/var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt,namespace}`). Default: the real root.
   */
  readonly inClusterRoot?: string;
}

/**
 * Loads a kubeconfig the way kubectl does: `--kubeconfig`, else every file of `$KUBECONFIG`
 * (separated by `:`; for each name and for `current-context` the first file that sets it wins), else
 * `~/.kube/config`, else the in-cluster service account. Then selects `--context`.
 * Credentials (tokens, client certificates, exec plugins, auth providers) are handled by
 * `@kubernetes/client-node` (only its kubeconfig module is loaded); a user's `tokenFile`, which it
 * does not read, is handed to it as a token file that is read again before requests and wins over
 * `token` (client-go's rule).
 * @throws UsageError when `--context` names no context, `--kubeconfig` does not exist, or the current
 *   cluster is unusable (`checkKubeConfig`); RuntimeError when no configuration can be found or
 *   a file cannot be parsed.
 */
export async function loadKubeConfig(options: KubeconfigOptions): Promise<KubeConfig> {
  const { KubeConfig } = await import('@kubernetes/client-node/dist/config.js');
  const env = options.env ?? process.env;
  const kc = new KubeConfig();
  /** Files that mention `tokenFile` (client-node does not read it), in merge order. */
  const withTokenFiles: { file: string; text: string }[] = [];
  const load = (file: string): KubeConfig => {
    const one = new KubeConfig();
    try {
      const text = readFileSync(file, 'utf8');
      one.loadFromString(text);
      one.makePathsAbsolute(dirname(file));
      if (text.includes('tokenFile')) withTokenFiles.push({ file, text });
    } catch (e) {
      throw new RuntimeError(`cannot load kubeconfig ${file}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`, { cause: e });
    }
    return one;
  };
  if (options.kubeconfig !== undefined) {
    if (!existsSync(options.kubeconfig)) throw new UsageError(`--kubeconfig "${options.kubeconfig}": no such file`);
    const one = load(options.kubeconfig);
    kc.loadFromOptions({ clusters: one.clusters, users: one.users, contexts: one.contexts, currentContext: one.currentContext });
  } else if (env['KUBECONFIG']) {
    const files = env['KUBECONFIG'].split(delimiter).filter((f) => f.length > 0 && existsSync(f));
    if (files.length === 0) throw new RuntimeError(`no file of KUBECONFIG exists (${env['KUBECONFIG']})`);
    const merged = files.map(load);
    const firstByName = <T extends { name: string }>(lists: T[][]): T[] => {
      const seen = new Map<string, T>();
      for (const list of lists) for (const item of list) if (!seen.has(item.name)) seen.set(item.name, item);
      return [...seen.values()];
    };
    kc.loadFromOptions({
      clusters: firstByName(merged.map((m) => m.clusters)),
      users: firstByName(merged.map((m) => m.users)),
      contexts: firstByName(merged.map((m) => m.contexts)),
      currentContext: merged.find((m) => m.currentContext)?.currentContext ?? '',
    });
  } else {
    const file = join(env['HOME'] ?? homedir(), '.kube', 'config');
    if (existsSync(file)) {
      const one = load(file);
      kc.loadFromOptions({ clusters: one.clusters, users: one.users, contexts: one.contexts, currentContext: one.currentContext });
    } else if (env['KUBERNETES_SERVICE_HOST'] && env['KUBERNETES_SERVICE_PORT']) {
      // client-node reads the service host and port from process.env itself.
      const saved = { host: process.env['KUBERNETES_SERVICE_HOST'], port: process.env['KUBERNETES_SERVICE_PORT'] };
      process.env['KUBERNETES_SERVICE_HOST'] = env['KUBERNETES_SERVICE_HOST'];
      process.env['KUBERNETES_SERVICE_PORT'] = env['KUBERNETES_SERVICE_PORT'];
      try {
        kc.loadFromCluster(options.inClusterRoot ?? '');
      } finally {
        restoreEnv('KUBERNETES_SERVICE_HOST', saved.host);
        restoreEnv('KUBERNETES_SERVICE_PORT', saved.port);
      }
    } else {
      throw new RuntimeError('no kubeconfig found: give --kubeconfig, set KUBECONFIG, create ~/.kube/config, or run in a cluster (or use --manifests)');
    }
  }
  if (options.context !== undefined) {
    if (!kc.getContextObject(options.context)) {
      throw new UsageError(`--context "${options.context}": no such context (have: ${kc.contexts.map((c) => c.name).join(', ') || 'none'})`);
    }
    kc.setCurrentContext(options.context);
  }
  if (!kc.getCurrentCluster()) {
    throw new RuntimeError(kc.currentContext ? `context "${kc.currentContext}" has no cluster` : 'the kubeconfig has no current context: give --context');
  }
  if (withTokenFiles.length > 0) {
    // The raw documents are parsed again only when they mention tokenFile (rare): the common path stays cheap.
    const { parse } = await import('./kube-yaml.js');
    const tokenFiles = new Map<string, string>();
    for (const { file, text } of withTokenFiles) {
      const users = (parse(text) as { users?: unknown } | null)?.users;
      if (!Array.isArray(users)) continue;
      for (const entry of users as unknown[]) {
        const e = entry as { name?: unknown; user?: { tokenFile?: unknown } } | null;
        const path = e?.user?.tokenFile;
        if (typeof e?.name === 'string' && typeof path === 'string' && path !== '' && !tokenFiles.has(e.name)) {
          tokenFiles.set(e.name, isAbsolute(path) ? path : join(dirname(file), path));
        }
      }
    }
    kc.users = kc.users.map((u) => withTokenFile(u, tokenFiles.get(u.name)));
  }
  checkKubeConfig(kc);
  return kc;
}

/**
 * A user whose `tokenFile` client-node should read (it only knows the auth-provider form): the file
 * is read again before requests, and its token wins over `token`, as client-go's BearerTokenFile does.
 */
function withTokenFile(user: User, tokenFile: string | undefined): User {
  if (tokenFile === undefined || user.exec || user.authProvider) return user;
  const rest = Object.fromEntries(Object.entries(user).filter(([k]) => k !== 'token')) as Omit<User, 'token'>;
  return { ...rest, authProvider: { name: 'tokenFile', config: { tokenFile } } };
}

/**
 * Refuses what kubectl refuses in the current cluster, before any request: a CA together with
 * `insecure-skip-tls-verify`, a server URL that is not http(s), a CA that is not a PEM certificate.
 * Messages name the cluster and never contain the certificate. Returns the cluster's CA certificates
 * (PEM), if it has any.
 * @throws UsageError
 */
export function checkKubeConfig(kc: KubeConfig): Buffer | undefined {
  const cluster = kc.getCurrentCluster();
  if (!cluster) return undefined;
  const name = `cluster "${cluster.name}" of the kubeconfig`;
  let url: URL;
  try {
    url = new URL(cluster.server);
  } catch {
    throw new UsageError(`${name}: server "${cluster.server}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UsageError(`${name}: server "${cluster.server}" must be an https:// or http:// URL`);
  }
  const hasCa = Boolean(cluster.caData) || Boolean(cluster.caFile);
  if (cluster.skipTLSVerify && hasCa && url.protocol === 'https:') {
    throw new UsageError(`${name}: certificate-authority and insecure-skip-tls-verify cannot be used together (kubectl refuses it too: specifying a root certificates file with the insecure flag is not allowed)`);
  }
  const ca = hasCa ? caCertificates(cluster) : undefined;
  if (cluster.proxyUrl !== undefined && cluster.proxyUrl !== '') {
    let proxy: URL | undefined;
    try {
      proxy = new URL(cluster.proxyUrl);
    } catch {
      proxy = undefined;
    }
    if (!proxy || !['http:', 'https:', 'socks5:', 'socks5h:', 'socks:', 'socks4:'].includes(proxy.protocol)) {
      throw new UsageError(`${name}: proxy-url must be an http://, https:// or socks5:// URL`);
    }
  }
  return ca;
}

/**
 * The cluster's CA certificates (PEM) from `certificate-authority-data` or `certificate-authority`.
 * @throws UsageError naming the cluster when the data is not one or more PEM certificates
 */
export function caCertificates(cluster: { readonly name: string; readonly caData?: string | undefined; readonly caFile?: string | undefined }): Buffer | undefined {
  const name = `cluster "${cluster.name}" of the kubeconfig`;
  let pem: Buffer;
  const source = cluster.caFile ? `certificate-authority file ${cluster.caFile}` : 'certificate-authority-data';
  if (cluster.caFile) {
    try {
      pem = readFileSync(cluster.caFile);
    } catch (e) {
      throw new UsageError(`${name}: cannot read ${source} (${(e as { code?: string }).code ?? 'error'})`, { cause: e });
    }
  } else if (cluster.caData) {
    pem = Buffer.from(cluster.caData, 'base64');
  } else {
    return undefined;
  }
  const blocks = pem.toString('latin1').match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  const valid = blocks.length > 0 && blocks.every((b) => {
    try {
      new X509Certificate(b);
      return true;
    } catch {
      return false;
    }
  });
  if (!valid) {
    throw new UsageError(`${name}: ${source} is not a PEM-encoded certificate${cluster.caFile ? '' : ' (base64 of the PEM text)'}`);
  }
  return pem;
}

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

/** The namespace of the current context, or `default` (what kubectl uses when `-n` is not given). */
export function contextNamespace(kc: KubeConfig): string {
  return kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
}
