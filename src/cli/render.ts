/**
 * Rendering of results for people (`-o pretty`) and programs (`-o json|yaml`). Pure string builders;
 * the CLI prints what they return.
 */
import type { Change } from '../domain/changes.js';
import { formatChange } from '../domain/changes.js';
import type { DestinationReport, RouteReport, TrafficReport } from '../domain/show.js';
import type { Outcome } from '../app/istiops.js';
import type { OutputFormat } from '../input/flags.js';

/** ANSI styling, or none (no TTY, `NO_COLOR` set, or `-o json|yaml`). */
export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  warn(s: string): string;
  good(s: string): string;
}

/** Colours only on a TTY and when `NO_COLOR` is unset or empty (no-color.org). */
export function styleFor(isTTY: boolean, env: NodeJS.ProcessEnv = process.env): Style {
  const on = isTTY && !env['NO_COLOR'];
  const wrap = (code: string) => (s: string) => (on ? `\u001b[${code}m${s}\u001b[0m` : s);
  return { bold: wrap('1'), dim: wrap('2'), warn: wrap('33'), good: wrap('32') };
}

const labelsText = (labels: Readonly<Record<string, string>>): string =>
  `{${Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',')}}`;

function destinationLine(d: DestinationReport, style: Style): string {
  const target = `${d.host}${d.port !== null ? `:${d.port}` : ''}`;
  const parts = [`${String(d.weight).padStart(3)}%`, style.bold(target)];
  if (d.subset !== null) parts.push(`subset ${d.subset}`);
  if (d.labels !== null) parts.push(style.dim(labelsText(d.labels)));
  if (d.subset !== null) parts.push(d.readyPods === null ? style.dim('ready pods: unknown') : d.readyPods === 0 ? style.warn('ready pods: 0') : style.good(`ready pods: ${d.readyPods}`));
  return parts.join('  ');
}

function matchText(route: RouteReport): string {
  if (route.match.length === 0) return 'match: any request';
  return `match: ${route.match.map((m) => m.map((c) => `${c.field} ${c.kind} "${c.value}"`).join(' AND ')).join(' OR ')}`;
}

/** The `show` tree: each VirtualService, its hosts, then each HTTP route in evaluation order. */
export function renderReport(report: TrafficReport, style: Style): string {
  const lines: string[] = [];
  if (report.virtualServices.length === 0) return `no VirtualService in namespace ${report.namespace} matched the label selector\n`;
  for (const vs of report.virtualServices) {
    lines.push(`${style.bold(`VirtualService ${vs.namespace}/${vs.name}`)}  hosts: ${vs.hosts.join(', ') || '(none)'}${vs.gateways.length > 0 ? `  gateways: ${vs.gateways.join(', ')}` : ''}`);
    vs.http.forEach((route, i) => {
      const last = i === vs.http.length - 1 && vs.tcpRoutes + vs.tlsRoutes === 0 && vs.warnings.length === 0;
      const branch = last ? '└─' : '├─';
      const indent = last ? '   ' : '│  ';
      const title = `${route.catchAll ? 'catch-all route' : 'route'}${route.name !== null ? ` "${route.name}"` : ''} #${route.index}${route.reachable ? '' : ' (unreachable)'}`;
      lines.push(`${branch} ${style.bold(title)}  ${matchText(route)}`);
      const children: string[] = route.destinations.map((d) => destinationLine(d, style));
      // Both forms: `mirror` + `mirrorPercentage`, and each entry of the `mirrors` list.
      for (const m of route.mirrors) {
        const target = `${m.host}${m.port !== null ? `:${m.port}` : ''}${m.subset !== null ? ` subset ${m.subset}` : ''}`;
        const ready = m.subset === null ? '' : `  ${m.readyPods === null ? style.dim('ready pods: unknown') : m.readyPods === 0 ? style.warn('ready pods: 0') : style.good(`ready pods: ${m.readyPods}`)}`;
        children.push(`mirrored ${m.percentage ?? 100}% -> ${target}${m.form === 'mirrors' ? style.dim(' (mirrors)') : ''}${ready}`);
      }
      if (route.fault) children.push(`fault ${JSON.stringify(route.fault)}`);
      for (const w of route.warnings) children.push(style.warn(`warning: ${w}`));
      children.forEach((c, j) => lines.push(`${indent}${j === children.length - 1 ? '└─' : '├─'} ${c}`));
    });
    if (vs.tcpRoutes + vs.tlsRoutes > 0) {
      lines.push(`${vs.warnings.length === 0 ? '└─' : '├─'} ${style.dim(`${vs.tcpRoutes} TCP and ${vs.tlsRoutes} TLS routes (not managed by istiops)`)}`);
    }
    vs.warnings.forEach((w, j) => lines.push(`${j === vs.warnings.length - 1 ? '└─' : '├─'} ${style.warn(`warning: ${w}`)}`));
    lines.push('');
  }
  for (const w of report.warnings) lines.push(style.warn(`warning: ${w}`));
  return `${lines.join('\n').replace(/\n+$/, '')}\n`;
}

/** The machine-readable result of a mutating command (`-o json|yaml`). */
export interface ResultDocument {
  readonly apiVersion: 'istiops/v1';
  readonly kind: 'Result';
  readonly command: string;
  readonly dryRun: 'none' | 'client' | 'server';
  readonly changes: readonly Change[];
  readonly warnings: readonly string[];
  /** `Kind namespace/name` of the objects written (server dry runs included). */
  readonly written: readonly string[];
}

/** Builds the {@link ResultDocument} of an outcome. */
export function resultDocument(command: string, outcome: Outcome): ResultDocument {
  return {
    apiVersion: 'istiops/v1',
    kind: 'Result',
    command,
    dryRun: outcome.dryRun,
    changes: outcome.plan.changes,
    warnings: outcome.plan.warnings,
    written: outcome.written,
  };
}

/** One line per change, or `no changes`. */
export function renderChanges(changes: readonly Change[]): string {
  return changes.length === 0 ? 'no changes\n' : `${changes.map(formatChange).join('\n')}\n`;
}

/** The `-o name` lines of a report: kubectl's `virtualservice.networking.istio.io/<name>`, one per VirtualService. */
export function reportNames(report: TrafficReport): string {
  return report.virtualServices.map((vs) => `virtualservice.networking.istio.io/${vs.name}\n`).join('');
}

/** A `show` report in `format`: the tree (coloured on a TTY), JSON, YAML, names, or a Mermaid flowchart. */
export async function formatReport(report: TrafficReport, format: OutputFormat, io: { isTTY: boolean; env: NodeJS.ProcessEnv }): Promise<string> {
  switch (format) {
    case 'pretty':
      return renderReport(report, styleFor(io.isTTY, io.env));
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'yaml':
      return (await import('./yaml-text.js')).toYamlText(report);
    case 'name':
      return reportNames(report);
    case 'mermaid':
      return (await import('./mermaid.js')).renderMermaid(report);
  }
}
