/**
 * `show -o mermaid` is checked with Mermaid's own parser (the `mermaid` package; its parser needs a
 * DOM, given by jsdom; `@mermaid-js/parser` does not cover flowcharts). Beyond "it parses", every
 * label read back by Mermaid and decoded as a browser does must equal the text that was escaped.
 */
import { JSDOM } from 'jsdom';
import { beforeAll, describe, expect, it } from 'vitest';
import { mermaidText, renderMermaid } from '../../src/cli/mermaid.js';
import type { DestinationReport, RouteReport, TrafficReport, VirtualServiceReport } from '../../src/domain/show.js';
import { copyExamples } from '../support/cli.js';
import { runInProcess } from '../support/run-in-process.js';

interface MermaidApi {
  initialize(config: object): void;
  parse(text: string): Promise<unknown>;
  mermaidAPI: { getDiagramFromText(text: string): Promise<{ type: string; db: { getVertices(): Map<string, { text?: string }>; getEdges(): { text: string; stroke: string }[]; getSubGraphs(): { title: string }[] } }> };
}

let mermaid: MermaidApi;
let decode: (label: string) => string[];

beforeAll(async () => {
  const dom = new JSDOM('<!doctype html><html><body></body></html>');
  Object.assign(globalThis, { window: dom.window, document: dom.window.document });
  mermaid = (await import('mermaid')).default as unknown as MermaidApi;
  mermaid.initialize({ startOnLoad: false });
  // Mermaid keeps `#name;` / `#123;` as placeholders and writes them as HTML entities when it renders.
  decode = (label) =>
    label.split(/<br\s*\/?>/).map((line) => {
      const div = dom.window.document.createElement('div');
      div.innerHTML = line.replace(/ﬂ°°(\d+)¶ß/g, '&#$1;').replace(/ﬂ°(\w+)¶ß/g, '&$1;');
      return div.textContent ?? '';
    });
}, 120_000);

async function parsed(text: string): Promise<{ labels: string[][]; edges: { text: string; stroke: string }[] }> {
  await expect(mermaid.parse(text)).resolves.toBeTruthy();
  const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
  expect(diagram.type).toMatch(/^flowchart/);
  const vertices = [...diagram.db.getVertices().values()].map((v) => v.text ?? '');
  const subgraphs = diagram.db.getSubGraphs().map((s) => s.title);
  return { labels: [...vertices, ...subgraphs].map(decode), edges: diagram.db.getEdges() };
}

const dest = (over: Partial<DestinationReport> = {}): DestinationReport => ({ host: 'reviews', port: null, weight: 100, subset: 'v1', labels: { app: 'reviews', version: 'v1' }, readyPods: 2, ...over });
const route = (over: Partial<RouteReport> = {}): RouteReport => ({ index: 0, name: null, catchAll: true, reachable: true, targeted: false, match: [], destinations: [dest()], mirror: null, mirrors: [], fault: null, warnings: [], ...over });
const vs = (over: Partial<VirtualServiceReport> = {}): VirtualServiceReport => ({ name: 'reviews', namespace: 'bookinfo', hosts: ['reviews'], gateways: [], http: [route()], tcpRoutes: 0, tlsRoutes: 0, warnings: [], ...over });
const report = (virtualServices: VirtualServiceReport[], warnings: string[] = []): TrafficReport => ({ apiVersion: 'istiops/v1', kind: 'TrafficReport', namespace: 'bookinfo', virtualServices, warnings });

const NASTY = 'x-"quoted"]) {[<b>&amp;</b>] #1; `tick` | pipe; naïve 日本語 🚦 %% end';

