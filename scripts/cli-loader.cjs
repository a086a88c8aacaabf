#!/usr/bin/env node
// istiops' bin (built into dist/istiops.cjs by scripts/build.mjs): runs the CLI bundle dist/cli.cjs
// with a V8 code cache, so that a run does not parse and compile again the code the previous run of
// the same command compiled. Compiling the bundle was most of a cold command's own time (issue 10).
//
// Why not a library: v8-compile-cache makes its cache when a file is compiled, before it runs, so it
// holds only the top-level code; the functions a command compiles while it runs (most of the cost) are
// missing, and measured on `traffic show --manifests` it saved about half of what this loader saves.
// Node's own module.enableCompileCache() needs Node.js 22.1; istiops supports Node.js 20.
//
// The cache: one file per command word (`show`, `shift`, ...) and target (files or cluster), made at
// the end of a successful run when there was none (or V8 refused it), named after the bundle's hash,
// the Node.js version and the architecture, in $ISTIOPS_COMPILE_CACHE, else $XDG_CACHE_HOME/istiops,
// else ~/.cache/istiops (ISTIOPS_COMPILE_CACHE=0: none). When a file is written, those of other bundles
// or Node.js versions older than 30 days go (not all of them: two installed versions used in turn
// would otherwise delete each other's cache on every run). Any failure to read or write it is ignored:
// the cache only ever saves time.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { createRequire, wrap } = require('node:module');

/** sha256 prefix of dist/cli.cjs, written in by scripts/build.mjs. */
const BUNDLE_HASH = '__ISTIOPS_BUNDLE_HASH__';
const bundle = path.join(__dirname, 'cli.cjs');
/** Cache files of other bundles or Node.js versions (and leftover partial writes) older than this go. */
const STALE_AFTER_MS = 30 * 24 * 3600 * 1000;

/** The cache folder, or undefined when caching is off or there is no home. */
function cacheDir(env) {
  const setting = env.ISTIOPS_COMPILE_CACHE;
  if (setting === '0' || setting === 'off' || setting === 'false') return undefined;
  if (setting) return path.resolve(setting);
  const base = env.XDG_CACHE_HOME || (env.HOME ? path.join(env.HOME, '.cache') : undefined);
  return base ? path.join(base, 'istiops') : undefined;
}

/**
 * What the cache is kept for: the command word, and whether it works on files or on a cluster (they
 * run different code). `traffic show --manifests x` -> show-files; anything odd -> other.
 */
function cacheKey(args) {
  const words = args.filter((a) => !a.startsWith('-'));
  const word = words[0] === 'traffic' ? words[1] : words[0];
  if (word === undefined || !/^[a-z][a-z0-9-]{0,31}$/.test(word)) return 'other';
  return args.some((a) => a === '--manifests' || a.startsWith('--manifests=')) ? `${word}-files` : word;
}

function debug(message) {
  if (process.env.ISTIOPS_DEBUG) process.stderr.write(`istiops: compile cache: ${message}\n`);
}

const dir = cacheDir(process.env);
const prefix = `${BUNDLE_HASH}-${process.version}-${process.arch}-`;
const cacheFile = dir && path.join(dir, `${prefix}${cacheKey(process.argv.slice(2))}.v8cache`);
let cachedData;
if (cacheFile) {
  try {
    cachedData = fs.readFileSync(cacheFile);
  } catch {
    // No cache yet.
  }
}

// esbuild writes ASCII only (non-ASCII characters are escaped), so latin1 reads it as UTF-8 would,
// without decoding.
const script = new vm.Script(wrap(fs.readFileSync(bundle, 'latin1')), { filename: bundle, cachedData });
if (cacheFile && (cachedData === undefined || script.cachedDataRejected)) {
  debug(cachedData === undefined ? `none at ${cacheFile}` : `rejected ${cacheFile}`);
  process.once('exit', (code) => {
    // Made now, the cache holds every function this run compiled, not only the top level; only after
    // a success, so that a first run that stopped at a usage error does not leave a cache without
    // the command's real work in it (a cache is never replaced while V8 accepts it).
    if (code !== 0) return debug(`not written: exit code ${code}`);
    try {
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      const stale = Date.now() - STALE_AFTER_MS;
      for (const name of fs.readdirSync(dir)) {
        const other = (name.endsWith('.v8cache') && !name.startsWith(prefix)) || name.endsWith('.tmp');
        if (other && fs.statSync(path.join(dir, name)).mtimeMs < stale) fs.rmSync(path.join(dir, name), { force: true });
      }
      // Written aside and renamed: a concurrent run reads a whole file or none.
      const partial = `${cacheFile}.${process.pid}.tmp`;
      fs.writeFileSync(partial, script.createCachedData(), { mode: 0o600 });
      fs.renameSync(partial, cacheFile);
    } catch (e) {
      debug(`not written: ${e instanceof Error ? e.message : String(e)}`);
    }
  });
}
const module_ = { exports: {}, filename: bundle, id: bundle, loaded: false };
script.runInThisContext().call(module_.exports, module_.exports, createRequire(bundle), module_, bundle, __dirname);
