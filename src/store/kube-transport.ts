/**
 * The thin HTTP transport of the Kubernetes store (issue 10, design rules 8, 10, 11): client-node's
 * `KubeConfig` supplies the TLS material and the credentials (tokens, `tokenFile`, client
 * certificates, exec plugins, auth providers), and requests go out with `node:https` / `node:http`
 * over one keep-alive agent per store, through the cluster's `proxy-url` or `HTTPS_PROXY` /
 * `NO_PROXY` as kubectl does. No generated API client is loaded.
 *
 * One connection by default: the lists a command sends together queue on it. On a distant API server
 * HTTP/2 (what kubectl speaks) would run them at once on that connection; the API test server speaks
 * HTTP/1.1 only, so istiops stays on HTTP/1.1 until that path can be tested.
 */
import { Agent as HttpAgent, request as httpRequest, type ClientRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { createSecureContext } from 'node:tls';
import type { KubeConfig } from '@kubernetes/client-node/dist/config.js';
import { ApiError, AuthError, ConflictError, NotFoundError, OutcomeUnknownError, TransientError, UsageError } from '../errors.js';
import { checkKubeConfig } from './kubeconfig.js';

/** Options of {@link KubeTransport}. */
export interface KubeTransportOptions {
  /** Timeout of each request in milliseconds; 0 means none (kubectl's `--request-timeout 0`). Default 30000. */
  readonly requestTimeoutMs?: number;
  /** Environment for `HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY` (and lowercase forms). Default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** `User-Agent` header. */
  readonly userAgent?: string;
  /**
   * Connections open at once. Default 1: every request of a command shares one kept-alive TLS
   * connection (design rule 8); requests sent together queue on it (HTTP/1.1 has no multiplexing).
   */
  readonly maxConnections?: number;
}

/** One HTTP request to the API server. */
export interface KubeRequest {
  /** What the request does, for messages: `list virtualservices in namespace prod`. */
  readonly what: string;
  readonly method: 'GET' | 'PUT';
  /** Path with the query string, e.g. `/api/v1/namespaces/x/pods?labelSelector=a%3Db`. */
  readonly path: string;
  /** JSON body (PUT). */
  readonly body?: unknown;
  /** For writes: the object (`Kind namespace/name`), named by {@link OutcomeUnknownError}. */
  readonly writes?: string;
  /** Aborts the request (and a watch stream). */
  readonly signal?: AbortSignal;
}

/** A complete answer. */
export interface KubeAnswer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** Credentials and TLS material of the current user and cluster, as client-node resolves them. */
interface Material {
  readonly headers: Record<string, string>;
  readonly tls: { ca?: Buffer; cert?: Buffer | string; key?: Buffer | string; rejectUnauthorized?: boolean; servername?: string };
}

/** How long resolved credentials are reused before client-node is asked again (exec plugins cache their own). */
const CREDENTIALS_TTL_MS = 10_000;

/**
 * Sends requests to the API server of a kubeconfig's current context. One agent with keep-alive per
 * transport: connections are reused by every request of a command. Call {@link close} when done.
 */
export class KubeTransport {
  /** The API server URL (`https://host:port`, or `http://` for `kubectl proxy`). */
  readonly server: string;
  readonly timeoutMs: number;
  private readonly kc: KubeConfig;
  private readonly base: URL;
  private readonly env: NodeJS.ProcessEnv;
  private readonly userAgent: string;
  private readonly maxConnections: number;
  /** The cluster's CA certificates, checked once. */
  private readonly ca: Buffer | undefined;
  private agent: HttpAgent | undefined;
  /** Watch streams hold their connection for as long as they run: they get connections of their own. */
  private streamAgent: HttpAgent | undefined;
  /** Requests in flight on the shared agent, and those waiting for a slot (see `maxConnections`). */
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private material: { at: number; value: Promise<Material> } | undefined;

  /** @throws UsageError when the kubeconfig's cluster is unusable (see {@link checkKubeConfig}) */
  constructor(kc: KubeConfig, options: KubeTransportOptions = {}) {
    this.ca = checkKubeConfig(kc);
    const cluster = kc.getCurrentCluster();
    if (!cluster) throw new UsageError('the kubeconfig has no current cluster: give --context');
    this.kc = kc;
    this.server = cluster.server;
    this.base = new URL(cluster.server);
    this.timeoutMs = options.requestTimeoutMs ?? 30_000;
    this.env = options.env ?? process.env;
    this.userAgent = options.userAgent ?? 'istiops';
    this.maxConnections = options.maxConnections ?? 1;
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.agent?.destroy();
    this.agent = undefined;
    this.streamAgent?.destroy();
    this.streamAgent = undefined;
  }

  /**
   * Sends one request and reads the whole answer, whatever its status.
   * @throws TransientError (timeout, reset connection), OutcomeUnknownError (a write sent whose
   *   answer was lost), ApiError (unreachable server, TLS failure), AuthError (credentials unusable)
   */
  async send(req: KubeRequest): Promise<KubeAnswer> {
    // Requests wait for a slot here rather than in the agent: a proxy agent creates its connections
    // asynchronously, and Node's agent then opens one per waiting request whatever its maxSockets.
    if (this.active < this.maxConnections) this.active++;
    else await new Promise<void>((resolve) => this.waiting.push(resolve));
    try {
      try {
        return await this.open(req, false);
      } catch (e) {
        // A kept-alive connection the server closed meanwhile fails the next request at once; a read
        // is sent again once on a fresh connection (a write is not: its outcome is unknown).
        if (req.method === 'GET' && e instanceof Error && staleSocketErrors.has(e)) return await this.open(req, false);
        throw e;
      }
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }

  /**
   * Opens a streaming GET (the watch API): resolves with the response once its headers arrived; the
   * request timeout applies only until then. The stream ends when `req.signal` aborts.
   */
  async stream(req: KubeRequest): Promise<IncomingMessage> {
    return this.open(req, true);
  }

  private open(req: KubeRequest, streaming: true): Promise<IncomingMessage>;
  private open(req: KubeRequest, streaming: false): Promise<KubeAnswer>;
  private async open(req: KubeRequest, streaming: boolean): Promise<KubeAnswer | IncomingMessage> {
    const material = await this.credentials(req.what);
    const agent = await this.agentFor(material, req.what, streaming);
    const secure = this.base.protocol === 'https:';
    const body = req.body === undefined ? undefined : JSON.stringify(req.body);
    const basePath = this.base.pathname.replace(/\/$/, '');
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'User-Agent': this.userAgent,
      ...material.headers,
      ...(body !== undefined ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) } : {}),
    };
    return new Promise((resolve, reject) => {
      let sent = false;
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      let answered = false;
      const fail = (e: unknown): void => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        req.signal?.removeEventListener('abort', onAbort);
        const error = this.translateNetwork(e, req, sent);
        const code = (e as { code?: unknown } | null)?.code;
        if (request.reusedSocket && !answered && (code === 'ECONNRESET' || code === 'EPIPE')) staleSocketErrors.add(error);
        reject(error);
      };
      const onAbort = (): void => {
        request.destroy(Object.assign(new Error('aborted'), { name: 'AbortError' }));
      };
      const request: ClientRequest = (secure ? httpsRequest : httpRequest)({
        protocol: this.base.protocol,
        hostname: this.base.hostname.replace(/^\[(.*)\]$/, '$1'),
        port: this.base.port || (secure ? 443 : 80),
        path: `${basePath}${req.path}`,
        method: req.method,
        headers,
        agent,
      });
      if (this.timeoutMs > 0) {
        timer = setTimeout(() => request.destroy(Object.assign(new Error('timeout'), { name: 'TimeoutError' })), this.timeoutMs);
      }
      if (req.signal) {
        if (req.signal.aborted) onAbort();
        else req.signal.addEventListener('abort', onAbort, { once: true });
      }
      request.on('finish', () => {
        sent = true;
      });
      request.on('error', fail);
      request.on('response', (res: IncomingMessage) => {
        answered = true;
        if (streaming && res.statusCode === 200) {
          if (timer) clearTimeout(timer);
          settled = true;
          res.on('close', () => req.signal?.removeEventListener('abort', onAbort));
          resolve(res);
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', fail);
        res.on('aborted', () => fail(Object.assign(new Error('the connection closed before the answer was complete'), { code: 'ECONNRESET' })));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          if (timer) clearTimeout(timer);
          req.signal?.removeEventListener('abort', onAbort);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
        });
      });
      request.end(body);
    });
  }

  /** Credentials and TLS material, from client-node; refreshed after {@link CREDENTIALS_TTL_MS}. */
  private credentials(what: string): Promise<Material> {
    const now = Date.now();
    if (this.material && now - this.material.at < CREDENTIALS_TTL_MS) return this.material.value;
    const value = this.resolveMaterial(what);
    this.material = { at: now, value };
    value.catch(() => {
      this.material = undefined;
    });
    return value;
  }

  private async resolveMaterial(what: string): Promise<Material> {
    const opts: {
      headers?: Record<string, unknown>;
      ca?: Buffer;
      cert?: Buffer | string;
      key?: Buffer | string;
      rejectUnauthorized?: boolean;
      servername?: string;
      auth?: string;
      agent?: { destroy?: () => void };
    } = { headers: {} };
    try {
      await this.kc.applyToHTTPSOptions(opts);
    } catch (e) {
      // client-node builds an agent of its own last and refuses plain http there; istiops builds its
      // own agent and accepts http:// servers (kubectl proxy), so only that refusal is ignored.
      const message = e instanceof Error ? e.message : String(e);
      if (!(this.base.protocol === 'http:' && /HTTP protocol is not allowed/.test(message))) {
        const user = this.kc.getCurrentUser()?.name ?? '?';
        throw new AuthError(`${what}: cannot get the credentials of user "${user}" from the kubeconfig: ${firstLine(message)}`, { cause: e });
      }
    }
    opts.agent?.destroy?.();
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.headers ?? {})) {
      // Token files usually end with a newline; a header value cannot carry it.
      if (typeof v === 'string' || typeof v === 'number') headers[k] = String(v).trim();
    }
    if (opts.auth !== undefined) headers['Authorization'] = `Basic ${Buffer.from(opts.auth).toString('base64')}`;
    const cluster = this.kc.getCurrentCluster();
    const ca = this.ca;
    return {
      headers,
      tls: {
        ...(ca ? { ca } : {}),
        ...(opts.cert !== undefined ? { cert: opts.cert } : {}),
        ...(opts.key !== undefined ? { key: opts.key } : {}),
        ...(cluster?.skipTLSVerify ? { rejectUnauthorized: false } : {}),
        ...(cluster?.tlsServerName ? { servername: cluster.tlsServerName } : {}),
      },
    };
  }

  /** The keep-alive agent (or the watch streams' agent): direct, or through an HTTP(S) CONNECT or SOCKS proxy. */
  private async agentFor(material: Material, what: string, streaming: boolean): Promise<HttpAgent> {
    const existing = streaming ? this.streamAgent : this.agent;
    if (existing) return existing;
    const cluster = this.kc.getCurrentCluster();
    const clusterName = cluster?.name ?? '?';
    const secure = this.base.protocol === 'https:';
    if (secure && (material.tls.cert !== undefined || material.tls.key !== undefined)) {
      try {
        createSecureContext({ cert: material.tls.cert, key: material.tls.key });
      } catch (e) {
        const user = this.kc.getCurrentUser()?.name ?? '?';
        throw new UsageError(`user "${user}" of the kubeconfig: the client certificate or key is not valid (${firstLine(e instanceof Error ? e.message : String(e))})`, { cause: e });
      }
    }
    const options = { keepAlive: !streaming, ...(streaming ? {} : { maxSockets: this.maxConnections }), ...(secure ? material.tls : {}) };
    const proxy = proxyFor(this.base, cluster?.proxyUrl, this.env);
    let agent: HttpAgent;
    if (proxy === undefined) {
      agent = secure ? new HttpsAgent(options) : new HttpAgent(options);
    } else {
      agent = await proxyAgent(proxy, secure, options, `${what}: cluster "${clusterName}"`);
    }
    // Two parallel first requests may both get here; the first agent wins, the other is unused.
    const raced = streaming ? this.streamAgent : this.agent;
    if (raced) {
      agent.destroy();
      return raced;
    }
    if (streaming) this.streamAgent = agent;
    else this.agent = agent;
    return agent;
  }

  /**
   * Maps a failure without an HTTP answer to a typed error (no credential in any message).
   * A write whose request was sent completely and whose answer never came has an unknown outcome.
   */
  private translateNetwork(e: unknown, req: KubeRequest, sent: boolean): Error {
    if (e instanceof Error && 'exitCode' in e) return e;
    const err = e as { name?: string; code?: string; message?: string };
    const what = req.what;
    const timedOut = err.name === 'TimeoutError';
    if (err.name === 'AbortError') return new TransientError(`${what}: cancelled`, { cause: e });
    const sys = err.code;
    const lost = timedOut || sys === 'ECONNRESET' || sys === 'EPIPE' || /socket hang up/i.test(err.message ?? '');
    if (req.writes !== undefined && sent && lost) {
      const why = timedOut ? `no answer within ${this.timeoutMs / 1000}s (--request-timeout)` : 'the connection was lost before the answer';
      return new OutcomeUnknownError(`${what}: ${why}; the outcome is unknown (${req.writes} may or may not have been written)`, { cause: e, object: req.writes });
    }
    if (timedOut) return new TransientError(`${what}: no answer from ${this.server} within ${this.timeoutMs / 1000}s (--request-timeout)`, { cause: e });
    if (lost) return new TransientError(`${what}: connection to ${this.server} was reset`, { cause: e });
    if (sys === 'ECONNREFUSED' || sys === 'ENOTFOUND' || sys === 'EHOSTUNREACH' || sys === 'ETIMEDOUT' || sys === 'EAI_AGAIN' || sys === 'ENETUNREACH') {
      return new ApiError(`${what}: cannot reach the API server at ${this.server} (${sys})`, { cause: e });
    }
    if (typeof sys === 'string' && /CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS|SSL/.test(sys)) {
      return new ApiError(`${what}: TLS failure talking to ${this.server}: ${firstLine(err.message ?? sys)} (check the cluster's certificate-authority)`, { cause: e });
    }
    if (/Bad response: (\d+)/.test(err.message ?? '')) {
      return new ApiError(`${what}: the proxy refused to connect to ${this.server} (HTTP ${/Bad response: (\d+)/.exec(err.message ?? '')?.[1] ?? '?'})`, { cause: e });
    }
    return new ApiError(`${what}: ${firstLine(err.message ?? String(e))}`, { cause: e });
  }
}

