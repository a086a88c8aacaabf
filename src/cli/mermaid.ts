/**
 * `show -o mermaid`: the routing as a Mermaid flowchart, for a pull request comment (GitHub renders a
 * ```` ```mermaid ```` block). Per VirtualService a subgraph: its hosts, then its HTTP routes in
 * evaluation order (each route's match; an `else` edge to the next route), weighted edges to the
 * destinations (host, port, subset, labels and ready pods), mirrors as dashed edges, faults marked on
 * the route. Identifiers are generated; every name and value appears only inside quoted labels,
 * escaped with Mermaid's entity codes, so quotes, brackets, `#`, HTML and unicode are safe.
 */
import type { DestinationReport, RouteReport, TrafficReport, VirtualServiceReport } from '../domain/show.js';

/**
 * Text for inside a quoted Mermaid label: `"` `#` `<` `>` `&` and the backtick become entity codes
 * (`#quot;` ...), which Mermaid turns into the characters themselves.
 */
export function mermaidText(text: string): string {
  return text.replace(/[#"<>&`]/g, (c) => `#${c.charCodeAt(0)};`).replace(/[\r\n]+/g, ' ');
}

/** A quoted label of several lines. */
const label = (lines: readonly string[]): string => `"${lines.map(mermaidText).join('<br/>')}"`;

const target = (d: { host: string; port: number | null }): string => `${d.host}${d.port !== null ? `:${d.port}` : ''}`;

function matchLines(route: RouteReport): string[] {
  if (route.match.length === 0) return ['any request'];
  return route.match.map((entry, i) => `${i > 0 ? 'or ' : ''}${entry.map((c) => `${c.field} ${c.kind} "${c.value}"`).join(' and ') || 'any request'}`);
}

const scalarText = (v: unknown): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : JSON.stringify(v ?? '?'));

const percentOf = (p: unknown): string | undefined => {
  const value = typeof p === 'number' ? p : typeof p === 'object' && p !== null && typeof (p as { value?: unknown }).value === 'number' ? (p as { value: number }).value : undefined;
  return value === undefined ? undefined : `${value}%`;
};

/** One line describing a route's fault as written (`delay 5s 10%`, `abort 503 5%`). */
export function faultText(fault: Readonly<Record<string, unknown>>): string {
  const parts: string[] = [];
  const delay = fault['delay'] as { fixedDelay?: unknown; percentage?: unknown } | undefined;
  const abort = fault['abort'] as { httpStatus?: unknown; percentage?: unknown } | undefined;
  if (delay) parts.push(['delay', scalarText(delay.fixedDelay), percentOf(delay.percentage)].filter(Boolean).join(' '));
  if (abort) parts.push(['abort', scalarText(abort.httpStatus), percentOf(abort.percentage)].filter(Boolean).join(' '));
  return parts.length > 0 ? parts.join(', ') : JSON.stringify(fault);
}

interface Mirror extends DestinationReport {
  readonly percentage: number | null;
}

/** The route's mirrors: `mirror`, and the `mirrors` list when the report carries one. */
function mirrorsOf(route: RouteReport): readonly Mirror[] {
  const list = (route as RouteReport & { readonly mirrors?: readonly Mirror[] }).mirrors ?? [];
  return route.mirror && !list.includes(route.mirror) ? [route.mirror, ...list] : list;
}

/** The Mermaid flowchart of a `show` report (text, ends with a newline). */
export function renderMermaid(report: TrafficReport): string {
  const out: string[] = ['flowchart LR'];
  const edges: string[] = [];
  const destinations = new Map<string, string>();
  const classes = { dest: [] as string[], noPods: [] as string[], unknown: [] as string[], fault: [] as string[], warn: [] as string[] };
  const destination = (d: DestinationReport): string => {
    const key = JSON.stringify([d.host, d.port, d.subset]);
    let id = destinations.get(key);
    if (id !== undefined) return id;
    id = `d${destinations.size}`;
    destinations.set(key, id);
    const lines = [target(d)];
    if (d.subset !== null) lines.push(`subset ${d.subset}`);
    if (d.labels !== null && Object.keys(d.labels).length > 0) lines.push(Object.entries(d.labels).map(([k, v]) => `${k}=${v}`).join(','));
    if (d.subset !== null) lines.push(d.readyPods === null ? 'ready pods: unknown' : `ready pods: ${d.readyPods}`);
    out.push(`  ${id}[${label(lines)}]`);
    (d.readyPods === 0 ? classes.noPods : d.readyPods === null && d.subset !== null ? classes.unknown : classes.dest).push(id);
    return id;
  };
  if (report.virtualServices.length === 0) out.push(`  none[${label([`no VirtualService selected in namespace ${report.namespace}`])}]`);
  report.virtualServices.forEach((vs: VirtualServiceReport, v) => {
    const id = `vs${v}`;
    out.push(`  subgraph ${id}[${label([`VirtualService ${vs.namespace}/${vs.name}`, ...vs.warnings.map((w) => `⚠ ${w}`)])}]`);
    out.push('    direction TB');
    const hosts = vs.hosts.length > 0 ? vs.hosts : ['(no hosts)'];
    hosts.forEach((h, i) => out.push(`    ${id}h${i}([${label([h])}])`));
    vs.http.forEach((route, r) => {
      const rid = `${id}r${r}`;
      const title = `#${route.index}${route.name !== null ? ` ${route.name}` : ''}${route.catchAll ? ' (catch-all)' : ''}`;
      const lines = [title, ...matchLines(route)];
      if (route.fault) lines.push(`⚡ fault: ${faultText(route.fault)}`);
      lines.push(...route.warnings.map((w) => `⚠ ${w}`));
      out.push(`    ${rid}{{${label(lines)}}}`);
      if (route.fault) classes.fault.push(rid);
      else if (route.warnings.length > 0) classes.warn.push(rid);
    });
    if (vs.tcpRoutes + vs.tlsRoutes > 0) out.push(`    ${id}other[${label([`${vs.tcpRoutes} TCP and ${vs.tlsRoutes} TLS routes (not managed)`])}]`);
    out.push('  end');
    if (vs.http.length > 0) hosts.forEach((_, i) => edges.push(`  ${id}h${i} --> ${id}r0`));
    vs.http.forEach((route, r) => {
      const rid = `${id}r${r}`;
      if (r + 1 < vs.http.length) edges.push(`  ${rid} -->|"else"| ${id}r${r + 1}`);
      for (const d of route.destinations) edges.push(`  ${rid} -->|${label([`${d.weight}%`])}| ${destination(d)}`);
      for (const m of mirrorsOf(route)) edges.push(`  ${rid} -.->|${label([`mirror ${m.percentage ?? 100}%`])}| ${destination(m)}`);
    });
  });
  out.push(...edges);
  const styles: Record<keyof typeof classes, string> = {
    dest: 'fill:#e8f5e9,stroke:#2e7d32',
    noPods: 'fill:#ffebee,stroke:#c62828',
    unknown: 'fill:#f5f5f5,stroke:#757575,stroke-dasharray:3 3',
    fault: 'stroke:#c62828,stroke-width:3px',
    warn: 'stroke:#ef6c00,stroke-width:2px',
  };
  for (const [name, ids] of Object.entries(classes) as [keyof typeof classes, string[]][]) {
    if (ids.length > 0) out.push(`  classDef ${name} ${styles[name]}`, `  class ${ids.join(',')} ${name}`);
  }
  return `${out.join('\n')}\n`;
}
