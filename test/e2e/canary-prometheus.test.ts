import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { copyExamples, runCli, snapshotFiles } from '../support/cli.js';
import { startCli } from './spawn.js';

/**
 * `traffic canary` against a REAL Prometheus server (Debian package `prometheus`, installed by .ci/run)
 * that scrapes, every second, a small exporter this test controls. The canary's gate is an instant
 * query of the exporter's error rate. Margins are seconds; nothing about timing is asserted.
 * Without a `prometheus` binary, or when it does not start, the tests are skipped and say why.
 */
const version = spawnSync('prometheus', ['--version'], { encoding: 'utf8' });
const missing = version.error !== undefined || version.status !== 0 ? 'the prometheus binary is not installed (apt-get install prometheus)' : null;

/** The exporter: `/metrics` in the Prometheus text format, with the error rate the test sets. */
let errorRate = 0;
let exporter: Server | undefined;
let prometheus: ChildProcess | undefined;
let prometheusUrl = '';
let startError: string | null = missing;
let prometheusLog = '';

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((done) => s.listen(0, '127.0.0.1', done));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((done) => s.close(() => done()));
  return port;
}

async function query(promql: string): Promise<{ status: string; data: { result: unknown[] } } | undefined> {
  try {
    const res = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
    return (await res.json()) as { status: string; data: { result: unknown[] } };
  } catch {
    return undefined;
  }
}

async function start(): Promise<void> {
  exporter = createServer((req, res) => {
    if (req.url !== '/metrics') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(`# HELP canary_error_ratio Share of failed requests of the canary build.\n# TYPE canary_error_ratio gauge\ncanary_error_ratio{build="2"} ${errorRate}\n`);
  });
  await new Promise<void>((done) => exporter?.listen(0, '127.0.0.1', done));
  const exporterPort = (exporter.address() as AddressInfo).port;
  const dir = mkdtempSync(join(tmpdir(), 'istiops-prometheus-'));
  const config = join(dir, 'prometheus.yml');
  writeFileSync(
    config,
    ['global:', '  scrape_interval: 1s', '  evaluation_interval: 1s', 'scrape_configs:', '  - job_name: canary', '    static_configs:', `      - targets: ['127.0.0.1:${exporterPort}']`, ''].join('\n'),
  );
  const port = await freePort();
  prometheusUrl = `http://127.0.0.1:${port}`;
  prometheus = spawn('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  prometheus.stderr?.on('data', (chunk: Buffer) => {
    prometheusLog = (prometheusLog + chunk.toString('utf8')).slice(-2000);
  });
  let exited = false;
  prometheus.on('exit', () => {
    exited = true;
  });
  // Ready, then the first scrape of the exporter: up to 60 s on a busy machine.
  for (let i = 0; i < 120; i++) {
    if (exited) throw new Error(`prometheus exited: ${prometheusLog.split('\n').slice(-3).join(' ')}`);
    const answer = await query('canary_error_ratio');
    if (answer?.status === 'success' && answer.data.result.length > 0) return;
    await sleep(500);
  }
  throw new Error(`prometheus did not scrape the exporter within 60s: ${prometheusLog.split('\n').slice(-3).join(' ')}`);
}

/** Sets the exporter's value and waits until Prometheus has scraped it. */
async function setErrorRate(value: number): Promise<void> {
  errorRate = value;
  for (let i = 0; i < 60; i++) {
    const answer = (await query('canary_error_ratio')) as { data: { result: { value: [number, string] }[] } } | undefined;
    if (Number(answer?.data.result[0]?.value[1]) === value) return;
    await sleep(500);
  }
  throw new Error(`prometheus did not see canary_error_ratio=${value} within 30s`);
}

function skipUnlessRunning(ctx: TestContext): void {
  if (startError !== null) console.warn(`skipped: ${startError}`);
  ctx.skip(startError !== null, startError ?? undefined);
}

const target = (dir: string): string[] => ['--manifests', dir, '-l', 'app=api-domain', '-d', 'api-domain:5000', '-b', '2', '-p', 'app=api-domain,build=2'];
const gate = (promql: string, ...extra: string[]): string[] => ['--prometheus-url', prometheusUrl, '--query', promql, ...extra];

async function catchAll(dir: string): Promise<Record<string, number>> {
  const res = await runCli(['traffic', 'show', '--manifests', dir, '-l', 'app=api-domain', '-o', 'json']);
  const report = JSON.parse(res.stdout) as { virtualServices: { http: { catchAll: boolean; destinations: { subset: string; weight: number }[] }[] }[] };
  return Object.fromEntries((report.virtualServices[0]?.http.find((r) => r.catchAll)?.destinations ?? []).map((d) => [d.subset, d.weight]));
}

