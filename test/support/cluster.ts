/** Fixtures for running the CLI against the Kubernetes API test server. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeApiServer, type KubeApiServer, type KubeObject, type KubeApiServerOptions, type KubeconfigOptions } from '../kube-api-server/index.js';
import { runCli, type CliResult } from './cli.js';

export interface Cluster {
  readonly server: KubeApiServer;
  readonly kubeconfig: string;
  readonly dir: string;
  /** Runs the CLI against this cluster (`--kubeconfig`, `--propagation-wait 0s` unless given). */
  cli(args: readonly string[], options?: { env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<CliResult>;
  kubeconfigWith(options: KubeconfigOptions): string;
}

/** A VirtualService/DestinationRule pair like the original README's api-domain, and Ready pods of builds 1 and 2. */
export function apiDomain(namespace = 'default', version = 'v1'): KubeObject[] {
  const labels = { app: 'api-domain', environment: 'pipeline-go' };
  return [
    {
      apiVersion: `networking.istio.io/${version}`,
      kind: 'VirtualService',
      metadata: { name: 'api-domain', namespace, labels, annotations: { 'owner.example.com/team': 'payments' } },
      spec: {
        hosts: ['api.domain.io', 'api-domain'],
        gateways: ['mesh'],
        http: [
          {
            match: [{ uri: { regex: '.+' } }],
            route: [{ destination: { host: 'api-domain', port: { number: 5000 }, subset: 'api-domain-1-default' }, weight: 100 }],
            retries: { attempts: 3, perTryTimeout: '2s' },
            timeout: '10s',
          },
        ],
        tcp: [{ match: [{ port: 27017 }], route: [{ destination: { host: 'mongo', port: { number: 27017 } } }] }],
      },
    },
    {
      apiVersion: `networking.istio.io/${version}`,
      kind: 'DestinationRule',
      metadata: { name: 'api-domain', namespace, labels },
      spec: {
        host: 'api-domain',
        trafficPolicy: { connectionPool: { http: { http1MaxPendingRequests: 100 } } },
        subsets: [{ name: 'api-domain-1-default', labels: { app: 'api-domain', build: '1' } }],
      },
    },
    pod('api-domain-1-abc', namespace, { app: 'api-domain', build: '1' }, true),
    pod('api-domain-2-def', namespace, { app: 'api-domain', build: '2' }, true),
    pod('api-domain-3-ghi', namespace, { app: 'api-domain', build: '3' }, false),
  ];
}

/** A pod with a Ready condition. */
export function pod(name: string, namespace: string, labels: Record<string, string>, ready: boolean): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace, labels },
    spec: { containers: [{ name: 'app', image: 'example/app' }] },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: ready ? 'True' : 'False' }] },
  };
}

/**
 * A core `v1` Service selecting pods by `selector`, with one HTTP port
 * (`port`, default 5000, like {@link apiDomain}'s destination).
 */
export function service(name: string, namespace: string, selector: Record<string, string>, port = 5000): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels: { app: name } },
    spec: { selector, ports: [{ name: 'http', port, targetPort: port, protocol: 'TCP' }] },
  };
}

/** The Service behind {@link apiDomain}'s destination host `api-domain` (it selects `app: api-domain`). */
export function apiDomainService(namespace = 'default'): KubeObject {
  return service('api-domain', namespace, { app: 'api-domain' });
}

/** Starts a server seeded with `objects` and writes a TLS kubeconfig for it. */
export async function startCluster(objects: readonly KubeObject[], options: KubeApiServerOptions = {}): Promise<Cluster> {
  const server = await startKubeApiServer(options);
  server.seed(objects);
  const dir = mkdtempSync(join(tmpdir(), 'istiops-cluster-'));
  const kubeconfig = server.writeKubeconfig(join(dir, 'config'));
  let n = 0;
  return {
    server,
    kubeconfig,
    dir,
    cli: (args, opts = {}) => {
      const extra = args.includes('--propagation-wait') ? [] : ['--propagation-wait', '0s'];
      const withConfig = args.includes('--kubeconfig') || opts.env?.['KUBECONFIG'] !== undefined ? [] : ['--kubeconfig', kubeconfig];
      return runCli([...args, ...withConfig, ...extra], opts);
    },
    kubeconfigWith: (o) => server.writeKubeconfig(join(dir, `config-${++n}`), o),
  };
}
