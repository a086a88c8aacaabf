import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, copyExamples, runCli } from './support/cli.js';

/** One `$ istiops ...` line of the README with the output shown under it. */
interface Example {
  readonly line: number;
  readonly args: string[];
  readonly output: string[];
  readonly exitCode: number;
}

/** Splits a shell command line of words and single-quoted words (all the README uses). */
function words(text: string): string[] {
  return [...text.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '');
}

function examples(readme: string): Example[] {
  const found: Example[] = [];
  let inBlock = false;
  let current: { line: number; args: string[]; output: string[] } | undefined;
  const finish = (): void => {
    if (!current) return;
    const output = [...current.output];
    while (output.length > 0 && output.at(-1) === '') output.pop();
    const exit = /^\[exit (\d+)\]$/.exec(output.at(-1) ?? '');
    if (exit) output.pop();
    found.push({ line: current.line, args: current.args, output, exitCode: exit ? Number(exit[1]) : 0 });
    current = undefined;
  };
  readme.split('\n').forEach((text, i) => {
    if (text.startsWith('```')) {
      finish();
      inBlock = !inBlock;
    } else if (inBlock && text.startsWith('$ istiops ')) {
      finish();
      current = { line: i + 1, args: words(text.slice('$ istiops '.length)), output: [] };
    } else if (current) {
      current.output.push(text);
    }
  });
  return found;
}

describe('the README stays true', () => {
  const list = examples(readFileSync(join(ROOT, 'README.md'), 'utf8'));

  it('shows examples of every command', () => {
    const commands = new Set(list.map((e) => e.args[1]));
    for (const c of ['show', 'shift', 'rollback', 'clear']) expect(commands).toContain(c);
  });

  it('prints what the README shows for every $ istiops line, run in order on a copy of the examples', async () => {
    // As in the README: `manifests` is a copy of the examples in the working directory.
    const cwd = mkdtempSync(join(tmpdir(), 'istiops-readme-'));
    cpSync(copyExamples(), join(cwd, 'manifests'), { recursive: true });
    for (const example of list) {
      const res = await runCli(example.args, { cwd });
      const shown = `${res.stderr}${res.stdout}`.replace(/\n+$/, '').split('\n');
      expect({ line: example.line, code: res.code, output: shown }).toEqual({ line: example.line, code: example.exitCode, output: example.output });
    }
  });
});
