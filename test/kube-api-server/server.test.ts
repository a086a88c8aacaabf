import { execFile, spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { delimiter, join } from 'node:path';
import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  matchesLabels,
  parseLabelSelector,
  SelectorError,
  startConnectProxy,
  startKubeApiServer,
  type KubeApiServer,
  type KubeconfigOptions,
  type KubeObject,
  type KubeStatus,
  validateDestinationRule,
  validateVirtualService,
  type WebhookRules,
} from './index.js';
import { VirtualService as VirtualServiceModel } from '@kubernetes-models/istio/networking.istio.io/v1beta1/VirtualService';

const GROUP = 'networking.istio.io';
const tmpRoot = mkdtempSync(join(tmpdir(), 'kube-api-server-test-'));
let tmpCounter = 0;
const tmpPath = (name: string): string => join(tmpRoot, `${++tmpCounter}-${name}`);

afterAll(() => rmSync(tmpRoot, { recursive: true, force: true }));

// ---------------------------------------------------------------- helpers

interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly json: unknown;
}

interface RawOptions {
  readonly body?: unknown;
  readonly contentType?: string;
  /** Token to send; `null` sends no Authorization header. */
  readonly token?: string | null;
  readonly plainHttp?: boolean;
}

/** One request over real HTTPS (or HTTP), no client library involved. */
function raw(server: KubeApiServer, method: string, path: string, options: RawOptions = {}): Promise<RawResponse> {
  const base = new URL(options.plainHttp ? server.httpUrl : server.httpsUrl);
  const payload =
    options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (options.token !== null) headers['authorization'] = `Bearer ${options.token ?? server.token}`;
  if (payload !== undefined) {
    headers['content-type'] = options.contentType ?? 'application/json';
    headers['content-length'] = String(Buffer.byteLength(payload));
  }
  const common = { host: base.hostname, port: base.port, method, path, headers, agent: false } as const;
  return new Promise((resolve, reject) => {
    const onResponse = (res: IncomingMessage): void => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, json: text ? JSON.parse(text) : undefined }));
    };
    const req = options.plainHttp ? httpRequest(common, onResponse) : httpsRequest({ ...common, ca: server.caPem }, onResponse);
    req.on('error', reject);
    req.end(payload);
  });
}

interface Clients {
  readonly kc: KubeConfig;
  readonly custom: CustomObjectsApi;
  readonly core: CoreV1Api;
}

function clientsFor(server: KubeApiServer, options?: KubeconfigOptions): Clients {
  const kc = new KubeConfig();
  kc.loadFromFile(server.writeKubeconfig(tmpPath('kubeconfig'), options));
  return { kc, custom: kc.makeApiClient(CustomObjectsApi), core: kc.makeApiClient(CoreV1Api) };
}

/** Awaits a client-node call that must fail with an HTTP error and returns its code and Status body. */
async function apiError(call: Promise<unknown>): Promise<{ code: number; status: KubeStatus; headers: Record<string, string> }> {
  try {
    await call;
  } catch (err) {
    if (!(err instanceof ApiException)) throw err;
    const body: unknown = err.body;
    const status = (typeof body === 'string' && body !== '' ? JSON.parse(body) : body) as KubeStatus;
    return { code: err.code, status, headers: err.headers };
  }
  throw new Error('expected the call to fail');
}

/** Awaits a call that must fail without an HTTP answer (connection error) and returns the error. */
async function transportError(call: Promise<unknown>): Promise<Error> {
  try {
    await call;
  } catch (err) {
    if (err instanceof ApiException) throw new Error(`expected a transport error, got HTTP ${err.code}`);
    return err as Error;
  }
  throw new Error('expected the call to fail');
}

interface VsOptions {
  readonly labels?: Record<string, string>;
  readonly version?: string;
  readonly weights?: readonly unknown[];
}

function virtualService(name: string, namespace: string, options: VsOptions = {}): KubeObject {
  const weights = options.weights ?? [100];
  return {
    apiVersion: `${GROUP}/${options.version ?? 'v1'}`,
    kind: 'VirtualService',
    metadata: { name, namespace, ...(options.labels ? { labels: options.labels } : {}) },
    spec: {
      hosts: [name],
      http: [
        {
          route: weights.map((weight, i) => ({
            destination: { host: name, subset: `v${i + 1}` },
            ...(weight === undefined ? {} : { weight }),
          })),
        },
      ],
    },
  };
}

function destinationRule(name: string, namespace: string, subsets: readonly string[] = ['v1', 'v2']): KubeObject {
  return {
    apiVersion: `${GROUP}/v1`,
    kind: 'DestinationRule',
    metadata: { name, namespace },
    spec: { host: name, subsets: subsets.map((s) => ({ name: s, labels: { version: s } })) },
  };
}

function vsRequest<E extends object = Record<never, never>>(
  namespace: string,
  extra?: E,
): { group: string; version: string; namespace: string; plural: string } & E {
  return { group: GROUP, version: 'v1', namespace, plural: 'virtualservices', ...(extra ?? ({} as E)) };
}

const names = (list: { items: KubeObject[] }): string[] => list.items.map((i) => i.metadata?.name ?? '');