describe(`traffic canary gated by a real Prometheus${missing !== null ? ` (skipped: ${missing})` : ''}`, () => {
  beforeAll(async () => {
    if (startError !== null) return;
    try {
      await start();
    } catch (e) {
      startError = `prometheus could not be started: ${e instanceof Error ? e.message : String(e)}`;
    }
  }, 90_000);

  afterAll(async () => {
    prometheus?.kill('SIGTERM');
    await new Promise<void>((done) => (exporter ? exporter.close(() => done()) : done()));
  });

  it('promotes to 100% while the error rate stays at 0', async (ctx) => {
    skipUnlessRunning(ctx);
    await setErrorRate(0);
    const dir = copyExamples();
    const res = await runCli(['traffic', 'canary', ...target(dir), '--steps', '10,50,100', '--interval', '1s', ...gate('max(canary_error_ratio)', '--max', '0.05')]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^gate at 10%: pass: value 0 is within the maximum 0.05$/m);
    expect(res.stdout).toMatch(/^gate at 50%: pass/m);
    expect(res.stdout).toContain('promoted: api-domain-2-default takes 100%');
    expect(await catchAll(dir)).toEqual({ 'api-domain-2-default': 100 });
  });

  it('rolls back when the error rate crosses the threshold mid-canary: the files end as they were', async (ctx) => {
    skipUnlessRunning(ctx);
    await setErrorRate(0);
    const dir = copyExamples();
    const before = snapshotFiles(dir);
    const run = startCli(['traffic', 'canary', ...target(dir), '--steps', '10,20,30,40,100', '--interval', '2s', '-o', 'json', ...gate('max(canary_error_ratio)', '--max', '0.05')]);
    await run.waitForOutput(/"event":"step-done"/);
    // The build starts failing once it gets traffic; some later gate check sees it.
    errorRate = 0.5;
    const res = await run.done;
    expect(res.code, res.stderr).toBe(1);
    const events = res.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const last = events.at(-1);
    expect(last).toMatchObject({ event: 'rolled-back', outcome: 'rolled-back', value: 0.5, reason: 'value 0.5 is above the maximum 0.05' });
    expect(events.some((e) => e['event'] === 'promoted')).toBe(false);
    expect(res.stderr).toMatch(/^istiops: canary rolled back at \d+%: the gate failed: value 0.5 is above the maximum 0.05$/m);
    expect(snapshotFiles(dir)).toEqual(before);
  });

  it('--min: a success ratio below the minimum rolls back at the first check', async (ctx) => {
    skipUnlessRunning(ctx);
    await setErrorRate(0.25);
    const dir = copyExamples();
    const before = snapshotFiles(dir);
    const res = await runCli(['traffic', 'canary', ...target(dir), '--steps', '10,100', '--interval', '1s', ...gate('1 - max(canary_error_ratio)', '--min', '0.99')]);
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('value 0.75 is below the minimum 0.99');
    expect(snapshotFiles(dir)).toEqual(before);
  });

  it('a query with no series fails the gate, unless --allow-empty', async (ctx) => {
    skipUnlessRunning(ctx);
    const strictDir = copyExamples();
    const strict = await runCli(['traffic', 'canary', ...target(strictDir), '--steps', '10,100', '--interval', '1s', ...gate('canary_no_such_metric', '--max', '0.05')]);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain('the gate failed: no data: the query returned no series');
    const lenientDir = copyExamples();
    const lenient = await runCli(['traffic', 'canary', ...target(lenientDir), '--steps', '10,100', '--interval', '1s', ...gate('canary_no_such_metric', '--max', '0.05', '--allow-empty')]);
    expect(lenient.code, lenient.stderr).toBe(0);
    expect(lenient.stdout).toContain('gate at 10%: pass: the query returned no series (allowed: no data passes)');
    expect(await catchAll(lenientDir)).toEqual({ 'api-domain-2-default': 100 });
  });

  it('a query Prometheus refuses counts as an error: --gate-failures in a row roll back', async (ctx) => {
    skipUnlessRunning(ctx);
    const dir = copyExamples();
    const before = snapshotFiles(dir);
    const res = await runCli(['traffic', 'canary', ...target(dir), '--steps', '10,100', '--interval', '0', ...gate('sum(', '--max', '1', '--gate-failures', '2')]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/gate query failed \(1\/2\), retrying in 1s: HTTP 400: bad_data/);
    expect(res.stderr).toMatch(/the gate failed: the query failed 2 times in a row: HTTP 400: bad_data/);
    expect(snapshotFiles(dir)).toEqual(before);
  });
});
