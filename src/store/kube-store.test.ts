import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { startKubeApiServer } from '../../test/kube-api-server/index.js';
import { ApiError, AuthError, ConflictError, NotFoundError, OutcomeUnknownError, TransientError } from '../errors.js';
import type { IstioObject } from '../domain/istio.js';
import { KubernetesStore } from './kube-store.js';
import { errorFromAnswer, proxyFor } from './kube-transport.js';
import { contextNamespace, loadKubeConfig } from './kubeconfig.js';
import { storeContract } from './store.contract.js';

storeContract('kubernetes', async (objects, workloads) => {
  const server = await startKubeApiServer();
  server.seed(objects);
  server.seed(
    workloads.map((w) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: w.name, namespace: w.namespace, labels: { ...w.labels } },
      status: { conditions: [{ type: 'Ready', status: w.ready ? 'True' : 'False' }] },
    })),
  );
  const kubeconfig = server.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'istiops-kc-')), 'config'));
  const store = new KubernetesStore(await loadKubeConfig({ kubeconfig }));
  const plural = (kind: IstioObject['kind']) => (kind === 'VirtualService' ? 'virtualservices' : 'destinationrules');
  return {
    store,
    touch: (object, mutate) => {
      const current = server.getObject(plural(object.kind), object.metadata.namespace ?? 'default', object.metadata.name) as unknown as IstioObject;
      mutate(current);
      server.seed([current]);
      return Promise.resolve();
    },
    get: (kind, namespace, name) => Promise.resolve(server.getObject(plural(kind), namespace, name) as unknown as IstioObject | undefined),
    close: () => server.close(),
  };
});

describe('kubeconfig loading', () => {
  it('takes the namespace of the selected context, else default', async () => {
    const server = await startKubeApiServer();
    try {
      const file = server.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'istiops-kc-')), 'config'), {
        contexts: [{ name: 'plain' }, { name: 'team', namespace: 'team-a' }],
      });
      expect(contextNamespace(await loadKubeConfig({ kubeconfig: file }))).toBe('default');
      expect(contextNamespace(await loadKubeConfig({ kubeconfig: file, context: 'team' }))).toBe('team-a');
      await expect(loadKubeConfig({ kubeconfig: file, context: 'nope' })).rejects.toThrow('--context "nope"');
      await expect(loadKubeConfig({ kubeconfig: join(tmpdir(), 'does-not-exist') })).rejects.toThrow('--kubeconfig');
    } finally {
      await server.close();
    }
  });

  it('reads ~/.kube/config when neither --kubeconfig nor KUBECONFIG is set, and explains when nothing is found', async () => {
    const server = await startKubeApiServer();
    try {
      const home = mkdtempSync(join(tmpdir(), 'istiops-home-'));
      server.writeKubeconfig(join(home, '.kube', 'config'), { contexts: [{ name: 'home', namespace: 'from-home' }] });
      expect(contextNamespace(await loadKubeConfig({ env: { HOME: home } }))).toBe('from-home');
      await expect(loadKubeConfig({ env: { HOME: mkdtempSync(join(tmpdir(), 'istiops-empty-')) } })).rejects.toThrow('no kubeconfig found');
    } finally {
      await server.close();
    }
  });
});

describe('in-cluster configuration', () => {
  it('uses the service account token, CA and namespace when no kubeconfig exists', async () => {
    const server = await startKubeApiServer();
    const hostBefore = process.env['KUBERNETES_SERVICE_HOST'];
    try {
      server.seed([
        { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'web', namespace: 'apps', labels: { app: 'web' } }, spec: { hosts: ['web'] } },
      ]);
      const root = mkdtempSync(join(tmpdir(), 'istiops-incluster-'));
      const account = join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
      mkdirSync(account, { recursive: true });
      writeFileSync(join(account, 'token'), server.token);
      writeFileSync(join(account, 'ca.crt'), server.caPem);
      writeFileSync(join(account, 'namespace'), 'apps');
      const port = new URL(server.httpsUrl).port;
      const env = { HOME: mkdtempSync(join(tmpdir(), 'istiops-nohome-')), KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: port };
      const kc = await loadKubeConfig({ env, inClusterRoot: root });
      expect(contextNamespace(kc)).toBe('apps');
      const state = await new KubernetesStore(kc).read({
        namespace: contextNamespace(kc),
        labelSelector: [{ key: 'app', op: 'equals', value: 'web' }],
        readiness: { kind: 'none' },
        subsetUsers: false,
      });
      expect(state.virtualServices.map((v) => v.metadata.name)).toEqual(['web']);
      expect(process.env['KUBERNETES_SERVICE_HOST']).toBe(hostBefore);
    } finally {
      await server.close();
    }
  });
});