function findOnPath(binary: string): string | undefined {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    const candidate = join(dir, binary);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function run(binary: string, args: readonly string[]): Promise<ExecResult> {
  return new Promise((resolve) => {
    execFile(binary, args, { timeout: 20_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

// ---------------------------------------------------------------- tests

describe('label selector parser', () => {
  it.each([
    ['', []],
    ['app=web', [{ key: 'app', operator: '=', values: ['web'] }]],
    ['app==web', [{ key: 'app', operator: '==', values: ['web'] }]],
    ['app!=web', [{ key: 'app', operator: '!=', values: ['web'] }]],
    ['app in (a, b)', [{ key: 'app', operator: 'in', values: ['a', 'b'] }]],
    ['app notin (a)', [{ key: 'app', operator: 'notin', values: ['a'] }]],
    ['app', [{ key: 'app', operator: 'exists', values: [] }]],
    ['!app', [{ key: 'app', operator: '!', values: [] }]],
    ['app=', [{ key: 'app', operator: '=', values: [''] }]],
    ['rank>3', [{ key: 'rank', operator: '>', values: ['3'] }]],
    [
      ' example.com/team = x ,  !beta ',
      [
        { key: 'example.com/team', operator: '=', values: ['x'] },
        { key: 'beta', operator: '!', values: [] },
      ],
    ],
  ])('parses %j', (selector, expected) => {
    expect(parseLabelSelector(selector)).toEqual(expected);
  });

  it.each(['app in (a', 'app in a', '=web', 'app=we b', 'app=web,', 'Bad Key=1', 'app=-x', '!', 'app>x', 'a,,b', 'app (x)'])(
    'rejects %j',
    (selector) => {
      expect(() => parseLabelSelector(selector)).toThrow(SelectorError);
    },
  );

  it('matches != and notin on objects without the label', () => {
    expect(matchesLabels(parseLabelSelector('app!=web'), undefined)).toBe(true);
    expect(matchesLabels(parseLabelSelector('app notin (web)'), {})).toBe(true);
    expect(matchesLabels(parseLabelSelector('app in (web)'), {})).toBe(false);
  });
});

describe('Istio webhook rules (written from pkg/config/validation)', () => {
  const to = (subset: string, weight?: number): Record<string, unknown> => ({
    destination: { host: 'reviews', subset },
    ...(weight === undefined ? {} : { weight }),
  });
  const vs = (http: readonly Record<string, unknown>[]): Record<string, unknown> => ({
    apiVersion: `${GROUP}/v1`,
    kind: 'VirtualService',
    metadata: { name: 'reviews', namespace: 'rules' },
    spec: { hosts: ['reviews'], http },
  });
  const causes = (http: readonly Record<string, unknown>[], rules: WebhookRules): string[] =>
    validateVirtualService(vs(http) as never, 'v1', rules).map((c) => `${c.field}: ${c.message}`);
  const matchOn = (match: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    match: [match],
    route: [to('v1')],
    ...extra,
  });

  it('names RE2 in the message for a regex Go cannot compile', () => {
    const [message] = causes([matchOn({ uri: { regex: 'a++' } })], 'current');
    expect(message).toMatch(/^spec\.http\[0\]\.match\[0\]\.uri: "uri": .+; Istio uses RE2 style regex-based match/);
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    ['a valid route', { route: [to('v1', 90), to('v2', 10)] }, []],
    ['relative weights', { route: [to('v1', 1), to('v2', 3)] }, []],
    ['weights totalling 0', { route: [to('v1', 0), to('v2')] }, ['spec.http[0].route: total destination weight = 0']],
    ['a negative weight', { route: [to('v1', -10), to('v2', 110)] }, ['spec.http[0].route[0].weight: weight -10 < 0']],
    ['a subset that is not a DNS label', { route: [to('v1_x')] }, ['spec.http[0].route[0].destination.subset: subset name is invalid: v1_x']],
    ['destination host *', { route: [{ destination: { host: '*' } }] }, ['spec.http[0].route[0].destination.host: invalid destination host *']],
    ['route and redirect together', { route: [to('v1')], redirect: { uri: '/x' } }, ['spec.http[0]: HTTP route cannot contain both route and redirect']],
    ['neither route nor redirect', { match: [{ uri: { prefix: '/' } }] }, ['spec.http[0].route: HTTP route, redirect or direct_response is required']],
    ['an empty uri regex', matchOn({ uri: { regex: '' } }), ['spec.http[0].match[0].uri: "uri": regex string match should not be empty']],
    ['an empty uri prefix (Envoy allows it)', matchOn({ uri: { prefix: '' } }), []],
    [
      'empty prefixes on a header, the method and a query parameter',
      matchOn({ headers: { 'x-a': { prefix: '' } }, method: { prefix: '' }, queryParams: { q: { prefix: '' } } }),
      [
        'spec.http[0].match[0].headers.x-a: "headers": prefix string match should not be empty',
        'spec.http[0].match[0].method: "method": prefix string match should not be empty',
        'spec.http[0].match[0].queryParams.q: "queryParams": prefix string match should not be empty',
      ],
    ],
    ['withoutHeaders regex * (a presence match)', matchOn({ withoutHeaders: { 'x-a': { regex: '*' } } }), []],
    ['withoutHeaders with a bad regex', matchOn({ withoutHeaders: { 'x-a': { regex: '(' } } }), [expect.stringMatching(/^spec\.http\[0\]\.match\[0\]\.withoutHeaders\.x-a: "withoutHeaders": /)]],
    ['a direct response with a route', { route: [to('v1')], directResponse: { status: 503 } }, ['spec.http[0]: HTTP route cannot contain both route and direct_response']],
    ['mirror and mirrors together', { route: [to('v1')], mirror: { host: 'reviews' }, mirrors: [{ destination: { host: 'reviews' } }] }, ['spec.http[0]: HTTP route cannot contain both mirror and mirrors']],
    ['a regex of 1024 bytes', matchOn({ uri: { regex: 'a'.repeat(1024) } }), []],
    ['a regex of 1025 bytes', matchOn({ uri: { regex: 'a'.repeat(1025) } }), ['spec.http[0].match[0].uri: "uri": regex is too large, max length allowed is 1024']],
    ['a regex of 513 two-byte characters', matchOn({ uri: { regex: 'é'.repeat(513) } }), ['spec.http[0].match[0].uri: "uri": regex is too large, max length allowed is 1024']],
    ['a lookahead (not RE2)', matchOn({ headers: { 'x-user': { regex: '(?=a)b' } } }), [expect.stringMatching(/^spec\.http\[0\]\.match\[0\]\.headers\.x-user: "headers": .+; /)]],
    ['a header name with a space', matchOn({ headers: { 'x user': { exact: 'a' } } }), ['spec.http[0].match[0].headers.x user: header name x user is not a valid header name']],
    ['an upper-case header name', matchOn({ headers: { 'X-User': { exact: 'a' } } }), []],
    ['a pseudo header and a JWT claim', matchOn({ headers: { ':authority': { exact: 'a' }, '@request.auth.claims.group': { exact: 'b' } } }), []],
    ['a match port out of range', matchOn({ port: 70000 }), ['spec.http[0].match[0].port: port number 70000 must be in the range 1..65535']],
    ['an empty fault', { route: [to('v1')], fault: {} }, ['spec.http[0].fault: HTTP fault injection must have an abort and/or a delay']],
    [
      'an abort of 150% with status 199',
      { route: [to('v1')], fault: { abort: { percentage: { value: 150 }, httpStatus: 199 } } },
      [
        'spec.http[0].fault.abort.percentage.value: percentage 150 is neither 0.0, nor in range [0.0001, 100.0]',
        'spec.http[0].fault.abort.httpStatus: HTTP status 199 is not in range 200-599',
      ],
    ],
    ['an abort with status 600 (Istio checks > 600)', { route: [to('v1')], fault: { abort: { percentage: { value: 5 }, httpStatus: 600 } } }, []],
    ['an abort of 0.00001%', { route: [to('v1')], fault: { abort: { percentage: { value: 0.00001 }, httpStatus: 503 } } }, ['spec.http[0].fault.abort.percentage.value: percentage 0.00001 is neither 0.0, nor in range [0.0001, 100.0]']],
    ['a delay of 0.5ms', { route: [to('v1')], fault: { delay: { fixedDelay: '0.5ms' } } }, ['spec.http[0].fault.delay.fixedDelay: duration must be greater than 1ms']],
    ['a delay of 1.5ms', { route: [to('v1')], fault: { delay: { fixedDelay: '1.5ms' } } }, ['spec.http[0].fault.delay.fixedDelay: only durations to ms precision are supported']],
    ['a delay of 1m30s', { route: [to('v1')], fault: { delay: { fixedDelay: '1m30s', percentage: { value: 100 } } } }, []],
    ['a mirror of 101%', { route: [to('v1')], mirror: { host: 'reviews', subset: 'v2' }, mirrorPercentage: { value: 101 } }, ['spec.http[0].mirrorPercentage.value: mirror_percentage must have a max value of 100 (it has 101)']],
    ['a mirror of -1%', { route: [to('v1')], mirror: { host: 'reviews', subset: 'v2' }, mirrorPercentage: { value: -1 } }, ['spec.http[0].mirrorPercentage.value: mirror_percentage must have a min value of 0 (it has -1)']],
    ['mirrors with 150% to a bad subset', { route: [to('v1')], mirrors: [{ destination: { host: 'reviews', subset: 'V2' }, percentage: { value: 150 } }] }, [
      'spec.http[0].mirrors[0].destination.subset: subset name is invalid: V2',
      'spec.http[0].mirrors[0].percentage.value: mirror percentage must have a max value of 100 (it has 150)',
    ]],
    ['a timeout of 0s', { route: [to('v1')], timeout: '0s' }, ['spec.http[0].timeout: duration must be greater than 1ms']],
  ])('current rules: %s', (_label, route, expected) => {
    expect(causes([route], 'current')).toEqual(expected);
  });

  it.each<[string, Record<string, unknown>, string[]]>([
    ['weights totalling 100', { route: [to('v1', 90), to('v2', 10)] }, []],
    ['weights totalling 110', { route: [to('v1', 90), to('v2', 20)] }, ['spec.http[0].route: total destination weight 110 != 100']],
    ['relative weights', { route: [to('v1', 1), to('v2', 3)] }, ['spec.http[0].route: total destination weight 4 != 100']],
    [
      'weights outside 0..100',
      { route: [to('v1', -10), to('v2', 110)] },
      ['spec.http[0].route[0].weight: percentage -10 is not in range 0..100', 'spec.http[0].route[1].weight: percentage 110 is not in range 0..100'],
    ],
    ['a single destination without weight', { route: [to('v1')] }, []],
    ['an upper-case header name', matchOn({ headers: { 'X-User': { exact: 'a' } } }), ['spec.http[0].match[0].headers.X-User: header match X-User must be in lower case']],
  ])('legacy rules: %s', (_label, route, expected) => {
    expect(causes([route], 'legacy')).toEqual(expected);
  });

  it.each<[string, readonly Record<string, unknown>[], string[]]>([
    ['distinct subsets', [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2' }], []],
    ['a duplicate name', [{ name: 'v1' }, { name: 'v1' }], ['spec.subsets[1].name: duplicate subset names: v1']],
    ['an empty name', [{ name: '' }], ['spec.subsets[0].name: subset name cannot be empty']],
    ['a name longer than 63', [{ name: 'a'.repeat(64) }], [`spec.subsets[0].name: subset name is invalid: ${'a'.repeat(64)}`]],
    ['a bad label key', [{ name: 'v1', labels: { 'bad key': 'x' } }], [expect.stringMatching(/^spec\.subsets\[0\]\.labels: invalid label key "bad key"/)]],
  ])('DestinationRule subsets: %s', (_label, subsets, expected) => {
    const dr = { apiVersion: `${GROUP}/v1`, kind: 'DestinationRule', metadata: { name: 'reviews', namespace: 'rules' }, spec: { host: 'reviews', subsets } };
    expect(validateDestinationRule(dr as never, 'v1').map((c) => `${c.field}: ${c.message}`)).toEqual(expected);
  });

  it('can disagree with the schema library: it accepts what the webhook refuses', () => {
    const route = { route: [to('v1')], mirror: { host: 'reviews', subset: 'v2' }, mirrorPercentage: { value: 101 } };
    const object = { ...vs([route]), apiVersion: `${GROUP}/v1beta1` };
    expect(() => new VirtualServiceModel(object as never).validate()).not.toThrow();
    expect(causes([route], 'current')).toEqual([
      'spec.http[0].mirrorPercentage.value: mirror_percentage must have a max value of 100 (it has 101)',
    ]);
  });

  it('refuses a write the schema library accepts (422 with the webhook message)', async () => {
    const server = await startKubeApiServer({ webhookRules: 'legacy' });
    try {
      const res = await raw(server, 'POST', `/apis/${GROUP}/v1/namespaces/rules/virtualservices`, {
        body: vs([{ match: [{ headers: { 'X-User': { exact: 'a' } } }], route: [to('v1', 60), to('v2', 60)] }]),
      });
      expect(res.status).toBe(422);
      expect((res.json as KubeStatus).details?.causes?.map((c) => c.message)).toEqual([
        'header match X-User must be in lower case',
        'total destination weight 120 != 100',
      ]);
      expect(server.listObjects('virtualservices')).toEqual([]);
    } finally {
      await server.close();
    }
  });
});

describe('kube API server over HTTPS', () => {
  let server: KubeApiServer;
  let clients: Clients;

  beforeAll(async () => {
    server = await startKubeApiServer();
    clients = clientsFor(server);
  });
  afterAll(async () => {
    await server.close();
  });

  describe('TLS and auth', () => {
    it('serves a certificate for 127.0.0.1 and localhost signed by caPem', async () => {
      const ca = new X509Certificate(server.caPem);
      expect(ca.ca).toBe(true);
      const res = await new Promise<X509Certificate>((resolve, reject) => {
        const url = new URL(server.httpsUrl);
        const req = httpsRequest(
          { host: 'localhost', port: url.port, path: '/version', ca: server.caPem, agent: false, headers: { authorization: `Bearer ${server.token}` } },
          (response) => {
            const peer = (response.socket as TLSSocket).getPeerX509Certificate();
            response.resume();
            if (peer) resolve(peer);
            else reject(new Error('no peer certificate'));
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(res.checkIssued(ca)).toBe(true);
      expect(res.subjectAltName).toContain('IP Address:127.0.0.1');
      expect(res.subjectAltName).toContain('DNS:localhost');
    });

    it('is rejected by clients that do not trust the CA', async () => {
      const url = new URL(server.httpsUrl);
      const error = await new Promise<Error>((resolve) => {
        const req = httpsRequest({ host: '127.0.0.1', port: url.port, path: '/version', agent: false }, () => resolve(new Error('unexpected success')));
        req.on('error', resolve);
        req.end();
      });
      expect(error.message).toMatch(/self[- ]signed|unable to verify|certificate/i);
    });

    const unauthorized = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Unauthorized',
      reason: 'Unauthorized',
      code: 401,
    };

    it.each([
      ['https, wrong token', { token: 'wrong' }],
      ['https, no token', { token: null }],
      ['http, wrong token', { token: 'wrong', plainHttp: true }],
      ['http, no token', { token: null, plainHttp: true }],
    ] as const)('answers 401 with a Status (%s)', async (_label, options) => {
      const res = await raw(server, 'GET', '/apis', options);
      expect(res.status).toBe(401);
      expect(res.headers['content-type']).toBe('application/json');
      expect(res.json).toEqual(unauthorized);
    });

    it('accepts the token over plain HTTP too', async () => {
      const res = await raw(server, 'GET', '/version', { plainHttp: true });
      expect(res.status).toBe(200);
      expect(res.json).toMatchObject({ major: '1', gitVersion: expect.stringMatching(/^v1\./) });
    });

    it('makes client-node fail with 401 for a wrong token', async () => {
      const { custom } = clientsFor(server, { token: 'not-the-token' });
      const { code } = await apiError(custom.listNamespacedCustomObject(vsRequest('default')));
      expect(code).toBe(401);
    });
  });

  describe('discovery', () => {
    it('answers the legacy discovery documents', async () => {
      const api = await raw(server, 'GET', '/api');
      expect(api.json).toMatchObject({ kind: 'APIVersions', versions: ['v1'] });

      const core = await raw(server, 'GET', '/api/v1');
      expect(core.json).toMatchObject({ kind: 'APIResourceList', groupVersion: 'v1' });
      const coreNames = (core.json as { resources: { name: string }[] }).resources.map((r) => r.name);
      expect(coreNames).toEqual(expect.arrayContaining(['pods', 'namespaces']));

      const apis = await raw(server, 'GET', '/apis');
      expect(apis.json).toEqual({
        kind: 'APIGroupList',
        apiVersion: 'v1',
        groups: [
          {
            name: GROUP,
            versions: ['v1', 'v1beta1', 'v1alpha3'].map((v) => ({ groupVersion: `${GROUP}/${v}`, version: v })),
            preferredVersion: { groupVersion: `${GROUP}/v1`, version: 'v1' },
          },
        ],
      });

      const group = await raw(server, 'GET', `/apis/${GROUP}`);
      expect(group.json).toMatchObject({ kind: 'APIGroup', name: GROUP, preferredVersion: { version: 'v1' } });

      const resources = await raw(server, 'GET', `/apis/${GROUP}/v1beta1`);
      expect(resources.status).toBe(200);
      expect(resources.json).toMatchObject({ kind: 'APIResourceList', groupVersion: `${GROUP}/v1beta1` });
      const list = (resources.json as { resources: Record<string, unknown>[] }).resources;
      const verbs = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
      expect(list).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ name: 'virtualservices', kind: 'VirtualService', shortNames: ['vs'], namespaced: true, verbs }),
          expect.objectContaining({ name: 'destinationrules', kind: 'DestinationRule', shortNames: ['dr'], namespaced: true, verbs }),
        ]),
      );
    });

    it('answers plain JSON even when aggregated discovery is asked for', async () => {
      const url = new URL(server.httpsUrl);
      const contentType = await new Promise<string | undefined>((resolve, reject) => {
        const req = httpsRequest(
          {
            host: url.hostname,
            port: url.port,
            path: '/apis',
            ca: server.caPem,
            agent: false,
            headers: {
              authorization: `Bearer ${server.token}`,
              accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json',
            },
          },
          (res) => {
            res.resume();
            resolve(res.headers['content-type']);
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(contentType).toBe('application/json');
    });

    it.each(['/nope', '/apis/other.io', `/apis/${GROUP}/v2`, `/apis/${GROUP}/v1/namespaces/x/gateways`, '/openapi/v2'])(
      'answers 404 Status for %s',
      async (path) => {
        const res = await raw(server, 'GET', path);
        expect(res.status).toBe(404);
        expect(res.json).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'NotFound', code: 404 });
      },
    );

    it('publishes a minimal OpenAPI v3 index with fieldValidation on PATCH', async () => {
      const index = await raw(server, 'GET', '/openapi/v3');
      const paths = (index.json as { paths: Record<string, { serverRelativeURL: string }> }).paths;
      expect(Object.keys(paths)).toEqual(['api/v1', `apis/${GROUP}/v1`, `apis/${GROUP}/v1beta1`, `apis/${GROUP}/v1alpha3`]);
      const doc = await raw(server, 'GET', paths[`apis/${GROUP}/v1`]!.serverRelativeURL);
      const op = (doc.json as { paths: Record<string, { patch: { parameters: { name: string }[] } }> }).paths[
        `/apis/${GROUP}/v1/namespaces/{namespace}/virtualservices/{name}`
      ]!.patch;
      expect(op).toMatchObject({ 'x-kubernetes-group-version-kind': { group: GROUP, version: 'v1', kind: 'VirtualService' } });
      expect(op.parameters.map((p) => p.name)).toContain('fieldValidation');
    });

    it('answers 405 for a method a path does not support', async () => {
      const res = await raw(server, 'POST', `/apis/${GROUP}/v1/virtualservices`, { body: virtualService('x', 'y') });
      expect(res.status).toBe(405);
      expect(res.json).toMatchObject({ kind: 'Status', reason: 'MethodNotAllowed', code: 405 });
    });
  });

  describe('reads', () => {
    it('lists with every label selector form', async () => {
      const ns = 'selectors';
      server.seed([
        virtualService('a', ns, { labels: { app: 'web', tier: 'front' } }),
        virtualService('b', ns, { labels: { app: 'api', tier: 'back' } }),
        virtualService('c', ns, { labels: { app: 'db' } }),
        virtualService('d', ns),
        virtualService('e', ns, { labels: { app: 'web', 'example.com/team': 'x', rank: '5' } }),
        virtualService('other-namespace', 'elsewhere', { labels: { app: 'web' } }),
      ]);
      const cases: [string | undefined, string[]][] = [
        [undefined, ['a', 'b', 'c', 'd', 'e']],
        ['', ['a', 'b', 'c', 'd', 'e']],
        ['app=web', ['a', 'e']],
        ['app==web', ['a', 'e']],
        ['app!=web', ['b', 'c', 'd']],
        ['app in (web,api)', ['a', 'b', 'e']],
        ['app notin (web,api)', ['c', 'd']],
        ['tier', ['a', 'b']],
        ['!tier', ['c', 'd', 'e']],
        ['app=web,tier=front', ['a']],
        ['  app in ( web , db ) ,  !tier ', ['c', 'e']],
        ['example.com/team=x', ['e']],
        ['rank>3', ['e']],
        ['rank<3', []],
        ['app=', []],
      ];
      for (const [labelSelector, expected] of cases) {
        const request = vsRequest(ns, labelSelector === undefined ? {} : { labelSelector });
        const list = await clients.custom.listNamespacedCustomObject(request);
        expect({ labelSelector, names: names(list) }).toEqual({ labelSelector, names: expected });
      }
    });

    it.each(['app in (web', 'app in web', '=web', 'app=we b', 'app=web,', 'Bad Key=1', '!'])(
      'answers 400 BadRequest for the selector %j',
      async (labelSelector) => {
        const { code, status } = await apiError(clients.custom.listNamespacedCustomObject(vsRequest('default', { labelSelector })));
        expect(code).toBe(400);
        expect(status).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'BadRequest', code: 400 });
        expect(status.message).toMatch(/^unable to parse requirement: /);
      },
    );

    it('returns a List with kind, apiVersion and resourceVersion, across namespaces too', async () => {
      server.seed([virtualService('x1', 'list-a'), virtualService('x2', 'list-b'), destinationRule('x1', 'list-a')]);
      const list = await clients.custom.listClusterCustomObject({ group: GROUP, version: 'v1beta1', plural: 'virtualservices' });
      expect(list).toMatchObject({ apiVersion: `${GROUP}/v1beta1`, kind: 'VirtualServiceList', metadata: { resourceVersion: server.resourceVersion() } });
      const items = (list as { items: KubeObject[] }).items;
      expect(items.map((i) => `${i.metadata?.namespace}/${i.metadata?.name}`)).toEqual(expect.arrayContaining(['list-a/x1', 'list-b/x2']));
      expect(items.every((i) => i.apiVersion === `${GROUP}/v1beta1` && i.kind === 'VirtualService')).toBe(true);

      const rules = await clients.custom.listNamespacedCustomObject({ group: GROUP, version: 'v1', namespace: 'list-a', plural: 'destinationrules' });
      expect(rules).toMatchObject({ kind: 'DestinationRuleList', items: [{ metadata: { name: 'x1' } }] });
    });

    it('supports metadata.name field selectors', async () => {
      server.seed([virtualService('f1', 'fields'), virtualService('f2', 'fields')]);
      const list = await clients.custom.listNamespacedCustomObject(vsRequest('fields', { fieldSelector: 'metadata.name=f2' }));
      expect(names(list)).toEqual(['f2']);
      const bad = await apiError(clients.custom.listNamespacedCustomObject(vsRequest('fields', { fieldSelector: 'spec.hosts=x' })));
      expect(bad.code).toBe(400);
    });

    it('gets one object and answers 404 NotFound for a missing one', async () => {
      const [seeded] = server.seed([virtualService('one', 'get')]);
      const got = await clients.custom.getNamespacedCustomObject(vsRequest('get', { name: 'one' }));
      expect(got).toEqual(seeded);
      const { code, status } = await apiError(clients.custom.getNamespacedCustomObject(vsRequest('get', { name: 'missing' })));
      expect(code).toBe(404);
      expect(status).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `virtualservices.${GROUP} "missing" not found`,
        reason: 'NotFound',
        details: { name: 'missing', group: GROUP, kind: 'virtualservices' },
        code: 404,
      });
    });

    it('stores every version in one place and rewrites apiVersion on read', async () => {
      const created = await clients.custom.createNamespacedCustomObject({
        group: GROUP,
        version: 'v1beta1',
        namespace: 'versions',
        plural: 'virtualservices',
        body: virtualService('multi', 'versions', { version: 'v1beta1' }),
      });
      expect(created).toMatchObject({ apiVersion: `${GROUP}/v1beta1` });
      for (const version of ['v1', 'v1beta1', 'v1alpha3']) {
        const got = await clients.custom.getNamespacedCustomObject({ group: GROUP, version, namespace: 'versions', plural: 'virtualservices', name: 'multi' });
        expect(got).toMatchObject({ apiVersion: `${GROUP}/${version}`, metadata: { uid: created.metadata.uid } });
      }
    });

    it('seeds objects with system metadata and hands out deep copies', () => {
      const before = Number(server.resourceVersion());
      const [stored] = server.seed([virtualService('seeded', 'inspect')]);
      expect(stored?.metadata).toMatchObject({
        namespace: 'inspect',
        resourceVersion: String(before + 1),
        generation: 1,
        uid: expect.stringMatching(/^[0-9a-f-]{36}$/),
        creationTimestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
      });
      const copy = server.getObject('virtualservices', 'inspect', 'seeded');
      copy!.metadata!.name = 'mutated';
      expect(server.getObject('virtualservices', 'inspect', 'seeded')?.metadata?.name).toBe('seeded');
      expect(server.listObjects('virtualservices', 'inspect')).toHaveLength(1);
      expect(server.getObject('virtualservices', 'inspect', 'nope')).toBeUndefined();
    });

    it('lists namespaces that hold objects', async () => {
      server.seed([{ kind: 'Namespace', metadata: { name: 'empty-ns' } }]);
      const list = await clients.core.listNamespace();
      const all = list.items.map((n) => n.metadata?.name);
      expect(all).toEqual(expect.arrayContaining(['default', 'empty-ns', 'selectors']));
      const ns = await clients.core.readNamespace({ name: 'empty-ns' });
      expect(ns.status?.phase).toBe('Active');
    });
  });

  describe('writes', () => {
    it('creates, then answers 409 AlreadyExists for the same name', async () => {
      const before = Number(server.resourceVersion());
      const created = await clients.custom.createNamespacedCustomObject(vsRequest('create', { body: virtualService('new', 'create') }));
      expect(created.metadata).toMatchObject({ name: 'new', namespace: 'create', resourceVersion: String(before + 1), generation: 1 });
      expect(server.getObject('virtualservices', 'create', 'new')).toEqual(created);

      const { code, status } = await apiError(
        clients.custom.createNamespacedCustomObject(vsRequest('create', { body: virtualService('new', 'create') })),
      );
      expect(code).toBe(409);
      expect(status).toMatchObject({ reason: 'AlreadyExists', message: `virtualservices.${GROUP} "new" already exists`, code: 409 });
    });

    it('keeps unknown fields as sent and drops status on create', async () => {
      const base = virtualService('extra', 'create');
      const body = {
        ...base,
        metadata: { ...base.metadata, annotations: { note: 'kept' } },
        spec: { ...(base['spec'] as object), exportTo: ['.'] },
        status: { ignored: true },
      };
      const created = await clients.custom.createNamespacedCustomObject(vsRequest('create', { body }));
      expect(created.spec.exportTo).toEqual(['.']);
      expect(created.metadata.annotations).toEqual({ note: 'kept' });
      expect(created.status).toBeUndefined();
    });

    it('answers 400 when the body namespace differs from the path', async () => {
      const { code, status } = await apiError(
        clients.custom.createNamespacedCustomObject(vsRequest('path-ns', { body: virtualService('x', 'body-ns') })),
      );
      expect(code).toBe(400);
      expect(status).toMatchObject({ reason: 'BadRequest', message: expect.stringContaining('namespace') });
    });

    it('answers 400 when apiVersion does not match the URL', async () => {
      const res = await raw(server, 'POST', `/apis/${GROUP}/v1/namespaces/create/virtualservices`, {
        body: virtualService('wrong-version', 'create', { version: 'v1beta1' }),
      });
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({ reason: 'BadRequest', message: expect.stringContaining('does not match the expected API version') });
    });

    it('updates with the current resourceVersion and bumps generation only on spec changes', async () => {
      const [seeded] = server.seed([virtualService('upd', 'update')]);
      const labelled = { ...seeded, metadata: { ...seeded!.metadata, labels: { a: 'b' } } };
      const first = await clients.custom.replaceNamespacedCustomObject(vsRequest('update', { name: 'upd', body: labelled }));
      expect(first.metadata.generation).toBe(1);
      expect(Number(first.metadata.resourceVersion)).toBeGreaterThan(Number(seeded!.metadata!.resourceVersion));

      const respec = { ...first, spec: { ...first.spec, hosts: ['changed'] } };
      const second = await clients.custom.replaceNamespacedCustomObject(vsRequest('update', { name: 'upd', body: respec }));
      expect(second.metadata).toMatchObject({ generation: 2, uid: seeded!.metadata!.uid, creationTimestamp: seeded!.metadata!.creationTimestamp });
      expect(server.getObject('virtualservices', 'update', 'upd')?.['spec']).toMatchObject({ hosts: ['changed'] });
    });

    it('answers a stale resourceVersion with a 409 Conflict shaped like the API server', async () => {
      const [seeded] = server.seed([virtualService('stale', 'update')]);
      server.seed([virtualService('stale', 'update', { labels: { moved: 'on' } })]);
      const { code, status } = await apiError(
        clients.custom.replaceNamespacedCustomObject(vsRequest('update', { name: 'stale', body: seeded })),
      );
      expect(code).toBe(409);
      expect(status).toEqual({
        kind: 'Status',
        apiVersion: 'v1',
        metadata: {},
        status: 'Failure',
        message: `Operation cannot be fulfilled on virtualservices.${GROUP} "stale": the object has been modified; please apply your changes to the latest version and try again`,
        reason: 'Conflict',
        details: { name: 'stale', group: GROUP, kind: 'virtualservices' },
        code: 409,
      });
      expect(server.getObject('virtualservices', 'update', 'stale')?.metadata?.labels).toEqual({ moved: 'on' });
    });

    it('answers 422 for an update without resourceVersion and 404 for a missing object', async () => {
      server.seed([virtualService('norv', 'update')]);
      const missingVersion = await apiError(
        clients.custom.replaceNamespacedCustomObject(vsRequest('update', { name: 'norv', body: virtualService('norv', 'update') })),
      );
      expect(missingVersion.code).toBe(422);
      expect(missingVersion.status.message).toContain('metadata.resourceVersion');
      const missing = await apiError(
        clients.custom.replaceNamespacedCustomObject(vsRequest('update', { name: 'ghost', body: virtualService('ghost', 'update') })),
      );
      expect(missing.code).toBe(404);
    });

    it('applies merge patches (null removes) without bumping generation for metadata', async () => {
      server.seed([virtualService('mp', 'patch', { labels: { keep: 'yes', drop: 'me' } })]);
      const patched = await clients.custom.patchNamespacedCustomObject(
        vsRequest('patch', { name: 'mp', body: { metadata: { labels: { drop: null, added: 'x' } } } }),
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      expect(patched.metadata.labels).toEqual({ keep: 'yes', added: 'x' });
      expect(patched.metadata.generation).toBe(1);
      expect(server.requests().at(-1)).toMatchObject({ verb: 'patch', contentType: 'application/merge-patch+json' });

      const respec = await clients.custom.patchNamespacedCustomObject(
        vsRequest('patch', { name: 'mp', body: { spec: { hosts: ['mp', 'mp.example.com'] } } }),
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      expect(respec.spec.hosts).toEqual(['mp', 'mp.example.com']);
      expect(respec.metadata.generation).toBe(2);
    });

    it('treats a merge patch with a stale resourceVersion as a conflict and a no-op patch as a no-op', async () => {
      const [seeded] = server.seed([virtualService('mp-rv', 'patch')]);
      const rv = seeded!.metadata!.resourceVersion!;
      const { code } = await apiError(
        clients.custom.patchNamespacedCustomObject(
          vsRequest('patch', { name: 'mp-rv', body: { metadata: { resourceVersion: '1', labels: { a: 'b' } } } }),
          setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
        ),
      );
      expect(code).toBe(409);
      const same = await clients.custom.patchNamespacedCustomObject(
        vsRequest('patch', { name: 'mp-rv', body: { spec: { hosts: ['mp-rv'] } } }),
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      expect(same.metadata.resourceVersion).toBe(rv);
    });

    it('applies JSON patches, guarded by a test on resourceVersion', async () => {
      const [seeded] = server.seed([virtualService('jp', 'patch', { weights: [100] })]);
      const rv = seeded!.metadata!.resourceVersion!;
      const patched = await clients.custom.patchNamespacedCustomObject(
        vsRequest('patch', {
          name: 'jp',
          body: [
            { op: 'test', path: '/metadata/resourceVersion', value: rv },
            { op: 'replace', path: '/spec/http/0/route/0/weight', value: 90 },
            { op: 'add', path: '/spec/http/0/route/-', value: { destination: { host: 'jp', subset: 'v2' }, weight: 10 } },
            { op: 'add', path: '/metadata/annotations', value: { 'a~b/c': 'x' } },
            { op: 'replace', path: '/metadata/annotations/a~0b~1c', value: 'escaped' },
          ],
        }),
        setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
      );
      expect(patched.spec.http[0].route.map((r: { weight: number }) => r.weight)).toEqual([90, 10]);
      expect(patched.metadata.annotations).toEqual({ 'a~b/c': 'escaped' });
      expect(server.requests().at(-1)).toMatchObject({ verb: 'patch', contentType: 'application/json-patch+json' });
    });

    it('answers a failed JSON patch test with 422 Invalid and changes nothing', async () => {
      server.seed([virtualService('jpt', 'patch')]);
      const before = server.getObject('virtualservices', 'patch', 'jpt');
      const { code, status } = await apiError(
        clients.custom.patchNamespacedCustomObject(
          vsRequest('patch', {
            name: 'jpt',
            body: [
              { op: 'test', path: '/metadata/resourceVersion', value: '1' },
              { op: 'replace', path: '/spec/hosts', value: ['changed'] },
            ],
          }),
          setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
        ),
      );
      expect(code).toBe(422);
      expect(status).toMatchObject({ kind: 'Status', reason: 'Invalid', code: 422, message: 'testing value /metadata/resourceVersion failed: test failed' });
      expect(server.getObject('virtualservices', 'patch', 'jpt')).toEqual(before);
    });

    it('answers 400 for a malformed JSON patch and for invalid JSON', async () => {
      server.seed([virtualService('bad', 'patch')]);
      const path = `/apis/${GROUP}/v1/namespaces/patch/virtualservices/bad`;
      const notArray = await raw(server, 'PATCH', path, { body: { op: 'add' }, contentType: 'application/json-patch+json' });
      expect(notArray.status).toBe(400);
      const notJson = await raw(server, 'PATCH', path, { body: '{nope', contentType: 'application/merge-patch+json' });
      expect(notJson.json).toMatchObject({ reason: 'BadRequest', code: 400 });
    });

    it('answers 415 UnsupportedMediaType for strategic merge patches', async () => {
      server.seed([virtualService('smp', 'patch')]);
      const { code, status } = await apiError(
        clients.custom.patchNamespacedCustomObject(
          vsRequest('patch', { name: 'smp', body: { metadata: { labels: { a: 'b' } } } }),
          setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
        ),
      );
      expect(code).toBe(415);
      expect(status).toMatchObject({ kind: 'Status', reason: 'UnsupportedMediaType', code: 415 });
      expect(status.message).toContain('application/merge-patch+json');
    });

    it('deletes, honours preconditions and answers a Success Status', async () => {
      const [seeded] = server.seed([virtualService('del', 'delete')]);
      const conflictResult = await raw(server, 'DELETE', `/apis/${GROUP}/v1/namespaces/delete/virtualservices/del`, {
        body: { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { resourceVersion: '1' } },
      });
      expect(conflictResult.json).toMatchObject({ reason: 'Conflict' });
      expect(conflictResult.status).toBe(409);
      const before = Number(server.resourceVersion());
      const status = await clients.custom.deleteNamespacedCustomObject(vsRequest('delete', { name: 'del' }));
      expect(status).toMatchObject({ kind: 'Status', status: 'Success', details: { name: 'del', group: GROUP, kind: 'virtualservices', uid: seeded!.metadata!.uid } });
      expect(server.getObject('virtualservices', 'delete', 'del')).toBeUndefined();
      expect(Number(server.resourceVersion())).toBe(before + 1);
      const again = await apiError(clients.custom.deleteNamespacedCustomObject(vsRequest('delete', { name: 'del' })));
      expect(again.code).toBe(404);
    });

    it('runs dryRun=All writes completely but stores nothing', async () => {
      const [seeded] = server.seed([virtualService('dry', 'dry')]);
      const rv = server.resourceVersion();
      server.clearLog();

      const created = await clients.custom.createNamespacedCustomObject(vsRequest('dry', { body: virtualService('dry-new', 'dry'), dryRun: 'All' }));
      expect(created.metadata).toMatchObject({ name: 'dry-new', uid: expect.any(String) });
      expect(server.getObject('virtualservices', 'dry', 'dry-new')).toBeUndefined();

      const replaced = await clients.custom.replaceNamespacedCustomObject(
        vsRequest('dry', { name: 'dry', body: { ...seeded, spec: { hosts: ['other'] } }, dryRun: 'All' }),
      );
      expect(replaced.spec.hosts).toEqual(['other']);
      const patched = await clients.custom.patchNamespacedCustomObject(
        vsRequest('dry', { name: 'dry', body: { metadata: { labels: { x: 'y' } } }, dryRun: 'All' }),
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      expect(patched.metadata.labels).toEqual({ x: 'y' });
      await clients.custom.deleteNamespacedCustomObject(vsRequest('dry', { name: 'dry', dryRun: 'All' }));

      const invalid = await apiError(
        clients.custom.createNamespacedCustomObject(vsRequest('dry', { body: virtualService('dry-bad', 'dry', { weights: [0, 0] }), dryRun: 'All' })),
      );
      expect(invalid.code).toBe(422);

      expect(server.resourceVersion()).toBe(rv);
      expect(server.getObject('virtualservices', 'dry', 'dry')).toEqual(seeded);
      expect(server.requests().map((r) => [r.verb, r.dryRun])).toEqual([
        ['create', true],
        ['update', true],
        ['patch', true],
        ['delete', true],
        ['create', true],
      ]);
    });
  });

  describe('Istio validation', () => {
    it.each([
      [
        'a string weight (schema)',
        virtualService('str', 'invalid', { weights: ['100'] }),
        `VirtualService.${GROUP} "str" is invalid: spec.http[0].route[0].weight: must be integer`,
      ],
      [
        'weights totalling 0',
        virtualService('w0', 'invalid', { weights: [0, 0] }),
        `VirtualService.${GROUP} "w0" is invalid: spec.http[0].route: total destination weight = 0`,
      ],
      [
        'an HTTP route without destinations',
        { ...virtualService('noroute', 'invalid'), spec: { hosts: ['x'], http: [{ match: [{ uri: { prefix: '/' } }] }] } },
        `VirtualService.${GROUP} "noroute" is invalid: spec.http[0].route: HTTP route, redirect or direct_response is required`,
      ],
      [
        'duplicate subset names',
        destinationRule('dup', 'invalid', ['v1', 'v1']),
        `DestinationRule.${GROUP} "dup" is invalid: spec.subsets[1].name: duplicate subset names: v1`,
      ],
      [
        'a subset name that is not a DNS label',
        destinationRule('badsubset', 'invalid', ['V_1']),
        `DestinationRule.${GROUP} "badsubset" is invalid: spec.subsets[0].name: subset name is invalid: V_1`,
      ],
    ])('rejects %s with 422 Invalid and stores nothing', async (_label, body, message) => {
      const plural = body.kind === 'DestinationRule' ? 'destinationrules' : 'virtualservices';
      const rv = server.resourceVersion();
      const { code, status } = await apiError(
        clients.custom.createNamespacedCustomObject({ group: GROUP, version: 'v1', namespace: 'invalid', plural, body }),
      );
      expect(code).toBe(422);
      expect(status).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Invalid', code: 422, message });
      expect(status.details?.name).toBe(body.metadata?.name);
      expect(status.details?.causes).toHaveLength(1);
      expect(status.details?.causes?.[0]).toMatchObject({ field: expect.stringMatching(/^spec\./), message: expect.any(String) });
      expect(server.resourceVersion()).toBe(rv);
    });

    it('lists every cause when several rules fail', async () => {
      const body = virtualService('many', 'invalid', { weights: ['1', 2, 3] });
      (body['metadata'] as Record<string, unknown>)['labels'] = { ok: 'yes' };
      const { status } = await apiError(clients.custom.createNamespacedCustomObject(vsRequest('invalid', { body })));
      expect(status.details?.causes).toEqual([{ reason: 'FieldValueInvalid', field: 'spec.http[0].route[0].weight', message: 'must be integer' }]);
      const both = virtualService('many2', 'invalid', { weights: [0, 0] });
      (both['spec'] as { http: Record<string, unknown>[] }).http.push({});
      const result = await apiError(clients.custom.createNamespacedCustomObject(vsRequest('invalid', { body: both })));
      expect(result.status.details?.causes?.map((c) => c.field)).toEqual(['spec.http[0].route', 'spec.http[1].route']);
      expect(result.status.message).toMatch(/is invalid: \[spec\.http\[0\]\.route: .*, spec\.http\[1\]\.route: .*\]$/);
    });

    it('validates on update and patch too, and through v1alpha3', async () => {
      const [seeded] = server.seed([virtualService('later', 'invalid', { weights: [50, 50] })]);
      const patch = await apiError(
        clients.custom.patchNamespacedCustomObject(
          vsRequest('invalid', { name: 'later', body: [{ op: 'replace', path: '/spec/http/0/route/1/weight', value: -1 }] }),
          setHeaderOptions('Content-Type', PatchStrategy.JsonPatch),
        ),
      );
      expect(patch.code).toBe(422);
      expect(patch.status.message).toContain('weight -1 < 0');
      const update = await apiError(
        clients.custom.replaceNamespacedCustomObject(
          vsRequest('invalid', { name: 'later', body: { ...virtualService('later', 'invalid', { weights: [10] }), metadata: seeded!.metadata, spec: { hosts: 5 } } }),
        ),
      );
      expect(update.status.message).toContain('spec.hosts: must be array');
      const alpha = await apiError(
        clients.custom.createNamespacedCustomObject({
          group: GROUP,
          version: 'v1alpha3',
          namespace: 'invalid',
          plural: 'virtualservices',
          body: virtualService('alpha', 'invalid', { version: 'v1alpha3', weights: [0, 0] }),
        }),
      );
      expect(alpha.status.message).toContain('total destination weight = 0');
    });

    it('accepts redirect-only routes, relative weights, omitted weights and valid rules', async () => {
      const redirect = { ...virtualService('redirect', 'valid'), spec: { hosts: ['x'], http: [{ redirect: { uri: '/new' } }] } };
      await expect(clients.custom.createNamespacedCustomObject(vsRequest('valid', { body: redirect }))).resolves.toBeTruthy();
      for (const [name, weights] of [['single', [undefined]], ['relative', [1, 3]], ['omitted', [100, undefined]]] as const) {
        await expect(
          clients.custom.createNamespacedCustomObject(vsRequest('valid', { body: virtualService(name, 'valid', { weights }) })),
        ).resolves.toBeTruthy();
      }
      await expect(
        clients.custom.createNamespacedCustomObject({ group: GROUP, version: 'v1', namespace: 'valid', plural: 'destinationrules', body: destinationRule('dr', 'valid') }),
      ).resolves.toBeTruthy();
      expect(server.listObjects('virtualservices', 'valid').map((o) => o.metadata?.name)).toEqual(['omitted', 'redirect', 'relative', 'single']);
    });

    it('validates metadata.name', async () => {
      const { code, status } = await apiError(clients.custom.createNamespacedCustomObject(vsRequest('valid', { body: virtualService('Bad_Name', 'valid') })));
      expect(code).toBe(422);
      expect(status.details?.causes?.[0]?.field).toBe('metadata.name');
    });
  });

  describe('pods', () => {
    it('creates, lists with a label selector and reads pods with their status', async () => {
      const ready = { type: 'Ready', status: 'True' };
      await clients.core.createNamespacedPod({
        namespace: 'pods',
        body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'x' }] }, status: { phase: 'Running', conditions: [ready] } },
      });
      server.seed([{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'db-1', namespace: 'pods', labels: { app: 'db' } }, status: { conditions: [{ type: 'Ready', status: 'False' }] } }]);
      const web = await clients.core.listNamespacedPod({ namespace: 'pods', labelSelector: 'app=web' });
      expect(web.items.map((p) => p.metadata?.name)).toEqual(['web-1']);
      expect(web.items[0]?.status?.conditions?.[0]).toMatchObject(ready);
      const db = await clients.core.readNamespacedPod({ namespace: 'pods', name: 'db-1' });
      expect(db.status?.conditions?.[0]?.status).toBe('False');
      const all = await clients.core.listPodForAllNamespaces({ labelSelector: 'app in (web,db)' });
      expect(all.items).toHaveLength(2);
      expect(server.requests().at(-1)).toMatchObject({ verb: 'list', resource: 'pods', path: '/api/v1/pods' });
    });
  });

  describe('request log', () => {
    it('records method, path, query, status, verb, resource, content type and dryRun', async () => {
      server.clearLog();
      expect(server.requests()).toEqual([]);
      await raw(server, 'GET', `/apis/${GROUP}/v1`);
      await clients.custom.listNamespacedCustomObject(vsRequest('log', { labelSelector: 'a=b' }));
      await clients.custom.createNamespacedCustomObject(vsRequest('log', { body: virtualService('l', 'log') }));
      await clients.custom.getNamespacedCustomObject(vsRequest('log', { name: 'l' }));
      await clients.custom.patchNamespacedCustomObject(
        vsRequest('log', { name: 'l', body: { metadata: { labels: { x: 'y' } } }, dryRun: 'All' }),
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      );
      await apiError(clients.custom.getNamespacedCustomObject(vsRequest('log', { name: 'missing' })));
      await clients.custom.deleteNamespacedCustomObject(vsRequest('log', { name: 'l' }));
      await raw(server, 'GET', '/nowhere');

      const log = server.requests();
      expect(log).toEqual([
        { method: 'GET', path: `/apis/${GROUP}/v1`, query: {}, status: 200, verb: 'discovery', dryRun: false, connection: expect.any(Number) },
        {
          method: 'GET',
          path: `/apis/${GROUP}/v1/namespaces/log/virtualservices`,
          query: { labelSelector: 'a=b' },
          status: 200,
          verb: 'list',
          resource: 'virtualservices',
          dryRun: false,
          connection: expect.any(Number),
        },
        expect.objectContaining({ method: 'POST', status: 201, verb: 'create', resource: 'virtualservices', contentType: 'application/json', dryRun: false }),
        expect.objectContaining({ method: 'GET', status: 200, verb: 'get', path: `/apis/${GROUP}/v1/namespaces/log/virtualservices/l` }),
        expect.objectContaining({ method: 'PATCH', status: 200, verb: 'patch', contentType: 'application/merge-patch+json', dryRun: true, query: { dryRun: 'All' } }),
        expect.objectContaining({ method: 'GET', status: 404, verb: 'get' }),
        expect.objectContaining({ method: 'DELETE', status: 200, verb: 'delete' }),
        { method: 'GET', path: '/nowhere', query: {}, status: 404, verb: 'other', dryRun: false, connection: expect.any(Number) },
      ]);

      log.length = 0;
      expect(server.requests()).toHaveLength(8);
      server.clearLog();
      expect(server.requests()).toHaveLength(0);
    });
  });
});

describe('served versions', () => {
  it('hides unserved versions from discovery and answers 404 for them', async () => {
    const server = await startKubeApiServer({ servedVersions: ['v1beta1', 'v1alpha3'] });
    try {
      const clients = clientsFor(server);
      const group = await raw(server, 'GET', `/apis/${GROUP}`);
      expect(group.json).toMatchObject({ preferredVersion: { version: 'v1beta1' }, versions: [{ version: 'v1beta1' }, { version: 'v1alpha3' }] });

      server.setServedVersions(['v1beta1']);
      expect(server.servedVersions()).toEqual(['v1beta1']);
      const apis = await raw(server, 'GET', '/apis');
      expect(apis.json).toMatchObject({
        groups: [{ name: GROUP, versions: [{ groupVersion: `${GROUP}/v1beta1`, version: 'v1beta1' }], preferredVersion: { version: 'v1beta1' } }],
      });
      expect((await raw(server, 'GET', `/apis/${GROUP}/v1`)).status).toBe(404);
      expect((await raw(server, 'GET', `/apis/${GROUP}/v1alpha3`)).status).toBe(404);

      const v1 = await apiError(clients.custom.listNamespacedCustomObject(vsRequest('default')));
      expect(v1.code).toBe(404);
      const beta = await clients.custom.listNamespacedCustomObject({ ...vsRequest('default'), version: 'v1beta1' });
      expect(beta).toMatchObject({ apiVersion: `${GROUP}/v1beta1`, items: [] });

      server.setServedVersions([]);
      expect((await raw(server, 'GET', '/apis')).json).toMatchObject({ groups: [] });
      expect((await raw(server, 'GET', `/apis/${GROUP}`)).status).toBe(404);
      expect(() => server.setServedVersions(['v2' as 'v1'])).toThrow(/unknown/);
    } finally {
      await server.close();
    }
  });
});

describe('fault injection', () => {
  let server: KubeApiServer;
  let clients: Clients;
  const ns = 'faults';

  beforeAll(async () => {
    server = await startKubeApiServer({ seed: 7 });
    clients = clientsFor(server);
  });
  afterAll(async () => {
    await server.close();
  });

  const mergePatch = (name: string, labels: Record<string, string>) =>
    clients.custom.patchNamespacedCustomObject(
      vsRequest(ns, { name, body: { metadata: { labels } } }),
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );

  it('delays every request by latencyMs', async () => {
    server.faults.reset();
    server.faults.latencyMs = 150;
    const started = performance.now();
    const res = await raw(server, 'GET', '/version');
    expect(res.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    server.faults.reset();
    expect(server.faults.latencyMs).toBe(0);
  });

  it('fails writes at writeErrorRate with Retry-After, but never reads', async () => {
    server.faults.reset();
    server.seed([virtualService('rate', ns)]);
    const rv = server.resourceVersion();
    server.faults.writeErrorRate = 1;
    server.faults.retryAfterSeconds = 3;
    const { code, status, headers } = await apiError(mergePatch('rate', { a: 'b' }));
    expect(code).toBe(503);
    expect(headers['retry-after']).toBe('3');
    expect(status).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'ServiceUnavailable', code: 503, details: { retryAfterSeconds: 3 } });
    await expect(clients.custom.getNamespacedCustomObject(vsRequest(ns, { name: 'rate' }))).resolves.toBeTruthy();
    await expect(clients.custom.listNamespacedCustomObject(vsRequest(ns))).resolves.toBeTruthy();
    expect((await raw(server, 'GET', '/apis')).status).toBe(200);

    server.faults.writeErrorStatus = 429;
    const throttled = await apiError(mergePatch('rate', { a: 'b' }));
    expect(throttled.status).toMatchObject({ reason: 'TooManyRequests', code: 429 });
    expect(server.resourceVersion()).toBe(rv);
    server.faults.reset();
  });

  it('draws random write errors from a seeded PRNG (reproducible)', async () => {
    const outcomes = async (target: KubeApiServer): Promise<number[]> => {
      target.faults.writeErrorRate = 0.5;
      const statuses: number[] = [];
      for (let i = 0; i < 16; i++) {
        const res = await raw(target, 'POST', `/apis/${GROUP}/v1/namespaces/${ns}/virtualservices?dryRun=All`, { body: virtualService('p', ns) });
        statuses.push(res.status);
      }
      return statuses;
    };
    const other = await startKubeApiServer({ seed: 7 });
    try {
      server.faults.reset();
      const first = await outcomes(server);
      const second = await outcomes(other);
      expect(second).toEqual(first);
      expect(first).toContain(201);
      expect(first).toContain(503);
      server.faults.reset();
      expect(await outcomes(server)).toEqual(first);
    } finally {
      server.faults.reset();
      await other.close();
    }
  });

  it('answers the next n writes with 409 Conflict without changing anything', async () => {
    server.faults.reset();
    const [seeded] = server.seed([virtualService('conflict', ns)]);
    server.faults.conflictOnNextWrites(2);
    await clients.custom.getNamespacedCustomObject(vsRequest(ns, { name: 'conflict' })); // reads do not consume
    for (let i = 0; i < 2; i++) {
      const { code, status } = await apiError(mergePatch('conflict', { n: String(i) }));
      expect(code).toBe(409);
      expect(status).toMatchObject({
        reason: 'Conflict',
        message: `Operation cannot be fulfilled on virtualservices.${GROUP} "conflict": the object has been modified; please apply your changes to the latest version and try again`,
        details: { name: 'conflict', group: GROUP, kind: 'virtualservices' },
      });
    }
    expect(server.getObject('virtualservices', ns, 'conflict')).toEqual(seeded);
    const third = await mergePatch('conflict', { n: '2' });
    expect(third.metadata.labels).toEqual({ n: '2' });
  });

  it('drops the connection of the next n writes', async () => {
    server.faults.reset();
    const [seeded] = server.seed([virtualService('drop', ns)]);
    server.faults.dropNextConnections(1);
    const error = await transportError(mergePatch('drop', { a: 'b' }));
    expect(error.message).toMatch(/socket hang up|ECONNRESET|terminated|closed/i);
    expect(server.getObject('virtualservices', ns, 'drop')).toEqual(seeded);
    expect(server.requests().at(-1)).toMatchObject({ method: 'PATCH', status: 0, verb: 'patch' });
    const next = await mergePatch('drop', { a: 'c' });
    expect(next.metadata.labels).toEqual({ a: 'c' });
  });

  it('fails the next n writes with a chosen status', async () => {
    server.faults.reset();
    server.seed([virtualService('fail', ns)]);
    server.faults.failNextWrites(2, 500);
    expect((await apiError(mergePatch('fail', { a: '1' }))).status).toMatchObject({ reason: 'InternalError', code: 500 });
    const created = await raw(server, 'POST', `/apis/${GROUP}/v1/namespaces/${ns}/virtualservices`, { body: virtualService('fail-2', ns) });
    expect(created.status).toBe(500);
    expect(server.getObject('virtualservices', ns, 'fail-2')).toBeUndefined();
    await expect(mergePatch('fail', { a: '2' })).resolves.toMatchObject({ metadata: { labels: { a: '2' } } });
    server.faults.failNextWrites(1, 504);
    expect((await apiError(clients.custom.deleteNamespacedCustomObject(vsRequest(ns, { name: 'fail' })))).code).toBe(504);
  });
});

describe('kubeconfig writer', () => {
  let server: KubeApiServer;

  beforeAll(async () => {
    server = await startKubeApiServer({ token: 'fixed-token' });
    server.seed([virtualService('k', 'ns-a'), virtualService('k', 'ns-b')]);
  });
  afterAll(async () => {
    await server.close();
  });

  it('writes several contexts, users and a current context that client-node honours', async () => {
    const path = server.writeKubeconfig(tmpPath('multi'), {
      contexts: [
        { name: 'a', namespace: 'ns-a' },
        { name: 'b', namespace: 'ns-b', user: 'intruder' },
      ],
      users: [{ name: 'intruder', token: 'wrong' }],
      currentContext: 'b',
    });
    const kc = new KubeConfig();
    kc.loadFromFile(path);
    expect(kc.getCurrentContext()).toBe('b');
    expect(kc.getContextObject('a')?.namespace).toBe('ns-a');
    expect(kc.getCurrentCluster()?.server).toBe(server.httpsUrl);
    expect(kc.getCurrentUser()?.token).toBe('wrong');
    expect((await apiError(kc.makeApiClient(CustomObjectsApi).listNamespacedCustomObject(vsRequest('ns-b')))).code).toBe(401);

    kc.setCurrentContext('a');
    const list = await kc.makeApiClient(CustomObjectsApi).listNamespacedCustomObject(vsRequest(kc.getContextObject('a')?.namespace ?? ''));
    expect(names(list)).toEqual(['k']);
  });

  it('can point at the plain-HTTP listener', async () => {
    const { kc, custom } = clientsFor(server, { server: 'http' });
    expect(kc.getCurrentCluster()?.server).toBe(server.httpUrl);
    expect(kc.getCurrentCluster()?.caData).toBeUndefined();
    expect(names(await custom.listNamespacedCustomObject(vsRequest('ns-a')))).toEqual(['k']);
  });

  it('writes a bare http:// cluster like one for kubectl proxy, and a proxy-url', () => {
    const kc = new KubeConfig();
    kc.loadFromFile(server.writeKubeconfig(tmpPath('bare'), { server: 'http', httpSkipTlsVerify: false, proxyUrl: 'http://127.0.0.1:3128' }));
    expect(kc.getCurrentCluster()).toMatchObject({ server: server.httpUrl, skipTLSVerify: false, proxyUrl: 'http://127.0.0.1:3128' });
    expect(kc.getCurrentCluster()?.caData).toBeUndefined();
  });

  it('can point at an unreachable server', async () => {
    const { kc, custom } = clientsFor(server, { server: 'unreachable' });
    expect(kc.getCurrentCluster()?.server).toBe(server.unreachableUrl);
    const error = await transportError(custom.listNamespacedCustomObject(vsRequest('ns-a')));
    expect(`${error.message} ${String((error as { code?: unknown }).code)}`).toMatch(/ECONNREFUSED/);
  });

  it('close() stops both listeners', async () => {
    const temporary = await startKubeApiServer();
    const { custom } = clientsFor(temporary);
    await custom.listNamespacedCustomObject(vsRequest('default')); // leaves a kept-alive connection
    await temporary.close();
    await expect(raw(temporary, 'GET', '/version')).rejects.toThrow(/ECONNREFUSED/);
    await expect(raw(temporary, 'GET', '/version', { plainHttp: true })).rejects.toThrow(/ECONNREFUSED/);
  });
});

const kubectl = findOnPath('kubectl');

describe('kubectl', () => {
  let server: KubeApiServer;
  let kubeconfig: string;
  const ns = 'kubectl-ns';
  const args = (...rest: string[]): string[] => ['--kubeconfig', kubeconfig, '--cache-dir', tmpPath('kubectl-cache'), ...rest];

  beforeAll(async () => {
    server = await startKubeApiServer();
    server.seed([
      virtualService('reviews', ns, { labels: { app: 'reviews' }, weights: [80, 20] }),
      virtualService('ratings', ns),
      destinationRule('reviews', ns),
    ]);
    kubeconfig = server.writeKubeconfig(tmpPath('kubectl-config'), { contexts: [{ name: 'test', namespace: ns }] });
  });
  afterAll(async () => {
    await server.close();
  });

  it.skipIf(!kubectl)('lists, gets and shows seeded objects after legacy discovery', async () => {
    const list = await run(kubectl!, args('get', 'virtualservices', '-n', ns, '-o', 'json'));
    expect(list.stderr).toBe('');
    expect(list.code).toBe(0);
    const items = (JSON.parse(list.stdout) as { items: KubeObject[] }).items;
    expect(items.map((i) => i.metadata?.name)).toEqual(['ratings', 'reviews']);
    expect(items[1]).toEqual(server.getObject('virtualservices', ns, 'reviews'));

    const one = await run(kubectl!, args('get', 'vs', 'reviews', '-n', ns, '-o', 'json'));
    expect(JSON.parse(one.stdout)).toMatchObject({ apiVersion: `${GROUP}/v1`, kind: 'VirtualService', metadata: { name: 'reviews' } });

    const rules = await run(kubectl!, args('get', 'dr'));
    expect(rules.code).toBe(0);
    expect(rules.stdout).toMatch(/^NAME\s+AGE\n/);
    expect(rules.stdout).toContain('reviews');

    const selected = await run(kubectl!, args('get', 'vs', '-l', 'app in (reviews)', '-o', 'name'));
    expect(selected.stdout.trim()).toBe(`virtualservice.${GROUP}/reviews`);

    const paths = server.requests().map((r) => r.path);
    expect(paths).toEqual(expect.arrayContaining(['/api', '/apis', `/apis/${GROUP}/v1`, `/apis/${GROUP}/v1/namespaces/${ns}/virtualservices`]));
  });

  it.skipIf(!kubectl)('creates, applies and patches through the server', async () => {
    const file = tmpPath('vs.yaml');
    const write = (weights: [number, number]): void =>
      writeFileSync(
        file,
        JSON.stringify({ ...virtualService('applied', ns, { weights }), metadata: { name: 'applied', namespace: ns } }),
      );
    write([0, 0]);
    const invalid = await run(kubectl!, args('create', '-f', file));
    expect(invalid.code).not.toBe(0);
    expect(invalid.stderr).toContain('total destination weight = 0');

    write([90, 10]);
    expect((await run(kubectl!, args('apply', '-f', file))).stdout).toContain('created');
    write([70, 30]);
    expect((await run(kubectl!, args('apply', '-f', file))).stdout).toContain('configured');
    const weights = (server.getObject('virtualservices', ns, 'applied')?.['spec'] as { http: { route: { weight: number }[] }[] }).http[0]!.route.map(
      (r) => r.weight,
    );
    expect(weights).toEqual([70, 30]);

    const smp = await run(kubectl!, args('patch', 'vs', 'applied', '-p', '{"metadata":{"labels":{"a":"b"}}}'));
    expect(smp.code).not.toBe(0);
    expect(smp.stderr).toContain('the body of the request was in an unknown format');
    const merge = await run(kubectl!, args('patch', 'vs', 'applied', '--type', 'merge', '-p', '{"metadata":{"labels":{"a":"b"}}}'));
    expect(merge.code).toBe(0);
    expect(server.getObject('virtualservices', ns, 'applied')?.metadata?.labels).toEqual({ a: 'b' });
  });

  it.skipIf(!kubectl)('talks to the plain-HTTP listener when it does not require auth', async () => {
    // client-go never sends credentials over plain HTTP, hence `authOnHttp: false`.
    const open = await startKubeApiServer({ authOnHttp: false });
    try {
      open.seed([virtualService('plain', ns)]);
      expect((await raw(open, 'GET', '/apis', { token: null, plainHttp: true })).status).toBe(200);
      expect((await raw(open, 'GET', '/apis', { token: null })).status).toBe(401);
      const config = open.writeKubeconfig(tmpPath('http-config'), { server: 'http', contexts: [{ name: 'http', namespace: ns }] });
      const result = await run(kubectl!, ['--kubeconfig', config, '--cache-dir', tmpPath('cache'), 'get', 'vs', '-o', 'name']);
      expect(result.stdout.trim()).toBe(`virtualservice.${GROUP}/plain`);
    } finally {
      await open.close();
    }
  });

  it.skipIf(!kubectl)('follows served versions and fails cleanly on a wrong token', async () => {
    server.setServedVersions(['v1beta1']);
    try {
      const one = await run(kubectl!, args('get', 'vs', 'ratings', '-o', 'json'));
      expect(JSON.parse(one.stdout)).toMatchObject({ apiVersion: `${GROUP}/v1beta1` });
    } finally {
      server.setServedVersions(['v1', 'v1beta1', 'v1alpha3']);
    }
    const badConfig = server.writeKubeconfig(tmpPath('bad-token'), { token: 'wrong', contexts: [{ name: 'bad', namespace: ns }] });
    const denied = await run(kubectl!, ['--kubeconfig', badConfig, '--cache-dir', tmpPath('cache'), 'get', 'vs']);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/Unauthorized|provide credentials/);
  });
});

