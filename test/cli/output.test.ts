import { describe, expect, it } from 'vitest';
import type { ProgressEvent } from '../../src/app/istiops.js';
import type { Change } from '../../src/domain/changes.js';
import type { Globals } from '../../src/cli/options.js';
import { groupNotes, nameLine, OutcomePrinter } from '../../src/cli/output.js';
import type { RouteStore } from '../../src/store/route-store.js';
import { copyExamples } from '../support/cli.js';
import { runInProcess } from '../support/run-in-process.js';

const reviews = ['-n', 'bookinfo', '-d', 'reviews:9080', '-b', '3', '-p', 'app=reviews,version=v3'];

describe('kubectl flag spellings', () => {
  it.each([
    [['-o=yaml'], ['-oyaml'], ['--output=yaml'], ['--output', 'yaml']],
    [['-n=bookinfo'], ['-nbookinfo'], ['--namespace=bookinfo'], ['-n', 'bookinfo']],
  ])('%j, %j, %j and %j mean the same', async (...spellings) => {
    const dir = copyExamples();
    const outputs = await Promise.all(
      spellings.map(async (flag) => {
        const extra = flag[0]?.startsWith('-n') || flag[0]?.startsWith('--namespace') ? ['-o', 'json'] : ['-n', 'bookinfo'];
        const res = await runInProcess(['traffic', 'show', '--manifests', dir, ...flag, ...extra]);
        expect(res.code, res.stderr).toBe(0);
        return res.stdout;
      }),
    );
    expect(outputs[0]).toMatch(/namespace"?: "?bookinfo/);
    for (const o of outputs) expect(o).toBe(outputs[0]);
  });
});

describe('selection and the first-version aliases', () => {
  it('show without -l lists every VirtualService of the namespace', async () => {
    const res = await runInProcess(['traffic', 'show', '--manifests', copyExamples(), '-n', 'bookinfo', '-o', 'name']);
    // The api-domain documents carry no namespace: they belong to the -n namespace, as with kubectl apply -n.
    expect(res.stdout).toBe('virtualservice.networking.istio.io/api-domain\nvirtualservice.networking.istio.io/reviews\nvirtualservice.networking.istio.io/ratings\n');
  });

  it.each([
    [['-p', 'app=reviews,version=v3'], 'reviews-v3-bookinfo'],
    [['-p', 'app=reviews,build=7,version=v3'], 'reviews-7-bookinfo'],
    [['-p', 'app=reviews,track=canary'], 'reviews-reviews-canary-bookinfo'],
    [['-p', 'app=reviews,version=v3', '-b', '9'], 'reviews-9-bookinfo'],
  ])('traffic weight %j names the subset %s', async (flags, subset) => {
    const res = await runInProcess(['traffic', 'weight', '--manifests', copyExamples(), '-n', 'bookinfo', '--hostname', 'reviews', '--port', '9080', ...flags, '-w', '10']);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain(`add subset ${subset} `);
  });
});

describe('output of mutating commands', () => {
  it('-o name prints one kubectl name per written object', async () => {
    const res = await runInProcess(['traffic', 'shift', '--manifests', copyExamples(), ...reviews, '-w', '10', '-o', 'name']);
    expect(res).toEqual({ code: 0, stderr: '', stdout: 'destinationrule.networking.istio.io/reviews\nvirtualservice.networking.istio.io/reviews\n' });
  });

  it('-o name of a dry run prints the objects that would be written', async () => {
    const res = await runInProcess(['traffic', 'shift', '--manifests', copyExamples(), ...reviews, '-w', '10', '-o', 'name', '--dry-run']);
    expect(res.stdout).toBe('destinationrule.networking.istio.io/reviews\nvirtualservice.networking.istio.io/reviews\n');
  });

  it('prints the change lines first and the notes after them', async () => {
    let log = '';
    const res = await runInProcess(['traffic', 'shift', '--manifests', copyExamples(), ...reviews, '-w', '10'], {
      stdout: (t) => (log += `OUT ${t}`),
      stderr: (t) => (log += `ERR ${t}`),
    });
    expect(res.code).toBe(0);
    expect(log.split(/(?=OUT |ERR )/).map((l) => l.slice(0, 3))).toEqual(['OUT', 'OUT', 'ERR']);
    expect(log).toMatch(/ERR note: skipped 2 VirtualServices bookinfo\/api-domain, bookinfo\/ratings \(no route to reviews\.bookinfo\.svc\.cluster\.local\)\n$/);
  });
});