describe('exec credential plugins', () => {
  it('gets the token from an exec plugin, as kubectl does', async () => {
    const server = await startKubeApiServer();
    try {
      server.seed([{ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } }, spec: { host: 'web' } }]);
      const dir = mkdtempSync(join(tmpdir(), 'istiops-exec-'));
      const plugin = join(dir, 'plugin.mjs');
      const credential = { apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status: { token: server.token } };
      writeFileSync(plugin, `process.stdout.write(${JSON.stringify(JSON.stringify(credential))});\n`);
      const kubeconfig = join(dir, 'config');
      writeFileSync(
        kubeconfig,
        stringify({
          apiVersion: 'v1',
          kind: 'Config',
          clusters: [{ name: 'c', cluster: { server: server.httpsUrl, 'certificate-authority-data': Buffer.from(server.caPem).toString('base64') } }],
          users: [{ name: 'u', user: { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: process.execPath, args: [plugin], interactiveMode: 'Never' } } }],
          contexts: [{ name: 'ctx', context: { cluster: 'c', user: 'u' } }],
          'current-context': 'ctx',
        }),
      );
      const state = await new KubernetesStore(await loadKubeConfig({ kubeconfig })).read({
        namespace: 'default',
        labelSelector: [{ key: 'app', op: 'equals', value: 'web' }],
        readiness: { kind: 'none' },
        subsetUsers: false,
      });
      expect(state.destinationRules.map((d) => d.metadata.name)).toEqual(['web']);
    } finally {
      await server.close();
    }
  });
});

describe('API error translation', () => {
  const json = { 'content-type': 'application/json' };
  it.each([
    [409, ConflictError],
    [401, AuthError],
    [403, AuthError],
    [404, NotFoundError],
    [429, TransientError],
    [500, TransientError],
    [502, TransientError],
    [503, TransientError],
    [504, TransientError],
    [422, ApiError],
    [400, ApiError],
  ])('maps HTTP %i to %o', (code, type) => {
    expect(errorFromAnswer({ status: code, headers: json, body: '{"kind":"Status","message":"m"}' }, 'list x', 'https://k')).toBeInstanceOf(type);
  });

  it('maps a 504 answered to a write to "outcome unknown", naming the object', () => {
    const e = errorFromAnswer({ status: 504, headers: json, body: '{}' }, 'update VirtualService a/b', 'https://k', 'VirtualService a/b');
    expect(e).toBeInstanceOf(OutcomeUnknownError);
    expect(e.message).toContain('outcome is unknown');
  });

  it('honours Retry-After in seconds', () => {
    const e = errorFromAnswer({ status: 429, headers: { ...json, 'retry-after': '2' }, body: '{}' }, 'list', 'https://k') as TransientError;
    expect(e.retryAfterMs).toBe(2000);
  });

  it('describes a non-JSON error body by its content type, without quoting it', () => {
    const e = errorFromAnswer({ status: 502, headers: { 'content-type': 'text/html' }, body: '<html>secret login page</html>' }, 'list x', 'https://k');
    expect(e.message).toBe('list x: HTTP 502 the server answered 502 with text/html');
  });
});