// ---------------------------------------------------------------- services, lists, RBAC, interception, watch, connections

interface WatchStream {
  readonly status: number;
  readonly events: { type: string; object: Record<string, unknown> }[];
  /** Resolves when at least `count` events arrived in total. */
  until(count: number): Promise<{ type: string; object: Record<string, unknown> }[]>;
  /** Resolves when the server ends or breaks the stream. */
  readonly ended: Promise<void>;
  close(): void;
}

/** Opens a watch over its own HTTPS connection and collects its newline-delimited events. */
function openWatch(server: KubeApiServer, path: string): Promise<WatchStream> {
  const url = new URL(server.httpsUrl);
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      { host: url.hostname, port: url.port, path, ca: server.caPem, agent: false, headers: { authorization: `Bearer ${server.token}` } },
      (res) => {
        const events: WatchStream['events'] = [];
        const waiters: { count: number; resolve: () => void }[] = [];
        let buffer = '';
        const ended = new Promise<void>((done) => {
          res.on('end', done);
          res.on('close', done);
          res.on('error', () => done());
        });
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let newline;
          while ((newline = buffer.indexOf('\n')) >= 0) {
            events.push(JSON.parse(buffer.slice(0, newline)));
            buffer = buffer.slice(newline + 1);
          }
          for (const waiter of waiters.filter((w) => events.length >= w.count)) waiter.resolve();
        });
        resolve({
          status: res.statusCode ?? 0,
          events,
          until: (count) =>
            new Promise((done, fail) => {
              if (events.length >= count) done(events.slice());
              else {
                waiters.push({ count, resolve: () => done(events.slice()) });
                void ended.then(() => (events.length >= count ? done(events.slice()) : fail(new Error(`stream ended after ${events.length} events`))));
              }
            }),
          ended,
          close: () => req.destroy(),
        });
      },
    );
    req.on('error', (err) => (err.message === 'socket hang up' ? undefined : reject(err)));
    req.end();
  });
}