/** Errors of requests that failed at once on a reused keep-alive connection (see {@link KubeTransport.send}). */
const staleSocketErrors = new WeakSet<Error>();

function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}

/** A proxy agent with keep-alive; hpagent for HTTP(S) CONNECT proxies, socks-proxy-agent for SOCKS. */
async function proxyAgent(proxy: URL, secure: boolean, options: Record<string, unknown>, context: string): Promise<HttpAgent> {
  // Loaded only when a proxy is configured.
  if (proxy.protocol.startsWith('socks')) {
    const { SocksProxyAgent } = await import('socks-proxy-agent');
    return new SocksProxyAgent(proxy, options);
  }
  if (proxy.protocol !== 'http:' && proxy.protocol !== 'https:') throw new UsageError(`${context}: unsupported proxy ${proxy.protocol}//`);
  const { HttpProxyAgent, HttpsProxyAgent } = await import('hpagent');
  return secure ? new HttpsProxyAgent({ ...options, proxy }) : new HttpProxyAgent({ ...options, proxy });
}

/**
 * The proxy for the API server, as kubectl picks it: the cluster's `proxy-url`, else `HTTPS_PROXY`
 * (for https servers) or `HTTP_PROXY` (for http), uppercase first, unless `NO_PROXY` excludes the host;
 * loopback hosts never go through an environment proxy (Go's `httpproxy` rules). A proxy given without
 * a scheme is `http://`.
 */
