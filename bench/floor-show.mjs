// The floor for `traffic show` against a cluster: what any Node.js CLI must at least do to answer it.
// Bare node:https, one keep-alive agent, the same list requests as istiops sent, all in parallel;
// parses every answer and prints the items as JSON. No kubeconfig parsing, no discovery, no rendering.
//   FLOOR_SERVER=https://127.0.0.1:PORT FLOOR_CA_FILE=ca.pem FLOOR_TOKEN=... FLOOR_PATHS='["/apis/...?labelSelector=..."]'
import { Buffer } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';

const server = new URL(process.env.FLOOR_SERVER);
const agent = new Agent({ keepAlive: true, ca: readFileSync(process.env.FLOOR_CA_FILE) });
const headers = { Authorization: `Bearer ${process.env.FLOOR_TOKEN}`, Accept: 'application/json' };

function get(path) {
  return new Promise((resolve, reject) => {
    const req = request({ host: server.hostname, port: server.port, path, agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))) : reject(new Error(`${path}: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

const lists = await Promise.all(JSON.parse(process.env.FLOOR_PATHS).map(get));
process.stdout.write(JSON.stringify(lists.map((l) => l.items)));
agent.destroy();