function service(name: string, namespace: string, selector: Record<string, string>, labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels },
    spec: { selector, ports: [{ name: 'http', port: 9080, targetPort: 9080 }] },
  };
}

describe('core services and cluster-wide lists', () => {
  let server: KubeApiServer;
  let clients: Clients;

  beforeAll(async () => {
    server = await startKubeApiServer();
    clients = clientsFor(server);
    server.seed([
      service('reviews', 'shop', { app: 'reviews' }, { team: 'a' }),
      service('ratings', 'shop', { app: 'ratings' }, { team: 'b' }),
      service('reviews', 'other', { app: 'reviews' }, { team: 'a' }),
      virtualService('reviews', 'shop'),
      virtualService('reviews', 'other'),
      destinationRule('reviews', 'shop'),
      destinationRule('reviews', 'other'),
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'reviews-1', namespace: 'shop', labels: { app: 'reviews' } }, status: { conditions: [{ type: 'Ready', status: 'True' }] } },
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'reviews-2', namespace: 'other', labels: { app: 'reviews' } }, status: { conditions: [{ type: 'Ready', status: 'False' }] } },
    ]);
  });
  afterAll(async () => {
    await server.close();
  });

  it('lists, gets and creates services, and selects them by label', async () => {
    const all = await clients.core.listNamespacedService({ namespace: 'shop' });
    expect(all.items.map((s) => s.metadata?.name)).toEqual(['ratings', 'reviews']);
    expect(all.items[1]?.spec?.selector).toEqual({ app: 'reviews' });
    const teamA = await clients.core.listNamespacedService({ namespace: 'shop', labelSelector: 'team=a' });
    expect(teamA.items.map((s) => s.metadata?.name)).toEqual(['reviews']);
    const one = await clients.core.readNamespacedService({ namespace: 'shop', name: 'ratings' });
    expect(one.kind).toBe('Service');
    await clients.core.createNamespacedService({ namespace: 'shop', body: service('details', 'shop', { app: 'details' }) as never });
    expect(server.getObject('services', 'shop', 'details')?.metadata?.resourceVersion).toBe(server.resourceVersion());
    const missing = await apiError(clients.core.readNamespacedService({ namespace: 'shop', name: 'nope' }));
    expect(missing.status).toMatchObject({ code: 404, message: 'services "nope" not found' });
  });

  it('publishes services in the core discovery document', async () => {
    const core = await raw(server, 'GET', '/api/v1');
    expect((core.json as { resources: unknown[] }).resources).toContainEqual(
      expect.objectContaining({ name: 'services', kind: 'Service', namespaced: true, shortNames: ['svc'] }),
    );
  });

  it.each([
    [`/apis/${GROUP}/v1/virtualservices`, 'VirtualServiceList', `${GROUP}/v1`, ['other/reviews', 'shop/reviews']],
    [`/apis/${GROUP}/v1beta1/destinationrules`, 'DestinationRuleList', `${GROUP}/v1beta1`, ['other/reviews', 'shop/reviews']],
    ['/api/v1/pods', 'PodList', 'v1', ['other/reviews-2', 'shop/reviews-1']],
    ['/api/v1/services?labelSelector=team%3Da', 'ServiceList', 'v1', ['other/reviews', 'shop/reviews']],
  ])('answers a cluster-wide list on %s', async (path, kind, apiVersion, expected) => {
    const res = await raw(server, 'GET', path);
    const list = res.json as { kind: string; apiVersion: string; metadata: { resourceVersion: string }; items: KubeObject[] };
    expect(res.status).toBe(200);
    expect(list).toMatchObject({ kind, apiVersion, metadata: { resourceVersion: server.resourceVersion() } });
    expect(list.items.map((i) => `${i.metadata?.namespace}/${i.metadata?.name}`)).toEqual(expected);
  });

  it('lists pods by label with their Ready condition, in one namespace and across all', async () => {
    const shop = await clients.core.listNamespacedPod({ namespace: 'shop', labelSelector: 'app=reviews' });
    expect(shop.items.map((p) => [p.metadata?.name, p.status?.conditions?.find((c) => c.type === 'Ready')?.status])).toEqual([['reviews-1', 'True']]);
    const everywhere = await clients.core.listPodForAllNamespaces({ labelSelector: 'app=reviews' });
    expect(everywhere.items.map((p) => p.status?.conditions?.[0]?.status)).toEqual(['False', 'True']);
  });
});

