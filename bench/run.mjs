// istiops benchmark: cold runs of the CLI side by side with floors and kubectl, against the project's
// Kubernetes API test server over TLS, in one run, as ratios. See bench/README.md.
//
//   npm run bench                      (builds first; not part of npm test)
//   ISTIOPS_BENCH_RUNS=15              measured runs per contender (after ISTIOPS_BENCH_WARMUP=2 warm-ups)
//   ISTIOPS_BENCH_FLEETS=100,1000,5000 fleet sizes (VirtualService + DestinationRule pairs; "" to skip)
//   ISTIOPS_BENCH_FLEET_RUNS=15        measured runs per fleet contender
//   ISTIOPS_BENCH_FLEET_BUDGET=900     seconds one fleet size may take; fewer runs are measured to fit
//                                      (the first round alone when no second fits)
//   ISTIOPS_BENCH_BIN=path             single executable to measure too (default dist/bin/istiops if present)
//   ISTIOPS_BENCH_NO_README=1          do not rewrite the table in bench/README.md
//
// Contenders of one group run interleaved (run i of every contender, then run i+1), so a busy machine
// slows them alike. Wall time is measured around the process; peak RSS comes from /usr/bin/time -v
// when it exists. Request counts come from the server's request log. Exits 0 even when targets are
// missed; misses are printed.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { URLSearchParams, fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const env = process.env;
const RUNS = Number(env.ISTIOPS_BENCH_RUNS ?? 15);
const WARMUP = Number(env.ISTIOPS_BENCH_WARMUP ?? 2);
const FLEET_RUNS = Number(env.ISTIOPS_BENCH_FLEET_RUNS ?? 15);
const FLEET_BUDGET_MS = Number(env.ISTIOPS_BENCH_FLEET_BUDGET ?? 900) * 1000;
const FLEETS = (env.ISTIOPS_BENCH_FLEETS ?? '100,1000,5000').split(',').filter(Boolean).map(Number);
const CLI = join(root, 'dist/istiops.cjs');
const BIN = env.ISTIOPS_BENCH_BIN ?? join(root, 'dist/bin/istiops');
const HAS_BIN = existsSync(BIN);
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;
const KUBECTL = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0 ? 'kubectl' : undefined;
if (!existsSync(CLI)) throw new Error('dist/istiops.cjs is missing: run `npm run build` (or `npm run bench`, which builds)');

const work = mkdtempSync(join(tmpdir(), 'istiops-bench-'));
const home = join(work, 'home');
mkdirSync(home);
cpSync(join(root, 'examples/manifests'), join(work, 'manifests'), { recursive: true });

// The API test server is TypeScript: bundle it (with the test fixtures) into .bench/ and load it here.
mkdirSync(join(root, '.bench'), { recursive: true });
await build({
  stdin: {
    contents: "export * from './test/kube-api-server/index.ts'; export { apiDomain, pod } from './test/support/cluster.ts';",
    resolveDir: root,
    loader: 'ts',
  },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  outfile: join(root, '.bench/kube-api-server.mjs'),
  logLevel: 'warning',
});
const { startKubeApiServer, apiDomain, pod } = await import(join(root, '.bench/kube-api-server.mjs'));

// ---------------------------------------------------------------------------------------------------
// Running and timing processes

