import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { copyExamples, ROOT, runCli, snapshotFiles } from '../support/cli.js';

const api = ['-l', 'app=api-domain', '-d', 'api-domain:5000', '-b', '2', '-p', 'app=api-domain,build=2'];
const reviews = ['-n', 'bookinfo', '-l', 'app=reviews', '-d', 'reviews:9080', '-b', '3', '-p', 'app=reviews,version=v3'];

interface ShowJson {
  virtualServices: { name: string; http: { name: string | null; catchAll: boolean; destinations: { subset: string | null; weight: number; readyPods: number | null }[] }[] }[];
}

async function show(dir: string, ...args: string[]): Promise<ShowJson> {
  const selection = args.length > 0 ? args : ['-l', 'app=api-domain'];
  const res = await runCli(['traffic', 'show', '--manifests', dir, '-o', 'json', ...selection]);
  expect(res.code, res.stderr).toBe(0);
  return JSON.parse(res.stdout) as ShowJson;
}

function docs(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .split(/^---$/m)
    .map((d) => parse(d) as Record<string, unknown>)
    .filter(Boolean);
}

describe('traffic commands on manifest files', () => {
  it('header shift adds the subset and a first route, and a second run changes nothing', async () => {
    const dir = copyExamples();
    const first = await runCli(['traffic', 'shift', '--manifests', dir, ...api, '-H', 'X-CID=seu_madruga']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('DestinationRule default/api-domain: add subset api-domain-2-default');
    expect(first.stdout).toContain('VirtualService default/api-domain: add route "api-domain-2-default" first');
    const vs = docs(join(dir, 'api-domain/api-domain.yaml'))[0] as { spec: { http: { name?: string; match: { headers: Record<string, unknown> }[] }[] } };
    expect(vs.spec.http[0]?.name).toBe('api-domain-2-default');
    expect(vs.spec.http[0]?.match[0]?.headers).toEqual({ 'x-cid': { exact: 'seu_madruga' } });
    const second = await runCli(['traffic', 'shift', '--manifests', dir, ...api, '-H', 'x-cid=seu_madruga']);
    expect(second.code).toBe(0);
    expect(second.stdout).toBe('no changes\n');
  });

  it('weight shifts move the catch-all route and 100 promotes the build', async () => {
    const dir = copyExamples();
    expect((await runCli(['traffic', 'shift', '--manifests', dir, ...api, '-H', 'x-cid=a'])).code).toBe(0);
    const w20 = await runCli(['traffic', 'shift', '--manifests', dir, ...api, '-w', '20']);
    expect(w20.code, w20.stderr).toBe(0);
    expect(w20.stdout).toContain('remove header route');
    let report = await show(dir);
    let routes = report.virtualServices[0]!.http;
    expect(routes).toHaveLength(1);
    expect(routes[0]!.destinations.map((d) => [d.subset, d.weight, d.readyPods])).toEqual([
      ['api-domain-1-default', 80, 3],
      ['api-domain-2-default', 20, 2],
    ]);
    expect((await runCli(['traffic', 'shift', '--manifests', dir, ...api, '-w', '100'])).code).toBe(0);
    report = await show(dir);
    routes = report.virtualServices[0]!.http;
    expect(routes[0]!.destinations.map((d) => [d.subset, d.weight])).toEqual([['api-domain-2-default', 100]]);
  });

  it('the legacy aliases "traffic headers" and "traffic weight" work with --hostname and --port', async () => {
    const dir = copyExamples();
    const alias = ['-l', 'app=api-domain', '--hostname', 'api-domain', '--port', '5000', '-b', '2', '-p', 'app=api-domain,build=2'];
    const h = await runCli(['traffic', 'headers', '--manifests', dir, ...alias, '-H', 'x-cid=a']);
    expect(h.code, h.stderr).toBe(0);
    const w = await runCli(['traffic', 'weight', '--manifests', dir, ...alias, '-w', '30']);
    expect(w.code, w.stderr).toBe(0);
    expect((await show(dir)).virtualServices[0]!.http[0]!.destinations.map((d) => d.weight)).toEqual([70, 30]);
  });

  it('a weight shift on a catch-all route without match edits that route', async () => {
    const dir = copyExamples();
    const res = await runCli(['traffic', 'shift', '--manifests', dir, ...reviews, '-w', '10']);
    expect(res.code, res.stderr).toBe(0);
    const routes = (await show(dir, '-n', 'bookinfo', '-l', 'app=reviews')).virtualServices[0]!.http;
    expect(routes).toHaveLength(2);
    expect(routes[1]!.catchAll).toBe(true);
    expect(routes[1]!.destinations.map((d) => [d.subset, d.weight])).toEqual([
      ['v1', 90],
      ['reviews-3-bookinfo', 10],
    ]);
    // reviews v3 has replicas: 1 and no status: 1 ready pod from spec.replicas.
    expect(routes[1]!.destinations[1]!.readyPods).toBe(1);
  });

  it('header shift then rollback leaves every file byte-identical', async () => {
    const dir = copyExamples();
    const before = snapshotFiles(dir);
    expect((await runCli(['traffic', 'shift', '--manifests', dir, ...api, '-r', '-H', 'x-id=1|2|3'])).code).toBe(0);
    expect(snapshotFiles(dir)).not.toEqual(before);
    const rb = await runCli(['traffic', 'rollback', '--manifests', dir, '-l', 'app=api-domain', '-p', 'app=api-domain,build=2']);
    expect(rb.code, rb.stderr).toBe(0);
    expect(rb.stdout).toContain('remove subset api-domain-2-default');
    expect(snapshotFiles(dir)).toEqual(before);
  });

  it('weight shift then rollback by build leaves every file byte-identical', async () => {
    const dir = copyExamples();
    const before = snapshotFiles(dir);
    expect((await runCli(['traffic', 'shift', '--manifests', dir, ...api, '-w', '40'])).code).toBe(0);
    const rb = await runCli(['traffic', 'rollback', '--manifests', dir, '-l', 'app=api-domain', '-b', '2', '-d', 'api-domain:5000']);
    expect(rb.code, rb.stderr).toBe(0);
    expect(snapshotFiles(dir)).toEqual(before);
  });

  it('changes to bookinfo keep comments, the TCP route, retries, timeouts and the untouched documents', async () => {
    const dir = copyExamples();
    const file = join(dir, 'bookinfo/networking.yaml');
    const original = readFileSync(file, 'utf8');
    expect((await runCli(['traffic', 'shift', '--manifests', dir, ...reviews, '-H', 'x-canary=yes'])).code).toBe(0);
    const text = readFileSync(file, 'utf8');
    for (const comment of original.split('\n').filter((l) => l.startsWith('#'))) expect(text).toContain(comment);
    // The ratings documents (after the reviews VirtualService and DestinationRule) are unchanged, byte for byte.
    const ratingsStart = original.indexOf('# ratings:');
    expect(text.endsWith(original.slice(ratingsStart))).toBe(true);
    const vs = docs(file)[0] as { spec: { http: Record<string, unknown>[] } };
    expect(vs.spec.http[2]).toMatchObject({ retries: { attempts: 2, perTryTimeout: '1s' }, timeout: '5s' });
  });

  it('soft clear removes the route of a build without ready pods; hard clear keeps the catch-all and prefix routes', async () => {
    const dir = copyExamples();
    // Build 9 has no workload: the Service api-domain selects no pod carrying its labels, 0 ready pods.
    const noPods = ['-l', 'app=api-domain', '-d', 'api-domain:5000', '-b', '9', '-p', 'app=api-domain,build=9'];
    expect((await runCli(['traffic', 'shift', '--manifests', dir, ...noPods, '-H', 'x-cid=b'])).code).toBe(0);
    const soft = await runCli(['traffic', 'clear', '--manifests', dir, '-l', 'app=api-domain']);
    expect(soft.code, soft.stderr).toBe(0);
    expect(soft.stdout).toContain('remove route "api-domain-9-default" #0');
    expect(soft.stdout).toContain('no ready pods');
    expect(soft.stdout).toContain('remove subset api-domain-9-default');
    // Without the Service and any workload in the files, readiness is unknown: soft clear keeps the route.
    rmSync(join(dir, 'api-domain/service.yaml'));
    expect((await runCli(['traffic', 'shift', '--manifests', dir, ...noPods, '-H', 'x-cid=b'])).code).toBe(0);
    const unknown = await runCli(['traffic', 'clear', '--manifests', dir, '-l', 'app=api-domain']);
    expect(unknown.stdout).toBe('no changes\n');
    expect(unknown.stderr).toContain('readiness unknown');
    const hard = await runCli(['traffic', 'clear', '--manifests', dir, '-l', 'app=api-domain', '-m', 'hard']);
    expect(hard.code, hard.stderr).toBe(0);
    expect(hard.stdout).toContain('remove route "api-domain-9-default"');
    expect(hard.stdout).toContain('remove subset api-domain-9-default');
    const ratings = await runCli(['traffic', 'clear', '--manifests', dir, '-n', 'bookinfo', '-l', 'app=ratings', '-m', 'hard']);
    expect(ratings.code, ratings.stderr).toBe(0);
    expect(ratings.stdout).toBe('no changes\n');
  });

  it('--dry-run prints the changes and a unified diff and writes nothing', async () => {
    const dir = copyExamples();
    const before = snapshotFiles(dir);
    const res = await runCli(['traffic', 'shift', '--dry-run', '--manifests', dir, ...api, '-w', '10']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('add subset api-domain-2-default');
    // The diff of the files as they would be written, relative to the working directory (patch -p0).
    expect(res.stdout).toMatch(/^--- .*api-domain\/api-domain\.yaml$/m);
    expect(res.stdout).toMatch(/^\+\s+weight: 10$/m);
    expect(snapshotFiles(dir)).toEqual(before);
  });

  it('-o json and -o yaml print the documented result structure', async () => {
    const dir = copyExamples();
    const json = await runCli(['traffic', 'shift', '-o', 'json', '--manifests', dir, ...api, '-w', '10']);
    expect(json.code, json.stderr).toBe(0);
    const result = JSON.parse(json.stdout) as { apiVersion: string; kind: string; changes: { op: string }[]; written: string[] };
    expect(result.apiVersion).toBe('istiops/v1');
    expect(result.kind).toBe('Result');
    expect(result.changes.map((c) => c.op)).toEqual(['add-subset', 'set-destinations']);
    expect(result.written).toEqual(['DestinationRule default/api-domain', 'VirtualService default/api-domain']);
    const yaml = await runCli(['traffic', 'show', '-o', 'yaml', '--manifests', dir, '-l', 'app=api-domain']);
    expect(parse(yaml.stdout)).toMatchObject({ apiVersion: 'istiops/v1', kind: 'TrafficReport', namespace: 'default' });
  });

  it('show prints the tree with hosts, routes, weights, labels and ready pods', async () => {
    const dir = copyExamples();
    const res = await runCli(['traffic', 'show', '--manifests', dir, '-n', 'bookinfo', '-l', 'team=books']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('VirtualService bookinfo/reviews  hosts: reviews');
    expect(res.stdout).toContain('route "jason-sees-v2" #0  match: headers.end-user exact "jason"');
    expect(res.stdout).toContain('catch-all route #1  match: any request');
    expect(res.stdout).toMatch(/100%\s+reviews\s+subset v1\s+\{app=reviews,version=v1\}\s+ready pods: 2/);
    expect(res.stdout).toContain('1 TCP and 0 TLS routes (not managed by istiops)');
    expect(res.stdout).not.toContain('\u001b[');
  });

  it('errors at run time exit 1 with one line: no VirtualService matched, no DestinationRule for the host', async () => {
    const dir = copyExamples();
    const none = await runCli(['traffic', 'shift', '--manifests', dir, '-l', 'app=nothing', '-d', 'api-domain:5000', '-b', '2', '-p', 'a=b', '-w', '5']);
    expect(none.code).toBe(1);
    expect(none.stderr.trim().split('\n')).toHaveLength(1);
    expect(none.stderr).toContain('DestinationRule');
    const missing = await runCli(['traffic', 'show', '--manifests', join(dir, 'nope'), '-l', 'app=x']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('nope');
  });

  it.each([
    [['-n', 'bookinfo', '--manifests', '{dir}', 'traffic', 'show', '-l', 'app=reviews']],
    [['traffic', '--manifests', '{dir}', 'show', '-l', 'app=reviews', '-n', 'bookinfo']],
    [['traffic', 'show', '-l', 'app=reviews', '-o', 'json', '-n', 'bookinfo', '--manifests', '{dir}']],
  ])('global flags may stand anywhere on the line: %j', async (args) => {
    const dir = copyExamples();
    const res = await runCli(args.map((a) => a.replace('{dir}', dir)));
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('reviews');
    expect(res.stdout).not.toContain('ratings');
  });

  it('version prints the package version', async () => {
    const res = await runCli(['version']);
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/^istiops \d+\.\d+\.\d+/);
  });
});

/** One file of `services` services (VirtualService, DestinationRule, Deployment each), about 250 bytes a document. */
function bigManifest(services: number): string {
  const docs: string[] = [];
  for (let i = 0; i < services; i++) {
    const name = `svc-${i}`;
    docs.push(
      `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: ${name}\n  labels:\n    app: ${name}\nspec:\n  hosts:\n  - ${name}\n  http:\n  - route:\n    - destination:\n        host: ${name}\n        subset: ${name}-1-default\n`,
      `apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: ${name}\n  labels:\n    app: ${name}\nspec:\n  host: ${name}\n  subsets:\n  - name: ${name}-1-default\n    labels:\n      app: ${name}\n      build: "1"\n`,
      `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}-1\nspec:\n  replicas: 2\n  template:\n    metadata:\n      labels: {app: ${name}, build: "1"}\n`,
    );
  }
  return docs.join('---\n');
}

describe('manifest files under concurrent and interrupted writers', () => {
  it('lets 8 pipelines shifting 8 builds on one 1 MB file take turns: all exit 0 and every change survives', { timeout: 600_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'istiops-concurrent-'));
    const file = join(dir, 'all.yaml');
    writeFileSync(file, bigManifest(1600));
    expect(readFileSync(file).length).toBeGreaterThan(900_000);
    const builds = ['b1', 'b2', 'b3', 'b4', 'b5', 'b6', 'b7', 'b8'];
    const results = await Promise.all(
      builds.map((b) =>
        runCli(['traffic', 'shift', '--manifests', dir, '-l', 'app=svc-1', '-d', 'svc-1:8080', '-b', b, '-p', `app=svc-1,build=${b}`, '-H', `x-build=${b}`], {
          timeoutMs: 580_000,
        }),
      ),
    );
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const objects = parseAllDocuments(readFileSync(file, 'utf8')).map((d) => d.toJS() as { kind: string; metadata: { name: string }; spec: Record<string, unknown> });
    const dr = objects.find((o) => o.kind === 'DestinationRule' && o.metadata.name === 'svc-1')!;
    const vs = objects.find((o) => o.kind === 'VirtualService' && o.metadata.name === 'svc-1')!;
    const subsets = (dr.spec['subsets'] as { name: string }[]).map((s) => s.name).sort();
    expect(subsets).toEqual(['svc-1-1-default', ...builds.map((b) => `svc-1-${b}-default`)].sort());
    const routes = (vs.spec['http'] as { name?: string }[]).map((r) => r.name).filter(Boolean).sort();
    expect(routes).toEqual(builds.map((b) => `svc-1-${b}-default`).sort());
    expect(readdirSync(dir)).toEqual(['all.yaml']);
  });

  it('leaves a 10 MB file whole (the old or the new content) when the writer is killed with SIGKILL at random points', { timeout: 600_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'istiops-kill-'));
    const file = join(dir, 'big.yaml');
    const filler = `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: blob\ndata:\n  blob: ${'x'.repeat(10 * 1024 * 1024)}\n`;
    const rule = 'apiVersion: networking.istio.io/v1\nkind: DestinationRule\nmetadata:\n  name: api\nspec:\n  host: api\n  subsets:\n  - name: v1\n    labels:\n      version: v1\n';
    const original = `${filler}---\n${rule}`;
    const changed = `${filler}---\n${rule}  - name: v2\n    labels:\n      version: v2\n`;
    // The child writes the new and the old content in turns through the store, as fast as it can.
    const child = join(dir, 'writer.mjs');
    writeFileSync(
      child,
      `import { ManifestStore } from ${JSON.stringify(pathToFileURL(join(ROOT, 'dist/index.js')).href)};
const store = new ManifestStore({ paths: [${JSON.stringify(file)}] });
const state = await store.read({ namespace: 'default', labelSelector: [], readiness: { kind: 'none' }, subsetUsers: false });
const old = state.destinationRules[0];
const next = { ...old, spec: { ...old.spec, subsets: [...old.spec.subsets, { name: 'v2', labels: { version: 'v2' } }] } };
process.stdout.write('ready\\n');
for (;;) {
  await store.write(next, { serverDryRun: false });
  process.stdout.write('wrote\\n');
  await store.write(old, { serverDryRun: false });
  process.stdout.write('wrote\\n');
}
`,
    );
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    let writes = 0;
    for (let run = 0; run < 6; run++) {
      writeFileSync(file, original);
      const proc = spawn(process.execPath, [child], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      proc.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      // Killed at a random point after its first completed write, so that every run interrupts a writer
      // that is writing (however slow the machine).
      await new Promise<void>((firstWrite, fail) => {
        proc.stdout.on('data', (chunk: Buffer) => {
          const n = chunk.toString().split('wrote').length - 1;
          writes += n;
          if (n > 0) firstWrite();
        });
        proc.on('exit', () => fail(new Error(`writer exited early: ${stderr}`)));
      });
      await new Promise((r) => setTimeout(r, Math.floor(random() * 1500)));
      const exited = new Promise((r) => proc.on('exit', r));
      proc.kill('SIGKILL');
      await exited;
      const text = readFileSync(file, 'utf8');
      expect(text === original || text === changed, `run ${run}: ${text.length} bytes, neither old nor new`).toBe(true);
      expect(parseAllDocuments(text).every((d) => d.errors.length === 0)).toBe(true);
    }
    // The writes really happened (the test would prove nothing if the child never wrote).
    expect(writes).toBeGreaterThanOrEqual(6);
  });
});
