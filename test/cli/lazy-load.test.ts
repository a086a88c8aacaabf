/**
 * `istiops version` (and help, and completion) must start at the speed of bare Node: the bundle's
 * static import graph (what every command loads before its action runs) holds none of the heavy
 * libraries; they come in lazily loaded chunks (esbuild code splitting, scripts/build.mjs).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI } from '../support/cli.js';

/** The files `entry` loads before running anything: itself and its static imports, transitively. */
function staticGraph(entry: string): Map<string, string> {
  const files = new Map<string, string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    const text = readFileSync(file, 'utf8');
    files.set(file, text);
    for (const m of text.matchAll(/(?:^|[;\n}])\s*(?:import|export)\s*(?:[\w*{}\s,$]+from\s*)?["'](\.[^"']+)["']/g)) visit(resolve(dirname(file), m[1] as string));
  };
  visit(entry);
  return files;
}

// A string only each library's own code contains.
const heavy = [
  { library: 'yaml', marker: 'YAMLParseError' },
  { library: '@kubernetes/client-node (its KubeConfig only)', marker: 'applyToHTTPSOptions' },
  { library: 'the precompiled Istio schema validators', marker: 'must be boolean' },
  { library: 're2js', marker: 'invalid or unsupported Perl syntax' },
  { library: 'diff', marker: 'createTwoFilesPatch' },
];

describe('lazy loading of the bundled CLI', () => {
  it('the bundle exists (npm run build)', () => expect(existsSync(CLI)).toBe(true));

  it('follows static imports into the chunks (commander is loaded statically)', () => {
    expect([...staticGraph(CLI).values()].some((text) => text.includes('CommanderError'))).toBe(true);
  });

  it.each(heavy)('the static graph of dist/cli.js does not load $library', ({ marker }) => {
    const loaded = [...staticGraph(CLI)].filter(([, text]) => text.includes(marker)).map(([file]) => file);
    expect(loaded).toEqual([]);
  });

  it.each(heavy)('$library is in the bundle, in a chunk loaded on demand (the marker is right)', ({ marker }) => {
    const chunks = join(dirname(CLI), 'cli-chunks');
    expect(readdirSync(chunks).some((f) => readFileSync(join(chunks, f), 'utf8').includes(marker))).toBe(true);
  });
});