/** Runs one process; resolves with wall time (ms), exit status, stderr and peak RSS (KiB, or null). */
function runProcess(cmd, args, options = {}) {
  const rssFile = join(work, `rss-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const [file, argv] = TIME ? [TIME, ['-f', '%M', '-o', rssFile, cmd, ...args]] : [cmd, args];
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(file, argv, {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: env.PATH, HOME: home, NO_COLOR: '1', ...options.env },
      cwd: options.cwd ?? work,
    });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (status) => {
      const ms = performance.now() - t0;
      let rss = null;
      if (TIME && existsSync(rssFile)) {
        const lines = readFileSync(rssFile, 'utf8').trim().split('\n');
        rss = Number(lines[lines.length - 1]);
        rmSync(rssFile, { force: true });
      }
      resolve({ ms, status, stderr, rss });
    });
  });
}

const median = (xs) => {
  const v = xs.filter((x) => x !== null && x !== undefined).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const m = Math.floor(v.length / 2);
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
};

/**
 * A contender: `steps` are processes run one after the other (their times add up, RSS is the max).
 * `before` runs untimed before every run (reseeding); `server` (optional) counts requests.
 */
async function runContender(c, server) {
  if (c.before) await c.before();
  server?.clearLog();
  let ms = 0;
  let rss = null;
  for (const [cmd, args, opts] of c.steps) {
    const r = await runProcess(cmd, args, opts);
    const expected = c.expectStatus ?? 0;
    if (r.status !== expected) throw new Error(`${c.label}: ${cmd} ${args.join(' ')} exited ${r.status} (expected ${expected}): ${r.stderr.slice(0, 2000)}`);
    ms += r.ms;
    if (r.rss !== null) rss = Math.max(rss ?? 0, r.rss);
  }
  return { ms, rss, requests: server ? server.requests().length : null };
}

/**
 * Measures contenders interleaved: warm-ups, then `runs` rounds. With a `budgetMs`, when the first
 * round shows that all rounds would not fit in it, that round is the only warm-up and as many rounds
 * as fit are measured; when none fits, the first round is the only sample (the `runs` column says so).
 * Returns {id: {ms, rssMiB, requests, runs}}.
 */
async function measure(group, contenders, { runs = RUNS, server, budgetMs } = {}) {
  const samples = Object.fromEntries(contenders.map((c) => [c.id, []]));
  process.stderr.write(`${group}: `);
  let rounds = WARMUP + runs;
  let warmup = WARMUP;
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    const round = [];
    for (const c of contenders) round.push([c.id, await runContender(c, server)]);
    const roundMs = performance.now() - t0;
    if (i === 0 && budgetMs !== undefined && roundMs * (warmup + runs) > budgetMs) {
      // Expensive rounds: the first one was the warm-up; measure as many as fit in the rest of the budget,
      // or keep the first round as the only sample when no other fits.
      const fit = Math.floor(budgetMs / roundMs) - 1;
      if (fit < 1 || warmup === 0) {
        warmup = 0;
        rounds = Math.max(1, Math.min(runs, fit + 1));
      } else {
        warmup = 1;
        rounds = 1 + Math.min(runs, fit);
      }
      process.stderr.write(`(first round ${(roundMs / 1000).toFixed(1)} s: ${rounds - warmup} measured run(s) to fit the budget) `);
    }
    if (i >= warmup) for (const [id, s] of round) samples[id].push(s);
    process.stderr.write('.');
  }
  process.stderr.write('\n');
  const out = {};
  for (const c of contenders) {
    const s = samples[c.id];
    const rss = median(s.map((x) => x.rss));
    out[c.id] = {
      label: c.label,
      ms: median(s.map((x) => x.ms)),
      rssMiB: rss === null ? null : rss / 1024,
      requests: median(s.map((x) => x.requests)),
      runs: s.length,
    };
  }
  return out;
}

const node = (args, opts) => [process.execPath, args, opts];
const cli = (args, opts) => node([CLI, ...args], opts);
/** The npm bin without its compile cache: what the first run of a command costs (scripts/cli-loader.cjs). */
const cliNoCache = (args) => cli(args, { env: { ISTIOPS_COMPILE_CACHE: '0' } });
const bin = (args, opts) => [BIN, args, opts];

// ---------------------------------------------------------------------------------------------------
// Scenarios

const results = { date: new Date().toISOString(), machine: machineInfo(), runs: RUNS, warmup: WARMUP, fleetRuns: FLEET_RUNS, groups: {}, targets: [] };

function machineInfo() {
  const kubectl = KUBECTL ? spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).stdout.split('\n')[0] : null;
  const binBuilt = HAS_BIN ? statSync(BIN).mtime.toISOString() : null;
  return { node: process.version, platform: `${process.platform}-${process.arch}`, cpus: availableParallelism(), kubectl, time: TIME ?? null, bin: HAS_BIN ? BIN : null, binBuilt };
}

// 1. Local: cold start and manifest mode, against `node -e 0`.
const manifests = join(work, 'manifests');
const mShow = ['traffic', 'show', '--manifests', manifests, '-n', 'bookinfo', '-l', 'team=books'];
const mShift = ['traffic', 'shift', '--dry-run', '--manifests', manifests, '-n', 'bookinfo', '-l', 'app=reviews', '-d', 'reviews:9080', '-b', '3', '-p', 'app=reviews,version=v3', '-w', '25'];
const local = [
  { id: 'node', label: 'node -e 0', steps: [node(['-e', '0'])] },
  { id: 'version', label: 'istiops version', steps: [cli(['version'])] },
  { id: 'mshow', label: 'istiops traffic show --manifests', steps: [cli(mShow)] },
  { id: 'mshift', label: 'istiops traffic shift -w --dry-run --manifests', steps: [cli(mShift)] },
  { id: 'version-nocache', label: 'istiops version (no compile cache)', steps: [cliNoCache(['version'])] },
  { id: 'mshift-nocache', label: 'istiops traffic shift -w --dry-run --manifests (no compile cache)', steps: [cliNoCache(mShift)] },
];
if (HAS_BIN) {
  local.push(
    { id: 'version-bin', label: 'istiops version (executable)', steps: [bin(['version'])] },
    { id: 'mshow-bin', label: 'istiops traffic show --manifests (executable)', steps: [bin(mShow)] },
    { id: 'mshift-bin', label: 'istiops traffic shift -w --dry-run --manifests (executable)', steps: [bin(mShift)] },
  );
}
results.groups.local = await measure('local', local);

// 2. One pair on the API server: show and a server-dry-run weight shift.
const server = await startKubeApiServer();
server.seed(apiDomain('default'));
const kubeconfig = server.writeKubeconfig(join(work, 'kubeconfig'));
const caFile = join(work, 'ca.pem');
writeFileSync(caFile, server.caPem);
const floorEnv = { FLOOR_SERVER: server.httpsUrl, FLOOR_CA_FILE: caFile, FLOOR_TOKEN: server.token };
const kc = ['--kubeconfig', kubeconfig];

const show = ['traffic', 'show', '-n', 'default', '-l', 'app=api-domain', '-o', 'json', ...kc];
const shift = ['traffic', 'shift', '-n', 'default', '-l', 'app=api-domain', '-d', 'api-domain:5000', '-b', '2', '-p', 'app=api-domain,build=2', '-w', '10', '--dry-run=server', '--propagation-wait', '0s', ...kc];

/** The requests of one run of `args` (the CLI's own), to hand the same ones to a floor program. */
async function requestsOf(args) {
  server.clearLog();
  const r = await runProcess(process.execPath, [CLI, ...args]);
  if (r.status !== 0) throw new Error(`istiops ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return server.requests();
}
const withQuery = (e) => {
  const q = new URLSearchParams(e.query).toString();
  return q ? `${e.path}?${q}` : e.path;
};
const showLog = await requestsOf(show);
const showLists = showLog.filter((e) => e.verb === 'list').map(withQuery);
const shiftLog = await requestsOf(shift);
const shiftReads = shiftLog.filter((e) => e.method === 'GET' && e.verb !== 'discovery').map(withQuery);
const shiftWrites = shiftLog.filter((e) => e.method !== 'GET').map((e) => ({ method: e.method === 'PATCH' ? 'PUT' : e.method, path: e.path, query: new URLSearchParams(e.query).toString() }));
results.requestsSeen = { show: showLog.map((e) => `${e.method} ${withQuery(e)}`), shift: shiftLog.map((e) => `${e.method} ${withQuery(e)}`) };

const showGroup = [
  { id: 'show', label: 'istiops traffic show -o json', steps: [cli(show)] },
  { id: 'show-nocache', label: 'istiops traffic show -o json (no compile cache)', steps: [cliNoCache(show)] },
  { id: 'floor', label: 'floor (node:https, keep-alive, lists in parallel)', steps: [node([join(root, 'bench/floor-show.mjs')], { env: { ...floorEnv, FLOOR_PATHS: JSON.stringify(showLists) } })] },
];
if (KUBECTL) showGroup.push({ id: 'kubectl', label: 'kubectl get virtualservices,destinationrules -o json', steps: [['kubectl', ['get', 'virtualservices,destinationrules', '-n', 'default', '-l', 'app=api-domain', '-o', 'json', ...kc]]] });
if (HAS_BIN) showGroup.push({ id: 'show-bin', label: 'istiops traffic show -o json (executable)', steps: [bin(show)] });
results.groups.show = await measure('show (one pair)', showGroup, { server });

const drPatch = JSON.stringify({ spec: { subsets: [{ name: 'api-domain-1-default', labels: { app: 'api-domain', build: '1' } }, { name: 'api-domain-2-default', labels: { app: 'api-domain', build: '2' } }] } });
const vsPatch = JSON.stringify([
  {
    op: 'replace',
    path: '/spec/http/0/route',
    value: [
      { destination: { host: 'api-domain', port: { number: 5000 }, subset: 'api-domain-1-default' }, weight: 90 },
      { destination: { host: 'api-domain', port: { number: 5000 }, subset: 'api-domain-2-default' }, weight: 10 },
    ],
  },
]);
const shiftGroup = [
  { id: 'shift', label: 'istiops traffic shift -w 10 --dry-run=server', steps: [cli(shift)] },
  {
    id: 'floor',
    label: 'floor (node:https, keep-alive, same reads in parallel, same writes in order)',
    steps: [node([join(root, 'bench/floor-shift.mjs')], { env: { ...floorEnv, FLOOR_READS: JSON.stringify(shiftReads), FLOOR_WRITES: JSON.stringify(shiftWrites) } })],
  },
];
if (KUBECTL) {
  shiftGroup.push({
    id: 'kubectl',
    label: 'two kubectl patch --dry-run=server (DestinationRule, then VirtualService)',
    steps: [
      ['kubectl', ['patch', 'destinationrule', 'api-domain', '-n', 'default', '--type', 'merge', '-p', drPatch, '--dry-run=server', ...kc]],
      ['kubectl', ['patch', 'virtualservice', 'api-domain', '-n', 'default', '--type', 'json', '-p', vsPatch, '--dry-run=server', ...kc]],
    ],
  });
}
if (HAS_BIN) shiftGroup.push({ id: 'shift-bin', label: 'istiops traffic shift -w 10 --dry-run=server (executable)', steps: [bin(shift)] });
results.groups.shift = await measure('shift (one pair)', shiftGroup, { server });
await server.close();

// 3. Fleets: N VirtualService/DestinationRule pairs (and one ready pod per service) in namespace `fleet`.
//    Each VirtualService has a managed header route for build 2 before its catch-all, so a hard clear
//    rewrites every pair: the route goes from the VirtualService and subset fleet-i-2-fleet from the DestinationRule.
function fleet(n) {
  const objects = [];
  for (let i = 0; i < n; i++) {
    const svc = `svc-${i}`;
    const labels = { fleet: 'bench', app: svc };
    const subset = (b) => `${svc}-${b}-fleet`;
    objects.push(
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'VirtualService',
        metadata: { name: svc, namespace: 'fleet', labels },
        spec: {
          hosts: [svc],
          http: [
            { name: subset(2), match: [{ headers: { 'x-build': { exact: '2' } } }], route: [{ destination: { host: svc, port: { number: 8080 }, subset: subset(2) }, weight: 100 }] },
            { match: [{ uri: { regex: '.+' } }], route: [{ destination: { host: svc, port: { number: 8080 }, subset: subset(1) }, weight: 100 }] },
          ],
        },
      },
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'DestinationRule',
        metadata: { name: svc, namespace: 'fleet', labels },
        spec: { host: svc, subsets: [{ name: subset(1), labels: { app: svc, build: '1' } }, { name: subset(2), labels: { app: svc, build: '2' } }] },
      },
      pod(`${svc}-1-pod`, 'fleet', { app: svc, build: '1' }, true),
    );
  }
  return objects;
}