const reports: { name: string; report: TrafficReport; labels: string[]; edges: string[] }[] = [
  { name: 'no VirtualService', report: report([]), labels: ['no VirtualService selected in namespace bookinfo'], edges: [] },
  {
    name: 'a header route before a weighted catch-all',
    report: report([
      vs({
        http: [
          route({ index: 0, name: 'jason-sees-v2', catchAll: false, match: [[{ field: 'headers.end-user', kind: 'exact', value: 'jason' }]], destinations: [dest({ subset: 'v2', labels: { app: 'reviews', version: 'v2' }, readyPods: 1 })] }),
          route({ index: 1, destinations: [dest({ weight: 90 }), dest({ port: 9080, weight: 10, subset: 'reviews-3-bookinfo', labels: { app: 'reviews', version: 'v3' }, readyPods: 0 })] }),
        ],
      }),
    ]),
    labels: ['VirtualService bookinfo/reviews', 'reviews', '#0 jason-sees-v2', 'headers.end-user exact "jason"', '#1 (catch-all)', 'reviews:9080', 'ready pods: 0'],
    edges: ['else', '100%', '90%', '10%'],
  },
  {
    name: 'a mirror and a fault',
    report: report([
      vs({
        http: [
          route({
            mirror: { ...dest({ subset: 'v3', labels: { version: 'v3' }, readyPods: null, weight: 0 }), percentage: 25, form: 'mirror' },
            mirrors: [{ ...dest({ subset: 'v3', labels: { version: 'v3' }, readyPods: null, weight: 0 }), percentage: 25, form: 'mirror' }],
            fault: { delay: { fixedDelay: '5s', percentage: { value: 10 } }, abort: { httpStatus: 503, percentage: { value: 1.5 } } },
          }),
        ],
        tcpRoutes: 1,
      }),
    ]),
    labels: ['⚡ fault: delay 5s 10%, abort 503 1.5%', 'ready pods: unknown', '1 TCP and 0 TLS routes (not managed)'],
    edges: ['100%', 'mirror 25%'],
  },
  {
    name: 'names and header values with quotes, brackets, HTML, # and unicode',
    report: report([
      vs({
        name: 'api', hosts: [NASTY, '*.example.com'],
        warnings: [`more than one: ${NASTY}`],
        http: [
          route({ name: NASTY, catchAll: false, match: [[{ field: 'headers.x-user', kind: 'regex', value: NASTY }, { field: 'uri', kind: 'prefix', value: '/a"b' }], [{ field: 'queryParams', kind: 'other', value: '{"a":{"exact":"b"}}' }]], warnings: ['subset "v1" is missing'] }),
          route({ index: 1, destinations: [dest({ host: 'api.prod.svc.cluster.local', port: 8080, subset: null, labels: null, readyPods: null })] }),
        ],
      }),
      vs({ name: 'second', http: [route({ destinations: [dest()] })] }),
    ]),
    labels: [NASTY, `⚠ more than one: ${NASTY}`, `#0 ${NASTY}`, `headers.x-user regex "${NASTY}" and uri prefix "/a"b"`, 'or queryParams other "{"a":{"exact":"b"}}"', '⚠ subset "v1" is missing', 'api.prod.svc.cluster.local:8080'],
    edges: ['else', '100%'],
  },
];

describe('show -o mermaid', () => {
  it.each(reports)('$name: Mermaid parses it and reads every label back', async ({ report: r, labels, edges }) => {
    const text = renderMermaid(r);
    const got = await parsed(text);
    const lines = got.labels.flat();
    for (const l of labels) expect(lines).toContain(l);
    for (const e of edges) expect(got.edges.map((x) => x.text)).toContain(e);
  });

  it('draws mirrors dashed and traffic solid', async () => {
    const { edges } = await parsed(renderMermaid(reports[2]!.report));
    expect(edges.find((e) => e.text === 'mirror 25%')?.stroke).toBe('dotted');
    expect(edges.find((e) => e.text === '100%')?.stroke).toBe('normal');
  });

  it('shares one node per destination across VirtualServices', () => {
    const text = renderMermaid(reports[3]!.report);
    expect(text.match(/^ {2}d\d+\[/gm)).toHaveLength(2);
  });

  it('the CLI prints a chart of the examples that Mermaid parses', async () => {
    const res = await runInProcess(['traffic', 'show', '--manifests', copyExamples(), '-n', 'bookinfo', '-o', 'mermaid']);
    expect(res.code, res.stderr).toBe(0);
    const { labels } = await parsed(res.stdout);
    expect(labels.flat()).toContain('VirtualService bookinfo/ratings');
  });

  it.each([
    ['"', '#34;'],
    ['#', '#35;'],
    ['<b>', '#60;b#62;'],
    ['a\nb', 'a b'],
    ['naïve', 'naïve'],
  ])('escapes %j as %j', (text, want) => {
    expect(mermaidText(text)).toBe(want);
  });
});
