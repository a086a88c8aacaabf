/**
 * The npm bin dist/istiops.cjs runs the CLI bundle with a V8 code cache per command (scripts/cli-loader.cjs,
 * issue 10): written at the end of a command's first run, used by the next ones, never in the way.
 * These tests are about that loader, so they do not apply to the single executable (ISTIOPS_BIN).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, copyExamples, runCli } from '../support/cli.js';

const suite = BIN ? describe.skip : describe;

/** A fresh HOME; the default cache folder is HOME/.cache/istiops. */
function freshHome(): { home: string; cache: string } {
  const home = mkdtempSync(join(tmpdir(), 'istiops-cache-home-'));
  return { home, cache: join(home, '.cache', 'istiops') };
}

const cacheFiles = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.v8cache')).sort() : []);

suite('the compile cache of the npm bin', () => {
  it('is written by the first run of a command, per command and target, and used by the next run', async () => {
    const { home, cache } = freshHome();
    const env = { HOME: home, ISTIOPS_DEBUG: '1' };
    const first = await runCli(['version'], { env });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('compile cache: none at');
    expect(cacheFiles(cache)).toEqual([expect.stringMatching(/^[0-9a-f]{16}-v\d+\.\d+\.\d+-\w+-version\.v8cache$/)]);

    const second = await runCli(['version'], { env });
    expect(second).toEqual({ ...first, stderr: '' });

    const manifests = copyExamples();
    const show = await runCli(['traffic', 'show', '--manifests', manifests, '-n', 'bookinfo'], { env });
    expect(show.code, show.stderr).toBe(0);
    expect(cacheFiles(cache).map((f) => /-(\w+(?:-files)?\.v8cache)$/.exec(f)?.[1])).toEqual(['show-files.v8cache', 'version.v8cache']);
    expect(statSync(join(cache, cacheFiles(cache)[0] as string)).mode & 0o777).toBe(0o600);
    expect(statSync(cache).mode & 0o777).toBe(0o700);
  });

  it('is written only by a run that succeeds, not by one that stops at a usage error', async () => {
    const { home, cache } = freshHome();
    const manifests = copyExamples();
    const refused = await runCli(['traffic', 'shift', '--manifests', manifests, '-n', 'bookinfo', '-w', '250'], { env: { HOME: home } });
    expect(refused.code).toBe(2);
    expect(cacheFiles(cache)).toEqual([]);
    const args = ['traffic', 'shift', '--dry-run', '--manifests', manifests, '-n', 'bookinfo', '-l', 'app=reviews', '-d', 'reviews:9080', '-b', '3', '-p', 'app=reviews,version=v3', '-w', '25'];
    expect((await runCli(args, { env: { HOME: home } })).code).toBe(0);
    expect(cacheFiles(cache)).toEqual([expect.stringMatching(/-shift-files\.v8cache$/)]);
  });

  it('gives the same output with and without the cache', async () => {
    const { home } = freshHome();
    const manifests = copyExamples();
    const args = ['traffic', 'shift', '--dry-run', '--manifests', manifests, '-n', 'bookinfo', '-l', 'app=reviews', '-d', 'reviews:9080', '-b', '3', '-p', 'app=reviews,version=v3', '-w', '25'];
    const without = await runCli(args, { env: { HOME: home, ISTIOPS_COMPILE_CACHE: '0' } });
    const writing = await runCli(args, { env: { HOME: home } });
    const using = await runCli(args, { env: { HOME: home } });
    expect(without.code, without.stderr).toBe(0);
    expect(without.stdout).toMatch(/^\+\+\+ .*bookinfo\/networking.yaml$/m);
    expect(writing).toEqual(without);
    expect(using).toEqual(without);
  });

  it('is off with ISTIOPS_COMPILE_CACHE=0 and goes where ISTIOPS_COMPILE_CACHE says', async () => {
    const { home, cache } = freshHome();
    expect((await runCli(['version'], { env: { HOME: home, ISTIOPS_COMPILE_CACHE: '0' } })).code).toBe(0);
    expect(existsSync(cache)).toBe(false);
    const elsewhere = join(home, 'elsewhere', 'deep');
    expect((await runCli(['version'], { env: { HOME: home, ISTIOPS_COMPILE_CACHE: elsewhere } })).code).toBe(0);
    expect(cacheFiles(elsewhere)).toHaveLength(1);
    expect(existsSync(cache)).toBe(false);
  });

  it('follows XDG_CACHE_HOME', async () => {
    const { home, cache } = freshHome();
    const xdg = join(home, 'xdg');
    expect((await runCli(['version'], { env: { HOME: home, XDG_CACHE_HOME: xdg } })).code).toBe(0);
    expect(cacheFiles(join(xdg, 'istiops'))).toHaveLength(1);
    expect(existsSync(cache)).toBe(false);
  });

  it('removes the files of other bundles or Node.js versions older than 30 days when it writes one', async () => {
    const { home, cache } = freshHome();
    mkdirSync(cache, { recursive: true });
    const longAgo = new Date(Date.now() - 31 * 24 * 3600 * 1000);
    const lastWeek = new Date(Date.now() - 7 * 24 * 3600 * 1000);
    const files = {
      stale: '0123456789abcdef-v0.0.1-x64-version.v8cache',
      otherInUse: 'fedcba9876543210-v0.0.1-x64-show.v8cache',
      partial: '0123456789abcdef-v0.0.1-x64-show.v8cache.123.tmp',
      notOurs: 'notes.txt',
    };
    for (const name of Object.values(files)) writeFileSync(join(cache, name), 'x');
    for (const name of [files.stale, files.partial, files.notOurs]) utimesSync(join(cache, name), longAgo, longAgo);
    utimesSync(join(cache, files.otherInUse), lastWeek, lastWeek);
    expect((await runCli(['version'], { env: { HOME: home } })).code).toBe(0);
    const left = readdirSync(cache);
    expect(left).not.toContain(files.stale);
    expect(left).not.toContain(files.partial);
    expect(left).toContain(files.otherInUse);
    expect(left).toContain(files.notOurs);
    expect(cacheFiles(cache).filter((f) => f.endsWith('-version.v8cache') && f !== files.stale)).toHaveLength(1);
  });

  it('replaces a cache V8 refuses, and the command runs as usual', async () => {
    const { home, cache } = freshHome();
    expect((await runCli(['version'], { env: { HOME: home } })).code).toBe(0);
    const [file] = cacheFiles(cache);
    const good = readFileSync(join(cache, file as string));
    writeFileSync(join(cache, file as string), Buffer.alloc(good.length, 7));
    const res = await runCli(['version'], { env: { HOME: home, ISTIOPS_DEBUG: '1' } });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^istiops \d+\.\d+\.\d+/);
    expect(res.stderr).toContain('compile cache: rejected');
    expect(readFileSync(join(cache, file as string)).equals(Buffer.alloc(good.length, 7))).toBe(false);
  });

  it('never stops a command when it cannot be written', async () => {
    const { home } = freshHome();
    const blocker = join(home, 'a-file');
    writeFileSync(blocker, '');
    const res = await runCli(['version'], { env: { HOME: home, ISTIOPS_COMPILE_CACHE: join(blocker, 'cache'), ISTIOPS_DEBUG: '1' } });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^istiops \d+\.\d+\.\d+/);
    expect(res.stderr).toMatch(/compile cache: not written: .*ENOTDIR/);
  });

  it("loads none of client-node's deferred modules (dist/deferred) for commands that do not use them", async () => {
    const { home } = freshHome();
    const log = join(home, 'required.txt');
    const preload = join(home, 'record-requires.cjs');
    writeFileSync(
      preload,
      `const Module = require('node:module'); const fs = require('node:fs'); const seen = [];
       const load = Module._load; Module._load = function (request, ...rest) { seen.push(request); return load.call(this, request, ...rest); };
       process.on('exit', () => fs.writeFileSync(${JSON.stringify(log)}, seen.join('\\n')));`,
    );
    const manifests = copyExamples();
    for (const args of [['version'], ['traffic', 'show', '--manifests', manifests, '-n', 'bookinfo'], ['traffic', 'shift', '--dry-run', '--manifests', manifests, '-n', 'bookinfo', '-l', 'app=reviews', '-d', 'reviews:9080', '-b', '3', '-p', 'app=reviews,version=v3', '-w', '25']]) {
      const res = await runCli(args, { env: { HOME: home, NODE_OPTIONS: `--require=${preload}` } });
      expect(res.code, res.stderr).toBe(0);
      const required = readFileSync(log, 'utf8').split('\n');
      expect(required).toContain('node:vm');
      expect(required.filter((r) => r.includes('deferred'))).toEqual([]);
    }
  });
});