const change = (kind: 'VirtualService' | 'DestinationRule', name: string, message: string): Change => ({ kind, namespace: 'ns', name, op: 'set-destinations', message });

describe('OutcomePrinter', () => {
  const globals = (output: Globals['output']): Globals => ({
    namespace: undefined,
    output,
    kubeconfig: undefined,
    context: undefined,
    manifests: [],
    dryRun: 'none',
    requestTimeoutMs: 30_000,
    propagationWaitMs: 3000,
    concurrency: 8,
    force: false,
  });

  it('prints each object\'s changes when it is written, waits when they happen, notes at the end', async () => {
    let log = '';
    const io = { stdout: (t: string) => (log += `out: ${t}`), stderr: (t: string) => (log += `err: ${t}`), isTTY: false, env: {} };
    const printer = new OutcomePrinter('shift', globals('pretty'), io);
    const dr = change('DestinationRule', 'api', 'add subset api-2-ns');
    const vs = change('VirtualService', 'api', 'catch-all route -> api 90%, api-2-ns 10%');
    const events: ProgressEvent[] = [
      { kind: 'written', object: 'DestinationRule ns/api', changes: [dr] },
      { kind: 'propagation-wait', delayMs: 3000 },
      { kind: 'written', object: 'VirtualService ns/api', changes: [vs] },
    ];
    for (const e of events) printer.progress(e);
    const plan = { writes: [], changes: [dr, vs], warnings: ['skipped VirtualService ns/a: no HTTP route to api', 'warning: subset x has no ready pods', 'skipped VirtualService ns/b: no HTTP route to api'] };
    await printer.finish({ plan, written: ['DestinationRule ns/api', 'VirtualService ns/api'], dryRun: 'none', attempts: 1 }, { kind: 'kubernetes' } as RouteStore);
    expect(log).toBe(
      [
        'out: DestinationRule ns/api: add subset api-2-ns',
        'err: waiting 3s for Istio to push the new subset to the proxies (--propagation-wait)',
        'out: VirtualService ns/api: catch-all route -> api 90%, api-2-ns 10%',
        'err: note: skipped 2 VirtualServices ns/a, ns/b (no HTTP route to api)',
        'err: warning: subset x has no ready pods',
        '',
      ].join('\n'),
    );
  });
});

describe('groupNotes', () => {
  it.each([
    { warnings: [], want: [] },
    { warnings: ['readiness unknown'], want: ['note: readiness unknown'] },
    { warnings: ['warning: no ready pods'], want: ['warning: no ready pods'] },
    {
      warnings: ['skipped VirtualService a/x: no HTTP route to r', 'kept y', 'skipped VirtualService a/z: only targeted routes of r', 'skipped VirtualService a/w: no HTTP route to r'],
      want: ['note: skipped 3 VirtualServices a/x, a/w (no HTTP route to r); a/z (only targeted routes of r)', 'note: kept y'],
    },
    { warnings: ['skipped DestinationRule a/x: has a workloadSelector'], want: ['note: skipped DestinationRule a/x (has a workloadSelector)'] },
  ])('groups $warnings', ({ warnings, want }) => expect(groupNotes(warnings)).toEqual(want));
});

describe('nameLine', () => {
  it.each([
    ['VirtualService bookinfo/reviews', 'virtualservice.networking.istio.io/reviews'],
    ['DestinationRule default/api-domain', 'destinationrule.networking.istio.io/api-domain'],
  ])('%s is %s', (object, want) => expect(nameLine(object)).toBe(want));
});
