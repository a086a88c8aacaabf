/**
 * Runs the built CLI (dist/istiops.cjs) as a subprocess, as users and CI pipelines do; or, when the
 * environment variable ISTIOPS_BIN names a single executable (`npm run build:binary` makes
 * dist/bin/istiops), that executable instead.
 */
import { execFile } from 'node:child_process';
import { expect } from 'vitest';
import { cpSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const CLI = join(ROOT, 'dist/istiops.cjs');
export const EXAMPLES = join(ROOT, 'examples/manifests');
/** The single executable under test, when ISTIOPS_BIN is set (absolute, or relative to the repository). */
export const BIN = process.env['ISTIOPS_BIN'] ? resolve(ROOT, process.env['ISTIOPS_BIN']) : undefined;

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node dist/istiops.cjs ...args` (or `$ISTIOPS_BIN ...args`) with a clean environment (no KUBECONFIG, HOME in a temp dir unless given). */
export function runCli(args: readonly string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; cwd?: string } = {}): Promise<CliResult> {
  const env: NodeJS.ProcessEnv = { PATH: process.env['PATH'], HOME: tmpdir(), NO_COLOR: '1', ...options.env };
  return new Promise((done) => {
    const [file, argv] = BIN ? [BIN, [...args]] : [process.execPath, [CLI, ...args]];
    execFile(file, argv, { env, timeout: options.timeoutMs ?? 60_000, maxBuffer: 16 * 1024 * 1024, ...(options.cwd !== undefined ? { cwd: options.cwd } : {}) }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

/** A fresh copy of the bundled example manifests in a temp dir; returns its path. */
export function copyExamples(): string {
  const dir = mkdtempSync(join(tmpdir(), 'istiops-examples-'));
  cpSync(EXAMPLES, dir, { recursive: true });
  return dir;
}

/** Every file below `dir` with its exact content, keyed by relative path. */
export function snapshotFiles(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

/**
 * Asserts a refused invocation (design rule 1): exit 2, one `istiops: ...` line on stderr naming
 * `mentions`, no stack, nothing on stdout, and the files under `dir` as they were (`before`).
 */
export function expectUsageError(res: CliResult, mentions: string, dir: string, before: Record<string, string>): void {
  expect(res.code, res.stderr).toBe(2);
  const lines = res.stderr.trim().split('\n');
  expect(lines, res.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^istiops: /);
  expect(res.stderr).toContain(mentions);
  expect(res.stderr).not.toMatch(/\n\s+at /);
  expect(res.stdout).toBe('');
  expect(snapshotFiles(dir)).toEqual(before);
}