results.fleets = {};
for (const n of FLEETS) {
  const s = await startKubeApiServer();
  const objects = fleet(n);
  s.seed(objects);
  const kcf = ['--kubeconfig', s.writeKubeconfig(join(work, `kubeconfig-${n}`))];
  const fShow = ['traffic', 'show', '-n', 'fleet', '-l', 'fleet=bench', '-o', 'json', ...kcf];
  const fClear = ['traffic', 'clear', '-n', 'fleet', '-l', 'fleet=bench', '-m', 'hard', '--propagation-wait', '0s', ...kcf];
  const reseed = async () => s.seed(objects);
  const group = [
    { id: 'show', label: `istiops traffic show -o json (${n} pairs)`, steps: [cli(fShow)] },
    { id: 'clear', label: `istiops traffic clear -m hard (${n} pairs written)`, steps: [cli(fClear)], before: reseed },
  ];
  // The same objects istiops reads: the pairs and the pods (which carry no fleet label, so no selector).
  if (KUBECTL) group.push({ id: 'kubectl', label: `kubectl get virtualservices,destinationrules,pods -o json (${n} of each)`, steps: [['kubectl', ['get', 'virtualservices,destinationrules,pods', '-n', 'fleet', '-o', 'json', ...kcf]]] });
  if (HAS_BIN) {
    group.push(
      { id: 'show-bin', label: `istiops traffic show -o json (${n} pairs, executable)`, steps: [bin(fShow)] },
      { id: 'clear-bin', label: `istiops traffic clear -m hard (${n} pairs written, executable)`, steps: [bin(fClear)], before: reseed },
    );
  }
  results.fleets[n] = await measure(`fleet ${n}`, group, { runs: FLEET_RUNS, server: s, budgetMs: FLEET_BUDGET_MS });
  await s.close();
}