describe('RBAC denials', () => {
  let server: KubeApiServer;

  beforeAll(async () => {
    server = await startKubeApiServer();
    server.seed([virtualService('a', 'team'), virtualService('b', 'elsewhere')]);
  });
  afterAll(async () => {
    await server.close();
  });

  it('forbids the cluster-wide list but not the namespaced one, with an API-server-shaped 403', async () => {
    server.faults.reset();
    server.faults.forbid({ verb: 'list', resource: 'virtualservices', clusterScope: true });
    const cluster = await raw(server, 'GET', `/apis/${GROUP}/v1/virtualservices`);
    expect(cluster.status).toBe(403);
    expect(cluster.json).toEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: `virtualservices.${GROUP} is forbidden: User "system:serviceaccount:ci:istiops" cannot list resource "virtualservices" in API group "${GROUP}" at the cluster scope`,
      reason: 'Forbidden',
      details: { group: GROUP, kind: 'virtualservices' },
      code: 403,
    });
    const namespaced = await raw(server, 'GET', `/apis/${GROUP}/v1/namespaces/team/virtualservices`);
    expect(namespaced.status).toBe(200);
    expect((await raw(server, 'GET', `/apis/${GROUP}/v1/destinationrules`)).status).toBe(200);
  });

  it.each([
    [{ verb: 'patch' as const, namespace: 'team' }, 'PATCH', `/apis/${GROUP}/v1/namespaces/team/virtualservices/a`, `virtualservices.${GROUP} "a" is forbidden: User "system:serviceaccount:ci:istiops" cannot patch resource "virtualservices" in API group "${GROUP}" in the namespace "team"`],
    [{ resource: 'pods' }, 'GET', '/api/v1/namespaces/team/pods', 'pods is forbidden: User "system:serviceaccount:ci:istiops" cannot list resource "pods" in API group "" in the namespace "team"'],
    [{ resource: 'namespaces' }, 'GET', '/api/v1/namespaces', 'namespaces is forbidden: User "system:serviceaccount:ci:istiops" cannot list resource "namespaces" in API group "" at the cluster scope'],
    [{ verb: 'watch' as const }, 'GET', `/apis/${GROUP}/v1/namespaces/team/virtualservices?watch=1`, `virtualservices.${GROUP} is forbidden: User "system:serviceaccount:ci:istiops" cannot watch resource "virtualservices" in API group "${GROUP}" in the namespace "team"`],
  ])('forbids %j', async (rule, method, path, message) => {
    server.faults.reset();
    server.faults.forbid(rule);
    const rv = server.resourceVersion();
    const res = await raw(server, method, path, method === 'PATCH' ? { body: { metadata: { labels: { x: 'y' } } }, contentType: 'application/merge-patch+json' } : {});
    expect(res.status).toBe(403);
    expect(res.json).toMatchObject({ reason: 'Forbidden', message });
    expect(server.resourceVersion()).toBe(rv);
    server.faults.reset();
    expect((await raw(server, 'GET', path.replace('?watch=1', ''))).status).toBe(200);
  });
});