export function proxyFor(server: URL, proxyUrl: string | undefined, env: NodeJS.ProcessEnv): URL | undefined {
  if (proxyUrl) return new URL(proxyUrl);
  const secure = server.protocol === 'https:';
  const raw = secure ? (env['HTTPS_PROXY'] ?? env['https_proxy']) : (env['HTTP_PROXY'] ?? env['http_proxy']);
  if (!raw) return undefined;
  const host = server.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (host === 'localhost' || isLoopback(host)) return undefined;
  const port = server.port || (secure ? '443' : '80');
  if (noProxyMatches(host, port, env['NO_PROXY'] ?? env['no_proxy'] ?? '')) return undefined;
  try {
    return new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
  } catch {
    throw new UsageError(`${secure ? 'HTTPS_PROXY' : 'HTTP_PROXY'} is not a URL`);
  }
}

function isLoopback(host: string): boolean {
  const v = isIP(host);
  if (v === 4) return host.startsWith('127.');
  if (v === 6) return host === '::1' || host === '0:0:0:0:0:0:0:1';
  return false;
}

/** `NO_PROXY` as Go reads it: `*`, IPs, CIDRs, domains (with their subdomains), `.domain` (subdomains), optional `:port`. */
export function noProxyMatches(host: string, port: string, noProxy: string): boolean {
  for (const raw of noProxy.split(',')) {
    let entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    if (entry.includes('/')) {
      if (isIP(host) && inCidr(host, entry)) return true;
      continue;
    }
    let entryPort: string | undefined;
    const m = /^(.*):(\d+)$/.exec(entry);
    if (m && !(isIP(entry) === 6)) {
      entry = m[1] as string;
      entryPort = m[2];
    }
    entry = entry.replace(/^\[(.*)\]$/, '$1');
    if (entryPort !== undefined && entryPort !== port) continue;
    if (isIP(entry)) {
      if (entry === host) return true;
      continue;
    }
    if (entry.startsWith('*.')) entry = entry.slice(1);
    if (entry.startsWith('.')) {
      if (host.endsWith(entry)) return true;
    } else if (host === entry || host.endsWith(`.${entry}`)) {
      return true;
    }
  }
  return false;
}