// 4. The manifest-scale benchmark of the manifest store, when it exists (another part of the project writes it).
const manifestScale = join(root, 'bench/manifest-scale.mjs');
if (existsSync(manifestScale)) {
  process.stderr.write('manifest-scale: node bench/manifest-scale.mjs\n');
  const r = spawnSync(process.execPath, [manifestScale], { cwd: root, encoding: 'utf8', env: { ...env } });
  results.manifestScale = { status: r.status, stdout: r.stdout };
}

// ---------------------------------------------------------------------------------------------------
// Targets (issue 10) and the report

const g = results.groups;
const ratio = (a, b) => (a === null || a === undefined || b === null || b === undefined || b === 0 ? null : a / b);
function target(name, value, limit, unit, fmt = (v) => v.toFixed(2)) {
  const met = value === null ? null : value <= limit;
  results.targets.push({ name, value, limit, unit, met });
  return { name, text: value === null ? 'n/a' : `${fmt(value)}${unit}`, limitText: `<= ${fmt(limit)}${unit}`, met };
}
const targets = [
  target('version: ms over node -e 0', g.local.version.ms - g.local.node.ms, 40, ' ms', (v) => v.toFixed(0)),
  target('show: x floor', ratio(g.show.show.ms, g.show.floor.ms), 1.15, 'x'),
  target('shift one pair: x floor', ratio(g.shift.shift.ms, g.shift.floor.ms), 1.3, 'x'),
  target('manifest shift --dry-run: x node -e 0', ratio(g.local.mshift.ms, g.local.node.ms), 2.5, 'x'),
  target('show peak RSS', g.show.show.rssMiB, 64, ' MiB', (v) => v.toFixed(1)),
];
if (HAS_BIN) {
  targets.push(
    target('executable show: x kubectl get', ratio(g.show['show-bin'].ms, g.show.kubectl?.ms), 1.0, 'x'),
    target('executable shift: x two kubectl patch', ratio(g.shift['shift-bin'].ms, g.shift.kubectl?.ms), 1.0, 'x'),
  );
}
const f = results.fleets;
if (f[1000]) {
  targets.push(target('fleet 1,000: show x kubectl get', ratio(f[1000].show.ms, f[1000].kubectl?.ms), 1.0, 'x'));
  targets.push(target('fleet 1,000: clear writing every pair', f[1000].clear.ms / 1000, 10, ' s', (v) => v.toFixed(2)));
}
if (f[1000] && f[5000]) {
  // Linear: 5x the pairs may cost at most 5x the time, with 25% slack for noise. (From 100 pairs the
  // process start-up dominates, so 100 -> 5,000 would hide a quadratic term; both are printed.)
  targets.push(target('fleet 1,000 -> 5,000: show time growth (5x pairs)', ratio(f[5000].show.ms, f[1000].show.ms), 6.25, 'x', (v) => v.toFixed(2)));
  targets.push(target('fleet 1,000 -> 5,000: clear time growth (5x pairs)', ratio(f[5000].clear.ms, f[1000].clear.ms), 6.25, 'x', (v) => v.toFixed(2)));
}
if (f[100] && f[5000]) {
  targets.push(target('fleet 100 -> 5,000: show time growth (50x pairs)', ratio(f[5000].show.ms, f[100].show.ms), 50, 'x', (v) => v.toFixed(1)));
  targets.push(target('fleet 100 -> 5,000: clear time growth (50x pairs)', ratio(f[5000].clear.ms, f[100].clear.ms), 50, 'x', (v) => v.toFixed(1)));
}
if (f[5000]) {
  targets.push(target('fleet 5,000: show peak RSS', f[5000].show.rssMiB, 200, ' MiB', (v) => v.toFixed(0)));
  targets.push(target('fleet 5,000: clear peak RSS', f[5000].clear.rssMiB, 200, ' MiB', (v) => v.toFixed(0)));
}

