import type { Destination, HTTPMatchRequest, StringMatch } from './istio.js';

/** `host:port (subset s)` for messages. */
export function describeDestination(d: Destination): string {
  const port = d.port?.number !== undefined ? `:${d.port.number}` : '';
  return `${d.host}${port}${d.subset !== undefined ? ` subset ${d.subset}` : ''}`;
}

/** `exact "v"`, `regex "v"` or `prefix "v"`. */
export function describeStringMatch(m: StringMatch): string {
  if (m.exact !== undefined) return `exact "${m.exact}"`;
  if (m.regex !== undefined) return `regex "${m.regex}"`;
  if (m.prefix !== undefined) return `prefix "${m.prefix}"`;
  return JSON.stringify(m);
}

/** One match entry as text: `uri prefix "/a", header x-cid exact "t"`. */
export function describeMatch(m: HTTPMatchRequest): string {
  const parts: string[] = [];
  if (m.uri) parts.push(`uri ${describeStringMatch(m.uri)}`);
  for (const [name, value] of Object.entries(m.headers ?? {})) parts.push(`header ${name} ${describeStringMatch(value)}`);
  for (const key of Object.keys(m)) {
    if (key !== 'uri' && key !== 'headers' && key !== 'name') parts.push(`${key} ${JSON.stringify(m[key])}`);
  }
  return parts.join(', ');
}
