// Manifest-mode cost at scale: `traffic show -o json`, one `traffic shift --dry-run` and one real
// write on one manifest file of 1,000 / 10,000 / 40,000 documents (a VirtualService, DestinationRule,
// Deployment and Service per service). Prints medians over a few runs and the peak RSS, and writes
// bench/results/manifest-scale.json. Standalone: `npm run build && node bench/manifest-scale.mjs`.
//   ISTIOPS_BENCH_RUNS=N      runs per command (default 3)
//   ISTIOPS_BENCH_SIZES=a,b   document counts (default 1000,10000,40000)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

const root = new URL('..', import.meta.url).pathname;
const cli = join(root, 'dist/istiops.cjs');
if (!existsSync(cli)) {
  console.error('dist/istiops.cjs is missing: run `npm run build` first');
  process.exit(1);
}
const runs = Number(process.env.ISTIOPS_BENCH_RUNS ?? 3);
const sizes = (process.env.ISTIOPS_BENCH_SIZES ?? '1000,10000,40000').split(',').map(Number);
const gnuTime = existsSync('/usr/bin/time') && spawnSync('/usr/bin/time', ['-v', 'true']).status === 0;

/** The documents of service `i`: VirtualService, DestinationRule, Deployment, Service. */
function service(i) {
  const name = `svc-${i}`;
  return [
    `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: ${name}
  labels:
    app: ${name}
spec:
  hosts:
  - ${name}
  http:
  - match:
    - uri:
        prefix: /
    route:
    - destination:
        host: ${name}
        port:
          number: 8080
        subset: ${name}-1-default
      weight: 100
    timeout: 10s
`,
    `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata:
  name: ${name}
  labels:
    app: ${name}
spec:
  host: ${name}
  subsets:
  - name: ${name}-1-default
    labels:
      app: ${name}
      build: "1"
`,
    `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}-2
spec:
  replicas: 2
  selector:
    matchLabels: {app: ${name}, build: "2"}
  template:
    metadata:
      labels: {app: ${name}, build: "2"}
    spec:
      containers:
      - name: app
        image: example/${name}:2
`,
    `apiVersion: v1
kind: Service
metadata:
  name: ${name}
spec:
  selector:
    app: ${name}
  ports:
  - port: 8080
`,
  ];
}

function generate(dir, documents) {
  const services = Math.ceil(documents / 4);
  const parts = [];
  for (let i = 0; i < services; i++) parts.push(...service(i));
  const file = join(dir, 'all.yaml');
  writeFileSync(file, parts.slice(0, documents).join('---\n'));
  return file;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Runs the CLI once: wall time (ms) and peak RSS (MB). */
function once(args) {
  const t0 = performance.now();
  const r = gnuTime
    ? spawnSync('/usr/bin/time', ['-v', process.execPath, cli, ...args], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 })
    : spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`istiops ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-500)}`);
  let rssMb;
  if (gnuTime) {
    const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1];
    rssMb = kb ? Number(kb) / 1024 : undefined;
  } else {
    // Without GNU time: the peak RSS of all waited-for children of this process so far (an upper bound).
    rssMb = process.resourceUsage().maxRSS / 1024;
  }
  return { ms, rssMb };
}

function measure(label, makeArgs) {
  const samples = [];
  for (let i = 0; i < runs; i++) samples.push(once(makeArgs(i)));
  return { command: label, medianMs: Math.round(median(samples.map((s) => s.ms))), peakRssMb: Math.round(Math.max(...samples.map((s) => s.rssMb ?? 0))) };
}

const loadBefore = loadavg()[0];
const results = [];
for (const documents of sizes) {
  const dir = mkdtempSync(join(tmpdir(), 'istiops-scale-'));
  const file = generate(dir, documents);
  const bytes = statSync(file).size;
  const target = 'svc-1';
  const common = ['--manifests', dir, '-l', `app=${target}`];
  const shift = (build) => ['traffic', 'shift', ...common, '-d', `${target}:8080`, '-b', String(build), '-p', `app=${target},build=${build}`];
  const rows = [
    measure('show -o json', () => ['traffic', 'show', '--manifests', dir, '-o', 'json', '-l', `app=${target}`]),
    measure('shift --dry-run', () => [...shift(2), '-w', '10', '--dry-run']),
    // A new build each run, so that every run writes the file.
    measure('shift (write)', (i) => [...shift(10 + i), '-H', `x-build=${10 + i}`]),
  ];
  for (const row of rows) results.push({ documents, megabytes: Math.round((bytes / 1e6) * 10) / 10, ...row });
  rmSync(dir, { recursive: true, force: true });
}

const header = ['documents', 'MB', 'command', 'median ms', 'peak RSS MB'];
const table = results.map((r) => [String(r.documents), String(r.megabytes), r.command, String(r.medianMs), String(r.peakRssMb)]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)));
const line = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
console.log(line(header));
for (const row of table) console.log(line(row));
console.log(`load average (1 min): ${loadBefore.toFixed(1)} before, ${loadavg()[0].toFixed(1)} after`);
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(
  join(root, 'bench/results/manifest-scale.json'),
  `${JSON.stringify({ node: process.version, runs, rss: gnuTime ? '/usr/bin/time -v' : 'process.resourceUsage', loadAverage: { before: loadBefore, after: loadavg()[0] }, results }, null, 2)}\n`,
);
