/**
 * An HTTP CONNECT proxy for tests, like the corporate proxies that
 * `HTTPS_PROXY` and a kubeconfig's `proxy-url` point at: it tunnels TLS to
 * the requested host and port and records every CONNECT target.
 *
 * @module
 */
import { createServer, type IncomingMessage } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

/** Options of {@link startConnectProxy}. */
export interface ConnectProxyOptions {
  /** When set, CONNECT requests must carry `Proxy-Authorization: Basic base64(user:password)`; others get 407. */
  readonly credentials?: { readonly user: string; readonly password: string };
}

/** A running CONNECT proxy. */
export interface ConnectProxy {
  /** `http://127.0.0.1:PORT` (without credentials). */
  readonly url: string;
  /** The `host:port` of every CONNECT request received (refused ones too), oldest first. */
  connects(): string[];
  /** Requests that were not CONNECT (`GET http://...` in proxy form), as `METHOD url`; this proxy answers them 405. */
  plainRequests(): string[];
  /** Stops listening and destroys open tunnels. */
  close(): Promise<void>;
}

/** Starts a CONNECT proxy on 127.0.0.1 with a free port. */
export async function startConnectProxy(options: ConnectProxyOptions = {}): Promise<ConnectProxy> {
  const targets: string[] = [];
  const plain: string[] = [];
  const sockets = new Set<Socket>();
  const expected =
    options.credentials && `Basic ${Buffer.from(`${options.credentials.user}:${options.credentials.password}`).toString('base64')}`;

  const server = createServer((req, res) => {
    plain.push(`${req.method ?? ''} ${req.url ?? ''}`);
    res.writeHead(405, { 'Content-Type': 'text/plain' });
    res.end('this test proxy only tunnels CONNECT requests\n');
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
    const target = req.url ?? '';
    targets.push(target);
    if (expected !== undefined && req.headers['proxy-authorization'] !== expected) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const colon = target.lastIndexOf(':');
    const host = target.slice(0, colon).replace(/^\[|\]$/g, '');
    const port = Number(target.slice(colon + 1));
    const upstream = connect(port, host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.once('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n'));
    client.on('error', () => upstream.destroy());
  });

  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    connects: () => [...targets],
    plainRequests: () => [...plain],
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