describe('untrusted answers', () => {
  let server: KubeApiServer;
  let clients: Clients;
  const ns = 'untrusted';
  const vsPath = `/apis/${GROUP}/v1/namespaces/${ns}/virtualservices`;

  beforeAll(async () => {
    server = await startKubeApiServer();
    clients = clientsFor(server);
    server.seed([virtualService('kept', ns), destinationRule('kept', ns)]);
  });
  afterAll(async () => {
    await server.close();
  });

  /** One request with the raw body and content type. */
  const rawText = (path: string): Promise<{ status: number; contentType: string | undefined; text: string }> =>
    new Promise((resolve, reject) => {
      const url = new URL(server.httpsUrl);
      const req = httpsRequest(
        { host: url.hostname, port: url.port, path, ca: server.caPem, agent: false, headers: { authorization: `Bearer ${server.token}` } },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: res.headers['content-type'], text }));
        },
      );
      req.on('error', reject);
      req.end();
    });

  it.each([
    [{ type: 'html' } as const, 'text/html; charset=utf-8', /^<!DOCTYPE html>/],
    [{ type: 'empty-object' } as const, 'application/json', /^\{\}$/],
    [{ type: 'wrong-kind' } as const, 'application/json', /"kind":"ConfigMapList".*"items":\[\]/],
    [{ type: 'raw', status: 200, contentType: 'application/json', body: '{"kind":"VirtualServiceList"}' } as const, 'application/json', /^\{"kind":"VirtualServiceList"\}$/],
  ])('answers the next matching request with %j, then normally', async (action, contentType, body) => {
    server.faults.reset();
    server.faults.interceptNext({ method: 'GET', path: vsPath }, action);
    const other = await rawText(`/apis/${GROUP}/v1/namespaces/${ns}/destinationrules`);
    expect(other.text).toContain('DestinationRuleList');
    const faked = await rawText(vsPath);
    expect(faked).toMatchObject({ status: 200, contentType });
    expect(faked.text).toMatch(body);
    const real = await rawText(vsPath);
    expect(real.text).toContain('"kind":"VirtualServiceList"');
  });

  it('matches by path pattern, verb and count', async () => {
    server.faults.reset();
    server.faults.interceptNext({ path: /\/virtualservices$/, verb: 'list' }, { type: 'empty-object' }, 2);
    expect((await rawText(vsPath)).text).toBe('{}');
    expect((await rawText(`${vsPath}/kept`)).text).toContain('"name":"kept"');
    expect((await rawText(`/apis/${GROUP}/v1/virtualservices`)).text).toBe('{}');
    expect((await rawText(vsPath)).text).toContain('VirtualServiceList');
  });

  it('loses the answer of a write that was stored', async () => {
    server.faults.reset();
    server.faults.interceptNext({ method: 'PATCH' }, { type: 'drop-after-handling' });
    const before = Number(server.resourceVersion());
    const error = await transportError(
      clients.custom.patchNamespacedCustomObject(
        vsRequest(ns, { name: 'kept', body: { metadata: { labels: { written: 'yes' } } } }),
        setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
      ),
    );
    expect(error.message).toMatch(/socket hang up|ECONNRESET|terminated|closed/i);
    expect(server.getObject('virtualservices', ns, 'kept')?.metadata?.labels).toEqual({ written: 'yes' });
    expect(Number(server.resourceVersion())).toBe(before + 1);
    expect(server.requests().at(-1)).toMatchObject({ method: 'PATCH', status: 0 });
  });

  it('holds back the answer of a stored write past the client timeout', async () => {
    server.faults.reset();
    server.faults.interceptNext({ method: 'POST' }, { type: 'delay-after-handling', delayMs: 2_000 });
    const url = new URL(server.httpsUrl);
    const payload = JSON.stringify(virtualService('late', ns));
    const outcome = await new Promise<string>((resolve) => {
      const req = httpsRequest(
        {
          host: url.hostname,
          port: url.port,
          method: 'POST',
          path: vsPath,
          ca: server.caPem,
          agent: false,
          timeout: 100,
          headers: { authorization: `Bearer ${server.token}`, 'content-type': 'application/json' },
        },
        () => resolve('answered'),
      );
      req.on('timeout', () => {
        req.destroy();
        resolve('timed out');
      });
      req.on('error', () => undefined);
      req.end(payload);
    });
    expect(outcome).toBe('timed out');
    expect(server.getObject('virtualservices', ns, 'late')).toBeDefined();
  });
});