const fmtMs = (v) => (v === null || v === undefined ? 'n/a' : v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${v.toFixed(0)} ms`);
const fmtMiB = (v) => (v === null || v === undefined ? 'n/a' : `${v.toFixed(0)} MiB`);
const fmtX = (v) => (v === null ? '' : `${v.toFixed(2)}x`);
const lines = [];
if (HAS_BIN) lines.push(`Single executable: ${BIN.startsWith(root) ? BIN.slice(root.length) : BIN}, built ${results.machine.binBuilt}.`, '');
lines.push(`Run ${results.date} on ${results.machine.platform}, ${results.machine.cpus} CPUs, Node ${process.version}${KUBECTL ? `, ${results.machine.kubectl}` : ', no kubectl'}; medians of ${RUNS} cold runs after ${WARMUP} warm-ups (fleets: ${FLEET_RUNS}), contenders interleaved.`);
lines.push('');
function table(title, rows, base, baseLabel) {
  lines.push(`**${title}** (ratio: to ${baseLabel})`, '', '| command | median | ratio | requests | peak RSS | runs |', '| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const [, r] of Object.entries(rows)) {
    lines.push(`| ${r.label} | ${fmtMs(r.ms)} | ${fmtX(ratio(r.ms, base))} | ${r.requests ?? ''} | ${fmtMiB(r.rssMiB)} | ${r.runs} |`);
  }
  lines.push('');
}
table('Cold start and manifests', g.local, g.local.node.ms, '`node -e 0`');
table('`show`, one pair, API server over TLS', g.show, g.show.floor.ms, 'the floor program');
if (g.show.kubectl) lines.push(`show vs kubectl get: ${fmtX(ratio(g.show.show.ms, g.show.kubectl.ms))}${g.show['show-bin'] ? `; executable vs kubectl get: ${fmtX(ratio(g.show['show-bin'].ms, g.show.kubectl.ms))}` : ''}`, '');
table('`shift -w`, one pair, `--dry-run=server`', g.shift, g.shift.floor.ms, 'the floor program');
if (g.shift.kubectl) lines.push(`shift vs two kubectl patch: ${fmtX(ratio(g.shift.shift.ms, g.shift.kubectl.ms))}${g.shift['shift-bin'] ? `; executable vs two kubectl patch: ${fmtX(ratio(g.shift['shift-bin'].ms, g.shift.kubectl.ms))}` : ''}`, '');
for (const [n, rows] of Object.entries(f)) table(`Fleet of ${Number(n).toLocaleString('en')} pairs`, rows, rows.kubectl?.ms ?? null, '`kubectl get` of the same objects');
lines.push('**Targets (issue 10)**', '', '| target | measured | limit | |', '| --- | ---: | ---: | --- |');
for (const t of targets) lines.push(`| ${t.name} | ${t.text} | ${t.limitText} | ${t.met === null ? 'n/a' : t.met ? 'met' : '**MISSED**'} |`);
lines.push('');
const report = lines.join('\n');
process.stdout.write(`${report}\n`);
if (results.manifestScale) process.stdout.write(`\nbench/manifest-scale.mjs (exit ${results.manifestScale.status}):\n${results.manifestScale.stdout}\n`);

const missed = targets.filter((t) => t.met === false);
if (missed.length > 0) process.stdout.write(`\nMISSED ${missed.length} of ${targets.length} targets: ${missed.map((t) => t.name).join('; ')}\n`);
else process.stdout.write(`\nall ${targets.length} targets met\n`);

mkdirSync(join(root, 'bench/results'), { recursive: true });
const resultFile = join(root, 'bench/results', `${results.date.replace(/:/g, '-').replace(/\.\d+Z$/, 'Z')}.json`);
writeFileSync(resultFile, `${JSON.stringify({ ...results, report }, null, 2)}\n`);
process.stdout.write(`wrote ${resultFile.slice(root.length)}\n`);
if (env.ISTIOPS_BENCH_NO_README !== '1') {
  const readme = join(root, 'bench/README.md');
  const text = existsSync(readme) ? readFileSync(readme, 'utf8') : '';
  const start = '<!-- bench:latest -->';
  const end = '<!-- /bench:latest -->';
  if (text.includes(start) && text.includes(end)) {
    writeFileSync(readme, `${text.slice(0, text.indexOf(start) + start.length)}\n${report}\n${text.slice(text.indexOf(end))}`);
    process.stdout.write('updated the table in bench/README.md\n');
  }
}
rmSync(work, { recursive: true, force: true });
