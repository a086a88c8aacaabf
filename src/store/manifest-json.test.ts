import { describe, expect, it } from 'vitest';
import { replaceJsonValue } from './manifest-json.js';

/** A Flagger-style JSON VirtualService whose route lists destinations one per line, compact. */
const compact = (destinations: string[]): string =>
  ['{', '  "kind": "VirtualService",', '  "spec": {', '    "http": [', '      {', '        "route": [', destinations.join(',\n'), '        ]', '      }', '    ]', '  }', '}', ''].join('\n');
const line = (subset: string, weight: number): string => `          { "destination": { "host": "podinfo", "subset": "${subset}" }, "weight": ${weight} }`;
const dest = (subset: string, weight: number) => ({ destination: { host: 'podinfo', subset }, weight });
const withRoute = (route: unknown[]) => ({ kind: 'VirtualService', spec: { http: [{ route }] } });

describe('replaceJsonValue keeps the text of the array items that stay', () => {
  it.each([
    {
      name: 'a destination added at the end',
      before: [line('primary', 80), line('canary', 20)],
      after: [dest('primary', 80), dest('canary', 20), dest('build-2', 0)],
      kept: [line('primary', 80), line('canary', 20)],
    },
    {
      name: 'a destination removed from the middle',
      before: [line('primary', 50), line('build-2', 30), line('canary', 20)],
      after: [dest('primary', 50), dest('canary', 20)],
      kept: [line('primary', 50), line('canary', 20)],
    },
    {
      name: 'a destination removed from the front',
      before: [line('build-2', 30), line('primary', 50), line('canary', 20)],
      after: [dest('primary', 50), dest('canary', 20)],
      kept: [line('primary', 50), line('canary', 20)],
    },
    {
      name: 'weights changed in place and a destination added',
      before: [line('primary', 80), line('canary', 20)],
      after: [dest('primary', 56), dest('canary', 14), dest('build-2', 30)],
      kept: [line('primary', 56), line('canary', 14)],
    },
    {
      name: 'one destination replaced by another, the rest unchanged',
      before: [line('primary', 50), line('old', 50)],
      after: [dest('primary', 50), dest('new', 50)],
      kept: [line('primary', 50), line('new', 50)],
    },
  ])('$name', ({ before, after, kept }) => {
    const text = compact(before);
    const result = replaceJsonValue(text, [], withRoute(after));
    expect(JSON.parse(result)).toEqual(withRoute(after));
    // Each item that stays is its own line, as written (followed by a comma unless it is the last).
    const lines = result.split('\n').map((l) => l.replace(/,$/, ''));
    for (const l of kept) expect(lines).toContain(l);
  });

  it('writes an added item with the file\'s line endings and indentation (CRLF, tabs)', () => {
    const text = compact([line('primary', 80), line('canary', 20)]).replace(/\n/g, '\r\n').replace(/^( {2})+/gm, (m) => '\t'.repeat(m.length / 2));
    const result = replaceJsonValue(text, [], withRoute([dest('primary', 80), dest('canary', 20), dest('build-2', 0)]));
    expect(JSON.parse(result)).toEqual(withRoute([dest('primary', 80), dest('canary', 20), dest('build-2', 0)]));
    expect(result.replace(/\r\n/g, '')).not.toContain('\n');
    expect(result).toContain('\t\t\t\t\t{\r\n\t\t\t\t\t\t"destination": {\r\n\t\t\t\t\t\t\t"host": "podinfo",');
    expect(result).toContain(`${line('canary', 20).replace(/^ +/, '\t\t\t\t\t')},\r\n`);
  });

  it('returns the text unchanged when the value is the same', () => {
    const text = compact([line('primary', 100)]);
    expect(replaceJsonValue(text, [], withRoute([dest('primary', 100)]))).toBe(text);
  });
});
