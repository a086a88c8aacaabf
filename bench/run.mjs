// Benchmarks: CLI cold start against bare Node, and planner throughput. Run with `npm run bench`
// (builds first). Prints medians over repeated runs; exits 1 when a target is missed.
//   ISTIOPS_BENCH_RUNS=N   runs per command (default 21)
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const runs = Number(process.env.ISTIOPS_BENCH_RUNS ?? 21);
const root = new URL('..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'istiops-bench-'));
cpSync(join(root, 'examples/manifests'), join(work, 'manifests'), { recursive: true });
const cli = join(root, 'dist/cli.js');
// A kubeconfig whose server refuses connections: measures what a cluster command loads before its first request.
const refusing = join(work, 'kubeconfig');
writeFileSync(
  refusing,
  'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\n' +
    'users: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\ncurrent-context: c\n',
);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function time(args, expectedStatus = 0) {
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    samples.push(performance.now() - t0);
    if (r.status !== expectedStatus) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  }
  return median(samples);
}

const bare = time(['-e', '0']);
const rows = [
  ['node -e 0', bare],
  ['istiops version', time([cli, 'version'])],
  ['istiops --help', time([cli, '--help'])],
  ['istiops traffic show (examples)', time([cli, 'traffic', 'show', '--manifests', join(work, 'manifests'), '-l', 'app=api-domain'])],
  [
    'istiops traffic shift -w --dry-run (examples)',
    time([cli, 'traffic', 'shift', '--dry-run', '--manifests', join(work, 'manifests'), '-l', 'app=api-domain', '-d', 'api-domain:5000', '-b', '2', '-p', 'app=api-domain,build=2', '-w', '10']),
  ],
  ['istiops traffic show (cluster, refused connection)', time([cli, 'traffic', 'show', '--kubeconfig', refusing, '-l', 'app=x'], 1)],
];

// Planner throughput on a large VirtualService: 200 header routes and a catch-all.
const { planShift } = await import(join(root, 'dist/index.js'));
const http = Array.from({ length: 200 }, (_, i) => ({
  name: `svc-b${i}-default`,
  match: [{ headers: { 'x-build': { exact: String(i) } } }],
  route: [{ destination: { host: 'svc', subset: `svc-b${i}-default` }, weight: 100 }],
}));
http.push({ route: [{ destination: { host: 'svc', subset: 'stable' } }] });
const state = {
  namespace: 'default',
  virtualServices: [{ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'svc' }, spec: { hosts: ['svc'], http } }],
  destinationRules: [{ apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'svc' }, spec: { host: 'svc', subsets: [{ name: 'stable', labels: { v: 's' } }] } }],
  readiness: { source: 'none', workloads: [] },
};
const request = { destination: { host: 'svc', port: 80 }, build: 'new', podSelector: { v: 'new' }, traffic: { kind: 'weight', percent: 10 } };
const planRuns = [];
for (let i = 0; i < 2000; i++) {
  const t0 = performance.now();
  planShift(state, request);
  planRuns.push(performance.now() - t0);
}

console.log(`runs per command: ${runs} (median wall time, ms)`);
for (const [name, ms] of rows) {
  console.log(`${name.padEnd(52)} ${ms.toFixed(1).padStart(7)} ms   +${(ms - bare).toFixed(1).padStart(6)} ms over bare node   x${(ms / bare).toFixed(2)}`);
}
console.log(`${'planShift, 201-route VirtualService'.padEnd(52)} ${median(planRuns).toFixed(3).padStart(7)} ms median over 2000 plans`);

const targets = [
  ['istiops version within 100 ms of bare node', rows[1][1] - bare <= 100],
  ['traffic show within 250 ms of bare node', rows[3][1] - bare <= 250],
  ['planShift on 201 routes under 5 ms', median(planRuns) < 5],
];
let missed = 0;
for (const [name, ok] of targets) {
  console.log(`${ok ? 'ok    ' : 'MISSED'} ${name}`);
  if (!ok) missed++;
}
process.exitCode = missed > 0 ? 1 : 0;
