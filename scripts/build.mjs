// Builds dist/: first the precompiled Istio schema validators (scripts/generate-validators.mjs, into the
// gitignored src/app/validators/generated/), then the CLI and the library as ESM bundles (esbuild; code
// splitting keeps dynamic imports as lazily loaded chunks), then the .d.ts files with tsc.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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

// The CLI bundles its dependencies; dynamic imports become chunks loaded only by the commands that need them.
await build({
  ...common,
  entryPoints: { cli: 'src/cli.ts' },
  outdir: 'dist',
  chunkNames: 'cli-chunks/[name]-[hash]',
  // jsonc-parser's `main` is a UMD build whose lazy require()s esbuild cannot follow; bundle its ESM build.
  alias: { 'jsonc-parser': 'jsonc-parser/lib/esm/main.js' },
  // Bundled CommonJS dependencies need a require() in ESM output.
  banner: { js: "import { createRequire as __istiopsRequire } from 'node:module'; const require = __istiopsRequire(import.meta.url);" },
});

// The library leaves dependencies to the consumer's node_modules.
await build({
  ...common,
  entryPoints: { index: 'src/index.ts' },
  outdir: 'dist',
  chunkNames: 'lib-chunks/[name]-[hash]',
  packages: 'external',
});

execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
