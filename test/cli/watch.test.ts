import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { Istiops } from '../../src/app/istiops.js';
import type { CliIO } from '../../src/cli/context.js';
import { CLEAR_SCREEN, followReports } from '../../src/cli/watch.js';
import type { OutputFormat } from '../../src/input/flags.js';
import type { TrafficReport } from '../../src/domain/show.js';
import { ManifestStore } from '../../src/store/manifest-store.js';
import type { ReadQuery, WatchEvent } from '../../src/store/route-store.js';
import { copyExamples } from '../support/cli.js';

const report = (weight: number): TrafficReport => ({
  apiVersion: 'istiops/v1',
  kind: 'TrafficReport',
  namespace: 'ns',
  warnings: [],
  virtualServices: [
    {
      name: 'api',
      namespace: 'ns',
      hosts: ['api'],
      gateways: [],
      tcpRoutes: 0,
      tlsRoutes: 0,
      warnings: [],
      http: [{ index: 0, name: null, catchAll: true, reachable: true, targeted: false, match: [], mirror: null, mirrors: [], fault: null, warnings: [], destinations: [{ host: 'api', port: null, weight, subset: 'v1', labels: null, readyPods: 1 }] }],
    },
  ],
});

/** A watch that delivers `reports` in order, then waits for the interrupt. */
function scripted(reports: TrafficReport[]) {
  return async (onReport: (r: TrafficReport) => void, signal: AbortSignal): Promise<void> => {
    for (const r of reports) onReport(r);
    if (!signal.aborted) await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
  };
}

async function follow(format: OutputFormat, reports: TrafficReport[], isTTY = false): Promise<string> {
  let out = '';
  const io: CliIO = { stdout: (t) => (out += t), stderr: () => undefined, isTTY, env: { NO_COLOR: '1' } };
  const controller = new AbortController();
  const done = followReports(scripted(reports), { format, io, signal: controller.signal, now: () => new Date(2026, 0, 1, 12, 0, 0) });
  await expect.poll(() => out).not.toBe('');
  controller.abort('SIGINT');
  await done;
  return out;
}

describe('show --watch output', () => {
  it('-o json prints one document per change, and none for a report equal to the last', async () => {
    const out = await follow('json', [report(100), report(100), report(90), report(100)]);
    const docs = out.split(/(?<=^\})\n/m).filter((d) => d.trim() !== '').map((d) => JSON.parse(d) as TrafficReport);
    expect(docs.map((d) => d.virtualServices[0]?.http[0]?.destinations[0]?.weight)).toEqual([100, 90, 100]);
  });

  it('-o yaml separates the documents with ---', async () => {
    const out = await follow('yaml', [report(100), report(75)]);
    expect(out.match(/^---$/gm)).toHaveLength(1);
    expect(parseAllDocuments(out).map((d) => (d.toJS() as TrafficReport).virtualServices[0]?.http[0]?.destinations[0]?.weight)).toEqual([100, 75]);
  });

  it('on a TTY clears the screen and redraws the tree each time', async () => {
    const out = await follow('pretty', [report(100), report(60)], true);
    const screens = out.split(CLEAR_SCREEN).slice(1);
    expect(screens).toHaveLength(2);
    expect(screens[1]).toContain(' 60%  api  subset v1');
    expect(screens[1]).toContain('watching namespace ns, updated 12:00:00 (Ctrl-C to stop)');
  });

  it('without a TTY prints the trees one after the other', async () => {
    const out = await follow('pretty', [report(100), report(60)]);
    expect(out).not.toContain(CLEAR_SCREEN);
    expect(out.match(/^VirtualService ns\/api/gm)).toHaveLength(2);
  });
});

describe('show --watch over Istiops.watch', () => {
  it('reports the routing at once and again after a change, until interrupted', async () => {
    const dir = copyExamples();
    const store = new ManifestStore({ paths: [dir] });
    let changed: ((e: WatchEvent) => void) | undefined;
    // A store that can watch: the test says when something changed.
    const watching = Object.assign(store, {
      watch: async (_q: ReadQuery, onChange: (e: WatchEvent) => void, signal: AbortSignal): Promise<void> => {
        changed = onChange;
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
      },
    });
    const istiops = new Istiops(watching);
    const selection = { namespace: 'default', labelSelector: 'app=api-domain' };
    const weights: number[][] = [];
    const controller = new AbortController();
    let out = '';
    const io: CliIO = { stdout: (t) => (out += t), stderr: () => undefined, isTTY: false, env: {} };
    const done = followReports((onReport, signal) => istiops.watch(selection, (r) => (weights.push(r.virtualServices[0]!.http.at(-1)!.destinations.map((d) => d.weight)), onReport(r)), signal), {
      format: 'json',
      io,
      signal: controller.signal,
    });
    await expect.poll(() => weights.length).toBe(1);
    await istiops.shift(selection, { destination: { host: 'api-domain', port: 5000 }, build: '2', podSelector: { app: 'api-domain', build: '2' }, traffic: { kind: 'weight', percent: 30 } });
    changed?.({ type: 'MODIFIED', object: 'VirtualService default/api-domain' });
    await expect.poll(() => weights.length).toBe(2);
    controller.abort('SIGINT');
    await done;
    expect(weights).toEqual([[100], [70, 30]]);
    expect(out.match(/"kind": "TrafficReport"/g)).toHaveLength(2);
  });
});