function inCidr(ip: string, cidr: string): boolean {
  const [net, bitsText] = cidr.split('/');
  if (net === undefined || bitsText === undefined || isIP(net) !== 4 || isIP(ip) !== 4) return false;
  const bits = Number(bitsText);
  const toInt = (a: string): number => a.split('.').reduce((n, o) => (n << 8) + Number(o), 0) >>> 0;
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return ((toInt(ip) & mask) >>> 0) === ((toInt(net) & mask) >>> 0);
}

/** A Kubernetes `Status` body's fields that messages use. */
interface StatusBody {
  readonly kind?: unknown;
  readonly message?: unknown;
  readonly reason?: unknown;
}

/** `application/json` (any parameters), the content type of every API answer istiops reads. */
function isJson(headers: IncomingHttpHeaders): boolean {
  return (headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() === 'application/json';
}

/** Describes an answer that is not what was expected, for messages: `200 with text/html`. */
export function describeAnswer(answer: KubeAnswer): string {
  const type = (answer.headers['content-type'] ?? 'no content type').split(';')[0]?.trim() ?? '';
  return `${answer.status} with ${type || 'no content type'}`;
}

/**
 * Maps an HTTP error answer to a typed istiops error (conventions: translate at the adapter):
 * 409 ConflictError; 429, 500, 502, 503, 504 TransientError (with `Retry-After`); for a write, 504
 * (the server may still be processing it) OutcomeUnknownError; 401/403 AuthError; 404 NotFoundError;
 * anything else ApiError. A body that is not a Kubernetes `Status` (an HTML page from a proxy) is
 * described by its content type, never quoted at length.
 */
export function errorFromAnswer(answer: KubeAnswer, what: string, server: string, writes?: string): Error {
  const code = answer.status;
  let status: StatusBody = {};
  if (isJson(answer.headers)) {
    try {
      const parsed = JSON.parse(answer.body) as unknown;
      if (parsed && typeof parsed === 'object') status = parsed;
    } catch {
      status = {};
    }
  }
  const message = typeof status.message === 'string' && status.message !== '' ? firstLine(status.message) : `the server answered ${describeAnswer(answer)}`;
  const retryHeader = answer.headers['retry-after'];
  const after = Number(Array.isArray(retryHeader) ? retryHeader[0] : retryHeader);
  const retryAfterMs = Number.isFinite(after) && after > 0 ? Math.min(after, 30) * 1000 : undefined;
  if (code === 409) return new ConflictError(`${what}: ${message}`);
  if (code === 401) return new AuthError(`${what}: Unauthorized: the API server at ${server} rejected the credentials`);
  if (code === 403) return new AuthError(`${what}: Forbidden: ${message}`);
  if (code === 404) return new NotFoundError(`${what}: ${message}`);
  if (code === 504 && writes !== undefined) {
    return new OutcomeUnknownError(`${what}: HTTP 504 ${message}; the outcome is unknown (${writes} may or may not have been written)`, { object: writes, retryAfterMs });
  }
  if ([429, 500, 502, 503, 504].includes(code)) return new TransientError(`${what}: HTTP ${code} ${message}`, { retryAfterMs });
  return new ApiError(`${what}: ${message}`, { status: code });
}

/**
 * Parses a successful JSON answer, checking that it is what the API returns for the request (design
 * rule 10): status 200 (or 201), `application/json`, a JSON object of the expected `kind`.
 * @throws the translated error for an error status; ApiError naming the request otherwise
 */
export function expectObject(answer: KubeAnswer, what: string, kind: string, server: string, writes?: string): Record<string, unknown> {
  if (answer.status !== 200 && answer.status !== 201) {
    if (answer.status >= 200 && answer.status < 300) {
      throw new ApiError(`${what}: the server answered ${describeAnswer(answer)}, not a ${kind}`, { status: answer.status });
    }
    throw errorFromAnswer(answer, what, server, writes);
  }
  if (!isJson(answer.headers)) {
    throw new ApiError(`${what}: the server answered ${describeAnswer(answer)}, not a ${kind} (a proxy or login page?)`, { status: answer.status });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.body);
  } catch {
    throw new ApiError(`${what}: the server answered ${answer.status} with malformed JSON, not a ${kind}`, { status: answer.status });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ApiError(`${what}: the server answered ${answer.status} with JSON that is not an object, not a ${kind}`, { status: answer.status });
  }
  const obj = parsed as Record<string, unknown>;
  if (obj['kind'] !== kind) {
    const got = typeof obj['kind'] === 'string' ? `a ${obj['kind']}` : 'an object without kind';
    throw new ApiError(`${what}: the server answered ${answer.status} with ${got}, not a ${kind}`, { status: answer.status });
  }
  return obj;
}