describe('watch', () => {
  let server: KubeApiServer;
  const ns = 'watched';
  const vsPath = `/apis/${GROUP}/v1/namespaces/${ns}/virtualservices`;
  const streams: WatchStream[] = [];
  const watch = async (path: string): Promise<WatchStream> => {
    const stream = await openWatch(server, path);
    streams.push(stream);
    return stream;
  };

  beforeAll(async () => {
    server = await startKubeApiServer();
  });
  afterAll(async () => {
    for (const stream of streams) stream.close();
    await server.close();
  });

  const summary = (events: WatchStream['events']): string[] =>
    events.map((e) => {
      const meta = (e.object['metadata'] ?? {}) as { name?: string; namespace?: string };
      return `${e.type} ${meta.namespace ?? ''}/${meta.name ?? ''}`;
    });

  it('sends the current objects as ADDED, then every change, with increasing resourceVersions', async () => {
    server.faults.reset();
    server.seed([virtualService('first', ns), virtualService('elsewhere', 'other-ns')]);
    const stream = await watch(`${vsPath}?watch=1`);
    expect(stream.status).toBe(200);
    await stream.until(1);
    const clients = clientsFor(server);
    await clients.custom.createNamespacedCustomObject(vsRequest(ns, { body: virtualService('second', ns) }));
    await clients.custom.patchNamespacedCustomObject(
      vsRequest(ns, { name: 'first', body: { metadata: { labels: { a: 'b' } } } }),
      setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
    );
    await clients.custom.deleteNamespacedCustomObject(vsRequest(ns, { name: 'second' }));
    server.seed([virtualService('ignored', 'other-ns')]);
    const events = await stream.until(4);
    expect(summary(events)).toEqual([`ADDED ${ns}/first`, `ADDED ${ns}/second`, `MODIFIED ${ns}/first`, `DELETED ${ns}/second`]);
    const versions = events.map((e) => Number((e.object['metadata'] as { resourceVersion: string }).resourceVersion));
    expect([...versions].sort((a, b) => a - b)).toEqual(versions);
    expect(events.every((e) => e.object['apiVersion'] === `${GROUP}/v1` && e.object['kind'] === 'VirtualService')).toBe(true);
    expect(server.requests().find((r) => r.verb === 'watch')).toMatchObject({ status: 200, resource: 'virtualservices', query: { watch: '1' } });
  });

  it('replays the changes after a resourceVersion, across namespaces, with a label selector', async () => {
    const from = server.resourceVersion();
    server.seed([virtualService('x', 'ns-a', { labels: { app: 'x' } }), virtualService('y', 'ns-b'), virtualService('z', 'ns-c', { labels: { app: 'x' } })]);
    const stream = await watch(`/apis/${GROUP}/v1beta1/virtualservices?watch=true&resourceVersion=${from}&labelSelector=app%3Dx`);
    const events = await stream.until(2);
    expect(summary(events)).toEqual(['ADDED ns-a/x', 'ADDED ns-c/z']);
    expect(events[0]?.object['apiVersion']).toBe(`${GROUP}/v1beta1`);
  });

  it('watches pods and services too', async () => {
    const stream = await watch('/api/v1/namespaces/pods-ns/pods?watch=1&resourceVersion=' + server.resourceVersion());
    server.seed([{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'pods-ns' } }, service('s', 'pods-ns', {})]);
    expect(summary(await stream.until(1))).toEqual(['ADDED pods-ns/p']);
  });

  it('sends BOOKMARK events on request to watches that allow them', async () => {
    const plain = await watch(`${vsPath}?watch=1&resourceVersion=${server.resourceVersion()}`);
    const marked = await watch(`${vsPath}?watch=1&resourceVersion=${server.resourceVersion()}&allowWatchBookmarks=true`);
    await server.waitForWatches(2);
    server.sendBookmarks();
    const [bookmark] = await marked.until(1);
    expect(bookmark).toEqual({ type: 'BOOKMARK', object: { kind: 'VirtualService', apiVersion: `${GROUP}/v1`, metadata: { resourceVersion: server.resourceVersion() } } });
    expect(plain.events).toEqual([]);
  });

  it('drops every open watch on request', async () => {
    const stream = await watch(`${vsPath}?watch=1&resourceVersion=${server.resourceVersion()}`);
    await server.waitForWatches(1);
    const open = server.openWatches();
    expect(open).toBeGreaterThanOrEqual(1);
    server.faults.dropWatches();
    await stream.ended;
    expect(server.openWatches()).toBe(0);
  });

  it.each([
    ['event', 200],
    ['http', 410],
  ] as const)('answers 410 Gone as %s to the next watch from an old resourceVersion', async (mode, status) => {
    server.faults.reset();
    server.faults.goneOnNextWatch(mode);
    const fresh = await watch(`${vsPath}?watch=1`); // no resourceVersion: never gone
    expect(fresh.status).toBe(200);
    const gone = await watch(`${vsPath}?watch=1&resourceVersion=1`);
    expect(gone.status).toBe(status);
    if (mode === 'event') {
      const [event] = await gone.until(1);
      expect(event).toMatchObject({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired', message: expect.stringMatching(/^too old resource version: 1 \(\d+\)$/) } });
    }
    await gone.ended;
    const again = await watch(`${vsPath}?watch=1&resourceVersion=1`);
    expect(again.status).toBe(200);
  });

  it('ends a watch after timeoutSeconds', async () => {
    const stream = await watch(`${vsPath}?watch=1&timeoutSeconds=1&resourceVersion=${server.resourceVersion()}`);
    await stream.ended;
    expect(stream.events).toEqual([]);
  });
});

describe('connections', () => {
  it('reuses one keep-alive connection for many requests and counts connections', async () => {
    const server = await startKubeApiServer();
    const agent = new HttpsAgent({ keepAlive: true, maxSockets: 1, ca: server.caPem });
    try {
      const url = new URL(server.httpsUrl);
      const get = (path: string): Promise<IncomingHttpHeaders> =>
        new Promise((resolve, reject) => {
          const req = httpsRequest({ host: url.hostname, port: url.port, path, agent, headers: { authorization: `Bearer ${server.token}` } }, (res) => {
            res.resume();
            res.on('end', () => resolve(res.headers));
          });
          req.on('error', reject);
          req.end();
        });
      const headers = await get('/api');
      expect(headers['connection']).toBe('keep-alive');
      await Promise.all([get('/apis'), get(`/apis/${GROUP}/v1/virtualservices`), get('/api/v1/pods')]);
      expect(server.connections()).toEqual([{ id: 1, listener: 'https', requests: 4 }]);
      expect(new Set(server.requests().map((r) => r.connection))).toEqual(new Set([1]));

      await raw(server, 'GET', '/version'); // agent: false: a connection of its own
      await raw(server, 'GET', '/version', { plainHttp: true });
      expect(server.connections().map((c) => [c.id, c.listener, c.requests])).toEqual([
        [1, 'https', 4],
        [2, 'https', 1],
        [3, 'http', 1],
      ]);
    } finally {
      agent.destroy();
      await server.close();
    }
  });
});

describe('CONNECT proxy', () => {
  it('tunnels TLS to the server and logs the target', async () => {
    const server = await startKubeApiServer();
    const proxy = await startConnectProxy();
    try {
      const socket = await new Promise<Socket>((resolve, reject) => {
        const proxyUrl = new URL(proxy.url);
        const req = httpRequest({ host: proxyUrl.hostname, port: proxyUrl.port, method: 'CONNECT', path: new URL(server.httpsUrl).host, agent: false });
        req.on('connect', (res, tunnel) => (res.statusCode === 200 ? resolve(tunnel) : reject(new Error(`CONNECT answered ${res.statusCode}`))));
        req.on('error', reject);
        req.end();
      });
      const status = await new Promise<number>((resolve, reject) => {
        const req = httpsRequest(
          { host: '127.0.0.1', path: '/version', ca: server.caPem, createConnection: () => tlsConnect({ socket, ca: server.caPem, servername: 'localhost' }), headers: { authorization: `Bearer ${server.token}` } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(status).toBe(200);
      expect(proxy.connects()).toEqual([new URL(server.httpsUrl).host]);
    } finally {
      await proxy.close();
      await server.close();
    }
  });

  it('answers 407 without the required credentials', async () => {
    const proxy = await startConnectProxy({ credentials: { user: 'u', password: 'p' } });
    try {
      const status = await new Promise<number>((resolve, reject) => {
        const proxyUrl = new URL(proxy.url);
        const req = httpRequest({ host: proxyUrl.hostname, port: proxyUrl.port, method: 'CONNECT', path: '127.0.0.1:1', agent: false });
        req.on('connect', (res) => resolve(res.statusCode ?? 0));
        req.on('error', reject);
        req.end();
      });
      expect(status).toBe(407);
      expect(proxy.connects()).toEqual(['127.0.0.1:1']);
    } finally {
      await proxy.close();
    }
  });

  it.skipIf(!kubectl)('carries kubectl through proxy-url from the kubeconfig', async () => {
    const server = await startKubeApiServer();
    const proxy = await startConnectProxy();
    try {
      server.seed([virtualService('via-proxy', 'px')]);
      const config = server.writeKubeconfig(tmpPath('proxied'), { proxyUrl: proxy.url, contexts: [{ name: 'p', namespace: 'px' }] });
      const result = await run(kubectl!, ['--kubeconfig', config, '--cache-dir', tmpPath('cache'), 'get', 'vs', '-o', 'name']);
      expect(result.stdout.trim()).toBe(`virtualservice.${GROUP}/via-proxy`);
      expect(proxy.connects().length).toBeGreaterThan(0);
      expect(new Set(proxy.connects())).toEqual(new Set([new URL(server.httpsUrl).host]));
    } finally {
      await proxy.close();
      await server.close();
    }
  });
});

describe('kubectl across namespaces', () => {
  it.skipIf(!kubectl)('follows a watch stream with kubectl get -w', async () => {
    const server = await startKubeApiServer();
    const child = spawn(kubectl!, ['--kubeconfig', server.writeKubeconfig(tmpPath('watch')), '--cache-dir', tmpPath('cache'), 'get', 'vs', '-A', '-w', '-o', 'name']);
    try {
      server.seed([virtualService('before', 'w')]);
      let out = '';
      const waiting: (() => void)[] = [];
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
        for (const check of [...waiting]) check();
      });
      const seen = (text: string): Promise<void> =>
        new Promise((resolve, reject) => {
          const check = (): void => {
            if (out.includes(text)) resolve();
          };
          waiting.push(check);
          child.once('exit', (code) => reject(new Error(`kubectl exited ${String(code)}: ${out}`)));
          check();
        });
      await seen(`virtualservice.${GROUP}/before`);
      await server.waitForWatches(1);
      server.seed([virtualService('after', 'w')]);
      await seen(`virtualservice.${GROUP}/after`);
      expect(server.requests().filter((r) => r.verb === 'watch').map((r) => r.path)).toEqual([`/apis/${GROUP}/v1/virtualservices`]);
    } finally {
      child.kill();
      await server.close();
    }
  });

  it.skipIf(!kubectl)('reads VirtualServices, services and pods of all namespaces', async () => {
    const server = await startKubeApiServer();
    try {
      server.seed([
        virtualService('reviews', 'a', { weights: [60, 40] }),
        virtualService('ratings', 'b'),
        service('reviews', 'a', { app: 'reviews' }),
        { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'reviews-1', namespace: 'a', labels: { app: 'reviews' } }, status: { conditions: [{ type: 'Ready', status: 'True' }] } },
      ]);
      const config = server.writeKubeconfig(tmpPath('all-ns'));
      const kc = (...rest: string[]): Promise<ExecResult> => run(kubectl!, ['--kubeconfig', config, '--cache-dir', tmpPath('cache'), ...rest]);
      const vs = await kc('get', 'vs', '-A', '-o', 'json');
      expect(vs.stderr).toBe('');
      const items = (JSON.parse(vs.stdout) as { items: KubeObject[] }).items;
      expect(items).toEqual([server.getObject('virtualservices', 'a', 'reviews'), server.getObject('virtualservices', 'b', 'ratings')]);
      const svc = await kc('get', 'svc', '-A', '-o', 'name');
      expect(svc.stdout.trim()).toBe('service/reviews');
      const pods = await kc('get', 'pods', '-A', '-l', 'app=reviews', '-o', 'json');
      expect((JSON.parse(pods.stdout) as { items: KubeObject[] }).items.map((p) => p.metadata?.name)).toEqual(['reviews-1']);
      expect(server.requests().map((r) => r.path)).toEqual(expect.arrayContaining([`/apis/${GROUP}/v1/virtualservices`, '/api/v1/services', '/api/v1/pods']));
    } finally {
      await server.close();
    }
  });
});
