// The floor for a one-pair `traffic shift` against a cluster: bare node:https, one keep-alive agent;
// the same reads as istiops sent, in parallel, then the same writes in the same order, one after the
// other (make-before-break), each the object read back with a changed annotation. No kubeconfig
// parsing, no discovery, no planning, no validation.
//   FLOOR_SERVER, FLOOR_CA_FILE, FLOOR_TOKEN as for floor-show.mjs;
//   FLOOR_READS='["/apis/...?labelSelector=..."]'
//   FLOOR_WRITES='[{"method":"PUT","path":"/apis/.../destinationrules/name","query":"dryRun=All"}]'
import { Buffer } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';

const server = new URL(process.env.FLOOR_SERVER);
const agent = new Agent({ keepAlive: true, ca: readFileSync(process.env.FLOOR_CA_FILE) });
const auth = { Authorization: `Bearer ${process.env.FLOOR_TOKEN}`, Accept: 'application/json' };

function send(method, path, body) {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const headers = text === undefined ? auth : { ...auth, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) };
    const req = request({ host: server.hostname, port: server.port, method, path, agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => (res.statusCode < 300 ? resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))) : reject(new Error(`${method} ${path}: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(text);
  });
}

const lists = await Promise.all(JSON.parse(process.env.FLOOR_READS).map((p) => send('GET', p)));
const byName = new Map();
for (const list of lists) for (const item of list.items ?? [list]) byName.set(`${item.kind}/${item.metadata?.name}`, item);
for (const w of JSON.parse(process.env.FLOOR_WRITES)) {
  const name = w.path.split('/').pop();
  const kind = w.path.includes('/destinationrules/') ? 'DestinationRule' : 'VirtualService';
  const obj = byName.get(`${kind}/${name}`);
  if (!obj) throw new Error(`nothing read for ${w.path}`);
  obj.metadata.annotations = { ...obj.metadata.annotations, 'floor.example.com/shift': '1' };
  await send(w.method, `${w.path}${w.query ? `?${w.query}` : ''}`, obj);
}
process.stdout.write('ok\n');
agent.destroy();