/** A list item checked to be an object with `metadata.name` (and `metadata.namespace` when asked). */
export type ListItem = Record<string, unknown> & { metadata: Record<string, unknown> & { name: string } };

/**
 * Parses a list answer (`kind` `<Kind>List`, `items` an array of objects with `metadata.name`), and
 * its `metadata.resourceVersion` for watches. `{}` is an error, never an empty list (design rule 10).
 * @throws as {@link expectObject}; ApiError naming the request for a malformed list
 */
export function expectList(answer: KubeAnswer, what: string, listKind: string, server: string): { items: ListItem[]; resourceVersion: string | undefined } {
  const obj = expectObject(answer, what, listKind, server);
  const items = obj['items'];
  if (!Array.isArray(items)) throw new ApiError(`${what}: the server answered a ${listKind} without an items array`);
  items.forEach((item: unknown, i) => {
    const meta = item && typeof item === 'object' ? (item as { metadata?: unknown }).metadata : undefined;
    const name = meta && typeof meta === 'object' ? (meta as { name?: unknown }).name : undefined;
    if (typeof name !== 'string' || name === '') {
      throw new ApiError(`${what}: item ${i} of the ${listKind} the server answered has no metadata.name`);
    }
  });
  const meta = obj['metadata'];
  const rv = meta && typeof meta === 'object' ? (meta as { resourceVersion?: unknown }).resourceVersion : undefined;
  return { items: items as ListItem[], resourceVersion: typeof rv === 'string' ? rv : undefined };
}
