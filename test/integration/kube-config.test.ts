/**
 * Kubeconfig forms as kubectl reads them (design rule 11), end to end through the CLI against the API
 * test server: `tokenFile`, `proxy-url` and `HTTPS_PROXY`/`NO_PROXY` through an HTTP CONNECT proxy,
 * plain `http://` servers, refused TLS settings, durations at their limits; and no credential in any
 * output.
 */
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { apiDomain, startCluster, type Cluster } from '../support/cluster.js';
import type { CliResult } from '../support/cli.js';

let cluster: Cluster | undefined;
let proxy: ConnectProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  await cluster?.server.close();
  cluster = undefined;
});

/** A tiny HTTP CONNECT proxy that sends every tunnel to 127.0.0.1 (whatever host was asked) and records the targets. */
interface ConnectProxy {
  readonly url: string;
  readonly targets: string[];
  close(): Promise<void>;
}

async function startConnectProxy(): Promise<ConnectProxy> {
  const targets: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((_req, res) => {
    res.writeHead(405).end();
  });
  server.on('connect', (req, client: Socket, head: Buffer) => {
    targets.push(req.url ?? '');
    const port = Number((req.url ?? '').split(':').pop());
    const upstream = connect(port, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    targets,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

interface ClusterEntry {
  server: string;
  'certificate-authority-data'?: string;
  'insecure-skip-tls-verify'?: boolean;
  'tls-server-name'?: string;
  'proxy-url'?: string;
}

/** Writes a kubeconfig (JSON is YAML) with one context `ctx`, cluster `c1`, user `u1`. */
function kubeconfig(c: Cluster, name: string, clusterEntry: ClusterEntry, user: Record<string, unknown>): string {
  const path = join(c.dir, name);
  writeFileSync(
    path,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c1', cluster: clusterEntry }],
      users: [{ name: 'u1', user }],
      contexts: [{ name: 'ctx', context: { cluster: 'c1', user: 'u1', namespace: 'default' } }],
      'current-context': 'ctx',
    }),
  );
  return path;
}

const caData = (c: Cluster): string => Buffer.from(c.server.caPem).toString('base64');
const show = (c: Cluster, config: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<CliResult> =>
  c.cli(['traffic', 'show', '-l', 'app=api-domain', '-o', 'json', '--kubeconfig', config, ...extra], { env });

/** No token, CA or certificate text in anything the CLI printed. */
function expectNoCredentials(c: Cluster, res: CliResult): void {
  const out = res.stdout + res.stderr;
  expect(out).not.toContain(c.server.token);
  expect(out).not.toContain(caData(c).slice(0, 40));
  expect(out).not.toContain('BEGIN CERTIFICATE');
}

describe('kubeconfig forms kubectl reads (design rule 11)', () => {
  it('reads the token from tokenFile (relative to the kubeconfig, trailing newline ignored), over a token', async () => {
    cluster = await startCluster(apiDomain());
    writeFileSync(join(cluster.dir, 'token'), `${cluster.server.token}\n`);
    const config = kubeconfig(cluster, 'token-file', { server: cluster.server.httpsUrl, 'certificate-authority-data': caData(cluster) }, { token: 'stale-token-0000', tokenFile: 'token' });
    const res = await show(cluster, config);
    expect(res.code, res.stderr).toBe(0);
    expect(JSON.parse(res.stdout)).toMatchObject({ kind: 'TrafficReport' });
    expectNoCredentials(cluster, res);
  });

  it('goes through the cluster proxy-url (HTTP CONNECT), on one tunnel', async () => {
    cluster = await startCluster(apiDomain());
    proxy = await startConnectProxy();
    const config = kubeconfig(cluster, 'proxy-url', { server: cluster.server.httpsUrl, 'certificate-authority-data': caData(cluster), 'proxy-url': proxy.url }, { token: cluster.server.token });
    const res = await show(cluster, config);
    expect(res.code, res.stderr).toBe(0);
    const port = new URL(cluster.server.httpsUrl).port;
    expect(proxy.targets).toEqual([`127.0.0.1:${port}`]);
    expect(cluster.server.connections()).toHaveLength(1);
  });

  it('goes through HTTPS_PROXY, and not for hosts NO_PROXY names', async () => {
    cluster = await startCluster(apiDomain());
    proxy = await startConnectProxy();
    const port = new URL(cluster.server.httpsUrl).port;
    // A name only the proxy can resolve; the certificate is checked against tls-server-name.
    const config = kubeconfig(
      cluster,
      'env-proxy',
      { server: `https://kube-api.example:${port}`, 'certificate-authority-data': caData(cluster), 'tls-server-name': 'localhost' },
      { token: cluster.server.token },
    );
    const viaProxy = await show(cluster, config, [], { HTTPS_PROXY: proxy.url });
    expect(viaProxy.code, viaProxy.stderr).toBe(0);
    expect(proxy.targets).toContain(`kube-api.example:${port}`);

    const seen = proxy.targets.length;
    const bypassed = await show(cluster, config, ['--request-timeout', '5s'], { https_proxy: proxy.url, NO_PROXY: 'localhost,.example' });
    expect(bypassed.code).toBe(1);
    expect(bypassed.stderr).toContain(`cannot reach the API server at https://kube-api.example:${port}`);
    expect(proxy.targets.length).toBe(seen);
  });

  it('never sends a loopback server through HTTPS_PROXY (as Go does)', async () => {
    cluster = await startCluster(apiDomain());
    proxy = await startConnectProxy();
    const res = await show(cluster, cluster.kubeconfig, [], { HTTPS_PROXY: proxy.url });
    expect(res.code, res.stderr).toBe(0);
    expect(proxy.targets).toEqual([]);
  });

  it('accepts a plain http:// server (kubectl proxy) without insecure-skip-tls-verify', async () => {
    cluster = await startCluster(apiDomain());
    const config = kubeconfig(cluster, 'http', { server: cluster.server.httpUrl }, { token: cluster.server.token });
    const res = await show(cluster, config);
    expect(res.code, res.stderr).toBe(0);
    expect(cluster.server.connections().every((c) => c.listener === 'http')).toBe(true);
  });

  it.each([
    {
      form: 'a CA together with insecure-skip-tls-verify',
      entry: (c: Cluster): ClusterEntry => ({ server: c.server.httpsUrl, 'certificate-authority-data': caData(c), 'insecure-skip-tls-verify': true }),
      message: 'cluster "c1" of the kubeconfig: certificate-authority and insecure-skip-tls-verify cannot be used together',
    },
    {
      form: 'certificate-authority-data that is not a certificate',
      entry: (c: Cluster): ClusterEntry => ({ server: c.server.httpsUrl, 'certificate-authority-data': Buffer.from('garbage, not a PEM').toString('base64') }),
      message: 'cluster "c1" of the kubeconfig: certificate-authority-data is not a PEM-encoded certificate',
    },
    {
      form: 'certificate-authority-data that is not even base64 of text',
      entry: (c: Cluster): ClusterEntry => ({ server: c.server.httpsUrl, 'certificate-authority-data': '!!!not base64!!!' }),
      message: 'cluster "c1" of the kubeconfig: certificate-authority-data is not a PEM-encoded certificate',
    },
  ])('refuses $form before any request (exit 2), naming the cluster', async ({ entry, message }) => {
    cluster = await startCluster(apiDomain());
    const config = kubeconfig(cluster, 'bad-tls', entry(cluster), { token: cluster.server.token });
    const res = await show(cluster, config);
    expect(res.code).toBe(2);
    expect(res.stderr.startsWith(`istiops: ${message}`), res.stderr).toBe(true);
    expect(res.stderr.trim().split('\n')).toHaveLength(1);
    expect(cluster.server.requests()).toEqual([]);
    expectNoCredentials(cluster, res);
  });

  it('keeps every credential out of the output of every failure', async () => {
    cluster = await startCluster(apiDomain());
    const c = cluster;
    const wrongToken = kubeconfig(c, 'wrong', { server: c.server.httpsUrl, 'certificate-authority-data': caData(c) }, { token: `${c.server.token}x` });
    const missingTokenFile = kubeconfig(c, 'missing-file', { server: c.server.httpsUrl, 'certificate-authority-data': caData(c) }, { tokenFile: 'no-such-token' });
    const noCa = kubeconfig(c, 'no-ca', { server: c.server.httpsUrl }, { token: c.server.token });
    const results = [await show(c, wrongToken), await show(c, missingTokenFile), await show(c, noCa)];
    for (const res of results) {
      expect(res.code).toBe(1);
      expect(res.stderr.trim().split('\n')).toHaveLength(1);
      expectNoCredentials(c, res);
    }
    expect(results[0]?.stderr).toContain('Unauthorized');
    expect(results[1]?.stderr).toContain('cannot get the credentials of user "u1"');
    expect(results[2]?.stderr).toContain('TLS failure');
  });
});

describe('durations at their limits (design rule 1)', () => {
  it.each(['700h', '2000h', '24h1ms', '0.5ms'])('--request-timeout %s is a usage error before any request', async (value) => {
    cluster = await startCluster(apiDomain());
    const res = await show(cluster, cluster.kubeconfig, ['--request-timeout', value]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^istiops: --request-timeout/);
    expect(cluster.server.requests()).toEqual([]);
  });

  it('--request-timeout 0 means no timeout, as with kubectl', async () => {
    cluster = await startCluster(apiDomain());
    const res = await cluster.cli(['traffic', 'shift', '-l', 'app=api-domain', '-d', 'api-domain:5000', '-b', '2', '-p', 'app=api-domain,build=2', '-w', '10', '--request-timeout', '0']);
    expect(res.code, res.stderr).toBe(0);
  });
});
