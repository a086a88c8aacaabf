import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { RuntimeError, UsageError } from '../errors.js';

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
 * Credentials (tokens, client certificates, exec plugins) are handled by `@kubernetes/client-node`.
 * @throws UsageError when `--context` names no context or `--kubeconfig` does not exist;
 *   RuntimeError when no configuration can be found or a file cannot be parsed.
 */
export async function loadKubeConfig(options: KubeconfigOptions): Promise<KubeConfig> {
  const { KubeConfig } = await import('@kubernetes/client-node');
  const env = options.env ?? process.env;
  const kc = new KubeConfig();
  const load = (file: string): KubeConfig => {
    const one = new KubeConfig();
    try {
      one.loadFromFile(file);
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
  return kc;
}

function restoreEnv(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

/** The namespace of the current context, or `default` (what kubectl uses when `-n` is not given). */
export function contextNamespace(kc: KubeConfig): string {
  return kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
}
