// Builds dist/: first the precompiled Istio schema validators (scripts/generate-validators.mjs, into the
// gitignored src/app/validators/generated/), then the CLI (dist/cli.cjs, run by the bin dist/istiops.cjs)
// and the library (dist/index.js, ESM with lazily loaded chunks), then the .d.ts files with tsc.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
// dist/bin and dist/release (single executables, release archives) are built by their own scripts and kept.
const dist = new URL('../dist/', import.meta.url);
for (const entry of existsSync(dist) ? readdirSync(dist) : []) {
  if (entry !== 'bin' && entry !== 'release') rmSync(new URL(entry, dist), { recursive: true, force: true });
}
execFileSync(process.execPath, [new URL('generate-validators.mjs', import.meta.url).pathname], { stdio: 'inherit' });

const common = {
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  legalComments: 'none',
  define: { __ISTIOPS_VERSION__: JSON.stringify(pkg.version) },
  logLevel: 'warning',
};

/**
 * Modules that client-node's kubeconfig module imports statically but only calls for rare kubeconfigs
 * (OIDC, Azure and GCP auth providers, proxies) or never on istiops' path (`makeApiClient` and its
 * generated API clients, node-fetch for `applyToFetchOptions`). Together they were 80% of the bytes the
 * CLI compiled on every cluster command (issue 10). In the CLI bundle each is replaced by a shim whose
 * exports load the real module, bundled apart as `dist/deferred/<name>.cjs`, on first use: kubeconfig
 * semantics stay client-node's. Key: import specifier; value: the names client-node uses and the
 * module's bundle (none: the shim throws).
 */
const DEFERRED = {
  // Only `makeApiClient` uses these; istiops never calls it, so the 14 MB of generated clients stay out.
  './gen/index.js': { names: ['createConfiguration', 'ServerConfiguration'] },
  'node-fetch': { file: 'node-fetch', source: 'node-fetch', names: ['Headers'] },
  'socks-proxy-agent': { file: 'socks-proxy-agent', source: 'socks-proxy-agent', names: ['SocksProxyAgent'] },
  hpagent: { file: 'hpagent', source: 'hpagent', names: ['HttpProxyAgent', 'HttpsProxyAgent'] },
  'jsonpath-plus': { file: 'jsonpath-plus', source: 'jsonpath-plus', names: ['JSONPath'] },
  'openid-client': { file: 'openid-client', source: 'openid-client', names: ['discovery', 'refreshTokenGrant'] },
};
const clientNodeDist = /[\\/]@kubernetes[\\/]client-node[\\/]dist[\\/][^\\/]+\.js$/;

/** esbuild plugin: client-node's static imports of DEFERRED modules resolve to lazy shims; dynamic ones to the file. */
const deferClientNodeImports = {
  name: 'defer-client-node-imports',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      const deferred = DEFERRED[args.path];
      if (!deferred) return undefined;
      if (clientNodeDist.test(args.importer)) return { path: args.path, namespace: 'deferred', pluginData: deferred };
      // istiops' own import() of a proxy agent loads the same file (once, not a second copy in the bundle).
      if (args.kind === 'dynamic-import' && deferred.file !== undefined) return { path: args.path, namespace: 'deferred-file', pluginData: deferred };
      return undefined;
    });
    // A CommonJS module around the file: the bundle is run by vm.Script, where import() is not available.
    b.onLoad({ filter: /.*/, namespace: 'deferred-file' }, ({ pluginData: d }) => ({
      loader: 'js',
      contents: `module.exports = require('./deferred/${d.file}.cjs');`,
    }));
    b.onLoad({ filter: /.*/, namespace: 'deferred' }, ({ pluginData: d }) => ({
      loader: 'js',
      // A function or class export: a call or `new` of the shim loads the module and forwards.
      contents:
        d.file === undefined
          ? d.names.map((n) => `export function ${n}() { throw new Error('istiops does not bundle ${n} of @kubernetes/client-node'); }`).join('\n')
          : [
              'let loaded;',
              `const load = () => (loaded ??= require('./deferred/${d.file}.cjs'));`,
              ...d.names.map(
                (n) => `export function ${n}(...args) { const real = load().${n}; return new.target ? Reflect.construct(real, args, new.target) : real.apply(this, args); }`,
              ),
            ].join('\n'),
    }));
  },
};

// The CLI is one CommonJS bundle, dist/cli.cjs, with its dependencies (but DEFERRED) inside: modules
// reached only through import() are initialised on first use, and dist/istiops.cjs runs the bundle
// with a V8 code cache (see scripts/cli-loader.cjs), which needs a classic script, not ES modules.
// What the CLI's files share: CommonJS, whitespace and syntax minified (fewer bytes to read; names are
// kept, so stack traces under ISTIOPS_DEBUG stay readable).
const cliFiles = { ...common, splitting: false, format: 'cjs', minifyWhitespace: true, minifySyntax: true };
const cli = await build({
  ...cliFiles,
  entryPoints: { cli: 'src/cli.ts' },
  plugins: [deferClientNodeImports],
  outExtension: { '.js': '.cjs' },
  outdir: 'dist',
  external: ['./deferred/*'],
  // jsonc-parser's `main` is a UMD build whose lazy require()s esbuild cannot follow; bundle its ESM build.
  alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' },
  metafile: true,
});
// A name client-node uses that a shim lacks would be undefined at run time: esbuild warns; fail instead.
if (cli.warnings.length > 0) throw new Error(`the CLI bundle has ${cli.warnings.length} warning(s); see above`);
// vm.Script (the loader) has no import(): every dynamic import must have become a require().
const dynamicImports = Object.values(cli.metafile.outputs['dist/cli.cjs'].imports).filter((i) => i.kind === 'dynamic-import');
if (dynamicImports.length > 0) throw new Error(`dist/cli.cjs keeps import() of ${dynamicImports.map((i) => i.path).join(', ')}`);
await Promise.all(
  Object.values(DEFERRED)
    .filter((d) => d.file !== undefined)
    .map(({ file, source }) =>
      build({ ...cliFiles, entryPoints: [source], outfile: `dist/deferred/${file}.cjs` }),
    ),
);
// The loader (the package's bin) knows the bundle by its hash: a code cache is only ever used for the
// very bundle it was made from (V8 itself checks only the source length).
const bundleHash = createHash('sha256').update(readFileSync('dist/cli.cjs')).digest('hex').slice(0, 16);
const loader = readFileSync(new URL('cli-loader.cjs', import.meta.url), 'utf8').replace("'__ISTIOPS_BUNDLE_HASH__'", JSON.stringify(bundleHash));
if (!loader.includes(bundleHash)) throw new Error('scripts/cli-loader.cjs has no bundle hash placeholder');
writeFileSync('dist/istiops.cjs', loader, { mode: 0o755 });

// The library leaves dependencies to the consumer's node_modules.
await build({
  ...common,
  entryPoints: { index: 'src/index.ts' },
  outdir: 'dist',
  chunkNames: 'lib-chunks/[name]-[hash]',
  packages: 'external',
});

execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