describe('reading across namespaces and readiness facts', () => {
  const selector = [{ key: 'app', op: 'equals', value: 'web' }] as const;
  const objects = [
    { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'web', namespace: 'apps', labels: { app: 'web' } }, spec: { hosts: ['web'] } },
    { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'other', namespace: 'apps', labels: { app: 'other' } }, spec: { hosts: ['other'] } },
    { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'gateway', namespace: 'istio-system' }, spec: { hosts: ['*'] } },
    { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'web', namespace: 'apps', labels: { app: 'web' } }, spec: { host: 'web' } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'apps' }, spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } },
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'external', namespace: 'apps' }, spec: { ports: [{ port: 80 }] } },
    { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', namespace: 'apps', labels: { app: 'web' } }, status: { conditions: [{ type: 'Ready', status: 'True' }] } },
  ];
  const open = async (): Promise<{ server: Awaited<ReturnType<typeof startKubeApiServer>>; store: KubernetesStore }> => {
    const server = await startKubeApiServer();
    server.seed(objects);
    const kubeconfig = server.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'istiops-kc-')), 'config'));
    return { server, store: new KubernetesStore(await loadKubeConfig({ kubeconfig })) };
  };

  it('lists VirtualServices of every namespace for the subset users, selecting its own in the namespace', async () => {
    const { server, store } = await open();
    try {
      const state = await store.read({ namespace: 'apps', labelSelector: [...selector], readiness: { kind: 'none' }, subsetUsers: true });
      expect(state.virtualServices.map((v) => v.metadata.name)).toEqual(['web']);
      expect(state.subsetUsers?.scope).toBe('all-namespaces');
      expect(state.subsetUsers?.virtualServices.map((v) => `${v.metadata.namespace}/${v.metadata.name}`).sort()).toEqual(['apps/other', 'apps/web', 'istio-system/gateway']);
      expect(state.notes).toBeUndefined();
      expect(server.requests().filter((r) => r.resource === 'virtualservices').map((r) => r.path)).toEqual(['/apis/networking.istio.io/v1/virtualservices']);
    } finally {
      store.close();
      await server.close();
    }
  });

  it('falls back to the namespace, with a note, when RBAC forbids listing VirtualServices in all namespaces', async () => {
    const { server, store } = await open();
    try {
      server.faults.forbid({ verb: 'list', resource: 'virtualservices', clusterScope: true });
      const state = await store.read({ namespace: 'apps', labelSelector: [...selector], readiness: { kind: 'none' }, subsetUsers: true });
      expect(state.subsetUsers?.scope).toBe('namespace');
      expect(state.subsetUsers?.virtualServices.map((v) => v.metadata.name).sort()).toEqual(['other', 'web']);
      expect(state.virtualServices.map((v) => v.metadata.name)).toEqual(['web']);
      expect(state.notes).toEqual(['cannot list VirtualServices in all namespaces (forbidden); checked only namespace apps']);
    } finally {
      store.close();
      await server.close();
    }
  });

  it("fails with the server's RBAC message when the DestinationRules may not be listed", async () => {
    const { server, store } = await open();
    try {
      server.faults.forbid({ verb: 'list', resource: 'destinationrules' });
      const read = store.read({ namespace: 'apps', labelSelector: [...selector], readiness: { kind: 'none' }, subsetUsers: true });
      await expect(read).rejects.toBeInstanceOf(AuthError);
      await expect(store.read({ namespace: 'apps', labelSelector: [...selector], readiness: { kind: 'none' }, subsetUsers: false })).rejects.toThrow(
        /^list destinationrules in namespace apps: Forbidden: .*cannot list resource "destinationrules"/,
      );
    } finally {
      store.close();
      await server.close();
    }
  });

  it('reads the Services of the namespace with readiness, a Service without selector as undefined', async () => {
    const { server, store } = await open();
    try {
      const state = await store.read({ namespace: 'apps', labelSelector: [...selector], readiness: { kind: 'namespace' }, subsetUsers: false });
      expect([...state.services].sort((a, b) => a.name.localeCompare(b.name))).toEqual([
        { namespace: 'apps', name: 'external', selector: undefined },
        { namespace: 'apps', name: 'web', selector: { app: 'web' } },
      ]);
      expect(state.readiness).toEqual({ source: 'cluster', workloads: [{ ref: 'Pod apps/web-1', namespace: 'apps', podLabels: { app: 'web' }, readyPods: 1 }] });
    } finally {
      store.close();
      await server.close();
    }
  });

  it('reads no Services or pods when readiness is not needed', async () => {
    const { server, store } = await open();
    try {
      const state = await store.read({ namespace: 'apps', labelSelector: [...selector], readiness: { kind: 'none' }, subsetUsers: false });
      expect(state.services).toEqual([]);
      expect(state.readiness.source).toBe('none');
      expect(server.requests().map((r) => r.resource).sort()).toEqual(['destinationrules', 'virtualservices']);
    } finally {
      store.close();
      await server.close();
    }
  });
});

describe('proxy selection as Go and kubectl do it', () => {
  it.each([
    ['https://api.example.com:6443', undefined, { HTTPS_PROXY: 'http://p:3128' }, 'http://p:3128/'],
    ['https://api.example.com:6443', undefined, { https_proxy: 'p:3128' }, 'http://p:3128/'],
    ['https://api.example.com:6443', 'http://cluster-proxy:8080', { HTTPS_PROXY: 'http://p:3128', NO_PROXY: '*' }, 'http://cluster-proxy:8080/'],
    ['http://api.example.com:8001', undefined, { HTTPS_PROXY: 'http://p:3128' }, undefined],
    ['http://api.example.com:8001', undefined, { HTTP_PROXY: 'http://p:3128' }, 'http://p:3128/'],
    ['https://127.0.0.1:6443', undefined, { HTTPS_PROXY: 'http://p:3128' }, undefined],
    ['https://localhost:6443', undefined, { HTTPS_PROXY: 'http://p:3128' }, undefined],
    ['https://api.example.com:6443', undefined, { HTTPS_PROXY: 'http://p:3128', NO_PROXY: 'example.com' }, undefined],
    ['https://api.example.com:6443', undefined, { HTTPS_PROXY: 'http://p:3128', no_proxy: '.example.com' }, undefined],
    ['https://example.com:6443', undefined, { HTTPS_PROXY: 'http://p:3128', NO_PROXY: '.example.com' }, 'http://p:3128/'],
    ['https://api.example.com:6443', undefined, { HTTPS_PROXY: 'http://p:3128', NO_PROXY: 'api.example.com:443' }, 'http://p:3128/'],
    ['https://api.example.com:6443', undefined, { HTTPS_PROXY: 'http://p:3128', NO_PROXY: 'api.example.com:6443' }, undefined],
    ['https://10.1.2.3:6443', undefined, { HTTPS_PROXY: 'http://p:3128', NO_PROXY: '10.0.0.0/8' }, undefined],
    ['https://11.1.2.3:6443', undefined, { HTTPS_PROXY: 'http://p:3128', NO_PROXY: '10.0.0.0/8' }, 'http://p:3128/'],
  ])('%s with proxy-url %s and %o goes through %s', (server, proxyUrl, env, want) => {
    expect(proxyFor(new URL(server), proxyUrl, env)?.href).toBe(want);
  });
});
